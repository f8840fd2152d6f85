/**
 * ipvlan children on a lower device, at the link level: the port's mode is every child's (NOARP
 * in L3/L3S), what an L3 child sends goes to a sibling or to the master's namespace (here a fake
 * that records), what arrives on the master in L3 goes by IPv4 address (ARP for a child is seen
 * by its taps but not by its stack), and in L3S the master's hooks come first and the child's taps
 * see nothing.
 */

import { describe, expect, it } from "vitest";
import { Ipvlan, type IpvlanMaster, type IpvlanMode, IpvlanPort } from "../../src/link/ipvlan.js";
import type { NetDevice } from "../../src/link/net-device.js";
import { Packet } from "../../src/link/packet.js";
import { createVethPair } from "../../src/link/veth.js";
import { Simulation } from "../../src/sim/simulation.js";
import { put16, put32, u32 } from "../../src/util/bytes.js";
import { ipv4 } from "../../src/util/ipv4-address.js";
import { MAC_BROADCAST, mac } from "../../src/util/mac-address.js";
import { emitEthernet } from "../../src/wire/ethernet.js";

const MASTER_MAC = mac("02:00:00:00:00:10");
const C1 = ipv4("10.10.0.2");
const C2 = ipv4("10.10.0.3");

/** An Ethernet + IPv4 frame to `dst` (only the fields ipvlan reads are filled in). */
function ipFrame(dstMac: number, dst: number): Packet {
  const p = Packet.alloc(60);
  emitEthernet({ dst: dstMac, src: mac("02:00:00:00:00:99"), etherType: 0x0800 }, p.buf, p.head);
  p.buf[p.head + 14] = 0x45;
  put16(p.buf, p.head + 16, 46);
  put32(p.buf, p.head + 26, ipv4("192.168.1.20"));
  put32(p.buf, p.head + 30, dst);
  return p;
}

/** A broadcast ARP request for `target`. */
function arpRequest(target: number): Packet {
  const p = Packet.alloc(60);
  emitEthernet({ dst: MAC_BROADCAST, src: mac("02:00:00:00:00:99"), etherType: 0x0806 }, p.buf, p.head);
  put16(p.buf, p.head + 20, 1);
  put32(p.buf, p.head + 38, target);
  return p;
}

function setup(modes: IpvlanMode[], verdicts = { prerouting: true, input: true }) {
  const sim = new Simulation({ seed: 1 });
  const [lower, wire] = createVethPair(
    sim,
    { name: "eth0", ifindex: 2, mac: MASTER_MAC },
    { name: "wire", ifindex: 3, mac: mac("02:00:00:00:00:99") },
  );
  lower.up = true;
  wire.up = true;
  const log: string[] = [];
  const record = (what: string) => (dev: NetDevice, pkt: Packet) =>
    log.push(`${what} ${dev.name} ${pkt.length}`);
  lower.rxHandler = record("stack");
  wire.rxHandler = record("wire");
  const sent: Packet[] = [];
  const master: IpvlanMaster = {
    output: (pkt) => {
      sent.push(pkt);
      log.push(`master-output ${pkt.length}`);
    },
    prerouting: (pkt, dev) => {
      log.push(`PREROUTING in=${dev.name} dst=${u32(pkt.buf, pkt.head + 16) === C1 ? "c1" : "?"}`);
      return verdicts.prerouting;
    },
    input: (_pkt, dev) => {
      log.push(`INPUT in=${dev.name}`);
      return verdicts.input;
    },
  };
  const port = new IpvlanPort(lower, master);
  const children = modes.map((mode, i) => {
    const c = new Ipvlan(`c${i + 1}`, 10 + i, port, sim, mode);
    const addr = i === 0 ? C1 : C2;
    c.owns = (a) => a === addr;
    c.up = true;
    c.rxHandler = record("stack");
    c.addTap((dev, pkt, dir) => log.push(`tap ${dev.name} ${dir} ${pkt.length}`));
    return c;
  });
  return { sim, lower, wire, port, c1: children[0] as Ipvlan, c2: children[1] as Ipvlan, log, sent };
}

describe("ipvlan", () => {
  it("shares the master's MAC; the port's mode is every child's, NOARP in l3 and l3s", () => {
    const { port, c1, c2 } = setup(["l2", "l3"]);
    expect(c1.mac).toBe(MASTER_MAC);
    expect(port.mode).toBe("l3");
    expect([c1.noArp, c2.noArp]).toEqual([true, true]);
    port.setMode("l2");
    expect([c1.noArp, c2.noArp]).toEqual([false, false]);
  });

  it("l3 transmit: a sibling's address is handed over in a later event; the rest goes to the master without its Ethernet header; ARP goes nowhere", () => {
    const { sim, c1, log, sent } = setup(["l3", "l3"]);
    c1.transmit(ipFrame(MAC_BROADCAST, C2));
    expect(log).toEqual(["tap c1 out 60"]);
    sim.run();
    expect(log.splice(0)).toEqual(["tap c1 out 60", "tap c2 in 60", "stack c2 60"]);
    c1.transmit(ipFrame(MAC_BROADCAST, ipv4("192.168.1.20")));
    c1.transmit(arpRequest(ipv4("192.168.1.20")));
    sim.run();
    expect(log).toEqual(["tap c1 out 60", "master-output 46", "tap c1 out 60"]);
    expect(sent[0]?.buf[sent[0].head]).toBe(0x45);
  });

  it("l3 receive: IPv4 for a child goes to it whatever the MAC, ARP for a child reaches its taps but not its stack, the rest to the master's stack", () => {
    const { sim, wire, log } = setup(["l3", "l3"]);
    wire.transmit(ipFrame(MAC_BROADCAST, C1));
    wire.transmit(ipFrame(MASTER_MAC, C2));
    wire.transmit(arpRequest(C1));
    wire.transmit(ipFrame(MAC_BROADCAST, 0xffffffff));
    wire.transmit(arpRequest(ipv4("192.168.1.10")));
    sim.run();
    expect(log).toEqual([
      "tap c1 in 60",
      "stack c1 60",
      "tap c2 in 60",
      "stack c2 60",
      "tap c1 in 60",
      "stack eth0 60",
      "stack eth0 60",
    ]);
  });

  it("l3s receive: the master's PREROUTING and INPUT first, then the child's stack, unseen by its taps; ARP stays with the master", () => {
    const { sim, wire, c1, log } = setup(["l3s", "l3s"]);
    wire.transmit(ipFrame(MASTER_MAC, C1));
    wire.transmit(arpRequest(C1));
    sim.run();
    expect(log).toEqual(["PREROUTING in=eth0 dst=c1", "INPUT in=eth0", "stack c1 60", "stack eth0 60"]);
    expect(c1.stats.rxPackets).toBe(1);
  });

  it("l3s receive: a drop in the master's INPUT keeps the packet from the child", () => {
    const { sim, wire, log } = setup(["l3s"], { prerouting: true, input: false });
    wire.transmit(ipFrame(MASTER_MAC, C1));
    sim.run();
    expect(log).toEqual(["PREROUTING in=eth0 dst=c1", "INPUT in=eth0"]);
  });

  it("l2 is unchanged: a broadcast reaches every child and the master, a child's frame leaves on the wire", () => {
    const { sim, wire, c1, log } = setup(["l2", "l2"]);
    wire.transmit(arpRequest(ipv4("192.168.1.10")));
    sim.run();
    expect(log.splice(0)).toEqual([
      "tap c1 in 60",
      "stack c1 60",
      "tap c2 in 60",
      "stack c2 60",
      "stack eth0 60",
    ]);
    c1.transmit(ipFrame(mac("02:00:00:00:00:99"), ipv4("192.168.1.20")));
    sim.run();
    expect(log).toEqual(["tap c1 out 60", "wire wire 60"]);
  });
});
