/**
 * 802.1Q VLAN sub-interfaces (net/8021q: vlan_dev.c, vlan_core.c): `eth0.50` on `eth0` sends its
 * frames with a tag (TPID 0x8100, VLAN id 50, priority 0) inserted after the MAC addresses, and
 * receives the frames tagged with its id, untagged; untagged frames stay with the lower device's
 * stack, frames of other VLANs are dropped unless a sub-interface wants them. It has the lower
 * device's MAC. Deviations: no priority mapping, no reorder_hdr off, no QinQ (0x88a8).
 */

import { put16, u16 } from "../util/bytes.js";
import type { NetDevice } from "./net-device.js";
import type { Packet } from "./packet.js";
import { LowerPort, StackedDevice } from "./stacked-device.js";

const TPID_8021Q = 0x8100;

export class VlanPort extends LowerPort<Vlan> {
  protected childFor(): Vlan | undefined {
    return undefined;
  }

  protected override receive(dev: NetDevice, pkt: Packet): void {
    const b = pkt.buf;
    const o = pkt.head;
    if (pkt.length < 18 || u16(b, o + 12) !== TPID_8021Q) {
      this.stack?.(dev, pkt);
      return;
    }
    const vid = u16(b, o + 14) & 0x0fff;
    const child = this.children.find((c) => c.vlanId === vid);
    if (!child) return; // a VLAN nobody here is on
    // vlan_untag: the MAC addresses move up over the tag.
    b.copyWithin(o + 4, o, o + 12);
    pkt.pull(4);
    child.receive(pkt);
  }
}

export class Vlan extends StackedDevice {
  readonly kind: string = "vlan";

  constructor(
    name: string,
    ifindex: number,
    readonly port: VlanPort,
    readonly vlanId: number,
  ) {
    super(name, ifindex, port.lower.mac, port.lower, port.children);
    port.children.push(this);
    this.mtu = port.lower.mtu;
  }

  protected transmitFrame(pkt: Packet): void {
    // vlan_insert_tag: make room in front and move the MAC addresses there.
    pkt.push(4);
    const b = pkt.buf;
    const o = pkt.head;
    b.copyWithin(o, o + 4, o + 16);
    put16(b, o + 12, TPID_8021Q);
    put16(b, o + 14, this.vlanId);
    this.lower.transmit(pkt);
  }
}
