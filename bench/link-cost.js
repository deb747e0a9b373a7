#!/usr/bin/env node
/**
 * What one small write costs on a bridge→portal link, per transport, outside VMess and Mux: a
 * client and an echo server in this process play ping-pong with 1 KiB messages over loopback, and
 * the process's CPU per round trip (one write and one read on each side) is printed for a plain
 * TCP socket, TLS, the engine's WebSocket stream, and WebSocket over TLS. It sizes the link-layer
 * step of issue 3/7 (docs/performance-log.md, 2026-12-07 14:19).
 *
 *   npm run build:core && node bench/link-cost.js [--round-trips N] [--only tcp,tls,ws,ws+tls]
 *
 * TLS uses a throwaway self-signed certificate made with the openssl CLI. Each stack gets 5,000
 * unmeasured round trips first.
 */
import { execFileSync } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import net from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import tls from 'node:tls';
import { parseArgs } from 'node:util';

const ENGINE = new URL('../dist/src-core/engine/', import.meta.url);
const { createWebSocketAcceptor, openWebSocket } = await import(new URL('transport/internet/websocket.js', ENGINE).href);
const STACKS = ['tcp', 'tls', 'ws', 'ws+tls'];
const WARMUP = 5_000;
const MESSAGE = Buffer.alloc(1024, 7);
const WS_SETTINGS = { path: '/link', headers: {} };

function selfSignedCertificate() {
  const dir = mkdtempSync(join(tmpdir(), 'link-cost-'));
  try {
    execFileSync('openssl', ['req', '-x509', '-newkey', 'ec', '-pkeyopt', 'ec_paramgen_curve:prime256v1', '-nodes', '-days', '1',
      '-subj', '/CN=link.test', '-keyout', join(dir, 'key.pem'), '-out', join(dir, 'cert.pem')], { stdio: 'ignore' });
    return { key: readFileSync(join(dir, 'key.pem')), cert: readFileSync(join(dir, 'cert.pem')) };
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}

const once = (emitter, event) => new Promise((resolve, reject) => {
  emitter.once(event, resolve);
  emitter.once('error', reject);
});

/** A connected [client, server] pair of Duplexes for `stack`. */
async function connect(stack, certificate) {
  const secure = stack === 'tls' || stack === 'ws+tls';
  const websocket = stack.startsWith('ws');
  let serverSide;
  const accepted = new Promise((resolve) => { serverSide = resolve; });
  const acceptor = websocket ? createWebSocketAcceptor(WS_SETTINGS, serverSide, () => {}) : undefined;
  const onSocket = (socket, raw) => (acceptor ? acceptor.handle(socket, raw) : serverSide(socket));
  const server = secure
    ? tls.createServer({ ...certificate }, (socket) => onSocket(socket, socket))
    : net.createServer((socket) => onSocket(socket, socket));
  server.listen(0, '127.0.0.1');
  await once(server, 'listening');
  const { port } = server.address();
  const raw = net.connect({ port, host: '127.0.0.1', noDelay: true });
  await once(raw, 'connect');
  let socket = raw;
  if (secure) {
    socket = tls.connect({ socket: raw, servername: 'link.test', ca: certificate.cert });
    await once(socket, 'secureConnect');
  }
  const client = websocket ? await openWebSocket(socket, raw, { host: 'link.test', port, secure }, WS_SETTINGS) : socket;
  const serverStream = await accepted;
  return { client, server: serverStream, close: () => { raw.destroy(); acceptor?.close(); server.close(); } };
}

/** `count` round trips of one MESSAGE; resolves when the last echo is read whole. */
function pingPong(client, count) {
  return new Promise((resolve) => {
    let done = 0;
    let received = 0;
    const onData = (chunk) => {
      received += chunk.length;
      if (received < MESSAGE.length) return;
      received -= MESSAGE.length;
      done += 1;
      if (done === count) {
        client.off('data', onData);
        resolve();
      } else {
        client.write(MESSAGE);
      }
    };
    client.on('data', onData);
    client.write(MESSAGE);
  });
}

async function measure(stack, roundTrips, certificate) {
  const { client, server, close } = await connect(stack, certificate);
  server.on('data', (chunk) => server.write(chunk));
  // Closing cuts the link under both ends: that abort is expected.
  for (const end of [client, server]) end.on('error', () => {});
  await pingPong(client, WARMUP);
  const before = process.cpuUsage();
  const started = performance.now();
  await pingPong(client, roundTrips);
  const seconds = (performance.now() - started) / 1000;
  const cpu = process.cpuUsage(before);
  close();
  return { cpuUs: (cpu.user + cpu.system) / roundTrips, userUs: cpu.user / roundTrips, perSecond: roundTrips / seconds };
}

const { values } = parseArgs({ options: { 'round-trips': { type: 'string', default: '20000' }, only: { type: 'string' } } });
const roundTrips = Number(values['round-trips']);
if (!Number.isInteger(roundTrips) || roundTrips < 1) {
  console.error(`link-cost: --round-trips: expected a positive whole number, got "${values['round-trips']}"`);
  process.exit(2);
}
const certificate = selfSignedCertificate();
for (const stack of values.only ? values.only.split(',') : STACKS) {
  const { cpuUs, userUs, perSecond } = await measure(stack, roundTrips, certificate);
  console.log(`${stack.padEnd(7)} ${cpuUs.toFixed(1).padStart(6)} µs CPU per round trip, both ends (user ${userUs.toFixed(1)}), ${Math.round(perSecond)} round trips/s`);
}
