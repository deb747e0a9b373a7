/**
 * Server setup's files, run for real: the V2Ray portal config it shows (run by `v2ray`), the
 * nginx or Caddy config in front of it, and the bridge profile it makes (run by Porthole) link up
 * and carry an exposure's traffic, for TLS and for WebSocket + TLS behind each proxy. Proof that
 * path, serverName, port and TLS agree on all sides, for a VMess bridge and a VLESS one (the portal
 * then gets a VLESS inbound). The one edit a test makes: the bridge trusts
 * the throwaway certificate (a real server's Let's Encrypt certificate needs no such line).
 */
import { spawn, spawnSync, type ChildProcess } from 'node:child_process';
import { existsSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { Exposure, ServerSetup, ServerSetupOptions } from '../api/index.js';
import { exportV2RayConfig, loadConfig } from '../../engine/config/index.js';
import { createCertificateFolder, openSslAvailable, type CertificateFolder, type TestCertificate } from '../../engine/transport/internet/testdata/certs.js';
import { freePorts, waitForPort, waitUntil } from '../../../test/support/ports.js';
import { bridgeConfig, startPeer, type RunningPeer } from '../../../test/support/reverse-pair.js';
import { startHttp, type RunningServer } from '../../../test/support/upstream.js';
import { startV2RayFile, v2rayAvailable, type V2RayProcess } from '../../../test/support/v2ray.js';
import { serverSetup } from './server-setup.js';

const NGINX = existsSync('/usr/sbin/nginx') ? '/usr/sbin/nginx' : 'nginx';
const available = (command: string, args: string[]) => spawnSync(command, args, { stdio: 'ignore' }).status === 0;

/** Runs a proxy from `files` in a fresh folder; stops it with SIGTERM. */
function runProxy(folder: string, command: string[], output: string[]): { child: ChildProcess; stop(): Promise<void> } {
  const [executable = '', ...args] = command;
  const child = spawn(executable, args, { cwd: folder, stdio: ['ignore', 'pipe', 'pipe'], env: { ...process.env, HOME: folder, XDG_DATA_HOME: folder, XDG_CONFIG_HOME: folder } });
  child.stdout?.on('data', (chunk: Buffer) => output.push(chunk.toString()));
  child.stderr?.on('data', (chunk: Buffer) => output.push(chunk.toString()));
  return {
    child,
    stop: () => new Promise<void>((resolve) => {
      if (child.exitCode !== null || child.signalCode !== null) return resolve();
      const timer = setTimeout(() => child.kill('SIGKILL'), 5000);
      child.once('exit', () => { clearTimeout(timer); resolve(); });
      child.kill('SIGTERM');
    }),
  };
}

async function get(port: number): Promise<string> {
  const response = await fetch(`http://127.0.0.1:${port}/`, { headers: { connection: 'close' }, signal: AbortSignal.timeout(5000) });
  return response.text();
}

describe.skipIf(!v2rayAvailable() || !openSslAvailable())('Server setup\'s files link up for real', () => {
  let certs: CertificateFolder;
  let cert: TestCertificate;
  let site: RunningServer;
  const running: Array<{ stop(): Promise<void> }> = [];
  const folders: string[] = [];

  beforeAll(async () => {
    certs = createCertificateFolder();
    cert = certs.make('vps', 'vps.example.com');
    site = await startHttp('hello from the bridge side');
  });
  afterAll(async () => {
    for (const item of running.reverse()) await item.stop();
    for (const folder of folders) rmSync(folder, { recursive: true, force: true });
    await site?.close();
    certs?.remove();
  });

  /** The setup for a bridge profile (VMess, or VLESS) dialling 127.0.0.1 whose freedom outbound reaches `site`, with one exposure on `publicPort`. */
  function setupFor(options: ServerSetupOptions, publicPort: number, protocol: 'vmess' | 'vless' = 'vmess'): ServerSetup {
    const exported = exportV2RayConfig(bridgeConfig({ publicPort: 1, linkPort: 1024, upstreamPort: site.port })) as { outbounds: Array<Record<string, unknown> & { protocol: string; settings: { vnext: Array<{ users: Array<Record<string, unknown>> }> } }> };
    for (const outbound of exported.outbounds) {
      if (outbound.protocol !== 'vmess' || protocol === 'vmess') continue;
      outbound.protocol = 'vless';
      for (const server of outbound.settings.vnext) server.users = server.users.map((user) => ({ id: user.id, encryption: 'none' }));
    }
    const profile = loadConfig([{ name: 'home.json', text: JSON.stringify(exported) }]);
    const exposure: Exposure = { id: 'e-00000001', name: 'Site', localHost: '127.0.0.1', localPort: site.port, publicPort, enabled: true, createdAt: 0 };
    return serverSetup('home', profile, [exposure], { serverName: 'vps.example.com', certificateFile: cert.certFile, keyFile: cert.keyFile, ...options });
  }

  /** Runs the portal with v2ray and the bridge profile with Porthole; resolves once the link is up and the exposure answers. */
  async function linkUp(setup: ServerSetup, publicPort: number): Promise<RunningPeer> {
    const portal: V2RayProcess = startV2RayFile(setup.v2ray.fileName, setup.v2ray.text);
    running.push(portal);
    await waitForPort(publicPort);
    const bridgeJson = JSON.parse(setup.bridge.text) as { outbounds: Array<{ protocol: string; streamSettings?: { tlsSettings?: Record<string, unknown> } }> };
    for (const outbound of bridgeJson.outbounds) {
      const tls = outbound.streamSettings?.tlsSettings;
      if (tls) tls.certificates = [{ usage: 'verify', certificateFile: cert.certFile }];
    }
    const bridge = await startPeer('porthole', loadConfig([{ name: setup.bridge.fileName, text: JSON.stringify(bridgeJson) }], { env: {} }));
    running.push(bridge);
    await waitUntil(() => (bridge.instance?.bridges[0]?.activeLinks ?? 0) > 0, 15_000, `the bridge's link (${JSON.stringify(bridge.instance?.bridges[0]?.lastProblem)} ${bridge.logLines.join('\n')}; v2ray: ${portal.output()})`);
    expect(await get(publicPort)).toBe('hello from the bridge side');
    return bridge;
  }

  it('TLS: v2ray holds the certificate, the bridge dials it by serverName', async () => {
    const [port = 0, publicPort = 0] = await freePorts(2);
    const setup = setupFor({ transport: 'tls', port }, publicPort);
    expect(setup.serverAddress).toBe(`127.0.0.1:${port}`);
    await linkUp(setup, publicPort);
  });

  it('VLESS over TLS: a VLESS inbound in v2ray, the Porthole bridge\'s VLESS outbound links to it', async () => {
    const [port = 0, publicPort = 0] = await freePorts(2);
    const setup = setupFor({ transport: 'tls', port }, publicPort, 'vless');
    expect((JSON.parse(setup.v2ray.text) as { inbounds: Array<{ protocol: string }> }).inbounds[0]?.protocol).toBe('vless');
    await linkUp(setup, publicPort);
  });

  it('VLESS over WebSocket, plain', async () => {
    const [port = 0, publicPort = 0] = await freePorts(2);
    await linkUp(setupFor({ transport: 'ws', path: '/ph-vless', port }, publicPort, 'vless'), publicPort);
  });

  it.skipIf(!available(NGINX, ['-v'])).each(['vmess', 'vless'] as const)('WebSocket + TLS behind nginx (%s)', async (protocol) => {
    const [port = 0, portalPort = 0, publicPort = 0] = await freePorts(3);
    const setup = setupFor({ transport: 'ws-tls', path: '/ph-7f3a', port, portalPort }, publicPort, protocol);
    const nginx = setup.proxies?.nginx;
    if (!nginx) throw new Error('no nginx config');
    const folder = mkdtempSync(join(tmpdir(), 'porthole-nginx-'));
    folders.push(folder);
    writeFileSync(join(folder, nginx.fileName), nginx.text);
    writeFileSync(join(folder, 'nginx.conf'), [
      'daemon off;', 'master_process off;', `pid ${join(folder, 'nginx.pid')};`, 'error_log stderr;', 'events {}',
      'http {', `  access_log off; client_body_temp_path ${folder}; proxy_temp_path ${folder};`, `  include ${join(folder, nginx.fileName)};`, '}', '',
    ].join('\n'));
    const output: string[] = [];
    running.push(runProxy(folder, [NGINX, '-p', folder, '-c', join(folder, 'nginx.conf')], output));
    await waitForPort(port).catch((error: Error) => { throw new Error(`${error.message}: ${output.join('')}`); });
    await linkUp(setup, publicPort);
  });

  it.skipIf(!available('caddy', ['version'])).each(['vmess', 'vless'] as const)('WebSocket + TLS behind Caddy (%s)', async (protocol) => {
    const [port = 0, portalPort = 0, publicPort = 0] = await freePorts(3);
    const setup = setupFor({ transport: 'ws-tls', path: '/ph-7f3a', port, portalPort }, publicPort, protocol);
    const caddy = setup.proxies?.caddy;
    if (!caddy) throw new Error('no Caddyfile');
    const folder = mkdtempSync(join(tmpdir(), 'porthole-caddy-'));
    folders.push(folder);
    // Global options for a test machine only: no admin endpoint, no port-80 redirect.
    writeFileSync(join(folder, caddy.fileName), `{\n\tadmin off\n\tauto_https disable_redirects\n}\n\n${caddy.text}`);
    const output: string[] = [];
    running.push(runProxy(folder, ['caddy', 'run', '--config', join(folder, caddy.fileName), '--adapter', 'caddyfile'], output));
    await waitForPort(port).catch((error: Error) => { throw new Error(`${error.message}: ${output.join('')}`); });
    await linkUp(setup, publicPort);
  });
});

