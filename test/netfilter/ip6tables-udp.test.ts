/**
 * The whole of the ip6tables router fixture (test/fixtures/linux/ip6tables) through the TypeScript
 * API, UDP included (over IPv6 UDP sockets, checksums checked on the raw packets as they
 * arrive): the same four connections in `conntrack -L`, the same per-rule counters in
 * `ip6tables-save -c` and `ip6tables -L FORWARD -n -v -x --line-numbers`, the UDP datagram DNATed
 * and masqueraded on its way to B and translated back on its way to A, checksums valid throughout.
 */

import { readFileSync } from "node:fs";
import { describe, expect, it } from "vitest";
import { Host } from "../../src/kernel/host.js";
import { runIp } from "../../src/kernel/ip-command.js";
import type { NetNamespace } from "../../src/kernel/namespace.js";
import { runSysctl } from "../../src/kernel/sysctl-command.js";
import { Packet } from "../../src/link/packet.js";
import { runConntrack } from "../../src/netfilter/conntrack-command.js";
import { runIptables, runIptablesSave } from "../../src/netfilter/iptables-command.js";
import { Simulation } from "../../src/sim/simulation.js";
import { seconds } from "../../src/sim/time.js";
import { put16 } from "../../src/util/bytes.js";
import { checksum } from "../../src/util/checksum.js";
import { ipv6, ipv6ToString } from "../../src/util/ipv6-address.js";
import { ip6Steps } from "../helpers/ip6tables-transcript.js";

const transcript = readFileSync(
  new URL("../fixtures/linux/ip6tables/transcript.txt", import.meta.url),
  "utf8",
);
const steps = ip6Steps(transcript);
const words = (command: string) =>
  [...command.matchAll(/"([^"]*)"|(\S+)/g)].map((m) => (m[1] ?? m[2]) as string);

/** An ICMPv6 echo request body (type, code, checksum, id, sequence, 56 bytes of data). */
function echo(id: number): Packet {
  const p = Packet.alloc(64);
  p.buf[p.head] = 128;
  put16(p.buf, p.head + 4, id);
  put16(p.buf, p.head + 6, 1);
  for (let i = 8; i < 64; i++) p.buf[p.head + i] = i;
  return p;
}

/** Does the upper-layer checksum at `l4` add up with the pseudo-header of the header at `ip`? */
function l4ChecksumOk(buf: Uint8Array, ip: number, l4: number, end: number, nh: number): boolean {
  let sum = end - l4 + nh;
  for (let i = 8; i < 40; i += 2) sum += ((buf[ip + i] as number) << 8) | (buf[ip + i + 1] as number);
  return checksum(buf, l4, end - l4, sum) === 0;
}

describe("ip6tables router through the API, UDP included", () => {
  const sim = new Simulation({ seed: 1 });
  const host = new Host(sim);
  const ns: Record<string, NetNamespace> = {};
  for (const name of ["dw6nf-a", "dw6nf-b", "dw6nf-r"]) {
    ns[name] = host.addNetns(name);
    runSysctl(ns[name], ["-w", "net.ipv6.conf.all.disable_ipv6=0"]);
    runIp(host, ns[name], words("link set lo up"));
  }
  const a = ns["dw6nf-a"] as NetNamespace;
  const b = ns["dw6nf-b"] as NetNamespace;
  const r = ns["dw6nf-r"] as NetNamespace;
  for (const x of [a, b])
    runSysctl(x, [
      "-w",
      "net.ipv6.conf.all.router_solicitations=0",
      "net.ipv6.conf.default.router_solicitations=0",
    ]);
  runIp(
    host,
    a,
    words(
      "link add eth0 address 02:00:00:00:06:1a type veth peer name eth0 netns dw6nf-r address 02:00:00:00:06:11",
    ),
  );
  runIp(
    host,
    b,
    words(
      "link add eth0 address 02:00:00:00:06:2b type veth peer name eth1 netns dw6nf-r address 02:00:00:00:06:21",
    ),
  );
  const firstPing = steps.findIndex((s) => s.command.startsWith("ping"));
  for (const s of steps.slice(0, firstPing)) {
    const [cmd, ...args] = words(s.command);
    const where = ns[s.ns] as NetNamespace;
    if (cmd === "ip") runIp(host, where, args);
    else if (cmd === "sysctl") runSysctl(where, args);
    else if (cmd === "ip6tables") runIptables(where.ip6tables, args);
    if (s.command === "ip -6 route add default via fd00:2::1") sim.run({ until: sim.now + seconds(3) });
  }
  // B answers UDP on port 53 with "pong"; A hears what comes back.
  const heard: string[] = [];
  for (const x of [a, b])
    x.ipv6.listen(17, (pkt, ip, l4, end) => expect(l4ChecksumOk(pkt.buf, ip, l4, end, 17)).toBe(true));
  const server = b.udp6.socket().bind(0, 53);
  server.onMessage = (d) => {
    heard.push(`B: ${ipv6ToString(b.ipv6.ids.bytes(d.srcAddr))}.${d.srcPort}`);
    server.send(new TextEncoder().encode("pong"), d.srcAddr, d.srcPort);
  };
  const client = a.udp6.socket().bind(a.ipv6.ids.idOf(ipv6("fd00:1::a")), 40000);
  client.onMessage = (d) => heard.push(`A: ${ipv6ToString(a.ipv6.ids.bytes(d.srcAddr))}.${d.srcPort}`);
  const step = () => sim.run({ until: sim.now + seconds(0.1) });
  a.ipv6.send(echo(1), 58, ipv6("fd00:2::b"), { checksumAt: 2 });
  step();
  a.ipv6.send(echo(2), 58, ipv6("fd00:1::1"), { checksumAt: 2 });
  step();
  a.ipv6.send(echo(3), 58, ipv6("fd00:2::1"), { checksumAt: 2 });
  step();
  b.ipv6.send(echo(4), 58, ipv6("fd00:1::a"), { checksumAt: 2 });
  step();
  client.send(new TextEncoder().encode("ping"), a.ipv6.ids.idOf(ipv6("fd00:1::1")), 5353);
  sim.run({ until: sim.now + seconds(0.5) });

  const linux = (command: string) =>
    steps.find((s) => s.ns === "dw6nf-r" && s.command === command)?.output ?? [];
  const ids = (l: string) => l.replace(/ id=\d+/g, " id=N");

  it("B sees the datagram from R's address (DNAT and MASQUERADE), A the answer from [fd00:1::1]:5353", () => {
    expect(heard).toEqual(["B: fd00:2::1.40000", "A: fd00:1::1.5353"]);
  });

  it.each(["conntrack -L", "conntrack -L -o extended", "conntrack -L -f ipv6 -p icmpv6"])("%s", (command) => {
    const res = runConntrack(r.netfilter.conntrack, words(command).slice(1), (x) => r.ipv6.ids.idOf(x, 0));
    const ours = `${res.stdout}${res.stderr}`.trim().split("\n").map(ids).sort();
    expect(ours).toEqual(linux(command).map(ids).sort());
  });

  it("ip6tables-save -c: Linux's counters", () => {
    const ours = runIptablesSave(r.ip6tables, ["-c"], "DATE").stdout.trim().split("\n");
    const date = (l: string) => l.replace(/ on .*$/, " on DATE");
    expect(ours.map(date)).toEqual(linux("ip6tables-save -c").map(date));
  });

  it("ip6tables -L FORWARD -n -v -x --line-numbers", () => {
    const ours = runIptables(r.ip6tables, words("-L FORWARD -n -v -x --line-numbers")).stdout.replace(
      /\n$/,
      "",
    );
    expect(ours.split("\n")).toEqual(linux("ip6tables -L FORWARD -n -v -x --line-numbers"));
  });
});
