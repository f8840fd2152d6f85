/**
 * The IPv4 neighbour table (ARP) with Linux's NUD state machine (net/core/neighbour.c,
 * net/ipv4/arp.c): INCOMPLETE while a broadcast request is outstanding (packets wait in a bounded
 * queue), REACHABLE for a random 15–45 s after a confirmation, STALE after that, DELAY for
 * `delay_first_probe_time` when a stale entry is used, then PROBE with unicast requests, FAILED
 * when no answer comes (queued packets get "host unreachable"). Requests *received* for one of our
 * addresses create or refresh the sender's entry as STALE; PERMANENT entries never change.
 *
 * The table does no I/O itself: the IPv4 layer hands it an `ArpIo` that sends requests, transmits
 * resolved packets and reports packets that could not be delivered. Deviations: no garbage
 * collection of unused entries (gc_thresh), no proxy ARP, no locktime.
 */

import type { Simulation } from "../sim/simulation.js";
import { SECOND } from "../sim/time.js";
import { Timer } from "../sim/timer.js";
import type { Rng } from "../util/rng.js";

export type NudState = "INCOMPLETE" | "REACHABLE" | "STALE" | "DELAY" | "PROBE" | "FAILED" | "PERMANENT";

/** net.ipv4.neigh.<dev>.* values the state machine reads (times in ns). */
export interface NeighParams {
  baseReachableTime: number;
  delayFirstProbeTime: number;
  retransTime: number;
  ucastSolicit: number;
  mcastSolicit: number;
  /** Bytes of packets that may wait for resolution per entry (unres_qlen_bytes). */
  unresQlenBytes: number;
}

export const NEIGH_DEFAULTS: NeighParams = {
  baseReachableTime: 30 * SECOND,
  delayFirstProbeTime: 5 * SECOND,
  retransTime: 1 * SECOND,
  ucastSolicit: 3,
  mcastSolicit: 3,
  unresQlenBytes: 212992,
};

/** What the table asks of the IPv4 layer; `P` is the packet type waiting for resolution. */
export interface ArpIo<P> {
  /** Send an ARP request for `target`; `unicastMac` for a unicast probe, undefined for broadcast. */
  sendRequest(ifindex: number, target: number, unicastMac: number | undefined): void;
  /** Hand a packet whose next hop is now resolved to the device, addressed to `mac`. */
  transmit(ifindex: number, pkt: P, mac: number): void;
  /** A waiting packet whose neighbour failed (the IP layer answers with ICMP host unreachable). */
  unreachable(ifindex: number, pkt: P): void;
  /** The size of a waiting packet in bytes, for the queue bound. */
  size(pkt: P): number;
}

export class Neighbour<P> {
  state: NudState = "INCOMPLETE";
  mac = 0;
  /** Last confirmation (reply received or static add). */
  confirmed = 0;
  /** Last time a packet was sent through this entry. */
  used = 0;
  /** State changes and lookups update this, for `ip neigh` display. */
  updated = 0;
  probes = 0;
  /** IPv6: the neighbour said it is a router (NTF_ROUTER, from a neighbour advertisement). */
  router = false;
  readonly queue: P[] = [];
  queuedBytes = 0;
  readonly timer: Timer;

  constructor(
    readonly ifindex: number,
    readonly ip: number,
    sim: Simulation,
    onTimer: (n: Neighbour<P>) => void,
  ) {
    this.timer = new Timer(sim, () => onTimer(this));
  }
}

export class NeighbourTable<P> {
  /** Keyed by ifindex * 2^32 + IPv4 address: one number, no strings. */
  private readonly entries = new Map<number, Neighbour<P>>();
  /** Per device: the current random reachable time, when it was drawn and from which base. */
  private readonly reachable = new Map<number, { time: number; drawnAt: number; base: number }>();

  /** `paramsFor(ifindex)` gives a device's net.ipv4.neigh.DEV.* values. */
  constructor(
    private readonly sim: Simulation,
    private readonly rng: Rng,
    private readonly io: ArpIo<P>,
    public paramsFor: (ifindex: number) => NeighParams = () => NEIGH_DEFAULTS,
  ) {}

  get(ifindex: number, ip: number): Neighbour<P> | undefined {
    return this.entries.get(ifindex * 0x100000000 + ip);
  }

  /** Entries in creation order (for `ip neigh show`). */
  list(): Neighbour<P>[] {
    return [...this.entries.values()];
  }

  /** Send `pkt` to next hop `ip` on `ifindex`, resolving it first if needed (neigh_resolve_output). */
  output(ifindex: number, ip: number, pkt: P): void {
    const now = this.sim.now;
    let n = this.get(ifindex, ip);
    if (n === undefined || n.state === "FAILED") {
      n ??= this.create(ifindex, ip);
      this.enter(n, "INCOMPLETE");
      n.probes = 1;
      n.used = now;
      // Queued first: an IPv6 solicitation takes its source from the waiting packet.
      this.enqueue(n, pkt);
      this.io.sendRequest(ifindex, ip, undefined);
      n.timer.setAfter(this.paramsFor(ifindex).retransTime);
      return;
    }
    n.used = now;
    switch (n.state) {
      case "INCOMPLETE":
        this.enqueue(n, pkt);
        return;
      case "STALE":
        this.enter(n, "DELAY");
        n.timer.setAfter(this.paramsFor(ifindex).delayFirstProbeTime);
        break;
      default:
        break;
    }
    this.io.transmit(ifindex, pkt, n.mac);
  }

  /** An ARP reply (or a request answered to us) confirms `ip` is at `mac` (neigh_update, REACHABLE). */
  confirm(ifindex: number, ip: number, mac: number): void {
    const n = this.get(ifindex, ip);
    if (n === undefined || n.state === "PERMANENT") return; // arp_accept=0: no entry from unsolicited replies
    n.mac = mac;
    n.confirmed = this.sim.now;
    this.enter(n, "REACHABLE");
    n.timer.setAfter(this.currentReachableTime(n.ifindex));
    this.flush(n);
  }

  /**
   * A request from `ip`/`mac` asking for one of our addresses (neigh_event_ns): the sender's entry
   * becomes STALE — unless it already holds that MAC and is reachable, which it keeps.
   */
  heardRequest(ifindex: number, ip: number, mac: number): void {
    let n = this.get(ifindex, ip);
    if (n?.state === "PERMANENT") return;
    if (n && n.mac === mac && n.state !== "INCOMPLETE" && n.state !== "FAILED") return;
    n ??= this.create(ifindex, ip);
    n.mac = mac;
    n.timer.cancel();
    this.enter(n, "STALE");
    this.flush(n);
  }

  /** `ip neigh add/replace IP lladdr MAC dev DEV` (permanent). */
  addPermanent(ifindex: number, ip: number, mac: number): void {
    const n = this.get(ifindex, ip) ?? this.create(ifindex, ip);
    n.mac = mac;
    n.timer.cancel();
    this.enter(n, "PERMANENT");
    this.flush(n);
  }

  delete(ifindex: number, ip: number): boolean {
    const n = this.get(ifindex, ip);
    if (!n) return false;
    n.timer.cancel();
    this.entries.delete(ifindex * 0x100000000 + ip);
    return true;
  }

  /** Forget every non-permanent entry on a device (link down, `ip neigh flush dev`). */
  flushDevice(ifindex: number, includePermanent = false): void {
    for (const n of this.list()) {
      if (n.ifindex === ifindex && (includePermanent || n.state !== "PERMANENT"))
        this.delete(n.ifindex, n.ip);
    }
  }

  private create(ifindex: number, ip: number): Neighbour<P> {
    const n = new Neighbour<P>(ifindex, ip, this.sim, (e) => this.timerFired(e));
    this.entries.set(ifindex * 0x100000000 + ip, n);
    return n;
  }

  private enter(n: Neighbour<P>, state: NudState): void {
    n.state = state;
    n.updated = this.sim.now;
  }

  private enqueue(n: Neighbour<P>, pkt: P): void {
    n.queue.push(pkt);
    n.queuedBytes += this.io.size(pkt);
    // Over the byte limit, the oldest waiting packets are dropped (__neigh_event_send).
    while (n.queuedBytes > this.paramsFor(n.ifindex).unresQlenBytes && n.queue.length > 1) {
      n.queuedBytes -= this.io.size(n.queue.shift() as P);
    }
  }

  private flush(n: Neighbour<P>): void {
    const waiting = n.queue.splice(0);
    n.queuedBytes = 0;
    for (const pkt of waiting) this.io.transmit(n.ifindex, pkt, n.mac);
  }

  /** neigh_timer_handler. */
  private timerFired(n: Neighbour<P>): void {
    const now = this.sim.now;
    const p = this.paramsFor(n.ifindex);
    switch (n.state) {
      case "REACHABLE":
        if (now < n.confirmed + this.currentReachableTime(n.ifindex)) {
          n.timer.setAt(n.confirmed + this.currentReachableTime(n.ifindex));
        } else if (now < n.used + p.delayFirstProbeTime) {
          this.enter(n, "DELAY");
          n.timer.setAt(n.used + p.delayFirstProbeTime);
        } else {
          this.enter(n, "STALE");
        }
        return;
      case "DELAY":
        if (now < n.confirmed + p.delayFirstProbeTime) {
          this.enter(n, "REACHABLE");
          n.timer.setAt(n.confirmed + this.currentReachableTime(n.ifindex));
        } else {
          this.enter(n, "PROBE");
          n.probes = 1;
          this.io.sendRequest(n.ifindex, n.ip, n.mac);
          n.timer.setAfter(p.retransTime);
        }
        return;
      case "INCOMPLETE":
      case "PROBE": {
        const max = n.state === "INCOMPLETE" ? p.mcastSolicit : p.ucastSolicit;
        if (n.probes >= max) {
          this.enter(n, "FAILED");
          const lost = n.queue.splice(0);
          n.queuedBytes = 0;
          for (const pkt of lost) this.io.unreachable(n.ifindex, pkt);
          return;
        }
        n.probes++;
        this.io.sendRequest(n.ifindex, n.ip, n.state === "PROBE" ? n.mac : undefined);
        n.timer.setAfter(p.retransTime);
        return;
      }
      default:
        return;
    }
  }

  /** Linux re-draws a device's reachable_time (uniform in [base/2, 3·base/2]) every 300 s. */
  private currentReachableTime(ifindex: number): number {
    const base = this.paramsFor(ifindex).baseReachableTime;
    const r = this.reachable.get(ifindex);
    if (r && r.base === base && this.sim.now - r.drawnAt < 300 * SECOND) return r.time;
    // Drawn in microseconds: the range in nanoseconds exceeds one 32-bit draw.
    const time = Math.floor(base / 2) + this.rng.int(0, Math.max(0, Math.floor(base / 1000) - 1)) * 1000;
    this.reachable.set(ifindex, { time, drawnAt: this.sim.now, base });
    return time;
  }
}
