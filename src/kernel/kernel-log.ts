/**
 * The kernel's ring buffer (kernel/printk) as `dmesg` (util-linux 2.38) shows it: one per host,
 * shared by its namespaces, each line stamped with the time since boot (here: since the
 * simulation began) as `[%5lu.%06lu] `. `dmesg -c` prints and clears, `-C` clears, `-t` leaves the
 * stamps out. Deviation: no log levels or facilities (`-x`, `-l`), no size limit.
 */

import type { Simulation } from "../sim/simulation.js";

export class KernelLog {
  private readonly records: Array<{ time: number; text: string }> = [];

  constructor(private readonly sim: Simulation) {}

  write(text: string): void {
    this.records.push({ time: this.sim.now, text });
  }

  /** `dmesg [-c | -C] [-t]`. */
  dmesg(args: string[]): { stdout: string; stderr: string; exit: number } {
    let clear = false;
    let print = true;
    let stamps = true;
    for (const a of args) {
      if (a === "-c" || a === "--read-clear") clear = true;
      else if (a === "-C" || a === "--clear") {
        clear = true;
        print = false;
      } else if (a === "-t" || a === "--notime") stamps = false;
      else {
        const what = a.startsWith("--")
          ? `unrecognized option '${a}'`
          : `invalid option -- '${a.slice(1, 2)}'`;
        return { stdout: "", stderr: `dmesg: ${what}\nTry 'dmesg --help' for more information.\n`, exit: 1 };
      }
    }
    let out = "";
    if (print) {
      for (const r of this.records) {
        const us = Math.floor(r.time / 1000);
        const stamp = `[${String(Math.floor(us / 1e6)).padStart(5)}.${String(us % 1e6).padStart(6, "0")}] `;
        out += `${stamps ? stamp : ""}${r.text}\n`;
      }
    }
    if (clear) this.records.length = 0;
    return { stdout: out, stderr: "", exit: 0 };
  }
}
