/**
 * Mux.Cool over VLESS, client side (V2Ray 4.34 `common/mux/client.go` as the outbound handler
 * uses it with `"mux": {"enabled": true}`): each connection becomes a session on a link that has
 * room (fewer than `concurrency` active sessions and fewer than 128 ever opened), or on a new
 * link dialled to `v1.mux.cool` (VLESS command 0x03). A link with no sessions for 16 s is closed.
 */
import { formatErrorLine } from '../../common/errors.js';
import { MuxClient } from '../../common/mux/client.js';
import type { Destination } from '../../common/net.js';
import type { Session } from '../../common/session.js';
import type { ComponentLogger } from '../../features/log.js';
import type { Link } from '../../transport/link.js';
import { pumpBoth } from '../../transport/pump.js';
import { MUX_COOL_DOMAIN } from './consts.js';
import type { VlessStream } from './stream.js';

/** 4.34's `ClientStrategy.MaxConnection`: sessions a link may ever carry. */
const MAX_SESSIONS_PER_LINK = 128;
/** 4.34's client worker checks every 16 s and closes a link without sessions. */
const IDLE_CHECK_MS = 16_000;
const MUX_TARGET: Destination = { network: 'tcp', address: { kind: 'domain', value: MUX_COOL_DOMAIN }, port: 9527 };

export interface VlessMuxPoolOptions {
  concurrency: number;
  streamBufferBytes: number;
  log: ComponentLogger;
  openLink(session: Session, target: Destination): Promise<VlessStream>;
}

interface PooledLink {
  client: MuxClient;
  idleTimer: NodeJS.Timeout;
}

export class VlessMuxPool {
  private readonly links = new Set<PooledLink>();
  /** A link being dialled, which waiting sessions share (4.34 dials one at a time too). */
  private dialling: Promise<PooledLink> | undefined;
  private closed = false;

  constructor(private readonly options: VlessMuxPoolOptions) {}

  process(session: Session, target: Destination, link: Link): void {
    void this.pick(session).then(
      (pooled) => {
        if (link.destroyed) return;
        const stream = pooled.client.openStream(target);
        void pumpBoth(stream, link);
      },
      (error: unknown) => link.destroy(error as Error),
    );
  }

  close(): void {
    this.closed = true;
    for (const pooled of [...this.links]) this.drop(pooled);
  }

  private async pick(session: Session): Promise<PooledLink> {
    for (;;) {
      for (const pooled of this.links) {
        const { client } = pooled;
        if (!client.closed && client.activeStreams < this.options.concurrency && client.sessionsOpened < MAX_SESSIONS_PER_LINK) return pooled;
      }
      this.dialling ??= this.dial(session).finally(() => { this.dialling = undefined; });
      const pooled = await this.dialling;
      if (!pooled.client.closed && pooled.client.activeStreams < this.options.concurrency) return pooled;
    }
  }

  private async dial(session: Session): Promise<PooledLink> {
    const stream = await this.options.openLink(session, MUX_TARGET);
    const log = {
      debug: (message: string) => this.options.log.debug(message),
      warning: (message: string) => this.options.log.warning(message),
    };
    const client = new MuxClient(stream, { streamBufferBytes: this.options.streamBufferBytes, log });
    const pooled: PooledLink = {
      client,
      idleTimer: setInterval(() => {
        if (client.activeStreams === 0) this.drop(pooled);
      }, IDLE_CHECK_MS),
    };
    pooled.idleTimer.unref();
    this.links.add(pooled);
    client.onDidClose((error) => {
      this.drop(pooled);
      if (error) this.options.log.debug(`mux link closed: ${formatErrorLine(error)}`);
    });
    if (this.closed) this.drop(pooled);
    return pooled;
  }

  private drop(pooled: PooledLink): void {
    clearInterval(pooled.idleTimer);
    if (!this.links.delete(pooled)) return;
    pooled.client.close();
  }
}
