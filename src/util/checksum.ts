/**
 * The Internet checksum (RFC 1071) and its incremental update (RFC 1624, equation 3).
 *
 * Models the kernel's csum_partial / csum_fold / csum_tcpudp_magic and inet_proto_csum_replace{2,4}.
 * Sums are kept as plain numbers (up to 2^53) and folded once at the end, so the loop has no
 * carry handling. Long regions starting on a 4-byte boundary are summed 32 bits at a time in the
 * host's byte order and swapped back once (RFC 1071 section 2(B): the sum is byte-order
 * independent), like the kernel's do_csum word loop.
 */

import { u16 } from "./bytes.js";

const LITTLE_ENDIAN = new Uint8Array(Uint16Array.of(1).buffer)[0] === 1;
/** A 32-bit view of the last buffer summed (packets share slabs, so this rarely changes). */
let wordsOf: ArrayBufferLike | undefined;
let words: Uint32Array<ArrayBufferLike> = new Uint32Array(0);

/**
 * One's-complement sum of bytes [off, off+len) added to `initial`, not folded, not inverted.
 * The result is exact up to the end-around carry: fold() of it is what a byte loop gives.
 */
export function onesSum(buf: Uint8Array, off: number, len: number, initial = 0): number {
  const at = buf.byteOffset + off;
  if (len >= 64 && (at & 3) === 0) {
    if (buf.buffer !== wordsOf) {
      wordsOf = buf.buffer;
      words = new Uint32Array(buf.buffer, 0, buf.buffer.byteLength >>> 2);
    }
    const first = at >>> 2;
    const end = first + (len >>> 2);
    const ws = words;
    let a = 0;
    let b = 0;
    let w = first;
    for (; w + 1 < end; w += 2) {
      a += ws[w] as number;
      b += ws[w + 1] as number;
    }
    if (w < end) a += ws[w] as number;
    const folded = fold(a + b);
    const tail = len & ~3;
    const swapped = LITTLE_ENDIAN ? ((folded & 0xff) << 8) | (folded >>> 8) : folded;
    return bytesSum(buf, off + tail, len - tail, initial + swapped);
  }
  return bytesSum(buf, off, len, initial);
}

function bytesSum(buf: Uint8Array, off: number, len: number, initial: number): number {
  let sum = initial;
  const end = off + len;
  let i = off;
  // 8 bytes per step keeps the loop short; sums stay far below 2^53 for any frame size.
  for (; i + 7 < end; i += 8) {
    sum +=
      (((buf[i] as number) << 8) | (buf[i + 1] as number)) +
      (((buf[i + 2] as number) << 8) | (buf[i + 3] as number)) +
      (((buf[i + 4] as number) << 8) | (buf[i + 5] as number)) +
      (((buf[i + 6] as number) << 8) | (buf[i + 7] as number));
  }
  for (; i + 1 < end; i += 2) sum += u16(buf, i);
  if (i < end) sum += (buf[i] as number) << 8;
  return sum;
}

/** Fold a sum to 16 bits (end-around carry). */
export function fold(sum: number): number {
  while (sum > 0xffff) sum = (sum & 0xffff) + Math.floor(sum / 0x10000);
  return sum;
}

/** Finished checksum of a region: ~fold(sum). A correct region including its checksum gives 0. */
export function checksum(buf: Uint8Array, off: number, len: number, initial = 0): number {
  return ~fold(onesSum(buf, off, len, initial)) & 0xffff;
}

/** Sum of the IPv4 pseudo-header used by TCP and UDP (RFC 793 / RFC 768). */
export function pseudoHeaderSum(src: number, dst: number, protocol: number, length: number): number {
  return (src >>> 16) + (src & 0xffff) + (dst >>> 16) + (dst & 0xffff) + protocol + length;
}

/**
 * RFC 1624 eqn. 3: HC' = ~(~HC + ~m + m'), for a 16-bit field changing from `oldValue` to `newValue`.
 * Never produces 0xffff from a non-0xffff input's complement ambiguity differently than a full
 * recompute would, except where a full recompute itself yields 0x0000 vs 0xffff (see tests).
 */
export function updateChecksum16(check: number, oldValue: number, newValue: number): number {
  const sum = (~check & 0xffff) + (~oldValue & 0xffff) + (newValue & 0xffff);
  return ~fold(sum) & 0xffff;
}

/** The same for a 32-bit field (an IPv4 address), as two 16-bit halves. */
export function updateChecksum32(check: number, oldValue: number, newValue: number): number {
  const sum =
    (~check & 0xffff) +
    (~(oldValue >>> 16) & 0xffff) +
    (~oldValue & 0xffff) +
    ((newValue >>> 16) & 0xffff) +
    (newValue & 0xffff);
  return ~fold(sum) & 0xffff;
}
