#!/usr/bin/env node
/**
 * The `dockwire` command line: `dockwire run SCENARIO` runs a scenario file; `dockwire run` with
 * no file runs the headline scenario (scenarios/docker-web.dw) with every interface captured.
 */

import { readFileSync } from "node:fs";
import { Command } from "commander";
import { runScenarioFile } from "./run-scenario.js";

const pkg = JSON.parse(readFileSync(new URL("../../../package.json", import.meta.url), "utf8")) as {
  version: string;
};

const program = new Command()
  .name("dockwire")
  .description("Docker container networking, packet by packet, in simulated time")
  .version(pkg.version);

program
  .command("run")
  .description("run a scenario: the ip/ping/tcpdump/sysctl commands of a Linux host, in simulated time")
  .argument("[file]", "scenario file, one command per line (default: the headline, scenarios/docker-web.dw)")
  .option("--seed <n>", "random seed (same seed, same bytes)", "1")
  .option("--out <dir>", "folder for capture files (default: <scenario name>-out)")
  .option("--pcapng", "also capture every interface of every namespace into all.pcapng")
  .action((file: string | undefined, opts: { seed: string; out?: string; pcapng?: boolean }) => {
    const seed = Number(opts.seed);
    if (!Number.isSafeInteger(seed)) program.error(`dockwire: --seed must be an integer, got '${opts.seed}'`);
    const headline = new URL("../../../scenarios/docker-web.dw", import.meta.url).pathname;
    const code = runScenarioFile(file ?? headline, {
      seed,
      outDir: opts.out,
      pcapng: file === undefined || opts.pcapng === true,
      progress: process.stderr.isTTY === true,
      version: pkg.version,
      print: (line) => console.log(line),
    });
    process.exitCode = code;
  });

program.parse();
