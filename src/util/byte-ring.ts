/**
 * A growable FIFO of bytes addressed by stream offset: writers append at the end, readers copy
 * any range still held, and the front is released as it is acknowledged. TCP's send queue keeps
 * unacknowledged bytes here so that a retransmission copies from the same place as the first
 * transmission. The capacity doubles (a power of two) when an append does not fit.
 */

const EMPTY = new Uint8Array(0);

export class ByteRing {
  private buf: Uint8Array;
  private mask: number;
  /** Stream offset of the first byte held. */
  private startOffset = 0;
  /** Bytes held. */
  length = 0;

  /** The buffer is made on the first append (an idle or finished socket holds none). */
  constructor(private readonly initialCapacity = 4096) {
    this.buf = EMPTY;
    this.mask = 0;
  }

  /** Give the buffer back when nothing is held (a socket in TIME_WAIT keeps no send buffer). */
  release(): void {
    if (this.length === 0) {
      this.buf = EMPTY;
      this.mask = 0;
    }
  }

  /** Stream offset of the first byte held (everything before it was released). */
  get start(): number {
    return this.startOffset;
  }

  /** Stream offset one past the last byte held. */
  get end(): number {
    return this.startOffset + this.length;
  }

  /** Append `len` bytes of `src` from `off`. */
  append(src: Uint8Array, off = 0, len = src.length - off): void {
    if (this.length + len > this.buf.length) this.grow(this.length + len);
    const cap = this.buf.length;
    const at = (this.startOffset + this.length) & this.mask;
    const first = Math.min(len, cap - at);
    this.buf.set(src.subarray(off, off + first), at);
    if (first < len) this.buf.set(src.subarray(off + first, off + len), 0);
    this.length += len;
  }

  /** Copy `len` bytes starting at stream offset `offset` into `dst` at `dstOff`. */
  copyOut(offset: number, len: number, dst: Uint8Array, dstOff: number): void {
    if (offset < this.startOffset || offset + len > this.end)
      throw new RangeError("ByteRing: range not held");
    const cap = this.buf.length;
    const at = offset & this.mask;
    const first = Math.min(len, cap - at);
    dst.set(this.buf.subarray(at, at + first), dstOff);
    if (first < len) dst.set(this.buf.subarray(0, len - first), dstOff + first);
  }

  /** Release everything before stream offset `offset`. */
  releaseTo(offset: number): void {
    const n = Math.min(Math.max(0, offset - this.startOffset), this.length);
    this.startOffset += n;
    this.length -= n;
  }

  private grow(needed: number): void {
    let cap = Math.max(64, this.buf.length * 2);
    while (cap < this.initialCapacity) cap *= 2;
    while (cap < needed) cap *= 2;
    const next = new Uint8Array(cap);
    const at = this.startOffset & (cap - 1);
    const first = Math.min(this.length, cap - at);
    this.copyOut(this.startOffset, first, next, at);
    this.copyOut(this.startOffset + first, this.length - first, next, 0);
    this.buf = next;
    this.mask = cap - 1;
  }
}
