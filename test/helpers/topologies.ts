/**
 * Topologies the kernel tests share, built with the TypeScript API: the same MACs and addresses
 * as the Linux fixtures (test/fixtures/linux/make-wire-fixtures.sh), so frames compare directly.
 */

import { NetNamespace } from "../../src/kernel/namespace.js";
import { createVethPair } from "../../src/link/veth.js";
import { Simulation } from "../../src/sim/simulation.js";
import { ipv4 } from "../../src/util/ipv4-address.js";
import { mac } from "../../src/util/mac-address.js";

/** dwfx-a (veth-a 10.0.0.1/24) — dwfx-b (veth-b 10.0.0.2/24), everything up; frames on veth-a recorded. */
export function twoHosts(seed = 1) {
  const sim = new Simulation({ seed });
  const a = new NetNamespace("dwfx-a", sim);
  const b = new NetNamespace("dwfx-b", sim);
  const [va, vb] = createVethPair(
    sim,
    { name: "veth-a", ifindex: a.allocIfindex(), mac: mac("02:00:00:00:00:0a") },
    { name: "veth-b", ifindex: b.allocIfindex(), mac: mac("02:00:00:00:00:0b") },
  );
  a.attach(va);
  b.attach(vb);
  a.addAddress(va, ipv4("10.0.0.1"), 24);
  b.addAddress(vb, ipv4("10.0.0.2"), 24);
  for (const ns of [a, b]) ns.setUp(ns.lo, true);
  a.setUp(va, true);
  b.setUp(vb, true);
  const captured: Uint8Array[] = [];
  va.addTap((_d, p) => captured.push(p.data().slice()));
  return { sim, a, b, va, vb, captured };
}
