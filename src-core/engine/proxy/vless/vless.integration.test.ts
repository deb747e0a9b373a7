/**
 * VLESS against the real v2ray 4.34 on 127.0.0.1 (ephemeral ports, bounded time), with an XOR echo
 * upstream so a short-circuit cannot pass:
 * - Porthole client (dokodemo-door → vless outbound) → v2ray vless inbound → freedom: TCP, UDP, Mux;
 * - v2ray client → Porthole vless inbound → freedom: TCP, UDP, Mux;
 * - fallbacks: an HTTP request to the VLESS port gets the fallback web server's answer, on
 *   Porthole and on v2ray alike;
 * - bad input: an unknown user, or bytes that are not VLESS without a fallback, are closed.
 */
import dgram from 'node:dgram';
import net from 'node:net';
import { afterEach, describe, expect, it } from 'vitest';
import { loadConfig } from '../../config/index.js';
import { Instance } from '../../instance.js';
import { deterministicBytes, xor5a } from '../../../../test/support/data.js';
import { freePorts, waitForPort, waitUntil } from '../../../../test/support/ports.js';
import { echoThrough, startHttp, startXorEcho } from '../../../../test/support/upstream.js';
import { startV2Ray, v2rayAvailable } from '../../../../test/support/v2ray.js';

const UUID = '27848739-7e62-4138-9fd3-098a63964b6b';
const OTHER_UUID = 'b831381d-6324-4d53-ad4f-8cda48b30811';
const debug = process.env.PORTHOLE_TEST_LOG === '1';
const cleanups: Array<() => Promise<void> | void> = [];
afterEach(async () => {
  for (const cleanup of cleanups.splice(0).reverse()) await cleanup();
});

async function porthole(config: unknown, lines: string[] = []): Promise<Instance> {
  const sink = { write: (line: string) => { lines.push(line); if (debug) console.log(line); } };
  const instance = new Instance(loadConfig([{ name: 'porthole.json', text: JSON.stringify({ log: { loglevel: debug ? 'debug' : 'warning' }, ...(config as object) }) }]), { logSinks: { error: sink, access: { write: () => {} } } });
  await instance.start();
  cleanups.push(() => instance.close());
  return instance;
}

async function v2ray(config: unknown, port: number): Promise<void> {
  const process = startV2Ray({ log: { loglevel: debug ? 'debug' : 'warning' }, ...(config as object) });
  cleanups.push(async () => {
    if (debug) console.log(process.output());
    await process.stop();
  });
  await waitForPort(port);
}

async function xorEcho(): Promise<number> {
  const echo = await startXorEcho();
  cleanups.push(() => echo.close());
  return echo.port;
}

async function udpEcho(): Promise<number> {
  const socket = dgram.createSocket('udp4');
  socket.on('message', (datagram, from) => socket.send(xor5a(datagram), from.port, from.address));
  await new Promise<void>((resolve) => socket.bind(0, '127.0.0.1', resolve));
  cleanups.push(() => new Promise((resolve) => socket.close(() => resolve())));
  return socket.address().port;
}

/** Sends each datagram (retrying while the path comes up) and returns the answers. */
async function udpExchange(port: number, datagrams: Buffer[]): Promise<Buffer[]> {
  const socket = dgram.createSocket('udp4');
  await new Promise<void>((resolve) => socket.bind(0, '127.0.0.1', resolve));
  cleanups.push(() => new Promise((resolve) => socket.close(() => resolve())));
  const answers: Buffer[] = [];
  for (const datagram of datagrams) {
    let answer: Buffer | undefined;
    for (let attempt = 0; attempt < 20 && !answer; attempt += 1) {
      socket.send(datagram, port, '127.0.0.1');
      answer = await new Promise<Buffer | undefined>((resolve) => {
        const timer = setTimeout(() => { socket.off('message', onMessage); resolve(undefined); }, 500);
        const onMessage = (reply: Buffer) => { clearTimeout(timer); resolve(reply); };
        socket.once('message', onMessage);
      });
    }
    if (!answer) throw new Error(`no answer to a ${datagram.length}-byte datagram`);
    answers.push(answer);
  }
  return answers;
}

/** Writes `request` and resolves with everything read until the server closes. */
function rawExchange(port: number, request: Buffer, timeoutMs = 5000): Promise<{ answer: Buffer; closedBy: 'end' | 'error' | 'timeout' }> {
  return new Promise((resolve) => {
    const socket = net.connect({ host: '127.0.0.1', port }, () => socket.write(request));
    const chunks: Buffer[] = [];
    const done = (closedBy: 'end' | 'error' | 'timeout') => {
      clearTimeout(timer);
      socket.destroy();
      resolve({ answer: Buffer.concat(chunks), closedBy });
    };
    const timer = setTimeout(() => done('timeout'), timeoutMs);
    socket.on('data', (chunk: Buffer) => chunks.push(chunk));
    socket.once('end', () => done('end'));
    socket.once('error', () => done('error'));
  });
}

const vlessInbound = (port: number, extra: object = {}) => ({
  tag: 'vless-in', listen: '127.0.0.1', port, protocol: 'vless', settings: { clients: [{ id: UUID, email: 'alice@example.com' }], decryption: 'none', ...extra },
});
const vlessOutbound = (port: number, mux = false) => ({
  protocol: 'vless', settings: { vnext: [{ address: '127.0.0.1', port, users: [{ id: UUID, encryption: 'none' }] }] }, ...(mux ? { mux: { enabled: true, concurrency: 8 } } : {}),
});
const entry = (port: number, target: number, network = 'tcp') => ({ listen: '127.0.0.1', port, protocol: 'dokodemo-door', settings: { address: '127.0.0.1', port: target, network } });

const datagrams = [1, 300, 1400, 2046].map((size) => deterministicBytes(size, size));
const payloads = [1, 5000, 256 * 1024].map((size) => deterministicBytes(size + 7, size));

type Side = 'porthole' | 'v2ray';
const pairings: Array<{ client: Side; server: Side }> = [
  { client: 'porthole', server: 'v2ray' },
  { client: 'v2ray', server: 'porthole' },
  { client: 'porthole', server: 'porthole' },
];

describe.skipIf(!v2rayAvailable())('VLESS against v2ray 4.34', () => {
  async function startPair(client: Side, server: Side, target: number, options: { network?: string; mux?: boolean } = {}): Promise<number> {
    const [serverPort = 0, entryPort = 0] = await freePorts(2);
    const serverConfig = { inbounds: [vlessInbound(serverPort)], outbounds: [{ protocol: 'freedom' }] };
    if (server === 'v2ray') await v2ray(serverConfig, serverPort);
    else await porthole(serverConfig);
    const clientConfig = { inbounds: [entry(entryPort, target, options.network)], outbounds: [vlessOutbound(serverPort, options.mux)] };
    if (client === 'v2ray') {
      await v2ray(clientConfig, options.network === 'udp' ? serverPort : entryPort);
    } else {
      await porthole(clientConfig);
    }
    return entryPort;
  }

  describe.each(pairings)('$client client → $server server', ({ client, server }) => {
    it('TCP: every byte both ways, half-close honoured', async () => {
      const entryPort = await startPair(client, server, await xorEcho());
      const echoed = await Promise.all(payloads.map((payload) => echoThrough(entryPort, payload, { closeAfterEcho: false, timeoutMs: 20_000 })));
      expect(echoed.map((bytes, index) => bytes.equals(xor5a(payloads[index]!)))).toEqual(payloads.map(() => true));
    });

    it('UDP: length-prefixed packets, one datagram each', async () => {
      const entryPort = await startPair(client, server, await udpEcho(), { network: 'udp' });
      expect(await udpExchange(entryPort, datagrams)).toEqual(datagrams.map(xor5a));
    });

    it('Mux.Cool over VLESS (command 0x03): several streams on one connection', async () => {
      const entryPort = await startPair(client, server, await xorEcho(), { mux: true });
      // 4.34's mux client drops a session whose input ends early: close after the echo.
      const echoed = await Promise.all(payloads.map((payload) => echoThrough(entryPort, payload, { closeAfterEcho: true, timeoutMs: 20_000 })));
      expect(echoed.map((bytes, index) => bytes.equals(xor5a(payloads[index]!)))).toEqual(payloads.map(() => true));
    });
  });

  describe.each(['porthole', 'v2ray'] as const)('fallbacks on %s', (side) => {
    async function startServer(fallbacks: object[]): Promise<number> {
      const [serverPort = 0] = await freePorts(1);
      const config = { inbounds: [vlessInbound(serverPort, { fallbacks })], outbounds: [{ protocol: 'freedom' }] };
      if (side === 'v2ray') await v2ray(config, serverPort);
      else await porthole(config);
      return serverPort;
    }

    it('an HTTP request to the VLESS port gets the fallback web server\'s answer, by path', async () => {
      const site = await startHttp('the default site');
      const ws = await startHttp('the /ws site');
      cleanups.push(() => site.close(), () => ws.close());
      const port = await startServer([{ dest: site.port }, { path: '/ws', dest: `127.0.0.1:${ws.port}` }]);
      const get = (path: string) => Buffer.from(`GET ${path} HTTP/1.1\r\nHost: example.com\r\nConnection: close\r\n\r\n`);
      const answers = await Promise.all(['/', '/ws', '/other'].map((path) => rawExchange(port, get(path))));
      expect(answers.map(({ answer, closedBy }) => [answer.toString().split('\r\n')[0], answer.toString().split('\r\n\r\n')[1], closedBy])).toEqual([
        ['HTTP/1.1 200 OK', 'the default site', 'end'],
        ['HTTP/1.1 200 OK', 'the /ws site', 'end'],
        ['HTTP/1.1 200 OK', 'the default site', 'end'],
      ]);
    });

    it('a VLESS request from a known user is still served; an unknown user goes to the fallback', async () => {
      const echoPort = await xorEcho();
      const site = await startHttp('fallback');
      cleanups.push(() => site.close());
      const port = await startServer([{ dest: site.port }]);
      const header = (id: string) => Buffer.concat([Buffer.from([0]), Buffer.from(id.replace(/-/g, ''), 'hex'), Buffer.from([0, 1, echoPort >> 8, echoPort & 0xff, 1, 127, 0, 0, 1])]);
      const known = await rawExchange(port, Buffer.concat([header(UUID), Buffer.from('ping')]), 1500);
      const unknown = await rawExchange(port, Buffer.concat([header(OTHER_UUID), Buffer.from('GET / HTTP/1.1\r\n\r\n')]));
      expect({ known: known.answer.toString('hex'), unknown: unknown.answer.toString().split('\r\n')[0] }).toEqual({
        known: `0000${xor5a(Buffer.from('ping')).toString('hex')}`,
        unknown: 'HTTP/1.1 400 Bad Request',
      });
    });
  });

  describe('bad input on a Porthole VLESS inbound without fallbacks', () => {
    it('an unknown user is closed with one log line naming the peer; bytes that are not VLESS are closed', async () => {
      const [serverPort = 0] = await freePorts(1);
      const lines: string[] = [];
      await porthole({ inbounds: [vlessInbound(serverPort)], outbounds: [{ protocol: 'freedom' }] }, lines);
      const unknownUser = Buffer.concat([Buffer.from([0]), Buffer.from(OTHER_UUID.replace(/-/g, ''), 'hex'), Buffer.from('000100500100000000', 'hex')]);
      const results = [await rawExchange(serverPort, unknownUser), await rawExchange(serverPort, Buffer.from('GET / HTTP/1.1\r\nHost: x\r\n\r\n'))];
      expect(results.map(({ answer, closedBy }) => ({ bytes: answer.length, closedBy }))).toEqual([{ bytes: 0, closedBy: 'end' }, { bytes: 0, closedBy: 'end' }]);
      await waitUntil(() => lines.length >= 2, 2000, 'two log lines');
      const rejected = lines.filter((line) => line.includes('rejected a connection from 127.0.0.1:'));
      expect(rejected.map((line) => line.replace(/^.*?(rejected)/, '$1').replace(/:\d+:/, ':PORT:'))).toEqual([
        'rejected a connection from 127.0.0.1:PORT: vless: invalid request user id',
        'rejected a connection from 127.0.0.1:PORT: vless: invalid request version 71',
      ]);
    });

    it('v2ray does the same: closes both without a byte', async () => {
      const [serverPort = 0] = await freePorts(1);
      await v2ray({ inbounds: [vlessInbound(serverPort)], outbounds: [{ protocol: 'freedom' }] }, serverPort);
      const unknownUser = Buffer.concat([Buffer.from([0]), Buffer.from(OTHER_UUID.replace(/-/g, ''), 'hex'), Buffer.from('000100500100000000', 'hex')]);
      const results = [await rawExchange(serverPort, unknownUser), await rawExchange(serverPort, Buffer.from('GET / HTTP/1.1\r\nHost: x\r\n\r\n'))];
      expect(results.map(({ answer, closedBy }) => ({ bytes: answer.length, closedBy: closedBy === 'error' ? 'end' : closedBy }))).toEqual([{ bytes: 0, closedBy: 'end' }, { bytes: 0, closedBy: 'end' }]);
    });
  });
});
