/**
 * What a handshake parser has received but not parsed yet: pushes are appended, fields are taken
 * from the front as views, and whatever follows the header is handed on to the body decoder.
 * Shared by the server's request parser and the client's response parser.
 */
export class HandshakeInput {
  private bytes: Buffer = Buffer.alloc(0);
  /** Bytes taken so far (everything before what is buffered now). */
  consumed = 0;

  append(chunk: Buffer): void {
    this.bytes = this.bytes.length === 0 ? chunk : Buffer.concat([this.bytes, chunk]);
  }

  /** Bytes buffered now. */
  get length(): number {
    return this.bytes.length;
  }

  /** The buffered bytes from `offset` on, without taking them. */
  peek(offset = 0): Buffer {
    return this.bytes.subarray(offset);
  }

  /** The next `length` bytes (a view); the caller checked `length` first. */
  take(length: number): Buffer {
    const taken = this.bytes.subarray(0, length);
    this.bytes = this.bytes.subarray(length);
    this.consumed += length;
    return taken;
  }

  /** Everything left (the start of the body), leaving nothing buffered. */
  takeRest(): Buffer {
    const rest = this.bytes;
    this.bytes = Buffer.alloc(0);
    return rest;
  }
}
