/**
 * The CLI host's last-resort handlers for errors nothing else caught (`uncaughtException`,
 * `unhandledRejection`), for `porthole run` with or without the dashboard. Without them Node
 * prints a stack and exits: a portal out of file descriptors died that way, and every tunnel
 * through it with it (issue "Survival II").
 *
 * Two kinds, two answers:
 * - What the world causes (the system refused something: EMFILE, ENOMEM, a reset socket, a port
 *   taken; a failed dial nobody awaited) leaves the engine as it was. One line says where it came
 *   from, and the engine keeps running. Lines of one kind from one place are summarised, as the
 *   log summarises repeats (engine/app/log/repeats.ts).
 * - A programming error (TypeError, RangeError, ReferenceError…, BugError, a failed assertion)
 *   means an invariant broke somewhere nobody knows. The engine shares state between users (a
 *   Mux session carries many users' streams): carrying on could hand one connection's bytes to
 *   another, which a proxy must never do. So the line is followed by the stack, the engine stops
 *   as it would on SIGTERM, and the process exits with EXIT_BUG for a supervisor to restart it,
 *   as V2Ray exits on a panic. Input must not reach this: each connection's failures end that
 *   connection (style.md point 9), and the fuzz campaign looks for the ones that escape.
 */
import { RepeatSummariser, systemRepeatClock, type RepeatSummary } from '../../engine/app/log/repeats.js';
import { formatErrorLine } from '../../engine/common/errors.js';

/** Exit code after a programming error (EX_SOFTWARE in BSD's sysexits.h). */
export const EXIT_BUG = 70;

/** After a line, the same kind of error from the same place is counted this long, then reported with the count. */
export const REPEAT_QUIET_MS = 10_000;
/** Kinds of error counted apart; a handful in practice, the cap only keeps a runaway variety from growing the map. */
const REPEAT_MAX_KINDS = 100;

const PROGRAMMING_ERROR_TYPES = [TypeError, RangeError, ReferenceError, SyntaxError, EvalError, URIError];

/**
 * True for errors that say the code is wrong rather than the world: JavaScript's own error types,
 * `BugError` and failed assertions. A RangeError that only says memory ran out (a Buffer that
 * could not be allocated) is the world's.
 */
export function isProgrammingError(error: unknown): boolean {
  const { name, code, message } = (typeof error === 'object' && error !== null ? error : {}) as { name?: unknown; code?: unknown; message?: unknown };
  if (error instanceof RangeError && typeof message === 'string' && /allocation failed/i.test(message)) return false;
  return PROGRAMMING_ERROR_TYPES.some((type) => error instanceof type) || name === 'BugError' || code === 'ERR_ASSERTION';
}

/**
 * Where an error was thrown, for its line: the first stack frame in the engine
 * (`host/process/memory-tuning (sampleMemory)`), else the system call that failed, else the first frame.
 */
export function componentOf(error: unknown): string {
  const stack = error instanceof Error && typeof error.stack === 'string' ? error.stack : '';
  const frames = stack.split('\n').filter((line) => /^\s+at /.test(line));
  for (const frame of frames) {
    const engine = /^\s+at (?:(.+?) \()?.*\/src-core\/(.+?)\.[cm]?[jt]s:\d+:\d+\)?$/.exec(frame);
    if (engine) return engine[1] ? `${engine[2]} (${engine[1]})` : `${engine[2]}`;
  }
  const syscall = (error as { syscall?: unknown } | null | undefined)?.syscall;
  if (typeof syscall === 'string') return `system call ${syscall}`;
  const first = frames[0]?.trim().replace(/^at /, '');
  return first ?? 'an unknown place';
}

export interface LastResortOptions {
  /** Writes one line (stderr in the CLI); a programming error's line is followed by its stack. */
  report: (line: string) => void;
  /** A programming error arrived: stop the engine and exit with EXIT_BUG. Called once. */
  onBug: () => void;
  /** Milliseconds, for the repeat summaries (tests pass their own clock). */
  now?: () => number;
}

/** The line for errors of one kind that were counted: the latest of them, and how many. */
function repeatLine(summary: RepeatSummary<string>): string {
  const like = summary.overflow ? 'of other kinds' : 'like it';
  return `${summary.latest}; still running (${summary.count} more ${like} in the ${Math.round(summary.elapsedMs / 1000)} s before)`;
}

/** What the handlers do with one error; `what` says how it arrived ("uncaught error", "unhandled rejection"). */
export function createLastResortHandler(options: LastResortOptions): (what: string, error: unknown) => void {
  const { onBug, now = Date.now } = options;
  // A report that throws (stderr gone) must not turn the last resort into the crash.
  const report = (line: string) => {
    try {
      options.report(line);
    } catch {
      // Nowhere left to say it.
    }
  };
  // The log's summariser: the first line of a kind in full, the rest counted and reported once per interval.
  const repeats = new RepeatSummariser<string>({
    intervalMs: REPEAT_QUIET_MS,
    burst: 1,
    maxKeys: REPEAT_MAX_KINDS,
    clock: { now, schedule: systemRepeatClock.schedule },
    onSummary: (summary) => report(repeatLine(summary)),
  });
  let bugSeen = false;
  const handle = (what: string, error: unknown) => {
    const place = componentOf(error);
    const line = `porthole: ${what} in ${place}: ${formatErrorLine(error)}`;
    if (isProgrammingError(error)) {
      const stack = error instanceof Error && error.stack ? `\n${error.stack.split('\n').slice(1).join('\n')}` : '';
      report(`${line}; a bug, stopping${stack}`);
      if (!bugSeen) {
        bugSeen = true;
        onBug();
      }
      return;
    }
    const code = (error as { code?: unknown } | null | undefined)?.code;
    if (repeats.admit(`${what}|${place}|${typeof code === 'string' ? code : ''}`, line)) report(`${line}; still running`);
  };
  return handle;
}

/** Installs the handlers on `process`; returns the function that removes them. */
export function installLastResortHandlers(options: LastResortOptions): () => void {
  const handle = createLastResortHandler(options);
  const onException = (error: unknown) => handle('uncaught error', error);
  const onRejection = (reason: unknown) => handle('unhandled rejection', reason);
  process.on('uncaughtException', onException);
  process.on('unhandledRejection', onRejection);
  return () => {
    process.off('uncaughtException', onException);
    process.off('unhandledRejection', onRejection);
  };
}
