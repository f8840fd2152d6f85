/**
 * The Internet checksum (src/util/checksum.ts): the full computation against RFC 1071's worked
 * example and a word-by-word reference, and the RFC 1624 incremental updates against full
 * recomputes, including the one case where they differ.
 */

import fc from "fast-check";
import { describe, expect, it } from "vitest";
import {
  checksum,
  fold,
  onesSum,
  pseudoHeaderSum,
  updateChecksum16,
  updateChecksum32,
} from "../../src/util/checksum.js";

/** Word-by-word one's-complement sum, folded after every addition: the textbook definition. */
function referenceSum(buf: Uint8Array, off: number, len: number): number {
  let sum = 0;
  for (let i = 0; i < len; i += 2) {
    const hi = buf[off + i] ?? 0;
    const lo = i + 1 < len ? (buf[off + i + 1] ?? 0) : 0;
    sum += (hi << 8) | lo;
    if (sum > 0xffff) sum = (sum & 0xffff) + 1;
  }
  return sum;
}

function referenceChecksum(buf: Uint8Array, off: number, len: number): number {
  return ~referenceSum(buf, off, len) & 0xffff;
}

const word = (buf: Uint8Array, at: number) => ((buf[at] ?? 0) << 8) | (buf[at + 1] ?? 0);
function putWord(buf: Uint8Array, at: number, v: number): void {
  buf[at] = v >>> 8;
  buf[at + 1] = v & 0xff;
}

/** The checksum of `buf` with the 16-bit field at `at` taken as zero (what a full recompute gives). */
function recomputeWithout(buf: Uint8Array, at: number): number {
  const copy = buf.slice();
  putWord(copy, at, 0);
  return checksum(copy, 0, copy.length);
}

describe("full checksum", () => {
  it("RFC 1071 section 3 example: 00 01 f2 03 f4 f5 f6 f7 sums to ddf2, checksum 220d", () => {
    const b = Uint8Array.of(0x00, 0x01, 0xf2, 0x03, 0xf4, 0xf5, 0xf6, 0xf7);
    expect(onesSum(b, 0, 8)).toBe(0x2ddf0);
    expect(fold(onesSum(b, 0, 8))).toBe(0xddf2);
    expect(checksum(b, 0, 8)).toBe(0x220d);
  });

  it("an odd trailing byte counts as the high byte of a word padded with zero", () => {
    expect(onesSum(Uint8Array.of(0x12), 0, 1)).toBe(0x1200);
    expect(checksum(Uint8Array.of(0xab, 0xcd, 0x12), 0, 3)).toBe(~(0xabcd + 0x1200) & 0xffff);
  });

  it("fold keeps 0 and 0xffff apart and carries end-around", () => {
    expect(fold(0)).toBe(0);
    expect(fold(0xffff)).toBe(0xffff);
    expect(fold(0x10000)).toBe(1);
    expect(fold(0x1fffe)).toBe(0xffff);
    expect(fold(0xffff * 0xffff)).toBe(0xffff);
    // An IPv4 header with its checksum written in sums to 0xffff (-0), never to 0.
    const header = Uint8Array.from(Buffer.from("450000546b6c40004001000000a000010a000002", "hex"));
    putWord(header, 10, checksum(header, 0, 20));
    expect(fold(onesSum(header, 0, 20))).toBe(0xffff);
  });

  it("equals the word-by-word reference for any region of any buffer", () => {
    fc.assert(
      fc.property(fc.uint8Array({ maxLength: 200 }), fc.nat(), fc.nat(), (buf, a, b) => {
        const off = buf.length === 0 ? 0 : a % buf.length;
        const len = buf.length - off === 0 ? 0 : b % (buf.length - off + 1);
        expect(fold(onesSum(buf, off, len))).toBe(referenceSum(buf, off, len));
        expect(checksum(buf, off, len)).toBe(referenceChecksum(buf, off, len));
      }),
    );
  });

  it("the 32-bit word path (aligned regions of 64+ bytes, views into shared buffers) equals the reference", () => {
    fc.assert(
      fc.property(fc.uint8Array({ minLength: 64, maxLength: 3000 }), fc.nat(7), fc.nat(), (buf, view, b) => {
        const inner = buf.subarray(view);
        const off = (4 - (view & 3)) & 3; // the region starts on a 4-byte boundary of the buffer
        const len = Math.max(0, inner.length - off - (b % 8));
        expect(fold(onesSum(inner, off, len, 0x1234))).toBe(fold(referenceSum(inner, off, len) + 0x1234));
        expect(checksum(inner, off, len)).toBe(referenceChecksum(inner, off, len));
      }),
    );
    // All ones and all zeros: the two zeros of one's complement stay apart.
    expect(fold(onesSum(new Uint8Array(128).fill(0xff), 0, 128))).toBe(0xffff);
    expect(fold(onesSum(new Uint8Array(128), 0, 128))).toBe(0);
  });

  it("a region with its checksum written in sums to zero", () => {
    fc.assert(
      fc.property(fc.uint8Array({ minLength: 2, maxLength: 120 }), fc.nat(), (buf, k) => {
        const at = (k % Math.floor(buf.length / 2)) * 2;
        putWord(buf, at, 0);
        putWord(buf, at, checksum(buf, 0, buf.length));
        expect(checksum(buf, 0, buf.length)).toBe(0);
      }),
    );
  });

  it("sums chain through `initial`: an even-length prefix summed first gives the same checksum", () => {
    fc.assert(
      fc.property(fc.uint8Array({ maxLength: 60 }), fc.uint8Array({ maxLength: 60 }), (a0, b) => {
        const a = a0.length % 2 === 0 ? a0 : a0.subarray(1);
        const both = new Uint8Array(a.length + b.length);
        both.set(a);
        both.set(b, a.length);
        expect(checksum(b, 0, b.length, onesSum(a, 0, a.length))).toBe(checksum(both, 0, both.length));
      }),
    );
  });

  it("pseudoHeaderSum equals the sum of the 12-byte pseudo-header written out", () => {
    const u32 = fc.integer({ min: 0, max: 0xffffffff });
    fc.assert(
      fc.property(
        u32,
        u32,
        fc.integer({ min: 0, max: 255 }),
        fc.integer({ min: 0, max: 0xffff }),
        (s, d, p, l) => {
          const ph = new Uint8Array(12);
          const dv = new DataView(ph.buffer);
          dv.setUint32(0, s);
          dv.setUint32(4, d);
          ph[9] = p;
          dv.setUint16(10, l);
          expect(fold(pseudoHeaderSum(s, d, p, l))).toBe(referenceSum(ph, 0, 12));
        },
      ),
    );
  });
});

describe("RFC 1624 incremental updates", () => {
  /**
   * A buffer of 16-bit words with a checksum word at `check` and a changed field at `field` (word
   * aligned, not overlapping the checksum), for 16- and 32-bit fields, and one more word `spare`
   * outside both when the buffer has room (else -2).
   */
  const layout = (fieldWords: number, minWords = fieldWords + 1) =>
    fc
      .record({
        words: fc.integer({ min: minWords, max: 40 }),
        check: fc.nat(),
        field: fc.nat(),
        fill: fc.uint8Array({ minLength: 80, maxLength: 80 }),
      })
      .map(({ words, check, field, fill }) => {
        const buf = fill.slice(0, words * 2);
        const f = field % (words - fieldWords + 1);
        const outside: number[] = [];
        for (let w = 0; w < words; w++) if (w < f || w >= f + fieldWords) outside.push(w);
        const c = outside[check % outside.length] as number;
        // A word outside both (when there is one), for tests that need the data never all zero.
        const spare = outside.find((w) => w !== c) ?? -1;
        return { buf, check: c * 2, field: f * 2, spare: spare * 2 };
      });

  /** True when every word but the checksum is zero: the one case a full recompute gives 0xffff. */
  const allZeroBesides = (buf: Uint8Array, check: number) =>
    buf.every((b, i) => b === 0 || i === check || i === check + 1);

  it("a 16-bit field change gives exactly the full recompute (unless all other words are zero)", () => {
    fc.assert(
      fc.property(layout(1), fc.integer({ min: 0, max: 0xffff }), ({ buf, check, field }, value) => {
        putWord(buf, check, recomputeWithout(buf, check));
        const updated = updateChecksum16(word(buf, check), word(buf, field), value);
        putWord(buf, field, value);
        if (allZeroBesides(buf, check)) {
          expect(updated).toBe(0x0000);
          expect(recomputeWithout(buf, check)).toBe(0xffff);
        } else {
          expect(updated).toBe(recomputeWithout(buf, check));
          putWord(buf, check, updated);
          expect(checksum(buf, 0, buf.length)).toBe(0);
        }
      }),
    );
  });

  it("a 32-bit field change (an address) gives exactly the full recompute (same exception)", () => {
    const u32 = fc.integer({ min: 0, max: 0xffffffff });
    fc.assert(
      fc.property(layout(2), u32, ({ buf, check, field }, value) => {
        putWord(buf, check, recomputeWithout(buf, check));
        const old = ((word(buf, field) << 16) | word(buf, field + 2)) >>> 0;
        const updated = updateChecksum32(word(buf, check), old, value);
        putWord(buf, field, value >>> 16);
        putWord(buf, field + 2, value & 0xffff);
        if (allZeroBesides(buf, check)) expect(updated).toBe(0x0000);
        else expect(updated).toBe(recomputeWithout(buf, check));
      }),
    );
  });

  it("chains of updates stay equal to a full recompute", () => {
    fc.assert(
      fc.property(
        layout(2, 4),
        fc.array(fc.tuple(fc.boolean(), fc.integer({ min: 0, max: 0xffffffff })), { maxLength: 12 }),
        ({ buf, check, field, spare }, changes) => {
          putWord(buf, spare, 0x4500); // never all zero, as in an IPv4 header (version/IHL byte)
          putWord(buf, check, recomputeWithout(buf, check));
          for (const [wide, value] of changes) {
            if (wide) {
              const old = ((word(buf, field) << 16) | word(buf, field + 2)) >>> 0;
              putWord(buf, check, updateChecksum32(word(buf, check), old, value));
              putWord(buf, field, value >>> 16);
              putWord(buf, field + 2, value & 0xffff);
            } else {
              const v = value & 0xffff;
              putWord(buf, check, updateChecksum16(word(buf, check), word(buf, field), v));
              putWord(buf, field, v);
            }
            expect(word(buf, check)).toBe(recomputeWithout(buf, check));
          }
        },
      ),
    );
  });

  it("the one disagreement, pinned: data that becomes all zero gives 0x0000, a recompute 0xffff", () => {
    // Region [checksum, 0x0001]: full checksum ~0x0001 = 0xfffe. Change the word to 0x0000.
    const buf = Uint8Array.of(0xff, 0xfe, 0x00, 0x01);
    const incremental = updateChecksum16(0xfffe, 0x0001, 0x0000);
    buf[3] = 0;
    expect(incremental).toBe(0x0000);
    expect(recomputeWithout(buf, 0)).toBe(0xffff);
    // RFC 1624 eqn. 3 (and Linux's csum_replace2, the same formula) yields +0, which a receiver that
    // requires the sum over everything to be -0 (0xffff) rejects; the recompute's -0 passes.
    putWord(buf, 0, incremental);
    expect(checksum(buf, 0, 4)).toBe(0xffff);
    putWord(buf, 0, 0xffff);
    expect(checksum(buf, 0, 4)).toBe(0);
  });

  it("from an all-zero region (checksum 0xffff) a change still matches the recompute", () => {
    const buf = new Uint8Array(8);
    putWord(buf, 0, recomputeWithout(buf, 0));
    expect(word(buf, 0)).toBe(0xffff);
    const updated = updateChecksum16(0xffff, 0, 0x1234);
    putWord(buf, 4, 0x1234);
    expect(updated).toBe(recomputeWithout(buf, 0));
    expect(updated).toBe(~0x1234 & 0xffff);
  });
});
