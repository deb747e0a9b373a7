/**
 * Test-only I/O around the pure VMess codecs: a Node VMess server and a Node VMess client that
 * record the raw bytes they exchange, and the V2Ray configs that talk to them. Used by
 * `vmess.integration.test.ts` (live against /usr/bin/v2ray) and `capture.test.ts` (which saves
 * the recorded bytes as fixed vectors in `captures.json`).
 */
import net from 'node:net';
import type { Address } from '../../../common/net.js';
import { createVmessUser, type VmessUser } from '../account.js';
import type { BodyDecoder } from '../body.js';
import { createClientRequest, type ClientRequestOptions } from '../client-handshake.js';
import type { RequestHeader } from '../codec.js';
import { COMMAND, type BodySecurity } from '../consts.js';
import { AuthIdReplayFilter, SessionHistory } from '../replay.js';
import { LegacyUserValidator } from '../legacy.js';
import { createServerHandshakeContext, ServerHandshake } from '../server-handshake.js';
import { startV2Ray, type V2RayProcess } from '../../../../../test/support/v2ray.js';
import { waitUntil } from '../../../../../test/support/ports.js';

export const TEST_UUID = 'b831381d-6324-4d53-ad4f-8cda48b30811';

/** V2Ray's name of a body security in configs. */
export const SECURITY_CONFIG_NAME: Record<BodySecurity, string> = {
  1: 'legacy',
  3: 'aes-128-gcm',
  4: 'chacha20-poly1305',
  5: 'none',
};

export function xor5a(data: Buffer): Buffer {
  const out = Buffer.allocUnsafe(data.length);
  for (let i = 0; i < data.length; i++) out[i] = data[i]! ^ 0x5a;
  return out;
}

/** Starts v2ray and waits for its "started" log line (no fixed sleeps). */
export async function startV2RayReady(config: unknown, timeoutMs = 10_000): Promise<V2RayProcess> {
  const process = startV2Ray(config);
  try {
    await waitUntil(() => /V2Ray [\d.]+ started/.test(process.output()) || process.child.exitCode !== null, timeoutMs, 'v2ray to start');
  } catch (error) {
    await process.stop();
    throw error;
  }
  if (process.child.exitCode !== null) throw new Error(`v2ray exited: ${process.output()}`);
  return process;
}

/** v2ray as a VMess server: vmess inbound on `port` → freedom. */
export function v2rayServerConfig(port: number, alterId = 0, loglevel = 'warning'): unknown {
  return {
    log: { loglevel },
    inbounds: [{ listen: '127.0.0.1', port, protocol: 'vmess', settings: { clients: [{ id: TEST_UUID, alterId }] } }],
    outbounds: [{ protocol: 'freedom' }],
  };
}

/** v2ray as a VMess client: dokodemo-door on `localPort` (to `target`) → vmess outbound to `serverPort`. */
export function v2rayClientConfig(
  localPort: number,
  serverPort: number,
  security: string,
  alterId = 0,
  target = { address: '127.0.0.1', port: 7 },
  mux = false,
): unknown {
  return {
    log: { loglevel: 'warning' },
    inbounds: [
      { listen: '127.0.0.1', port: localPort, protocol: 'dokodemo-door', settings: { address: target.address, port: target.port, network: 'tcp' } },
    ],
    outbounds: [
      {
        protocol: 'vmess',
        settings: { vnext: [{ address: '127.0.0.1', port: serverPort, users: [{ id: TEST_UUID, alterId, security }] }] },
        ...(mux ? { mux: { enabled: true } } : {}),
      },
    ],
  };
}

/** What the Node server saw on one connection. */
export interface ServerRecord {
  /** Unix seconds when the first byte arrived (the AuthID time is within ±120 s of it). */
  now: number;
  /** Every byte the v2ray client sent, up to and including its body EOS. */
  request: Buffer;
  /** Plaintext of the request body. */
  payload: Buffer;
  /** Every byte the Node server answered. */
  response: Buffer;
  security: number;
  options: number;
  target: { address: Address; port: number };
  aead: boolean;
}

/** A connection as it goes: its header once accepted, and the request plaintext so far. */
export interface LiveConnection {
  header: RequestHeader;
  payload: Buffer[];
}

export interface NodeVmessServer {
  port: number;
  records: ServerRecord[];
  live: LiveConnection[];
  errors: Error[];
  close(): Promise<void>;
}

/**
 * A Node VMess server on 127.0.0.1: authenticates with the real handshake parser, decodes the
 * request body, answers with the payload XOR 0x5a and an EOS once the request body ended.
 */
export async function startNodeVmessServer(alterId = 0): Promise<NodeVmessServer> {
  const users: VmessUser<string>[] = [createVmessUser(TEST_UUID, { alterId, tag: 'test' })];
  const context = createServerHandshakeContext({
    users,
    replayFilter: new AuthIdReplayFilter(),
    sessionHistory: new SessionHistory(),
    legacy: new LegacyUserValidator(users),
  });
  const records: ServerRecord[] = [];
  const live: LiveConnection[] = [];
  const errors: Error[] = [];
  const sockets = new Set<net.Socket>();
  const server = net.createServer((socket) => {
    sockets.add(socket);
    socket.once('close', () => sockets.delete(socket));
    socket.on('error', () => {});
    const handshake = new ServerHandshake(context);
    const request: Buffer[] = [];
    const response: Buffer[] = [];
    const payload: Buffer[] = [];
    let now = 0;
    let decoder: BodyDecoder | undefined;
    let finish: (() => void) | undefined;
    const onBody = (chunk: Buffer): void => {
      try {
        for (const plain of decoder!.push(chunk)) payload.push(plain);
      } catch (error) {
        errors.push(error as Error);
        socket.destroy();
        return;
      }
      if (decoder!.ended) finish?.();
    };
    socket.on('data', (chunk: Buffer) => {
      request.push(chunk);
      if (decoder) {
        onBody(chunk);
        return;
      }
      if (now === 0) now = Math.floor(Date.now() / 1000);
      const result = handshake.push(chunk, now);
      if (result.status === 'need-more') return;
      if (result.status === 'fail') {
        errors.push(result.error);
        socket.destroy();
        return;
      }
      const { header, session } = result;
      live.push({ header, payload });
      decoder = session.createRequestBodyDecoder();
      finish = () => {
        finish = undefined;
        const { headerBytes, encoder } = session.createResponse();
        const all = Buffer.concat(payload);
        const answer = Buffer.concat([headerBytes, encoder.encode(xor5a(all)), encoder.end()]);
        response.push(answer);
        records.push({
          now,
          request: Buffer.concat(request),
          payload: all,
          response: answer,
          security: header.security,
          options: header.options,
          target: { address: header.address, port: header.port },
          aead: session.aead,
        });
        socket.end(answer);
      };
      if (result.rest.length > 0) onBody(result.rest);
    });
  });
  const port = await new Promise<number>((resolve) =>
    server.listen(0, '127.0.0.1', () => resolve((server.address() as net.AddressInfo).port)),
  );
  return {
    port,
    records,
    live,
    errors,
    close: () =>
      new Promise<void>((resolve) => {
        for (const socket of sockets) socket.destroy();
        server.close(() => resolve());
      }),
  };
}

/** What the Node client sent and got back. */
export interface ClientExchange {
  request: Buffer;
  response: Buffer;
  /** Decoded response body plaintext. */
  payload: Buffer;
  ended: boolean;
}

/**
 * Connects to a VMess server, sends header + `payload` + EOS, and reads the response until its
 * EOS (or the connection closes). Rejects after `timeoutMs`.
 */
export function nodeClientExchange(
  port: number,
  options: ClientRequestOptions,
  payload: Buffer,
  timeoutMs = 10_000,
  /** Settle as soon as the decoded response satisfies this (for streams that never end, like Mux). */
  until?: (received: Buffer) => boolean,
): Promise<ClientExchange> {
  const { headerBytes, session } = createClientRequest(options);
  const encoder = session.createRequestBodyEncoder();
  const request =
    options.command === COMMAND.udp || until
      ? Buffer.concat([headerBytes, encoder.encode(payload)])
      : Buffer.concat([headerBytes, encoder.encode(payload), encoder.end()]);
  const parser = session.createResponseParser();
  return new Promise((resolve, reject) => {
    const socket = net.connect({ host: '127.0.0.1', port });
    const raw: Buffer[] = [];
    const plain: Buffer[] = [];
    let decoder: BodyDecoder | undefined;
    let settled = false;
    const settle = (error?: Error): void => {
      if (settled) return;
      settled = true;
      clearTimeout(timer);
      socket.destroy();
      if (error) reject(error);
      else resolve({ request, response: Buffer.concat(raw), payload: Buffer.concat(plain), ended: decoder?.ended ?? false });
    };
    const timer = setTimeout(() => settle(new Error(`vmess exchange timed out; got ${Buffer.concat(raw).length} bytes`)), timeoutMs);
    const expectDatagram = options.command === COMMAND.udp;
    const onBody = (chunk: Buffer): void => {
      for (const piece of decoder!.push(chunk)) plain.push(piece);
      if (decoder!.ended || (expectDatagram && plain.length > 0) || until?.(Buffer.concat(plain))) settle();
    };
    socket.on('data', (chunk: Buffer) => {
      raw.push(chunk);
      try {
        if (decoder) {
          onBody(chunk);
          return;
        }
        const result = parser.push(chunk);
        if (result.status === 'need-more') return;
        if (result.status === 'fail') {
          settle(result.error);
          return;
        }
        decoder = result.decoder;
        if (result.rest.length > 0) onBody(result.rest);
      } catch (error) {
        settle(error as Error);
      }
    });
    socket.once('close', () => settle());
    socket.once('error', (error) => settle(error));
    socket.once('connect', () => socket.write(request));
  });
}

/**
 * An XOR 0x5a echo that ends its side after echoing `length` bytes. V2Ray's freedom does not
 * pass a half-close on to the upstream, so the upstream must end first for a response EOS to flow.
 */
export async function startXorEchoUntil(length: number): Promise<{ port: number; close(): Promise<void> }> {
  const sockets = new Set<net.Socket>();
  const server = net.createServer({ allowHalfOpen: true }, (socket) => {
    sockets.add(socket);
    socket.once('close', () => sockets.delete(socket));
    socket.on('error', () => {});
    let echoed = 0;
    socket.on('data', (chunk: Buffer) => {
      echoed += chunk.length;
      socket.write(xor5a(chunk));
      if (echoed >= length) socket.end();
    });
  });
  const port = await new Promise<number>((resolve) =>
    server.listen(0, '127.0.0.1', () => resolve((server.address() as net.AddressInfo).port)),
  );
  return {
    port,
    close: () =>
      new Promise<void>((resolve) => {
        for (const socket of sockets) socket.destroy();
        server.close(() => resolve());
      }),
  };
}

/** Sends `payload` through a local TCP port, half-closes, and collects the answer until EOF. */
export function exchangeThrough(port: number, payload: Buffer, timeoutMs = 10_000): Promise<Buffer> {
  return new Promise((resolve, reject) => {
    const socket = net.connect({ host: '127.0.0.1', port, allowHalfOpen: true });
    const chunks: Buffer[] = [];
    const timer = setTimeout(() => {
      socket.destroy();
      reject(new Error(`exchange through ${port} timed out`));
    }, timeoutMs);
    socket.on('data', (chunk: Buffer) => chunks.push(chunk));
    socket.once('end', () => {
      clearTimeout(timer);
      socket.destroy();
      resolve(Buffer.concat(chunks));
    });
    socket.once('error', (error) => {
      clearTimeout(timer);
      reject(error);
    });
    socket.once('connect', () => socket.end(payload));
  });
}
