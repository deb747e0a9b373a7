/**
 * Logs: the engine's error and access log, live. Find runs over every line the app holds (match
 * count, next/previous, the match scrolled into view); long lines wrap (remembered) or open one at
 * a time; Download saves the held lines as a `.log` file. Screen readers hear a short summary of
 * new warnings and errors at most every few seconds, never the access lines.
 */
import { useVirtualizer } from '@tanstack/react-virtual';
import { useCallback, useEffect, useMemo, useRef, useState, type KeyboardEvent, type ReactNode } from 'react';
import { useShallow } from 'zustand/react/shallow';
import type { LogLevel, LogLine } from '../../src-core/host/api/index.js';
import { EmptyState } from '../components/EmptyState.js';
import { DownIcon, DownloadIcon, LogsIcon, PauseIcon, PlayIcon, SearchIcon, UpIcon } from '../components/Icons.js';
import { formatLogTime } from '../format.js';
import {
  logAlertAnnouncement, logAnnouncementDelay, logFileText, logMatchIndexes, normaliseSearch, stepLogMatch, visibleLogLines,
} from '../state/logs.js';
import { useAppStore } from '../state/store.js';

const ROW_HEIGHT = 24;
const PAGE_ROWS = 10;
const MATCH_COUNT_ID = 'log-match-count';
const LEVELS: { value: LogLevel; label: string }[] = [
  { value: 'debug', label: 'All levels' },
  { value: 'info', label: 'Info and above' },
  { value: 'warning', label: 'Warnings and errors' },
  { value: 'error', label: 'Errors only' },
];

/** Marks every case-insensitive occurrence of `needle` (already lower-cased) in `text`. */
function Highlight({ text, needle }: { text: string; needle: string }) {
  if (!needle) return <>{text}</>;
  const lower = text.toLowerCase();
  const parts: ReactNode[] = [];
  let from = 0;
  for (let index = lower.indexOf(needle); index >= 0; index = lower.indexOf(needle, index + needle.length)) {
    parts.push(text.slice(from, index), <mark key={index}>{text.slice(index, index + needle.length)}</mark>);
    from = index + needle.length;
  }
  if (parts.length === 0) return <>{text}</>;
  parts.push(text.slice(from));
  return <>{parts}</>;
}

const ChevronIcon = () => (
  <svg width={12} height={12} viewBox="0 0 24 24" fill="none" stroke="currentColor" strokeWidth={2.2} strokeLinecap="round" strokeLinejoin="round" aria-hidden="true" focusable="false">
    <path d="m9 6 6 6-6 6" />
  </svg>
);

/** Saves `lines` as a `.log` text file (Blob + <a download>: works in the dashboard and in Electron's renderer). */
function downloadLogFile(lines: readonly LogLine[]): void {
  const url = URL.createObjectURL(new Blob([logFileText(lines)], { type: 'text/plain;charset=utf-8' }));
  const link = document.createElement('a');
  link.href = url;
  link.download = `porthole-${new Date().toISOString().slice(0, 19).replace(/:/g, '-')}.log`;
  link.click();
  setTimeout(() => URL.revokeObjectURL(url), 10_000);
}

/**
 * A polite status that says "2 new errors and 1 new warning in the log", at most once per
 * LOG_ANNOUNCE_GAP_MS, and nothing while the user reads the lines (focus in the list, or paused):
 * what arrived meanwhile is summarised afterwards. Access lines never count (see logs.ts).
 */
function LogAnnouncer({ reading }: { reading: boolean }) {
  const alerts = useAppStore((state) => state.logAlerts);
  const [said, setSaid] = useState({ text: '', serial: 0 });
  const lastAt = useRef(Number.NEGATIVE_INFINITY);
  // What arrived before the page was opened is old news.
  useEffect(() => {
    useAppStore.getState().takeLogAlerts();
  }, []);
  useEffect(() => {
    if (reading || alerts.warnings + alerts.errors === 0) return undefined;
    const timer = setTimeout(() => {
      const text = logAlertAnnouncement(useAppStore.getState().takeLogAlerts());
      if (!text) return;
      lastAt.current = Date.now();
      setSaid((before) => ({ text, serial: before.serial + 1 }));
    }, logAnnouncementDelay(lastAt.current, Date.now()));
    return () => clearTimeout(timer);
  }, [alerts, reading]);
  // A new node per announcement, so the same words twice are still read out.
  return <div className="sr-only" role="status" data-testid="log-announcer"><span key={said.serial}>{said.text}</span></div>;
}

export function LogsPage() {
  const { lines, level, search, matchesOnly, wrap, paused, held } = useAppStore(useShallow((state) => ({
    lines: state.lines, level: state.logLevel, search: state.logSearch, matchesOnly: state.logMatchesOnly, wrap: state.logWrap,
    paused: state.logsPaused, held: state.heldLines,
  })));
  const { setLogLevel, setLogSearch, setLogMatchesOnly, setLogWrap, setLogsPaused, clearLogView } = useAppStore(useShallow((state) => ({
    setLogLevel: state.setLogLevel, setLogSearch: state.setLogSearch, setLogMatchesOnly: state.setLogMatchesOnly, setLogWrap: state.setLogWrap,
    setLogsPaused: state.setLogsPaused, clearLogView: state.clearLogView,
  })));
  const needle = normaliseSearch(search);
  const visible = useMemo(() => visibleLogLines(lines, level, search, matchesOnly), [lines, level, search, matchesOnly]);
  const matches = useMemo(() => logMatchIndexes(visible, search), [visible, search]);
  const matchSet = useMemo(() => new Set(matches), [matches]);
  const heldCount = lines.length + held.length;

  const scroller = useRef<HTMLDivElement>(null);
  const following = useRef(true);
  const [followingShown, setFollowingShown] = useState(true);
  const [currentSeq, setCurrentSeq] = useState<number | null>(null);
  const [scrollRequest, setScrollRequest] = useState(0);
  const [expanded, setExpanded] = useState<ReadonlySet<number>>(() => new Set());
  const [focusSeq, setFocusSeq] = useState<number | null>(null);
  const pendingFocus = useRef(false);
  /** Where the keyboard asked to go: a key pressed before the focus got there moves on from here. */
  const intendedSeq = useRef<number | null>(null);
  const [listFocused, setListFocused] = useState(false);

  const virtualizer = useVirtualizer({
    count: visible.length,
    getScrollElement: () => scroller.current,
    estimateSize: () => ROW_HEIGHT,
    getItemKey: (index) => visible[index]?.seq ?? index,
    overscan: 12,
  });
  const items = virtualizer.getVirtualItems();

  const currentPosition = stepLogMatch(visible, matches, currentSeq, 0);
  const currentIndex = currentPosition >= 0 ? matches[currentPosition] : undefined;

  const setFollowing = useCallback((value: boolean) => {
    following.current = value;
    setFollowingShown(value);
  }, []);

  // Follow the newest line unless the user scrolled up or is looking at a match.
  useEffect(() => {
    if (following.current && visible.length > 0) virtualizer.scrollToIndex(visible.length - 1, { align: 'end' });
  }, [visible.length, virtualizer]);

  // A new search starts at the newest match.
  useEffect(() => {
    const newest = matches.at(-1);
    setCurrentSeq(newest === undefined ? null : visible[newest]?.seq ?? null);
    if (newest !== undefined) setScrollRequest((value) => value + 1);
    // Only when the words change: new lines arriving must not move the view.
  }, [needle]);

  useEffect(() => {
    if (scrollRequest === 0 || currentIndex === undefined) return;
    setFollowing(false);
    virtualizer.scrollToIndex(currentIndex, { align: 'center' });
  }, [scrollRequest]);

  // Wrapping changes every row's height: measure again.
  useEffect(() => {
    virtualizer.measure();
  }, [wrap, virtualizer]);

  // Keyboard moves between rows: focus the row's button once it is rendered.
  useEffect(() => {
    if (!pendingFocus.current || focusSeq === null) return;
    const button = scroller.current?.querySelector<HTMLButtonElement>(`[data-seq="${focusSeq}"] .log-expand`);
    if (!button) return;
    pendingFocus.current = false;
    button.focus({ preventScroll: true });
  });

  const stepMatch = (step: -1 | 1) => {
    const from = currentIndex === undefined ? null : visible[currentIndex]?.seq ?? null;
    const position = stepLogMatch(visible, matches, from, step);
    const index = matches[position];
    if (index === undefined) return;
    setCurrentSeq(visible[index]?.seq ?? null);
    setScrollRequest((value) => value + 1);
  };

  const toggleLine = (seq: number) => {
    const opening = !expanded.has(seq);
    setExpanded((before) => {
      const after = new Set(before);
      if (!after.delete(seq)) after.add(seq);
      return after;
    });
    if (!opening) return;
    // An opened line near the bottom edge would grow out of sight: bring all of it into view once drawn.
    requestAnimationFrame(() => requestAnimationFrame(() => {
      scroller.current?.querySelector(`[data-seq="${seq}"]`)?.scrollIntoView({ block: 'nearest' });
    }));
  };

  const moveFocus = (event: KeyboardEvent<HTMLDivElement>) => {
    const target = event.target as HTMLElement;
    if (!target.classList.contains('log-expand')) return;
    const seq = pendingFocus.current && intendedSeq.current !== null ? intendedSeq.current : Number(target.closest<HTMLElement>('[data-seq]')?.dataset.seq);
    const index = visible.findIndex((line) => line.seq === seq);
    const last = visible.length - 1;
    const next = {
      ArrowDown: index + 1, ArrowUp: index - 1, PageDown: index + PAGE_ROWS, PageUp: index - PAGE_ROWS, Home: 0, End: last,
    }[event.key];
    if (next === undefined || index < 0) return;
    event.preventDefault();
    const clamped = Math.max(0, Math.min(last, next));
    const line = visible[clamped];
    if (!line) return;
    if (clamped !== last) setFollowing(false);
    pendingFocus.current = true;
    intendedSeq.current = line.seq;
    setFocusSeq(line.seq);
    virtualizer.scrollToIndex(clamped, { align: 'auto' });
  };

  // One tab stop in the list (roving tabindex): the row last moved to, or the first one drawn.
  const renderedSeqs = items.map((item) => visible[item.index]?.seq);
  const tabbableSeq = focusSeq !== null && renderedSeqs.includes(focusSeq) ? focusSeq : renderedSeqs[0];
  const matchCountText = !needle ? '' : matches.length === 0 ? 'No matches' : `${currentPosition + 1} of ${matches.length}`;

  return (
    <>
      <div className="toolbar logs-toolbar">
        <div className="log-find" role="search">
          <label className="search">
            <SearchIcon />
            <span className="sr-only">Search the log</span>
            <input
              className="input"
              type="search"
              placeholder="Find in the log…"
              value={search}
              aria-describedby={MATCH_COUNT_ID}
              onChange={(event) => setLogSearch(event.target.value)}
              onKeyDown={(event) => {
                if (event.key !== 'Enter') return;
                event.preventDefault();
                stepMatch(event.shiftKey ? -1 : 1);
              }}
            />
          </label>
          <span className="log-match-count faint num" id={MATCH_COUNT_ID} data-testid="log-match-count">{matchCountText}</span>
          <button type="button" className="icon-button" aria-label="Previous match" title="Previous match (Shift+Enter)" disabled={matches.length === 0} onClick={() => stepMatch(-1)}><UpIcon /></button>
          <button type="button" className="icon-button" aria-label="Next match" title="Next match (Enter)" disabled={matches.length === 0} onClick={() => stepMatch(1)}><DownIcon /></button>
          <label className="check">
            <input type="checkbox" checked={matchesOnly} onChange={(event) => setLogMatchesOnly(event.target.checked)} />
            Matches only
          </label>
        </div>
        <label className="row">
          <span className="sr-only">Level</span>
          <select className="select" value={level} onChange={(event) => setLogLevel(event.target.value as LogLevel)} aria-label="Level">
            {LEVELS.map((entry) => <option key={entry.value} value={entry.value}>{entry.label}</option>)}
          </select>
        </label>
        <div className="log-actions">
          <button type="button" className="button log-wrap-toggle" aria-pressed={wrap} onClick={() => setLogWrap(!wrap)} title="Show long lines whole, wrapped (remembered)">
            Wrap lines
          </button>
          <button type="button" className="button" aria-pressed={paused} onClick={() => setLogsPaused(!paused)}>
            {paused ? <><PlayIcon />Resume</> : <><PauseIcon />Pause</>}
          </button>
          <button
            type="button"
            className="button"
            onClick={() => downloadLogFile([...lines, ...held])}
            disabled={heldCount === 0}
            title="Save every line the app holds, whatever the filter, as a .log text file"
            data-testid="log-download"
          >
            <DownloadIcon />Download {heldCount.toLocaleString('en')} {heldCount === 1 ? 'line' : 'lines'}
          </button>
        </div>
      </div>
      <section className={`card table logs${wrap ? ' wrap' : ''}`} aria-label="Log lines">
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
            // Wrapped, the list itself takes focus to scroll; otherwise each row's button does (arrows move between rows).
            tabIndex={wrap ? 0 : undefined}
            aria-label={wrap ? 'Log lines, wrapped' : 'Log lines: Enter shows a line whole, arrow keys move between lines'}
            onKeyDown={moveFocus}
            onFocus={() => setListFocused(true)}
            onBlur={(event) => {
              if (!event.currentTarget.contains(event.relatedTarget as Node | null)) setListFocused(false);
            }}
            onScroll={(event) => {
              const element = event.currentTarget;
              const atBottom = element.scrollHeight - element.scrollTop - element.clientHeight < ROW_HEIGHT * 2;
              if (atBottom !== following.current) setFollowing(atBottom);
            }}
          >
            <div style={{ height: virtualizer.getTotalSize(), position: 'relative' }}>
              {items.map((item) => {
                const line = visible[item.index];
                if (!line) return null;
                const whole = wrap || expanded.has(line.seq);
                const isMatch = matchSet.has(item.index);
                const isCurrent = item.index === currentIndex;
                return (
                  <div
                    className={`table-row log-row${whole ? ' whole' : ''}${isMatch ? ' match' : ''}${isCurrent ? ' current' : ''}`}
                    key={item.key}
                    ref={virtualizer.measureElement}
                    data-index={item.index}
                    data-seq={line.seq}
                    data-testid="log-line"
                    aria-current={isCurrent ? 'true' : undefined}
                    style={{ transform: `translateY(${item.start}px)` }}
                    onClick={() => {
                      // A click that ends a text selection is reading, not a request to toggle.
                      if (!wrap && (window.getSelection()?.isCollapsed ?? true)) toggleLine(line.seq);
                    }}
                  >
                    {wrap ? null : (
                      <div className="log-toggle">
                        <button
                          type="button"
                          className="log-expand"
                          aria-expanded={whole}
                          aria-label={whole ? 'Shorten line' : 'Show whole line'}
                          tabIndex={line.seq === tabbableSeq ? 0 : -1}
                          onFocus={() => setFocusSeq(line.seq)}
                          onClick={(event) => {
                            event.stopPropagation();
                            toggleLine(line.seq);
                          }}
                        >
                          <ChevronIcon />
                        </button>
                      </div>
                    )}
                    <div className="faint num">{formatLogTime(line.time)}</div>
                    <div className={`level ${line.level}`}>{line.kind === 'access' ? 'access' : line.level}</div>
                    <div className="muted log-component">{line.kind === 'access' ? '' : <Highlight text={line.component} needle={needle} />}</div>
                    <div className="log-message" data-testid="log-message">
                      {line.connectionId !== null ? <span className="faint"><Highlight text={`[${line.connectionId}]`} needle={needle} /> </span> : null}
                      <Highlight text={line.message} needle={needle} />
                    </div>
                  </div>
                );
              })}
            </div>
          </div>
        )}
        <div className="table-footer num">
          <span>{visible.length.toLocaleString('en')} of {lines.length.toLocaleString('en')} lines</span>
          {paused ? <span className="badge">paused{held.length > 0 ? `, ${held.length.toLocaleString('en')} new held` : ''}</span> : null}
          {!paused && followingShown ? <span className="faint">following live</span> : null}
          {!paused && !followingShown && visible.length > 0 ? (
            <button
              type="button"
              className="button small follow-live"
              onClick={() => {
                setFollowing(true);
                virtualizer.scrollToIndex(visible.length - 1, { align: 'end' });
              }}
            >
              Follow live
            </button>
          ) : null}
          <span className="spacer" />
          <button type="button" className="button small" onClick={clearLogView} disabled={lines.length === 0} title="Empty the list here (the service keeps its lines; Download saves what is shown and held)">
            Clear view
          </button>
        </div>
      </section>
      <LogAnnouncer reading={listFocused || paused} />
    </>
  );
}
