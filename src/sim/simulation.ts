/**
 * The discrete-event simulator: a clock in integer nanoseconds, a future event list and a run loop.
 *
 * There is no global instance: every component is handed the Simulation it belongs to. Events at
 * the same time run in the order they were scheduled. `run` can stop at a time bound, after a number
 * of events, when the queue empties, or when a handler calls `stop()`. Each Simulation owns a seeded
 * random source; components draw from their own named stream (see util/rng.ts).
 */

import { Rng } from "../util/rng.js";
import { type EventQueue, HeapEventQueue, type ScheduledEvent } from "./event-queue.js";

export interface SimulationOptions {
  /** Seed for every random draw in the run (default 1). */
  seed?: number;
  /** Future event list implementation (default: heap-js binary heap). */
  queue?: EventQueue;
}

export interface RunOptions {
  /** Run events with time <= until, then set the clock to `until`. */
  until?: number;
  /** Stop after executing this many events. */
  maxEvents?: number;
}

export type RunEnd = "empty" | "until" | "max-events" | "stopped";

export interface RunResult {
  /** Why the run returned. */
  end: RunEnd;
  /** Events executed during this call. */
  executed: number;
}

export class Simulation {
  readonly seed: number;
  private readonly queue: EventQueue;
  private readonly rng: Rng;
  private clock = 0;
  private nextSeq = 0;
  private cancelledInQueue = 0;
  private stopRequested = false;
  /** Events executed since the simulation was created. */
  eventsExecuted = 0;

  constructor(options: SimulationOptions = {}) {
    this.seed = options.seed ?? 1;
    this.queue = options.queue ?? new HeapEventQueue();
    this.rng = new Rng(this.seed);
  }

  /** Current simulation time in integer nanoseconds. */
  get now(): number {
    return this.clock;
  }

  /** Events scheduled and not cancelled. */
  get pending(): number {
    return this.queue.size - this.cancelledInQueue;
  }

  /** Schedule `handler(arg)` at absolute time `time` (integer ns, not in the past). */
  scheduleAt<T>(time: number, handler: (arg: T) => void, arg?: T): ScheduledEvent {
    if (!Number.isSafeInteger(time) || time < this.clock) {
      throw new RangeError(
        `cannot schedule at ${time} ns: time must be an integer >= now (${this.clock} ns)`,
      );
    }
    const event: ScheduledEvent = {
      time,
      seq: this.nextSeq++,
      active: true,
      handler: handler as (arg: unknown) => void,
      arg,
    };
    this.queue.push(event);
    return event;
  }

  /** Schedule `handler(arg)` `delay` nanoseconds from now. */
  scheduleAfter<T>(delay: number, handler: (arg: T) => void, arg?: T): ScheduledEvent {
    return this.scheduleAt(this.clock + delay, handler, arg);
  }

  /** Cancel a scheduled event (O(1)); cancelling twice, or after it ran, does nothing. */
  cancel(event: ScheduledEvent): void {
    if (!event.active) return;
    event.active = false;
    this.cancelledInQueue++;
  }

  /** Ask the running loop to return after the current event. */
  stop(): void {
    this.stopRequested = true;
  }

  /** An independent random stream for a named component; the same name always gives the same stream. */
  random(component: string): Rng {
    return this.rng.stream(component);
  }

  run(options: RunOptions = {}): RunResult {
    const until = options.until ?? Number.POSITIVE_INFINITY;
    const maxEvents = options.maxEvents ?? Number.POSITIVE_INFINITY;
    if (until < this.clock) throw new RangeError(`run until ${until} ns is before now (${this.clock} ns)`);
    this.stopRequested = false;
    let executed = 0;
    const queue = this.queue;
    for (;;) {
      if (executed >= maxEvents) return { end: "max-events", executed };
      const next = queue.peek();
      if (next === undefined) {
        if (until !== Number.POSITIVE_INFINITY) this.clock = until;
        return { end: until === Number.POSITIVE_INFINITY ? "empty" : "until", executed };
      }
      if (next.time > until) {
        this.clock = until;
        return { end: "until", executed };
      }
      queue.pop();
      if (!next.active) {
        this.cancelledInQueue--;
        continue;
      }
      this.clock = next.time;
      next.active = false;
      next.handler(next.arg);
      executed++;
      this.eventsExecuted++;
      if (this.stopRequested) return { end: "stopped", executed };
    }
  }
}
