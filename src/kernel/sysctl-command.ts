/**
 * The `sysctl` command (procps-ng 4.0) for one namespace: `sysctl KEY...`, `-n` (values only),
 * `-w KEY=VALUE...` (`-q`: without printing what was set), `-a`. Errors print as procps does and the command goes on with the next key;
 * the exit status is 1 if any key failed.
 */

import type { CommandResult } from "./ip-command.js";
import type { NetNamespace } from "./namespace.js";
import { SysctlError } from "./sysctl.js";

export function runSysctl(ns: NetNamespace, argv: string[]): CommandResult {
  let write = false;
  let valuesOnly = false;
  let all = false;
  let quiet = false;
  const keys: string[] = [];
  for (const a of argv) {
    if (a === "-w") write = true;
    else if (a === "-n") valuesOnly = true;
    else if (a === "-a") all = true;
    else if (a === "-q") quiet = true;
    else if (a === "-e") continue;
    else keys.push(a);
  }
  const out: string[] = [];
  const err: string[] = [];
  const show = (key: string) => out.push(valuesOnly ? ns.sysctl.get(key) : `${key} = ${ns.sysctl.get(key)}`);
  if (all) for (const k of ns.sysctl.keys()) show(k);
  for (const spec of keys) {
    const eq = spec.indexOf("=");
    try {
      if (eq < 0 && write) {
        err.push("sysctl: command line(0): invalid syntax, continuing...");
      } else if (eq < 0) {
        show(spec);
      } else {
        const key = spec.slice(0, eq);
        ns.sysctl.set(key, spec.slice(eq + 1));
        if (!quiet) show(key);
      }
    } catch (e) {
      if (!(e instanceof SysctlError)) throw e;
      err.push(e.message);
    }
  }
  const lines = (l: string[]) => l.map((x) => `${x}\n`).join("");
  return { stdout: lines(out), stderr: lines(err), exit: err.length > 0 ? 1 : 0 };
}
