/**
 * The app:// file handler on a real folder in the temp directory: which URL reads which file,
 * with which Content-Type and headers, and that nothing outside the folder is ever read, however
 * the path is spelled.
 */
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createRendererFileHandler, resolveRendererFile } from './renderer-files.js';
import { RENDERER_CSP } from './web-preferences.js';

let root: string;
let folder: string;

beforeAll(() => {
  root = mkdtempSync(join(tmpdir(), 'porthole-renderer-'));
  folder = join(root, 'renderer');
  mkdirSync(join(folder, 'assets'), { recursive: true });
  writeFileSync(join(folder, 'index.html'), '<!doctype html><title>Porthole</title>');
  writeFileSync(join(folder, 'favicon.svg'), '<svg/>');
  writeFileSync(join(folder, 'assets', 'index-abc.js'), 'console.log(1)');
  writeFileSync(join(folder, 'assets', 'index-abc.css'), 'body{}');
  writeFileSync(join(folder, 'assets', 'tool.exe'), 'MZ');
  writeFileSync(join(folder, '.env'), 'SECRET=1');
  writeFileSync(join(root, 'secret.txt'), 'must not be served');
  writeFileSync(join(root, 'renderer-evil.html'), 'must not be served');
});

afterAll(() => {
  rmSync(root, { recursive: true, force: true });
});

describe('resolveRendererFile', () => {
  it.each([
    ['app://porthole/', 'index.html', 'text/html; charset=utf-8'],
    ['app://porthole', 'index.html', 'text/html; charset=utf-8'],
    ['app://porthole/index.html#/overview', 'index.html', 'text/html; charset=utf-8'],
    ['app://porthole/index.html?x=1', 'index.html', 'text/html; charset=utf-8'],
    ['app://porthole/assets/index-abc.js', join('assets', 'index-abc.js'), 'text/javascript; charset=utf-8'],
    ['app://porthole/assets/index-abc.css', join('assets', 'index-abc.css'), 'text/css; charset=utf-8'],
    ['app://porthole/favicon.svg', 'favicon.svg', 'image/svg+xml'],
    ['app://porthole/assets/', join('assets', 'index.html'), 'text/html; charset=utf-8'],
  ])('%s → %s (%s)', (url, file, contentType) => {
    expect(resolveRendererFile(url, folder)).toEqual({ ok: true, path: join(folder, file), contentType });
  });

  it.each([
    ['app://porthole/../secret.txt'],
    ['app://porthole/%2e%2e/secret.txt'],
    ['app://porthole/assets/%2E%2e/%2e./.%2e/secret.txt'],
  ])('resolves dot segments as URLs do, clamped at the root: %s → the folder\'s own secret.txt', (url) => {
    expect(resolveRendererFile(url, folder)).toEqual({ ok: true, path: join(folder, 'secret.txt'), contentType: 'text/plain; charset=utf-8' });
  });

  it.each([
    ['encoded slash', 'app://porthole/%2e%2e%2fsecret.txt'],
    ['encoded backslash', 'app://porthole/..%5csecret.txt'],
    ['backslash', 'app://porthole/assets\\..\\..\\secret.txt'],
    ['sibling folder sharing the prefix', 'app://porthole/..%2frenderer-evil.html'],
    ['absolute path in the path', 'app://porthole//etc/passwd'],
    ['encoded absolute path', 'app://porthole/%2fetc%2fpasswd'],
    ['NUL byte', 'app://porthole/index.html%00.js'],
    ['Windows drive', 'app://porthole/C:%5cWindows%5cwin.ini'],
    ['dot file', 'app://porthole/.env'],
    ['type the renderer does not ship', 'app://porthole/assets/tool.exe'],
    ['no extension', 'app://porthole/assets'],
    ['another host', 'app://evil/index.html'],
    ['a port', 'app://porthole:1/index.html'],
    ['another scheme', 'file:///etc/passwd'],
  ])('refuses %s', (_what, url) => {
    expect(resolveRendererFile(url, folder)).toEqual({ ok: false, status: 404 });
  });

  it('answers 400 to a path that is not valid percent-encoding', () => {
    expect(resolveRendererFile('app://porthole/%E0%A4%A.js', folder)).toEqual({ ok: false, status: 400 });
  });
});

describe('createRendererFileHandler', () => {
  const handler = () => createRendererFileHandler(folder);

  it('serves a file with its type, the CSP and nosniff', async () => {
    const response = await handler()(new Request('app://porthole/assets/index-abc.js'));
    expect({
      status: response.status,
      body: await response.text(),
      type: response.headers.get('content-type'),
      csp: response.headers.get('content-security-policy'),
      nosniff: response.headers.get('x-content-type-options'),
      corp: response.headers.get('cross-origin-resource-policy'),
    }).toEqual({ status: 200, body: 'console.log(1)', type: 'text/javascript; charset=utf-8', csp: RENDERER_CSP, nosniff: 'nosniff', corp: 'same-origin' });
  });

  it('answers HEAD without a body', async () => {
    const response = await handler()(new Request('app://porthole/', { method: 'HEAD' }));
    expect([response.status, response.headers.get('content-length'), await response.text()]).toEqual([200, '38', '']);
  });

  it('refuses what it does not serve: traversal, missing files, other methods, other origins', async () => {
    const serve = handler();
    const fromOrigin = (initiatorOrigin: string) => Object.assign(new Request('app://porthole/index.html'), { initiatorOrigin });
    const responses = await Promise.all([
      serve(new Request('app://porthole/%2e%2e/secret.txt')),
      serve(new Request('app://porthole/missing.js')),
      serve(new Request('app://porthole/index.html', { method: 'POST', body: 'x' })),
      serve(fromOrigin('https://evil.example')),
      serve(fromOrigin('null')),
      serve(fromOrigin('app://porthole')),
    ]);
    expect(responses.map((response) => response.status)).toEqual([404, 404, 405, 403, 403, 200]);
  });

  it('never reads outside the folder, whatever the read function would find', async () => {
    const read: string[] = [];
    const serve = createRendererFileHandler(folder, { readFile: async (path) => { read.push(path); return new Uint8Array(); } });
    const urls = ['app://porthole/%2e%2e/secret.txt', 'app://porthole/..%5csecret.txt', 'app://porthole/%2e%2e%2fsecret.txt', 'app://porthole//etc/passwd', 'app://porthole/index.html'];
    await Promise.all(urls.map((url) => serve(new Request(url))));
    expect(read).toEqual([join(folder, 'secret.txt'), join(folder, 'index.html')]);
  });
});
