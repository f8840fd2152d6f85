/**
 * The loopback device (drivers/net/loopback.c): what it sends, it receives, in a later event at
 * the same instant. MTU 65536, MAC 00:00:00:00:00:00, as `ip link show lo` reports. A capture
 * sees each looped frame once, going out.
 */

import type { Simulation } from "../sim/simulation.js";
import { NetDevice } from "./net-device.js";
import type { Packet } from "./packet.js";

export class Loopback extends NetDevice {
  /** loopback_setup leaves min_mtu/max_mtu at 0: any MTU goes. */
  override readonly minMtu = 0;
  override readonly maxMtu = 0;
  readonly kind = "loopback";
  protected override tapsSeeReceived = false;
  private readonly loop = (pkt: Packet) => this.receive(pkt);

  constructor(
    private readonly sim: Simulation,
    ifindex = 1,
  ) {
    super("lo", ifindex, 0);
    this.mtu = 65536;
  }

  protected transmitFrame(pkt: Packet): void {
    this.sim.scheduleAfter(0, this.loop, pkt);
  }
}
