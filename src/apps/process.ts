/**
 * What a program run from a scenario gets: its namespace, the simulation, lines to print, and a
 * way to say it finished. A program returns a handle the runner can wait for or kill (`&`,
 * `wait`, the end of a scenario).
 */

import type { Host } from "../kernel/host.js";
import type { NetNamespace } from "../kernel/namespace.js";

export interface ProcessContext {
  host: Host;
  ns: NetNamespace;
  /** Print a line on standard output / standard error. */
  out(line: string): void;
  err(line: string): void;
  /** The program finished with this exit status. Call once. */
  exit(status: number): void;
}

export interface RunningProcess {
  /** Stop it now (the end of the scenario, or a kill); it prints what it prints on SIGINT. */
  interrupt(): void;
}
