/**
 * ipvlan in L2 mode (drivers/net/ipvlan/ipvlan_core.c): child devices share the lower device's MAC
 * and are told apart by IP address (stacked-device.ts: a unicast IPv4 frame, or ARP, for a
 * child's address goes to that child). A child sends out through the
 * lower device, except a frame addressed to the shared MAC (a sibling answering), which is
 * delivered to the sibling owning the destination address (ipvlan_xmit_mode_l2). Deviations: L2
 * mode only (no l3/l3s), no private/vepa flags.
 */

import type { Simulation } from "../sim/simulation.js";
import { u16, u32, u48 } from "../util/bytes.js";
import { isMulticastMac } from "../util/mac-address.js";
import type { Packet } from "./packet.js";
import { LowerPort, StackedDevice } from "./stacked-device.js";

const ETHERTYPE_IPV4 = 0x0800;
const ETHERTYPE_ARP = 0x0806;

/** The IPv4 address a frame is for: the IP destination, or the ARP target address. */
function destinationAddress(pkt: Packet): number | undefined {
  const b = pkt.buf;
  const o = pkt.head;
  const type = u16(b, o + 12);
  if (type === ETHERTYPE_IPV4 && pkt.length >= 34) return u32(b, o + 30);
  if (type === ETHERTYPE_ARP && pkt.length >= 42) return u32(b, o + 38);
  return undefined;
}

export class IpvlanPort extends LowerPort<Ipvlan> {
  /** The child that has address `ip`, if any. */
  owner(ip: number | undefined): Ipvlan | undefined {
    if (ip === undefined) return undefined;
    return this.children.find((c) => c.owns(ip));
  }

  protected childFor(pkt: Packet): Ipvlan | undefined {
    return this.owner(destinationAddress(pkt));
  }
}

export class Ipvlan extends StackedDevice {
  readonly kind: string = "ipvlan";
  /** Does the child hold this IPv4 address? (The namespace it lives in answers.) */
  owns: (ip: number) => boolean = () => false;

  constructor(
    name: string,
    ifindex: number,
    readonly port: IpvlanPort,
    private readonly sim: Simulation,
  ) {
    super(name, ifindex, port.lower.mac, port.lower, port.children);
    port.children.push(this);
  }

  protected transmitFrame(pkt: Packet): void {
    const dst = u48(pkt.buf, pkt.head);
    if (isMulticastMac(dst)) {
      for (const s of this.port.children)
        if (s !== this) this.sim.scheduleAfter(0, () => s.receive(pkt.copy()));
    } else if (dst === this.mac) {
      const s = this.port.owner(destinationAddress(pkt));
      if (s && s !== this) {
        this.sim.scheduleAfter(0, () => s.receive(pkt));
        return;
      }
    }
    this.lower.transmit(pkt);
  }
}
