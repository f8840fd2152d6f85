/**
 * macvlan (drivers/net/macvlan.c): child devices on a lower device, each with a MAC of its own.
 * The lower device's receive handler is taken over (netdev_rx_handler_register): a unicast frame
 * for a child's MAC goes to that child, broadcast and multicast to every child and the lower
 * device's own stack, anything else to the stack. A child sends out through the lower device —
 * except, in bridge mode, to a sibling's MAC, which is delivered directly (and broadcasts reach the
 * siblings too). The lower device's own stack and its children never talk to each other: frames
 * the host sends leave the wire, and none come back. Deviations: no private/vepa/passthru
 * differences beyond "no sibling delivery", no source-MAC filtering.
 */

import type { Simulation } from "../sim/simulation.js";
import { u48 } from "../util/bytes.js";
import { isMulticastMac } from "../util/mac-address.js";
import { NetDevice, type RxHandler } from "./net-device.js";
import type { Packet } from "./packet.js";

export type MacvlanMode = "bridge" | "private" | "vepa" | "passthru";

/** The lower device's side: its children and what it did with received frames before. */
export class MacvlanPort {
  readonly children: Macvlan[] = [];
  private readonly stack: RxHandler | undefined;

  constructor(readonly lower: NetDevice) {
    this.stack = lower.rxHandler;
    lower.rxHandler = (dev, pkt) => this.receive(dev, pkt);
  }

  private receive(dev: NetDevice, pkt: Packet): void {
    const dst = u48(pkt.buf, pkt.head);
    if (isMulticastMac(dst)) {
      for (const c of this.children) c.receive(pkt.copy());
      this.stack?.(dev, pkt);
      return;
    }
    for (const c of this.children)
      if (c.mac === dst) {
        c.receive(pkt);
        return;
      }
    this.stack?.(dev, pkt);
  }
}

export class Macvlan extends NetDevice {
  readonly kind: string = "macvlan";

  constructor(
    name: string,
    ifindex: number,
    mac: number,
    readonly port: MacvlanPort,
    readonly mode: MacvlanMode,
    private readonly sim: Simulation,
  ) {
    super(name, ifindex, mac);
    port.children.push(this);
  }

  override get running(): boolean {
    return this.up && this.port.lower.running;
  }

  /** Leave the lower device (the child is deleted). */
  detach(): void {
    const i = this.port.children.indexOf(this);
    if (i >= 0) this.port.children.splice(i, 1);
  }

  protected transmitFrame(pkt: Packet): void {
    const dst = u48(pkt.buf, pkt.head);
    if (this.mode === "bridge") {
      const siblings = this.port.children.filter((c) => c !== this && c.mode === "bridge");
      if (isMulticastMac(dst)) {
        for (const s of siblings) this.sim.scheduleAfter(0, () => s.receive(pkt.copy()));
      } else {
        const s = siblings.find((c) => c.mac === dst);
        if (s) {
          this.sim.scheduleAfter(0, () => s.receive(pkt));
          return;
        }
      }
    }
    this.port.lower.transmit(pkt);
  }
}
