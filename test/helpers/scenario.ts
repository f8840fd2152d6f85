/** Run scenario text as the CLI would (seed 1 unless given) and collect what it printed. */

import { runScenario, type ScenarioResult } from "../../src/scenario/runner.js";

export function runLines(
  text: string,
  outDir: string,
  seed = 1,
): { lines: string[]; result: ScenarioResult } {
  const lines: string[] = [];
  const result = runScenario(text, {
    seed,
    outDir,
    pcapng: false,
    application: "test",
    print: (l) => lines.push(l),
  });
  return { lines, result };
}
