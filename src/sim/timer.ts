/**
 * A restartable one-shot timer, the shape of the kernel's timer_list (mod_timer / del_timer):
 * protocol code keeps one Timer per purpose (retransmit, delayed ACK, ARP probe) and re-arms it,
 * instead of juggling event handles.
 */

import type { ScheduledEvent } from "./event-queue.js";
import type { Simulation } from "./simulation.js";

export class Timer {
  private event: ScheduledEvent | undefined;
  private readonly fire = (): void => {
    this.event = undefined;
    this.callback();
  };

  constructor(
    private readonly sim: Simulation,
    private readonly callback: () => void,
  ) {}

  /** Arm (or re-arm) to fire at absolute time `time`. */
  setAt(time: number): void {
    this.cancel();
    this.event = this.sim.scheduleAt(time, this.fire);
  }

  /** Arm (or re-arm) to fire `delay` ns from now. */
  setAfter(delay: number): void {
    this.setAt(this.sim.now + delay);
  }

  cancel(): void {
    if (this.event) this.sim.cancel(this.event);
    this.event = undefined;
  }

  get armed(): boolean {
    return this.event !== undefined;
  }

  /** Expiry time, or undefined when not armed. */
  get expires(): number | undefined {
    return this.event?.time;
  }
}
