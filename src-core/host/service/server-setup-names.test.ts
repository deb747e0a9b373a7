/**
 * Server setup → Names for a V2Ray portal: the texts (Caddy site blocks, nginx servers, certbot),
 * what names change in the V2Ray config and the firewall, and the real `caddy` and `nginx`
 * accepting the files as shown (self-signed certificates stand in for certbot's for `nginx -t`).
 */
import { spawnSync } from 'node:child_process';
import { existsSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import type { Exposure, ServerSetup } from '../api/index.js';
import { exportV2RayConfig, loadConfig } from '../../engine/config/index.js';
import { createCertificateFolder, openSslAvailable } from '../../engine/transport/internet/testdata/certs.js';
import { bridgeConfig } from '../../../test/support/reverse-pair.js';
import { v2rayAvailable, v2rayTest } from '../../../test/support/v2ray.js';
import { serverSetup } from './server-setup.js';

const exposure = (fields: Partial<Exposure>): Exposure => ({ id: 'e-00000001', name: 'Web', localHost: '127.0.0.1', localPort: 80, publicPort: null, enabled: true, createdAt: 0, ...fields });

/** A bridge dialling the server at `address` on port 1024 over plain TCP. */
function bridgeTo(address: string) {
  const exported = exportV2RayConfig(bridgeConfig({ publicPort: 1, linkPort: 1024, upstreamPort: 80 })) as { outbounds: Array<{ protocol: string; settings: { vnext: Array<{ address: string }> } }> };
  for (const outbound of exported.outbounds) if (outbound.protocol === 'vmess') for (const server of outbound.settings.vnext) server.address = address;
  return loadConfig([{ name: 'bridge.json', text: JSON.stringify(exported) }]);
}

const exposures = [
  exposure({ id: 'e-00000001', name: 'Web', localPort: 80, label: 'web' }),
  exposure({ id: 'e-00000002', name: 'My API', localPort: 3000, publicPort: 9000 }),
  exposure({ id: 'e-00000003', name: 'Off', localPort: 22, enabled: false, label: 'off' }),
];
const named = (domain = '203-0-113-5.sslip.io'): ServerSetup => serverSetup('vps', bridgeTo('203.0.113.5'), exposures, { namesDomain: domain });
type Inbound = { tag: string; listen?: string; port: number; protocol: string };
const inboundsOf = (text: string) => (JSON.parse(text.replace(/^\/\/.*\n/, '')) as { inbounds: Inbound[] }).inbounds;

describe('Server setup names for a V2Ray portal', () => {
  it('names each enabled exposure <label>.<domain> (a default label from its name when it has none), at its dokodemo port', () => {
    expect(named().names).toMatchObject({
      domain: '203-0-113-5.sslip.io',
      names: [
        { exposureId: 'e-00000001', name: 'Web', host: 'web.203-0-113-5.sslip.io', url: 'https://web.203-0-113-5.sslip.io', port: 8080 },
        { exposureId: 'e-00000002', name: 'My API', host: 'my-api.203-0-113-5.sslip.io', url: 'https://my-api.203-0-113-5.sslip.io', port: 9000 },
      ],
    });
    expect(named().exposures).toEqual([
      'https://web.203-0-113-5.sslip.io → 127.0.0.1:8080 → 127.0.0.1:80 (Web)',
      'https://my-api.203-0-113-5.sslip.io → 127.0.0.1:9000 → 127.0.0.1:3000 (My API)',
    ]);
  });

  it('puts the dokodemo-door inbounds on 127.0.0.1 in the V2Ray config only; without names they stay public', () => {
    const dokodemo = (text: string) => inboundsOf(text).filter((inbound) => inbound.protocol === 'dokodemo-door').map((inbound) => `${inbound.listen ?? '*'}:${inbound.port}`);
    const setup = named();
    expect(dokodemo(setup.v2ray.text)).toEqual(['127.0.0.1:8080', '127.0.0.1:9000']);
    expect(inboundsOf(setup.v2ray.text)[0]?.listen).toBeUndefined();
    // A Porthole portal serves names itself: its variant keeps the public ports.
    expect(dokodemo(setup.porthole.text)).toEqual(['*:8080', '*:9000']);
    const plain = serverSetup('vps', bridgeTo('203.0.113.5'), exposures);
    expect({ names: plain.names, ports: dokodemo(plain.v2ray.text) }).toEqual({ names: null, ports: ['*:8080', '*:9000'] });
  });

  it('the firewall opens the link port, 80 and 443, not the raw ports', () => {
    const { install } = named();
    const step = (id: string) => install.steps.find((entry) => entry.id === id);
    expect({ ports: install.ports, ufw: step('firewall-ufw')?.command, note: step('firewall-ufw')?.note, firewalld: step('firewall-firewalld')?.command }).toEqual({
      ports: [1024, 80, 443],
      ufw: 'sudo ufw allow 1024/tcp && sudo ufw allow 80/tcp && sudo ufw allow 443/tcp',
      note: 'TCP 1024, 80, 443: the link, then 80 and 443 for the names (Caddy or nginx; the exposures’ ports stay on loopback).',
      firewalld: 'sudo firewall-cmd --permanent --add-port=1024/tcp --add-port=80/tcp --add-port=443/tcp && sudo firewall-cmd --reload',
    });
    // WebSocket + TLS already on 443: the port is opened once.
    expect(serverSetup('vps', bridgeTo('203.0.113.5'), exposures, { namesDomain: 'tunnel.example.com', transport: 'ws-tls', serverName: 'vps.example.com' }).install.ports).toEqual([443, 80]);
  });

  it('Caddy: one site block per name, reverse_proxy to its loopback port, imported once from the main Caddyfile', () => {
    const caddy = named('Tunnel.Example.com').names?.caddy;
    expect(caddy?.fileName).toBe('porthole-names.caddy');
    expect(caddy?.text.split('\n').filter((line) => !line.startsWith('#'))).toEqual([
      '', 'web.tunnel.example.com {', '\treverse_proxy 127.0.0.1:8080', '}',
      '', 'my-api.tunnel.example.com {', '\treverse_proxy 127.0.0.1:9000', '}', '',
    ]);
    expect(caddy?.command).toBe("sudo cp porthole-names.caddy /etc/caddy/porthole-names.caddy && (grep -qxF 'import /etc/caddy/porthole-names.caddy' /etc/caddy/Caddyfile || echo 'import /etc/caddy/porthole-names.caddy' | sudo tee -a /etc/caddy/Caddyfile >/dev/null) && sudo caddy validate --config /etc/caddy/Caddyfile --adapter caddyfile && sudo systemctl reload caddy");
  });

  it('nginx: a port-80 server for certbot and the redirect, one TLS server per name with certbot\'s files, streaming proxy headers', () => {
    const names = named().names;
    const text = names?.nginx.text ?? '';
    expect(text).toContain('server {\n    listen 80;\n    server_name web.203-0-113-5.sslip.io my-api.203-0-113-5.sslip.io;\n    location / {\n        return 308 https://$host$request_uri;\n    }\n}');
    expect(text).toContain([
      'server {',
      '    listen 443 ssl;',
      '    server_name my-api.203-0-113-5.sslip.io;',
      '    ssl_certificate /etc/letsencrypt/live/my-api.203-0-113-5.sslip.io/fullchain.pem;',
      '    ssl_certificate_key /etc/letsencrypt/live/my-api.203-0-113-5.sslip.io/privkey.pem;',
      '    # nginx hands names it does not know to its first server: only this name reaches the exposure.',
      '    if ($host != my-api.203-0-113-5.sslip.io) {',
      '        return 421;',
      '    }',
      '',
      '    location / {',
      '        proxy_pass http://127.0.0.1:9000;',
      '        proxy_http_version 1.1;',
      '        proxy_set_header Host $host;',
      '        proxy_set_header Upgrade $http_upgrade;',
      '        proxy_set_header Connection $porthole_connection;',
      '        proxy_set_header X-Forwarded-For $proxy_add_x_forwarded_for;',
      '        proxy_set_header X-Forwarded-Proto $scheme;',
      '        proxy_set_header X-Forwarded-Host $host;',
      '        proxy_set_header X-Real-IP $remote_addr;',
    ].join('\n'));
    expect(text.match(/proxy_buffering off;/g)).toHaveLength(2);
    expect(names?.nginx.command).toBe('sudo cp porthole-names.nginx.conf /etc/nginx/conf.d/ && sudo nginx -t && sudo systemctl reload nginx');
    expect(names?.certbot).toBe([
      'sudo apt install certbot python3-certbot-nginx',
      "sudo certbot certonly --nginx --cert-name web.203-0-113-5.sslip.io -d web.203-0-113-5.sslip.io --deploy-hook 'systemctl reload nginx'",
      "sudo certbot certonly --nginx --cert-name my-api.203-0-113-5.sslip.io -d my-api.203-0-113-5.sslip.io --deploy-hook 'systemctl reload nginx'",
    ].join(' && '));
  });

  it('takes a domain as typed (case, a leading "*.", a trailing dot) and refuses what is not one, naming it', () => {
    expect(named(' *.Tunnel.Example.COM. ').names?.domain).toBe('tunnel.example.com');
    for (const bad of ['localhost', 'tunnel example.com', 'a.-b.com', 'x.com;evil']) {
      expect(() => named(bad)).toThrow(expect.objectContaining({ code: 'PH_SETUP_BAD_INPUT', message: expect.stringContaining(`names domain "${bad}" is not a domain name`) }));
    }
    expect(() => named(`${'a'.repeat(60)}.${'b'.repeat(60)}.${'c'.repeat(60)}.example.com`)).toThrow(expect.objectContaining({ code: 'PH_SETUP_BAD_INPUT', message: expect.stringContaining('is 194 characters: at most 189') }));
    // Empty is "no names", not an error.
    expect(named('  ').names).toBeNull();
  });

  it('without exposures: no names, files that still load', () => {
    const setup = serverSetup('vps', bridgeTo('203.0.113.5'), [], { namesDomain: 'example.com' });
    expect({ names: setup.names?.names, nginx: setup.names?.nginx.text, certbot: setup.names?.certbot, ports: setup.install.ports }).toEqual({
      names: [], nginx: '# Porthole names for profile "vps" under example.com: no exposures yet; each one added gets a server here.\n', certbot: 'sudo apt install certbot python3-certbot-nginx', ports: [1024, 80, 443],
    });
    expect(setup.names?.caddy.text.split('\n').every((line) => line === '' || line.startsWith('#'))).toBe(true);
  });

  it('two exposures with the same label still get two names', () => {
    const setup = serverSetup('vps', bridgeTo('203.0.113.5'), [exposure({ label: 'web' }), exposure({ id: 'e-00000002', localPort: 81, label: 'web' })], { namesDomain: 'example.com' });
    expect(setup.names?.names.map((name) => name.host)).toEqual(['web.example.com', 'web-2.example.com']);
  });
});

// ---- the real tools accept the files as shown

const toolAvailable = (command: string, args: string[]) => spawnSync(command, args, { stdio: 'ignore' }).status === 0;
const NGINX = existsSync('/usr/sbin/nginx') ? '/usr/sbin/nginx' : 'nginx';

describe.skipIf(!v2rayAvailable())('v2ray -test accepts the V2Ray config with names', () => {
  it('loopback dokodemo-door inbounds', () => {
    const result = v2rayTest(named().v2ray.text);
    expect(result.output).toContain('Configuration OK');
    expect(result.status).toBe(0);
  });
});

describe.skipIf(!toolAvailable('caddy', ['version']))('caddy accepts the names file', () => {
  function withCaddyfile(run: (folder: string, caddyfile: string) => void): void {
    const folder = mkdtempSync(join(tmpdir(), 'porthole-caddy-names-'));
    try {
      const names = named().names;
      if (!names) throw new Error('no names');
      // As on the server: the main Caddyfile imports the file by its absolute path.
      writeFileSync(join(folder, names.caddy.fileName), names.caddy.text);
      writeFileSync(join(folder, 'Caddyfile'), `import ${join(folder, names.caddy.fileName)}\n`);
      run(folder, join(folder, 'Caddyfile'));
    } finally {
      rmSync(folder, { recursive: true, force: true });
    }
  }
  const env = (folder: string) => ({ ...process.env, HOME: folder, XDG_DATA_HOME: folder, XDG_CONFIG_HOME: folder });

  it('caddy adapt: one HTTPS route per name to its port, automatic HTTPS on', () => {
    withCaddyfile((folder, caddyfile) => {
      const adapted = spawnSync('caddy', ['adapt', '--config', caddyfile, '--adapter', 'caddyfile'], { encoding: 'utf8', env: env(folder) });
      expect(adapted.status, adapted.stderr).toBe(0);
      expect(adapted.stderr).not.toMatch(/warn/i);
      type Route = { match: Array<{ host: string[] }>; handle: Array<{ routes: Array<{ handle: Array<{ handler: string; upstreams: Array<{ dial: string }> }> }> }> };
      const json = JSON.parse(adapted.stdout) as { apps: { http: { servers: Record<string, { listen: string[]; routes: Route[]; automatic_https?: unknown }> } } };
      const servers = Object.values(json.apps.http.servers);
      expect(servers.map((server) => ({ listen: server.listen, auto: server.automatic_https ?? 'on' }))).toEqual([{ listen: [':443'], auto: 'on' }]);
      const routes = servers[0]?.routes.map((route) => ({ host: route.match[0]?.host, handler: route.handle[0]?.routes[0]?.handle[0]?.handler, dial: route.handle[0]?.routes[0]?.handle[0]?.upstreams[0]?.dial }));
      // Caddy orders sites by how specific their address is: compare by host.
      expect(routes?.sort((a, b) => String(a.host).localeCompare(String(b.host)))).toEqual([
        { host: ['my-api.203-0-113-5.sslip.io'], handler: 'reverse_proxy', dial: '127.0.0.1:9000' },
        { host: ['web.203-0-113-5.sslip.io'], handler: 'reverse_proxy', dial: '127.0.0.1:8080' },
      ]);
    });
  });

  it('caddy validate loads it', () => {
    withCaddyfile((folder, caddyfile) => {
      const result = spawnSync('caddy', ['validate', '--config', caddyfile, '--adapter', 'caddyfile'], { encoding: 'utf8', timeout: 30_000, env: env(folder) });
      expect(`${result.stdout}${result.stderr}`).toContain('Valid configuration');
      expect(result.status).toBe(0);
    });
  });
});

describe.skipIf(!toolAvailable(NGINX, ['-v']) || !openSslAvailable())('nginx -t accepts the names config', () => {
  it('inside http { }, with self-signed certificates where certbot\'s would be', () => {
    const certs = createCertificateFolder();
    const folder = mkdtempSync(join(tmpdir(), 'porthole-nginx-names-'));
    try {
      const names = named().names;
      if (!names) throw new Error('no names');
      let text = names.nginx.text;
      for (const name of names.names) {
        const cert = certs.make(name.host, name.host);
        text = text.replace(`/etc/letsencrypt/live/${name.host}/fullchain.pem`, cert.certFile).replace(`/etc/letsencrypt/live/${name.host}/privkey.pem`, cert.keyFile);
      }
      expect(text).not.toContain('/etc/letsencrypt');
      writeFileSync(join(folder, names.nginx.fileName), text);
      writeFileSync(join(folder, 'nginx.conf'), [
        'daemon off;', `pid ${join(folder, 'nginx.pid')};`, `error_log ${join(folder, 'error.log')};`, 'events {}',
        'http {', `  access_log off; client_body_temp_path ${folder}; proxy_temp_path ${folder};`, `  include ${join(folder, names.nginx.fileName)};`, '}', '',
      ].join('\n'));
      const result = spawnSync(NGINX, ['-t', '-p', folder, '-c', join(folder, 'nginx.conf')], { encoding: 'utf8' });
      expect(result.stderr).toContain('test is successful');
      expect(result.status).toBe(0);
    } finally {
      rmSync(folder, { recursive: true, force: true });
      certs.remove();
    }
  });
});
