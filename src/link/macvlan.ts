/**
 * macvlan (drivers/net/macvlan.c): child devices on a lower device, each with a MAC of its own
 * (stacked-device.ts: the lower device's receive handler hands a unicast frame to the child with
 * that MAC). A child sends out through the lower device — except, in bridge mode, to a sibling's
 * MAC, which is delivered directly (and broadcasts reach the siblings too). The lower device's own
 * stack and its children never talk to each other: frames the host sends leave the wire, and none
 * come back. Deviations: no private/vepa/passthru differences beyond "no sibling delivery", no
 * source-MAC filtering.
 */

import type { Simulation } from "../sim/simulation.js";
import { u48 } from "../util/bytes.js";
import { isMulticastMac } from "../util/mac-address.js";
import type { Packet } from "./packet.js";
import { LowerPort, StackedDevice } from "./stacked-device.js";

export type MacvlanMode = "bridge" | "private" | "vepa" | "passthru";

export class MacvlanPort extends LowerPort<Macvlan> {
  protected childFor(pkt: Packet): Macvlan | undefined {
    const dst = u48(pkt.buf, pkt.head);
    return this.children.find((c) => c.mac === dst);
  }
}

export class Macvlan extends StackedDevice {
  readonly kind: string = "macvlan";

  constructor(
    name: string,
    ifindex: number,
    mac: number,
    readonly port: MacvlanPort,
    readonly mode: MacvlanMode,
    private readonly sim: Simulation,
  ) {
    super(name, ifindex, mac, port.lower, port.children);
    port.children.push(this);
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
    this.lower.transmit(pkt);
  }
}
