/**
 * The dummy device (drivers/net/dummy.c): it takes frames and drops them, counting nothing back.
 * Useful to hold an address or a route. ARP is off (NOARP), and with no lower device its state is
 * UNKNOWN once up.
 */

import { NetDevice } from "./net-device.js";
import type { Packet } from "./packet.js";

export class Dummy extends NetDevice {
  readonly kind = "dummy";
  override readonly noArp = true;
  override readonly minMtu = 0;
  override readonly maxMtu = 0;

  protected transmitFrame(_pkt: Packet): void {}
}
