/**
 * A small benchmark harness: run a body repeatedly until a time budget is spent, report the best
 * of several rounds (the least disturbed by other load on a shared machine), print a table and
 * write JSON. Figures, not pass/fail: targets are printed beside the measured value.
 */

import { mkdirSync, writeFileSync } from "node:fs";
import { dirname } from "node:path";
import { setFlagsFromString } from "node:v8";
import { runInNewContext } from "node:vm";

export interface BenchResult {
  name: string;
  value: number;
  unit: string;
  /** "higher" or "lower" is better, with the target value the issue sets. */
  target?: { better: "higher" | "lower"; value: number };
  detail?: string;
}

export interface BenchOptions {
  quick: boolean;
}

export function nowNs(): number {
  return Number(process.hrtime.bigint());
}

/**
 * Time `body(iterations)` for growing iteration counts until one round takes `roundMs`, then run
 * `rounds` such rounds and return the fastest nanoseconds per iteration.
 */
/** A full garbage collection (for memory figures), without needing node's --expose-gc flag. */
export function gc(): void {
  setFlagsFromString("--expose-gc");
  (runInNewContext("gc") as () => void)();
}

export function measure(body: (iterations: number) => void, opts: BenchOptions): number {
  const roundNs = (opts.quick ? 20 : 250) * 1e6;
  const rounds = opts.quick ? 2 : 5;
  let n = 1;
  for (;;) {
    const t0 = nowNs();
    body(n);
    const dt = nowNs() - t0;
    if (dt >= roundNs / 4 || n >= 2 ** 30) {
      n = Math.max(1, Math.round((n * roundNs) / Math.max(dt, 1)));
      break;
    }
    n *= 4;
  }
  let best = Number.POSITIVE_INFINITY;
  for (let r = 0; r < rounds; r++) {
    const t0 = nowNs();
    body(n);
    best = Math.min(best, (nowNs() - t0) / n);
  }
  return best;
}

function meets(r: BenchResult): string {
  if (!r.target) return "";
  const ok = r.target.better === "higher" ? r.value >= r.target.value : r.value <= r.target.value;
  return `${r.target.better === "higher" ? ">=" : "<="} ${fmt(r.target.value)} ${ok ? "met" : "NOT MET"}`;
}

function fmt(v: number): string {
  if (v >= 1e6) return `${(v / 1e6).toFixed(2)} M`;
  if (v >= 1e4) return `${(v / 1e3).toFixed(1)} k`;
  return v >= 100 ? v.toFixed(0) : v.toFixed(2);
}

export function report(results: BenchResult[], jsonPath: string): void {
  const rows = results.map((r) => [r.name, `${fmt(r.value)} ${r.unit}`, meets(r), r.detail ?? ""]);
  const widths = [0, 1, 2].map((i) => Math.max(...rows.map((row) => row[i]!.length), 8));
  const line = (row: string[]) =>
    row
      .map((c, i) => (i < 3 ? c.padEnd(widths[i]!) : c))
      .join("  ")
      .trimEnd();
  console.log(line(["benchmark", "result", "target", "notes"]));
  for (const row of rows) console.log(line(row));
  mkdirSync(dirname(jsonPath), { recursive: true });
  const meta = { node: process.version, platform: `${process.platform}-${process.arch}` };
  writeFileSync(jsonPath, `${JSON.stringify({ ...meta, results }, null, 2)}\n`);
  console.log(`\nwrote ${jsonPath}`);
}
