/**
 * Joins two duplex streams both ways with backpressure (the source pauses while the destination
 * is full) and half-close (one side's EOF ends the other's write side only). An error or an abort
 * on either side destroys both, so nothing is left half-dead.
 *
 * Writes are coalesced: the destination is corked at the first chunk and uncorked in the same
 * event-loop turn's check phase (`setImmediate`), after every socket that was readable in this
 * turn has been read. So a burst of chunks (a socket read split into Mux frames, frames into
 * VMess chunks), and the frames of many streams that became readable together, leave as one
 * `writev` (for VMess: one chunk, one cipher) instead of one syscall each. Uncorking at
 * `nextTick` instead would flush after every single socket read.
 */
import type { Duplex, Readable, Writable } from 'node:stream';
import { PortholeError } from '../common/errors.js';
import { LinkEnd } from './link.js';

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

export interface PipeOptions {
  /** Called with each chunk's size as it is handed to the destination. */
  count?: (bytes: number) => void;
  /** Called once the source ended (after the destination was told to end). */
  onEnd?: () => void;
}

/** `source.pipe(destination)`, with writes of one event-loop turn coalesced. */
export function pipeCoalesced(source: Readable, destination: Writable, options: PipeOptions = {}): void {
  const { count, onEnd } = options;
  let corked = false;
  const uncork = () => {
    if (!corked) return;
    corked = false;
    destination.uncork();
  };
  const resume = () => source.resume();
  source.on('data', (chunk: Buffer) => {
    if (destination.destroyed) return;
    count?.(chunk.length);
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
    onEnd?.();
  };
  // A source held before its pump started (pumpBoth at a link) may have ended already: a socket
  // whose client sent nothing but FIN emits 'end' without anyone reading.
  if (source.readableEnded) ended();
  else source.once('end', ended);
}

/**
 * Pumps `a` ↔ `b` and resolves once both are closed. Never rejects.
 *
 * When one of them is an untouched link end, the other stream waits there for the stream pumped
 * into the peer end, and the two are joined directly (link.ts explains why).
 */
export function pumpBoth(a: Duplex, b: Duplex): Promise<PumpResult> {
  const end = b instanceof LinkEnd ? b : a instanceof LinkEnd ? a : undefined;
  if (end && end.bypassable) {
    const stream = end === b ? a : b;
    // A stream already closed would wait at the end for a close event that never comes again.
    if (!(stream instanceof LinkEnd) && !stream.closed) return meetAtLink(end, stream);
  }
  return pumpStreams(a, b);
}

interface PumpSides {
  aToB?: PipeOptions;
  bToA?: PipeOptions;
}

function pumpStreams(a: Duplex, b: Duplex, sides: PumpSides = {}): Promise<PumpResult> {
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
    // A stream that is already closed emits no 'close' again (e.g. an end destroyed while its
    // stream waited at the link): count it now, and take the other down with it.
    for (const stream of [a, b]) {
      if (stream.closed) process.nextTick(onClose(stream));
      else stream.once('close', onClose(stream));
    }
    pipeCoalesced(a, b, sides.aToB);
    pipeCoalesced(b, a, sides.bToA);
  });
}

function abortedLink(): PortholeError {
  return new PortholeError('PH_CONNECTION_RESET', 'link: the other side closed', { severity: 'info' });
}

/**
 * Holds `stream` at `end` until the peer end gets its own stream (then joins the two directly) or
 * is used as a stream (then pumps through the link as usual). An abort on either side while it
 * waits takes the other down, as a running pump would.
 */
function meetAtLink(end: LinkEnd, stream: Duplex): Promise<PumpResult> {
  const waiting = end.peer.held as WaitingStream | undefined;
  if (waiting) {
    end.peer.held = undefined;
    waiting.stopWatching();
    return joinDirectly(end.peer, waiting.stream, end, stream).then((result) => {
      waiting.resolve(result);
      return result;
    });
  }
  return new Promise((resolve) => {
    const onStreamClose = () => {
      release();
      end.destroy(stream.errored ?? abortedLink());
      resolve({ error: stream.errored ?? abortedLink() });
    };
    const onEndClose = () => {
      release();
      stream.destroy();
      resolve({ error: end.errored ?? abortedLink() });
    };
    const release = () => {
      if (end.held === held) end.held = undefined;
      stream.off('close', onStreamClose);
      end.off('close', onEndClose);
    };
    const held: WaitingStream = {
      stream,
      resolve,
      stopWatching: release,
      pumpThroughEnd: () => {
        release();
        void pumpStreams(stream, end).then(resolve);
      },
    };
    end.held = held;
    stream.on('error', () => {});
    stream.once('close', onStreamClose);
    end.once('close', onEndClose);
  });
}

interface WaitingStream {
  stream: Duplex;
  resolve(result: PumpResult): void;
  stopWatching(): void;
  pumpThroughEnd(): void;
}

/**
 * Pumps `streamX` ↔ `streamY` directly, for the link whose ends are `endX` (where streamX was
 * brought) and `endY`. Bytes are counted as the ends would have counted them; each direction's EOF,
 * the close and aborts go through the link's state (link.ts), which the dispatcher watches. The
 * ends themselves stay as they are: driving them through end and close would cost more than the
 * whole join saves.
 */
function joinDirectly(endX: LinkEnd, streamX: Duplex, endY: LinkEnd, streamY: Duplex): Promise<PumpResult> {
  const state = endX.state;
  const abort = (error: Error) => {
    streamX.destroy(error);
    streamY.destroy(error);
  };
  state.join({ abort });
  // Ends never close on their own once joined: one that does was destroyed by someone, an abort.
  const onEndDestroyed = (end: LinkEnd) => () => abort(end.errored ?? abortedLink());
  endX.once('close', onEndDestroyed(endX));
  endY.once('close', onEndDestroyed(endY));
  return pumpStreams(streamX, streamY, {
    aToB: { count: endX.count, onEnd: () => state.joinedDirectionEnded(endX.isInbound) },
    bToA: { count: endY.count, onEnd: () => state.joinedDirectionEnded(endY.isInbound) },
  }).then((result) => {
    state.close();
    return result;
  });
}
