/**
 * Two "containers" (namespaces c1, c2) on a bridge in a host namespace that holds the gateway
 * address: ARP and ping across the bridge, ping to the bridge's own address, and what each capture
 * point sees (a port sees everything crossing it; the bridge device only host-bound frames).
 */

import { describe, expect, it } from "vitest";
import { NetNamespace } from "../../src/kernel/namespace.js";
import { Bridge } from "../../src/link/bridge.js";
import type { NetDevice } from "../../src/link/net-device.js";
import { Packet } from "../../src/link/packet.js";
import { createVethPair } from "../../src/link/veth.js";
import { Simulation } from "../../src/sim/simulation.js";
import { SECOND } from "../../src/sim/time.js";
import { ipv4 } from "../../src/util/ipv4-address.js";
import { mac } from "../../src/util/mac-address.js";
import { decodeFrame, summarizeFrame } from "../../src/wire/frame.js";
import { IPPROTO_ICMP } from "../../src/wire/ipv4.js";

function lan() {
  const sim = new Simulation({ seed: 1 });
  const h = new NetNamespace("dwfx-h", sim);
  const br = new Bridge("br0", h.allocIfindex(), mac("02:00:00:00:0b:01"), sim);
  br.setAddress(mac("02:00:00:00:0b:01"));
  h.attach(br);
  h.addAddress(br, ipv4("10.1.0.1"), 24);
  h.setUp(br, true);
  const log: Record<string, string[]> = {};
  const tap = (dev: NetDevice, p: Packet, dir: string) => {
    const f = p.data();
    const lines = log[dev.name] ?? [];
    lines.push(`${dir} ${summarizeFrame(decodeFrame(f), f.length)}`);
    log[dev.name] = lines;
  };
  br.addTap(tap);
  const containers = [1, 2].map((i) => {
    const c = new NetNamespace(`dwfx-c${i}`, sim);
    const [eth0, port] = createVethPair(
      sim,
      { name: "eth0", ifindex: c.allocIfindex(), mac: mac(`02:00:00:00:0c:0${i}`) },
      { name: `veth-c${i}`, ifindex: h.allocIfindex(), mac: mac(`02:00:00:00:0a:0${i}`) },
    );
    c.attach(eth0);
    h.attach(port);
    h.setMaster(port, br);
    h.setUp(port, true);
    c.addAddress(eth0, ipv4(`10.1.0.${i + 1}`), 24);
    c.setUp(eth0, true);
    port.addTap(tap);
    return c;
  });
  const echo = () => Packet.from(new Uint8Array([8, 0, 0xf7, 0xfe, 0, 1, 0, 0]));
  return { sim, h, br, c1: containers[0]!, c2: containers[1]!, log, echo };
}

describe("a bridge LAN", () => {
  it("c1 pings c2: ARP floods, the reply and the echoes cross only the two ports", () => {
    const { sim, c1, log, echo } = lan();
    c1.ipv4.send(echo(), IPPROTO_ICMP, ipv4("10.1.0.3"));
    sim.run({ until: SECOND });
    expect(log["veth-c1"]).toEqual([
      "in ARP, Request who-has 10.1.0.3 tell 10.1.0.2, length 28",
      "out ARP, Reply 10.1.0.3 is-at 02:00:00:00:0c:02, length 28",
      "in IP 10.1.0.2 > 10.1.0.3: ICMP echo request, id 1, seq 0, length 8",
      "out IP 10.1.0.3 > 10.1.0.2: ICMP echo reply, id 1, seq 0, length 8",
    ]);
    expect(log["veth-c2"]).toEqual([
      "out ARP, Request who-has 10.1.0.3 tell 10.1.0.2, length 28",
      "in ARP, Reply 10.1.0.3 is-at 02:00:00:00:0c:02, length 28",
      "out IP 10.1.0.2 > 10.1.0.3: ICMP echo request, id 1, seq 0, length 8",
      "in IP 10.1.0.3 > 10.1.0.2: ICMP echo reply, id 1, seq 0, length 8",
    ]);
    // The bridge device sees the broadcast only: unicast between two ports never reaches the host.
    expect(log.br0).toEqual(["in ARP, Request who-has 10.1.0.3 tell 10.1.0.2, length 28"]);
  });

  it("c1 pings the gateway: the bridge answers ARP with its own MAC and replies to the echo", () => {
    const { sim, c1, log, echo } = lan();
    c1.ipv4.send(echo(), IPPROTO_ICMP, ipv4("10.1.0.1"));
    sim.run({ until: SECOND });
    expect(log.br0).toEqual([
      "in ARP, Request who-has 10.1.0.1 tell 10.1.0.2, length 28",
      "out ARP, Reply 10.1.0.1 is-at 02:00:00:00:0b:01, length 28",
      "in IP 10.1.0.2 > 10.1.0.1: ICMP echo request, id 1, seq 0, length 8",
      "out IP 10.1.0.1 > 10.1.0.2: ICMP echo reply, id 1, seq 0, length 8",
    ]);
    expect(log["veth-c2"]).toEqual(["out ARP, Request who-has 10.1.0.1 tell 10.1.0.2, length 28"]);
  });

  it("learns both containers in the FDB and forgets a port's entries when it leaves the bridge", () => {
    const { sim, h, br, c1, echo } = lan();
    c1.ipv4.send(echo(), IPPROTO_ICMP, ipv4("10.1.0.3"));
    sim.run({ until: SECOND });
    const learned = () =>
      br
        .entries()
        .filter((e) => !e.local)
        .map((e) => e.port?.dev.name);
    expect(learned()).toEqual(["veth-c1", "veth-c2"]);
    h.setMaster(h.device("veth-c2")!, undefined);
    expect(learned()).toEqual(["veth-c1"]);
  });
});
