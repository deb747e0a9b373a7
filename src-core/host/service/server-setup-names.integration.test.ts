/**
 * Server setup → Names, run for real: the V2Ray portal from the generated config (`v2ray`), a
 * Porthole bridge with two exposures, and in front the generated nginx config or Caddy file.
 * A visitor reaches each exposure by its name only (SNI and Host), through V2Ray, and the service
 * sees X-Forwarded-For/Proto. Test-only edits: nginx listens on free ports with self-signed
 * certificates where certbot's would be; Caddy issues from its own local CA on free ports
 * (Let's Encrypt cannot reach this machine).
 */
import { execFile, spawn, spawnSync, type ChildProcess } from 'node:child_process';
import { existsSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import http from 'node:http';
import type { AddressInfo } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { Exposure, ServerSetup } from '../api/index.js';
import { loadConfig } from '../../engine/config/index.js';
import { createCertificateFolder, openSslAvailable, type CertificateFolder } from '../../engine/transport/internet/testdata/certs.js';
import { freePorts, waitForPort, waitUntil } from '../../../test/support/ports.js';
import { bridgeConfig, startPeer, type RunningPeer } from '../../../test/support/reverse-pair.js';
import { startV2RayFile, v2rayAvailable } from '../../../test/support/v2ray.js';
import { exposureSpecs } from './exposure-list.js';
import { checkServer } from './server-check.js';
import { serverSetup } from './server-setup.js';

const NGINX = existsSync('/usr/sbin/nginx') ? '/usr/sbin/nginx' : 'nginx';
const available = (command: string, args: string[]) => spawnSync(command, args, { stdio: 'ignore' }).status === 0;
const run = promisify(execFile);
const DOMAIN = 'tunnel.example.com';

/** A local service that answers with who it is and the forwarding headers it got. */
async function startSite(who: string): Promise<{ port: number; close(): Promise<void> }> {
  const server = http.createServer((request, response) => {
    const body = JSON.stringify({ who, host: request.headers.host, xff: request.headers['x-forwarded-for'], proto: request.headers['x-forwarded-proto'] });
    response.writeHead(200, { 'content-type': 'application/json', 'content-length': Buffer.byteLength(body) });
    response.end(body);
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  return { port: (server.address() as AddressInfo).port, close: () => new Promise((resolve) => { server.closeAllConnections(); server.close(() => resolve()); }) };
}

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

/** curl over HTTPS to `host` as DNS would send it (SNI and Host), to 127.0.0.1:`port`. Async: the bridge runs in this process. */
async function visit(host: string, port: number): Promise<{ status: string; body: string }> {
  const { stdout } = await run('curl', ['-sk', '--max-time', '10', '--resolve', `${host}:${port}:127.0.0.1`, '-w', '\n%{http_code}', `https://${host}:${port}/`]);
  const at = stdout.lastIndexOf('\n');
  return { body: stdout.slice(0, at), status: stdout.slice(at + 1) };
}

describe.skipIf(!v2rayAvailable() || !openSslAvailable() || !available('curl', ['--version']))('Names through a V2Ray portal, for real', () => {
  let certs: CertificateFolder;
  let web: Awaited<ReturnType<typeof startSite>>;
  let api: Awaited<ReturnType<typeof startSite>>;
  let setup: ServerSetup;
  let bridge: RunningPeer;
  let exposures: Exposure[];
  const running: Array<{ stop(): Promise<void> }> = [];
  const folders: string[] = [];

  beforeAll(async () => {
    certs = createCertificateFolder();
    web = await startSite('web');
    api = await startSite('api');
    const [linkPort = 0, webPort = 0, apiPort = 0] = await freePorts(3);
    exposures = [
      { id: 'e-00000001', name: 'Web', label: 'web', localHost: '127.0.0.1', localPort: web.port, publicPort: webPort, enabled: true, createdAt: 0 },
      { id: 'e-00000002', name: 'API', label: 'api', localHost: '127.0.0.1', localPort: api.port, publicPort: apiPort, enabled: true, createdAt: 0 },
    ];
    // The bridge dials 127.0.0.1 over plain TCP; its freedom redirect points nowhere, so only the exposures' own routes reach a site.
    const profile = bridgeConfig({ publicPort: 1, linkPort, upstreamPort: 9 });
    setup = serverSetup('home', profile, exposures, { namesDomain: DOMAIN });
    const portal = startV2RayFile(setup.v2ray.fileName, setup.v2ray.text);
    running.push(portal);
    await waitForPort(apiPort);
    bridge = await startPeer('porthole', loadConfig([{ name: setup.bridge.fileName, text: setup.bridge.text }], { env: {} }));
    running.push(bridge);
    await bridge.instance?.setExposures(exposureSpecs(exposures, false));
    await waitUntil(() => (bridge.instance?.bridges[0]?.activeLinks ?? 0) > 0, 15_000, `the bridge's link (${bridge.logLines.join('\n')}; v2ray: ${portal.output()})`);
  });

  afterAll(async () => {
    for (const item of running.reverse()) await item.stop();
    for (const folder of folders) rmSync(folder, { recursive: true, force: true });
    await web?.close();
    await api?.close();
    certs?.remove();
  });

  function expectBothNames(port: number) {
    return Promise.all(['web', 'api'].map(async (who) => {
      const host = `${who}.${DOMAIN}`;
      const answer = await visit(host, port);
      expect({ status: answer.status, ...(JSON.parse(answer.body || '{}') as object) }).toEqual({ status: '200', who, host: expect.stringMatching(new RegExp(`^${host.replace(/\./g, '\\.')}(:${port})?$`)), xff: '127.0.0.1', proto: 'https' });
    }));
  }

  it.skipIf(!available(NGINX, ['-v']))('nginx: each name reaches its exposure through V2Ray; port 80 redirects to HTTPS', async () => {
    const names = setup.names;
    if (!names) throw new Error('no names');
    const [httpsPort = 0, httpPort = 0] = await freePorts(2);
    let text = names.nginx.text.replaceAll('listen 443 ssl;', `listen 127.0.0.1:${httpsPort} ssl;`).replace('listen 80;', `listen 127.0.0.1:${httpPort};`);
    const trusted: string[] = [];
    for (const name of names.names) {
      const cert = certs.make(name.host.split('.')[0] ?? 'site', name.host);
      trusted.push(cert.certPem);
      text = text.replace(`/etc/letsencrypt/live/${name.host}/fullchain.pem`, cert.certFile).replace(`/etc/letsencrypt/live/${name.host}/privkey.pem`, cert.keyFile);
    }
    const folder = mkdtempSync(join(tmpdir(), 'porthole-nginx-names-'));
    folders.push(folder);
    writeFileSync(join(folder, names.nginx.fileName), text);
    writeFileSync(join(folder, 'nginx.conf'), [
      'daemon off;', 'master_process off;', `pid ${join(folder, 'nginx.pid')};`, 'error_log stderr;', 'events {}',
      'http {', `  access_log off; client_body_temp_path ${folder}; proxy_temp_path ${folder};`, `  include ${join(folder, names.nginx.fileName)};`, '}', '',
    ].join('\n'));
    const output: string[] = [];
    running.push(runProxy(folder, [NGINX, '-p', folder, '-c', join(folder, 'nginx.conf')], output));
    await waitForPort(httpsPort).catch((error: Error) => { throw new Error(`${error.message}: ${output.join('')}`); });

    await expectBothNames(httpsPort);
    // A name nginx does not serve reaches no exposure (nginx would hand it to its first server).
    expect(await visit(`other.${DOMAIN}`, httpsPort)).toMatchObject({ status: '421' });
    // Port 80, chosen by the Host header: to HTTPS, path kept.
    const { stdout } = await run('curl', ['-s', '-o', '/dev/null', '-w', '%{http_code} %{redirect_url}', '-H', `Host: api.${DOMAIN}`, `http://127.0.0.1:${httpPort}/a?b=1`]);
    expect(stdout).toBe(`308 https://api.${DOMAIN}/a?b=1`);

    // Check asks each name over HTTPS as a visitor would, the certificate checked.
    const check = (names: object) => checkServer(setup, exposures, { running: bridge.instance, names: { address: '127.0.0.1', ...names } });
    const lines = (found: Awaited<ReturnType<typeof checkServer>>) => found.steps.map((step) => `${step.state}: ${step.title}`);
    const passed = await check({ port: httpsPort, ca: trusted });
    expect(lines(passed)).toEqual([
      'ok: server reachable', 'ok: link accepted',
      `ok: exposure Web → https://web.${DOMAIN} reaches 127.0.0.1:${web.port}`,
      `ok: exposure API → https://api.${DOMAIN} reaches 127.0.0.1:${api.port}`,
    ]);
    expect(lines(await check({ port: httpsPort }))).toContain(`failed: exposure Web → https://web.${DOMAIN}: certificate not trusted`);
    const [closedPort] = await freePorts(1);
    expect(lines(await check({ port: closedPort, ca: trusted }))).toContain(`failed: exposure API → https://api.${DOMAIN} is refused`);
  });

  it.skipIf(!available('caddy', ['version']))('Caddy: each name reaches its exposure through V2Ray over HTTPS it set up itself', async () => {
    const names = setup.names;
    if (!names) throw new Error('no names');
    const [httpsPort = 0, httpPort = 0] = await freePorts(2);
    const folder = mkdtempSync(join(tmpdir(), 'porthole-caddy-names-'));
    folders.push(folder);
    writeFileSync(join(folder, names.caddy.fileName), names.caddy.text);
    // The main Caddyfile of a test machine: no admin endpoint, its own CA, free ports; then the import line as the command adds it.
    writeFileSync(join(folder, 'Caddyfile'), `{\n\tadmin off\n\tlocal_certs\n\tskip_install_trust\n\thttp_port ${httpPort}\n\thttps_port ${httpsPort}\n}\n\nimport ${join(folder, names.caddy.fileName)}\n`);
    const output: string[] = [];
    running.push(runProxy(folder, ['caddy', 'run', '--config', join(folder, 'Caddyfile'), '--adapter', 'caddyfile'], output));
    await waitForPort(httpsPort).catch((error: Error) => { throw new Error(`${error.message}: ${output.join('')}`); });
    // Caddy signs its certificates just after it listens.
    await waitUntil(async () => (await visit(`web.${DOMAIN}`, httpsPort).catch(() => ({ status: '000' }))).status === '200', 15_000, `Caddy's certificate for web.${DOMAIN}: ${output.join('')}`);

    await expectBothNames(httpsPort);
    // Caddy has no certificate for a name it does not serve: the handshake fails.
    expect(await visit(`other.${DOMAIN}`, httpsPort).catch(() => ({ status: 'refused' }))).toMatchObject({ status: expect.stringMatching(/^(refused|000)$/) });
    const { stdout } = await run('curl', ['-s', '-o', '/dev/null', '-w', '%{http_code} %{redirect_url}', '-H', `Host: web.${DOMAIN}`, `http://127.0.0.1:${httpPort}/x`]);
    expect(stdout).toMatch(new RegExp(`^30[18] https://web\\.${DOMAIN.replace(/\./g, '\\.')}(:${httpsPort})?/x$`));
  });
});
