/**
 * IPv6 multicast group membership of one namespace's devices and the MLDv2 reports it sends
 * (net/ipv6/mcast.c). A device's groups are kept newest first, each with a user count (a
 * solicited-node group serves every address that maps to it). Joining a group schedules a
 * state-change report two jiffies later listing every reportable group as CHANGE_TO_EXCLUDE,
 * repeated once (robustness 2) at a random time within mldv2_unsolicited_report_interval;
 * leaving one reports it as CHANGE_TO_INCLUDE the same way. When a device's first link-local
 * address finishes DAD the initial report goes out at once and once more later
 * (ipv6_mc_dad_complete). ff02::1 and interface-local groups are never reported.
 *
 * Deviations: no querier handling (queries are ignored), no source filters, MLDv1 never used;
 * which groups a join's report lists follows what Linux 6.18 was seen sending, not mcast.c's
 * per-group retransmit counters.
 */

import { Packet } from "../link/packet.js";
import type { ScheduledEvent } from "../sim/event-queue.js";
import type { Simulation } from "../sim/simulation.js";
import { MILLISECOND } from "../sim/time.js";
import type { Rng } from "../util/rng.js";
import { emitIcmpv6, MLDV2_LISTENER_REPORT } from "../wire/icmpv6.js";
import { sameAddress } from "./route6-table.js";

const MLD2_CHANGE_TO_INCLUDE = 3;
const MLD2_CHANGE_TO_EXCLUDE = 4;
/** Two jiffies at HZ=250: the delay before a state-change report (mld_ifc_start_work). */
const IFC_DELAY = 8 * MILLISECOND;
/** Robustness variable: each report is sent this many times. */
const QRV = 2;
/** ff02::16, where MLDv2 reports go. */
export const ALL_MLDV2_ROUTERS = Uint8Array.of(0xff, 2, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0x16);

export interface McGroup {
  address: Uint8Array;
  users: number;
}

/** What MLD asks of the IPv6 layer. */
export interface MldIo {
  /** The report's source: the device's valid link-local address, else `::`. */
  reportSource(ifindex: number): Uint8Array;
  /** Send an MLD message (ICMPv6 body in `pkt`) from `src` to ff02::16, hop limit 1, router alert. */
  sendReport(ifindex: number, pkt: Packet, src: Uint8Array): void;
  /** mldv2_unsolicited_report_interval of the device, in ns. */
  reportInterval(ifindex: number): number;
}

interface DeviceState {
  groups: McGroup[];
  /** Reports of the full group list still to send. */
  joinReports: number;
  /** Left groups still to report, with how many more times. */
  left: { address: Uint8Array; times: number }[];
  timer: ScheduledEvent | undefined;
  timerAt: number;
}

/** Is the group reported at all (not ff02::1, not interface-local)? */
function reportable(a: Uint8Array): boolean {
  const scope = (a[1] as number) & 0x0f;
  if (scope <= 1) return false;
  return !(scope === 2 && a[15] === 1 && a.subarray(2, 15).every((b) => b === 0));
}

export class Mld {
  private readonly devices = new Map<number, DeviceState>();

  constructor(
    private readonly sim: Simulation,
    private readonly rng: Rng,
    private readonly io: MldIo,
  ) {}

  /** A device's groups, newest first. */
  groups(ifindex: number): readonly McGroup[] {
    return this.devices.get(ifindex)?.groups ?? [];
  }

  /** Has the device joined the group at `buf`/`off`? (the receive path's multicast filter) */
  isMember(ifindex: number, buf: Uint8Array, off: number): boolean {
    const groups = this.devices.get(ifindex)?.groups;
    if (!groups) return false;
    outer: for (const g of groups) {
      for (let i = 15; i >= 0; i--) if (g.address[i] !== buf[off + i]) continue outer;
      return true;
    }
    return false;
  }

  join(ifindex: number, address: Uint8Array): void {
    const d = this.state(ifindex);
    const g = d.groups.find((x) => sameAddress(x.address, address));
    if (g) {
      g.users++;
      return;
    }
    d.groups.unshift({ address, users: 1 });
    d.left = d.left.filter((l) => !sameAddress(l.address, address));
    if (!reportable(address)) return;
    d.joinReports = QRV;
    this.schedule(ifindex, d, IFC_DELAY);
  }

  leave(ifindex: number, address: Uint8Array): void {
    const d = this.devices.get(ifindex);
    const g = d?.groups.find((x) => sameAddress(x.address, address));
    if (!d || !g) return;
    if (--g.users > 0) return;
    d.groups.splice(d.groups.indexOf(g), 1);
    if (!reportable(address)) return;
    d.left.push({ address, times: QRV });
    this.schedule(ifindex, d, IFC_DELAY);
  }

  /** The first link-local address of the device is valid: the initial report, now and once more. */
  dadComplete(ifindex: number): void {
    const d = this.state(ifindex);
    this.send(ifindex, d, true);
    d.joinReports = QRV - 1;
    this.schedule(ifindex, d, IFC_DELAY + this.randomInterval(ifindex));
  }

  /** The device stops doing IPv6 (down, disabled, gone): every group and pending report is dropped. */
  flush(ifindex: number): void {
    const d = this.devices.get(ifindex);
    if (d?.timer) this.sim.cancel(d.timer);
    this.devices.delete(ifindex);
  }

  private state(ifindex: number): DeviceState {
    let d = this.devices.get(ifindex);
    if (!d) {
      d = { groups: [], joinReports: 0, left: [], timer: undefined, timerAt: 0 };
      this.devices.set(ifindex, d);
    }
    return d;
  }

  private randomInterval(ifindex: number): number {
    const interval = this.io.reportInterval(ifindex);
    return interval > 0 ? this.rng.int(0, Math.floor(interval / MILLISECOND) - 1) * MILLISECOND : 0;
  }

  /** Run the device's report timer `delay` from now, unless it already runs sooner. */
  private schedule(ifindex: number, d: DeviceState, delay: number): void {
    const at = this.sim.now + delay;
    if (d.timer?.active && d.timerAt <= at) return;
    if (d.timer) this.sim.cancel(d.timer);
    d.timerAt = at;
    d.timer = this.sim.scheduleAt(at, () => {
      d.timer = undefined;
      const all = d.joinReports > 0;
      if (all) d.joinReports--;
      this.send(ifindex, d, all);
      if (d.joinReports > 0 || d.left.length > 0)
        this.schedule(ifindex, d, IFC_DELAY + this.randomInterval(ifindex));
    });
  }

  /** One report: the left groups (CHANGE_TO_INCLUDE), then with `all` every group (CHANGE_TO_EXCLUDE). */
  private send(ifindex: number, d: DeviceState, all: boolean): void {
    const records: [number, Uint8Array][] = [];
    for (const l of d.left) records.push([MLD2_CHANGE_TO_INCLUDE, l.address]);
    for (const l of d.left) l.times--;
    d.left = d.left.filter((l) => l.times > 0);
    if (all)
      for (const g of d.groups) if (reportable(g.address)) records.push([MLD2_CHANGE_TO_EXCLUDE, g.address]);
    if (records.length === 0) return;
    const pkt = Packet.alloc(8 + 20 * records.length);
    const b = pkt.buf;
    records.forEach(([type, address], i) => {
      const at = pkt.head + 8 + 20 * i;
      b[at] = type;
      b.set(address, at + 4);
    });
    const src = this.io.reportSource(ifindex);
    emitIcmpv6(
      { type: MLDV2_LISTENER_REPORT, code: 0, rest: records.length },
      b,
      pkt.head,
      20 * records.length,
      src,
      ALL_MLDV2_ROUTERS,
    );
    this.io.sendReport(ifindex, pkt, src);
  }
}
