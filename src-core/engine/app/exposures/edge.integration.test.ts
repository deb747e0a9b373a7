/**
 * The public edge end to end (docs/exposures.md, names): a Porthole portal whose
 * `exposures.names` gives `<label>.tunnel.test` on shared HTTP and HTTPS ports, certificates
 * ordered from Pebble (Let's Encrypt's test CA) validating HTTP-01 against that HTTP port, and
 * Porthole bridges of two VMess users asking for names over the control session. Visitors are
 * `curl --resolve`, node:https, `ws` and raw sockets on 127.0.0.1; the services are loopback
 * servers that say what they saw (headers, or the PROXY protocol header read by `proxy-protocol-js`).
 *
 * Skipped, saying why, only when pebble (or openssl) is absent; `.ci/run` installs it.
 */
import { execFile } from 'node:child_process';
import { existsSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import http from 'node:http';
import https from 'node:https';
import net from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import tls from 'node:tls';
import { promisify } from 'node:util';
import { ProxyProtocolIdentifier, ProxyProtocolVersion, V1ProxyProtocol, V2ProxyProtocol } from 'proxy-protocol-js';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import WebSocket, { WebSocketServer } from 'ws';
import { loadConfig } from '../../config/index.js';
import { Instance, type InstanceOptions } from '../../instance.js';
import { freePorts, waitForPort, waitUntil } from '../../../../test/support/ports.js';
import { createCertificateFolder, openSslAvailable } from '../../transport/internet/testdata/certs.js';
import { pebbleMissingReason, startPebble, type RunningPebble } from '../edge/certificates/testdata/pebble.js';
import type { ExposureSpec } from './exposure-agent.js';

const run = promisify(execFile);
const USER_A = '6d3c1a1e-0b4e-4a8e-9a55-3c1f5e0a00a1';
const USER_B = '6d3c1a1e-0b4e-4a8e-9a55-3c1f5e0a00b2';
const REVERSE_DOMAIN = 'reverse.porthole.test';
const DOMAIN = 'tunnel.test';
const TEN_YEARS_MS = 10 * 365 * 24 * 3600 * 1000;
/** Names ordered from Pebble in beforeAll. */
const LABELS = ['app', 'api', 'private', 'office'];
const missing = pebbleMissingReason();

/** What an HTTP service saw, as it answers. */
interface Seen {
  service: string;
  url: string;
  headers: http.IncomingHttpHeaders;
}

interface Running {
  port: number;
  close(): Promise<void>;
}

/** Answers every request with what it saw; WebSockets get each message back reversed. */
async function startHttpService(name: string): Promise<Running> {
  const server = http.createServer((req, res) => {
    const seen: Seen = { service: name, url: req.url ?? '/', headers: req.headers };
    res.writeHead(200, { 'Content-Type': 'application/json' });
    res.end(JSON.stringify(seen));
  });
  const wss = new WebSocketServer({ server });
  wss.on('connection', (socket, req) => {
    socket.send(`${name} sees ${String(req.headers['x-forwarded-for'])}`);
    socket.on('message', (data) => socket.send([...data.toString()].reverse().join('')));
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  return {
    port: (server.address() as net.AddressInfo).port,
    close: () => new Promise((resolve) => {
      for (const client of wss.clients) client.terminate();
      server.closeAllConnections();
      server.close(() => resolve());
    }),
  };
}

/**
 * A TCP service behind a PROXY protocol header: reads the header with `proxy-protocol-js`,
 * waits for the visitor's `ping`, and answers which visitor the header named.
 */
async function startProxyProtocolService(): Promise<Running> {
  const server = net.createServer((socket) => {
    let bytes = Buffer.alloc(0);
    socket.on('data', (chunk: Buffer) => {
      bytes = Buffer.concat([bytes, chunk]);
      if (!bytes.includes('ping')) return;
      socket.end(JSON.stringify(readProxyHeader(bytes)));
    });
    socket.on('error', () => undefined);
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  return { port: (server.address() as net.AddressInfo).port, close: () => new Promise((resolve) => server.close(() => resolve())) };
}

function readProxyHeader(bytes: Buffer): { version: number; address: string; port: number; data: string } {
  const version = ProxyProtocolIdentifier.identify(new Uint8Array(bytes));
  if (version === ProxyProtocolVersion.V1) {
    const parsed = V1ProxyProtocol.parse(bytes.toString('latin1'));
    return { version: 1, address: parsed.source.ipAddress, port: parsed.source.port, data: parsed.data ?? '' };
  }
  if (version === ProxyProtocolVersion.V2) {
    const parsed = V2ProxyProtocol.parse(new Uint8Array(bytes));
    const address = parsed.proxyAddress as unknown as { sourceAddress: { address: number[] }; sourcePort: number };
    return { version: 2, address: address.sourceAddress.address.join('.'), port: address.sourcePort, data: Buffer.from(parsed.data ?? new Uint8Array()).toString() };
  }
  return { version: 0, address: '', port: 0, data: bytes.toString('latin1') };
}

/** node:net lookup that sends every name to 127.0.0.1 (curl's --resolve for node clients). */
const toLoopback = ((_hostname: string, options: { all?: boolean }, callback: (...args: unknown[]) => void) => {
  if (options.all) callback(null, [{ address: '127.0.0.1', family: 4 }]);
  else callback(null, '127.0.0.1', 4);
}) as unknown as net.LookupFunction;

interface CurlAnswer {
  status: number;
  body: string;
  headers: string;
}

const state = {
  folder: '',
  rootFile: '',
  rootPem: '',
  pebble: undefined as RunningPebble | undefined,
  httpPort: 0,
  httpsPort: 0,
  linkPort: 0,
  exposurePorts: [] as number[],
  services: {} as Record<'app' | 'api' | 'proxied', Running>,
  portal: undefined as Instance | undefined,
  portalLog: [] as string[],
  bridgeA: undefined as Instance | undefined,
  bridgeB: undefined as Instance | undefined,
};

/** `curl --resolve <name>:<port>:127.0.0.1` trusting Pebble's root: status, body and headers. */
async function curl(name: string, path = '/', options: { scheme?: 'https' | 'http'; user?: string } = {}): Promise<CurlAnswer> {
  const scheme = options.scheme ?? 'https';
  const port = scheme === 'https' ? state.httpsPort : state.httpPort;
  const args = ['-sS', '--max-time', '10', '--resolve', `${name}:${port}:127.0.0.1`, '--cacert', state.rootFile, '-D', '-', '-w', '\n%{http_code}'];
  if (options.user) args.push('-u', options.user);
  args.push(`${scheme}://${name}:${port}${path}`);
  const { stdout } = await run('curl', args);
  const [head = '', ...rest] = stdout.split('\r\n\r\n');
  const tail = rest.join('\r\n\r\n');
  const cut = tail.lastIndexOf('\n');
  return { headers: head, body: tail.slice(0, cut), status: Number(tail.slice(cut + 1)) };
}

/** One node:https GET of `name` on the HTTPS port, verified against Pebble's root. */
function httpsGet(name: string, path = '/'): Promise<{ status: number; body: string; serial: string; authorized: boolean }> {
  return new Promise((resolve, reject) => {
    const req = https.get({ host: name, port: state.httpsPort, path, ca: state.rootPem, lookup: toLoopback, agent: false, timeout: 10_000 }, (res) => {
      const socket = res.socket as tls.TLSSocket;
      const serial = socket.getPeerCertificate().serialNumber;
      let body = '';
      res.setEncoding('utf8');
      res.on('data', (chunk: string) => { body += chunk; });
      res.on('end', () => resolve({ status: res.statusCode ?? 0, body, serial, authorized: socket.authorized }));
    });
    req.on('timeout', () => req.destroy(new Error(`GET https://${name}${path}: no answer in 10 s`)));
    req.on('error', reject);
  });
}

/** The serial of the certificate the HTTPS port serves for `name` (the chain verified against Pebble's root). */
function servedSerial(name: string): Promise<string> {
  return new Promise((resolve, reject) => {
    const socket = tls.connect({ host: '127.0.0.1', port: state.httpsPort, servername: name, ca: state.rootPem, ALPNProtocols: ['http/1.1'] }, () => {
      const serial = socket.getPeerCertificate().serialNumber;
      socket.end();
      resolve(serial);
    });
    socket.on('error', reject);
  });
}

function seen(answer: { body: string }): Seen {
  return JSON.parse(answer.body) as Seen;
}

function spec(id: string, localPort: number, extra: Partial<ExposureSpec> = {}): ExposureSpec {
  return { id, name: `service ${id}`, localHost: '127.0.0.1', localPort, publicPort: null, enabled: true, ...extra };
}

/** Bridge A's exposures: four names, two TCP ports behind PROXY headers. */
function exposuresOfA(officeAllow: string[] = ['10.0.0.0/8']): ExposureSpec[] {
  const { app, api, proxied } = state.services;
  return [
    spec('e-000000a1', app.port, { label: 'app' }),
    spec('e-000000a2', api.port, { label: 'API' }), // labels are case-insensitive
    spec('e-000000a3', app.port, { label: 'private', basicAuth: { user: 'ann', password: 's3cret:with colon' } }),
    spec('e-000000a4', app.port, { label: 'office', allow: officeAllow }),
    spec('e-000000a5', proxied.port, { proxyProtocol: 2 }),
    spec('e-000000a6', proxied.port, { proxyProtocol: 1 }),
  ];
}

async function startInstance(name: string, config: object, options: InstanceOptions = {}, lines: string[] = []): Promise<Instance> {
  const instance = new Instance(loadConfig([{ name, text: JSON.stringify(config) }]), {
    logSinks: { error: { write: (line: string) => { lines.push(line); if (process.env.PORTHOLE_TEST_LOG === '1') process.stderr.write(`[${name}] ${line}\n`); } } },
    ...options,
  });
  await instance.start();
  return instance;
}

/** The portal: two VMess users, exposures from a small range, names under tunnel.test with ACME from Pebble. */
async function startPortal(options: InstanceOptions = {}): Promise<Instance> {
  state.portalLog = [];
  const portal = await startInstance('portal.json', {
    log: { loglevel: 'info', access: 'none' },
    reverse: {
      portals: [{
        tag: 'portal', domain: REVERSE_DOMAIN,
        exposures: {
          ports: state.exposurePorts.map(String).join(','), listen: '127.0.0.1',
          names: {
            domain: DOMAIN, http: state.httpPort, https: state.httpsPort,
            acme: { directory: state.pebble?.directoryUrl, caFile: state.pebble?.httpsCaFile, storage: join(state.folder, 'acme') },
          },
        },
      }],
    },
    inbounds: [{ tag: 'interconn', listen: '127.0.0.1', port: state.linkPort, protocol: 'vmess', settings: { clients: [{ id: USER_A, email: 'alice@example.com' }, { id: USER_B }] } }],
    routing: { rules: [{ type: 'field', inboundTag: ['interconn'], outboundTag: 'portal' }] },
  }, options, state.portalLog);
  await waitForPort(state.linkPort);
  return portal;
}

function startBridge(name: string, user: string): Promise<Instance> {
  return startInstance(name, {
    log: { loglevel: 'warning', access: 'none' },
    reverse: { bridges: [{ tag: 'bridge', domain: REVERSE_DOMAIN }] },
    outbounds: [
      { tag: 'out', protocol: 'freedom', settings: { redirect: '127.0.0.1:9' } },
      { tag: 'interconn', protocol: 'vmess', settings: { vnext: [{ address: '127.0.0.1', port: state.linkPort, users: [{ id: user }] }] } },
    ],
    routing: { rules: [
      { type: 'field', inboundTag: ['bridge'], domain: [`full:${REVERSE_DOMAIN}`], outboundTag: 'interconn' },
      { type: 'field', inboundTag: ['bridge'], outboundTag: 'out' },
    ] },
  });
}

async function allLive(engine: Instance, ids: string[]): Promise<void> {
  for (const id of ids) {
    await waitUntil(() => engine.exposures.status(id).state === 'live', 15_000, `exposure ${id} live (now ${JSON.stringify(engine.exposures.status(id))})`);
  }
}

/** Waits until every name answers over HTTPS with a certificate Pebble's root verifies. */
async function namesServed(): Promise<void> {
  for (const label of LABELS) {
    await waitUntil(async () => {
      try {
        return (await curl(`${label}.${DOMAIN}`)).status > 0;
      } catch {
        return false;
      }
    }, 60_000, `a certificate for ${label}.${DOMAIN} (portal log:\n${state.portalLog.slice(-20).join('\n')})`);
  }
}

function rawAddress(id: string): number {
  return Number((state.bridgeA?.exposures.status(id).publicAddress ?? '').split(':')[1]);
}

/** Connects to a raw exposure port, says ping, and returns what the PROXY-protocol service answered, with this socket's own port. */
function askProxied(port: number): Promise<{ answer: ReturnType<typeof readProxyHeader>; localPort: number }> {
  return new Promise((resolve, reject) => {
    const socket = net.connect(port, '127.0.0.1');
    let text = '';
    let localPort = 0;
    socket.setTimeout(10_000, () => socket.destroy(new Error('no answer in 10 s')));
    socket.once('connect', () => { localPort = socket.localPort ?? 0; socket.write('ping'); });
    socket.on('data', (chunk: Buffer) => { text += chunk.toString(); });
    socket.on('error', reject);
    socket.on('close', () => {
      try {
        resolve({ answer: JSON.parse(text) as ReturnType<typeof readProxyHeader>, localPort });
      } catch {
        reject(new Error(`the service answered ${JSON.stringify(text)}`));
      }
    });
  });
}

describe.skipIf(missing !== undefined)(`the public edge with a Porthole portal and bridges${missing ? ` (skipped: ${missing})` : ''}`, () => {
  beforeAll(async () => {
    state.folder = mkdtempSync(join(tmpdir(), 'porthole-edge-'));
    [state.httpPort = 0, state.httpsPort = 0, state.linkPort = 0] = await freePorts(3);
    state.exposurePorts = await freePorts(8);
    state.pebble = await startPebble({ httpPort: state.httpPort });
    state.rootPem = await state.pebble.rootPem();
    state.rootFile = join(state.folder, 'pebble-root.pem');
    writeFileSync(state.rootFile, state.rootPem);
    state.services = { app: await startHttpService('app'), api: await startHttpService('api'), proxied: await startProxyProtocolService() };

    state.portal = await startPortal();
    state.bridgeA = await startBridge('bridge-a.json', USER_A);
    await state.bridgeA.setExposures(exposuresOfA());
    await allLive(state.bridgeA, exposuresOfA().map((exposure) => exposure.id));
    await namesServed();
  }, 120_000);

  afterAll(async () => {
    await state.bridgeB?.close();
    await state.bridgeA?.close();
    await state.portal?.close();
    await state.pebble?.stop();
    for (const service of Object.values(state.services)) await service.close();
    if (state.folder) rmSync(state.folder, { recursive: true, force: true });
  }, 60_000);

  it('gives each exposure its URL, and serves two names on one HTTPS port with certificates from Pebble (curl and node:https)', async () => {
    expect(state.bridgeA?.exposures.status('e-000000a1').urls).toEqual([`https://app.${DOMAIN}:${state.httpsPort}`]);
    expect(state.bridgeA?.exposures.status('e-000000a2').urls).toEqual([`https://api.${DOMAIN}:${state.httpsPort}`]);
    // A TCP exposure without a name has no URL.
    expect(state.bridgeA?.exposures.status('e-000000a5').urls).toEqual([]);

    const [app, api] = await Promise.all([curl(`app.${DOMAIN}`, '/one'), curl(`api.${DOMAIN}`, '/two')]);
    expect([app.status, seen(app).service, seen(app).url]).toEqual([200, 'app', '/one']);
    expect([api.status, seen(api).service, seen(api).url]).toEqual([200, 'api', '/two']);

    const [nodeApp, nodeApi] = await Promise.all([httpsGet(`app.${DOMAIN}`), httpsGet(`API.${DOMAIN}`)]);
    expect([nodeApp.authorized, nodeApp.status, seen(nodeApp).service]).toEqual([true, 200, 'app']);
    expect([nodeApi.authorized, nodeApi.status, seen(nodeApi).service]).toEqual([true, 200, 'api']);
    // One certificate per name.
    expect(nodeApp.serial).not.toBe(nodeApi.serial);
    // The names are served on the HTTP port too, redirected to HTTPS since they have certificates.
    const plain = await curl(`app.${DOMAIN}`, '/x?y=1', { scheme: 'http' });
    expect(plain.status).toBe(308);
    expect(plain.headers).toMatch(new RegExp(`\\r\\nlocation: https://app\\.${DOMAIN.replace('.', '\\.')}:${state.httpsPort}/x\\?y=1`, 'i'));
  });

  it('answers 404 for a name nobody holds, and has no certificate to offer it over HTTPS', async () => {
    const plain = await curl(`nobody.${DOMAIN}`, '/', { scheme: 'http' });
    expect(plain.status).toBe(404);
    expect(plain.body).not.toMatch(/app|api/);
    await expect(curl(`nobody.${DOMAIN}`)).rejects.toThrow();
  });

  it('enforces basic auth (401, then 200 with the credentials) and the allowlist (403, then 200 once the bridge widens it)', async () => {
    const anonymous = await curl(`private.${DOMAIN}`);
    expect(anonymous.status).toBe(401);
    expect(anonymous.headers).toMatch(/\r\nwww-authenticate: Basic/i);
    expect((await curl(`private.${DOMAIN}`, '/', { user: 'ann:wrong' })).status).toBe(401);
    const allowed = await curl(`private.${DOMAIN}`, '/', { user: 'ann:s3cret:with colon' });
    expect([allowed.status, seen(allowed).service]).toEqual([200, 'app']);
    // The credentials are the portal's gate, not the service's: they stop at the edge.
    expect(seen(allowed).headers.authorization).toBeUndefined();

    const denied = await curl(`office.${DOMAIN}`);
    expect(denied.status).toBe(403);
    expect(denied.body).not.toContain('app');
    const bridge = state.bridgeA!;
    await bridge.setExposures(exposuresOfA(['10.0.0.0/8', '127.0.0.0/8']));
    await waitUntil(async () => (await curl(`office.${DOMAIN}`)).status === 200, 10_000, 'the widened allowlist');
    await bridge.setExposures(exposuresOfA());
    await waitUntil(async () => (await curl(`office.${DOMAIN}`)).status === 403, 10_000, 'the narrowed allowlist');
  });

  it('tells the service the visitor\'s address: forwarding headers by name, PROXY v2 and v1 on raw TCP ports', async () => {
    // A visitor's own forwarding claims are dropped; the edge says who it is.
    const { stdout } = await run('curl', ['-sS', '--max-time', '10', '--resolve', `app.${DOMAIN}:${state.httpsPort}:127.0.0.1`, '--cacert', state.rootFile,
      '-H', 'X-Forwarded-For: 203.0.113.9', '-H', 'Forwarded: for=203.0.113.9', `https://app.${DOMAIN}:${state.httpsPort}/`]);
    const { headers } = JSON.parse(stdout) as Seen;
    expect(headers['x-forwarded-for']).toBe('127.0.0.1');
    expect(headers['x-forwarded-proto']).toBe('https');
    expect(headers.forwarded).toBe(`for=127.0.0.1;host="app.${DOMAIN}:${state.httpsPort}";proto=https`);

    for (const [id, version] of [['e-000000a5', 2], ['e-000000a6', 1]] as const) {
      const { answer, localPort } = await askProxied(rawAddress(id));
      expect(answer).toEqual({ version, address: '127.0.0.1', port: localPort, data: 'ping' });
    }
  });

  it('carries a WebSocket through a name', async () => {
    const socket = new WebSocket(`wss://app.${DOMAIN}:${state.httpsPort}/chat`, { ca: state.rootPem, lookup: toLoopback });
    const messages: string[] = [];
    socket.on('message', (data) => messages.push(data.toString()));
    await new Promise<void>((resolve, reject) => {
      socket.once('open', () => resolve());
      socket.once('error', reject);
    });
    socket.send('porthole');
    await waitUntil(() => messages.length >= 2, 10_000, 'the echo');
    expect(messages).toEqual(['app sees 127.0.0.1', 'elohtrop']);
    socket.close();
  });

  it('keeps answering one name while slowloris sockets dribble headers to another on the HTTPS and HTTP ports', async () => {
    const slow: net.Socket[] = [];
    const timers: ReturnType<typeof setInterval>[] = [];
    const head = `GET / HTTP/1.1\r\nHost: app.${DOMAIN}\r\nX-Slow: ${'z'.repeat(100)}`;
    const drip = (socket: net.Socket) => {
      let index = 0;
      socket.on('error', () => undefined);
      timers.push(setInterval(() => {
        if (!socket.destroyed && index < head.length) socket.write(head[index++] ?? '');
      }, 500));
    };
    try {
      for (let i = 0; i < 30; i += 1) {
        const secure = tls.connect({ host: '127.0.0.1', port: state.httpsPort, servername: `app.${DOMAIN}`, ca: state.rootPem, ALPNProtocols: ['http/1.1'] });
        secure.once('secureConnect', () => drip(secure));
        secure.on('error', () => undefined);
        slow.push(secure);
        const plain = net.connect(state.httpPort, '127.0.0.1');
        drip(plain);
        slow.push(plain);
      }
      await waitUntil(() => slow.every((socket) => !socket.connecting && (!(socket instanceof tls.TLSSocket) || socket.encrypted)), 10_000, 'the slow sockets to connect');
      for (let round = 0; round < 5; round += 1) {
        const [api, viaNode] = await Promise.all([curl(`api.${DOMAIN}`, `/round-${round}`), httpsGet(`api.${DOMAIN}`)]);
        expect([api.status, seen(api).service, seen(api).url, seen(viaNode).service]).toEqual([200, 'api', `/round-${round}`, 'api']);
      }
      // The slow sockets are still there: the name answered beside them, not after them.
      expect(slow.filter((socket) => !socket.destroyed).length).toBeGreaterThan(0);
    } finally {
      for (const timer of timers) clearInterval(timer);
      for (const socket of slow) socket.destroy();
    }
  });

  it('refuses a taken label to another bridge user (PH_EXPOSE_NAME) and the holder keeps serving it', async () => {
    state.bridgeB = await startBridge('bridge-b.json', USER_B);
    const bridge = state.bridgeB;
    await bridge.setExposures([spec('e-000000b1', state.services.api.port, { label: 'App' }), spec('e-000000b2', state.services.api.port, { label: 'other' })]);
    await waitUntil(() => bridge.exposures.status('e-000000b1').state === 'refused', 15_000, `the refusal (now ${JSON.stringify(bridge.exposures.status('e-000000b1'))})`);
    expect(bridge.exposures.status('e-000000b1').problem).toEqual({ code: 'PH_EXPOSE_NAME', message: `name "app.${DOMAIN}" is already taken by another exposure` });
    // The other one of B's names is given.
    await allLive(bridge, ['e-000000b2']);
    expect(bridge.exposures.status('e-000000b2').urls).toEqual([`https://other.${DOMAIN}:${state.httpsPort}`]);
    for (let i = 0; i < 3; i += 1) expect(seen(await curl(`app.${DOMAIN}`)).service).toBe('app');
    await bridge.close();
    state.bridgeB = undefined;
  });

  it('keeps a name\'s certificate when its exposure is changed: no new order, the same serial, the new service', async () => {
    const bridge = state.bridgeA!;
    const before = await servedSerial(`app.${DOMAIN}`);
    const orders = state.pebble!.orderCount();
    // Another local port: the portal closes the exposure and opens it again, the name with it.
    const moved = exposuresOfA().map((exposure) => (exposure.id === 'e-000000a1' ? { ...exposure, localPort: state.services.api.port } : exposure));
    await bridge.setExposures(moved);
    await waitUntil(async () => {
      try {
        return seen(await curl(`app.${DOMAIN}`)).service === 'api';
      } catch {
        return false;
      }
    }, 15_000, 'app to reach the api service');
    expect(await servedSerial(`app.${DOMAIN}`)).toBe(before);
    expect(state.pebble!.orderCount()).toBe(orders);
    await bridge.setExposures(exposuresOfA());
    await waitUntil(async () => seen(await curl(`app.${DOMAIN}`)).service === 'app', 15_000, 'app back on its service');
  });

  it('renews a certificate that is due: the portal restarted with a threshold above the lifetime serves a new serial for the same name', async () => {
    const before = await servedSerial(`app.${DOMAIN}`);
    const orders = state.pebble!.orderCount();
    await state.portal?.close();
    state.portal = await startPortal({ renewCertificatesBeforeMs: TEN_YEARS_MS });
    // The bridge comes back by itself; the loaded certificates are due, so they are renewed.
    await allLive(state.bridgeA!, ['e-000000a1']);
    await waitUntil(async () => {
      try {
        return (await servedSerial(`app.${DOMAIN}`)) !== before;
      } catch {
        return false;
      }
    }, 60_000, `a renewed certificate for app.${DOMAIN} (portal log:\n${state.portalLog.slice(-20).join('\n')})`);
    expect(state.pebble!.orderCount()).toBeGreaterThan(orders);
    const renewed = await httpsGet(`app.${DOMAIN}`);
    expect([renewed.authorized, renewed.status, seen(renewed).service]).toEqual([true, 200, 'app']);
    expect(state.portalLog.some((line) => line.includes(`renewing a certificate for app.${DOMAIN}`))).toBe(true);
  }, 90_000);
});

describe.skipIf(!openSslAvailable())('the public edge with the owner\'s certificate only', () => {
  it('serves a name over HTTPS with the owner\'s certificate, and makes no ACME folder where it runs', async () => {
    const certs = createCertificateFolder();
    const owned = certs.make('owner', `owned.${DOMAIN}`);
    const service = await startHttpService('owned');
    const [httpPort = 0, httpsPort = 0, linkPort = 0, exposurePort = 0] = await freePorts(4);
    const stops: Array<() => Promise<void>> = [];
    try {
      const portal = await startInstance('owner-portal.json', {
        log: { loglevel: 'warning', access: 'none' },
        reverse: { portals: [{ tag: 'portal', domain: REVERSE_DOMAIN, exposures: {
          ports: String(exposurePort), listen: '127.0.0.1',
          names: { domain: DOMAIN, http: httpPort, https: httpsPort, certificates: [{ certificateFile: owned.certFile, keyFile: owned.keyFile }] },
        } }] },
        inbounds: [{ tag: 'interconn', listen: '127.0.0.1', port: linkPort, protocol: 'vmess', settings: { clients: [{ id: USER_A }] } }],
        routing: { rules: [{ type: 'field', inboundTag: ['interconn'], outboundTag: 'portal' }] },
      });
      stops.push(() => portal.close());
      state.linkPort = linkPort;
      const bridge = await startBridge('owner-bridge.json', USER_A);
      stops.push(() => bridge.close());
      await bridge.setExposures([spec('e-000000c1', service.port, { label: 'owned' })]);
      await allLive(bridge, ['e-000000c1']);
      const answer = await new Promise<{ status: number; body: string }>((resolve, reject) => {
        https.get({ host: `owned.${DOMAIN}`, port: httpsPort, ca: owned.certPem, lookup: toLoopback, agent: false }, (res) => {
          let body = '';
          res.on('data', (chunk: Buffer) => { body += chunk.toString(); });
          res.on('end', () => resolve({ status: res.statusCode ?? 0, body }));
        }).on('error', reject);
      });
      expect([answer.status, seen(answer).service]).toEqual([200, 'owned']);
      // The default ACME folder is relative to the working directory: without ACME it must not appear.
      expect(existsSync(join(process.cwd(), 'porthole-acme'))).toBe(false);
    } finally {
      for (const stop of stops.reverse()) await stop();
      await service.close();
      certs.remove();
    }
  });
});
