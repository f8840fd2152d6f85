/**
 * `conntrack` (conntrack-tools 1.4.7) on a namespace's table: `-L [-p PROTO] [-o extended]`
 * lists the entries and says how many on standard error, `-C` counts them, `-F` flushes, `-D -p
 * PROTO [--orig-src A] [--orig-dst A]` deletes the matching ones, with the tool's own messages.
 * IPv4 and IPv6 entries are listed together unless `-f ipv4|ipv6` picks one family; `-s`/`-d`
 * take either family's addresses (an IPv6 one as the namespace's interned id, `ipv6Id`).
 * Deviation: no -E (events), -U, -G or other filters.
 */

import { parseIpv4 } from "../util/ipv4-address.js";
import { parseIpv6 } from "../util/ipv6-address.js";
import { type Conntrack, l3Prefix } from "./conntrack.js";
import type { IptablesOutput } from "./iptables-command.js";

const PROTOCOLS: Record<string, number> = { tcp: 6, udp: 17, icmp: 1, icmpv6: 58 };

export function runConntrack(
  ct: Conntrack,
  argv: string[],
  ipv6Id: (bytes: Uint8Array) => number = () => -1,
): IptablesOutput {
  const args = [...argv];
  const cmd = args.shift();
  let proto: number | undefined;
  let extended = false;
  let origSrc: { family: number; addr: number } | undefined;
  let origDst: { family: number; addr: number } | undefined;
  let family: number | undefined;
  const address = (text: string) => {
    const v4 = parseIpv4(text);
    if (v4 !== undefined) return { family: 4, addr: v4 };
    const v6 = parseIpv6(text);
    return { family: 6, addr: v6 ? ipv6Id(v6) : -1 };
  };
  for (let i = 0; i < args.length; i++) {
    const a = args[i];
    const v = args[i + 1];
    if (a === "-p" || a === "--proto") {
      proto = PROTOCOLS[v ?? ""];
      if (proto === undefined) return fail(`conntrack v1.4.7 (conntrack-tools): proto \`${v}' not found`);
      i++;
    } else if (a === "-f" || a === "--family") {
      family = v === "ipv4" ? 4 : v === "ipv6" ? 6 : undefined;
      if (family === undefined) return fail(`conntrack v1.4.7 (conntrack-tools): Unknown family \`${v}'`);
      i++;
    } else if (a === "-o" || a === "--output") {
      extended = v === "extended";
      i++;
    } else if (a === "-s" || a === "--orig-src" || a === "--src") {
      origSrc = address(v ?? "");
      i++;
    } else if (a === "-d" || a === "--orig-dst" || a === "--dst") {
      origDst = address(v ?? "");
      i++;
    } else return fail(`conntrack v1.4.7 (conntrack-tools): unknown option \`${a}'`);
  }
  ct.expire();
  const chosen = ct
    .all()
    .filter(
      (e) =>
        (proto === undefined || e.protocol === proto) &&
        (family === undefined || e.family === family) &&
        (origSrc === undefined || (e.family === origSrc.family && e.src(false) === origSrc.addr >>> 0)) &&
        (origDst === undefined || (e.family === origDst.family && e.dst(false) === origDst.addr >>> 0)),
    );
  switch (cmd) {
    case "-L":
    case "--dump": {
      const lines = chosen.map((e) => `${extended ? l3Prefix(e) : ""}${ct.describe(e, "list")}`);
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
