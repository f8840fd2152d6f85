/**
 * The project's structural rules, checked on the source text: imports go one way between layers
 * (util ← wire, sim ← capture, link ← netfilter ← kernel ← apps ← docker ← scenario ← cli: netfilter
 * works on packets; the bridge reaches it only through hooks injected by the kernel), and
 * nothing outside src/cli uses wall-clock time or unseeded randomness.
 */

import { readdirSync, readFileSync } from "node:fs";
import { dirname, join, normalize, relative } from "node:path";
import { describe, expect, it } from "vitest";

const RANK: Record<string, number> = {
  util: 0,
  sim: 1,
  wire: 1,
  capture: 2,
  link: 3,
  netfilter: 3.5,
  kernel: 4,
  apps: 5,
  docker: 6,
  scenario: 7,
  cli: 8,
};

const root = new URL("../", import.meta.url).pathname;

function sourceFiles(dir: string): string[] {
  return readdirSync(dir, { withFileTypes: true }).flatMap((e) =>
    e.isDirectory() ? sourceFiles(join(dir, e.name)) : e.name.endsWith(".ts") ? [join(dir, e.name)] : [],
  );
}

const files = sourceFiles(join(root, "src")).map((f) => relative(root, f));

describe("architecture", () => {
  it("every source file lives in a known layer", () => {
    expect(files.length).toBeGreaterThan(10);
    for (const f of files) expect(Object.keys(RANK)).toContain(f.split("/")[1]);
  });

  it("imports never go up or sideways between layers", () => {
    const bad: string[] = [];
    for (const f of files) {
      const layer = f.split("/")[1]!;
      for (const m of readFileSync(join(root, f), "utf8").matchAll(
        /^\s*(?:import|export)\b[^'"]*from\s+["'](\.[^"']+)["']/gm,
      )) {
        const target = normalize(join(dirname(f), m[1]!)).split("/");
        const other = target[1]!;
        if (target[0] === "src" && other !== layer && RANK[other]! >= RANK[layer]!)
          bad.push(`${f} imports ${m[1]}`);
      }
    }
    expect(bad).toEqual([]);
  });

  it("no wall-clock time or unseeded randomness outside src/cli", () => {
    const bad = files
      .filter((f) => !f.startsWith("src/cli/"))
      .filter((f) => /Math\.random|Date\.now|performance\.now/.test(readFileSync(join(root, f), "utf8")));
    expect(bad).toEqual([]);
  });

  it("every module starts with a header comment saying what it models", () => {
    const missing = files.filter((f) => !/^(#![^\n]*\n)?\/\*\*/.test(readFileSync(join(root, f), "utf8")));
    expect(missing).toEqual([]);
  });
});
