/**
 * Links over TLS and WebSocket as the user sees them (issue 3/7), in Chromium against the real
 * dashboard and engine service, with the real `v2ray` as a WebSocket + TLS portal:
 *
 * 1. A bridge profile with the wrong WebSocket path: the bridge's card on the Overview says so, in
 *    plain words and with the engine's own line naming the peer (`wss://127.0.0.1:PORT/wrong`,
 *    404), as the log does.
 * 2. The same portal without the certificate trusted: the card says the certificate is not trusted
 *    and names `tls to 127.0.0.1:PORT`; with a user ID it does not know, that it has not answered
 *    (rejected credentials, or a stalled portal).
 * 3. Server setup for that profile: WebSocket + TLS with the portal's path shows a V2Ray config
 *    with that path (which `v2ray -test` accepts), the nginx and Caddy configs that pass it on, and
 *    a bridge profile that matches; "Use in …" saves it and the card shows the link up.
 * Screenshots: overview-bridge-problem-{light,dark}, overview-bridge-untrusted-light,
 * overview-bridge-silent-light,
 * server-setup-ws-tls-light (the transport choice), server-setup-ws-tls-{nginx,caddy}-light,
 * server-setup-ws-tls-dark.
 */
import type { Browser, Page } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { exportV2RayConfig } from '../../src-core/engine/config/index.js';
import { createCertificateFolder, openSslAvailable, type CertificateFolder, type TestCertificate } from '../../src-core/engine/transport/internet/testdata/certs.js';
import { freePorts, waitForPort } from '../../test/support/ports.js';
import { bridgeConfig, portalConfig } from '../../test/support/reverse-pair.js';
import { startV2Ray, v2rayAvailable, v2rayTest, type V2RayProcess } from '../../test/support/v2ray.js';
import { Dashboard } from '../pages/dashboard.js';
import { BridgeCard, TransportSetup } from '../pages/link-setup.js';
import { launchChromium, newDashboardPage } from '../support/browser.js';
import { startServiceStack, startTestSite, type ServiceStack, type TestSite } from '../support/exposure-stack.js';

type Json = Record<string, unknown>;

describe.skipIf(!v2rayAvailable() || !openSslAvailable())('a bridge linking over WebSocket + TLS', () => {
  let browser: Browser;
  let page: Page;
  let stack: ServiceStack;
  let certs: CertificateFolder;
  let cert: TestCertificate;
  let portal: V2RayProcess;
  let site: TestSite;
  let linkPort = 0;
  const consoleProblems: string[] = [];

  /** The documentation's bridge, linking to the portal over `stream`, its freedom outbound reaching `site`. */
  function bridgeProfile(stream: Json): string {
    const exported = exportV2RayConfig(bridgeConfig({ publicPort: 1, linkPort, upstreamPort: site.port })) as { outbounds: Json[] };
    for (const outbound of exported.outbounds) if (outbound.protocol === 'vmess') outbound.streamSettings = stream;
    return JSON.stringify(exported, null, 2);
  }

  const trusted = { serverName: 'porthole.test', certificates: [] as Json[] };

  beforeAll(async () => {
    certs = createCertificateFolder();
    cert = certs.make('portal', 'porthole.test');
    trusted.certificates = [{ usage: 'verify', certificateFile: cert.certFile }];
    site = await startTestSite('Porthole e2e: over WebSocket + TLS');
    const [publicPort = 0, port = 0] = await freePorts(2);
    linkPort = port;
    const portalJson = exportV2RayConfig(portalConfig({ publicPort, linkPort, upstreamPort: 1 })) as { inbounds: Json[] };
    for (const inbound of portalJson.inbounds) {
      if (inbound.protocol === 'vmess') inbound.streamSettings = { network: 'ws', security: 'tls', wsSettings: { path: '/tunnel' }, tlsSettings: { certificates: [{ certificateFile: cert.certFile, keyFile: cert.keyFile }] } };
    }
    portal = startV2Ray(portalJson);
    await waitForPort(linkPort);
    stack = await startServiceStack();
    browser = await launchChromium();
    page = await newDashboardPage(browser, consoleProblems);
    await new Dashboard(page).open(stack.dashboard.url);
  });

  afterAll(async () => {
    await browser?.close();
    await stack?.stop();
    await portal?.stop();
    await site?.close();
    certs?.remove();
  });

  it('the wrong WebSocket path: the card says so and names the peer, as the log does', async () => {
    await stack.service.saveProfile('vps', bridgeProfile({ network: 'ws', security: 'tls', wsSettings: { path: '/wrong' }, tlsSettings: trusted }));
    await stack.service.activateProfile('vps');
    const card = new BridgeCard(page);
    const text = await card.waitForProblem('bridge', /Wrong WebSocket path/);
    const line = `websocket wss://127.0.0.1:${linkPort}/wrong: the server answered 404 Not Found instead of switching to WebSocket`;
    expect(text).toContain('Wrong WebSocket path.');
    expect(text).toContain(line);
    // The same reason is in the log.
    const logs = await stack.service.recentLogs({ level: 'warning' });
    expect(logs.some((entry) => entry.component === 'app/reverse/bridge' && entry.message.includes(line))).toBe(true);
    await card.screenshot('overview-bridge-problem-light');
    await card.setTheme('dark');
    await card.waitForProblem('bridge', /Wrong WebSocket path/);
    await card.screenshot('overview-bridge-problem-dark');
    await card.setTheme('light');
  });

  it('an untrusted certificate: the card says so and names the peer', async () => {
    await stack.service.saveProfile('untrusted', bridgeProfile({ network: 'ws', security: 'tls', wsSettings: { path: '/tunnel' }, tlsSettings: { serverName: 'porthole.test' } }));
    await stack.service.activateProfile('untrusted');
    const card = new BridgeCard(page);
    const text = await card.waitForProblem('bridge', /certificate is not trusted/);
    expect(text).toContain('The portal’s certificate is not trusted.');
    expect(text).toContain(`tls to 127.0.0.1:${linkPort}: the server's certificate is not trusted (self-signed certificate)`);
    await card.screenshot('overview-bridge-untrusted-light');
  });

  // A portal says nothing to credentials it rejects (4.34 reads on in silence), and nothing when
  // it is stalled: the card names both and the link is kept, not called a failure.
  it('a user ID the portal does not know: after 10 s the card says the portal has not answered', { timeout: 60_000 }, async () => {
    const profile = JSON.parse(bridgeProfile({ network: 'ws', security: 'tls', wsSettings: { path: '/tunnel' }, tlsSettings: trusted })) as { outbounds: { protocol: string; settings: { vnext: { users: { id: string }[] }[] } }[] };
    for (const outbound of profile.outbounds) if (outbound.protocol === 'vmess') outbound.settings.vnext[0]!.users[0]!.id = '27848739-7e62-4138-9fd3-098a63964b6c';
    await stack.service.saveProfile('stranger', JSON.stringify(profile, null, 2));
    await stack.service.activateProfile('stranger');
    const card = new BridgeCard(page);
    const text = await card.waitForProblem('bridge', /has not answered/);
    expect(text).toContain('The portal has not answered the link.');
    expect(text).toContain("the portal has not answered for 10 s: authentication rejected? (check the user ID, the clock, and that the domain matches the portal's) Or the portal is stalled: the link waits up to 60 s");
    await card.screenshot('overview-bridge-silent-light');
  });

  it('Server setup offers WebSocket + TLS with nginx and Caddy, and its bridge profile links up', async () => {
    await stack.service.activateProfile('vps');
    const setup = new TransportSetup(page);
    await setup.openFromProfiles('vps');
    // The profile already uses WebSocket + TLS (at the wrong path): that is what is picked.
    expect(await setup.configText()).toContain('"path": "/wrong"');
    await setup.pick('WebSocket + TLS');
    await setup.apply({ path: '/tunnel' });
    const v2ray = await setup.configText();
    expect(v2ray).toContain('"path": "/tunnel"');
    // What the page shows is what v2ray takes.
    expect(v2rayTest(v2ray).output).toContain('Configuration OK');
    const nginx = await setup.proxyText('nginx');
    expect(nginx).toContain('server_name porthole.test;');
    expect(nginx).toMatch(/location = \/tunnel \{\s+proxy_pass http:\/\/127\.0\.0\.1:10000;/);
    await setup.screenshot('server-setup-ws-tls-nginx-light');
    await setup.showTop();
    await setup.screenshot('server-setup-ws-tls-light');
    const caddy = await setup.proxyText('caddy');
    expect(caddy).toContain('handle /tunnel {');
    expect(caddy).toContain('reverse_proxy 127.0.0.1:10000');
    await setup.screenshot('server-setup-ws-tls-caddy-light');

    expect(await setup.bridgeChanged()).toBe(true);
    const bridge = JSON.parse(await setup.bridgeProfileText()) as { outbounds: Json[] };
    const link = bridge.outbounds.find((outbound) => outbound.protocol === 'vmess') as { streamSettings: { network: string; security: string; wsSettings: { path: string }; tlsSettings: { serverName: string } } };
    expect({ network: link.streamSettings.network, security: link.streamSettings.security, path: link.streamSettings.wsSettings.path, serverName: link.streamSettings.tlsSettings.serverName })
      .toEqual({ network: 'ws', security: 'tls', path: '/tunnel', serverName: 'porthole.test' });

    const result = await setup.useBridgeProfile();
    expect(result).toContain('Saved “vps” and restarted the engine with it');
    expect(await setup.bridgeChanged()).toBe(false);
    await setup.close();
    const card = new BridgeCard(page);
    await card.waitForLinkUp('bridge');
    expect(await card.hasProblem('bridge')).toBe(false);

    await setup.setTheme('dark');
    await setup.openFromProfiles('vps');
    await setup.pick('WebSocket + TLS');
    await setup.proxyText('nginx');
    await setup.screenshot('server-setup-ws-tls-dark');
    await setup.close();
    await setup.setTheme('light');
  });

  it('Server setup says what is missing: TLS with no server name for a bridge dialling an IP address', async () => {
    await stack.service.saveProfile('plain', bridgeProfile({ network: 'tcp' }));
    // A profile saved behind the page's back is listed after a reload.
    await new Dashboard(page).open(stack.dashboard.url);
    const setup = new TransportSetup(page);
    await setup.openFromProfiles('plain');
    await setup.pick('TLS');
    expect(await setup.errorText()).toContain('TLS needs a server name');
    await setup.apply({ serverName: 'vps.example.com' });
    expect(await setup.configText()).toContain('"security": "tls"');
    await setup.close();
    expect(consoleProblems.filter((problem) => !problem.includes('status of 422'))).toEqual([]);
  });
});
