/**
 * A network device (struct net_device): name, ifindex, MAC, MTU, administrative state, a receive
 * handler that whoever owns the device installs (the IP stack, or a bridge it is enslaved to:
 * rx_handler), and capture taps. Subclasses say how a frame leaves (`transmitFrame`).
 *
 * Capture semantics follow AF_PACKET on Linux: a tap sees every frame the device sends (outbound)
 * and every frame it receives (inbound), before the receive handler runs; taps never change the
 * packet.
 */

import type { Packet } from "./packet.js";

export type Direction = "in" | "out";

/** A capture point: called with the device, the packet and its direction. */
export type CaptureTap = (dev: NetDevice, pkt: Packet, direction: Direction) => void;

/** What the device hands received frames to. */
export type RxHandler = (dev: NetDevice, pkt: Packet) => void;

export abstract class NetDevice {
  abstract readonly kind: string;
  /** Administrative state (ip link set DEV up). */
  up = false;
  mtu = 1500;
  /** The range `ip link set DEV mtu N` accepts (dev->min_mtu/max_mtu; 0 = no limit): Ethernet's. */
  readonly minMtu: number = 68;
  readonly maxMtu: number = 65535;
  /** IFF_NOARP: the IP layer sends without resolving neighbours (dummy devices). */
  readonly noArp: boolean = false;
  /** IFF_PROMISC reference count (dev_set_promiscuity): captures without -p raise it. */
  promiscuity = 0;
  /** Extra unicast addresses (dev_uc_add), e.g. `bridge fdb add MAC dev DEV` without `master`. */
  readonly unicastList: number[] = [];
  /** Receive handler: the namespace's stack, or the bridge this device is a port of. */
  rxHandler: RxHandler | undefined;
  /** Told when the device's carrier may have changed (linkwatch): its namespace's IPv6 config. */
  linkWatch: ((dev: NetDevice) => void) | undefined;
  private taps: CaptureTap[] = [];
  /** Counters as `ip -s link` shows them (frame bytes without FCS). */
  readonly stats = { rxBytes: 0, rxPackets: 0, txBytes: 0, txPackets: 0, rxDropped: 0, txDropped: 0 };

  constructor(
    public name: string,
    public ifindex: number,
    public mac: number,
  ) {}

  /** Carrier: the device can pass traffic (for veth: both ends up). */
  get running(): boolean {
    return this.up;
  }

  addTap(tap: CaptureTap): void {
    this.taps.push(tap);
  }

  removeTap(tap: CaptureTap): void {
    this.taps = this.taps.filter((t) => t !== tap);
  }

  /** Send a frame out of this device (dev_queue_xmit). Dropped when the device is not running. */
  transmit(pkt: Packet): void {
    if (!this.running) {
      this.stats.txDropped++;
      return;
    }
    this.stats.txPackets++;
    this.stats.txBytes += pkt.length;
    for (const tap of this.taps) tap(this, pkt, "out");
    this.transmitFrame(pkt);
  }

  /**
   * Whether taps see received frames. Loopback turns it off: a looped-back frame was already seen
   * going out, and AF_PACKET shows it once.
   */
  protected tapsSeeReceived = true;

  /** A frame arrives on this device (netif_receive_skb). */
  receive(pkt: Packet): void {
    if (!this.up) return;
    this.stats.rxPackets++;
    this.stats.rxBytes += pkt.length;
    pkt.ingressIfindex = this.ifindex;
    if (this.tapsSeeReceived) for (const tap of this.taps) tap(this, pkt, "in");
    this.rxHandler?.(this, pkt);
  }

  protected abstract transmitFrame(pkt: Packet): void;
}
