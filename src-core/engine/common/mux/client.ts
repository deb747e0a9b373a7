/**
 * The Mux.Cool client: the side that opens sessions (V2Ray's `mux.ClientWorker`). In a reverse
 * proxy the portal is the client on each bridge link (wire doc §5.2).
 */
import type { Destination } from '../net.js';
import type { MuxFrame } from './frame.js';
import { MuxConnection } from './connection.js';
import { NewFrameDeferral } from './new-frame-deferral.js';
import type { Duplex } from 'node:stream';
import type { BoundSession } from './bound-session.js';
import type { MuxStream } from './stream.js';
import { toMuxTarget } from './target.js';

/**
 * How long a new session waits for its first payload so New and Data share a frame. 4.34 waits
 * 100 ms; server-speaks-first protocols (SSH, SMTP) pay that wait as latency, so Porthole waits less.
 */
export const FIRST_PAYLOAD_WAIT_MS = 20;

const MAX_SESSION_ID = 0xffff;

export class MuxClient extends MuxConnection {
  private lastId = 0;
  private opened = 0;
  private readonly deferral = new NewFrameDeferral(FIRST_PAYLOAD_WAIT_MS);

  constructor(...args: ConstructorParameters<typeof MuxConnection>) {
    super(...args);
    this.onDidClose(() => this.deferral.dispose());
  }

  /** Sessions ever opened on this link (4.34's portal drains a link past 256). */
  get sessionsOpened(): number {
    return this.opened;
  }

  /** Opens a session to `target`. New goes out with the first write, or bare after a short wait. */
  openStream(target: Destination, firstPayloadWaitMs = FIRST_PAYLOAD_WAIT_MS): MuxStream {
    const stream = this.createStream(this.allocateId(), target);
    this.opened += 1;
    stream.deferNew(toMuxTarget(target), firstPayloadWaitMs);
    return stream;
  }

  /**
   * Opens a byte session to `target` joined straight to `socket` (bound-session.ts): what
   * `pumpBoth(socket, openStream(target))` does, with less per connection. TCP targets only.
   */
  bindStream(target: Destination, socket: Duplex): BoundSession {
    const session = this.bindSession(this.allocateId(), target, socket);
    this.opened += 1;
    session.start(toMuxTarget(target), this.deferral);
    return session;
  }

  /** 4.34's client ignores New frames from the server (their data is discarded). */
  protected onNewFrame(_frame: MuxFrame): void {}

  /** IDs start at 1 and count up, wrapping past 65535 and skipping IDs still in use. */
  private allocateId(): number {
    for (let attempts = 0; attempts < MAX_SESSION_ID; attempts += 1) {
      this.lastId = this.lastId >= MAX_SESSION_ID ? 1 : this.lastId + 1;
      if (!this.streams.has(this.lastId)) return this.lastId;
    }
    throw new Error('mux: all 65535 session IDs are in use');
  }
}
