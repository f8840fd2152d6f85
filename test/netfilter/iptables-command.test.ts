/**
 * `iptables`, `iptables-save` and `iptables-restore` against transcripts from iptables 1.8.9
 * (nf_tables) in a fresh namespace (test/fixtures/linux/make-iptables-fixtures.sh): the same
 * commands in the same order give the same output, errors and exit codes.
 */

import { readFileSync } from "node:fs";
import { describe, expect, it } from "vitest";
import {
  runIptables,
  runIptablesRestore,
  runIptablesSave,
  saveText,
} from "../../src/netfilter/iptables-command.js";
import { IptablesState } from "../../src/netfilter/tables.js";
import { readTranscript, type Step } from "../helpers/transcript.js";

const fixture = (name: string) =>
  readFileSync(new URL(`../fixtures/linux/netfilter/${name}`, import.meta.url), "utf8");
const STAMP = "Sun Nov 22 15:25:57 2026";

/** Shell words with backslash escapes (printf %q's quoting). */
function words(command: string): string[] {
  const out: string[] = [];
  let cur = "";
  let any = false;
  for (let i = 0; i < command.length; i++) {
    const c = command[i] as string;
    if (c === "\\") {
      cur += command[++i] ?? "";
      any = true;
    } else if (c === " ") {
      if (any) out.push(cur);
      cur = "";
      any = false;
    } else {
      cur += c;
      any = true;
    }
  }
  if (any) out.push(cur);
  return out;
}

/** Run one transcript command against `state`; output lines and exit status as iptables gives them. */
function run(state: IptablesState, command: string): { output: string[]; exit: number } {
  const [tool, ...args] = words(command);
  const r = tool === "iptables-save" ? runIptablesSave(state, args, STAMP) : runIptables(state, args);
  const output = `${r.stdout}${r.stderr}`.split("\n");
  while (output.at(-1) === "") output.pop();
  return { output, exit: r.exit };
}

/** Replay a transcript from a fresh state: each command's output and exit status, dates aside. */
function replay(file: string): void {
  const steps = readTranscript(fixture(file));
  const state = new IptablesState();
  it.each(steps.map((s, i) => [i + 1, s.command, s] as const))("%i: %s", (_n, command, step) => {
    const r = run(state, command);
    const mask = (l: string) => l.replace(/on \w{3} \w{3} +\d+ [\d:]+ \d{4}$/, "on DATE");
    expect(r.output.map(mask)).toEqual(step.output.map(mask));
    expect(r.exit).toBe(step.exit);
  });
}

describe("iptables as iptables 1.8.9 prints it (iptables-text.txt)", () => replay("iptables-text.txt"));

describe("iptables -C, CONNMARK and -m connmark as iptables 1.8.9 prints them (iptables-check-connmark.txt)", () =>
  replay("iptables-check-connmark.txt"));

describe("iptables-restore of Docker's classic rule set (iptables-restore.txt)", () => {
  const steps = readTranscript(fixture("iptables-restore.txt"));
  const state = new IptablesState();

  it("restores it, and iptables-save gives it back line for line", () => {
    // What the fixture script did first (flushing raw creates that table in nf_tables).
    for (const c of ["-t nat -F", "-t nat -X", "-F", "-X", "-P FORWARD ACCEPT", "-t raw -F"])
      expect(runIptables(state, c.split(" ")).exit).toBe(0);
    const r = runIptablesRestore(state, fixture("docker-classic.rules"), false);
    expect(r.exit).toBe(0);
    for (const step of steps.filter(
      (s) => s.command.startsWith("iptables") && !s.command.startsWith("iptables-restore"),
    )) {
      const out = run(state, step.command);
      const mask = (l: string) => l.replace(/on \w{3} \w{3} +\d+ [\d:]+ \d{4}$/, "on DATE");
      expect(out.output.map(mask), step.command).toEqual(step.output.map(mask));
    }
  });

  it("a file with an error applies nothing and says where", () => {
    const before = saveText(state, false, STAMP);
    const bad = "*filter\n:INPUT ACCEPT [0:0]\n-A INPUT -j ACCEPT\n-A INPUT -j NOPE\nCOMMIT\n";
    const r = runIptablesRestore(state, bad, false);
    const step = steps.find((s) => s.command.startsWith("iptables-restore < bad.rules")) as Step;
    expect(`${r.stderr}`.trimEnd().split("\n")).toEqual(step.output);
    expect(r.exit).toBe(step.exit);
    expect(saveText(state, false, STAMP)).toBe(before);
  });

  it("save then restore gives the same rule set", () => {
    const saved = saveText(state, true, STAMP);
    const again = new IptablesState();
    expect(runIptablesRestore(again, saved, false).exit).toBe(0);
    expect(saveText(again, true, STAMP)).toBe(saved);
  });
});
