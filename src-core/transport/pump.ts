/**
 * Joins two duplex streams both ways with backpressure (`pipe` pauses the source when the
 * destination is full) and half-close (one side's EOF ends the other's write side only).
 * An error or an abort on either side destroys both, so nothing is left half-dead.
 */
import type { Duplex } from 'node:stream';

export interface PumpResult {
  /** Set when the pump ended by an error or abort rather than two clean EOFs. */
  error?: Error;
}

/** Pumps `a` ↔ `b` and resolves once both are closed. Never rejects. */
export function pumpBoth(a: Duplex, b: Duplex): Promise<PumpResult> {
  return new Promise((resolve) => {
    let failure: Error | undefined;
    let closed = 0;
    const fail = (error?: Error) => {
      failure ??= error ?? new Error('aborted');
      a.destroy();
      b.destroy();
    };
    const onClose = (stream: Duplex) => () => {
      // A stream that closes before both its halves finished was aborted: take the other down too.
      if (!(stream.readableEnded && stream.writableFinished)) fail(stream.errored ?? undefined);
      closed += 1;
      if (closed === 2) resolve(failure ? { error: failure } : {});
    };
    a.on('error', fail);
    b.on('error', fail);
    a.once('close', onClose(a));
    b.once('close', onClose(b));
    a.pipe(b);
    b.pipe(a);
  });
}
