/**
 * A log file as a sink. Opened synchronously, as V2Ray opens its log files when it loads a config
 * (`common/log/logger.go` `CreateFileLogWriter`: append, create), so that a path that cannot be
 * opened fails right there with a catchable error, rather than as an 'error' event on a stream
 * that nobody listens to, after the engine said it had started.
 *
 * A write error later (disk full, device gone) is reported once through `onError` and the sink
 * drops its lines from then on: logging must never take the engine down. A reload opens the file
 * afresh.
 */
import { createWriteStream, openSync } from 'node:fs';
import type { LogSink } from './logger.js';

export interface FileSink extends LogSink {
  readonly path: string;
  /** Flushes and closes the file. Never rejects. */
  close(): Promise<void>;
}

/** Opens `path` for appending (created if missing). Throws the `open` error (ENOENT, EACCES, EISDIR, …). */
export function openFileSink(path: string, onError: (error: Error) => void): FileSink {
  const stream = createWriteStream(path, { fd: openSync(path, 'a') });
  let failed = false;
  stream.on('error', (error) => {
    if (failed) return;
    failed = true;
    onError(error);
  });
  return {
    path,
    write: (line) => {
      if (!failed) stream.write(`${line}\n`);
    },
    close: () => new Promise<void>((resolve) => {
      if (failed || stream.destroyed) resolve();
      else stream.end(() => resolve());
    }),
  };
}
