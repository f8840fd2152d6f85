#!/usr/bin/env node
/**
 * The `dockwire` command line. For now: `dockwire demo` writes a pcapng of a small simulated
 * exchange and prints what crossed the wire. Later issues add `dockwire run SCENARIO`.
 */

import { readFileSync } from "node:fs";
import { Command } from "commander";
import { runDemo } from "./demo.js";

const pkg = JSON.parse(readFileSync(new URL("../../../package.json", import.meta.url), "utf8")) as {
  version: string;
};

const program = new Command()
  .name("dockwire")
  .description("Docker container networking, packet by packet, in simulated time")
  .version(pkg.version);

program
  .command("demo")
  .description("simulate a small exchange between two namespaces and write it to a pcapng file")
  .option("--out <dir>", "folder for the capture", "demo-out")
  .option("--seed <n>", "random seed (same seed, same bytes)", "1")
  .action((opts: { out: string; seed: string }) => {
    const seed = Number(opts.seed);
    if (!Number.isSafeInteger(seed)) program.error(`dockwire: --seed must be an integer, got '${opts.seed}'`);
    runDemo({ outDir: opts.out, seed, version: pkg.version, print: (line) => console.log(line) });
  });

program.parse();
