/**
 * `dockwire run FILE`: reads the scenario, runs it, prints the transcript and where the capture
 * files went. Relative capture names land in --out (default: a folder named after the scenario).
 */

import { existsSync, mkdirSync, readFileSync } from "node:fs";
import { basename, extname, resolve } from "node:path";
import { runScenario } from "../scenario/runner.js";

export interface RunScenarioOptions {
  seed: number;
  outDir: string | undefined;
  pcapng: boolean;
  version: string;
  print: (line: string) => void;
  /** Show a progress line on standard error (simulated time reached, events per second). */
  progress?: boolean;
}

/** Returns the process exit status. */
export function runScenarioFile(file: string, opts: RunScenarioOptions): number {
  if (!existsSync(file)) {
    opts.print(`dockwire: ${file}: No such file or directory`);
    return 2;
  }
  const outDir = resolve(opts.outDir ?? `${basename(file, extname(file))}-out`);
  mkdirSync(outDir, { recursive: true });
  const started = Date.now();
  let shown = false;
  const result = runScenario(readFileSync(file, "utf8"), {
    seed: opts.seed,
    outDir,
    pcapng: opts.pcapng,
    application: `dockwire ${opts.version}`,
    print: (line) => {
      if (shown) process.stderr.write("\r\x1b[K");
      shown = false;
      opts.print(line);
    },
    ...(opts.progress
      ? {
          progress: (simNs: number, events: number) => {
            const wall = Math.max(1, Date.now() - started) / 1000;
            const rate = (events / wall / 1e6).toFixed(2);
            process.stderr.write(`\r\x1b[Ksimulated ${(simNs / 1e9).toFixed(3)} s, ${rate} M events/s`);
            shown = true;
          },
        }
      : {}),
  });
  if (shown) process.stderr.write("\r\x1b[K");
  if (result.files.length > 0) {
    opts.print("");
    for (const f of result.files) opts.print(`wrote ${f}`);
  }
  return result.exit;
}
