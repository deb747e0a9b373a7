/**
 * Ending a connection that was cut short. A stream whose write side had not finished when it was
 * aborted lost data on its way out, and the reader must be able to tell: a TCP socket is reset
 * (RST) instead of closed with a FIN that reads as a whole response; any other stream (a Mux
 * session, a link end) is destroyed with the error, which it passes on as its own kind of abort
 * (End with Error). A stream that had finished writing is closed gracefully: what it queued
 * still reaches the peer.
 */
import net from 'node:net';
import type { Duplex } from 'node:stream';

export function abortStream(stream: Duplex, error?: Error): void {
  if (stream.destroyed) return;
  if (stream instanceof net.Socket && !stream.writableFinished) {
    try {
      stream.resetAndDestroy();
      return;
    } catch {
      // Not a TCP handle (a pipe): the plain close below is all there is.
    }
  }
  stream.destroy(error);
}
