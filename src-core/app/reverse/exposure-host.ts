/**
 * The portal's side of one-click exposures: Porthole bridges ask (over the control session, see
 * `exposure-wire.ts`) for a public port for one of their local services; the host opens it from
 * the range the portal's owner allows, sends what arrives there to the portal (as a dokodemo-door
 * inbound whose connections skip routing), and closes it when the bridge withdraws the exposure or
 * when no link that asked for it is left (after a grace period, so a reconnecting bridge keeps its
 * port).
 */
import { formatErrorLine, type ErrorCode, type PortholeError } from '../../common/errors.js';
import type { PortalExposuresConfig, PortRange } from '../../config/index.js';
import type { Dispatcher } from '../../features/dispatcher.js';
import type { ComponentLogger } from '../../features/log.js';
import { DokodemoInbound } from '../../proxy/dokodemo/inbound.js';
import { parseAddress } from '../../common/net.js';
import type { ExposeRequest, ExposureReply } from './exposure-wire.js';
import { exposureTag } from '../../api/exposure-tag.js';

/** How long a public port stays open after the last link that asked for it is gone. */
export const EXPOSURE_GRACE_MS = 15_000;
/** Ports tried when the bridge lets the portal pick one. */
const MAX_PICK_ATTEMPTS = 200;

/** One bridge link that asked for exposures; replies go back through it. */
export interface ExposureHolder {
  reply(reply: ExposureReply): void;
}

export interface ExposureHostOptions {
  /** The portal's `exposures` config; undefined: every request is refused, saying how to allow it. */
  config: PortalExposuresConfig | undefined;
  portalTag: string;
  dispatcher: Dispatcher;
  log: ComponentLogger;
  /** Log for the public listeners (as the dokodemo-door inbound logs). */
  inboundLog: ComponentLogger;
  graceMs?: number;
}

interface HostedExposure {
  request: ExposeRequest;
  port: number;
  inbound: DokodemoInbound;
  holders: Set<ExposureHolder>;
  grace: ReturnType<typeof setTimeout> | undefined;
}

export class ExposureHost {
  private readonly hosted = new Map<string, HostedExposure>();
  private queue: Promise<void> = Promise.resolve();
  private closed = false;

  constructor(private readonly options: ExposureHostOptions) {}

  /** Public ports open now, by exposure id (for the UI and tests). */
  get openPorts(): { id: string; name: string; port: number; local: string }[] {
    return [...this.hosted].map(([id, hosted]) => ({ id, name: hosted.request.name, port: hosted.port, local: `${hosted.request.localHost}:${hosted.request.localPort}` }));
  }

  /** Opens (or confirms) the public port for `request`; always answers through `holder`. */
  expose(holder: ExposureHolder, request: ExposeRequest): Promise<void> {
    return this.serial(async () => {
      const reply = await this.exposeNow(holder, request);
      holder.reply(reply);
    });
  }

  /** The bridge withdrew the exposure: its port closes now. */
  unexpose(holder: ExposureHolder, id: string): Promise<void> {
    return this.serial(async () => {
      const hosted = this.hosted.get(id);
      if (!hosted || !hosted.holders.has(holder)) return;
      await this.remove(id, 'withdrawn by the bridge');
    });
  }

  /** A link closed: exposures no other link holds close after the grace period. */
  holderGone(holder: ExposureHolder): void {
    for (const [id, hosted] of this.hosted) {
      if (!hosted.holders.delete(holder) || hosted.holders.size > 0 || hosted.grace) continue;
      const graceMs = this.options.graceMs ?? EXPOSURE_GRACE_MS;
      hosted.grace = setTimeout(() => {
        void this.serial(async () => {
          if (this.hosted.get(id) === hosted && hosted.holders.size === 0) await this.remove(id, 'the bridge is gone');
        });
      }, graceMs);
      hosted.grace.unref();
    }
  }

  async close(): Promise<void> {
    this.closed = true;
    await this.serial(async () => {
      for (const id of [...this.hosted.keys()]) await this.remove(id, 'the portal stops');
    });
  }

  /** One request at a time: two bridges asking for the same port cannot both get it. */
  private serial(task: () => Promise<void>): Promise<void> {
    const run = this.queue.then(task, task).catch((error: unknown) => {
      this.options.log.warning(`exposure request failed: ${formatErrorLine(error)}`);
    });
    this.queue = run;
    return run;
  }

  private async exposeNow(holder: ExposureHolder, request: ExposeRequest): Promise<ExposureReply> {
    const { config } = this.options;
    const refuse = (errorCode: ErrorCode, error: string): ExposureReply => {
      this.options.log.warning(`refused to expose "${request.name}" (${request.id}): ${error}`);
      return { id: request.id, publicPort: 0, errorCode, error };
    };
    if (this.closed) return refuse('PH_EXPOSE_NOT_ALLOWED', 'the portal is stopping');
    if (!config) {
      return refuse('PH_EXPOSE_NOT_ALLOWED', `this portal allows no exposures: its owner can add "exposures": {"ports": "20000-20099"} to reverse.portals "${this.options.portalTag}"`);
    }
    const existing = this.hosted.get(request.id);
    if (existing) {
      const same = existing.request.localHost === request.localHost && existing.request.localPort === request.localPort
        && (request.publicPort === 0 || request.publicPort === existing.port);
      if (same) {
        existing.holders.add(holder);
        if (existing.grace) clearTimeout(existing.grace);
        existing.grace = undefined;
        existing.request = request;
        return this.liveReply(request.id, existing.port);
      }
      await this.remove(request.id, 'changed by the bridge');
    }
    if (request.publicPort !== 0) {
      if (!inRanges(config.ports, request.publicPort)) {
        return refuse('PH_EXPOSE_OUT_OF_RANGE', `public port ${request.publicPort} is outside the range this portal allows (${describeRanges(config.ports)})`);
      }
      const owner = this.ownerOf(request.publicPort);
      if (owner) return refuse('PH_EXPOSE_PORT_TAKEN', `public port ${request.publicPort} is already taken by exposure "${owner.request.name}"`);
      try {
        return this.listening(holder, request, await this.listen(request, request.publicPort));
      } catch (error) {
        return refuse('PH_EXPOSE_PORT_TAKEN', listenFailure(request.publicPort, error));
      }
    }
    let attempts = 0;
    for (const port of portsOf(config.ports)) {
      if (this.ownerOf(port)) continue;
      if (++attempts > MAX_PICK_ATTEMPTS) break;
      try {
        return this.listening(holder, request, await this.listen(request, port));
      } catch {
        // In use by another program: try the next one.
      }
    }
    return refuse('PH_EXPOSE_PORT_TAKEN', `no free public port left in ${describeRanges(config.ports)}`);
  }

  private listening(holder: ExposureHolder, request: ExposeRequest, hosted: HostedExposure): ExposureReply {
    hosted.holders.add(holder);
    this.hosted.set(request.id, hosted);
    const listen = this.options.config?.listen ?? '0.0.0.0';
    this.options.log.info(`exposure "${request.name}" (${request.id}) is public on ${listen}:${hosted.port} → bridge's ${request.localHost}:${request.localPort}`);
    return this.liveReply(request.id, hosted.port);
  }

  private liveReply(id: string, port: number): ExposureReply {
    const publicHost = this.options.config?.publicHost;
    return { id, publicPort: port, ...(publicHost ? { publicHost } : {}) };
  }

  private async listen(request: ExposeRequest, port: number): Promise<HostedExposure> {
    const listen = this.options.config?.listen ?? '0.0.0.0';
    const local = parseAddress(request.localHost);
    const inbound = new DokodemoInbound(exposureTag(request.id), {
      listenHost: listen === '0.0.0.0' ? '::' : listen,
      listenPort: port,
      // The bridge recognises its exposure by this target (the local address it asked for).
      target: { network: 'tcp', address: local, port: request.localPort },
      level: 0,
      acceptsTcp: true,
      outboundTag: this.options.portalTag,
    }, this.options.dispatcher, this.options.inboundLog);
    await inbound.start();
    return { request, port, inbound, holders: new Set(), grace: undefined };
  }

  private ownerOf(port: number): HostedExposure | undefined {
    for (const hosted of this.hosted.values()) if (hosted.port === port) return hosted;
    return undefined;
  }

  private async remove(id: string, why: string): Promise<void> {
    const hosted = this.hosted.get(id);
    if (!hosted) return;
    this.hosted.delete(id);
    if (hosted.grace) clearTimeout(hosted.grace);
    await hosted.inbound.close();
    this.options.log.info(`exposure "${hosted.request.name}" (${id}) closed public port ${hosted.port}: ${why}`);
  }
}

function inRanges(ranges: readonly PortRange[], port: number): boolean {
  return ranges.some((range) => port >= range.from && port <= range.to);
}

function* portsOf(ranges: readonly PortRange[]): Generator<number> {
  for (const range of ranges) for (let port = range.from; port <= range.to; port += 1) yield port;
}

function describeRanges(ranges: readonly PortRange[]): string {
  return ranges.map((range) => (range.from === range.to ? `${range.from}` : `${range.from}-${range.to}`)).join(', ');
}

function listenFailure(port: number, error: unknown): string {
  const code = ((error as PortholeError).cause as { code?: string } | undefined)?.code;
  if (code === 'EADDRINUSE') return `public port ${port} is in use on the portal by another program`;
  if (code === 'EACCES') return `the portal may not listen on port ${port} (ports below 1024 need privileges)`;
  return `the portal cannot listen on port ${port}: ${formatErrorLine(error)}`;
}
