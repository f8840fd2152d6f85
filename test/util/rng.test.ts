import fc from "fast-check";
import { describe, expect, it } from "vitest";
import { Rng } from "../../src/util/rng.js";

describe("Rng (xoshiro128**)", () => {
  it("matches the reference generator from state {1,2,3,4}", () => {
    const r = Rng.fromState(1, 2, 3, 4);
    // First outputs of the reference C implementation (xoshiro128starstar.c) from s = {1, 2, 3, 4}.
    const got = Array.from({ length: 6 }, () => r.nextU32());
    expect(got).toEqual([11520, 0, 5927040, 70819200, 2031721883, 1637235492]);
  });

  it("same seed and stream name give the same numbers; other names and seeds differ", () => {
    const a = new Rng(42).stream("tcp-isn");
    const b = new Rng(42).stream("tcp-isn");
    const c = new Rng(42).stream("ip-id");
    const d = new Rng(43).stream("tcp-isn");
    const draw = (r: Rng) => Array.from({ length: 8 }, () => r.nextU32());
    const av = draw(a);
    expect(draw(b)).toEqual(av);
    expect(draw(c)).not.toEqual(av);
    expect(draw(d)).not.toEqual(av);
  });

  it("streams are independent: drawing from one does not shift another", () => {
    const root1 = new Rng(7);
    const root2 = new Rng(7);
    const noisy = root1.stream("arp");
    for (let i = 0; i < 1000; i++) noisy.nextU32();
    expect(root1.stream("tcp").nextU32()).toBe(root2.stream("tcp").nextU32());
  });

  it("int(min, max) stays in range and hits both ends", () => {
    fc.assert(
      fc.property(
        fc.integer({ min: -1000, max: 1000 }),
        fc.integer({ min: 0, max: 50 }),
        fc.integer(),
        (min, w, seed) => {
          const r = new Rng(seed);
          const seen = new Set<number>();
          for (let i = 0; i < 400; i++) {
            const v = r.int(min, min + w);
            expect(v).toBeGreaterThanOrEqual(min);
            expect(v).toBeLessThanOrEqual(min + w);
            seen.add(v);
          }
          if (w <= 10) expect(seen.size).toBe(w + 1);
        },
      ),
      { numRuns: 50 },
    );
  });

  it("int is roughly uniform (chi-square over 16 buckets)", () => {
    const r = new Rng(1).stream("uniform");
    const counts = new Array<number>(16).fill(0);
    const n = 160_000;
    for (let i = 0; i < n; i++) counts[r.int(0, 15)]! += 1;
    const expected = n / 16;
    const chi2 = counts.reduce((s, c) => s + (c - expected) ** 2 / expected, 0);
    expect(chi2).toBeLessThan(37.7); // p = 0.001 for 15 degrees of freedom
  });

  it("nextFloat is in [0, 1)", () => {
    const r = new Rng(99);
    for (let i = 0; i < 10_000; i++) {
      const f = r.nextFloat();
      expect(f >= 0 && f < 1).toBe(true);
    }
  });

  it("rejects impossible ranges", () => {
    expect(() => new Rng(1).int(5, 4)).toThrow(RangeError);
    expect(() => new Rng(1).int(0, 2 ** 32)).toThrow(RangeError);
  });
});
