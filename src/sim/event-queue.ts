/**
 * The future event list of the simulator, behind an interface so the implementation can change.
 *
 * Ordering is by time, then by scheduling sequence number, so events scheduled for the same
 * nanosecond run in the order they were scheduled (what makes a run deterministic). Cancellation
 * is lazy: a cancelled event stays in the queue, inactive, and is skipped when it surfaces,
 * which makes cancel O(1).
 */

import { Heap } from "heap-js";

/** One scheduled event. Also the handle returned to the scheduler, used to cancel it. */
export interface ScheduledEvent {
  /** Simulation time in integer nanoseconds. */
  readonly time: number;
  /** Scheduling order; breaks ties between equal times. */
  readonly seq: number;
  /** True while the event waits to fire; false once cancelled or fired. */
  active: boolean;
  /** Called with `arg` when the event fires; passing an argument avoids allocating a closure. */
  readonly handler: (arg: unknown) => void;
  readonly arg: unknown;
}

export interface EventQueue {
  readonly size: number;
  push(event: ScheduledEvent): void;
  /** Earliest event, or undefined when empty. */
  peek(): ScheduledEvent | undefined;
  pop(): ScheduledEvent | undefined;
}

function earlierFirst(a: ScheduledEvent, b: ScheduledEvent): number {
  return a.time - b.time || a.seq - b.seq;
}

/** Binary heap from heap-js. */
export class HeapEventQueue implements EventQueue {
  private readonly heap = new Heap<ScheduledEvent>(earlierFirst);

  get size(): number {
    return this.heap.length;
  }
  push(event: ScheduledEvent): void {
    this.heap.push(event);
  }
  peek(): ScheduledEvent | undefined {
    return this.heap.peek();
  }
  pop(): ScheduledEvent | undefined {
    return this.heap.pop();
  }
}
