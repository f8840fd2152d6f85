/**
 * `conntrack` (conntrack-tools 1.4.7) on a namespace's table: `-L [-p PROTO] [-o extended]`
 * lists the entries and says how many on standard error, `-C` counts them, `-F` flushes, `-D -p
 * PROTO [--orig-src A] [--orig-dst A]` deletes the matching ones, with the tool's own messages.
 * Deviation: no -E (events), -U, -G or other filters.
 */

import { parseIpv4 } from "../util/ipv4-address.js";
import type { Conntrack } from "./conntrack.js";
import type { IptablesOutput } from "./iptables-command.js";

const PROTOCOLS: Record<string, number> = { tcp: 6, udp: 17, icmp: 1 };

export function runConntrack(ct: Conntrack, argv: string[]): IptablesOutput {
  const args = [...argv];
  const cmd = args.shift();
  let proto: number | undefined;
  let extended = false;
  let origSrc: number | undefined;
  let origDst: number | undefined;
  for (let i = 0; i < args.length; i++) {
    const a = args[i];
    const v = args[i + 1];
    if (a === "-p" || a === "--proto") {
      proto = PROTOCOLS[v ?? ""];
      if (proto === undefined) return fail(`conntrack v1.4.7 (conntrack-tools): proto \`${v}' not found`);
      i++;
    } else if (a === "-o" || a === "--output") {
      extended = v === "extended";
      i++;
    } else if (a === "-s" || a === "--orig-src" || a === "--src") {
      origSrc = parseIpv4(v ?? "");
      i++;
    } else if (a === "-d" || a === "--orig-dst" || a === "--dst") {
      origDst = parseIpv4(v ?? "");
      i++;
    } else return fail(`conntrack v1.4.7 (conntrack-tools): unknown option \`${a}'`);
  }
  ct.expire();
  const chosen = ct
    .all()
    .filter(
      (e) =>
        (proto === undefined || e.protocol === proto) &&
        (origSrc === undefined || e.src(false) === origSrc) &&
        (origDst === undefined || e.dst(false) === origDst),
    );
  switch (cmd) {
    case "-L":
    case "--dump": {
      const lines = chosen.map((e) => `${extended ? "ipv4     2 " : ""}${ct.describe(e, "list")}`);
      return {
        stdout: lines.map((l) => `${l}\n`).join(""),
        stderr: `conntrack v1.4.7 (conntrack-tools): ${lines.length} flow entries have been shown.\n`,
        exit: 0,
      };
    }
    case "-C":
    case "--count":
      return { stdout: `${chosen.length}\n`, stderr: "", exit: 0 };
    case "-F":
    case "--flush":
      for (const e of ct.all()) ct.delete(e);
      return {
        stdout: "",
        stderr: "conntrack v1.4.7 (conntrack-tools): connection tracking table has been emptied.\n",
        exit: 0,
      };
    case "-D":
    case "--delete":
      for (const e of chosen) ct.delete(e);
      if (chosen.length === 0)
        return fail("conntrack v1.4.7 (conntrack-tools): 0 flow entries have been deleted.");
      return {
        stdout: "",
        stderr: `conntrack v1.4.7 (conntrack-tools): ${chosen.length} flow entries have been deleted.\n`,
        exit: 0,
      };
    default:
      return fail("conntrack v1.4.7 (conntrack-tools): no command specified");
  }
}

function fail(message: string): IptablesOutput {
  return { stdout: "", stderr: `${message}\n`, exit: 1 };
}
