/**
 * The streams `dial` and `listen` hand out, on 127.0.0.1, for each carrier: bytes both ways,
 * half-close where the carrier has one, and transport/abort.ts's rule that a cut stream never
 * reads as a clean end on the other side (RST under TCP and TLS, an abnormal close of a WebSocket).
 */
import { once } from 'node:events';
import { afterAll, beforeAll, describe, expect, test } from 'vitest';
import type { StreamSettings } from '../../config/types.js';
import { abortStream } from '../abort.js';
import { createCertificateFolder, openSslAvailable, type CertificateFolder, type TestCertificate } from './testdata/certs.js';
import { dial, listen, type Connection, type Listener } from './index.js';

type Kind = 'tcp' | 'tls' | 'ws' | 'ws+tls';

function settings(kind: Kind, cert: TestCertificate, side: 'server' | 'client'): StreamSettings | undefined {
  if (kind === 'tcp') return undefined;
  const tls = kind === 'ws' ? undefined : {
    serverName: 'porthole.test', allowInsecure: false, disableSystemRoot: true, enableSessionResumption: false,
    certificates: [side === 'server' ? { usage: 'encipherment' as const, certificate: cert.certPem, key: cert.keyPem } : { usage: 'verify' as const, certificate: cert.certPem }],
  };
  return {
    network: kind === 'tls' ? 'tcp' : 'websocket',
    security: tls ? 'tls' : 'none',
    ...(tls ? { tls } : {}),
    ...(kind === 'tls' ? {} : { ws: { path: '/t', headers: {} } }),
  };
}

/** How a stream's reading side finished: a clean end, or an error. */
function outcome(stream: Connection): Promise<string> {
  return new Promise((resolve) => {
    stream.on('data', () => {});
    stream.once('end', () => resolve('end'));
    stream.once('error', () => resolve('error'));
    stream.once('close', () => resolve('closed without end'));
  });
}

async function pair(kind: Kind, cert: TestCertificate): Promise<{ client: Connection; server: Connection; listener: Listener }> {
  let accepted: (connection: Connection) => void = () => {};
  const serverSide = new Promise<Connection>((resolve) => { accepted = resolve; });
  const listener = await listen({ host: '127.0.0.1', port: 0, stream: settings(kind, cert, 'server') }, (connection) => accepted(connection));
  const client = await dial('127.0.0.1', listener.address().port, settings(kind, cert, 'client'));
  return { client, server: await serverSide, listener };
}

describe.skipIf(!openSslAvailable())('dial and listen streams', () => {
  let certs: CertificateFolder;
  let cert: TestCertificate;
  beforeAll(() => {
    certs = createCertificateFolder();
    cert = certs.make('server', 'porthole.test');
  });
  afterAll(() => certs?.remove());

  const kinds: Kind[] = ['tcp', 'tls', 'ws', 'ws+tls'];

  test.each(['tcp', 'tls'] as const)('%s: the client half-closes, the server still answers, both end cleanly', async (kind) => {
    const { client, server, listener } = await pair(kind, cert);
    const received: Buffer[] = [];
    server.on('data', (chunk: Buffer) => received.push(chunk));
    const serverEnded = once(server, 'end');
    client.end(Buffer.alloc(200_000, 7));
    await serverEnded;
    const answer: Buffer[] = [];
    client.on('data', (chunk: Buffer) => answer.push(chunk));
    const clientEnd = outcome(client);
    server.end(Buffer.from('answer'));
    expect({ end: await clientEnd, answer: Buffer.concat(answer).toString(), received: Buffer.concat(received).equals(Buffer.alloc(200_000, 7)) })
      .toEqual({ end: 'end', answer: 'answer', received: true });
    await listener.close();
  });

  // WebSocket has no half-close: ending writes nothing, and the stream closes (1000) once both sides are done.
  test.each(['ws', 'ws+tls'] as const)('%s: a stream done both ways closes normally: a clean end at the peer', async (kind) => {
    const { client, server, listener } = await pair(kind, cert);
    const received: Buffer[] = [];
    server.on('data', (chunk: Buffer) => received.push(chunk));
    const serverOutcome = outcome(server);
    const answer = once(client, 'data');
    client.end(Buffer.alloc(200_000, 7));
    await new Promise<void>((resolve) => { const check = () => (Buffer.concat(received).length >= 200_000 ? resolve() : setTimeout(check, 5)); check(); });
    server.end(Buffer.from('answer'));
    const [chunk] = (await answer) as [Buffer];
    if (!client.writableFinished) await once(client, 'finish');
    client.destroy();
    expect({ server: await serverOutcome, answer: chunk.toString(), received: Buffer.concat(received).equals(Buffer.alloc(200_000, 7)) })
      .toEqual({ server: 'end', answer: 'answer', received: true });
    await listener.close();
  });

  test.each(kinds)('%s: a client cut short is an error at the server, never a clean end', async (kind) => {
    const { client, server, listener } = await pair(kind, cert);
    const serverOutcome = outcome(server);
    client.on('error', () => {});
    client.write(Buffer.alloc(1000, 1));
    await once(server, 'data');
    abortStream(client, new Error('cut'));
    expect(await serverOutcome).toBe('error');
    await listener.close();
  });

  test.each(['ws', 'ws+tls'] as const)('%s: a server cut short is an error at the client', async (kind) => {
    const { client, server, listener } = await pair(kind, cert);
    const clientOutcome = outcome(client);
    server.write(Buffer.alloc(1000, 1));
    await once(client, 'data');
    abortStream(server);
    expect(await clientOutcome).toBe('error');
    await listener.close();
  });
});
