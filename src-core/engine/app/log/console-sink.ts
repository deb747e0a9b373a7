/**
 * Standard output as a log sink (an empty path in `log`: V2Ray's console). When stdout fails (a
 * closed pipe: `porthole run | head`), Node raises an 'error' on every later write; here the
 * first one is reported through `onError` and the lines are dropped from then on.
 */
import type { LogSink } from './logger.js';

let failed = false;
let watching = false;

/** The console sink. `onError` of the first call is the one told: stdout is one per process. */
export function consoleSink(onError: (error: Error) => void): LogSink {
  if (!watching) {
    watching = true;
    process.stdout.on('error', (error: Error) => {
      if (failed) return;
      failed = true;
      onError(error);
    });
  }
  return {
    write: (line) => {
      if (!failed) process.stdout.write(`${line}\n`);
    },
  };
}
