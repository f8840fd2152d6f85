/**
 * Error text and exit codes of ip, bridge, sysctl and ping, replayed from a Linux transcript
 * (test/fixtures/linux/kernel/ip-errors.txt, made by make-kernel-fixtures.sh): every command in
 * the same order, the same lines on the terminal, the same exit status.
 */

import { mkdtempSync, readFileSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, describe, expect, it } from "vitest";
import { runScenario } from "../../src/scenario/runner.js";
import { readTranscript, type Step } from "../helpers/transcript.js";

const tmp = mkdtempSync(join(tmpdir(), "dockwire-errors-"));
afterAll(() => rmSync(tmp, { recursive: true, force: true }));
const fixture = readFileSync(new URL("../fixtures/linux/kernel/ip-errors.txt", import.meta.url), "utf8");
const steps = readTranscript(fixture);

describe("command errors as on Linux (ip-errors.txt)", () => {
  it("the transcript has every step with its exit status", () => {
    expect(steps.length).toBeGreaterThan(20);
    for (const s of steps) expect(s.exit, s.command).toBeGreaterThanOrEqual(0);
  });

  it.each(steps.map((s, i) => [i + 1, s.command, i] as const))("%i: %s", (_n, command, i) => {
    // Everything before runs as in the transcript (allowed to fail); this line runs on its own.
    const before = steps.slice(0, i).map((s) => `${s.command} || true`);
    const printed: string[] = [];
    const r = runScenario([...before, command].join("\n"), {
      seed: 1,
      outDir: join(tmp, String(i)),
      pcapng: false,
      application: "dockwire test",
      print: (l) => printed.push(l),
    });
    const step = steps[i] as Step;
    const own = printed
      .slice(printed.lastIndexOf(`$ ${command}`) + 1)
      .filter((l) => !l.startsWith("dockwire: line")); // the runner's own note on stopping
    expect(own).toEqual(step.output);
    expect(r.exit).toBe(step.exit);
  });
});
