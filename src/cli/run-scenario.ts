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
}

/** Returns the process exit status. */
export function runScenarioFile(file: string, opts: RunScenarioOptions): number {
  if (!existsSync(file)) {
    opts.print(`dockwire: ${file}: No such file or directory`);
    return 2;
  }
  const outDir = resolve(opts.outDir ?? `${basename(file, extname(file))}-out`);
  mkdirSync(outDir, { recursive: true });
  const result = runScenario(readFileSync(file, "utf8"), {
    seed: opts.seed,
    outDir,
    pcapng: opts.pcapng,
    application: `dockwire ${opts.version}`,
    print: opts.print,
  });
  if (result.files.length > 0) {
    opts.print("");
    for (const f of result.files) opts.print(`wrote ${f}`);
  }
  return result.exit;
}
