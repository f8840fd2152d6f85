/**
 * ipvlan (drivers/net/ipvlan/ipvlan_main.c, ipvlan_core.c, ipvlan_l3s.c): child devices on a lower
 * device (the master) that share its MAC and are told apart by IPv4 address. The mode belongs to
 * the port, not to a child: creating a child sets it for every child of that lower device
 * (ipvlan_set_port_mode), and L3/L3S children are NOARP.
 *
 * L2 (ipvlan_xmit_mode_l2, ipvlan_handle_mode_l2): a unicast IPv4 frame, or ARP, for a child's
 * address goes to that child (stacked-device.ts); broadcasts and multicasts go to every child and
 * to the master's stack. A child sends out through the master, except a frame addressed to the
 * shared MAC (a sibling answering), which goes to the sibling owning the destination address, and
 * broadcasts, which its siblings get too.
 *
 * L3 and L3S: no L2 of their own. Transmit (ipvlan_xmit_mode_l3): an IPv4 packet for a sibling's
 * address is handed straight to it; any other loses its Ethernet header and is sent from the
 * master's namespace (ipvlan_process_outbound: ip_local_out there, see IpvlanMaster), so it leaves
 * with the master's MAC after the master's routing, OUTPUT/POSTROUTING and neighbour resolution;
 * anything but IPv4 is dropped. Receive on the master (ipvlan_handle_mode_l3): IPv4 for a child's
 * address goes to it whatever the destination MAC; everything else — broadcasts and multicasts
 * included — to the master's stack, so children get none. In L3, ARP for a child's address is
 * handed to the child, whose stack ignores it (arp_rcv drops ARP on a NOARP device): nobody
 * answers. In L3S the receive handler passes everything to the master's stack (ipvlan_handle_frame),
 * whose PREROUTING and INPUT hooks see the packet before it is switched to the child (the l3mdev
 * rcv hook and ipvlan_nf_input); a capture on the child does not see it arrive (there is no second
 * netif_receive round). The master's own stack and the children never reach each other directly:
 * what the master sends leaves on the wire.
 *
 * IPv6 in L2 (ipvlan_get_L3_hdr, ipvlan_addr_lookup): a frame is for the child holding its
 * destination address, a duplicate address detection's solicitation (from ::) for the one holding
 * its target; multicasts (neighbour discovery to solicited-node groups) go to every child as above.
 *
 * Deviations: no private/vepa flags; IPv6 in L2 mode only (L3/L3S children send none, and IPv6
 * arriving in those modes goes to the master's stack). In L3S the child's own PREROUTING/INPUT hooks also
 * run (Linux runs only the master's), and a packet that a PREROUTING DNAT sends to an address that
 * is no child's is dropped instead of continuing in the master's stack. dockwire's IP layer sends
 * through a NOARP device with the broadcast MAC (Linux: the device's own, arp_constructor), so an
 * L3 child cannot drop a subnet broadcast by its MAC as ipvlan_process_outbound does: the master
 * routes it like unicast (limited broadcast and multicast are dropped).
 */

import type { Simulation } from "../sim/simulation.js";
import { u16, u32, u48 } from "../util/bytes.js";
import { isMulticastMac } from "../util/mac-address.js";
import type { NetDevice } from "./net-device.js";
import type { Packet } from "./packet.js";
import { LowerPort, StackedDevice } from "./stacked-device.js";

const ETHERTYPE_IPV4 = 0x0800;
const ETHERTYPE_ARP = 0x0806;
const ETHERTYPE_IPV6 = 0x86dd;
const ETH_HLEN = 14;
const IPPROTO_ICMPV6 = 58;
const ND_NEIGHBOR_SOLICIT = 135;

export type IpvlanMode = "l2" | "l3" | "l3s";

/**
 * What an L3/L3S port needs from the master's namespace (the kernel provides it: the link layer
 * does not reach into the IP layer). Packets have `head` at their IPv4 header.
 */
export interface IpvlanMaster {
  /** ipvlan_process_v4_outbound: route and send a child's packet from the master's namespace. */
  output(pkt: Packet): void;
  /** L3S: the master namespace's PREROUTING hook for a packet arriving on `dev`; false if dropped. */
  prerouting(pkt: Packet, dev: NetDevice): boolean;
  /** L3S: the master namespace's INPUT hook for it (the packet is for a child); false if dropped. */
  input(pkt: Packet, dev: NetDevice): boolean;
}

/** The IPv4 address a frame is for: the IP destination, or the ARP target address. */
function destinationAddress(pkt: Packet): number | undefined {
  const b = pkt.buf;
  const o = pkt.head;
  if (pkt.length < ETH_HLEN) return undefined;
  const type = u16(b, o + 12);
  if (type === ETHERTYPE_IPV4 && pkt.length >= 34) return u32(b, o + 30);
  if (type === ETHERTYPE_ARP && pkt.length >= 42) return u32(b, o + 38);
  return undefined;
}

/**
 * Where the IPv6 address a frame is for starts: the destination, or for a duplicate address
 * detection's solicitation (from ::) its target; -1 when the frame is not IPv6.
 */
function destinationAddress6(pkt: Packet): number {
  const b = pkt.buf;
  const o = pkt.head;
  if (pkt.length < ETH_HLEN + 40 || u16(b, o + 12) !== ETHERTYPE_IPV6) return -1;
  const icmp = o + ETH_HLEN + 40;
  let fromAny = true;
  for (let i = 0; i < 16 && fromAny; i++) fromAny = b[o + ETH_HLEN + 8 + i] === 0;
  const dad =
    fromAny &&
    b[o + ETH_HLEN + 6] === IPPROTO_ICMPV6 &&
    pkt.length >= ETH_HLEN + 40 + 24 &&
    b[icmp] === ND_NEIGHBOR_SOLICIT;
  return dad ? icmp + 8 : o + ETH_HLEN + 24;
}

export class IpvlanPort extends LowerPort<Ipvlan> {
  /** The port's mode: IPVLAN_MODE_L3 until a child sets it (ipvlan_port_create). */
  mode: IpvlanMode = "l3";

  /** `master`: the master's namespace, for L3/L3S (without it, their outbound traffic is dropped). */
  constructor(
    lower: NetDevice,
    readonly master?: IpvlanMaster,
  ) {
    super(lower);
  }

  /** ipvlan_set_port_mode: every child follows, NOARP in L3 and L3S. */
  setMode(mode: IpvlanMode): void {
    this.mode = mode;
    for (const c of this.children) c.noArp = mode !== "l2";
  }

  /** The child that has address `ip`, if any (ipvlan_addr_lookup). */
  owner(ip: number | undefined): Ipvlan | undefined {
    if (ip === undefined) return undefined;
    const children = this.children;
    for (let i = 0; i < children.length; i++) {
      const c = children[i] as Ipvlan;
      if (c.owns(ip)) return c;
    }
    return undefined;
  }

  /** The child a frame is for, by its IPv4 or IPv6 destination (ND: the target). */
  ownerOf(pkt: Packet): Ipvlan | undefined {
    const at = destinationAddress6(pkt);
    if (at < 0) return this.owner(destinationAddress(pkt));
    const children = this.children;
    for (let i = 0; i < children.length; i++) {
      const c = children[i] as Ipvlan;
      if (c.owns6(pkt.buf, at)) return c;
    }
    return undefined;
  }

  protected childFor(pkt: Packet): Ipvlan | undefined {
    return this.ownerOf(pkt);
  }

  protected override receive(dev: NetDevice, pkt: Packet): void {
    if (this.mode === "l2") {
      super.receive(dev, pkt);
      return;
    }
    const b = pkt.buf;
    const o = pkt.head;
    const type = pkt.length >= ETH_HLEN ? u16(b, o + 12) : 0;
    if (type === ETHERTYPE_IPV4 && pkt.length >= 34) {
      const child = this.owner(u32(b, o + 30));
      if (child) {
        if (this.mode === "l3") child.receive(pkt);
        else this.inputL3s(dev, pkt);
        return;
      }
    } else if (type === ETHERTYPE_ARP && this.mode === "l3" && pkt.length >= 42) {
      const child = this.owner(u32(b, o + 38));
      if (child) {
        child.receive(pkt);
        return;
      }
    }
    this.stack?.(dev, pkt);
  }

  /**
   * L3S: the master's PREROUTING (which may DNAT), the route to the child owning the destination,
   * the master's INPUT, then the child's stack — without the child's receive taps.
   */
  private inputL3s(dev: NetDevice, pkt: Packet): void {
    const master = this.master;
    if (!master) return;
    pkt.pull(ETH_HLEN);
    let child: Ipvlan | undefined;
    if (master.prerouting(pkt, dev)) {
      child = this.owner(u32(pkt.buf, pkt.head + 16));
      if (child && (!child.up || !master.input(pkt, dev))) child = undefined;
    }
    pkt.push(ETH_HLEN);
    if (child) child.deliverSkippingTaps(pkt);
  }
}

export class Ipvlan extends StackedDevice {
  readonly kind: string = "ipvlan";
  /** IFF_NOARP, set in L3 and L3S (the port's mode decides). */
  override noArp = false;
  /** Does the child hold this IPv4 address? (The namespace it lives in answers.) */
  owns: (ip: number) => boolean = () => false;
  /** Does it hold the IPv6 address at `off` in `buf`? */
  owns6: (buf: Uint8Array, off: number) => boolean = () => false;
  /** dev_forward_skb from a sibling: a later event, the other namespace's metadata scrubbed. */
  private readonly forwarded = (pkt: Packet) => {
    pkt.scrub();
    this.receive(pkt);
  };

  /** A child of `port`, whose mode becomes `mode` for all its children. */
  constructor(
    name: string,
    ifindex: number,
    readonly port: IpvlanPort,
    private readonly sim: Simulation,
    mode: IpvlanMode = "l2",
  ) {
    super(name, ifindex, port.lower.mac, port.lower, port.children);
    port.children.push(this);
    port.setMode(mode);
  }

  /** A frame arrives; a NOARP device counts and captures ARP, but its stack ignores it (arp_rcv). */
  override receive(pkt: Packet): void {
    if (this.noArp && pkt.length >= ETH_HLEN && u16(pkt.buf, pkt.head + 12) === ETHERTYPE_ARP) {
      const stack = this.rxHandler;
      this.rxHandler = undefined;
      super.receive(pkt);
      this.rxHandler = stack;
      return;
    }
    super.receive(pkt);
  }

  /** L3S delivery: counted, then straight to the stack (no capture tap sees it). */
  deliverSkippingTaps(pkt: Packet): void {
    if (!this.up) return;
    pkt.scrub();
    this.stats.rxPackets++;
    this.stats.rxBytes += pkt.length;
    pkt.ingressIfindex = this.ifindex;
    this.rxHandler?.(this, pkt);
  }

  protected transmitFrame(pkt: Packet): void {
    if (this.port.mode === "l2") this.transmitL2(pkt);
    else this.transmitL3(pkt);
  }

  private transmitL2(pkt: Packet): void {
    const dst = u48(pkt.buf, pkt.head);
    if (isMulticastMac(dst)) {
      const children = this.port.children;
      for (let i = 0; i < children.length; i++) {
        const s = children[i] as Ipvlan;
        if (s !== this) this.sim.scheduleAfter(0, s.forwarded, pkt.copy());
      }
    } else if (dst === this.mac) {
      const s = this.port.ownerOf(pkt);
      if (s && s !== this) {
        this.sim.scheduleAfter(0, s.forwarded, pkt);
        return;
      }
    }
    this.lower.transmit(pkt);
  }

  private transmitL3(pkt: Packet): void {
    const b = pkt.buf;
    const o = pkt.head;
    if (pkt.length < 34 || u16(b, o + 12) !== ETHERTYPE_IPV4) {
      this.stats.txDropped++;
      return;
    }
    const s = this.port.owner(u32(b, o + 30));
    if (s) {
      if (s.up) this.sim.scheduleAfter(0, s.forwarded, pkt);
      return;
    }
    const master = this.port.master;
    if (!master) {
      this.stats.txDropped++;
      return;
    }
    // Leaving for the master's namespace: its Ethernet header and our metadata stay behind.
    pkt.scrub();
    pkt.mark = 0;
    pkt.pull(ETH_HLEN);
    master.output(pkt);
  }
}
