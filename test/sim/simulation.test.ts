import fc from "fast-check";
import { describe, expect, it } from "vitest";
import { Simulation } from "../../src/sim/simulation.js";
import { formatTime, MILLISECOND, SECOND, seconds } from "../../src/sim/time.js";
import { Timer } from "../../src/sim/timer.js";

describe("Simulation", () => {
  it("runs events in time order and advances the clock to each event's time", () => {
    const sim = new Simulation();
    const seen: Array<[string, number]> = [];
    sim.scheduleAt(30, () => seen.push(["c", sim.now]));
    sim.scheduleAt(10, () => seen.push(["a", sim.now]));
    sim.scheduleAfter(20, () => seen.push(["b", sim.now]));
    expect(sim.pending).toBe(3);
    const r = sim.run();
    expect(seen).toEqual([
      ["a", 10],
      ["b", 20],
      ["c", 30],
    ]);
    expect(r).toEqual({ end: "empty", executed: 3 });
    expect(sim.now).toBe(30);
    expect(sim.pending).toBe(0);
    expect(sim.eventsExecuted).toBe(3);
  });

  it("equal times run in scheduling order, including events scheduled while running", () => {
    fc.assert(
      fc.property(fc.array(fc.integer({ min: 0, max: 5 }), { minLength: 1, maxLength: 200 }), (times) => {
        const sim = new Simulation();
        const order: number[] = [];
        times.forEach((t, i) => {
          sim.scheduleAt(t, (k: number) => order.push(k), i);
        });
        sim.run();
        const expected = times.map((t, i) => [t, i] as const).sort((x, y) => x[0] - y[0] || x[1] - y[1]);
        expect(order).toEqual(expected.map((e) => e[1]));
      }),
    );
    const sim = new Simulation();
    const order: string[] = [];
    sim.scheduleAt(5, () => {
      order.push("first");
      sim.scheduleAt(5, () => order.push("scheduled-during"));
    });
    sim.scheduleAt(5, () => order.push("second"));
    sim.run();
    expect(order).toEqual(["first", "second", "scheduled-during"]);
  });

  it("cancellation is lazy and exact: cancelled events never run and are not counted as pending", () => {
    const sim = new Simulation();
    const ran: number[] = [];
    const handles = [1, 2, 3, 4].map((i) => sim.scheduleAt(i * 10, (k: number) => ran.push(k), i));
    sim.cancel(handles[1]!);
    sim.cancel(handles[1]!); // twice is harmless
    expect(sim.pending).toBe(3);
    sim.run({ until: 15 });
    sim.cancel(handles[0]!); // already ran: no effect on counters
    expect(sim.pending).toBe(2);
    sim.cancel(handles[3]!);
    expect(sim.pending).toBe(1);
    const r = sim.run();
    expect(ran).toEqual([1, 3]);
    expect(r.executed).toBe(1);
    expect(sim.pending).toBe(0);
  });

  it("run({ until }) runs events at exactly `until`, stops before later ones and sets the clock", () => {
    const sim = new Simulation();
    const ran: number[] = [];
    for (const t of [100, 200, 300]) sim.scheduleAt(t, () => ran.push(t));
    expect(sim.run({ until: 200 })).toEqual({ end: "until", executed: 2 });
    expect(sim.now).toBe(200);
    expect(ran).toEqual([100, 200]);
    expect(sim.run({ until: 1000 })).toEqual({ end: "until", executed: 1 });
    expect(sim.now).toBe(1000);
  });

  it("run({ maxEvents }) and stop() end the loop early; a later run continues", () => {
    const sim = new Simulation();
    let count = 0;
    for (let i = 0; i < 10; i++) sim.scheduleAt(i, () => count++);
    expect(sim.run({ maxEvents: 4 })).toEqual({ end: "max-events", executed: 4 });
    expect(count).toBe(4);
    sim.scheduleAt(6, () => sim.stop());
    const r = sim.run();
    expect(r.end).toBe("stopped");
    expect(sim.now).toBe(6);
    expect(sim.run().end).toBe("empty");
    expect(count).toBe(10);
  });

  it("rejects times in the past, non-integers, and run bounds before now", () => {
    const sim = new Simulation();
    sim.scheduleAt(50, () => {});
    sim.run();
    expect(() => sim.scheduleAt(49, () => {})).toThrow(RangeError);
    expect(() => sim.scheduleAfter(0.5, () => {})).toThrow(RangeError);
    expect(() => sim.run({ until: 10 })).toThrow(RangeError);
    expect(sim.pending).toBe(0);
  });

  it("passes the argument to the handler (no closure needed)", () => {
    const sim = new Simulation();
    const got: string[] = [];
    const handler = (s: string) => got.push(s);
    sim.scheduleAfter(1, handler, "x");
    sim.scheduleAfter(2, handler, "y");
    sim.run();
    expect(got).toEqual(["x", "y"]);
  });

  it("is deterministic: the same seed gives the same random draws and event trace", () => {
    const trace = (seed: number) => {
      const sim = new Simulation({ seed });
      const rng = sim.random("jitter");
      const out: string[] = [];
      const tick = (n: number) => {
        out.push(`${sim.now}:${n}`);
        if (n < 50) sim.scheduleAfter(rng.int(0, 1000), tick, n + 1);
      };
      sim.scheduleAt(0, tick, 0);
      sim.run();
      return out.join(",");
    };
    expect(trace(5)).toBe(trace(5));
    expect(trace(5)).not.toBe(trace(6));
  });
});

describe("Timer", () => {
  it("re-arming replaces the previous expiry; cancel stops it", () => {
    const sim = new Simulation();
    const fired: number[] = [];
    const t = new Timer(sim, () => fired.push(sim.now));
    t.setAfter(100);
    t.setAfter(300); // re-arm: only the second counts
    expect(t.expires).toBe(300);
    sim.run({ until: 200 });
    expect(fired).toEqual([]);
    sim.run();
    expect(fired).toEqual([300]);
    expect(t.armed).toBe(false);
    t.setAt(400);
    t.cancel();
    sim.run();
    expect(fired).toEqual([300]);
    expect(sim.pending).toBe(0);
  });
});

describe("time helpers", () => {
  it("convert and print exactly", () => {
    expect(seconds(0.2)).toBe(200 * MILLISECOND);
    expect(formatTime(3 * SECOND + 5)).toBe("3.000000005");
    expect(formatTime(2 ** 53 - 1)).toBe("9007199.254740991");
  });
});
