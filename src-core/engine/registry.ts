/**
 * The protocols Porthole implements, in one explicit table (style.md point 3): typed config in,
 * handler out. Adding a protocol means adding a row here, not an import side effect.
 */
import { parseAddress } from './common/net.js';
import { resolveVmessSecurity, type InboundConfig, type InboundProtocol, type OutboundConfig, type OutboundProtocol } from './config/index.js';
import type { Dispatcher } from './features/dispatcher.js';
import type { InboundHandler, InboundUsersUpdate } from './features/inbound.js';
import { forComponent, type ComponentLogger, type Logger } from './features/log.js';
import type { OutboundHandler } from './features/outbound.js';
import type { PolicyManager } from './features/policy.js';
import { AcmeLinkCertificate } from './app/link-certificates/acme-link-certificate.js';
import type { ChallengePorts } from './app/link-certificates/challenge-ports.js';
import { BlackholeOutbound } from './proxy/blackhole/outbound.js';
import type { LiveServerCertificate } from './transport/internet/index.js';
import { nodeListenHost } from './transport/tcp.js';
import { DokodemoInbound } from './proxy/dokodemo/inbound.js';
import { FreedomOutbound } from './proxy/freedom/outbound.js';
import { HttpInbound } from './proxy/http/inbound.js';
import { SocksInbound } from './proxy/socks/inbound.js';
import { VlessInbound, type VlessInboundUser } from './proxy/vless/inbound.js';
import { VlessOutbound } from './proxy/vless/outbound.js';
import { VmessInbound, type VmessInboundUser } from './proxy/vmess/inbound.js';
import { VmessOutbound } from './proxy/vmess/outbound.js';


/** What handlers are built with (V2Ray's `RequireFeatures`). */
export interface HandlerFeatures {
  dispatcher: Dispatcher;
  policies: PolicyManager;
  logger: Logger;
  /** HTTP-01 listeners shared by the TLS inbounds that get their certificates through ACME. */
  challengePorts: ChallengePorts;
}

/** The certificate a TLS inbound gets through ACME (`tlsSettings.acme`), one for all its ports. */
function liveCertificate(config: InboundConfig, features: HandlerFeatures, log: ComponentLogger): { certificate?: LiveServerCertificate } {
  const tls = config.streamSettings?.tls;
  if (!tls?.acme || tls.serverName === undefined) return {};
  return { certificate: new AcmeLinkCertificate({ tag: config.tag ?? '', serverName: tls.serverName, host: nodeListenHost(config.listen), acme: tls.acme, challengePorts: features.challengePorts, log }) };
}

/** One handler per port of the inbound's port range, as V2Ray listens on each. */
function eachPort<T>(config: InboundConfig, build: (port: number) => T): T[] {
  const handlers: T[] = [];
  for (let port = config.port.from; port <= config.port.to; port += 1) handlers.push(build(port));
  return handlers;
}

type VmessInboundConfig = Extract<InboundConfig, { protocol: 'vmess' }>;
type VlessInboundConfig = Extract<InboundConfig, { protocol: 'vless' }>;

function vmessUsers(config: VmessInboundConfig): VmessInboundUser[] {
  return config.settings.clients.map((client) => ({ id: client.id, alterId: client.alterId, level: client.level, ...(client.email ? { email: client.email } : {}) }));
}

function vlessUsers(config: VlessInboundConfig): readonly VlessInboundUser[] {
  return config.settings.clients;
}

type InboundFactory<P extends InboundProtocol> = (config: Extract<InboundConfig, { protocol: P }>, features: HandlerFeatures, log: ComponentLogger) => InboundHandler[];
type OutboundFactory<P extends OutboundProtocol> = (config: Extract<OutboundConfig, { protocol: P }>, features: HandlerFeatures, log: ComponentLogger) => OutboundHandler;

const inboundFactories: { [P in InboundProtocol]: InboundFactory<P> } = {
  'dokodemo-door': (config, features, log) => eachPort(config, (port) => new DokodemoInbound(config.tag ?? '', {
    listenHost: nodeListenHost(config.listen),
    listenPort: port,
    ...(config.settings.address === undefined ? {} : { target: { network: 'tcp', address: parseAddress(config.settings.address), port: config.settings.port } }),
    level: config.settings.userLevel,
    acceptsTcp: config.settings.network.includes('tcp'),
    acceptsUdp: config.settings.network.includes('udp'),
  }, features.dispatcher, log)),
  vmess: (config, features, log) => {
    const certificate = liveCertificate(config, features, log);
    return eachPort(config, (port) => new VmessInbound(config.tag ?? '', {
      listenHost: nodeListenHost(config.listen),
      listenPort: port,
      users: vmessUsers(config),
      disableInsecureEncryption: config.settings.disableInsecureEncryption,
      ...(config.streamSettings ? { stream: config.streamSettings } : {}),
      ...certificate,
    }, features.dispatcher, features.policies, log));
  },
  vless: (config, features, log) => {
    const certificate = liveCertificate(config, features, log);
    return eachPort(config, (port) => new VlessInbound(config.tag ?? '', {
      listenHost: nodeListenHost(config.listen),
      listenPort: port,
      users: vlessUsers(config),
      fallbacks: config.settings.fallbacks,
      ...(config.streamSettings ? { stream: config.streamSettings } : {}),
      ...certificate,
    }, features.dispatcher, features.policies, log));
  },
  socks: (config, features, log) => eachPort(config, (port) => new SocksInbound(config.tag ?? '', {
    listenHost: nodeListenHost(config.listen),
    listenPort: port,
    gateway: config.listen,
    auth: config.settings.auth,
    accounts: new Map(config.settings.accounts.map((account) => [account.user, account.pass])),
    udp: config.settings.udp,
    ...(config.settings.ip !== undefined ? { udpAddress: config.settings.ip } : {}),
    timeout: config.settings.timeout,
    level: config.settings.userLevel,
    ...(config.streamSettings ? { stream: config.streamSettings } : {}),
  }, features.dispatcher, features.policies, log)),
  http: (config, features, log) => eachPort(config, (port) => new HttpInbound(config.tag ?? '', {
    listenHost: nodeListenHost(config.listen),
    listenPort: port,
    accounts: new Map(config.settings.accounts.map((account) => [account.user, account.pass])),
    allowTransparent: config.settings.allowTransparent,
    timeout: config.settings.timeout,
    level: config.settings.userLevel,
    ...(config.streamSettings ? { stream: config.streamSettings } : {}),
  }, features.dispatcher, features.policies, log)),
};

const outboundFactories: { [P in OutboundProtocol]: OutboundFactory<P> } = {
  freedom: (config, _features, log) => new FreedomOutbound(config.tag ?? '', {
    ...(config.settings.redirect?.address ? { redirectHost: config.settings.redirect.address } : {}),
    ...(config.settings.redirect?.port ? { redirectPort: config.settings.redirect.port } : {}),
  }, log),
  vmess: (config, features, log) => new VmessOutbound(config.tag ?? '', {
    servers: config.settings.vnext.map((server) => ({
      address: server.address,
      port: server.port,
      users: server.users.map((user) => ({ id: user.id, alterId: user.alterId, level: user.level, security: resolveVmessSecurity(user.security) })),
    })),
    ...(config.streamSettings ? { stream: config.streamSettings } : {}),
  }, features.policies, log),
  blackhole: (config) => new BlackholeOutbound(config.tag ?? '', { response: config.settings.response }),
  vless: (config, features, log) => new VlessOutbound(config.tag ?? '', {
    servers: config.settings.vnext,
    ...(config.mux?.enabled ? { muxConcurrency: config.mux.concurrency } : {}),
    ...(config.streamSettings ? { stream: config.streamSettings } : {}),
  }, features.policies, log),
};

export function createInboundHandlers(config: InboundConfig, features: HandlerFeatures): InboundHandler[] {
  const log = forComponent(features.logger, `proxy/${config.protocol}/inbound`);
  const factory = inboundFactories[config.protocol] as InboundFactory<InboundProtocol>;
  return factory(config as never, features, log);
}

/** How a reload changes a running inbound's users in place. */
interface InboundUserUpdater<P extends InboundProtocol> {
  /** Whether `handler` is one this protocol's factory made (and so can take users). */
  handles(handler: InboundHandler): boolean;
  update(config: Extract<InboundConfig, { protocol: P }>, handler: InboundHandler): InboundUsersUpdate;
}

/** The inbounds whose users a reload can change in place. */
const inboundUserUpdaters: { [P in InboundProtocol]?: InboundUserUpdater<P> } = {
  vmess: {
    handles: (handler) => handler instanceof VmessInbound,
    update: (config, handler) => (handler as VmessInbound).updateUsers(vmessUsers(config)),
  },
  vless: {
    handles: (handler) => handler instanceof VlessInbound,
    update: (config, handler) => (handler as VlessInbound).updateUsers(vlessUsers(config)),
  },
};

/** The inbound's config with its users left out: what must stay the same for a users-only change. */
function withoutUsers(config: InboundConfig): unknown {
  return 'clients' in config.settings ? { ...config, settings: { ...config.settings, clients: [] } } : config;
}

/**
 * True when `after` differs from `before` in its users only (`settings.clients` of a VMess or
 * VLESS inbound), everything else (listen, port, streamSettings, tag, fallbacks, sniffing…) being
 * identical: the running handlers can then take the users in place (`updateInboundUsers`), and
 * the connections of users who stay are kept. Compared as the reload compares parts, by JSON.
 */
export function differsOnlyInUsers(before: InboundConfig, after: InboundConfig): boolean {
  if (before.protocol !== after.protocol || !inboundUserUpdaters[before.protocol]) return false;
  if (JSON.stringify(before) === JSON.stringify(after)) return false;
  return JSON.stringify(withoutUsers(before)) === JSON.stringify(withoutUsers(after));
}

/**
 * Gives the running `handlers` of an inbound the users of `config` (one that `differsOnlyInUsers`
 * their own config), one update per handler (one per port); `undefined`, with nothing changed,
 * when some handler cannot take users in place.
 */
export function updateInboundUsers(config: InboundConfig, handlers: readonly InboundHandler[]): InboundUsersUpdate[] | undefined {
  const updater = inboundUserUpdaters[config.protocol] as InboundUserUpdater<InboundProtocol> | undefined;
  if (!updater || !handlers.every((handler) => updater.handles(handler))) return undefined;
  return handlers.map((handler) => updater.update(config as never, handler));
}

export function createOutboundHandler(config: OutboundConfig, features: HandlerFeatures): OutboundHandler {
  const log = forComponent(features.logger, `proxy/${config.protocol}/outbound`);
  const factory = outboundFactories[config.protocol] as OutboundFactory<OutboundProtocol>;
  return factory(config as never, features, log);
}
