/**
 * `tlsSettings.acme` on a portal's link inbound, against Let's Encrypt's test CA (Pebble) on
 * loopback: the portal listens at once, gets its certificate for the link's name over HTTP-01,
 * and a real V2Ray 4.34 bridge links over WebSocket + TLS trusting only Pebble's root. A restart
 * serves the stored certificate without a new order; with public names on the same HTTP port the
 * edge answers the link's challenges; a taken challenge port fails the start with one line naming
 * the inbound and the port.
 */
import { mkdtempSync, rmSync } from 'node:fs';
import http from 'node:http';
import net from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import tls from 'node:tls';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { freePorts, waitForPort, waitUntil } from '../../../../test/support/ports.js';
import { startHttp, type RunningServer } from '../../../../test/support/upstream.js';
import { startV2Ray, v2rayAvailable, type V2RayProcess } from '../../../../test/support/v2ray.js';
import { loadConfig } from '../../config/index.js';
import { Instance } from '../../instance.js';
import { pebbleMissingReason, startPebble, type RunningPebble } from '../edge/certificates/testdata/pebble.js';

const NAME = 'link.porthole.test';
const REVERSE_DOMAIN = 'reverse.porthole.internal';
const USER = '0c2a4e8f-4b1d-4f6e-9a53-2f6d7c1b9e40';
const missing = pebbleMissingReason() ?? (v2rayAvailable() ? undefined : 'v2ray is absent (Debian package v2ray; .ci/run installs it)');

const state: {
  folder: string;
  pebble?: RunningPebble;
  rootPem: string;
  service?: RunningServer;
  ports: { challenge: number; link: number; public: number };
  portal?: Instance;
  portalLog: string[];
  bridge?: V2RayProcess;
} = { folder: '', rootPem: '', ports: { challenge: 0, link: 0, public: 0 }, portalLog: [] };

function portalConfig(options: { name?: string; storage?: string; names?: object; httpPort?: number } = {}): object {
  return {
    log: { loglevel: 'info', access: 'none' },
    reverse: { portals: [{ tag: 'portal', domain: REVERSE_DOMAIN, ...(options.names ? { exposures: options.names } : {}) }] },
    inbounds: [
      { tag: 'public', listen: '127.0.0.1', port: state.ports.public, protocol: 'dokodemo-door', settings: { address: '127.0.0.1', port: 9, network: 'tcp' } },
      {
        tag: 'link', listen: '127.0.0.1', port: state.ports.link, protocol: 'vmess', settings: { clients: [{ id: USER }] },
        streamSettings: {
          network: 'ws', security: 'tls', wsSettings: { path: '/link' },
          tlsSettings: {
            serverName: options.name ?? NAME,
            acme: { directory: state.pebble?.directoryUrl, caFile: state.pebble?.httpsCaFile, storage: join(state.folder, options.storage ?? 'acme'), httpPort: options.httpPort ?? state.ports.challenge },
          },
        },
      },
    ],
    routing: { rules: [{ type: 'field', inboundTag: ['public', 'link'], outboundTag: 'portal' }] },
  };
}

async function startPortal(options: Parameters<typeof portalConfig>[0] = {}): Promise<Instance> {
  state.portalLog = [];
  const instance = new Instance(loadConfig([{ name: 'portal.json', text: JSON.stringify(portalConfig(options)) }]), {
    logSinks: { error: { write: (line: string) => { state.portalLog.push(line); } } },
  });
  await instance.start();
  return instance;
}

/** A bridge (V2Ray JSON, which Porthole reads too): WebSocket + TLS to the portal's `name`, trusting Pebble's root alone. */
function bridgeConfig(name = NAME): object {
  return {
    log: { loglevel: 'warning' },
    reverse: { bridges: [{ tag: 'bridge', domain: REVERSE_DOMAIN }] },
    outbounds: [
      { tag: 'out', protocol: 'freedom', settings: { redirect: `127.0.0.1:${state.service?.port}` } },
      {
        tag: 'link', protocol: 'vmess', settings: { vnext: [{ address: '127.0.0.1', port: state.ports.link, users: [{ id: USER, alterId: 0 }] }] },
        streamSettings: {
          network: 'ws', security: 'tls', wsSettings: { path: '/link' },
          tlsSettings: { serverName: name, disableSystemRoot: true, certificates: [{ usage: 'verify', certificate: state.rootPem.trim().split('\n') }] },
        },
      },
    ],
    routing: { rules: [
      { type: 'field', inboundTag: ['bridge'], domain: [`full:${REVERSE_DOMAIN}`], outboundTag: 'link' },
      { type: 'field', inboundTag: ['bridge'], outboundTag: 'out' },
    ] },
  };
}

/** The real V2Ray bridge. */
function startBridge(name = NAME): V2RayProcess {
  return startV2Ray(bridgeConfig(name));
}

function getThroughPortal(): Promise<string> {
  return new Promise((resolve, reject) => {
    const request = http.get({ host: '127.0.0.1', port: state.ports.public, path: '/', agent: false, timeout: 5_000 }, (response) => {
      let body = '';
      response.on('data', (chunk: Buffer) => { body += chunk.toString(); });
      response.on('end', () => resolve(body));
    });
    request.on('timeout', () => request.destroy(new Error('no answer in 5 s')));
    request.on('error', reject);
  });
}

/** What the link port presents for `name`, checked against Pebble's root. */
function presented(name = NAME): Promise<{ authorized: boolean; subject: string; serial: string }> {
  return new Promise((resolve, reject) => {
    const socket = tls.connect({ host: '127.0.0.1', port: state.ports.link, servername: name, ca: state.rootPem, ALPNProtocols: ['http/1.1'] }, () => {
      const certificate = socket.getPeerCertificate();
      resolve({ authorized: socket.authorized, subject: String(certificate.subject?.CN ?? ''), serial: certificate.serialNumber });
      socket.end();
    });
    socket.setTimeout(5_000, () => socket.destroy(new Error('no handshake in 5 s')));
    socket.on('error', reject);
  });
}

describe.skipIf(missing !== undefined)(`a link inbound's certificate through ACME${missing ? ` (skipped: ${missing})` : ''}`, () => {
  beforeAll(async () => {
    state.folder = mkdtempSync(join(tmpdir(), 'porthole-link-acme-'));
    const [challenge = 0, link = 0, publicPort = 0] = await freePorts(3);
    state.ports = { challenge, link, public: publicPort };
    state.pebble = await startPebble({ httpPort: challenge });
    state.rootPem = await state.pebble.rootPem();
    state.service = await startHttp('bytes from behind the bridge');
  }, 60_000);

  afterAll(async () => {
    await state.bridge?.stop();
    await state.portal?.close();
    await state.pebble?.stop();
    await state.service?.close();
    if (state.folder) rmSync(state.folder, { recursive: true, force: true });
  }, 60_000);

  it('listens at once, gets the certificate over HTTP-01, and a V2Ray bridge links over WebSocket + TLS', async () => {
    state.portal = await startPortal();
    await waitForPort(state.ports.link);
    await waitUntil(() => state.portalLog.some((line) => line.includes(`certificate for ${NAME} issued`)), 30_000, 'the certificate issued');
    const shown = await presented();
    expect([shown.authorized, shown.subject]).toEqual([true, NAME]);
    // The challenge port answers nothing but challenges.
    const stray = await fetch(`http://127.0.0.1:${state.ports.challenge}/`);
    expect(stray.status).toBe(404);

    state.bridge = startBridge();
    let body = '';
    await waitUntil(async () => {
      body = await getThroughPortal().catch(() => '');
      return body !== '';
    }, 30_000, 'a visitor answered through the V2Ray bridge');
    expect(body).toBe('bytes from behind the bridge');
  }, 90_000);

  it('a restart serves the stored certificate at once, without a new order', async () => {
    const before = await presented();
    const orders = state.pebble?.orderCount();
    await state.portal?.close();
    state.portal = await startPortal();
    const after = await presented();
    expect([after.authorized, after.serial]).toEqual([true, before.serial]);
    expect(state.pebble?.orderCount()).toBe(orders);
    expect(state.portalLog.some((line) => line.includes('loaded 1 certificate(s)'))).toBe(true);
    // The V2Ray bridge links again by itself.
    await waitUntil(async () => (await getThroughPortal().catch(() => '')) === 'bytes from behind the bridge', 30_000, 'the bridge back');
  }, 60_000);

  it('no certificate yet: bridges are told with a TLS alert, which Porthole\'s bridge explains and V2Ray\'s logs', async () => {
    await state.portal?.close();
    // The CA checks `challenge`, but this portal answers on another port: no certificate comes.
    const [elsewhere = 0] = await freePorts(1);
    state.portal = await startPortal({ name: 'never.porthole.test', storage: 'acme-never', httpPort: elsewhere });
    await waitUntil(() => state.portalLog.some((line) => line.includes('validation of never.porthole.test failed')), 30_000, 'the order failed');
    const bridge = new Instance(loadConfig([{ name: 'bridge.json', text: JSON.stringify(bridgeConfig('never.porthole.test')) }]), { logSinks: { error: { write: () => {} } } });
    await bridge.start();
    const v2ray = startBridge('never.porthole.test');
    try {
      await waitUntil(() => bridge.bridges[0]?.lastProblem !== null, 15_000, 'the Porthole bridge\'s problem');
      expect(bridge.bridges[0]?.lastProblem?.message).toBe(`could not open a link to the portal: tls to 127.0.0.1:${state.ports.link}: the server has no certificate for "never.porthole.test" (tlsv1 unrecognized name): a portal that gets it through ACME may still be ordering it (its log or Overview says) > ERR_SSL_TLSV1_UNRECOGNIZED_NAME`);
      await waitUntil(() => /unrecognized name/.test(v2ray.output()), 15_000, 'V2Ray\'s line');
      // The portal's log says why, once per client address.
      expect(state.portalLog.some((line) => line.includes('no certificate to present yet: the certificate for never.porthole.test failed: validation of never.porthole.test failed'))).toBe(true);
    } finally {
      await bridge.close();
      await v2ray.stop();
    }
  }, 90_000);

  it('public names on the same HTTP port: the edge answers the link\'s challenges too, so both start and the link gets its certificate', async () => {
    await state.portal?.close();
    const [httpsPort = 0, exposurePort = 0] = await freePorts(2);
    const names = {
      ports: String(exposurePort), listen: '127.0.0.1',
      names: { domain: 'names.porthole.test', http: state.ports.challenge, https: httpsPort, acme: { directory: state.pebble?.directoryUrl, caFile: state.pebble?.httpsCaFile, storage: join(state.folder, 'acme-names') } },
    };
    state.portal = await startPortal({ name: 'other.porthole.test', storage: 'acme-other', names });
    await waitUntil(() => state.portalLog.some((line) => line.includes('certificate for other.porthole.test issued')), 30_000, 'the link certificate issued through the edge');
    expect((await presented('other.porthole.test')).authorized).toBe(true);
    expect(state.portalLog.some((line) => line.includes('names *.names.porthole.test served'))).toBe(true);
  }, 60_000);

  it('a taken challenge port fails the start with one line naming the inbound and the port; nothing stays bound', async () => {
    await state.portal?.close();
    state.portal = undefined;
    const squatter = net.createServer();
    await new Promise<void>((resolve) => squatter.listen(state.ports.challenge, '127.0.0.1', resolve));
    try {
      const error = await startPortal().then(() => undefined, (failure: unknown) => failure as Error);
      expect(error?.message).toMatch(new RegExp(`inbound "link": tlsSettings\\.acme: cannot listen on port ${state.ports.challenge} for the CA's HTTP-01 challenge: it is taken`));
      // The link port was not left bound.
      await new Promise<void>((resolve, reject) => {
        const probe = net.createServer().once('error', reject).listen(state.ports.link, '127.0.0.1', () => probe.close(() => resolve()));
      });
    } finally {
      await new Promise((resolve) => squatter.close(resolve));
    }
  }, 60_000);
});
