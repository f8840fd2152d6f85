/**
 * A restartable one-shot timer, the shape of the kernel's timer_list (mod_timer / del_timer):
 * protocol code keeps one Timer per purpose (retransmit, delayed ACK, ARP probe) and re-arms it,
 * instead of juggling event handles.
 */

import type { ScheduledEvent } from "./event-queue.js";
import type { Simulation } from "./simulation.js";

export class Timer {
  private event: ScheduledEvent | undefined;
  /** When the timer is due; the pending event may be earlier (re-armed later without a new event). */
  private due = -1;
  private readonly fire = (): void => {
    this.event = undefined;
    if (this.due > this.sim.now) {
      // Pushed back since the event was queued: wait on (one event per expiry, not per re-arm).
      this.event = this.sim.scheduleAt(this.due, this.fire);
      return;
    }
    this.due = -1;
    this.callback();
  };

  constructor(
    private readonly sim: Simulation,
    private readonly callback: () => void,
  ) {}

  /**
   * Arm (or re-arm) to fire at absolute time `time`. Moving an armed timer later only records the
   * new time (a retransmission timer is pushed back on every ACK); moving it earlier reschedules.
   */
  setAt(time: number): void {
    if (this.event && this.event.time <= time) {
      this.due = time;
      return;
    }
    this.cancel();
    this.due = time;
    this.event = this.sim.scheduleAt(time, this.fire);
  }

  /** Arm (or re-arm) to fire `delay` ns from now. */
  setAfter(delay: number): void {
    this.setAt(this.sim.now + delay);
  }

  cancel(): void {
    if (this.event) this.sim.cancel(this.event);
    this.event = undefined;
    this.due = -1;
  }

  get armed(): boolean {
    return this.event !== undefined;
  }

  /** Expiry time, or undefined when not armed. */
  get expires(): number | undefined {
    return this.event ? this.due : undefined;
  }
}
