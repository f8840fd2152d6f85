/**
 * `npm run bench` (`--quick` for CI): runs every benchmark, prints a table and writes
 * bench/results/latest.json. Figures depend on the machine; compare runs on the same one.
 */

import { benchCapture } from "./capture.bench.js";
import { benchChecksum } from "./checksum.bench.js";
import { benchEventQueue } from "./event-queue.bench.js";
import type { BenchResult } from "./harness.js";
import { report } from "./harness.js";
import { benchWire } from "./wire.bench.js";

const quick = process.argv.includes("--quick");
const opts = { quick };
const results: BenchResult[] = [
  ...benchEventQueue(opts),
  ...benchWire(opts),
  ...benchChecksum(opts),
  ...benchCapture(opts),
];
report(results, new URL("../../bench/results/latest.json", import.meta.url).pathname);
