/**
 * The bench's load generator, in its own process (forked by bench/run.js). It takes commands over
 * IPC — { id, op, args } — and answers { id, ok, result } or { id, ok: false, error }.
 * All connections go to 127.0.0.1:<port>, the portal's public port. Services: bench/lib/protocol.js.
 */
import net from 'node:net';
import { performance } from 'node:perf_hooks';
import { DOWNLOAD, IDLE, IDLE_ACK, REQUEST, REQUEST_SIZE, RESPONSE_SIZE, UPLOAD, sizedHeader, writeBulk } from './lib/protocol.js';

/** A stream that shows no progress for this long is declared stuck. */
const STALL_MS = 30_000;

function connect(port, { stallMs = STALL_MS } = {}) {
  const socket = net.connect({ host: '127.0.0.1', port, allowHalfOpen: true });
  socket.setNoDelay(true);
  socket.setTimeout(stallMs, () => socket.destroy(new Error(`no progress for ${stallMs} ms`)));
  return socket;
}

/** One stream that downloads `size` bytes; resolves when all arrived. */
function downloadOne(port, size) {
  return new Promise((resolve, reject) => {
    const socket = connect(port);
    let received = 0;
    let done = false;
    socket.once('connect', () => socket.write(sizedHeader(DOWNLOAD, size)));
    socket.on('data', (chunk) => {
      received += chunk.length;
      if (!done && received >= size) {
        done = true;
        socket.end();
        resolve(received);
      }
    });
    socket.once('end', () => {
      if (done) return;
      reject(new Error(`download: the stream ended after ${received} of ${size} bytes`));
      socket.destroy();
    });
    socket.once('error', (error) => {
      if (!done) reject(new Error(`download: ${error.message} after ${received} of ${size} bytes`));
    });
    socket.once('close', () => {
      if (!done) reject(new Error(`download closed after ${received} of ${size} bytes`));
    });
  });
}

/** One stream that uploads `size` bytes; resolves when the upstream confirmed all of them. */
function uploadOne(port, size) {
  return new Promise((resolve, reject) => {
    const socket = connect(port);
    let answer = Buffer.alloc(0);
    let done = false;
    socket.once('connect', () => {
      socket.write(sizedHeader(UPLOAD, size));
      writeBulk(socket, size).catch(() => {});
    });
    socket.on('data', (chunk) => {
      answer = Buffer.concat([answer, chunk]);
      if (!done && answer.length >= 8) {
        done = true;
        const count = Number(answer.readBigUInt64BE(0));
        socket.end();
        if (count === size) resolve(count);
        else reject(new Error(`upload: the upstream counted ${count} of ${size} bytes`));
      }
    });
    socket.once('end', () => {
      if (!done) socket.destroy(new Error('upload: the stream ended before the upstream confirmed'));
    });
    socket.once('error', (error) => {
      if (!done) reject(new Error(`upload: ${error.message}`));
    });
    socket.once('close', () => {
      if (!done) reject(new Error('upload: closed before the upstream confirmed'));
    });
  });
}

async function bulk({ port, bytes, streams = 1 }, one) {
  const each = Math.floor(bytes / streams);
  const sizes = Array.from({ length: streams }, (_, i) => (i === streams - 1 ? bytes - each * (streams - 1) : each));
  const started = performance.now();
  const moved = await Promise.all(sizes.map((size) => one(port, size)));
  const seconds = (performance.now() - started) / 1000;
  return { bytes: moved.reduce((a, b) => a + b, 0), streams, seconds };
}

const REQUEST_BODY = Buffer.alloc(REQUEST_SIZE, 0x71);
REQUEST_BODY[0] = REQUEST;

/** One 1 KiB request / 1 KiB response on a new connection; resolves with milliseconds. */
function requestOne(port, timeoutMs) {
  return new Promise((resolve, reject) => {
    const started = performance.now();
    const socket = connect(port, { stallMs: timeoutMs });
    let received = 0;
    let done = false;
    socket.once('connect', () => socket.write(REQUEST_BODY));
    socket.on('data', (chunk) => {
      received += chunk.length;
      if (!done && received >= RESPONSE_SIZE) {
        done = true;
        const ms = performance.now() - started;
        socket.end();
        resolve(ms);
      }
    });
    socket.once('end', () => {
      if (!done) socket.destroy(new Error(`response ended after ${received} of ${RESPONSE_SIZE} bytes`));
    });
    socket.once('error', (error) => {
      if (!done) reject(error);
    });
    socket.once('close', () => {
      if (!done) reject(new Error(`closed after ${received} of ${RESPONSE_SIZE} bytes`));
    });
  });
}

async function requests({ port, total, concurrency, timeoutMs = 10_000 }) {
  const latencies = [];
  const errors = {};
  let next = 0;
  const worker = async () => {
    while (next < total) {
      next += 1;
      try {
        latencies.push(await requestOne(port, timeoutMs));
      } catch (error) {
        errors[error.message] = (errors[error.message] ?? 0) + 1;
      }
    }
  };
  const started = performance.now();
  await Promise.all(Array.from({ length: concurrency }, worker));
  const seconds = (performance.now() - started) / 1000;
  latencies.sort((a, b) => a - b);
  return { total, ok: latencies.length, seconds, latencies, errors };
}

const idleSockets = new Set();

/** Opens one idle stream and resolves once the upstream's '!' came back through the tunnel. */
function idleOne(port, timeoutMs) {
  return new Promise((resolve, reject) => {
    const socket = net.connect({ host: '127.0.0.1', port });
    const timer = setTimeout(() => socket.destroy(new Error(`no answer from the upstream in ${timeoutMs} ms`)), timeoutMs);
    let done = false;
    socket.on('error', (error) => {
      clearTimeout(timer);
      if (!done) reject(error);
    });
    socket.once('close', () => {
      idleSockets.delete(socket);
      clearTimeout(timer);
      if (!done) reject(new Error('closed before the upstream answered'));
    });
    socket.once('connect', () => socket.write(Buffer.of(IDLE)));
    socket.once('data', (chunk) => {
      clearTimeout(timer);
      done = true;
      if (chunk[0] === IDLE_ACK) {
        idleSockets.add(socket);
        resolve();
      } else {
        socket.destroy();
        reject(new Error('unexpected answer'));
      }
    });
  });
}

async function openIdle({ port, count, concurrency = 50, timeoutMs = 20_000 }) {
  const errors = {};
  let next = 0;
  const worker = async () => {
    while (next < count) {
      next += 1;
      try {
        await idleOne(port, timeoutMs);
      } catch (error) {
        errors[error.message] = (errors[error.message] ?? 0) + 1;
      }
    }
  };
  const started = performance.now();
  await Promise.all(Array.from({ length: concurrency }, worker));
  return { open: idleSockets.size, seconds: (performance.now() - started) / 1000, errors };
}

function closeIdle() {
  const count = idleSockets.size;
  for (const socket of idleSockets) socket.destroy();
  idleSockets.clear();
  return { closed: count };
}

async function probe({ port, timeoutMs = 2000 }) {
  try {
    await requestOne(port, timeoutMs);
    return true;
  } catch {
    return false;
  }
}

const operations = {
  download: (args) => bulk(args, downloadOne),
  upload: (args) => bulk(args, uploadOne),
  requests,
  openIdle,
  closeIdle,
  probe,
};

process.on('message', async (message) => {
  const { id, op, args } = message ?? {};
  const operation = operations[op];
  try {
    if (!operation) throw new Error(`unknown operation ${op}`);
    process.send?.({ id, ok: true, result: await operation(args ?? {}) });
  } catch (error) {
    process.send?.({ id, ok: false, error: error instanceof Error ? error.message : String(error) });
  }
});
process.on('disconnect', () => process.exit(0));
process.on('SIGTERM', () => process.exit(0));
process.send?.({ type: 'ready' });
