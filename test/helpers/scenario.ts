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

/**
 * What each command printed, keyed by the command as written. With `mayFail`, every command runs
 * as `CMD || true` so that a failing one does not stop the rest; `dockwire: line …` notes are
 * left out.
 */
export function outputsByCommand(commands: string[], outDir: string, mayFail = true): Map<string, string[]> {
  const text = commands.map((c) => (mayFail ? `${c} || true` : c)).join("\n");
  const out = new Map<string, string[]>();
  let current: string[] = [];
  for (const l of runLines(text, outDir).lines) {
    if (l.startsWith("$ ")) {
      current = [];
      out.set(mayFail ? l.slice(2).replace(/ \|\| true$/, "") : l.slice(2), current);
    } else if (!l.startsWith("dockwire: line ")) current.push(l);
  }
  return out;
}
