/**
 * Devices stacked on a lower device (macvlan, ipvlan): the lower device's receive handler is taken
 * over (netdev_rx_handler_register) — broadcast and multicast go to every child and to the lower
 * device's own stack, a unicast frame to the child it is for, anything else to the stack — and a
 * child carries traffic only while both it and its lower device are up.
 */

import { u48 } from "../util/bytes.js";
import { isMulticastMac } from "../util/mac-address.js";
import { NetDevice, type RxHandler } from "./net-device.js";
import type { Packet } from "./packet.js";

export abstract class LowerPort<C extends StackedDevice> {
  readonly children: C[] = [];
  protected readonly stack: RxHandler | undefined;

  constructor(readonly lower: NetDevice) {
    this.stack = lower.rxHandler;
    lower.rxHandler = (dev, pkt) => this.receive(dev, pkt);
  }

  /** The child a unicast frame is for, if any. */
  protected abstract childFor(pkt: Packet): C | undefined;

  protected receive(dev: NetDevice, pkt: Packet): void {
    if (isMulticastMac(u48(pkt.buf, pkt.head))) {
      for (const c of this.children) c.receive(pkt.copy());
      this.stack?.(dev, pkt);
      return;
    }
    const child = this.childFor(pkt);
    if (child) child.receive(pkt);
    else this.stack?.(dev, pkt);
  }
}

export abstract class StackedDevice extends NetDevice {
  /** `siblings`: the port's children, this one added by the subclass. */
  constructor(
    name: string,
    ifindex: number,
    mac: number,
    readonly lower: NetDevice,
    private readonly siblings: StackedDevice[],
  ) {
    super(name, ifindex, mac);
  }

  override get running(): boolean {
    return this.up && this.lower.running;
  }

  /** Leave the lower device (the child is deleted). */
  detach(): void {
    const i = this.siblings.indexOf(this);
    if (i >= 0) this.siblings.splice(i, 1);
  }
}
