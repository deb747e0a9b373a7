#!/usr/bin/env node
/**
 * What a Mux session costs on the portal per connection, outside the link: a visitor's socket
 * joined to a `MuxStream` (a Duplex) by `pumpBoth` ("duplex"), the same socket bound to a
 * `BoundSession` (the engine's way, "bound"), and the floor: the socket handing its data straight
 * to frame encoders and taking the answer with `socket.write` ("direct"). The link is a stand-in that
 * answers the first data with 1 KiB and End with End on the next turn, so neither crypto nor
 * WebSocket is in the figure.
 *
 *   npm run build:core && node bench/session-cost.js [--connections N] [--only duplex,bound,direct]
 *
 * Server CPU per connection (user + system), read with process.cpuUsage() in the server process;
 * the client runs in this process. Each path gets 5,000 unmeasured connections first.
 */
import { fork } from 'node:child_process';
import net from 'node:net';
import { fileURLToPath } from 'node:url';
import { parseArgs } from 'node:util';

const ENGINE = new URL('../dist/src-core/engine/', import.meta.url);
const PATHS = ['duplex', 'bound', 'direct'];
const WARMUP = 5_000;
const CONCURRENCY = 32;
const PAYLOAD = 1024;

async function serve(path) {
  const { MuxStream } = await import(new URL('common/mux/stream.js', ENGINE).href);
  const { BoundSession } = await import(new URL('common/mux/bound-session.js', ENGINE).href);
  const { NewFrameDeferral } = await import(new URL('common/mux/new-frame-deferral.js', ENGINE).href);
  const deferral = new NewFrameDeferral(100);
  const { pumpBoth } = await import(new URL('transport/pump.js', ENGINE).href);
  const { packDataFrames, FrameStatus, TargetNetwork } = await import(new URL('common/mux/frame.js', ENGINE).href);
  const { AddressType } = await import(new URL('common/mux/address.js', ENGINE).href);
  const { encodeEndFrame } = await import(new URL('common/mux/writer.js', ENGINE).href);
  const target = { network: TargetNetwork.TCP, address: { type: AddressType.Domain, host: 'service.test' }, port: 80 };
  const answer = Buffer.alloc(PAYLOAD, 7);
  let nextId = 0;
  const isEnd = (frame) => frame.length > 4 && frame[4] === FrameStatus.End;

  /** The engine's way: a MuxStream opened with New deferred to its first data, pumped both ways. */
  function duplex(socket) {
    let answered = false;
    const link = {
      flow: undefined,
      writeFrames(frames, callback) {
        const ended = frames.some(isEnd);
        setImmediate(() => {
          if (!answered) stream.deliver(answer);
          answered = true;
          if (ended) stream.deliverEnd(false);
        });
        if (callback) queueMicrotask(callback);
      },
      streamRead() {},
      forget() {},
    };
    const stream = new MuxStream((nextId = (nextId + 1) & 0xffff), { network: 'tcp', host: 'service.test', port: 80 }, link, false, 64 * 1024);
    stream.on('error', () => {});
    stream.deferNew(target, 100);
    void pumpBoth(socket, stream);
  }

  /** A BoundSession: the socket joined to the session without a stream (the portal's way). */
  function bound(socket) {
    let answered = false;
    const corked = [];
    const link = {
      flow: undefined,
      writeFrames(frames) {
        const ended = frames.some(isEnd);
        setImmediate(() => {
          if (!answered) session.deliver(answer);
          answered = true;
          if (ended) session.deliverEnd(false);
          for (const each of corked.splice(0)) each.uncork();
        });
        return true;
      },
      whenLinkHasRoom(resume) { resume(); },
      uncorkThisTurn(each) { corked.push(each); },
      streamRead() {},
      forget() {},
    };
    const session = new BoundSession((nextId = (nextId + 1) & 0xffff), { network: 'tcp', host: 'service.test', port: 80 }, link, socket);
    session.start(target, deferral);
  }

  /** The floor for a session: frames encoded in the socket's own handlers, the answer written to it. */
  function direct(socket) {
    const id = (nextId = (nextId + 1) & 0xffff);
    let answered = false;
    let first = true;
    const link = (ended) => setImmediate(() => {
      if (!answered) socket.write(answer);
      answered = true;
      if (ended) socket.end();
    });
    socket.on('data', (data) => {
      packDataFrames(id, data, 8192, first ? target : undefined);
      first = false;
      link(false);
    });
    socket.on('end', () => {
      encodeEndFrame(id);
      link(true);
    });
    socket.on('error', () => socket.destroy());
  }

  const server = net.createServer({ allowHalfOpen: true, noDelay: true }, { duplex, bound, direct }[path]);
  server.listen(0, '127.0.0.1', () => process.send({ port: server.address().port }));
  process.on('message', () => process.send({ cpu: process.cpuUsage() }));
}

function exchange(port) {
  return new Promise((resolve, reject) => {
    const socket = net.connect(port, '127.0.0.1');
    let received = 0;
    socket.on('connect', () => socket.write(Buffer.alloc(PAYLOAD, 1)));
    socket.on('data', (data) => {
      received += data.length;
      if (received >= PAYLOAD) socket.end();
    });
    socket.on('close', () => (received >= PAYLOAD ? resolve() : reject(new Error(`only ${received} bytes came back`))));
    socket.on('error', reject);
  });
}

async function exchanges(port, count) {
  let started = 0;
  await Promise.all(Array.from({ length: CONCURRENCY }, async () => {
    while (started++ < count) await exchange(port);
  }));
}

async function measure(path, connections) {
  const server = fork(fileURLToPath(import.meta.url), ['--serve', path], { execPath: process.execPath });
  const cpu = () => new Promise((resolve) => { server.once('message', (m) => resolve(m.cpu)); server.send('cpu'); });
  const { port } = await new Promise((resolve) => server.once('message', resolve));
  await exchanges(port, WARMUP);
  const before = await cpu();
  const started = performance.now();
  await exchanges(port, connections);
  const seconds = (performance.now() - started) / 1000;
  const after = await cpu();
  server.kill();
  const perConnection = (field) => (after[field] - before[field]) / connections;
  return { path, cpuUs: perConnection('user') + perConnection('system'), userUs: perConnection('user'), perSecond: connections / seconds };
}

const { values } = parseArgs({ options: { serve: { type: 'string' }, connections: { type: 'string', default: '20000' }, only: { type: 'string' } } });
if (values.serve) {
  await serve(values.serve);
} else {
  const connections = Number(values.connections);
  if (!Number.isInteger(connections) || connections < 1) {
    console.error(`session-cost: --connections: expected a positive whole number, got "${values.connections}"`);
    process.exit(2);
  }
  for (const path of values.only ? values.only.split(',') : PATHS) {
    const { cpuUs, userUs, perSecond } = await measure(path, connections);
    console.log(`${path.padEnd(7)} ${cpuUs.toFixed(1).padStart(6)} µs CPU per connection (user ${userUs.toFixed(1)}), ${Math.round(perSecond)} connections/s`);
  }
}
