/** Logs: the engine's error and access log, live, with level filter, search and pause. */
import { useVirtualizer } from '@tanstack/react-virtual';
import { useEffect, useMemo, useRef } from 'react';
import { useShallow } from 'zustand/react/shallow';
import type { LogLevel, LogLine } from '../../src-core/host/api/index.js';
import { EmptyState } from '../components/EmptyState.js';
import { LogsIcon, PauseIcon, PlayIcon, SearchIcon } from '../components/Icons.js';
import { formatLogTime } from '../format.js';
import { visibleLogLines } from '../state/logs.js';
import { useAppStore } from '../state/store.js';

const ROW_HEIGHT = 24;
const LEVELS: { value: LogLevel; label: string }[] = [
  { value: 'debug', label: 'All levels' },
  { value: 'info', label: 'Info and above' },
  { value: 'warning', label: 'Warnings and errors' },
  { value: 'error', label: 'Errors only' },
];

function Highlight({ text, needle }: { text: string; needle: string }) {
  if (!needle) return <>{text}</>;
  const index = text.toLowerCase().indexOf(needle.toLowerCase());
  if (index < 0) return <>{text}</>;
  return <>{text.slice(0, index)}<mark>{text.slice(index, index + needle.length)}</mark>{text.slice(index + needle.length)}</>;
}

/** Downloads `lines` as a text file, one whole line each, as the engine's log files write them. */
function exportLines(lines: readonly LogLine[]): void {
  const text = lines.map((line) => `${new Date(line.time).toISOString()} [${line.kind === 'access' ? 'access' : line.level}]${line.kind === 'access' ? '' : ` ${line.component}:`} ${line.connectionId !== null ? `[${line.connectionId}] ` : ''}${line.message}`).join('\n');
  const url = URL.createObjectURL(new Blob([`${text}\n`], { type: 'text/plain' }));
  const link = document.createElement('a');
  link.href = url;
  link.download = `porthole-log-${new Date().toISOString().replace(/[:.]/g, '-')}.txt`;
  link.click();
  setTimeout(() => URL.revokeObjectURL(url), 1000);
}

export function LogsPage() {
  const { lines, level, search, paused, held } = useAppStore(useShallow((state) => ({
    lines: state.lines, level: state.logLevel, search: state.logSearch, paused: state.logsPaused, held: state.heldLines.length,
  })));
  const { setLogLevel, setLogSearch, setLogsPaused, clearLogView } = useAppStore(useShallow((state) => ({
    setLogLevel: state.setLogLevel, setLogSearch: state.setLogSearch, setLogsPaused: state.setLogsPaused, clearLogView: state.clearLogView,
  })));
  const visible = useMemo(() => visibleLogLines(lines, level, search), [lines, level, search]);
  const scroller = useRef<HTMLDivElement>(null);
  const stickToBottom = useRef(true);
  const virtualizer = useVirtualizer({ count: visible.length, getScrollElement: () => scroller.current, estimateSize: () => ROW_HEIGHT, overscan: 20 });

  useEffect(() => {
    if (stickToBottom.current && visible.length > 0) virtualizer.scrollToIndex(visible.length - 1, { align: 'end' });
  }, [visible.length, virtualizer]);

  return (
    <>
      <div className="toolbar">
        <label className="search">
          <SearchIcon />
          <span className="sr-only">Search the log</span>
          <input className="input" type="search" placeholder="Search messages and components…" value={search} onChange={(event) => setLogSearch(event.target.value)} />
        </label>
        <label className="row">
          <span className="sr-only">Level</span>
          <select className="select" value={level} onChange={(event) => setLogLevel(event.target.value as LogLevel)} aria-label="Level">
            {LEVELS.map((entry) => <option key={entry.value} value={entry.value}>{entry.label}</option>)}
          </select>
        </label>
        <span className="spacer" />
        {paused && held > 0 ? <span className="faint num">{held} new {held === 1 ? 'line' : 'lines'} held</span> : null}
        <button type="button" className="button" aria-pressed={paused} onClick={() => setLogsPaused(!paused)}>
          {paused ? <><PlayIcon />Resume</> : <><PauseIcon />Pause</>}
        </button>
        <button type="button" className="button" onClick={() => exportLines(visible)} disabled={visible.length === 0} title="Download the lines shown (whole lines, as text)">Export…</button>
        <button type="button" className="button" onClick={clearLogView} disabled={lines.length === 0}>Clear view</button>
      </div>
      <section className="card table logs" aria-label="Log lines">
        {visible.length === 0 ? (
          <EmptyState icon={<LogsIcon />} title={lines.length === 0 ? 'No log lines yet' : 'No line matches'}>
            {lines.length === 0
              ? 'Engine messages and one access line per connection appear here. The profile’s log.loglevel decides how chatty the engine is.'
              : 'Lower the level filter or change the search.'}
          </EmptyState>
        ) : (
          <div
            className="table-scroll"
            ref={scroller}
            role="log"
            aria-live="off"
            tabIndex={0}
            onScroll={(event) => {
              const element = event.currentTarget;
              stickToBottom.current = element.scrollHeight - element.scrollTop - element.clientHeight < ROW_HEIGHT * 2;
            }}
          >
            <div style={{ height: virtualizer.getTotalSize(), position: 'relative' }}>
              {virtualizer.getVirtualItems().map((item) => {
                const line = visible[item.index];
                if (!line) return null;
                return (
                  <div className="table-row" key={line.seq} style={{ transform: `translateY(${item.start}px)` }} data-testid="log-line">
                    <div className="faint num">{formatLogTime(line.time)}</div>
                    <div className={`level ${line.level}`}>{line.kind === 'access' ? 'access' : line.level}</div>
                    <div className="muted" title={line.component}>{line.kind === 'access' ? '' : line.component}</div>
                    <div title={line.message}>
                      {line.connectionId !== null ? <span className="faint">[{line.connectionId}] </span> : null}
                      <Highlight text={line.message} needle={search.trim()} />
                    </div>
                  </div>
                );
              })}
            </div>
          </div>
        )}
        <div className="table-footer num">
          <span>{visible.length} of {lines.length} lines</span>
          {paused ? <span className="badge">paused</span> : <span className="faint">following live</span>}
        </div>
      </section>
    </>
  );
}
