/**
 * A WebSocket as a byte stream (V2Ray 4.34 `transport/internet/websocket/connection.go`): every
 * write is one binary message, and reading joins the payloads of all messages, whatever their
 * type. WebSocket has no half-close, so `end()` sends nothing (the protocol above has its own
 * end marker, as VMess's last chunk); the peer's close frame ends the readable side.
 *
 * Closing, after transport/abort.ts: once both sides ended, a normal close (1000), as 4.34 sends.
 * A stream destroyed with an error or before its writer finished was cut short: the TCP connection
 * under it is reset, and the peer sees an abnormal closure (1006), never a normal one.
 */
import type net from 'node:net';
import { Duplex } from 'node:stream';
import type { WebSocket } from 'ws';
import { PortholeError } from '../../common/errors.js';
import type { Connection } from './connection.js';

/** One message at most this large: a 4.34 peer reads any size; this keeps one write from growing a frame. */
const MAX_MESSAGE_BYTES = 64 * 1024;

/** Close codes that end the stream cleanly: normal, going away, and no status (an empty close frame). */
const CLEAN_CLOSE_CODES = new Set([1000, 1001, 1005]);

export class WebSocketStream extends Duplex implements Connection {
  constructor(
    private readonly ws: WebSocket,
    /** The TCP socket under the WebSocket (and under TLS, if any): reset on abort. */
    private readonly raw: net.Socket,
    readonly remoteAddress: string | undefined,
    readonly remotePort: number | undefined,
    highWaterMark = MAX_MESSAGE_BYTES,
  ) {
    super({ allowHalfOpen: true, highWaterMark, writableHighWaterMark: highWaterMark });
    ws.binaryType = 'nodebuffer';
    ws.on('message', (data: Buffer) => {
      if (this.readableEnded || this.destroyed) return;
      if (data.length > 0 && !this.push(data)) ws.pause();
    });
    ws.on('close', (code: number) => this.onPeerClose(code));
    ws.on('error', (error: Error) => this.destroy(error));
  }

  private onPeerClose(code: number): void {
    if (this.destroyed) return;
    if (!CLEAN_CLOSE_CODES.has(code)) {
      this.destroy(new PortholeError('PH_CONNECTION_RESET', `websocket closed abnormally (code ${code})`, { severity: 'info' }));
      return;
    }
    // As a TCP socket after the peer's FIN: 'end' is delivered first, then (autoDestroy) 'close'
    // once our writer finished too; a writer still going learns from its next write that nothing goes out.
    if (!this.readableEnded) this.push(null);
  }

  override _read(): void {
    if (this.ws.isPaused) this.ws.resume();
  }

  override _write(chunk: Buffer, _encoding: BufferEncoding, callback: (error?: Error | null) => void): void {
    this.send(chunk, callback);
  }

  override _writev(chunks: Array<{ chunk: Buffer }>, callback: (error?: Error | null) => void): void {
    this.send(chunks.length === 1 ? chunks[0]!.chunk : Buffer.concat(chunks.map(({ chunk }) => chunk)), callback);
  }

  /** Sends in messages of at most MAX_MESSAGE_BYTES; the callback waits for the last to reach the socket (backpressure). */
  private send(bytes: Buffer, callback: (error?: Error | null) => void): void {
    if (this.ws.readyState !== this.ws.OPEN) {
      callback(new PortholeError('PH_CONNECTION_RESET', 'websocket is closed', { severity: 'info' }));
      return;
    }
    for (let offset = 0; offset < bytes.length; offset += MAX_MESSAGE_BYTES) {
      const last = offset + MAX_MESSAGE_BYTES >= bytes.length;
      const piece = bytes.subarray(offset, offset + MAX_MESSAGE_BYTES);
      if (last) this.ws.send(piece, { binary: true }, (error) => callback(error ?? null));
      else this.ws.send(piece, { binary: true });
    }
    if (bytes.length === 0) callback();
  }

  override _final(callback: (error?: Error | null) => void): void {
    // No half-close in WebSocket: the connection closes once both sides are done (_destroy).
    callback();
  }

  override _destroy(error: Error | null, callback: (error?: Error | null) => void): void {
    const ws = this.ws;
    if (ws.readyState === ws.CLOSED) {
      callback(error);
      return;
    }
    if (error || !this.writableFinished) {
      if (!this.raw.destroyed) this.raw.resetAndDestroy();
      ws.terminate();
    } else {
      ws.close(1000);
    }
    callback(error);
  }
}
