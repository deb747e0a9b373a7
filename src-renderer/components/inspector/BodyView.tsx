/**
 * One body in the detail view: how it arrived (size, codings undone, cut at the cap), and the
 * body itself as a JSON tree, pretty JSON, form fields, text, hex, or an image preview, with a
 * switch between the views that fit it.
 */
import { useMemo, useState } from 'react';
import type { InspectorBody } from '../../../src-core/host/api/index.js';
import { formatBytes } from '../../format.js';
import { base64ToBytes, bytesToText, formFields, hexLines, HEX_SHOWN_BYTES, imageDataUrl, parseJson, strictText, TEXT_SHOWN_CHARS } from './body-format.js';
import { JsonTree } from './JsonTree.js';

type Mode = 'tree' | 'pretty' | 'form' | 'text' | 'image' | 'hex';

const MODE_LABELS: Record<Mode, string> = { tree: 'Tree', pretty: 'Pretty', form: 'Form', text: 'Text', image: 'Image', hex: 'Hex' };

function modesFor(body: InspectorBody, jsonOk: boolean, text: string | undefined): Mode[] {
  if (body.view === 'json' && jsonOk) return ['tree', 'pretty', 'text', 'hex'];
  if (body.view === 'form' && text !== undefined) return ['form', 'text', 'hex'];
  if (body.view === 'image') return ['image', 'hex'];
  if (text !== undefined && body.view !== 'hex') return ['text', 'hex'];
  return ['hex'];
}

function Facts({ body }: { body: InspectorBody }) {
  const facts: string[] = [formatBytes(body.size)];
  if (body.contentType) facts.push(body.contentType);
  if (body.codings.length > 0) facts.push(`${body.codings.join(', ')} → ${formatBytes(body.decodedBytes)}${body.partial ? '+' : ''}`);
  return (
    <div className="body-facts">
      <span className="muted num" data-testid="body-size">{facts.join(' · ')}</span>
      {body.truncated ? (
        <span className="badge danger" data-testid="body-truncated" title="The capture keeps at most the body cap of each body; sizes are counted in full">
          cut at {formatBytes(body.capBytes)} of {formatBytes(body.size)}
        </span>
      ) : null}
      {body.partial && !body.truncated ? <span className="badge" title="Only the first part is shown">first {formatBytes(body.base64.length * 0.75)} shown</span> : null}
      {body.problem ? <span className="badge danger" title="Shown as received">{body.problem}</span> : null}
    </div>
  );
}

export function BodyView({ body, label }: { body: InspectorBody; label: string }) {
  const bytes = useMemo(() => base64ToBytes(body.base64), [body.base64]);
  const text = useMemo(() => (body.view === 'hex' || body.view === 'image' ? undefined : strictText(bytes)), [bytes, body.view]);
  const json = useMemo(() => (body.view === 'json' && text !== undefined ? parseJson(text) : undefined), [body.view, text]);
  const modes = modesFor(body, json?.ok === true, text);
  const [chosen, setChosen] = useState<Mode | null>(null);
  const mode = chosen && modes.includes(chosen) ? chosen : modes[0] ?? 'hex';
  if (body.size === 0) return <p className="faint body-empty">No body.</p>;
  const shownText = mode === 'text' ? (text ?? bytesToText(bytes)) : '';
  const image = mode === 'image' ? imageDataUrl(body.contentType, body.base64, body.partial || body.truncated) : undefined;
  return (
    <div className="body-view" data-view={mode}>
      <div className="body-head">
        <Facts body={body} />
        {modes.length > 1 ? (
          <div className="segmented small" role="group" aria-label={`Show ${label} as`}>
            {modes.map((option) => (
              <button type="button" key={option} aria-pressed={mode === option} onClick={() => setChosen(option)}>{MODE_LABELS[option]}</button>
            ))}
          </div>
        ) : null}
      </div>
      {json && !json.ok && body.view === 'json' ? <p className="faint">Not valid JSON ({json.problem}); shown as text.</p> : null}
      {mode === 'tree' && json?.ok ? <JsonTree value={json.value} label={label} /> : null}
      {mode === 'pretty' && json?.ok ? <pre className="body-text mono" data-testid="body-pretty" tabIndex={0}>{JSON.stringify(json.value, null, 2)}</pre> : null}
      {mode === 'form' && text !== undefined ? (
        <table className="header-table form-table">
          <thead><tr><th scope="col">Field</th><th scope="col">Value</th></tr></thead>
          <tbody>{formFields(text).map(([name, value], index) => <tr key={`${index}-${name}`}><th scope="row" className="mono">{name}</th><td className="mono">{value}</td></tr>)}</tbody>
        </table>
      ) : null}
      {mode === 'text' ? (
        <>
          <pre className="body-text mono" data-testid="body-text" tabIndex={0}>{shownText.slice(0, TEXT_SHOWN_CHARS)}</pre>
          {shownText.length > TEXT_SHOWN_CHARS ? <p className="faint">The first {TEXT_SHOWN_CHARS.toLocaleString()} characters are shown.</p> : null}
        </>
      ) : null}
      {mode === 'image' ? (
        image ? <img className="body-image" src={image} alt={`${label}: ${body.contentType ?? 'image'}, ${formatBytes(body.size)}`} data-testid="body-image" />
          : <p className="faint">This image cannot be previewed ({body.truncated || body.partial ? 'it was cut at the body cap' : `${body.contentType ?? 'unknown type'}`}); see Hex.</p>
      ) : null}
      {mode === 'hex' ? (
        <>
          <pre className="body-text body-hex mono" data-testid="body-hex" tabIndex={0}>{hexLines(bytes).join('\n')}</pre>
          {bytes.length > HEX_SHOWN_BYTES ? <p className="faint">The first {formatBytes(HEX_SHOWN_BYTES)} of {formatBytes(bytes.length)} are shown.</p> : null}
        </>
      ) : null}
    </div>
  );
}
