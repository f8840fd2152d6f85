import fc from "fast-check";
import { describe, expect, it } from "vitest";
import { prefixMask, type Route, RouteTable } from "../../src/kernel/route-table.js";
import { ipv4 } from "../../src/util/ipv4-address.js";

function route(dst: string, prefixLen: number, extra: Partial<Route> = {}): Route {
  return {
    dst: ipv4(dst),
    prefixLen,
    type: "unicast",
    gateway: 0,
    ifindex: 2,
    metric: 0,
    protocol: "boot",
    scope: "universe",
    prefsrc: 0,
    ...extra,
  };
}

describe("RouteTable", () => {
  it("longest prefix wins; the default route catches the rest", () => {
    const t = new RouteTable(254, "main");
    t.add(route("0.0.0.0", 0, { gateway: ipv4("10.0.0.1") }));
    t.add(route("10.0.0.0", 8, { ifindex: 3 }));
    t.add(route("10.1.0.0", 16, { ifindex: 4 }));
    t.add(route("10.1.2.3", 32, { ifindex: 5 }));
    const dev = (a: string) => t.lookup(ipv4(a))?.ifindex;
    expect(dev("10.1.2.3")).toBe(5);
    expect(dev("10.1.2.4")).toBe(4);
    expect(dev("10.200.0.1")).toBe(3);
    expect(t.lookup(ipv4("192.0.2.1"))?.gateway).toBe(ipv4("10.0.0.1"));
  });

  it("the lowest metric wins among equal prefixes; duplicates are refused", () => {
    const t = new RouteTable(254, "main");
    expect(t.add(route("10.0.0.0", 24, { ifindex: 3, metric: 100 }))).toBe(true);
    expect(t.add(route("10.0.0.0", 24, { ifindex: 4, metric: 10 }))).toBe(true);
    expect(t.add(route("10.0.0.7", 24, { ifindex: 5, metric: 10 }))).toBe(false); // same network
    expect(t.lookup(ipv4("10.0.0.9"))?.ifindex).toBe(4);
    t.remove({ dst: ipv4("10.0.0.0"), prefixLen: 24, metric: 10 });
    expect(t.lookup(ipv4("10.0.0.9"))?.ifindex).toBe(3);
    expect(t.remove({ dst: ipv4("10.0.0.0"), prefixLen: 24, metric: 10 })).toBeUndefined();
  });

  it("lookup equals a brute-force longest-prefix scan for random tables", () => {
    fc.assert(
      fc.property(
        fc.array(
          fc.record({
            dst: fc.integer({ min: 0, max: 0xffffffff }),
            len: fc.integer({ min: 0, max: 32 }),
            metric: fc.integer({ min: 0, max: 3 }),
          }),
          { maxLength: 40 },
        ),
        fc.array(fc.integer({ min: 0, max: 0xffffffff }), { minLength: 1, maxLength: 20 }),
        (specs, probes) => {
          const t = new RouteTable(254, "main");
          const kept: Route[] = [];
          specs.forEach((s, i) => {
            const r = {
              ...route("0.0.0.0", s.len, { metric: s.metric, ifindex: i + 1 }),
              dst: (s.dst & prefixMask(s.len)) >>> 0,
            };
            if (t.add(r)) kept.push(r);
          });
          for (const a of probes) {
            const matching = kept.filter((r) => (a & prefixMask(r.prefixLen)) >>> 0 === r.dst);
            matching.sort((x, y) => y.prefixLen - x.prefixLen || x.metric - y.metric);
            expect(t.lookup(a)?.ifindex).toBe(matching[0]?.ifindex);
          }
        },
      ),
    );
  });

  it("removeWhere drops a device's routes; routes() lists by destination", () => {
    const t = new RouteTable(254, "main");
    t.add(route("10.2.0.0", 16, { ifindex: 3 }));
    t.add(route("10.1.0.0", 16, { ifindex: 4 }));
    t.add(route("0.0.0.0", 0, { ifindex: 3, gateway: ipv4("10.2.0.1") }));
    expect(t.routes().map((r) => r.ifindex)).toEqual([3, 4, 3]);
    expect(t.removeWhere((r) => r.ifindex === 3)).toHaveLength(2);
    expect(t.lookup(ipv4("8.8.8.8"))).toBeUndefined();
    expect(t.routes()).toHaveLength(1);
  });
});
