/**
 * netfilter micro-benchmarks: conntrack lookups with 1k, 100k and 1M live entries (and the memory
 * each entry takes), one NAT rewrite of a TCP segment, and Docker's classic FORWARD rule set
 * evaluated for one packet that walks most of it (a container's reply on the default bridge).
 */

import { Packet } from "../src/link/packet.js";
import { Conntrack, ConntrackEntry } from "../src/netfilter/conntrack.js";
import { runIptablesRestore } from "../src/netfilter/iptables-command.js";
import { bind, MANIP_SRC, rewrite } from "../src/netfilter/nat.js";
import { Netfilter, NF_FORWARD } from "../src/netfilter/netfilter.js";
import { IptablesState } from "../src/netfilter/tables.js";
import { put16, put32 } from "../src/util/bytes.js";
import { checksum } from "../src/util/checksum.js";
import { DOCKER_CLASSIC } from "./docker-rules.js";
import { type BenchOptions, type BenchResult, gc, measure } from "./harness.js";

/** A TCP segment with valid checksums, head at the IPv4 header. */
function segment(src: number, dst: number, sport: number, dport: number): Packet {
  const p = Packet.alloc(40);
  const b = p.buf;
  const o = p.head;
  b[o] = 0x45;
  put16(b, o + 2, 40);
  b[o + 8] = 64;
  b[o + 9] = 6;
  put32(b, o + 12, src);
  put32(b, o + 16, dst);
  put16(b, o + 10, checksum(b, o, 20));
  put16(b, o + 20, sport);
  put16(b, o + 22, dport);
  b[o + 32] = 0x50;
  b[o + 33] = 0x10;
  return p;
}

export function benchNetfilter(opts: BenchOptions): BenchResult[] {
  const results: BenchResult[] = [];
  let clock = 0;
  const host = {
    now: () => clock,
    setting: (n: string) => (n === "nf_conntrack_max" ? 1e9 : 120),
    log: () => {},
  };
  for (const live of opts.quick ? [1000] : [1000, 100_000, 1_000_000]) {
    const tuples = Array.from({ length: live }, (_, i) => ({
      src: (0x0a000000 + (i >>> 8)) >>> 0,
      dst: 0xc0000201,
      sport: 1024 + (i & 0xff) * 200,
      dport: 80,
    }));
    // Insert: a SYN finds nothing, makes an entry, and the entry is confirmed (all timed), after
    // a warm-up in a throwaway table so that the small table's figure is not the JIT's.
    const warm = new Conntrack(host);
    for (const t of tuples.slice(0, 1000))
      warm.confirm(warm.lookup(6, t.src, t.dst, t.sport, t.dport, 0x02) as ConntrackEntry);
    gc();
    const heap0 = process.memoryUsage().heapUsed;
    const ct = new Conntrack(host);
    const t0 = process.hrtime.bigint();
    for (const t of tuples) {
      ct.confirm(ct.lookup(6, t.src, t.dst, t.sport, t.dport, 0x02) as ConntrackEntry);
    }
    const insertNs = Number(process.hrtime.bigint() - t0) / live;
    gc();
    const perEntry = (process.memoryUsage().heapUsed - heap0) / live;
    let i = 0;
    const ns = measure((n) => {
      for (let k = 0; k < n; k++) {
        const t = tuples[i++ % live] as (typeof tuples)[0];
        ct.lookup(6, t.src, t.dst, t.sport, t.dport, 0x10);
      }
    }, opts);
    results.push({
      name: `conntrack lookup, ${live} live entries`,
      value: 1e3 / ns,
      unit: "M ops/s",
      detail: `${Math.round(ns)} ns/op`,
    });
    results.push({
      name: `conntrack insert, up to ${live} live entries`,
      value: 1e3 / insertNs,
      unit: "M ops/s",
      detail: `${Math.round(insertNs)} ns/op`,
    });
    // (With 1k entries the heap's own noise is larger than the table.)
    if (live >= 100_000)
      results.push({
        name: `conntrack memory per entry, ${live} live entries`,
        value: Math.round(perEntry),
        unit: "bytes",
        target: { better: "lower", value: 300 },
        detail: "heap after a full GC, the table and its index",
      });
  }
  // One NAT rewrite (SNAT of a TCP segment: address, port, both checksums incrementally).
  const e = new ConntrackEntry(
    1,
    6,
    { src: 0xac110002, dst: 0xc000020a, sport: 40000, dport: 80 },
    { src: 0xc000020a, dst: 0xac110002, sport: 80, dport: 40000 },
  );
  bind(
    e,
    MANIP_SRC,
    0xc0000201,
    0,
    0,
    () => false,
    () => 0,
  );
  const seg = segment(0xac110002, 0xc000020a, 40000, 80);
  const other = segment(0xac110002, 0xc000020a, 40000, 80);
  let flip = false;
  const natNs = measure((n) => {
    for (let k = 0; k < n; k++) {
      // Alternate between a fresh and a rewritten packet so the work is never a no-op.
      rewrite(flip ? seg : other, e, false, MANIP_SRC);
      put32(other.buf, other.head + 12, 0xac110002);
      flip = !flip;
    }
  }, opts);
  results.push({ name: "NAT rewrite of a TCP segment", value: natNs, unit: "ns/op" });
  // Docker's classic FORWARD chain for a packet leaving docker0 (walks user, isolation, and the
  // per-bridge rules before its ACCEPT).
  const state = new IptablesState();
  runIptablesRestore(state, DOCKER_CLASSIC, false);
  clock = 1;
  const nf = new Netfilter(state, {
    now: () => clock,
    addressType: () => "UNICAST",
    sourceAddress: () => 0,
    deviceAddress: () => 0,
    reject: () => {},
    log: () => {},
    logPacket: () => {},
    random: () => 0,
    sysctl: (k) => (k.endsWith("nf_conntrack_max") ? 1e9 : 120),
  });
  const pkt = segment(0xac110002, 0xc000020a, 40000, 80);
  const ruleNs = measure((n) => {
    for (let k = 0; k < n; k++) nf.hook(NF_FORWARD, pkt, "docker0", "eth0");
  }, opts);
  results.push({
    name: "Docker's FORWARD rule set, one packet",
    value: ruleNs,
    unit: "ns/op",
    detail: "18 rules, 4 chains",
  });
  return results;
}
