/**
 * The bench's upstream: the service behind the bridge, in its own process so that its CPU does not
 * mix with the harness's. Started by bench/run.js with child_process.fork; listens on an ephemeral
 * loopback port, reports it over IPC, and answers { id, op: 'stats' } with its counters.
 * Services: see bench/lib/protocol.js.
 */
import net from 'node:net';
import { DOWNLOAD, IDLE, IDLE_ACK, REQUEST, REQUEST_SIZE, RESPONSE_SIZE, UPLOAD, writeBulk } from './lib/protocol.js';

const RESPONSE = Buffer.alloc(RESPONSE_SIZE, 0x72);
const stats = { open: 0, idle: 0, accepted: 0, downloads: 0, uploads: 0, requests: 0, errors: 0 };

function serve(socket) {
  stats.accepted += 1;
  stats.open += 1;
  let mode = 0;
  let header = Buffer.alloc(0);
  let uploadLeft = 0;
  let uploadSize = 0;
  let requestLeft = 0;
  let answered = false;
  let isIdle = false;
  socket.setNoDelay(true);
  socket.on('error', () => {
    stats.errors += 1;
  });
  socket.once('close', () => {
    stats.open -= 1;
    if (isIdle) stats.idle -= 1;
  });

  const onBody = (chunk) => {
    if (answered) return;
    if (mode === UPLOAD) {
      uploadLeft -= chunk.length;
      if (uploadLeft <= 0) {
        answered = true;
        const answer = Buffer.alloc(8);
        answer.writeBigUInt64BE(BigInt(uploadSize - uploadLeft));
        socket.end(answer);
      }
    } else if (mode === REQUEST) {
      requestLeft -= chunk.length;
      if (requestLeft <= 0) {
        answered = true;
        stats.requests += 1;
        socket.end(RESPONSE);
      }
    }
  };

  socket.on('data', (chunk) => {
    if (mode !== 0) return onBody(chunk);
    header = header.length ? Buffer.concat([header, chunk]) : chunk;
    const kind = header[0];
    if (kind === REQUEST) {
      mode = REQUEST;
      requestLeft = REQUEST_SIZE;
      onBody(header);
    } else if (kind === IDLE) {
      mode = IDLE;
      isIdle = true;
      stats.idle += 1;
      socket.write(Buffer.of(IDLE_ACK));
    } else if (kind === DOWNLOAD || kind === UPLOAD) {
      if (header.length < 9) return;
      const size = Number(header.readBigUInt64BE(1));
      const rest = header.subarray(9);
      mode = kind;
      if (kind === DOWNLOAD) {
        stats.downloads += 1;
        writeBulk(socket, size).then(() => socket.end(), () => {});
      } else {
        stats.uploads += 1;
        uploadSize = size;
        uploadLeft = size;
        onBody(rest);
      }
    } else {
      socket.destroy();
    }
  });
  socket.on('end', () => {
    if (mode !== DOWNLOAD && !socket.writableEnded) socket.end();
  });
}

const server = net.createServer({ allowHalfOpen: true }, serve);
server.maxConnections = 100_000;
server.listen(0, '127.0.0.1', () => {
  const address = server.address();
  process.send?.({ type: 'ready', port: typeof address === 'object' && address ? address.port : 0 });
});
process.on('message', (message) => {
  if (message?.op === 'stats') process.send?.({ id: message.id, ok: true, result: { ...stats } });
});
// The harness going away (IPC closed) ends the upstream too.
process.on('disconnect', () => process.exit(0));
process.on('SIGTERM', () => process.exit(0));
