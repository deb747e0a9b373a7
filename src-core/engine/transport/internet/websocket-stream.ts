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
import { peerEventError } from '../../common/errors.js';
import type { Connection } from './connection.js';
import {
  closePayload, encodeFrame, encodeFrameHeader, FrameReader, OPCODE_BINARY, OPCODE_CLOSE, OPCODE_PING, OPCODE_PONG, parseClosePayload,
  type WebSocketRole,
} from './websocket-frame.js';

/** One message at most this large: a 4.34 peer reads any size; this keeps one write from growing a frame. */
const MAX_MESSAGE_BYTES = 64 * 1024;
/** A 4.34 peer sends messages of a few KiB; a larger frame is refused. */
export const MAX_FRAME_PAYLOAD_BYTES = 1 << 20;
/** From this size a server's payload goes to the socket as it is, behind its header, not copied into one frame. */
const COPY_LIMIT_BYTES = 16 * 1024;
/** How long a clean close waits for the peer's close frame before dropping the connection. */
const CLOSE_WAIT_MS = 5_000;

/** Close codes that end the stream cleanly: normal, going away, and no status (an empty close frame). */
const CLEAN_CLOSE_CODES = new Set([1000, 1001, 1005]);

const closedError = () => peerEventError('PH_CONNECTION_RESET', 'websocket is closed', { severity: 'info' });
const abnormalClose = (code: number) => peerEventError('PH_CONNECTION_RESET', `websocket closed abnormally (code ${code})`, { severity: 'info' });

export class WebSocketStream extends Duplex implements Connection {
  private readonly reader: FrameReader;
  private closeSent = false;
  private closeReceived = false;
  /** The write that waits for the socket's 'drain'. */
  private waitingForDrain: ((error?: Error | null) => void) | undefined;
  private closeTimer: NodeJS.Timeout | undefined;

  constructor(
    /** The upgraded connection: TCP, or TLS over `raw`. */
    private readonly socket: net.Socket,
    /** The TCP socket under it: reset on abort. */
    private readonly raw: net.Socket,
    private readonly role: WebSocketRole,
    /** Bytes the handshake read past its end: the first frames. */
    head: Buffer,
    readonly remoteAddress: string | undefined,
    readonly remotePort: number | undefined,
    highWaterMark = MAX_MESSAGE_BYTES,
  ) {
    super({ allowHalfOpen: true, highWaterMark, writableHighWaterMark: highWaterMark });
    this.reader = new FrameReader(role, MAX_FRAME_PAYLOAD_BYTES, {
      data: (payload) => this.onPayload(payload),
      control: (opcode, payload) => this.onControl(opcode, payload),
    });
    socket.setTimeout(0);
    socket.on('data', this.onSocketData);
    socket.on('drain', this.onDrain);
    socket.on('end', this.onSocketEnd);
    socket.on('close', this.onSocketClose);
    socket.on('error', this.onSocketError);
    if (head.length > 0) this.onSocketData(head);
  }

  private readonly onSocketData = (chunk: Buffer): void => {
    try {
      this.reader.push(chunk);
    } catch (error) {
      // A frame the peer should not send: the connection is cut (its later bytes mean nothing).
      if (this.destroyed) this.socket.destroy();
      else this.destroy(error as Error);
    }
  };

  private onPayload(payload: Buffer): void {
    if (this.closeReceived || this.readableEnded || this.destroyed) return;
    if (payload.length > 0 && !this.push(payload)) this.socket.pause();
  }

  private onControl(opcode: number, payload: Buffer): void {
    if (opcode === OPCODE_PING) {
      if (!this.closeSent) this.socket.write(encodeFrame(OPCODE_PONG, payload, this.role));
      return;
    }
    if (opcode !== OPCODE_CLOSE || this.closeReceived) return;
    const { code } = parseClosePayload(payload);
    this.closeReceived = true;
    // The peer is done both ways: answer its close (echoing the code, RFC 6455 §5.5.1) and hang up.
    this.sendClose(code === 1005 ? Buffer.alloc(0) : closePayload(code));
    this.socket.end();
    if (this.destroyed) return;
    if (!CLEAN_CLOSE_CODES.has(code)) this.destroy(abnormalClose(code));
    // As a TCP socket after the peer's FIN: 'end' is delivered first, then (autoDestroy) 'close'
    // once our writer finished too; a writer still going learns from its next write that nothing goes out.
    else if (!this.readableEnded) this.push(null);
  }

  private sendClose(payload: Buffer): void {
    if (this.closeSent) return;
    this.closeSent = true;
    if (this.socket.writable) this.socket.write(encodeFrame(OPCODE_CLOSE, payload, this.role));
  }

  private readonly onDrain = (): void => {
    const callback = this.waitingForDrain;
    this.waitingForDrain = undefined;
    callback?.();
  };

  private readonly onSocketEnd = (): void => {
    // After the close handshake the peer hangs up; before it, a FIN is an abnormal closure.
    if (this.closeReceived || (this.destroyed && this.closeSent)) this.socket.end();
    else this.destroy(abnormalClose(1006));
  };

  private readonly onSocketClose = (): void => {
    clearTimeout(this.closeTimer);
    // After the peer's close the readable side has ended; a writer still going learns it from its next write.
    if (!this.closeReceived) this.destroy(abnormalClose(1006));
  };

  private readonly onSocketError = (): void => {
    // The 'close' that follows says it (as code 1006 unless the close handshake was done).
  };

  override _read(): void {
    if (this.socket.isPaused()) this.socket.resume();
  }

  override _write(chunk: Buffer, _encoding: BufferEncoding, callback: (error?: Error | null) => void): void {
    this.send(chunk, callback);
  }

  override _writev(chunks: Array<{ chunk: Buffer }>, callback: (error?: Error | null) => void): void {
    this.send(chunks.length === 1 ? chunks[0]!.chunk : Buffer.concat(chunks.map(({ chunk }) => chunk)), callback);
  }

  /** Sends in messages of at most MAX_MESSAGE_BYTES; the callback waits while the socket's buffer is full (backpressure). */
  private send(bytes: Buffer, callback: (error?: Error | null) => void): void {
    if (this.closeSent || !this.socket.writable) {
      callback(closedError());
      return;
    }
    let room = true;
    for (let offset = 0; offset < bytes.length; offset += MAX_MESSAGE_BYTES) room = this.sendMessage(bytes.subarray(offset, offset + MAX_MESSAGE_BYTES));
    if (room) callback();
    else this.waitingForDrain = callback;
  }

  private sendMessage(payload: Buffer): boolean {
    if (this.role === 'client' || payload.length < COPY_LIMIT_BYTES) return this.socket.write(encodeFrame(OPCODE_BINARY, payload, this.role));
    this.socket.cork();
    this.socket.write(encodeFrameHeader(OPCODE_BINARY, payload.length));
    const room = this.socket.write(payload);
    this.socket.uncork();
    return room;
  }

  override _final(callback: (error?: Error | null) => void): void {
    // No half-close in WebSocket: the connection closes once both sides are done (_destroy).
    callback();
  }

  override _destroy(error: Error | null, callback: (error?: Error | null) => void): void {
    this.waitingForDrain = undefined;
    if (this.socket.destroyed) {
      callback(error);
      return;
    }
    if (error || !this.writableFinished) {
      if (!this.raw.destroyed) this.raw.resetAndDestroy();
      this.socket.destroy();
    } else if (this.closeReceived) {
      this.socket.end();
    } else {
      // Our normal close; the peer answers with its own, then the connection goes (or after a wait).
      this.sendClose(closePayload(1000));
      this.closeTimer = setTimeout(() => this.socket.destroy(), CLOSE_WAIT_MS).unref();
    }
    callback(error);
  }
}
