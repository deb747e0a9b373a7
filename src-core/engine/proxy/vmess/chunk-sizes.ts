/**
 * Where a VMess body's 2-byte size values come from (padding lengths and length masks): SHAKE128
 * of the body IV with ChunkMasking (0x04), zero without. Spec §3.1 (`common/crypto/chunk.go`).
 */
import { Shake128Stream } from '../../common/crypto/shake128.js';

/** Where the 2-byte size values come from. */
export interface SizeSource {
  next(): number;
}

/** Without masking every value is zero (`PlainChunkSizeParser`). */
const ZERO_SIZES: SizeSource = { next: () => 0 };

/** With masking, SHAKE128(iv) (`ShakeSizeParser`). */
class ShakeSizes implements SizeSource {
  private readonly shake: Shake128Stream;

  constructor(iv: Buffer) {
    this.shake = new Shake128Stream(iv);
  }

  next(): number {
    return this.shake.nextUint16();
  }
}

export function sizeStream(masking: boolean, iv: Buffer): SizeSource {
  return masking ? new ShakeSizes(iv) : ZERO_SIZES;
}

/**
 * The decoder's size values, drawn ahead into an array so that a native run (ChunkCipher.openRun)
 * can take many chunks' worth at once. They are the same values in the same order either way.
 */
export class SizeQueue {
  readonly values = new Uint16Array(256);
  head = 0;
  tail = 0;

  constructor(private readonly source: SizeSource) {}

  next(): number {
    if (this.head === this.tail) this.fill();
    return this.values[this.head++]!;
  }

  /** Moves the values not taken yet to the front and draws until the array is full. */
  fill(): void {
    this.values.copyWithin(0, this.head, this.tail);
    this.tail -= this.head;
    this.head = 0;
    while (this.tail < this.values.length) this.values[this.tail++] = this.source.next();
  }
}
