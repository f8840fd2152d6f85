/**
 * veth pairs (drivers/net/veth.c): a frame sent on one end is received on the other. An end
 * passes traffic only when both ends are up. Each direction has its own LinkDirection, so latency,
 * bandwidth, queue and loss can be set per direction; the defaults are Linux's instant veth.
 * What netfilter and the bridge attached to a packet is dropped on the way (skb_scrub_packet).
 */

import type { Simulation } from "../sim/simulation.js";
import { LinkDirection, type LinkParams, VETH_DEFAULTS } from "./link-timing.js";
import { NetDevice } from "./net-device.js";
import type { Packet } from "./packet.js";

export interface VethEndSpec {
  name: string;
  ifindex: number;
  mac: number;
}

export class Veth extends NetDevice {
  readonly kind = "veth";
  /** The other end; set by createVethPair. */
  peer!: Veth;
  /** This end → peer. */
  link!: LinkDirection;

  override get running(): boolean {
    return this.up && this.peer.up;
  }

  protected transmitFrame(pkt: Packet): void {
    this.link.send(pkt);
  }
}

export function createVethPair(
  sim: Simulation,
  a: VethEndSpec,
  b: VethEndSpec,
  params: LinkParams = VETH_DEFAULTS,
): [Veth, Veth] {
  const ea = new Veth(a.name, a.ifindex, a.mac);
  const eb = new Veth(b.name, b.ifindex, b.mac);
  ea.peer = eb;
  eb.peer = ea;
  const rng = sim.random(`link:${a.name}:${b.name}`);
  ea.link = new LinkDirection(sim, { ...params }, rng, (pkt) => {
    pkt.scrub();
    eb.receive(pkt);
  });
  eb.link = new LinkDirection(sim, { ...params }, rng, (pkt) => {
    pkt.scrub();
    ea.receive(pkt);
  });
  return [ea, eb];
}
