import { Ajv } from 'ajv';
import zlib from 'node:zlib';
import { describe, expect, it } from 'vitest';
import type { CapturedEntry } from './captured-entry.js';
import { CaptureStore } from './capture-store.js';
import { ConnectionTap } from './connection-tap.js';
import { toHar } from './har-export.js';
import { MASK } from './masking.js';
import { websocketEcho } from '../../../../test/support/http-scenarios.js';

/**
 * HAR 1.2 as its spec (http://www.softwareishard.com/blog/har-12-spec/) words it: every field it
 * calls required, with its type; `_`-prefixed custom fields allowed.
 */
const nameValue = { type: 'object', required: ['name', 'value'], properties: { name: { type: 'string' }, value: { type: 'string' }, comment: { type: 'string' } } };
const cookie = { type: 'object', required: ['name', 'value'], properties: { name: { type: 'string' }, value: { type: 'string' }, path: { type: 'string' }, httpOnly: { type: 'boolean' } } };
const HAR_SCHEMA = {
  type: 'object',
  required: ['log'],
  properties: {
    log: {
      type: 'object',
      required: ['version', 'creator', 'entries'],
      properties: {
        version: { const: '1.2' },
        creator: { type: 'object', required: ['name', 'version'], properties: { name: { type: 'string' }, version: { type: 'string' } } },
        entries: {
          type: 'array',
          items: {
            type: 'object',
            required: ['startedDateTime', 'time', 'request', 'response', 'cache', 'timings'],
            propertyNames: { anyOf: [{ enum: ['pageref', 'startedDateTime', 'time', 'request', 'response', 'cache', 'timings', 'serverIPAddress', 'connection', 'comment'] }, { pattern: '^_' }] },
            properties: {
              startedDateTime: { type: 'string', format: 'date-time' },
              time: { type: 'number', minimum: 0 },
              request: {
                type: 'object',
                required: ['method', 'url', 'httpVersion', 'cookies', 'headers', 'queryString', 'headersSize', 'bodySize'],
                properties: {
                  method: { type: 'string' }, url: { type: 'string' }, httpVersion: { type: 'string' },
                  cookies: { type: 'array', items: cookie }, headers: { type: 'array', items: nameValue }, queryString: { type: 'array', items: nameValue },
                  postData: { type: 'object', required: ['mimeType', 'params', 'text'], properties: { mimeType: { type: 'string' }, text: { type: 'string' }, params: { type: 'array', items: { type: 'object', required: ['name'] } } } },
                  headersSize: { type: 'integer' }, bodySize: { type: 'integer' },
                },
              },
              response: {
                type: 'object',
                required: ['status', 'statusText', 'httpVersion', 'cookies', 'headers', 'content', 'redirectURL', 'headersSize', 'bodySize'],
                properties: {
                  status: { type: 'integer' }, statusText: { type: 'string' }, httpVersion: { type: 'string' },
                  cookies: { type: 'array', items: cookie }, headers: { type: 'array', items: nameValue },
                  content: { type: 'object', required: ['size', 'mimeType'], properties: { size: { type: 'integer' }, compression: { type: 'integer' }, mimeType: { type: 'string' }, text: { type: 'string' }, encoding: { type: 'string' } } },
                  redirectURL: { type: 'string' }, headersSize: { type: 'integer' }, bodySize: { type: 'integer' },
                },
              },
              cache: { type: 'object' },
              timings: {
                type: 'object',
                required: ['send', 'wait', 'receive'],
                properties: Object.fromEntries(['blocked', 'dns', 'connect', 'send', 'wait', 'receive', 'ssl'].map((name) => [name, { type: 'number', minimum: ['send', 'wait', 'receive'].includes(name) ? 0 : -1 }])),
              },
              connection: { type: 'string' },
            },
          },
        },
      },
    },
  },
};

function captureAll(turns: Array<{ from: 'visitor' | 'service'; bytes: Buffer }>): CapturedEntry[] {
  const store = new CaptureStore(() => 100);
  const tap = new ConnectionTap({ exposureId: 'e', connectionId: 3, store, bodyCapBytes: 1024 * 1024 });
  for (const turn of turns) {
    if (turn.from === 'visitor') tap.fromVisitor(turn.bytes);
    else tap.fromService(turn.bytes);
  }
  tap.close();
  return [...store.list('e')];
}

const gzipped = zlib.gzipSync(Buffer.from('{"ok":true}'));
const conversation = [
  { from: 'visitor' as const, bytes: Buffer.from('POST /form?x=1&y=two HTTP/1.1\r\nHost: app.example\r\nCookie: sid=abc; theme=dark\r\nAuthorization: Basic dTpw\r\nContent-Type: application/x-www-form-urlencoded\r\nContent-Length: 7\r\n\r\na=1&b=2') },
  { from: 'service' as const, bytes: Buffer.concat([Buffer.from(`HTTP/1.1 302 Found\r\nLocation: /done\r\nSet-Cookie: sid=new; HttpOnly\r\nContent-Type: application/json\r\nContent-Encoding: gzip\r\nContent-Length: ${gzipped.length}\r\n\r\n`), gzipped]) },
  { from: 'visitor' as const, bytes: Buffer.from('GET /bin HTTP/1.1\r\nHost: app.example\r\n\r\n') },
  { from: 'service' as const, bytes: Buffer.from('HTTP/1.1 200 OK\r\nContent-Type: application/octet-stream\r\nContent-Length: 3\r\n\r\n\x00\x01\x02', 'latin1') },
  { from: 'visitor' as const, bytes: Buffer.from('GET /pending HTTP/1.1\r\nHost: app.example\r\n\r\n') },
];

describe('toHar', () => {
  it('writes HAR 1.2 that the spec\'s required fields and types accept, for complete, binary, aborted and WebSocket entries', async () => {
    const entries = [...captureAll(conversation), ...captureAll(websocketEcho().turns)];
    const har = await toHar(entries, { version: '0.1.0' });
    const ajv = new Ajv({ allErrors: true, validateFormats: false });
    const valid = ajv.validate(HAR_SCHEMA, har);
    expect(ajv.errors ?? []).toEqual([]);
    expect(valid).toBe(true);
    expect(har.log.entries.map((entry) => [entry.request.method, entry.response.status, entry._state])).toEqual([
      ['POST', 302, 'complete'], ['GET', 200, 'complete'], ['GET', 0, 'aborted'], ['GET', 101, 'complete'],
    ]);
  });

  it('fills what viewers show: query, form params, cookies masked, decoded content, redirect, sizes', async () => {
    const [form, binary] = (await toHar(captureAll(conversation))).log.entries;
    expect(form?.request).toMatchObject({
      url: 'http://app.example/form?x=1&y=two',
      queryString: [{ name: 'x', value: '1' }, { name: 'y', value: 'two' }],
      cookies: [{ name: 'sid', value: MASK }, { name: 'theme', value: MASK }],
      postData: { mimeType: 'application/x-www-form-urlencoded', text: 'a=1&b=2', params: [{ name: 'a', value: '1' }, { name: 'b', value: '2' }] },
      bodySize: 7,
    });
    expect(form?.request.headers).toContainEqual({ name: 'Authorization', value: `Basic ${MASK}` });
    expect(form?.response).toMatchObject({
      redirectURL: '/done',
      cookies: [{ name: 'sid', value: MASK }],
      content: { size: 11, compression: gzipped.length - 11, mimeType: 'application/json', text: '{"ok":true}' },
      bodySize: gzipped.length,
    });
    expect(binary?.response.content).toEqual({ size: 3, mimeType: 'application/octet-stream', text: 'AAEC', encoding: 'base64' });
  });

  it('shows secrets when revealed', async () => {
    const [form] = (await toHar(captureAll(conversation), { reveal: true })).log.entries;
    expect(form?.request.cookies).toEqual([{ name: 'sid', value: 'abc' }, { name: 'theme', value: 'dark' }]);
    expect(form?.request.headers).toContainEqual({ name: 'Authorization', value: 'Basic dTpw' });
  });

  it('leaves connections that were not HTTP out', async () => {
    const entries = captureAll([{ from: 'visitor', bytes: Buffer.from([0x16, 0x03, 0x01]) }]);
    expect(entries.map((entry) => entry.kind)).toEqual(['not-http']);
    expect((await toHar(entries)).log.entries).toEqual([]);
  });
});
