/**
 * The composition root (V2Ray's `core.Instance`): builds every feature and handler from the typed
 * config, starts them in order (outbounds and portals, inbounds, then bridges) and closes them in
 * reverse. One instance may be a bridge, a portal, or both.
 */
import { createWriteStream, type WriteStream } from 'node:fs';
import { closeAll } from './common/disposable.js';
import type { PortholeConfig, LogTarget } from './config/index.js';
import { DefaultDispatcher } from './app/dispatcher/default-dispatcher.js';
import { IdleWatch } from './app/dispatcher/idle-watch.js';
import { DefaultLogger, type LogSink } from './app/log/logger.js';
import { DefaultOutboundManager } from './app/outbound-manager.js';
import { DefaultPolicyManager } from './app/policy/default-policy.js';
import { Bridge } from './app/reverse/bridge.js';
import { Portal } from './app/reverse/portal.js';
import { DefaultRouter } from './app/router/default-router.js';
import { DefaultConnectionStats } from './app/stats/connection-stats.js';
import type { InboundHandler } from './features/inbound.js';
import { forComponent } from './features/log.js';
import { createInboundHandlers, createOutboundHandler } from './registry.js';

export interface InstanceOptions {
  /** Overrides where log lines go (tests capture them); default: what `log` in the config says. */
  logSinks?: { error?: LogSink; access?: LogSink };
}

const consoleSink: LogSink = { write: (line) => process.stdout.write(`${line}\n`) };

function sinkFor(target: LogTarget, files: WriteStream[]): LogSink | undefined {
  if (target.type === 'none') return undefined;
  if (target.type === 'console') return consoleSink;
  const stream = createWriteStream(target.path, { flags: 'a' });
  files.push(stream);
  return { write: (line) => stream.write(`${line}\n`) };
}

export class Instance {
  readonly logger: DefaultLogger;
  readonly stats = new DefaultConnectionStats();
  readonly outbounds = new DefaultOutboundManager();
  readonly inbounds: InboundHandler[];
  readonly portals: Portal[];
  readonly bridges: Bridge[];
  private readonly idleWatch = new IdleWatch();
  private readonly logFiles: WriteStream[] = [];
  private started = false;

  constructor(readonly config: PortholeConfig, options: InstanceOptions = {}) {
    const level = config.log.level;
    this.logger = new DefaultLogger({
      level,
      ...optional('errorSink', options.logSinks?.error ?? sinkFor(config.log.error, this.logFiles)),
      ...optional('accessSink', level === 'none' ? undefined : (options.logSinks?.access ?? sinkFor(config.log.access, this.logFiles))),
    });
    const policies = new DefaultPolicyManager(config);
    const dispatcher = new DefaultDispatcher({
      router: new DefaultRouter(config.routing.rules),
      outbounds: this.outbounds,
      policies,
      stats: this.stats,
      idleWatch: this.idleWatch,
      log: forComponent(this.logger, 'app/dispatcher'),
    });
    const features = { dispatcher, policies, logger: this.logger };
    const bufferBytes = policies.forLevel(0).bufferBytes;

    for (const outbound of config.outbounds) this.outbounds.addHandler(createOutboundHandler(outbound, features));
    // Portals are outbounds too, added after the configured ones (so never the default unless alone).
    this.portals = config.reverse.portals.map((portal) => new Portal({
      tag: portal.tag,
      domain: portal.domain,
      streamBufferBytes: bufferBytes,
      log: forComponent(this.logger, 'app/reverse/portal'),
    }));
    for (const portal of this.portals) this.outbounds.addHandler(portal);
    this.inbounds = config.inbounds.flatMap((inbound) => createInboundHandlers(inbound, features));
    this.bridges = config.reverse.bridges.map((bridge) => new Bridge({
      tag: bridge.tag,
      domain: bridge.domain,
      dispatcher,
      streamBufferBytes: bufferBytes,
      log: forComponent(this.logger, 'app/reverse/bridge'),
    }));
  }

  /** Starts listening and dialling. On failure, whatever started is closed again. */
  async start(): Promise<void> {
    if (this.started) return;
    this.started = true;
    try {
      for (const inbound of this.inbounds) await inbound.start();
      for (const bridge of this.bridges) await bridge.start();
    } catch (error) {
      await this.close().catch(() => {});
      throw error;
    }
  }

  async close(): Promise<void> {
    await closeAll(this.bridges);
    await closeAll(this.inbounds);
    await this.outbounds.close();
    this.idleWatch.dispose();
    await Promise.all(this.logFiles.map((stream) => new Promise<void>((resolve) => stream.end(resolve))));
  }

  /** Where the inbound tagged `tag` listens (the first port of its range). */
  inboundAddress(tag: string): { host: string; port: number } | undefined {
    return this.inbounds.find((inbound) => inbound.tag === tag)?.address();
  }
}

function optional<K extends string, V>(key: K, value: V | undefined): { [P in K]?: V } {
  return (value === undefined ? {} : { [key]: value }) as { [P in K]?: V };
}
