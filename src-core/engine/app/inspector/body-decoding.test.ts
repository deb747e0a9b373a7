import { randomBytes } from 'node:crypto';
import zlib from 'node:zlib';
import { describe, expect, it } from 'vitest';
import { bodyViewOf, decodeBody } from './body-decoding.js';

const text = Buffer.from('{"hello":"world","n":[1,2,3]}'.repeat(200));
const body = (data: Buffer, truncated = false) => ({ data, size: data.length, truncated });

describe('decodeBody', () => {
  it.each([
    ['gzip', zlib.gzipSync(text)],
    ['br', zlib.brotliCompressSync(text)],
    ['deflate', zlib.deflateSync(text)],
    ['deflate', zlib.deflateRawSync(text)],
  ])('undoes %s', async (coding, encoded) => {
    expect(await decodeBody(body(encoded), [['Content-Encoding', coding]])).toEqual({ data: text, codings: [coding], partial: false, problem: null });
  });

  it('undoes several codings from the last applied', async () => {
    const encoded = zlib.brotliCompressSync(zlib.gzipSync(text));
    expect(await decodeBody(body(encoded), [['Content-Encoding', 'gzip, br']])).toEqual({ data: text, codings: ['gzip', 'br'], partial: false, problem: null });
  });

  it('stops at the output cap (a small body that inflates hugely)', async () => {
    const bomb = zlib.gzipSync(Buffer.alloc(50 * 1024 * 1024));
    const decoded = await decodeBody(body(bomb), [['Content-Encoding', 'gzip']], 1024);
    expect([decoded.data.length, decoded.partial, decoded.problem]).toEqual([1024, true, null]);
  });

  it('decodes a body cut at the capture cap as far as it goes', async () => {
    const data = randomBytes(100_000).toString('hex');
    const encoded = zlib.gzipSync(Buffer.from(data));
    const decoded = await decodeBody(body(encoded.subarray(0, encoded.length / 2), true), [['Content-Encoding', 'gzip']]);
    expect(decoded.partial).toBe(true);
    expect(decoded.data.length).toBeGreaterThan(0);
    expect(data.startsWith(decoded.data.toString())).toBe(true);
  });

  it('says so when the coding is unknown or the data corrupt, and returns the bytes as they were', async () => {
    expect(await decodeBody(body(text), [['Content-Encoding', 'zstd']])).toEqual({ data: text, codings: [], partial: false, problem: 'unknown content coding "zstd"' });
    const corrupt = await decodeBody(body(Buffer.from('not gzip at all')), [['Content-Encoding', 'gzip']]);
    expect([corrupt.data.toString(), corrupt.problem?.startsWith('gzip: ')]).toEqual(['not gzip at all', true]);
  });
});

describe('bodyViewOf', () => {
  it.each([
    ['application/json; charset=utf-8', '{}', 'json'],
    ['application/problem+json', '{}', 'json'],
    ['application/x-www-form-urlencoded', 'a=1&b=2', 'form'],
    ['text/html', '<p>', 'text'],
    ['', 'plain words\n', 'text'],
    ['application/octet-stream', '\x00\x01\x02', 'hex'],
    ['', '\xff\xfe', 'hex'],
    ['text/plain', '', 'empty'],
  ])('%s with %j is shown as %s', (type, content, view) => {
    expect(bodyViewOf(Buffer.from(content, 'latin1'), type ? [['Content-Type', type]] : [])).toBe(view);
  });
});
