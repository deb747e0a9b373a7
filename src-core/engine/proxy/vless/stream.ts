/**
 * A VLESS connection's body as a Duplex over its socket, for both sides: reading yields body bytes
 * (TCP, Mux) or datagrams (UDP, object mode), writing sends them. The side that speaks second
 * parses the peer's header first (`expectHeader`); each side's own header goes out with its first
 * write (`prefix`), or after `flushAfterMs`, or at the latest when it ends.
 *
 * Backpressure is exact both ways (the socket pauses while our reader is full; a write's callback
 * waits for 'drain'). Our `end()` half-closes the socket; the peer's FIN ends our readable side.
 * It counts body bytes as net.Socket counts its own, so the dispatcher takes it as it is.
 */
import { Duplex } from 'node:stream';
import { PortholeError } from '../../common/errors.js';
import { PACKET_LINK_BUFFER } from '../../transport/link.js';
import { PacketDecoder, encodePacket, type ResponseParse } from './codec.js';

export interface VlessStreamOptions {
  highWaterMark: number;
  /** UDP: datagrams as length-prefixed packets; object mode both ways. */
  packet: boolean;
  /** Our header, sent with the first write. `flushAfterMs`: sent alone after this long without one. */
  prefix?: { bytes: Buffer; flushAfterMs?: number };
  /** The peer's header to strip before its body (the client reads the response header). */
  expectHeader?: (bytes: Buffer) => ResponseParse;
  /** Body bytes that arrived with the handshake. */
  initialBytes?: Buffer;
  /** A datagram too large for a packet was dropped (4.34 drops it too). */
  onDroppedDatagram?: (length: number) => void;
}

export class VlessStream extends Duplex {
  private prefix: Buffer | undefined;
  private prefixTimer: NodeJS.Timeout | undefined;
  private drainWaiter: ((error?: Error | null) => void) | undefined;
  private header: Buffer | undefined;
  private readonly packets: PacketDecoder | undefined;
  /** Body bytes (datagram payloads for UDP) received from the peer. */
  bytesRead = 0;
  /** The peer ended the connection before the header we expected (`expectHeader`). */
  closedBeforeHeader = false;
  private bytesSent = 0;

  /** `socket`: the connection from `transport/internet` (TCP, TLS or WebSocket). */
  constructor(private readonly socket: Duplex, private readonly options: VlessStreamOptions) {
    super(options.packet ? { allowHalfOpen: true, objectMode: true, highWaterMark: PACKET_LINK_BUFFER } : { allowHalfOpen: true, highWaterMark: options.highWaterMark });
    this.packets = options.packet ? new PacketDecoder() : undefined;
    if (options.expectHeader) this.header = Buffer.alloc(0);
    if (options.prefix) {
      this.prefix = options.prefix.bytes;
      if (options.prefix.flushAfterMs !== undefined) this.prefixTimer = setTimeout(() => this.flushPrefix(), options.prefix.flushAfterMs);
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
        this.destroy(new PortholeError('PH_CONNECTION_RESET', 'vless: connection closed mid-stream', { severity: 'info' }));
      }
    });
    if (options.initialBytes && options.initialBytes.length > 0) this.onSocketData(options.initialBytes);
  }

  /** Body bytes written, queued ones included (as net.Socket counts; for UDP the queue counts datagrams). */
  get bytesWritten(): number {
    return this.bytesSent + this.writableLength;
  }

  private onSocketData(chunk: Buffer): void {
    if (this.readableEnded || this.destroyed) return;
    let body = chunk;
    if (this.header !== undefined) {
      const seen = Buffer.concat([this.header, chunk]);
      const parsed = this.options.expectHeader!(seen);
      if (parsed.status === 'need-more') {
        this.header = seen;
        return;
      }
      if (parsed.status === 'fail') {
        this.destroy(parsed.error);
        return;
      }
      this.header = undefined;
      body = parsed.rest;
    }
    let room = true;
    if (this.packets) {
      for (const datagram of this.packets.push(body)) {
        this.bytesRead += datagram.length;
        room = this.push(datagram);
      }
    } else if (body.length > 0) {
      this.bytesRead += body.length;
      room = this.push(body);
    }
    if (!room) this.socket.pause();
  }

  private onSocketEnd(): void {
    if (this.readableEnded || this.destroyed) return;
    if (this.header !== undefined) {
      // 4.34's server closes at once on an unknown user; a TLS server closes on bytes that are not TLS.
      this.closedBeforeHeader = true;
      this.destroy(new PortholeError('PH_CONNECTION_RESET', 'vless: the server closed the connection before answering (wrong user id, or does it expect TLS or WebSocket?)', { severity: 'info' }));
      return;
    }
    this.push(null);
  }

  override _read(): void {
    if (this.socket.isPaused()) this.socket.resume();
  }

  override _write(chunk: Buffer, _encoding: BufferEncoding, callback: (error?: Error | null) => void): void {
    this._writev([{ chunk }], callback);
  }

  override _writev(chunks: Array<{ chunk: Buffer }>, callback: (error?: Error | null) => void): void {
    const pieces: Buffer[] = [];
    for (const { chunk } of chunks) {
      this.bytesSent += chunk.length;
      if (!this.packets) {
        pieces.push(chunk);
        continue;
      }
      const packet = encodePacket(chunk);
      if (packet) pieces.push(packet);
      else if (chunk.length > 0) this.options.onDroppedDatagram?.(chunk.length);
    }
    this.send(pieces, callback);
  }

  override _final(callback: (error?: Error | null) => void): void {
    // A header still pending goes out now: a client's request must reach the server even without
    // a payload; a server answers an empty response with its header and then FIN (4.34 closes
    // without the header, and its client reports a failure).
    this.send([], (error) => {
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

  /** Writes the pending header (if any) with `pieces` in one socket write. */
  private send(pieces: Buffer[], callback: (error?: Error | null) => void): void {
    if (this.prefix) {
      pieces.unshift(this.prefix);
      this.prefix = undefined;
      this.clearPrefixTimer();
    }
    if (pieces.length === 0) {
      callback();
      return;
    }
    const bytes = pieces.length === 1 ? pieces[0]! : Buffer.concat(pieces);
    if (this.socket.write(bytes)) callback();
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
