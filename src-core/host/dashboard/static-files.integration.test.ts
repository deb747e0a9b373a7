/**
 * The dashboard's files over real HTTP on 127.0.0.1, read with node:http (which, unlike fetch,
 * does not decode): brotli or gzip as Accept-Encoding asks, the decoded bytes equal to the file,
 * Content-Length of the bytes sent, one ETag per encoding and its 304, the cache headers, and the
 * token gate and CSP unchanged in front of it all.
 */
import { mkdtempSync, mkdirSync, readFileSync, rmSync, utimesSync, writeFileSync } from 'node:fs';
import { request as httpRequest, type IncomingHttpHeaders } from 'node:http';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { brotliDecompressSync, gunzipSync } from 'node:zlib';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { EngineService } from '../api/index.js';
import { deterministicBytes } from '../../../test/support/data.js';
import { startDashboard, type Dashboard } from './server.js';

let root: string;
let dashboard: Dashboard;

interface Reply { status: number; headers: IncomingHttpHeaders; body: Buffer }

function get(path: string, headers: Record<string, string> = {}, method = 'GET', withToken = true): Promise<Reply> {
  return new Promise((resolve, reject) => {
    const cookie = withToken ? { Cookie: `porthole_token_${dashboard.port}=${dashboard.token}` } : {};
    const request = httpRequest({ host: '127.0.0.1', port: dashboard.port, path, method, headers: { ...cookie, ...headers } }, (response) => {
      const chunks: Buffer[] = [];
      response.on('data', (chunk: Buffer) => chunks.push(chunk));
      response.on('end', () => resolve({ status: response.statusCode ?? 0, headers: response.headers, body: Buffer.concat(chunks) }));
      response.on('error', reject);
    });
    request.on('error', reject);
    request.end();
  });
}

function decoded(reply: Reply): Buffer {
  const encoding = reply.headers['content-encoding'];
  if (encoding === 'br') return brotliDecompressSync(reply.body);
  if (encoding === 'gzip') return gunzipSync(reply.body);
  return reply.body;
}

/** A script-like text (repetitive, as bundles are) of about 200 KB. */
function scriptText(): string {
  const lines: string[] = [];
  for (let i = 0; i < 4000; i += 1) lines.push(`export function handler${i}(value) { return value * ${i} + ${(i * 7919) % 1000}; }`);
  return lines.join('\n');
}

const script = () => readFileSync(join(root, 'assets', 'app-1a2b3c.js'));

beforeAll(async () => {
  root = mkdtempSync(join(tmpdir(), 'porthole-static-'));
  mkdirSync(join(root, 'assets'));
  writeFileSync(join(root, 'index.html'), `<!doctype html><html><head><title>Porthole</title><script type="module" src="/assets/app-1a2b3c.js"></script></head><body>${'<div id="root"></div>\n'.repeat(40)}</body></html>`);
  writeFileSync(join(root, 'assets', 'app-1a2b3c.js'), scriptText());
  // Random bytes do not compress: they go out as they are, whatever the browser accepts.
  writeFileSync(join(root, 'assets', 'noise-4d5e6f.png'), deterministicBytes(7, 4096));
  const service = {} as EngineService; // no call reaches it: these are file requests
  dashboard = await startDashboard({ service, port: 0, staticFolder: root });
});

afterAll(async () => {
  await dashboard?.close();
  rmSync(root, { recursive: true, force: true });
});

describe('the dashboard sends its files compressed', () => {
  it.each([
    ['br, gzip, deflate', 'br'],
    ['gzip, deflate, br, zstd', 'br'],
    ['gzip', 'gzip'],
    ['br;q=0, gzip;q=0.8', 'gzip'],
    ['identity', undefined],
    ['', undefined],
  ])('Accept-Encoding %j → %s, decoding to the file, Content-Length of what was sent', async (accept, encoding) => {
    const reply = await get('/assets/app-1a2b3c.js', accept ? { 'Accept-Encoding': accept } : {});
    expect({
      status: reply.status,
      encoding: reply.headers['content-encoding'],
      vary: reply.headers.vary,
      length: Number(reply.headers['content-length']),
      cache: reply.headers['cache-control'],
      type: reply.headers['content-type'],
    }).toEqual({
      status: 200, encoding, vary: 'Accept-Encoding', length: reply.body.length,
      cache: 'private, max-age=31536000, immutable', type: 'text/javascript; charset=utf-8',
    });
    expect(decoded(reply).equals(script())).toBe(true);
    if (encoding) expect(reply.body.length).toBeLessThan(script().length / 4);
  });

  it('one ETag per encoding; a matching If-None-Match is a 304 without a body', async () => {
    const br = await get('/assets/app-1a2b3c.js', { 'Accept-Encoding': 'br' });
    const gzip = await get('/assets/app-1a2b3c.js', { 'Accept-Encoding': 'gzip' });
    const plain = await get('/assets/app-1a2b3c.js');
    const tags = [br, gzip, plain].map((reply) => reply.headers.etag);
    expect(new Set(tags).size).toBe(3);

    const again = await get('/assets/app-1a2b3c.js', { 'Accept-Encoding': 'br', 'If-None-Match': String(br.headers.etag) });
    expect({ status: again.status, body: again.body.length, etag: again.headers.etag, vary: again.headers.vary, cache: again.headers['cache-control'] })
      .toEqual({ status: 304, body: 0, etag: br.headers.etag, vary: 'Accept-Encoding', cache: 'private, max-age=31536000, immutable' });
    // The brotli copy's tag does not stand for the gzip bytes.
    const otherEncoding = await get('/assets/app-1a2b3c.js', { 'Accept-Encoding': 'gzip', 'If-None-Match': String(br.headers.etag) });
    expect([otherEncoding.status, otherEncoding.headers['content-encoding']]).toEqual([200, 'gzip']);
  });

  it('the page: checked again on every load (no-cache), so its 304 path is what reloads use', async () => {
    const first = await get('/', { 'Accept-Encoding': 'gzip' });
    expect([first.status, first.headers['cache-control'], first.headers['content-encoding']]).toEqual([200, 'private, no-cache', 'gzip']);
    expect(decoded(first).equals(readFileSync(join(root, 'index.html')))).toBe(true);
    const reload = await get('/', { 'Accept-Encoding': 'gzip', 'If-None-Match': `W/"x", ${String(first.headers.etag)}` });
    expect([reload.status, reload.body.length]).toEqual([304, 0]);
  });

  it('a rebuilt file gets a new ETag and its new bytes', async () => {
    const before = await get('/index.html', { 'Accept-Encoding': 'br' });
    const changed = readFileSync(join(root, 'index.html'), 'utf8').replace('Porthole', 'Porthole 2');
    writeFileSync(join(root, 'index.html'), changed);
    utimesSync(join(root, 'index.html'), new Date(), new Date(Date.now() + 5000));
    const after = await get('/index.html', { 'Accept-Encoding': 'br', 'If-None-Match': String(before.headers.etag) });
    expect(after.status).toBe(200);
    expect(after.headers.etag).not.toBe(before.headers.etag);
    expect(decoded(after).toString('utf8')).toBe(changed);
  });

  it('HEAD: the same headers, no body', async () => {
    const get1 = await get('/assets/app-1a2b3c.js', { 'Accept-Encoding': 'br' });
    const head = await get('/assets/app-1a2b3c.js', { 'Accept-Encoding': 'br' }, 'HEAD');
    expect([head.status, head.headers['content-length'], head.headers['content-encoding'], head.headers.etag, head.body.length])
      .toEqual([200, get1.headers['content-length'], 'br', get1.headers.etag, 0]);
  });

  it('what does not compress goes out as it is, without Vary', async () => {
    const reply = await get('/assets/noise-4d5e6f.png', { 'Accept-Encoding': 'br, gzip' });
    expect([reply.status, reply.headers['content-encoding'], reply.headers.vary, reply.body.equals(deterministicBytes(7, 4096))]).toEqual([200, undefined, undefined, true]);
  });

  it('the token gate and the CSP stand in front of it', async () => {
    const refused = await get('/assets/app-1a2b3c.js', { 'Accept-Encoding': 'br' }, 'GET', false);
    expect([refused.status, refused.headers['content-encoding'], refused.body.toString('utf8')]).toEqual([401, undefined, expect.stringContaining('needs its token')]);
    const served = await get('/assets/app-1a2b3c.js', { 'Accept-Encoding': 'br' });
    expect(served.headers['content-security-policy']).toContain("script-src 'self'");
    expect(served.headers['x-content-type-options']).toBe('nosniff');
  });
});
