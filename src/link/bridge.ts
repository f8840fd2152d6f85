/**
 * The Linux bridge (net/bridge: br_input.c, br_forward.c, br_fdb.c, br_device.c): a device with
 * ports. A frame entering a port teaches the forwarding database (FDB) where its source MAC lives,
 * then is delivered to the bridge device itself (its own MAC or a port's MAC), forwarded to the one
 * port that has its destination, or flooded (broadcast, multicast, unknown unicast) to every port
 * but the one it came in on — unless that port has hairpin mode on. Broadcast and multicast are
 * also delivered locally. Frames the host sends on the bridge device go out the same way.
 *
 * When the bridge device is promiscuous (a capture on it without -p), forwarded frames are passed
 * up to it too, so a capture on br0 sees the traffic between ports, as tcpdump on Linux does.
 *
 * FDB entries age out `ageingTime` (300 s) after they were last refreshed; expiry is checked when
 * an entry is used or listed, so no timer runs per entry. Deviations: no STP (every port
 * forwards), no VLAN filtering, no multicast snooping (multicast floods).
 *
 * br_netfilter: the kernel may give the bridge a `netfilter` hook (net.bridge.bridge-nf-call-
 * iptables); IPv4 frames entering a port then pass PREROUTING (which may DNAT them: to another
 * port of the bridge by rewriting the destination MAC, or up to the IP stack), and frames forwarded
 * between ports pass FORWARD and POSTROUTING, with the bridge as both `-i` and `-o`.
 */

import { SECOND } from "../sim/time.js";
import { u48 } from "../util/bytes.js";
import { isMulticastMac } from "../util/mac-address.js";
import { NetDevice } from "./net-device.js";
import type { Packet } from "./packet.js";

export interface BridgePort {
  dev: NetDevice;
  /** `bridge link set dev X hairpin on`: frames may go back out of the port they came in on. */
  hairpin: boolean;
}

/** br_netfilter's verdicts. */
export const BR_NF_DROP = 0;
export const BR_NF_CONTINUE = 1;
/** DNAT sent the frame elsewhere: deliver it up to the bridge device (the IP stack routes it). */
export const BR_NF_LOCAL = 2;
/** br_netfilter took the frame (it waits for ARP and will come back out through the bridge). */
export const BR_NF_STOLEN = 3;

/**
 * The hooks br_netfilter runs for a frame (head at its Ethernet header): PREROUTING as it enters
 * by `port`, FORWARD/POSTROUTING once for each port it leaves by.
 */
export type BridgeNetfilter = (
  hook: "prerouting" | "forward",
  bridge: Bridge,
  pkt: Packet,
  port: NetDevice,
) => number;

export interface FdbEntry {
  mac: number;
  /** The port the MAC was learned on or belongs to; undefined for the bridge device's own MAC. */
  port: BridgePort | undefined;
  /** Local entries are the bridge's and its ports' own MACs: delivered to the host. */
  local: boolean;
  /** "dynamic" entries are learned and age; "permanent" and "static" ones never do. */
  state: "permanent" | "static" | "dynamic";
  /** Last time (ns) the entry was created or refreshed by a frame. */
  updated: number;
}

/** The clock the bridge reads for ageing; the Simulation satisfies it. */
export interface Clock {
  readonly now: number;
}

export class Bridge extends NetDevice {
  readonly kind = "bridge";
  ageingTime = 300 * SECOND;
  readonly ports: BridgePort[] = [];
  private readonly fdb = new Map<number, FdbEntry>();
  /** br_netfilter, set by the kernel the bridge lives in. */
  netfilter: BridgeNetfilter | undefined;
  /** True once an address was set explicitly; otherwise the bridge takes its lowest port MAC. */
  private macSetByUser = false;

  constructor(
    name: string,
    ifindex: number,
    mac: number,
    private readonly clock: Clock,
  ) {
    super(name, ifindex, mac);
    this.fdb.set(mac, { mac, port: undefined, local: true, state: "permanent", updated: clock.now });
  }

  /** `ip link set br address MAC`. */
  setAddress(mac: number): void {
    this.macSetByUser = true;
    this.replaceOwnMac(mac);
  }

  /** `ip link set DEV master BR`. */
  addPort(dev: NetDevice): BridgePort {
    if (this.portOf(dev)) throw new Error(`${dev.name} is already a port of ${this.name}`);
    const port: BridgePort = { dev, hairpin: false };
    this.ports.push(port);
    dev.rxHandler = (_d, pkt) => this.portReceive(port, pkt);
    this.fdb.set(dev.mac, { mac: dev.mac, port, local: true, state: "permanent", updated: this.clock.now });
    this.recalculateMac();
    return port;
  }

  /** `ip link set DEV nomaster`: the port and every FDB entry pointing at it go. */
  removePort(dev: NetDevice): void {
    const port = this.portOf(dev);
    if (!port) return;
    this.ports.splice(this.ports.indexOf(port), 1);
    dev.rxHandler = undefined;
    for (const [mac, e] of this.fdb) if (e.port === port) this.fdb.delete(mac);
    this.recalculateMac();
  }

  portOf(dev: NetDevice): BridgePort | undefined {
    return this.ports.find((p) => p.dev === dev);
  }

  /** Live FDB entries (expired dynamic entries are dropped first), in insertion order. */
  entries(): FdbEntry[] {
    const now = this.clock.now;
    for (const [mac, e] of this.fdb) if (this.expired(e, now)) this.fdb.delete(mac);
    return [...this.fdb.values()];
  }

  /** `bridge fdb add|append|replace MAC dev PORT master [static]` (permanent without `static`). */
  addEntry(mac: number, dev: NetDevice, state: "permanent" | "static"): void {
    const port = this.portOf(dev);
    if (!port) throw new Error(`${dev.name} is not a port of ${this.name}`);
    this.fdb.delete(mac);
    this.fdb.set(mac, { mac, port, local: false, state, updated: this.clock.now });
  }

  /** Is there a live entry for `mac`? */
  hasEntry(mac: number): boolean {
    return this.lookup(mac) !== undefined;
  }

  /** `bridge fdb del`: false when there was no such entry. */
  deleteEntry(mac: number): boolean {
    return this.fdb.delete(mac);
  }

  /** Frames the host sends on the bridge device (br_dev_xmit). */
  protected transmitFrame(pkt: Packet): void {
    const dst = u48(pkt.buf, pkt.head);
    const entry = isMulticastMac(dst) ? undefined : this.lookup(dst);
    if (entry?.port) entry.port.dev.transmit(pkt);
    else if (!entry) this.flood(pkt, undefined);
  }

  /** A frame arrives on a port (br_handle_frame → br_handle_frame_finish). */
  private portReceive(port: BridgePort, pkt: Packet): void {
    if (!this.up) return;
    const buf = pkt.buf;
    const src = u48(buf, pkt.head + 6);
    const dst = u48(buf, pkt.head);
    if (!isMulticastMac(src)) this.learn(src, port);
    if (isMulticastMac(dst)) {
      this.flood(pkt.copy(), port);
      this.receive(pkt);
      return;
    }
    const nf = this.netfilter;
    if (nf) {
      const verdict = nf("prerouting", this, pkt, port.dev);
      if (verdict === BR_NF_DROP || verdict === BR_NF_STOLEN) return;
      if (verdict === BR_NF_LOCAL) {
        this.receive(pkt);
        return;
      }
    }
    const entry = this.lookup(u48(buf, pkt.head)); // DNAT may have changed the destination MAC
    if (entry?.local) {
      this.receive(pkt);
      return;
    }
    // A promiscuous bridge device (tcpdump on it) also gets a copy of what it forwards
    // (br_handle_frame_finish: local_rcv when IFF_PROMISC); the IP stack ignores it.
    if (this.promiscuity > 0) this.receive(pkt.copy());
    if (entry?.port && entry.port === port && !port.hairpin) return;
    if (entry === undefined) this.flood(pkt, port);
    else if (entry.port && (!nf || nf("forward", this, pkt, entry.port.dev) !== BR_NF_DROP))
      entry.port.dev.transmit(pkt);
  }

  private learn(mac: number, port: BridgePort): void {
    const e = this.fdb.get(mac);
    if (e === undefined || this.expired(e, this.clock.now)) {
      this.fdb.delete(mac); // a re-learned entry counts as new (it lists first)
      this.fdb.set(mac, { mac, port, local: false, state: "dynamic", updated: this.clock.now });
    } else if (e.state === "dynamic") {
      e.port = port;
      e.updated = this.clock.now;
    }
  }

  private lookup(mac: number): FdbEntry | undefined {
    const e = this.fdb.get(mac);
    if (e === undefined) return undefined;
    if (this.expired(e, this.clock.now)) {
      this.fdb.delete(mac);
      return undefined;
    }
    return e;
  }

  private expired(e: FdbEntry, now: number): boolean {
    return e.state === "dynamic" && now - e.updated > this.ageingTime;
  }

  /**
   * Send to every running port except `from` (unless it has hairpin on); copies all but the last.
   * A unicast frame from a port passes br_netfilter's FORWARD once per port (br_flood clones it).
   */
  private flood(pkt: Packet, from: BridgePort | undefined): void {
    const nf = from && !isMulticastMac(u48(pkt.buf, pkt.head)) ? this.netfilter : undefined;
    let last: BridgePort | undefined;
    for (const p of this.ports) {
      if ((p === from && !p.hairpin) || !p.dev.running) continue;
      if (last) this.floodTo(last, pkt.copy(), nf);
      last = p;
    }
    if (last) this.floodTo(last, pkt, nf);
  }

  private floodTo(port: BridgePort, pkt: Packet, nf: BridgeNetfilter | undefined): void {
    if (!nf || nf("forward", this, pkt, port.dev) !== BR_NF_DROP) port.dev.transmit(pkt);
  }

  /**
   * br_stp_recalculate_bridge_id: unless an address was set, the bridge takes its lowest port MAC;
   * once its last port leaves it is left with 00:00:00:00:00:00 (what `ip link` then shows).
   */
  private recalculateMac(): void {
    if (this.macSetByUser) return;
    let lowest = this.ports.length === 0 ? 0 : Number.POSITIVE_INFINITY;
    for (const p of this.ports) lowest = Math.min(lowest, p.dev.mac);
    if (lowest !== this.mac) this.replaceOwnMac(lowest);
  }

  private replaceOwnMac(mac: number): void {
    const own = this.fdb.get(this.mac);
    if (own && own.port === undefined) this.fdb.delete(this.mac);
    this.mac = mac;
    if (!this.fdb.has(mac))
      this.fdb.set(mac, { mac, port: undefined, local: true, state: "permanent", updated: this.clock.now });
  }
}
