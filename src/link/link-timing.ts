/**
 * One direction of a link: propagation latency, serialisation at a bandwidth, a transmit queue of
 * bounded length (tail drop, like pfifo_fast with txqueuelen) and random loss (like netem loss).
 * The defaults make a veth behave as Linux's does: no loss, no queueing, effectively instant
 * (delivered in a later event at the same nanosecond, as netif_rx defers to the backlog).
 *
 * No allocation per packet: the serialisation end times of queued packets sit in a ring buffer.
 */

import type { Simulation } from "../sim/simulation.js";
import type { Rng } from "../util/rng.js";
import type { Packet } from "./packet.js";

export interface LinkParams {
  /** One-way propagation delay in ns. */
  latency: number;
  /** Bits per second; 0 means unlimited (no serialisation delay, no queue). */
  bandwidth: number;
  /** Packets that may wait for the wire (txqueuelen); more are dropped. */
  queueLength: number;
  /** Probability in [0, 1) that a packet is lost. */
  loss: number;
}

export const VETH_DEFAULTS: LinkParams = { latency: 0, bandwidth: 0, queueLength: 1000, loss: 0 };

export interface LinkCounters {
  sent: number;
  delivered: number;
  droppedQueue: number;
  droppedLoss: number;
}

export class LinkDirection {
  readonly counters: LinkCounters = { sent: 0, delivered: 0, droppedQueue: 0, droppedLoss: 0 };
  /** Serialisation end times of packets not yet fully on the wire, oldest first (a ring). */
  private ends: Float64Array;
  private first = 0;
  private count = 0;
  private readonly arrive: (pkt: Packet) => void;

  constructor(
    private readonly sim: Simulation,
    public params: LinkParams,
    private readonly rng: Rng,
    deliver: (pkt: Packet) => void,
  ) {
    this.ends = new Float64Array(Math.max(1, params.queueLength + 1));
    this.arrive = (pkt: Packet) => {
      this.counters.delivered++;
      deliver(pkt);
    };
  }

  /** New parameters (`tc qdisc ... netem`); packets already in flight keep their times. */
  setParams(params: LinkParams): void {
    if (params.queueLength + 1 > this.ends.length) {
      const ends = new Float64Array(params.queueLength + 1);
      for (let i = 0; i < this.count; i++) ends[i] = this.ends[(this.first + i) % this.ends.length] as number;
      this.ends = ends;
      this.first = 0;
    }
    this.params = { ...params };
  }

  send(pkt: Packet): void {
    this.counters.sent++;
    const now = this.sim.now;
    const p = this.params;
    let leaves = now;
    if (p.bandwidth > 0) {
      const ends = this.ends;
      while (this.count > 0 && (ends[this.first] as number) <= now) {
        this.first = (this.first + 1) % ends.length;
        this.count--;
      }
      // One packet may be on the wire while queueLength others wait.
      if (this.count > p.queueLength) {
        this.counters.droppedQueue++;
        return;
      }
      const start = this.count > 0 ? (ends[(this.first + this.count - 1) % ends.length] as number) : now;
      leaves = start + Math.ceil((pkt.length * 8 * 1e9) / p.bandwidth);
      ends[(this.first + this.count) % ends.length] = leaves;
      this.count++;
    }
    if (p.loss > 0 && this.rng.nextFloat() < p.loss) {
      this.counters.droppedLoss++;
      return;
    }
    this.sim.scheduleAt(leaves + p.latency, this.arrive, pkt);
  }
}
