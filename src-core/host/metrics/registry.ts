/**
 * The Prometheus metrics of a running engine (docs/operations.md lists them). Every value is read
 * when scraped (collect callbacks over the engine's own counters), so nothing is done per packet.
 * Labels are bounded: tags from the config and exposures, exposure ids and names, a user's key
 * prefix, error kinds; never a visitor's address.
 */
import { Counter, Gauge, Registry, collectDefaultMetrics } from 'prom-client';
import { certificatesOf } from '../service/engine-report.js';
import type { Instance } from '../../engine/instance.js';
import { bridgeUserExposureOfTag, exposureIdOfTag } from '../api/exposure-tag.js';
import { HandshakeFailures } from './handshake-failures.js';

/** One of this side's exposures as the engine service reports it (with `--ui`). */
export interface ExposureRow {
  id: string;
  name: string;
  state: string;
}

export interface MetricsSource {
  /** The running engine, if any (with `--ui` the service may start another). */
  instance(): Instance | undefined;
  /** This side's own exposures and their states; absent headless (a headless bridge carries none). */
  exposures?(): Promise<readonly ExposureRow[]> | readonly ExposureRow[];
}

export interface EngineMetrics {
  registry: Registry;
  /** The text exposition of every metric. */
  scrape(): Promise<string>;
  close(): void;
}

/** A bridge user's key prefix: enough to tell users apart, short enough to read. */
const USER_PREFIX_LENGTH = 12;

/** Labels telling which exposure and user a tag carries ('' for other tags). */
function tagLabels(tag: string): { exposure: string; user: string } {
  const own = exposureIdOfTag(tag);
  if (own !== null) return { exposure: own, user: '' };
  const hosted = bridgeUserExposureOfTag(tag);
  if (hosted) return { exposure: hosted.id, user: hosted.owner.slice(0, USER_PREFIX_LENGTH) };
  return { exposure: '', user: '' };
}

/**
 * Counters never go down between scrapes of one engine: an open connection's upload count can step
 * back once (it moves from bytes read to bytes written to the service), so the highest is kept.
 * A new engine starts again from zero, which Prometheus reads as a counter reset.
 */
class HighWater {
  private readonly seen = new Map<string, number>();
  private engine: Instance | undefined;

  forEngine(instance: Instance | undefined): void {
    if (instance !== this.engine) this.seen.clear();
    this.engine = instance;
  }

  value(key: string, value: number): number {
    const kept = Math.max(this.seen.get(key) ?? 0, value);
    this.seen.set(key, kept);
    return kept;
  }
}

export function createEngineMetrics(source: MetricsSource): EngineMetrics {
  const registry = new Registry();
  collectDefaultMetrics({ register: registry });
  const failures = new HandshakeFailures();
  failures.watch(source.instance()?.logger);
  const highWater = new HighWater();
  const trafficLabels = ['side', 'tag', 'exposure', 'user'] as const;

  /** Read once per scrape, before the collects that share it. */
  let totals: ReturnType<Instance['stats']['tagTotals']> = [];
  const readTotals = (): void => {
    const instance = source.instance();
    failures.watch(instance?.logger);
    highWater.forEngine(instance);
    totals = instance ? instance.stats.tagTotals() : [];
  };

  new Counter({
    name: 'porthole_traffic_bytes_total',
    help: 'Bytes carried per inbound or outbound tag since the engine started; direction "up" is towards the service, "down" towards the visitor',
    labelNames: [...trafficLabels, 'direction'],
    registers: [registry],
    collect() {
      this.reset();
      for (const total of totals) {
        const labels = { side: total.side, tag: total.tag, ...tagLabels(total.tag) };
        const key = `${total.side}\u0000${total.tag}`;
        this.inc({ ...labels, direction: 'up' }, highWater.value(`${key}\u0000up`, total.bytesUp));
        this.inc({ ...labels, direction: 'down' }, highWater.value(`${key}\u0000down`, total.bytesDown));
      }
    },
  });

  new Counter({
    name: 'porthole_connections_total',
    help: 'Connections per inbound or outbound tag since the engine started (tunnel links included)',
    labelNames: trafficLabels,
    registers: [registry],
    collect() {
      this.reset();
      for (const total of totals) this.inc({ side: total.side, tag: total.tag, ...tagLabels(total.tag) }, total.connections);
    },
  });

  new Gauge({
    name: 'porthole_connections_open',
    help: 'Connections open now per inbound or outbound tag',
    labelNames: trafficLabels,
    registers: [registry],
    collect() {
      this.reset();
      for (const total of totals) this.set({ side: total.side, tag: total.tag, ...tagLabels(total.tag) }, total.open);
    },
  });

  new Gauge({
    name: 'porthole_bridge_links',
    help: 'Live links from this bridge to its portal',
    labelNames: ['bridge'],
    registers: [registry],
    collect() {
      this.reset();
      const instance = source.instance();
      if (!instance) return;
      instance.bridges.forEach((bridge, index) => this.set({ bridge: instance.config.reverse.bridges[index]?.tag ?? '' }, bridge.activeLinks));
    },
  });

  new Gauge({
    name: 'porthole_portal_links',
    help: 'Links bridges hold to this portal',
    labelNames: ['portal'],
    registers: [registry],
    collect() {
      this.reset();
      for (const portal of source.instance()?.portals ?? []) this.set({ portal: portal.tag }, portal.linkCount);
    },
  });

  new Gauge({
    name: 'porthole_portal_streams_open',
    help: 'Visitor streams open over this portal\'s links',
    labelNames: ['portal'],
    registers: [registry],
    collect() {
      this.reset();
      for (const portal of source.instance()?.portals ?? []) this.set({ portal: portal.tag }, portal.linkLoads().reduce((sum, load) => sum + load, 0));
    },
  });

  new Counter({
    name: 'porthole_handshake_failures_total',
    help: 'Connections a VMess or VLESS inbound rejected, by reason (error code, timeout, transport for TLS/WebSocket, no_fallback)',
    labelNames: ['protocol', 'reason'],
    registers: [registry],
    collect() {
      failures.watch(source.instance()?.logger);
      this.reset();
      for (const failure of failures.list()) this.inc({ protocol: failure.protocol, reason: failure.reason }, failure.count);
    },
  });

  new Gauge({
    name: 'porthole_exposure_state',
    help: 'One series per exposure with value 1 and its state as a label: this side\'s own exposures (with --ui) and the public ports a portal holds for bridges (state "live")',
    labelNames: ['role', 'exposure', 'name', 'state', 'where'],
    registers: [registry],
    async collect() {
      const own = source.exposures ? await source.exposures() : [];
      this.reset();
      for (const row of own) this.set({ role: 'bridge', exposure: row.id, name: row.name, state: row.state, where: '' }, 1);
      const instance = source.instance();
      for (const portal of instance?.portals ?? []) {
        for (const open of instance?.publicPortsOf(portal) ?? []) {
          this.set({ role: 'portal', exposure: open.id, name: open.name, state: 'live', where: `${portal.tag}:${open.port}` }, 1);
        }
      }
    },
  });

  new Gauge({
    name: 'porthole_certificate_expiration_timestamp_seconds',
    help: 'When each certificate the engine gets itself through ACME (a TLS inbound\'s tlsSettings.acme) expires, in Unix seconds; 0 while none was issued. state: pending, issued or failed (a failed renewal keeps "issued" and the old expiry)',
    labelNames: ['inbound', 'name', 'state'],
    registers: [registry],
    collect() {
      this.reset();
      const instance = source.instance();
      for (const certificate of instance ? certificatesOf(instance) : []) {
        this.set({ inbound: certificate.inboundTag, name: certificate.name, state: certificate.state }, Math.floor((certificate.notAfter ?? 0) / 1000));
      }
    },
  });

  return {
    registry,
    scrape: () => {
      readTotals();
      return registry.metrics();
    },
    close: () => {
      failures.close();
      registry.clear();
    },
  };
}
