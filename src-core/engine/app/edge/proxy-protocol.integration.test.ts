/**
 * PROXY protocol headers read by a real nginx (`listen … proxy_protocol`, which takes v1 and v2):
 * a TCP front that writes the header before relaying (what a TCP exposure does) lets the service
 * see the visitor's address and port; IPv6 visitors and v1/v2 alike.
 */
import { spawn, spawnSync } from 'node:child_process';
import { chmodSync, mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import http from 'node:http';
import net from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { freePort, waitForPort } from '../../../../test/support/ports.js';
import { superviseProcess, type V2RayProcess } from '../../../../test/support/v2ray.js';
import { pumpBoth } from '../../transport/pump.js';
import { nginxAvailable } from '../../transport/internet/testdata/nginx.js';
import { encodeProxyHeader, type ProxyProtocolVersion } from './proxy-protocol.js';

function nginxBinary(): string {
  return [process.env.NGINX_BINARY, 'nginx', '/usr/sbin/nginx']
    .filter((name): name is string => Boolean(name))
    .find((name) => spawnSync(name, ['-v'], { stdio: 'ignore' }).status === 0) ?? 'nginx';
}

/** nginx answering every request with the address and port the PROXY header gave it. */
function startNginx(port: number): V2RayProcess {
  const folder = mkdtempSync(join(tmpdir(), 'porthole-nginx-pp-'));
  chmodSync(folder, 0o755);
  const temp = (name: string) => `${name}_temp_path ${join(folder, name)};`;
  const config = `daemon off;
worker_processes 1;
pid ${join(folder, 'nginx.pid')};
error_log ${join(folder, 'error.log')} info;
events { worker_connections 64; }
http {
  access_log off;
  ${temp('client_body')} ${temp('proxy')} ${temp('fastcgi')} ${temp('uwsgi')} ${temp('scgi')}
  server {
    listen 127.0.0.1:${port} proxy_protocol;
    location / { default_type text/plain; return 200 "$proxy_protocol_addr $proxy_protocol_port"; }
  }
}
`;
  const configFile = join(folder, 'nginx.conf');
  writeFileSync(configFile, config);
  const child = spawn(nginxBinary(), ['-p', folder, '-c', configFile, '-e', join(folder, 'error.log')], { stdio: ['ignore', 'pipe', 'pipe'] });
  return superviseProcess(child, folder, () => {
    try {
      return readFileSync(join(folder, 'error.log'), 'utf8');
    } catch {
      return '';
    }
  });
}

/** A TCP exposure in miniature: each visitor's connection relayed to nginx behind a PROXY header. */
async function startFront(nginxPort: number, version: ProxyProtocolVersion): Promise<net.Server> {
  const front = net.createServer((visitor) => {
    const service = net.connect(nginxPort, '127.0.0.1');
    service.write(encodeProxyHeader(version, {
      source: { address: visitor.remoteAddress ?? '', port: visitor.remotePort ?? 0 },
      destination: { address: visitor.localAddress ?? '', port: visitor.localPort ?? 0 },
    }));
    void pumpBoth(visitor, service);
  });
  await new Promise<void>((resolve) => front.listen(0, '127.0.0.1', resolve));
  return front;
}

function getThrough(port: number): Promise<{ body: string; localPort: number }> {
  return new Promise((resolve, reject) => {
    const req = http.get({ host: '127.0.0.1', port, path: '/', agent: false }, (res) => {
      let body = '';
      res.on('data', (chunk: Buffer) => { body += chunk.toString(); });
      res.on('end', () => resolve({ body, localPort: req.socket?.localPort ?? -1 }));
    });
    req.on('error', reject);
  });
}

/** A raw exchange: the header as given, then a bare HTTP/1.0 request; nginx's body back. */
function rawExchange(port: number, header: Buffer): Promise<string> {
  return new Promise((resolve, reject) => {
    const socket = net.connect(port, '127.0.0.1', () => socket.end(Buffer.concat([header, Buffer.from('GET / HTTP/1.0\r\n\r\n')])));
    let text = '';
    socket.on('data', (chunk: Buffer) => { text += chunk.toString(); });
    socket.on('end', () => resolve(text.split('\r\n\r\n')[1] ?? text));
    socket.on('error', reject);
  });
}

describe.skipIf(!nginxAvailable())('PROXY protocol read by nginx', () => {
  let nginx: V2RayProcess;
  let nginxPort: number;
  const fronts: net.Server[] = [];

  beforeAll(async () => {
    nginxPort = await freePort();
    nginx = startNginx(nginxPort);
    await waitForPort(nginxPort);
  });

  afterAll(async () => {
    for (const front of fronts) await new Promise<void>((resolve) => front.close(() => resolve()));
    await nginx?.stop();
  });

  it.each([1, 2] as const)('v%i: the service sees the visitor\'s own address and port through a TCP front', async (version) => {
    const front = await startFront(nginxPort, version);
    fronts.push(front);
    const { body, localPort } = await getThrough((front.address() as net.AddressInfo).port);
    expect(body).toBe(`127.0.0.1 ${localPort}`);
  });

  it.each([1, 2] as const)('v%i: an IPv6 visitor, and one on a dual-stack listener (IPv4-mapped), as nginx reads them', async (version) => {
    const six = await rawExchange(nginxPort, encodeProxyHeader(version, { source: { address: '2001:db8::7', port: 4242 }, destination: { address: '2001:db8::1', port: 443 } }));
    const mapped = await rawExchange(nginxPort, encodeProxyHeader(version, { source: { address: '::ffff:198.51.100.9', port: 5151 }, destination: { address: '::ffff:127.0.0.1', port: 80 } }));
    expect([six, mapped]).toEqual(['2001:db8::7 4242', '198.51.100.9 5151']);
  });
});
