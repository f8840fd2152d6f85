/**
 * ipvlan L3/L3S with the master's namespace behind it (kernel/ipvlan-master.ts): a docker host
 * (eth0 192.168.1.10/24) wired to a LAN machine pc (192.168.1.20, route to 10.10.0.0/24 via the
 * host), two containers c1 (10.10.0.2) and c2 (10.10.0.3) on ipvlan children of eth0 with
 * `default dev eth0`. Containers reach each other directly and the LAN through the host's routing
 * (its ARP, its MAC, TTL untouched); the LAN reaches them; nobody answers ARP for them; the host's
 * own traffic never reaches them; OUTPUT/POSTROUTING of the host apply in both modes, INPUT only
 * in L3S.
 */

import { describe, expect, it } from "vitest";
import { IpvlanMasterStack } from "../../src/kernel/ipvlan-master.js";
import { NetNamespace } from "../../src/kernel/namespace.js";
import { Ipvlan, type IpvlanMode, IpvlanPort } from "../../src/link/ipvlan.js";
import type { NetDevice } from "../../src/link/net-device.js";
import { Packet } from "../../src/link/packet.js";
import { createVethPair } from "../../src/link/veth.js";
import { runIptables } from "../../src/netfilter/iptables-command.js";
import { Simulation } from "../../src/sim/simulation.js";
import { SECOND } from "../../src/sim/time.js";
import { u48 } from "../../src/util/bytes.js";
import { ipv4 } from "../../src/util/ipv4-address.js";
import { mac } from "../../src/util/mac-address.js";
import { decodeFrame, summarizeFrame } from "../../src/wire/frame.js";
import { IPPROTO_ICMP } from "../../src/wire/ipv4.js";

const HOST_MAC = mac("02:00:00:00:00:10");

function lan(mode: IpvlanMode) {
  const sim = new Simulation({ seed: 1 });
  const h = new NetNamespace("dwfx-h", sim);
  const pc = new NetNamespace("dwfx-pc", sim);
  const [eth0, pcEth0] = createVethPair(
    sim,
    { name: "eth0", ifindex: h.allocIfindex(), mac: HOST_MAC },
    { name: "eth0", ifindex: pc.allocIfindex(), mac: mac("02:00:00:00:00:20") },
  );
  h.attach(eth0);
  pc.attach(pcEth0);
  h.addAddress(eth0, ipv4("192.168.1.10"), 24);
  pc.addAddress(pcEth0, ipv4("192.168.1.20"), 24);
  for (const [ns, d] of [
    [h, eth0],
    [pc, pcEth0],
  ] as const) {
    ns.setUp(ns.lo, true);
    ns.setUp(d, true);
  }
  const route = (ns: NetNamespace, dst: string, len: number, gateway: string, dev: NetDevice) =>
    ns.main.add({
      dst: ipv4(dst),
      prefixLen: len,
      type: "unicast",
      gateway: gateway ? ipv4(gateway) : 0,
      ifindex: dev.ifindex,
      metric: 0,
      protocol: "boot",
      scope: gateway ? "universe" : "link",
      prefsrc: 0,
    });
  route(pc, "10.10.0.0", 24, "192.168.1.10", pcEth0);
  const log: Record<string, string[]> = {};
  const tap = (label: string) => (_dev: NetDevice, p: Packet, dir: string) => {
    const f = p.data();
    const lines = log[label] ?? [];
    lines.push(`${dir} ${summarizeFrame(decodeFrame(f), f.length)}`);
    log[label] = lines;
  };
  pcEth0.addTap(tap("pc"));
  const port = new IpvlanPort(eth0, new IpvlanMasterStack(h, eth0));
  const containers = [2, 3].map((i) => {
    const c = new NetNamespace(`dwfx-c${i - 1}`, sim);
    const dev = new Ipvlan("eth0", c.allocIfindex(), port, sim, mode);
    dev.owns = (a) => c.addresses.some((x) => x.ifindex === dev.ifindex && x.address === a);
    c.attach(dev);
    c.addAddress(dev, ipv4(`10.10.0.${i}`), 24);
    c.setUp(c.lo, true);
    c.setUp(dev, true);
    route(c, "0.0.0.0", 0, "", dev);
    dev.addTap(tap(`c${i - 1}`));
    return c;
  });
  h.lo.addTap(tap("host-lo"));
  const echo = () => Packet.from(new Uint8Array([8, 0, 0xf7, 0xfe, 0, 1, 0, 0]));
  return { sim, h, pc, eth0, pcEth0, c1: containers[0]!, c2: containers[1]!, log, echo, route };
}

const REQUEST = "IP 10.10.0.2 > 192.168.1.20: ICMP echo request, id 1, seq 0, length 8";
const REPLY = "IP 192.168.1.20 > 10.10.0.2: ICMP echo reply, id 1, seq 0, length 8";

describe("ipvlan l3", () => {
  it("c1 to c2: handed over inside the host, no ARP, nothing on the LAN", () => {
    const { sim, c1, log, echo } = lan("l3");
    c1.ipv4.send(echo(), IPPROTO_ICMP, ipv4("10.10.0.3"));
    sim.run({ until: SECOND });
    expect(log.c1).toEqual([
      "out IP 10.10.0.2 > 10.10.0.3: ICMP echo request, id 1, seq 0, length 8",
      "in IP 10.10.0.3 > 10.10.0.2: ICMP echo reply, id 1, seq 0, length 8",
    ]);
    expect(log.c2).toHaveLength(2);
    expect(log.pc).toBeUndefined();
  });

  it("c1 to the LAN: the host resolves the next hop and sends with its own MAC, TTL 64; the reply comes back to c1", () => {
    const { sim, c1, eth0, log, echo } = lan("l3");
    const frames: Uint8Array[] = [];
    eth0.addTap((_d, p, dir) => {
      if (dir === "out") frames.push(p.data().slice());
    });
    c1.ipv4.send(echo(), IPPROTO_ICMP, ipv4("192.168.1.20"));
    sim.run({ until: SECOND });
    expect(log.pc).toEqual([
      "in ARP, Request who-has 192.168.1.20 tell 192.168.1.10, length 28",
      "out ARP, Reply 192.168.1.20 is-at 02:00:00:00:00:20, length 28",
      `in ${REQUEST}`,
      `out ${REPLY}`,
    ]);
    expect(log.c1).toEqual([`out ${REQUEST}`, `in ${REPLY}`]);
    const request = frames[1] as Uint8Array;
    expect(u48(request, 6)).toBe(HOST_MAC);
    expect(request[22]).toBe(64);
  });

  it("the LAN to c1 through the host: the host's MAC, no forwarding hop", () => {
    const { sim, pc, log, echo } = lan("l3");
    pc.ipv4.send(echo(), IPPROTO_ICMP, ipv4("10.10.0.2"));
    sim.run({ until: SECOND });
    expect(log.pc).toEqual([
      "out ARP, Request who-has 192.168.1.10 tell 192.168.1.20, length 28",
      "in ARP, Reply 192.168.1.10 is-at 02:00:00:00:00:10, length 28",
      "out IP 192.168.1.20 > 10.10.0.2: ICMP echo request, id 1, seq 0, length 8",
      "in IP 10.10.0.2 > 192.168.1.20: ICMP echo reply, id 1, seq 0, length 8",
    ]);
  });

  it("nobody answers ARP for a container's address; c1's capture sees the request", () => {
    const { sim, pc, pcEth0, log, echo, route } = lan("l3");
    pc.main.removeWhere((r) => r.prefixLen === 24 && r.gateway !== 0);
    route(pc, "10.10.0.0", 24, "", pcEth0);
    pc.ipv4.send(echo(), IPPROTO_ICMP, ipv4("10.10.0.2"));
    sim.run({ until: 5 * SECOND });
    expect(log.pc).toEqual(Array(3).fill("out ARP, Request who-has 10.10.0.2 tell 192.168.1.20, length 28"));
    expect(log.c1).toEqual(Array(3).fill("in ARP, Request who-has 10.10.0.2 tell 192.168.1.20, length 28"));
  });

  it("the host cannot reach its containers: its ARP leaves on the wire", () => {
    const { sim, h, eth0, log, echo, route } = lan("l3");
    route(h, "10.10.0.0", 24, "", eth0);
    h.ipv4.send(echo(), IPPROTO_ICMP, ipv4("10.10.0.2"));
    sim.run({ until: SECOND / 2 });
    expect(log.pc).toEqual(["in ARP, Request who-has 10.10.0.2 tell 192.168.1.10, length 28"]);
    expect(log.c1).toBeUndefined();
  });

  it("c1 to the host's own address is delivered to the host's stack through loopback", () => {
    const { sim, c1, log, echo } = lan("l3");
    c1.ipv4.send(echo(), IPPROTO_ICMP, ipv4("192.168.1.10"));
    sim.run({ until: SECOND });
    expect(log["host-lo"]).toEqual([
      "out IP 10.10.0.2 > 192.168.1.10: ICMP echo request, id 1, seq 0, length 8",
    ]);
    expect(log.pc).toBeUndefined();
  });

  it("no route through the parent: the destination is taken to be on its link", () => {
    const { sim, c1, log, echo } = lan("l3");
    c1.ipv4.send(echo(), IPPROTO_ICMP, ipv4("203.0.113.5"));
    sim.run({ until: SECOND / 2 });
    expect(log.pc).toEqual(["in ARP, Request who-has 203.0.113.5 tell 192.168.1.10, length 28"]);
  });

  it("the host's OUTPUT chain filters what containers send, in l3 and l3s", () => {
    for (const mode of ["l3", "l3s"] as const) {
      const { sim, h, c1, log, echo } = lan(mode);
      expect(
        runIptables(h.iptables, ["-A", "OUTPUT", "-s", "10.10.0.2", "-o", "eth0", "-j", "DROP"]).exit,
      ).toBe(0);
      c1.ipv4.send(echo(), IPPROTO_ICMP, ipv4("192.168.1.20"));
      sim.run({ until: SECOND });
      expect(log.pc).toBeUndefined();
    }
  });

  it("the host's INPUT chain sees the LAN's packets for a container in l3s only; in l3s c1's capture misses them", () => {
    const reply = "in IP 10.10.0.2 > 192.168.1.20: ICMP echo reply, id 1, seq 0, length 8";
    for (const [mode, answered] of [
      ["l3", true],
      ["l3s", false],
    ] as const) {
      const { sim, h, pc, log, echo } = lan(mode);
      runIptables(h.iptables, ["-A", "INPUT", "-s", "192.168.1.20", "-d", "10.10.0.2", "-j", "DROP"]);
      pc.ipv4.send(echo(), IPPROTO_ICMP, ipv4("10.10.0.2"));
      sim.run({ until: SECOND });
      expect(log.pc?.includes(reply)).toBe(answered);
    }
    const { sim, pc, log, echo } = lan("l3s");
    pc.ipv4.send(echo(), IPPROTO_ICMP, ipv4("10.10.0.2"));
    sim.run({ until: SECOND });
    expect(log.pc).toContain(reply);
    expect(log.c1).toEqual(["out IP 10.10.0.2 > 192.168.1.20: ICMP echo reply, id 1, seq 0, length 8"]);
  });
});
