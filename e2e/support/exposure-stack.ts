/**
 * What the exposure scenarios (issue 7/7) run against, all real and on loopback: the engine
 * service with its own folder served by the real dashboard (restartable on the same folder, to
 * check that exposures come back), small HTTP sites as the local services, a Porthole portal that
 * allows a range of public ports, the real `v2ray` run from a config the UI shows, and a GET that
 * never reuses a pooled connection (so a closed port really answers as closed).
 */
import http from 'node:http';
import net from 'node:net';
import { randomBytes } from 'node:crypto';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { exportV2RayConfig, type PortholeConfig } from '../../src-core/engine/config/index.js';
import { startDashboard, type Dashboard } from '../../src-core/host/dashboard/server.js';
import { createLocalEngineService, type LocalEngineService } from '../../src-core/host/service/local-engine-service.js';
import { freePorts, waitForPort } from '../../test/support/ports.js';
import { bridgeConfig, portalConfig, startPeer, type RunningPeer } from '../../test/support/reverse-pair.js';
import { startV2RayFile, v2rayTest, type V2RayProcess } from '../../test/support/v2ray.js';
import { RENDERER_FOLDER } from './stack.js';

const quiet = { write: () => {} };

export interface ServiceStack {
  readonly dashboard: Dashboard;
  readonly service: LocalEngineService;
  /** The service's folder (profiles and settings, exposures included). */
  readonly folder: string;
  /** Closes dashboard and service and starts both again on the same folder (a new token and port). */
  restart(): Promise<void>;
  stop(): Promise<void>;
}

async function serve(folder: string): Promise<{ service: LocalEngineService; dashboard: Dashboard }> {
  const service = await createLocalEngineService({
    profilesFolder: join(folder, 'profiles'),
    settingsFile: join(folder, 'settings.json'),
    logSinks: { error: quiet, access: quiet },
  });
  const dashboard = await startDashboard({ service, port: 0, staticFolder: RENDERER_FOLDER });
  return { service, dashboard };
}

/** The engine service with an empty folder (no profile: the one click uses the built-in portal). */
export async function startServiceStack(): Promise<ServiceStack> {
  const folder = mkdtempSync(join(tmpdir(), 'porthole-e2e-exposures-'));
  let current = await serve(folder);
  const close = async () => {
    await current.dashboard.close();
    await current.service.close();
  };
  return {
    get dashboard() { return current.dashboard; },
    get service() { return current.service; },
    folder,
    restart: async () => {
      await close();
      current = await serve(folder);
    },
    stop: async () => {
      await close();
      rmSync(folder, { recursive: true, force: true });
    },
  };
}

export interface TestSite {
  port: number;
  /** What every GET returns: an HTML page with this site's name and a random mark. */
  body: string;
  /** Requests served so far. */
  readonly requests: number;
  close(): Promise<void>;
}

/** A local web server on 127.0.0.1 (an ephemeral port) serving one recognisable page. */
export async function startTestSite(name: string): Promise<TestSite> {
  const mark = randomBytes(6).toString('hex');
  const body = `<!doctype html><html><head><title>${name}</title></head><body><h1>${name}</h1><p>served by the e2e test site ${mark}</p></body></html>\n`;
  let requests = 0;
  const sockets = new Set<net.Socket>();
  const server = http.createServer((_request, response) => {
    requests += 1;
    response.writeHead(200, { 'content-type': 'text/html; charset=utf-8', 'content-length': Buffer.byteLength(body), connection: 'close' });
    response.end(body);
  });
  server.on('connection', (socket: net.Socket) => {
    sockets.add(socket);
    socket.once('close', () => sockets.delete(socket));
  });
  const port = await new Promise<number>((resolve, reject) => {
    server.once('error', reject);
    server.listen(0, '127.0.0.1', () => {
      const address = server.address();
      resolve(typeof address === 'object' && address ? address.port : 0);
    });
  });
  return {
    port,
    body,
    get requests() { return requests; },
    close: () => new Promise<void>((resolve) => {
      for (const socket of sockets) socket.destroy();
      server.close(() => resolve());
    }),
  };
}

/** GET http://address/ on a fresh connection (no keep-alive pool); rejects on any failure or after `timeoutMs`. */
export function httpGet(address: string, timeoutMs = 5000): Promise<{ status: number; body: string }> {
  const url = new URL(`http://${address}/`);
  return new Promise((resolve, reject) => {
    const request = http.get({ host: url.hostname, port: Number(url.port), path: '/', agent: false, headers: { connection: 'close' }, timeout: timeoutMs }, (response) => {
      const chunks: Buffer[] = [];
      response.on('data', (chunk: Buffer) => chunks.push(chunk));
      response.once('end', () => resolve({ status: response.statusCode ?? 0, body: Buffer.concat(chunks).toString('utf8') }));
      response.once('error', reject);
    });
    request.once('timeout', () => request.destroy(new Error(`GET ${address}: no answer in ${timeoutMs} ms`)));
    request.once('error', reject);
  });
}

/** Retries `httpGet` until it answers 200 (links come up, a listener opens), for at most `withinMs`. */
export async function httpGetEventually(address: string, withinMs = 15_000): Promise<string> {
  const deadline = Date.now() + withinMs;
  let last: unknown;
  for (;;) {
    try {
      const answer = await httpGet(address, 3000);
      if (answer.status === 200) return answer.body;
      last = new Error(`status ${answer.status}`);
    } catch (error) {
      last = error;
    }
    if (Date.now() > deadline) throw new Error(`GET ${address} did not work within ${withinMs} ms: ${String(last)}`);
    await new Promise((resolve) => setTimeout(resolve, 200));
  }
}

/** True when nothing accepts a connection at address (a closed public port). */
export function refusesConnections(address: string): Promise<boolean> {
  const url = new URL(`http://${address}/`);
  return new Promise((resolve) => {
    const socket = net.connect({ host: url.hostname, port: Number(url.port) });
    socket.setTimeout(2000, () => { socket.destroy(); resolve(false); });
    socket.once('connect', () => { socket.destroy(); resolve(false); });
    socket.once('error', () => resolve(true));
  });
}

async function isFree(port: number): Promise<boolean> {
  return new Promise((resolve) => {
    const server = net.createServer();
    server.once('error', () => resolve(false));
    server.listen(port, '127.0.0.1', () => server.close(() => resolve(true)));
  });
}

/** `count` consecutive ports that were free a moment ago (for a portal's allowed range). */
export async function freeRange(count: number): Promise<{ from: number; to: number }> {
  for (let attempt = 0; attempt < 50; attempt += 1) {
    const from = 30_000 + Math.floor(Math.random() * 9_000);
    let free = true;
    for (let port = from; port < from + count && free; port += 1) free = await isFree(port);
    if (free) return { from, to: from + count - 1 };
  }
  throw new Error(`no ${count} consecutive free ports found`);
}

type Mutable<T> = { -readonly [K in keyof T]: Mutable<T[K]> };

export interface PortholePortal {
  peer: RunningPeer;
  linkPort: number;
  /** The public ports its owner allows bridges to ask for. */
  range: { from: number; to: number };
  /** A bridge profile pointing at this portal, as a user would paste it. */
  bridgeText: string;
  stop(): Promise<void>;
}

/**
 * A Porthole portal (the documented pair's portal, in this process) whose `reverse.portals[0]`
 * carries the Porthole-only `exposures` field: public ports from `range`, on 127.0.0.1.
 */
export async function startPortholePortal(rangeSize = 11): Promise<PortholePortal> {
  const range = await freeRange(rangeSize);
  const [publicPort = 0, linkPort = 0] = await freePorts(2);
  const ports = { publicPort, linkPort, upstreamPort: 9 };
  const config = portalConfig(ports) as Mutable<PortholeConfig>;
  const portal = config.reverse.portals[0];
  if (!portal) throw new Error('the fixture portal has no reverse.portals[0]');
  portal.exposures = { ports: [range], listen: '127.0.0.1' };
  const peer = await startPeer('porthole', config);
  await waitForPort(linkPort);
  return { peer, linkPort, range, bridgeText: bridgeProfileText(linkPort, 'a Porthole portal'), stop: () => peer.stop() };
}

/** The documented bridge, dialing a portal at 127.0.0.1:`linkPort`, as profile text. */
export function bridgeProfileText(linkPort: number, what: string): string {
  const exported = exportV2RayConfig(bridgeConfig({ publicPort: 9, linkPort, upstreamPort: 9 }));
  return `// A bridge linking to ${what} on 127.0.0.1:${linkPort}.\n${JSON.stringify(exported, null, 2)}\n`;
}

/** The real `v2ray` running the config text Server setup showed, saved under the name it gave. */
export type V2RayPortal = V2RayProcess;

/** `v2ray -test -config FILE` on a text, as the user would check what Server setup gave them. */
export const v2rayTestText = v2rayTest;

/** Writes the text the UI showed to `fileName` and runs `v2ray -config fileName` with it, unchanged. */
export const runV2RayPortal = startV2RayFile;
