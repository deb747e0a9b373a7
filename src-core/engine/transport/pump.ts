/**
 * Joins two duplex streams both ways with backpressure (the source pauses while the destination
 * is full) and half-close (one side's EOF ends the other's write side only). An error or an abort
 * on either side aborts both (abort.ts: a socket cut short is reset), so nothing is left
 * half-dead and no cut stream reads as a whole one.
 *
 * Writes are coalesced: the destination is corked at the first chunk and uncorked in the same
 * event-loop turn's check phase (`setImmediate`), after every socket that was readable in this
 * turn has been read. So a burst of chunks (a socket read split into Mux frames, frames into
 * VMess chunks), and the frames of many streams that became readable together, leave as one
 * `writev` (for VMess: one chunk, one cipher) instead of one syscall each. Uncorking at
 * `nextTick` instead would flush after every single socket read.
 */
import type { Duplex, Readable, Writable } from 'node:stream';
import { abortStream } from './abort.js';

export interface PumpResult {
  /** Set when the pump ended by an error or abort rather than two clean EOFs. */
  error?: Error;
}

/**
 * Corked bytes that are flushed at once rather than at the end of the turn: a bulk transfer's
 * batch is already large, and holding it only grows buffers and backpressure churn (measured:
 * about 15% more CPU per GiB), while small writes (request/response traffic) still coalesce.
 */
export const COALESCE_FLUSH_BYTES = 32 * 1024;

/** `source.pipe(destination)`, with writes of one event-loop turn coalesced. */
export function pipeCoalesced(source: Readable, destination: Writable): void {
  let corked = false;
  const uncork = () => {
    if (!corked) return;
    corked = false;
    destination.uncork();
  };
  const resume = () => source.resume();
  source.on('data', (chunk: Buffer) => {
    if (destination.destroyed) return;
    if (!corked) {
      corked = true;
      destination.cork();
      setImmediate(uncork);
    }
    const accepted = destination.write(chunk);
    if (destination.writableLength >= COALESCE_FLUSH_BYTES) uncork();
    if (!accepted) {
      source.pause();
      destination.once('drain', resume);
    }
  });
  const ended = () => {
    if (!destination.destroyed && !destination.writableEnded) destination.end();
  };
  // A source that ended before its pump started (an empty socket whose client sent only FIN, read
  // before anyone listened) emits no 'end' again.
  if (source.readableEnded) ended();
  else source.once('end', ended);
}

/** Pumps `a` ↔ `b` and resolves once both are closed. Never rejects. */
export function pumpBoth(a: Duplex, b: Duplex): Promise<PumpResult> {
  return new Promise((resolve) => {
    let failure: Error | undefined;
    let closed = 0;
    const fail = (error?: Error) => {
      failure ??= error ?? new Error('aborted');
      abortStream(a, failure);
      abortStream(b, failure);
    };
    const onClose = (stream: Duplex) => () => {
      // A stream that closes before both its halves finished was aborted: take the other down too.
      if (!(stream.readableEnded && stream.writableFinished)) fail(stream.errored ?? undefined);
      closed += 1;
      if (closed === 2) resolve(failure ? { error: failure } : {});
    };
    a.on('error', fail);
    b.on('error', fail);
    // A stream that is already closed emits no 'close' again (e.g. a link end destroyed while the
    // other side was still dialling): count it now, and take the other down with it.
    for (const stream of [a, b]) {
      if (stream.closed) process.nextTick(onClose(stream));
      else stream.once('close', onClose(stream));
    }
    pipeCoalesced(a, b);
    pipeCoalesced(b, a);
  });
}
