import { execFile } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import net from 'node:net';
import { describe, expect, it } from 'vitest';
import type { CapturedEntry } from './captured-entry.js';
import { CaptureStore } from './capture-store.js';
import { ConnectionTap } from './connection-tap.js';
import { toCurl, printfWord, shellQuote } from './curl-export.js';
import { HttpMessageParser, type MessageHead } from '../../common/http-parser.js';
import { MASK } from './masking.js';

/** One request captured by a real tap. */
function captured(request: Buffer): CapturedEntry {
  const store = new CaptureStore(() => 10);
  const tap = new ConnectionTap({ exposureId: 'e', connectionId: 1, store, bodyCapBytes: 1024 * 1024 });
  tap.fromVisitor(request);
  tap.close();
  const [entry] = store.list('e');
  if (!entry) throw new Error('nothing captured');
  return entry;
}

function run(shell: string, command: string): Promise<Buffer> {
  return new Promise((resolve, reject) => {
    execFile(shell, ['-c', command], { encoding: 'buffer', timeout: 20_000 }, (error, stdout) => (error ? reject(error) : resolve(stdout)));
  });
}

/** A service that reads one request, answers 204 and resolves with the request as it came. */
async function oneRequestServer(): Promise<{ port: number; request: Promise<{ head: MessageHead; body: Buffer }>; close: () => void }> {
  let resolveRequest: (value: { head: MessageHead; body: Buffer }) => void = () => {};
  const request = new Promise<{ head: MessageHead; body: Buffer }>((resolve) => {
    resolveRequest = resolve;
  });
  const server = net.createServer((socket) => {
    let head: MessageHead | undefined;
    const body: Buffer[] = [];
    const parser = new HttpMessageParser('request', {
      head: (parsed) => {
        head = parsed;
        return 'framed';
      },
      body: (data, start, end) => body.push(Buffer.from(data.subarray(start, end))),
      end: () => {
        if (head) resolveRequest({ head, body: Buffer.concat(body) });
        socket.end('HTTP/1.1 204 No Content\r\nConnection: close\r\n\r\n');
      },
    });
    socket.on('data', (chunk: Buffer) => parser.execute(chunk));
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  return { port: (server.address() as net.AddressInfo).port, request, close: () => server.close() };
}

describe('shellQuote', () => {
  it.each([
    'plain', "it's", 'two\nlines\ttab', '$HOME `x` "q" \\ !', 'caf\u00e9', '\x01\x7f', Buffer.from([0xff, 0xfe, 0x27, 0x5c]),
  ])('%j reads back as the same bytes in bash', async (value) => {
    const bytes = typeof value === 'string' ? Buffer.from(value) : value;
    expect(await run('bash', `printf %s ${shellQuote(bytes)}`)).toEqual(bytes);
  });

  it.each(['bash', 'sh'])('printfWord writes any bytes back exactly in %s, NUL included', async (shell) => {
    const bytes = Buffer.concat([randomBytes(2000), Buffer.from("'\\%n0\x00")]);
    expect(await run(shell, `printf %b ${printfWord(bytes)}`)).toEqual(bytes);
  });
});

describe('toCurl', () => {
  it('masks secrets unless revealed, and leaves framing to curl', () => {
    const entry = captured(Buffer.from('GET /a?b=1 HTTP/1.1\r\nHost: app.example\r\nAuthorization: Bearer t0ken\r\nCookie: s=1\r\n\r\n'));
    expect(toCurl(entry)).toBe(`curl --http1.1 'http://app.example/a?b=1' -H 'Authorization: Bearer ${MASK}' -H 'Cookie: s=${MASK}' -H User-Agent: -H Accept:`);
    expect(toCurl(entry, { reveal: true })).toContain(`-H 'Authorization: Bearer t0ken' -H 'Cookie: s=1'`);
  });

  it('says when the body was cut at the cap', () => {
    const store = new CaptureStore(() => 10);
    const tap = new ConnectionTap({ exposureId: 'e', connectionId: 1, store, bodyCapBytes: 4 });
    tap.fromVisitor(Buffer.from('POST / HTTP/1.1\r\nHost: h\r\nContent-Length: 10\r\n\r\n0123456789'));
    const [entry] = store.list('e');
    expect(entry && toCurl(entry)?.split('\n')[0]).toBe('# the body was cut at 4 of 10 bytes');
  });

  it.each([
    ['a text body', Buffer.from(`{"it's": "$HOME \`x\`"}\n`)],
    ['a binary body with NUL bytes', Buffer.concat([randomBytes(3000), Buffer.from([0, 0x27, 0x5c])])],
  ])('real curl sends %s and the headers as captured', async (_name, body) => {
    const request = Buffer.concat([Buffer.from(`PUT /path/x?y=%20z HTTP/1.1\r\nHost: app.example\r\nX-Quote: it's "$(true)"\r\nX-Latin: caf\xe9\r\nContent-Length: ${body.length}\r\n\r\n`, 'latin1'), body]);
    const entry = captured(request);
    const server = await oneRequestServer();
    try {
      const command = toCurl(entry, { baseUrl: `http://127.0.0.1:${server.port}`, reveal: true }) ?? '';
      await run('bash', `${command} --silent --output /dev/null`);
      const received = await server.request;
      expect({ method: received.head.method, target: received.head.target, headers: received.head.headers.filter(([name]) => name !== 'Content-Length'), body: received.body }).toEqual({
        method: 'PUT', target: '/path/x?y=%20z', headers: [['Host', 'app.example'], ['X-Quote', `it's "$(true)"`], ['X-Latin', 'caf\xe9']], body,
      });
    } finally {
      server.close();
    }
  });
});
