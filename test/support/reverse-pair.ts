/**
 * The reverse-proxy pair of V2Ray's documentation (src-core/engine/config/fixtures/{portal,bridge}.json)
 * with loopback ports, run as Porthole (in this process) or as the real `v2ray`, in any pairing.
 */
import { readFileSync } from 'node:fs';
import { exportV2RayConfig, loadConfig, type PortholeConfig } from '../../src-core/engine/config/index.js';
import { Instance } from '../../src-core/engine/instance.js';
import { freePorts, waitForPort } from './ports.js';
import { startV2Ray, startV2RayFile, startWithConfigFile, type V2RayProcess } from './v2ray.js';

export type Peer = 'porthole' | 'v2ray';

const fixtures = new URL('../../src-core/engine/config/fixtures/', import.meta.url);

function fixture(name: string): PortholeConfig {
  return loadConfig([{ name, text: readFileSync(new URL(name, fixtures), 'utf8') }]);
}

type Mutable<T> = { -readonly [K in keyof T]: Mutable<T[K]> };

export interface PairPorts {
  publicPort: number;
  linkPort: number;
  upstreamPort: number;
}

/** The doc's portal with its public and link ports moved to loopback ephemeral ones. */
export function portalConfig(ports: PairPorts): PortholeConfig {
  const config = structuredClone(fixture('portal.json')) as Mutable<PortholeConfig>;
  for (const inbound of config.inbounds) {
    inbound.listen = '127.0.0.1';
    const port = inbound.tag === 'external' ? ports.publicPort : ports.linkPort;
    inbound.port = { from: port, to: port };
  }
  config.log = { access: { type: 'none' }, error: { type: 'console' }, level: 'warning' };
  return config;
}

/** The doc's bridge, pointed at the portal's link port and at the test upstream. */
export function bridgeConfig(ports: PairPorts): PortholeConfig {
  const config = structuredClone(fixture('bridge.json')) as Mutable<PortholeConfig>;
  for (const outbound of config.outbounds) {
    if (outbound.protocol === 'freedom') outbound.settings.redirect = { address: '127.0.0.1', port: ports.upstreamPort };
    if (outbound.protocol === 'vmess') for (const server of outbound.settings.vnext) server.port = ports.linkPort;
  }
  config.log = { access: { type: 'none' }, error: { type: 'console' }, level: 'warning' };
  return config;
}

export interface RunningPeer {
  kind: Peer;
  /** Porthole's log lines (error and access log), for tests that check what was said. */
  logLines: string[];
  instance?: Instance;
  process?: V2RayProcess;
  stop(): Promise<void>;
}

/** Starts one side; Porthole logs are kept quiet, v2ray's are kept for failure messages. */
export async function startPeer(kind: Peer, config: PortholeConfig): Promise<RunningPeer> {
  if (kind === 'v2ray') {
    const process = startV2Ray(exportV2RayConfig(config));
    return { kind, process, logLines: [], stop: () => process.stop() };
  }
  const debug = process.env.PORTHOLE_TEST_LOG === '1';
  const logLines: string[] = [];
  const sink = {
    write: (line: string) => {
      logLines.push(line);
      if (debug) process.stderr.write(`[${kind}] ${line}\n`);
    },
  };
  // Only the error log is kept: the configs turn the access log off, and keeping a line per
  // connection here would grow this process's heap under load as if the engine leaked.
  const instance = new Instance(debug ? { ...config, log: { ...config.log, level: 'debug' } } : config, { logSinks: { error: sink } });
  await instance.start();
  return { kind, instance, logLines, stop: () => instance.close() };
}

const porthole = new URL('../../bin/porthole.js', import.meta.url).pathname;

/**
 * Starts one side as a process of its own (Porthole's CLI from `dist`, or the real `v2ray`), for
 * tests that signal it (SIGSTOP) or limit it (ulimit); `child` is the process.
 */
export function startPeerProcess(kind: Peer, config: PortholeConfig): V2RayProcess {
  const text = JSON.stringify(exportV2RayConfig(config), null, 2);
  if (kind === 'v2ray') return startV2RayFile('config.json', text);
  return startWithConfigFile((file) => [process.execPath, porthole, 'run', '-c', file], 'config.json', text);
}

export interface RunningPair {
  ports: PairPorts;
  portal: RunningPeer;
  bridge: RunningPeer;
  stop(): Promise<void>;
}

/** Starts portal and bridge and waits until the portal's public port answers. */
export async function startPair(portal: Peer, bridge: Peer, upstreamPort: number): Promise<RunningPair> {
  const [publicPort = 0, linkPort = 0] = await freePorts(2);
  const ports = { publicPort, linkPort, upstreamPort };
  const portalPeer = await startPeer(portal, portalConfig(ports));
  await waitForPort(linkPort);
  const bridgePeer = await startPeer(bridge, bridgeConfig(ports));
  await waitForPort(publicPort);
  return {
    ports,
    portal: portalPeer,
    bridge: bridgePeer,
    stop: async () => {
      await bridgePeer.stop();
      await portalPeer.stop();
    },
  };
}
