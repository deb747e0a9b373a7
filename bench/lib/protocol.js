/**
 * What the bench client says to the bench upstream (through the tunnel). The first byte picks the
 * service:
 *   'D' + uint64 BE n  → the upstream sends n bytes, then ends.
 *   'U' + uint64 BE n  → the client sends n bytes; once all arrived the upstream answers the
 *                        uint64 BE count and ends (so the client's clock stops when the last byte
 *                        really reached the upstream).
 *   'R' + 1023 bytes   → a 1 KiB request; the upstream answers 1 KiB and ends.
 *   'I'                → an idle stream: the upstream answers '!' (proof the stream reached it)
 *                        and holds the connection open until the client closes it.
 */
export const DOWNLOAD = 0x44; // 'D'
export const UPLOAD = 0x55; // 'U'
export const REQUEST = 0x52; // 'R'
export const IDLE = 0x49; // 'I'
export const IDLE_ACK = 0x21; // '!'

export const REQUEST_SIZE = 1024;
export const RESPONSE_SIZE = 1024;

/** One block of bulk data, reused for every write (the content does not matter to a proxy). */
export const BLOCK = Buffer.alloc(64 * 1024, 0xab);

export function sizedHeader(kind, size) {
  const header = Buffer.alloc(9);
  header[0] = kind;
  header.writeBigUInt64BE(BigInt(size), 1);
  return header;
}

/** Writes `size` bytes of BLOCK to a socket, honouring backpressure. Resolves when all are queued. */
export async function writeBulk(socket, size) {
  let left = size;
  while (left > 0) {
    if (socket.destroyed) throw new Error(`socket closed with ${left} of ${size} bytes unsent`);
    const piece = left >= BLOCK.length ? BLOCK : BLOCK.subarray(0, left);
    left -= piece.length;
    if (!socket.write(piece)) {
      await new Promise((resolve) => {
        const done = () => {
          socket.off('drain', done);
          socket.off('close', done);
          resolve();
        };
        socket.on('drain', done);
        socket.on('close', done);
      });
    }
  }
}
