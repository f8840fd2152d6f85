/**
 * A routed hop (A — R — B, R forwarding) against the Linux fixtures captured on A's veth:
 * time exceeded for TTL 1, need-to-frag toward a 1280-byte link, host unreachable after R's ARP
 * for an unused address fails. Fields Linux picks at random are zeroed on both sides.
 */

import { describe, expect, it } from "vitest";
import { NetNamespace } from "../../src/kernel/namespace.js";
import { Packet } from "../../src/link/packet.js";
import { createVethPair } from "../../src/link/veth.js";
import { Simulation } from "../../src/sim/simulation.js";
import { SECOND } from "../../src/sim/time.js";
import { toHex } from "../../src/util/bytes.js";
import { ipv4 } from "../../src/util/ipv4-address.js";
import { mac } from "../../src/util/mac-address.js";
import { IPPROTO_ICMP } from "../../src/wire/ipv4.js";
import { fixtureFrames } from "../helpers/fixtures.js";

/** Zero IP ID and header checksum, and for ICMP errors the ICMP checksum and the quoted header's ID and checksum. */
function normalise(frame: Uint8Array): string {
  const f = frame.slice();
  if (f[12] === 0x08 && f[13] === 0x00) {
    f.fill(0, 18, 20);
    f.fill(0, 24, 26);
    if (f[23] === 1 && f[34] !== 0 && f[34] !== 8) {
      f.fill(0, 36, 38);
      f.fill(0, 42 + 4, 42 + 6);
      f.fill(0, 42 + 10, 42 + 12);
    }
  }
  return toHex(f);
}

function routed() {
  const sim = new Simulation({ seed: 1 });
  const a = new NetNamespace("dwfx-a", sim);
  const r = new NetNamespace("dwfx-r", sim);
  const b = new NetNamespace("dwfx-b", sim);
  const link = (x: NetNamespace, xn: string, xm: string, y: NetNamespace, yn: string, ym: string) => {
    const [dx, dy] = createVethPair(
      sim,
      { name: xn, ifindex: x.allocIfindex(), mac: mac(xm) },
      { name: yn, ifindex: y.allocIfindex(), mac: mac(ym) },
    );
    x.attach(dx);
    y.attach(dy);
    return [dx, dy] as const;
  };
  const [va, vra] = link(a, "veth-a", "02:00:00:00:01:0a", r, "veth-ra", "02:00:00:00:01:fe");
  const [vb, vrb] = link(b, "veth-b", "02:00:00:00:02:0b", r, "veth-rb", "02:00:00:00:02:fe");
  a.addAddress(va, ipv4("10.0.1.1"), 24);
  r.addAddress(vra, ipv4("10.0.1.254"), 24);
  r.addAddress(vrb, ipv4("10.0.2.254"), 24);
  b.addAddress(vb, ipv4("10.0.2.1"), 24);
  for (const [ns, d] of [
    [a, va],
    [r, vra],
    [r, vrb],
    [b, vb],
  ] as const)
    ns.setUp(d, true);
  const route = {
    type: "unicast" as const,
    ifindex: 0,
    metric: 0,
    protocol: "boot" as const,
    scope: "universe" as const,
    prefsrc: 0,
  };
  a.main.add({ ...route, dst: 0, prefixLen: 0, gateway: ipv4("10.0.1.254"), ifindex: va.ifindex });
  b.main.add({ ...route, dst: 0, prefixLen: 0, gateway: ipv4("10.0.2.254"), ifindex: vb.ifindex });
  r.ipForward = true;
  const captured: Uint8Array[] = [];
  va.addTap((_d, p) => captured.push(p.data().slice()));
  const ping = (echo: Uint8Array, dst: string, ttl = 64) => {
    a.ipv4.send(Packet.from(echo), IPPROTO_ICMP, ipv4(dst), { ttl });
  };
  return { sim, a, r, b, vrb, captured, ping };
}

/** The ICMP message (header + data) of the first echo request in a fixture. */
function echoOf(frames: Uint8Array[]): Uint8Array {
  return frames.find((f) => f[12] === 0x08 && f[34] === 8)!.subarray(34);
}

describe("routing through a namespace with ip_forward=1", () => {
  it("TTL 1: the router answers with ICMP time exceeded quoting the whole datagram", () => {
    const linux = fixtureFrames("icmp-time-exceeded");
    const { sim, captured, ping } = routed();
    ping(echoOf(linux), "10.0.2.1"); // resolve ARP first, as the fixture script does
    sim.run({ until: SECOND });
    captured.length = 0;
    ping(echoOf(linux), "10.0.2.1", 1);
    sim.run({ until: 2 * SECOND });
    expect(captured.map(normalise)).toEqual(linux.map(normalise));
  });

  it("DF datagram over the next hop's MTU: need to frag with mtu 1280", () => {
    const linux = fixtureFrames("icmp-frag-needed");
    const { sim, captured, ping, vrb, b } = routed();
    vrb.mtu = 1280;
    b.devices.get(2)!.mtu = 1280;
    ping(echoOf(fixtureFrames("icmp-time-exceeded")), "10.0.2.1");
    sim.run({ until: SECOND });
    captured.length = 0;
    ping(echoOf(linux), "10.0.2.1");
    sim.run({ until: 2 * SECOND });
    expect(captured.map(normalise)).toEqual(linux.map(normalise));
  });

  it("unused address behind the router: ARP fails after 3 s, then host unreachable", () => {
    const linux = fixtureFrames("icmp-host-unreachable");
    const { sim, captured, ping } = routed();
    ping(echoOf(linux), "10.0.2.99");
    sim.run({ until: 3 * SECOND + 1 });
    expect(captured.map(normalise)).toEqual(linux.map(normalise));
  });
});
