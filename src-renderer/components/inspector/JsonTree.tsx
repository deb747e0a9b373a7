/**
 * A JSON value as a collapsible tree: objects and arrays open to two levels at first, each with a
 * toggle (a button with aria-expanded); closed nodes render nothing below them, and a node shows
 * its first 200 children with a "Show more" button, so a large body stays a small DOM.
 */
import { useState } from 'react';

const CHILDREN_SHOWN = 200;
const OPEN_DEPTH = 2;

function preview(value: unknown): string {
  if (Array.isArray(value)) return value.length === 1 ? '1 item' : `${value.length} items`;
  if (value !== null && typeof value === 'object') return Object.keys(value).length === 1 ? '1 key' : `${Object.keys(value).length} keys`;
  return '';
}

/** Open at first: the top levels, and small nodes a little deeper. */
function opensAtFirst(value: object, depth: number): boolean {
  const size = Array.isArray(value) ? value.length : Object.keys(value).length;
  return depth < OPEN_DEPTH || (depth < OPEN_DEPTH + 2 && size <= 8);
}

function Scalar({ value }: { value: unknown }) {
  if (value === null) return <span className="json-null">null</span>;
  if (typeof value === 'string') return <span className="json-string">{JSON.stringify(value)}</span>;
  if (typeof value === 'number') return <span className="json-number">{String(value)}</span>;
  if (typeof value === 'boolean') return <span className="json-boolean">{String(value)}</span>;
  return <span>{String(value)}</span>;
}

function Node({ name, value, depth, last }: { name: string | null; value: unknown; depth: number; last: boolean }) {
  const container = value !== null && typeof value === 'object';
  const [open, setOpen] = useState(container && opensAtFirst(value as object, depth));
  const [shown, setShown] = useState(CHILDREN_SHOWN);
  const key = name === null ? null : <><span className="json-key">{name}</span>: </>;
  const comma = last ? '' : ',';
  if (!container) return <div className="json-line">{key}<Scalar value={value} />{comma}</div>;
  const array = Array.isArray(value);
  const entries: [string, unknown][] = array ? value.map((item, index) => [String(index), item]) : Object.entries(value);
  const [opening, closing] = array ? ['[', ']'] : ['{', '}'];
  if (entries.length === 0) return <div className="json-line">{key}{opening}{closing}{comma}</div>;
  return (
    <div className="json-node">
      <div className="json-line">
        <button type="button" className="json-toggle" aria-expanded={open} onClick={() => setOpen(!open)} aria-label={`${open ? 'Collapse' : 'Expand'} ${name ?? 'value'}`}>
          {open ? '▾' : '▸'}
        </button>
        {key}{opening}{open ? null : <>…{closing}{comma}<span className="faint json-count"> {preview(value)}</span></>}
      </div>
      {open ? (
        <>
          <div className="json-children">
            {entries.slice(0, shown).map(([childName, child], index) => (
              <Node key={childName} name={array ? null : JSON.stringify(childName)} value={child} depth={depth + 1} last={index === entries.length - 1} />
            ))}
            {entries.length > shown ? (
              <button type="button" className="button small json-more" onClick={() => setShown(shown + CHILDREN_SHOWN)}>
                Show {Math.min(CHILDREN_SHOWN, entries.length - shown)} more of {entries.length - shown}
              </button>
            ) : null}
          </div>
          <div className="json-line">{closing}{comma}</div>
        </>
      ) : null}
    </div>
  );
}

export function JsonTree({ value, label }: { value: unknown; label: string }) {
  return (
    <div className="json-tree mono" role="group" aria-label={label} data-testid="json-tree">
      <Node name={null} value={value} depth={0} last />
    </div>
  );
}
