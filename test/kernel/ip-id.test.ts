import { describe, expect, it } from "vitest";
import { IpIdGenerator } from "../../src/kernel/ip-id.js";
import { Rng } from "../../src/util/rng.js";

const MS = 1_000_000;

describe("IP ID selection (ip_idents_reserve)", () => {
  it("counts up by one within a jiffy and jumps by less than the jiffies elapsed after a pause", () => {
    const g = new IpIdGenerator(new Rng(3));
    const first = g.take(1, 2, 1, 0);
    expect(g.take(1, 2, 1, 1 * MS)).toBe((first + 1) & 0xffff);
    const later = g.take(1, 2, 1, 200 * MS); // 50 jiffies later at HZ=250
    const step = (later - first - 2 + 0x10000) & 0xffff;
    expect(step).toBeGreaterThanOrEqual(0);
    expect(step).toBeLessThan(50);
  });

  it("keeps separate counters per destination, source and protocol", () => {
    const g = new IpIdGenerator(new Rng(9));
    const icmp = g.take(1, 2, 1, 0);
    const udp = g.take(1, 2, 17, 0);
    const other = g.take(3, 2, 1, 0);
    expect(g.take(1, 2, 1, 0)).toBe((icmp + 1) & 0xffff);
    expect(g.take(1, 2, 17, 0)).toBe((udp + 1) & 0xffff);
    expect(g.take(3, 2, 1, 0)).toBe((other + 1) & 0xffff);
  });

  it("the step after a pause is random, as on Linux (10 and 16 after 200 ms in the fixture)", () => {
    const steps = new Set<number>();
    for (let seed = 0; seed < 20; seed++) {
      const g = new IpIdGenerator(new Rng(seed));
      const a = g.take(1, 2, 1, 0);
      steps.add((g.take(1, 2, 1, 200 * MS) - a + 0x10000) & 0xffff);
    }
    expect(steps.size).toBeGreaterThan(5);
  });
});
