/**
 * A payload given in pieces (a batch of writes, Mux frame headers between views of socket reads),
 * walked as if the pieces were joined, so that the data path need not join them first.
 */

/** Bytes in all the pieces (or in one buffer). */
export function totalLength(payload: Buffer | readonly Buffer[]): number {
  if (Buffer.isBuffer(payload)) return payload.length;
  let length = 0;
  for (const piece of payload) length += piece.length;
  return length;
}

/** A position in a payload given in pieces: the next byte is `pieces[piece][offset]`. */
export class PieceCursor {
  constructor(
    private readonly pieces: readonly Buffer[],
    public piece = 0,
    public offset = 0,
  ) {}

  /** Hands the next `length` bytes to `visit`, one non-empty part of a piece at a time. */
  take(length: number, visit: (source: Buffer, from: number, to: number) => void): void {
    while (length > 0) {
      const source = this.pieces[this.piece]!;
      const take = Math.min(length, source.length - this.offset);
      if (take > 0) visit(source, this.offset, this.offset + take);
      length -= take;
      this.offset += take;
      if (this.offset === source.length) {
        this.piece += 1;
        this.offset = 0;
      }
    }
  }

  /** Copies the next `length` bytes to `out[at…]`; returns where the copy ends in `out`. */
  copyTo(length: number, out: Buffer, at: number): number {
    this.take(length, (source, from, to) => {
      at += source.copy(out, at, from, to);
    });
    return at;
  }
}
