/**
 * Server setup's Check against a real `v2ray` portal started from the text Server setup shows:
 * the link is accepted and each exposure's public port reaches its local service; with one
 * exposure's inbound left out, that exposure is reported as not set up; and each way a link
 * fails (refused, auth rejected, TLS untrusted, wrong WebSocket path) is said as such.
 */
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import type { Exposure, ServerCheckStep, ServerSetupOptions } from '../api/index.js';
import { exportV2RayConfig, loadConfig } from '../../engine/config/index.js';
import { createCertificateFolder, openSslAvailable, type CertificateFolder, type TestCertificate } from '../../engine/transport/internet/testdata/certs.js';
import { freePorts, waitForPort } from '../../../test/support/ports.js';
import { bridgeConfig, startPeer } from '../../../test/support/reverse-pair.js';
import { startHttp, startXorEcho, type RunningServer } from '../../../test/support/upstream.js';
import { startV2RayFile, v2rayAvailable, type V2RayProcess } from '../../../test/support/v2ray.js';
import { checkServer } from './server-check.js';
import { serverSetup } from './server-setup.js';

type Json = Record<string, unknown> & { inbounds: Array<Record<string, unknown> & { tag: string; port: number; protocol: string; settings: Record<string, unknown>; streamSettings?: Record<string, unknown> }> };

/** The steps without their details (compared whole), and the details apart. */
const lines = (steps: ServerCheckStep[]) => steps.map((step) => `${step.state}: ${step.title}`);
const detail = (steps: ServerCheckStep[], kind: ServerCheckStep['kind']) => steps.find((step) => step.kind === kind && step.state === 'failed')?.detail ?? '';
const FAST = { dialTimeoutMs: 3000, linkTimeoutMs: 5000, answerTimeoutMs: 2000 };

describe.skipIf(!v2rayAvailable() || !openSslAvailable())('Server setup Check against a real v2ray portal', () => {
  let web: RunningServer;
  let echo: RunningServer;
  let certs: CertificateFolder;
  let cert: TestCertificate;
  let portal: V2RayProcess | undefined;

  beforeAll(async () => {
    web = await startHttp('hello through the portal');
    echo = await startXorEcho();
    certs = createCertificateFolder();
    cert = certs.make('vps', 'vps.example.com');
  });
  afterEach(async () => {
    await portal?.stop();
    portal = undefined;
  });
  afterAll(async () => {
    await web?.close();
    await echo?.close();
    certs?.remove();
  });

  /** A bridge profile dialling 127.0.0.1:linkPort (VMess, or VLESS) with the web and echo exposures on the given public ports. */
  async function prepare(protocol: 'vmess' | 'vless', options: ServerSetupOptions = {}) {
    const [linkPort = 0, webPort = 0, echoPort = 0] = await freePorts(3);
    const exported = exportV2RayConfig(bridgeConfig({ publicPort: 1, linkPort, upstreamPort: 1 })) as { outbounds: Array<Record<string, unknown> & { protocol: string; settings: { vnext: Array<{ users: Array<Record<string, unknown>> }> } }> };
    for (const outbound of exported.outbounds) {
      if (outbound.protocol !== 'vmess' || protocol === 'vmess') continue;
      outbound.protocol = 'vless';
      for (const server of outbound.settings.vnext) server.users = server.users.map((user) => ({ id: user.id, encryption: 'none' }));
    }
    const profile = loadConfig([{ name: 'home.json', text: JSON.stringify(exported) }]);
    const exposures: Exposure[] = [
      { id: 'e-0000000a', name: 'web', localHost: '127.0.0.1', localPort: web.port, publicPort: webPort, enabled: true, createdAt: 0 },
      { id: 'e-0000000b', name: 'echo', localHost: '127.0.0.1', localPort: echo.port, publicPort: echoPort, enabled: true, createdAt: 0 },
    ];
    const setup = serverSetup('home', profile, exposures, { port: linkPort, ...options });
    return { setup, exposures, linkPort, webPort, echoPort, portalJson: JSON.parse(setup.v2ray.text) as Json };
  }

  async function runPortal(json: Json, waitPort: number): Promise<void> {
    portal = startV2RayFile('config.json', JSON.stringify(json, null, 2));
    await waitForPort(waitPort).catch((error: Error) => { throw new Error(`${error.message}: ${portal?.output()}`); });
  }

  it('the generated text: the link is accepted and both exposures reach their services', async () => {
    const { setup, exposures, webPort, echoPort } = await prepare('vmess');
    portal = startV2RayFile(setup.v2ray.fileName, setup.v2ray.text);
    await waitForPort(echoPort);
    const check = await checkServer(setup, exposures, FAST);
    expect(lines(check.steps)).toEqual([
      'ok: server reachable',
      'ok: link accepted',
      `ok: exposure web → port ${webPort} reaches 127.0.0.1:${web.port}`,
      `ok: exposure echo → port ${echoPort} reaches 127.0.0.1:${echo.port}`,
    ]);
    expect(check.ok).toBe(true);
    expect(check.steps[2]?.detail).toBe('answered "HTTP/1.1 200 OK"');
  });

  it('with the engine running that bridge: its link is used, again and again (no second link for V2Ray to forget)', async () => {
    const { setup, exposures, webPort, echoPort } = await prepare('vmess');
    portal = startV2RayFile(setup.v2ray.fileName, setup.v2ray.text);
    await waitForPort(echoPort);
    const bridge = await startPeer('porthole', loadConfig([{ name: setup.bridge.fileName, text: setup.bridge.text }], { env: {} }));
    try {
      await bridge.instance?.setExposures(exposures);
      const expected = [
        'ok: server reachable',
        'ok: link accepted',
        `ok: exposure web → port ${webPort} reaches 127.0.0.1:${web.port}`,
        `ok: exposure echo → port ${echoPort} reaches 127.0.0.1:${echo.port}`,
      ];
      const first = await checkServer(setup, exposures, { ...FAST, running: bridge.instance });
      const second = await checkServer(setup, exposures, { ...FAST, running: bridge.instance });
      expect({ first: lines(first.steps), second: lines(second.steps), link: first.steps[1]?.detail })
        .toEqual({ first: expected, second: expected, link: 'the running bridge\'s link is up: the portal answered its VMess request' });
    } finally {
      await bridge.stop();
    }
  });

  it('a text missing the echo exposure\'s inbound: that exposure is reported as not set up', async () => {
    const { setup, exposures, portalJson, linkPort, webPort, echoPort } = await prepare('vmess');
    portalJson.inbounds = portalJson.inbounds.filter((inbound) => inbound.port !== echoPort);
    await runPortal(portalJson, linkPort);
    const check = await checkServer(setup, exposures, FAST);
    expect(lines(check.steps)).toEqual([
      'ok: server reachable',
      'ok: link accepted',
      `ok: exposure web → port ${webPort} reaches 127.0.0.1:${web.port}`,
      `failed: exposure echo → port ${echoPort} is not set up`,
    ]);
    expect(detail(check.steps, 'exposure')).toContain('the portal config has no inbound for it');
    expect(check.ok).toBe(false);
  });

  it('VLESS over WebSocket: a VLESS inbound from the generated text accepts the link', async () => {
    const { setup, exposures, webPort, echoPort } = await prepare('vless', { transport: 'ws', path: '/ph-check' });
    expect(setup.protocol).toBe('vless');
    portal = startV2RayFile(setup.v2ray.fileName, setup.v2ray.text);
    await waitForPort(echoPort);
    const check = await checkServer(setup, exposures, FAST);
    expect(lines(check.steps)).toEqual([
      'ok: server reachable',
      'ok: WebSocket at /ph-check accepted',
      'ok: link accepted',
      `ok: exposure web → port ${webPort} reaches 127.0.0.1:${web.port}`,
      `ok: exposure echo → port ${echoPort} reaches 127.0.0.1:${echo.port}`,
    ]);
  });

  it('nothing listening: refused, and the rest is not tried', async () => {
    const { setup, exposures, linkPort, webPort, echoPort } = await prepare('vmess');
    const check = await checkServer(setup, exposures, FAST);
    expect(lines(check.steps)).toEqual([
      'failed: server not reachable',
      'skipped: link',
      `skipped: exposure web → port ${webPort}`,
      `skipped: exposure echo → port ${echoPort}`,
    ]);
    expect(detail(check.steps, 'server')).toBe(`refused: nothing listens on 127.0.0.1:${linkPort}; is V2Ray running there, on that port?`);
  });

  it('another user on the portal: auth rejected', async () => {
    const { setup, exposures, portalJson, linkPort } = await prepare('vmess');
    const link = portalJson.inbounds[0];
    if (link) link.settings = { clients: [{ id: 'b831381d-6324-4d53-ad4f-8cda48b30811', alterId: 0 }] };
    await runPortal(portalJson, linkPort);
    const check = await checkServer(setup, exposures, FAST);
    expect(lines(check.steps).slice(0, 2)).toEqual(['ok: server reachable', 'failed: link not accepted']);
    expect(detail(check.steps, 'link')).toMatch(/^auth rejected: the portal (closed the link without answering|took the connection but never answered) the VMess request: its inbound on that port must be VMess with user 27848739-7e62-4138-9fd3-098a63964b6b/);
  });

  it('TLS with a certificate the bridge does not trust: TLS untrusted', async () => {
    const { setup, exposures, linkPort } = await prepare('vmess', { transport: 'tls', serverName: 'vps.example.com', certificateFile: cert.certFile, keyFile: cert.keyFile });
    await runPortal(JSON.parse(setup.v2ray.text) as Json, linkPort);
    const check = await checkServer(setup, exposures, FAST);
    expect(lines(check.steps).slice(0, 3)).toEqual(['ok: server reachable', 'failed: TLS failed', 'skipped: link']);
    expect(detail(check.steps, 'transport')).toContain('certificate is not trusted');
  });

  it('a WebSocket path the portal does not serve: 404', async () => {
    const { setup, exposures, portalJson, linkPort } = await prepare('vmess', { transport: 'ws', path: '/ph-check' });
    const link = portalJson.inbounds[0];
    if (link) link.streamSettings = { network: 'ws', security: 'none', wsSettings: { path: '/elsewhere' } };
    await runPortal(portalJson, linkPort);
    const check = await checkServer(setup, exposures, FAST);
    expect(lines(check.steps).slice(0, 3)).toEqual(['ok: server reachable', 'failed: WebSocket at /ph-check failed', 'skipped: link']);
    expect(detail(check.steps, 'transport')).toMatch(/404/);
  });
});
