/**
 * The classic "hold" model for future event lists: keep N events pending; each executed event
 * schedules one more at now + a random delay. Reports executed events per second at several N.
 */

import { Simulation } from "../src/sim/simulation.js";
import { Rng } from "../src/util/rng.js";
import { type BenchOptions, type BenchResult, measure } from "./harness.js";

export function benchEventQueue(opts: BenchOptions): BenchResult[] {
  const results: BenchResult[] = [];
  const rng = new Rng(1);
  const delays = new Uint32Array(65536);
  for (let i = 0; i < delays.length; i++) delays[i] = 1 + rng.int(0, 1_000_000);
  for (const pending of [1, 1_000, 10_000, 100_000]) {
    const sim = new Simulation({ seed: 1 });
    let k = 0;
    const hold = (): void => {
      sim.scheduleAfter(delays[k++ & 65535]!, hold);
    };
    for (let i = 0; i < pending; i++) sim.scheduleAfter(delays[k++ & 65535]!, hold);
    const ns = measure((n) => sim.run({ maxEvents: n }), opts);
    const r: BenchResult = {
      name: `event queue hold, ${pending} pending`,
      value: 1e9 / ns,
      unit: "events/s",
    };
    if (pending === 1_000) r.target = { better: "higher", value: 2_000_000 };
    results.push(r);
  }
  return results;
}
