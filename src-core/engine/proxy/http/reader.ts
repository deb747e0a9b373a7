/**
 * Reads a stream on demand (Go's `bufio.Reader` over a connection), for the HTTP proxy's loop of
 * heads and bodies. It reads in paused mode ('readable' + `read()`), only when asked, so a client
 * that sends faster than its request is forwarded is held back (backpressure), and once detached
 * the stream is left neither flowing nor paused: whoever attaches a 'data' listener next gets
 * every byte from there on.
 */
import type { Readable } from 'node:stream';

export class StreamReader {
  private chunks: Buffer[] = [];
  private buffered = 0;
  private ended = false;
  private waiter: (() => void) | undefined;
  private readonly onReadable = () => this.wake();
  private readonly onEnd = () => {
    this.ended = true;
    this.wake();
  };

  constructor(private readonly stream: Readable) {
    stream.on('readable', this.onReadable);
    stream.once('end', this.onEnd);
    stream.once('close', this.onEnd);
  }

  /** Bytes buffered now. */
  get length(): number {
    return this.buffered;
  }

  /** Reads what the stream holds; waits for more when it holds nothing. False at the end. */
  async more(): Promise<boolean> {
    for (;;) {
      let got = false;
      let chunk: Buffer | null;
      while (!this.stream.destroyed && (chunk = this.stream.read() as Buffer | null) !== null) {
        this.chunks.push(chunk);
        this.buffered += chunk.length;
        got = true;
      }
      if (got) return true;
      if (this.ended || this.stream.destroyed) return false;
      await new Promise<void>((resolve) => { this.waiter = resolve; });
    }
  }

  /** Everything buffered, without taking it. */
  peek(): Buffer {
    if (this.chunks.length > 1) this.chunks = [Buffer.concat(this.chunks)];
    return this.chunks[0] ?? Buffer.alloc(0);
  }

  /** Takes up to `max` buffered bytes. */
  take(max = Infinity): Buffer {
    const all = this.peek();
    const taken = all.subarray(0, Math.min(max, all.length));
    const rest = all.subarray(taken.length);
    this.chunks = rest.length > 0 ? [rest] : [];
    this.buffered = rest.length;
    return taken;
  }

  /** Stops reading; what was buffered is handed back (to be unshifted). */
  detach(): Buffer {
    this.stream.off('readable', this.onReadable);
    this.stream.off('end', this.onEnd);
    this.stream.off('close', this.onEnd);
    this.wake();
    return this.take();
  }

  private wake(): void {
    const resolve = this.waiter;
    this.waiter = undefined;
    resolve?.();
  }
}
