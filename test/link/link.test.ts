import { describe, expect, it } from "vitest";
import { Bridge } from "../../src/link/bridge.js";
import { LinkDirection, VETH_DEFAULTS } from "../../src/link/link-timing.js";
import type { Direction, NetDevice } from "../../src/link/net-device.js";
import { Packet } from "../../src/link/packet.js";
import { createVethPair, type Veth } from "../../src/link/veth.js";
import { Simulation } from "../../src/sim/simulation.js";
import { MICROSECOND, SECOND } from "../../src/sim/time.js";
import { MAC_BROADCAST, mac, macToString } from "../../src/util/mac-address.js";
import { emitEthernet } from "../../src/wire/ethernet.js";

function frame(dst: number, src: number, size = 60): Packet {
  const p = Packet.alloc(size);
  emitEthernet({ dst, src, etherType: 0x88b5 }, p.buf, p.head);
  return p;
}

/** Everything the taps see, as "time dev dir src>dst". */
function recorder(sim: Simulation) {
  const log: string[] = [];
  const tap = (dev: NetDevice, pkt: Packet, dir: Direction) => {
    const d = pkt.data();
    const m = (o: number) => macToString(d[o + 5]! + d[o + 4]! * 256).slice(-5);
    log.push(`${sim.now} ${dev.name} ${dir} ${m(6)}>${m(0)}`);
  };
  return { log, tap };
}

describe("Packet", () => {
  it("pushes headers into headroom and pulls them off without copying", () => {
    const p = Packet.alloc(10, 64);
    const buf = p.buf;
    expect(p.push(14)).toBe(50);
    expect(p.length).toBe(24);
    p.pull(14);
    expect(p.head).toBe(64);
    expect(p.buf).toBe(buf);
    expect(() => p.push(65)).toThrow(RangeError);
    expect(() => p.pull(11)).toThrow(RangeError);
    const c = p.copy();
    c.buf[p.head] = 9;
    expect(p.buf[p.head]).toBe(0);
  });
});

describe("veth", () => {
  function pair(sim: Simulation, params = VETH_DEFAULTS): [Veth, Veth] {
    const [a, b] = createVethPair(
      sim,
      { name: "veth0", ifindex: 2, mac: mac("02:00:00:00:00:0a") },
      { name: "veth1", ifindex: 3, mac: mac("02:00:00:00:00:0b") },
      params,
    );
    a.up = true;
    b.up = true;
    return [a, b];
  }

  it("delivers to the peer at the same instant, in a later event; taps see out then in", () => {
    const sim = new Simulation();
    const [a, b] = pair(sim);
    const { log, tap } = recorder(sim);
    a.addTap(tap);
    b.addTap(tap);
    const got: number[] = [];
    b.rxHandler = (_d, p) => got.push(p.ingressIfindex);
    a.transmit(frame(b.mac, a.mac));
    expect(got).toEqual([]); // not synchronously
    sim.run();
    expect(got).toEqual([3]);
    expect(log).toEqual(["0 veth0 out 00:0a>00:0b", "0 veth1 in 00:0a>00:0b"]);
  });

  it("passes nothing unless both ends are up", () => {
    const sim = new Simulation();
    const [a, b] = pair(sim);
    let n = 0;
    b.rxHandler = () => n++;
    b.up = false;
    a.transmit(frame(b.mac, a.mac));
    b.up = true;
    a.up = false;
    a.transmit(frame(b.mac, a.mac));
    sim.run();
    expect(n).toBe(0);
    expect(a.link.counters.sent).toBe(0);
  });

  it("adds latency and serialisation delay and queues back-to-back frames", () => {
    const sim = new Simulation();
    const [a, b] = pair(sim, { latency: 10 * MICROSECOND, bandwidth: 1e9, queueLength: 2, loss: 0 });
    const arrivals: number[] = [];
    b.rxHandler = () => arrivals.push(sim.now);
    for (let i = 0; i < 5; i++) a.transmit(frame(b.mac, a.mac, 1000)); // 8 us each on the wire
    sim.run();
    // One on the wire + 2 queued fit; the 4th and 5th are tail-dropped.
    expect(arrivals).toEqual([18_000, 26_000, 34_000]);
    expect(a.link.counters).toEqual({ sent: 5, delivered: 3, droppedQueue: 2, droppedLoss: 0 });
    // Once the queue drains, there is room again.
    sim.scheduleAt(40_000, () => a.transmit(frame(b.mac, a.mac, 1000)));
    sim.run();
    expect(arrivals.at(-1)).toBe(58_000);
  });

  it("loses about the configured share of frames, the same ones for the same seed", () => {
    const lost = (seed: number) => {
      const sim = new Simulation({ seed });
      const [a, b] = pair(sim, { ...VETH_DEFAULTS, loss: 0.1 });
      const seen: number[] = [];
      b.rxHandler = (_d, p) => seen.push(p.buf[p.head + 14]!);
      for (let i = 0; i < 2000; i++) {
        const f = frame(b.mac, a.mac);
        f.buf[f.head + 14] = i & 0xff;
        a.transmit(f);
      }
      sim.run();
      return { n: a.link.counters.droppedLoss, seen: seen.join(",") };
    };
    const r = lost(1);
    expect(r.n).toBeGreaterThan(150);
    expect(r.n).toBeLessThan(250);
    expect(lost(1)).toEqual(r);
    expect(lost(2).seen).not.toBe(r.seen);
  });

  it("LinkDirection without bandwidth never queues or drops", () => {
    const sim = new Simulation();
    const out: Packet[] = [];
    const l = new LinkDirection(sim, VETH_DEFAULTS, sim.random("x"), (p) => out.push(p));
    for (let i = 0; i < 5000; i++) l.send(Packet.alloc(1500));
    sim.run();
    expect(out).toHaveLength(5000);
  });
});

describe("bridge", () => {
  const H = [1, 2, 3].map((i) => mac(`02:00:00:00:00:0${i}`));
  const P = [1, 2, 3].map((i) => mac(`02:00:00:00:01:0${i}`));

  /** Three hosts h1..h3, each on a veth whose peer p1..p3 is a port of br0. */
  function lan() {
    const sim = new Simulation();
    const br = new Bridge("br0", 10, mac("02:00:00:00:0b:00"), sim);
    br.up = true;
    const { log, tap } = recorder(sim);
    const hosts = [0, 1, 2].map((i) => {
      const [h, p] = createVethPair(
        sim,
        { name: `h${i + 1}`, ifindex: i + 2, mac: H[i]! },
        { name: `p${i + 1}`, ifindex: i + 5, mac: P[i]! },
      );
      h.up = true;
      p.up = true;
      br.addPort(p);
      h.rxHandler = () => {};
      h.addTap(tap);
      return h;
    });
    const local: string[] = [];
    br.rxHandler = (_d, pkt) =>
      local.push(macToString(pkt.buf[pkt.head + 11]! + pkt.buf[pkt.head + 10]! * 256));
    br.addTap(tap);
    return { sim, br, hosts, log, local };
  }

  it("floods a broadcast to every other port and up to the host, never back to the sender", () => {
    const { sim, hosts, log, local } = lan();
    hosts[0]!.transmit(frame(MAC_BROADCAST, H[0]!));
    sim.run();
    expect(log.filter((l) => l.includes(" in "))).toEqual([
      "0 br0 in 00:01>ff:ff",
      "0 h2 in 00:01>ff:ff",
      "0 h3 in 00:01>ff:ff",
    ]);
    expect(local).toEqual(["00:00:00:00:00:01"]);
  });

  it("learns source MACs: a reply goes only to the port that learned the destination", () => {
    const { sim, hosts, log } = lan();
    hosts[0]!.transmit(frame(MAC_BROADCAST, H[0]!));
    sim.run();
    log.length = 0;
    hosts[1]!.transmit(frame(H[0]!, H[1]!));
    sim.run();
    expect(log).toEqual(["0 h2 out 00:02>00:01", "0 h1 in 00:02>00:01"]);
  });

  it("floods unknown unicast to the other ports but not to the host; the bridge device sees nothing", () => {
    const { sim, hosts, log, local } = lan();
    hosts[0]!.transmit(frame(mac("02:00:00:00:00:99"), H[0]!));
    sim.run();
    expect(log.filter((l) => l.includes(" in "))).toEqual(["0 h2 in 00:01>00:99", "0 h3 in 00:01>00:99"]);
    expect(local).toEqual([]);
  });

  it("hairpin mode reflects frames back out of the ingress port, broadcasts included", () => {
    const { sim, br, hosts, log } = lan();
    br.ports[0]!.hairpin = true;
    hosts[0]!.transmit(frame(MAC_BROADCAST, H[0]!));
    sim.run();
    expect(log).toContain("0 h1 in 00:01>ff:ff");
  });

  it("delivers frames for the bridge's or a port's own MAC to the host only", () => {
    const { sim, br, hosts, log, local } = lan();
    hosts[0]!.transmit(frame(br.mac, H[0]!));
    hosts[0]!.transmit(frame(P[1]!, H[0]!));
    sim.run();
    expect(local).toHaveLength(2);
    expect(log.filter((l) => l.startsWith("0 h"))).toEqual(["0 h1 out 00:01>01:01", "0 h1 out 00:01>01:02"]);
  });

  it("ages learned entries out after 300 s, then floods again", () => {
    const { sim, br, hosts, log } = lan();
    hosts[0]!.transmit(frame(MAC_BROADCAST, H[0]!));
    sim.run({ until: 300 * SECOND });
    const learned = () =>
      br
        .entries()
        .filter((e) => !e.local)
        .map((e) => [macToString(e.mac), e.port?.dev.name]);
    expect(learned()).toEqual([["02:00:00:00:00:01", "p1"]]);
    sim.run({ until: 300 * SECOND + 1 });
    expect(learned()).toEqual([]);
    log.length = 0;
    hosts[1]!.transmit(frame(H[0]!, H[1]!));
    sim.run();
    expect(log.filter((l) => l.includes(" in "))).toEqual([
      "300000000001 h1 in 00:02>00:01",
      "300000000001 h3 in 00:02>00:01",
    ]);
  });

  it("the host's own frames on the bridge device go to the learned port, or flood", () => {
    const { sim, br, hosts, log } = lan();
    hosts[2]!.transmit(frame(br.mac, H[2]!));
    sim.run();
    log.length = 0;
    br.transmit(frame(H[2]!, br.mac));
    br.transmit(frame(MAC_BROADCAST, br.mac));
    sim.run();
    expect(log.filter((l) => l.includes(" in "))).toEqual([
      "0 h3 in 01:01>00:03",
      "0 h1 in 01:01>ff:ff",
      "0 h2 in 01:01>ff:ff",
      "0 h3 in 01:01>ff:ff",
    ]);
  });

  it("takes the lowest port MAC unless an address was set; removing a port forgets its entries", () => {
    const { br, hosts } = lan();
    expect(macToString(br.mac)).toBe("02:00:00:00:01:01");
    br.setAddress(mac("02:42:00:00:00:01"));
    expect(macToString(br.mac)).toBe("02:42:00:00:00:01");
    const p2 = (hosts[1] as Veth).peer;
    br.removePort(p2);
    expect(br.entries().some((e) => e.port?.dev === p2)).toBe(false);
    expect(br.ports.map((p) => p.dev.name)).toEqual(["p1", "p3"]);
    expect(
      br
        .entries()
        .filter((e) => e.local)
        .map((e) => macToString(e.mac)),
    ).toEqual(["02:00:00:00:01:01", "02:00:00:00:01:03", "02:42:00:00:00:01"]);
  });
});
