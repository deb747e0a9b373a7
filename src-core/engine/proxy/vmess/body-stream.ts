/**
 * A VMess connection's body as a plaintext Duplex over its socket: reading yields decoded body
 * bytes, writing encodes chunks. Both the inbound (request in, response out) and the outbound
 * (request out, response in) use it, with their own codec functions, and then pump it like any
 * other stream.
 *
 * Backpressure is exact both ways: the socket is paused while our reader is full, and a write's
 * callback waits for the socket to drain. EOS: our `end()` writes the end-of-stream chunk and
 * half-closes the socket; the peer's EOS (or its FIN) ends our readable side.
 *
 * It counts plaintext bytes as net.Socket counts its own (`bytesRead`, `bytesWritten`), so the
 * dispatcher can hand it to an outbound as it is.
 */
import { Duplex } from 'node:stream';
import { PortholeError } from '../../common/errors.js';
import { PACKET_LINK_BUFFER as PACKET_BUFFER } from '../../transport/link.js';

export interface BodyCodec {
  /** Decodes incoming wire bytes to plaintext chunks; throws a PortholeError on bad input. */
  decode(chunk: Buffer): Buffer[];
  /** True once the peer's end-of-stream chunk was read. */
  decodedEnd(): boolean;
  /** Encodes plaintext, maybe in pieces (a batch of writes), to wire bytes (may return an empty buffer). */
  encode(plain: Buffer | readonly Buffer[]): Buffer;
  /** The end-of-stream chunk. */
  encodeEnd(): Buffer;
}

export interface BodyStreamOptions {
  highWaterMark: number;
  /**
   * UDP (command 0x02): one chunk is one datagram. The stream is then in object mode both ways, each
   * decoded datagram is its own read and each write its own chunk, and a datagram too large for a
   * chunk is dropped (as 4.34 drops it) and reported to `onDroppedDatagram` instead of ending the
   * session.
   */
  packet?: boolean;
  onDroppedDatagram?: (error: Error) => void;
  /** Bytes to send before the first encoded chunk (a header), and how long to wait for a payload to join them. */
  prefix?: { bytes: Buffer; flushAfterMs: number };
  /** Wire bytes that arrived with the handshake and belong to the body. */
  initialBytes?: Buffer;
}

export class VmessBodyStream extends Duplex {
  private prefix: Buffer | undefined;
  private prefixTimer: NodeJS.Timeout | undefined;
  private drainWaiter: ((error?: Error | null) => void) | undefined;

  private readonly packet: boolean;
  /** Plaintext bytes decoded from the peer. */
  bytesRead = 0;
  /** Plaintext bytes handed to the socket, encoded. */
  private bytesSent = 0;
  private readonly onDroppedDatagram: ((error: Error) => void) | undefined;

  constructor(
    private readonly socket: Duplex,
    private readonly codec: BodyCodec,
    options: BodyStreamOptions,
  ) {
    const packet = options.packet ?? false;
    super(packet ? { allowHalfOpen: true, objectMode: true, highWaterMark: PACKET_BUFFER } : { allowHalfOpen: true, highWaterMark: options.highWaterMark });
    this.packet = packet;
    this.onDroppedDatagram = options.onDroppedDatagram;
    if (options.prefix) {
      this.prefix = options.prefix.bytes;
      this.prefixTimer = setTimeout(() => this.flushPrefix(), options.prefix.flushAfterMs);
    }
    socket.on('data', (chunk: Buffer) => this.onSocketData(chunk));
    socket.on('end', () => this.onSocketEnd());
    socket.on('drain', () => {
      const resume = this.drainWaiter;
      this.drainWaiter = undefined;
      resume?.();
    });
    socket.on('error', (error) => this.destroy(error));
    socket.on('close', () => {
      if (!this.destroyed && !(this.readableEnded && this.writableFinished)) {
        this.destroy(new PortholeError('PH_CONNECTION_RESET', 'vmess: connection closed mid-stream', { severity: 'info' }));
      }
    });
    if (options.initialBytes && options.initialBytes.length > 0) this.onSocketData(options.initialBytes);
  }

  /**
   * Plaintext written, queued bytes included (as net.Socket counts): a write waiting for the
   * socket to drain counts once sent and once queued; `bytesWritten - writableLength` is exact.
   * Stream (TCP) bodies only: a packet body's queue counts datagrams.
   */
  get bytesWritten(): number {
    return this.bytesSent + this.writableLength;
  }

  private onSocketData(chunk: Buffer): void {
    if (this.readableEnded || this.destroyed) return;
    let plain: Buffer[];
    try {
      plain = this.codec.decode(chunk);
    } catch (error) {
      this.destroy(error as Error);
      return;
    }
    let room = true;
    if (this.packet) {
      for (const datagram of plain) {
        this.bytesRead += datagram.length;
        room = this.push(datagram);
      }
    } else {
      // One push per socket read, not one per 2 KiB chunk: everything downstream (Mux parsing,
      // stream writes, the next socket write) then works on large buffers.
      const joined = plain.length === 1 ? plain[0]! : Buffer.concat(plain);
      this.bytesRead += joined.length;
      if (joined.length > 0) room = this.push(joined);
    }
    if (this.codec.decodedEnd()) this.push(null);
    else if (!room) this.socket.pause();
  }

  private onSocketEnd(): void {
    // A peer that closes without an end-of-stream chunk still ends the stream (as 4.34 reads io.EOF).
    if (!this.readableEnded && !this.destroyed) this.push(null);
  }

  override _read(): void {
    if (this.socket.isPaused()) this.socket.resume();
  }

  override _write(chunk: Buffer, _encoding: BufferEncoding, callback: (error?: Error | null) => void): void {
    this._writev([{ chunk }], callback);
  }

  override _writev(chunks: Array<{ chunk: Buffer }>, callback: (error?: Error | null) => void): void {
    let wire: Buffer;
    for (let i = 0; i < chunks.length; i += 1) this.bytesSent += chunks[i]!.chunk.length;
    try {
      if (this.packet) wire = this.encodeDatagrams(chunks);
      // A batch (Mux frames: headers and views of socket reads) is encoded from its pieces, not joined first.
      else wire = this.codec.encode(chunks.length === 1 ? chunks[0]!.chunk : chunks.map(({ chunk }) => chunk));
    } catch (error) {
      callback(error as Error);
      return;
    }
    this.send(wire, callback);
  }

  /** One chunk per datagram; one that does not fit a chunk is dropped, the others still go. */
  private encodeDatagrams(chunks: Array<{ chunk: Buffer }>): Buffer {
    const wires: Buffer[] = [];
    for (const { chunk } of chunks) {
      try {
        wires.push(this.codec.encode(chunk));
      } catch (error) {
        if (!(error instanceof PortholeError) || error.code !== 'PH_VMESS_BAD_CHUNK') throw error;
        this.onDroppedDatagram?.(error);
      }
    }
    return wires.length === 1 ? wires[0]! : Buffer.concat(wires);
  }

  override _final(callback: (error?: Error | null) => void): void {
    this.send(this.codec.encodeEnd(), (error) => {
      if (!error) this.socket.end();
      callback(error);
    });
  }

  override _destroy(error: Error | null, callback: (error?: Error | null) => void): void {
    this.clearPrefixTimer();
    const resume = this.drainWaiter;
    this.drainWaiter = undefined;
    resume?.(error);
    this.socket.destroy();
    callback(error);
  }

  /** Writes the header (if still pending) with `wire` in one socket write. */
  private send(wire: Buffer, callback: (error?: Error | null) => void): void {
    let bytes = wire;
    if (this.prefix) {
      bytes = wire.length === 0 ? this.prefix : Buffer.concat([this.prefix, wire]);
      this.prefix = undefined;
      this.clearPrefixTimer();
    }
    if (bytes.length === 0 || this.socket.write(bytes)) callback();
    else this.drainWaiter = callback;
  }

  private flushPrefix(): void {
    this.prefixTimer = undefined;
    const prefix = this.prefix;
    if (!prefix || this.destroyed) return;
    this.prefix = undefined;
    this.socket.write(prefix);
  }

  private clearPrefixTimer(): void {
    if (this.prefixTimer) clearTimeout(this.prefixTimer);
    this.prefixTimer = undefined;
  }
}
