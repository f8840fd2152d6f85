#!/usr/bin/env node
/**
 * The `dockwire` command line: `dockwire run SCENARIO` runs a scenario file and `dockwire demo`
 * writes a pcapng of a small simulated exchange.
 */

import { readFileSync } from "node:fs";
import { Command } from "commander";
import { runDemo } from "./demo.js";
import { runScenarioFile } from "./run-scenario.js";

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

program
  .command("run")
  .description("run a scenario: the ip/ping/tcpdump/sysctl commands of a Linux host, in simulated time")
  .argument("<file>", "scenario file, one command per line")
  .option("--seed <n>", "random seed (same seed, same bytes)", "1")
  .option("--out <dir>", "folder for capture files (default: <scenario name>-out)")
  .option("--pcapng", "also capture every interface of every namespace into all.pcapng")
  .action((file: string, opts: { seed: string; out?: string; pcapng?: boolean }) => {
    const seed = Number(opts.seed);
    if (!Number.isSafeInteger(seed)) program.error(`dockwire: --seed must be an integer, got '${opts.seed}'`);
    const code = runScenarioFile(file, {
      seed,
      outDir: opts.out,
      pcapng: opts.pcapng === true,
      version: pkg.version,
      print: (line) => console.log(line),
    });
    process.exitCode = code;
  });

program.parse();
