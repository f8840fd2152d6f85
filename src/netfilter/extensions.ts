/**
 * The iptables extensions dockwire knows (libxt_*.c / libipt_*.c in iptables 1.8.9): for each
 * match and target, how its options are parsed into canonical form (what `iptables -S` and
 * `iptables-save` print: numbers for ports and ICMP types, flags in bit order, `--set-mark V`
 * saved as `--set-xmark V/0xffffffff`) and how `iptables -L` describes it, with and without -n.
 * ip6tables (libip6t_*.c) shares them, with its own icmp6 match, REJECT types and addresses
 * (the family is passed to every parser).
 * Deviation: only the options Docker's rule sets and common firewalls use.
 */

import { ipv4ToString, parseIpv4 } from "../util/ipv4-address.js";
import { ipv6ToString, parseIpv6 } from "../util/ipv6-address.js";
import { type FamilyId, maskedIpv6 } from "./family.js";
import type { Match, MatchOption, Target } from "./rule.js";

export class IptablesError extends Error {
  constructor(
    message: string,
    /** Exit status: 1 for iptables' short errors, 2 for parameter problems, 4 for kernel refusals. */
    readonly exit: number,
  ) {
    super(message);
  }
}

/** A parameter problem: iptables prints its version, the message and the `Try` hint; exit 2. */
export function paramProblem(message: string): IptablesError {
  return new IptablesError(
    `iptables v1.8.9 (nf_tables): ${message}\nTry \`iptables -h' or 'iptables --help' for more information.`,
    2,
  );
}

/** An option problem from an extension's parser: the message, a blank line and the `Try` hint. */
export function optionProblem(message: string): IptablesError {
  return paramProblem(`${message}\n`);
}

/** /etc/services names iptables -L prints for ports (without -n). */
const SERVICES: Record<number, Record<string, string>> = {
  20: { tcp: "ftp-data" },
  21: { tcp: "ftp" },
  22: { tcp: "ssh", udp: "ssh" },
  23: { tcp: "telnet" },
  25: { tcp: "smtp" },
  53: { tcp: "domain", udp: "domain" },
  67: { udp: "bootps" },
  68: { udp: "bootpc" },
  80: { tcp: "http", udp: "http" },
  110: { tcp: "pop3" },
  123: { udp: "ntp" },
  143: { tcp: "imap2" },
  443: { tcp: "https", udp: "https" },
  3306: { tcp: "mysql" },
  5432: { tcp: "postgresql" },
  8080: { tcp: "http-alt" },
};
const SERVICE_PORTS = new Map<string, number>();
for (const [port, names] of Object.entries(SERVICES))
  for (const n of Object.values(names)) SERVICE_PORTS.set(n, Number(port));

function portName(port: number, proto: string, numeric: boolean): string {
  return (numeric ? undefined : SERVICES[port]?.[proto]) ?? String(port);
}

function parsePort(text: string): number {
  const n = /^\d+$/.test(text) ? Number(text) : SERVICE_PORTS.get(text);
  if (n === undefined || n > 65535) throw paramProblem(`invalid port/service \`${text}' specified`);
  return n;
}

/** `80`, `1024:65535`, `:1023`, `ssh` → canonical `a` or `a:b`. */
function parsePortRange(text: string): string {
  if (!text.includes(":")) return String(parsePort(text));
  const [a = "", b = ""] = text.split(":");
  const lo = a === "" ? 0 : parsePort(a);
  const hi = b === "" ? 65535 : parsePort(b);
  return lo === hi ? String(lo) : `${lo}:${hi}`;
}

function describePorts(value: string, proto: string, numeric: boolean): string {
  return value
    .split(":")
    .map((p) => portName(Number(p), proto, numeric))
    .join(":");
}

const TCP_FLAGS = ["FIN", "SYN", "RST", "PSH", "ACK", "URG", "ECE", "CWR"];

function parseTcpFlags(text: string): number {
  if (text === "ALL") return 0x3f;
  if (text === "NONE") return 0;
  let bits = 0;
  for (const f of text.split(",")) {
    const i = TCP_FLAGS.indexOf(f);
    if (i < 0) throw paramProblem(`Unknown TCP flag \`${f}'`);
    bits |= 1 << i;
  }
  return bits;
}

function tcpFlagNames(bits: number): string {
  if (bits === 0) return "NONE";
  return TCP_FLAGS.filter((_f, i) => bits & (1 << i)).join(",");
}

const ICMP_TYPES: [string, string][] = [
  ["any", "any"],
  ["echo-reply", "0"],
  ["destination-unreachable", "3"],
  ["network-unreachable", "3/0"],
  ["host-unreachable", "3/1"],
  ["protocol-unreachable", "3/2"],
  ["port-unreachable", "3/3"],
  ["fragmentation-needed", "3/4"],
  ["source-route-failed", "3/5"],
  ["network-unknown", "3/6"],
  ["host-unknown", "3/7"],
  ["network-prohibited", "3/9"],
  ["host-prohibited", "3/10"],
  ["communication-prohibited", "3/13"],
  ["source-quench", "4"],
  ["redirect", "5"],
  ["echo-request", "8"],
  ["router-advertisement", "9"],
  ["router-solicitation", "10"],
  ["time-exceeded", "11"],
  ["ttl-zero-during-transit", "11/0"],
  ["ttl-zero-during-reassembly", "11/1"],
  ["parameter-problem", "12"],
  ["timestamp-request", "13"],
  ["timestamp-reply", "14"],
];

function parseIcmpType(text: string): string {
  const named = ICMP_TYPES.find(([n]) => n === text);
  if (named) return named[1];
  const m = /^(\d+)(?:\/(\d+))?$/.exec(text);
  if (!m || Number(m[1]) > 255 || Number(m[2] ?? 0) > 255) throw paramProblem(`Invalid ICMP type \`${text}'`);
  return m[2] === undefined ? (m[1] as string) : `${m[1]}/${m[2]}`;
}

/** libxt_icmp.h's icmpv6_codes: name → `type` (any code) or `type/code`, in its order. */
const ICMPV6_TYPES: [string, string][] = [
  ["destination-unreachable", "1"],
  ["no-route", "1/0"],
  ["communication-prohibited", "1/1"],
  ["beyond-scope", "1/2"],
  ["address-unreachable", "1/3"],
  ["port-unreachable", "1/4"],
  ["failed-policy", "1/5"],
  ["reject-route", "1/6"],
  ["packet-too-big", "2"],
  ["time-exceeded", "3"],
  ["ttl-exceeded", "3"],
  ["ttl-zero-during-transit", "3/0"],
  ["ttl-zero-during-reassembly", "3/1"],
  ["parameter-problem", "4"],
  ["bad-header", "4/0"],
  ["unknown-header-type", "4/1"],
  ["unknown-option", "4/2"],
  ["echo-request", "128"],
  ["ping", "128"],
  ["echo-reply", "129"],
  ["pong", "129"],
  ["router-solicitation", "133"],
  ["router-advertisement", "134"],
  ["neighbour-solicitation", "135"],
  ["neighbor-solicitation", "135"],
  ["neighbour-advertisement", "136"],
  ["neighbor-advertisement", "136"],
  ["redirect", "137"],
];

/** libip6t_icmp6's parse_icmpv6: a name (or unambiguous prefix of one), `type` or `type/code`. */
function parseIcmpv6Type(text: string): string {
  const lower = text.toLowerCase();
  const named = ICMPV6_TYPES.filter(([n]) => n.startsWith(lower));
  if (named.length > 1 && !named.every(([, v]) => v === named[0]?.[1]))
    throw paramProblem(`Ambiguous ICMPv6 type \`${text}': \`${named[0]?.[0]}' or \`${named[1]?.[0]}'?`);
  if (named[0]) return named[0][1];
  const m = /^(\d+)(?:\/(\d+))?$/.exec(text);
  if (!m) throw paramProblem(`Unknown ICMPv6 type \`${text}'`);
  if (Number(m[1]) > 255) throw paramProblem(`Invalid ICMPv6 type \`${m[1]}'\n`);
  if (m[2] !== undefined && Number(m[2]) > 255) throw paramProblem(`Invalid ICMPv6 code \`${m[2]}'\n`);
  return m[2] === undefined ? String(Number(m[1])) : `${Number(m[1])}/${Number(m[2])}`;
}

const CT_STATES = ["INVALID", "NEW", "RELATED", "ESTABLISHED", "UNTRACKED", "SNAT", "DNAT"];

function parseStates(text: string, allowed: string[]): string {
  const given = text.split(",");
  for (const s of given) if (!allowed.includes(s)) throw paramProblem(`Bad ctstate "${s}"`);
  return allowed.filter((s) => given.includes(s)).join(",");
}

const ADDR_TYPES = [
  "UNSPEC",
  "UNICAST",
  "LOCAL",
  "BROADCAST",
  "ANYCAST",
  "MULTICAST",
  "BLACKHOLE",
  "UNREACHABLE",
  "PROHIBIT",
  "THROW",
  "NAT",
  "XRESOLVE",
];

function parseAddrTypes(text: string): string {
  for (const t of text.split(","))
    if (!ADDR_TYPES.includes(t)) throw paramProblem(`addrtype: bad type "${t}"`);
  return text;
}

function hex(text: string): string {
  const n = text.startsWith("0x") ? Number.parseInt(text.slice(2), 16) : Number(text);
  if (!Number.isInteger(n) || n < 0 || n > 0xffffffff) throw paramProblem(`Bad MARK value "${text}"`);
  return `0x${n.toString(16)}`;
}

function markValue(text: string): string {
  const [v = "", m] = text.split("/");
  return m === undefined ? hex(v) : `${hex(v)}/${hex(m)}`;
}

function parseRange(text: string, family: FamilyId): string {
  const [a = "", b = ""] = text.split("-");
  const parse = family === 6 ? parseIpv6 : parseIpv4;
  if (parse(a) === undefined || parse(b) === undefined)
    throw paramProblem(`iprange match: Bad IP address "${text}"`);
  return `${a}-${b}`;
}

function parseAddress(text: string, family: FamilyId): string {
  const [a = "", len] = text.split("/");
  if (family === 6) {
    const bytes = parseIpv6(a);
    if (!bytes || (len !== undefined && !(/^\d+$/.test(len) && Number(len) <= 128)))
      throw paramProblem(`host/network \`${text}' not found`);
    const n = len === undefined ? 128 : Number(len);
    const t = ipv6ToString(maskedIpv6(bytes, n));
    return n === 128 ? t : `${t}/${n}`;
  }
  const addr = parseIpv4(a);
  if (addr === undefined || (len !== undefined && !/^\d+$/.test(len)))
    throw paramProblem(`host/network \`${text}' not found`);
  return len === undefined || len === "32" ? ipv4ToString(addr) : `${ipv4ToString(addr)}/${len}`;
}

/** A match extension: the options it takes (flag → canonicaliser) in save order, and -L text. */
interface MatchKind {
  options: Record<
    string,
    { canonical: string; parse: (v: string, family: FamilyId) => string; takesValue?: boolean }
  >;
  /** The option the match cannot do without. */
  required?: string;
  describe(options: MatchOption[], numeric: boolean, proto: string): string;
}

const MATCHES: Record<string, MatchKind> = {
  tcp: {
    options: {
      "--sport": { canonical: "--sport", parse: parsePortRange },
      "--source-port": { canonical: "--sport", parse: parsePortRange },
      "--dport": { canonical: "--dport", parse: parsePortRange },
      "--destination-port": { canonical: "--dport", parse: parsePortRange },
      "--syn": { canonical: "--tcp-flags", parse: () => "FIN,SYN,RST,ACK SYN", takesValue: false },
      "--tcp-flags": {
        canonical: "--tcp-flags",
        parse: (v) => {
          const [mask = "", comp = ""] = v.split(" ");
          return `${tcpFlagNames(parseTcpFlags(mask))} ${tcpFlagNames(parseTcpFlags(comp))}`;
        },
      },
    },
    describe: (opts, numeric) =>
      `tcp${opts
        .map((o) => {
          if (o.flag === "--tcp-flags") {
            const [mask = "", comp = ""] = o.value.split(" ");
            const m = parseTcpFlags(mask);
            const c = parseTcpFlags(comp);
            return numeric
              ? ` flags:${o.invert ? "!" : ""}0x${m.toString(16).padStart(2, "0")}/0x${c.toString(16).padStart(2, "0")}`
              : ` flags:${o.invert ? "!" : ""}${tcpFlagNames(m)}/${tcpFlagNames(c)}`;
          }
          const plural = o.value.includes(":") ? "s" : "";
          const name = o.flag === "--sport" ? "spt" : "dpt";
          return ` ${name}${plural}:${o.invert ? "!" : ""}${describePorts(o.value, "tcp", numeric)}`;
        })
        .join("")}`,
  },
  udp: {
    options: {
      "--sport": { canonical: "--sport", parse: parsePortRange },
      "--source-port": { canonical: "--sport", parse: parsePortRange },
      "--dport": { canonical: "--dport", parse: parsePortRange },
      "--destination-port": { canonical: "--dport", parse: parsePortRange },
    },
    describe: (opts, numeric) =>
      `udp${opts
        .map((o) => {
          const plural = o.value.includes(":") ? "s" : "";
          return ` ${o.flag === "--sport" ? "spt" : "dpt"}${plural}:${o.invert ? "!" : ""}${describePorts(o.value, "udp", numeric)}`;
        })
        .join("")}`,
  },
  icmp: {
    options: { "--icmp-type": { canonical: "--icmp-type", parse: parseIcmpType } },
    describe: (opts, numeric) => {
      const o = opts[0];
      if (!o) return "icmp";
      const [type, code] = o.value.split("/");
      if (numeric)
        return `icmptype ${o.invert ? "!" : ""}${type}${code === undefined ? "" : ` code ${code}`}`;
      const name = ICMP_TYPES.find(([, v]) => v === o.value)?.[0] ?? `type ${type}`;
      return `icmp ${o.invert ? "!" : ""}${name}`;
    },
  },
  icmp6: {
    options: { "--icmpv6-type": { canonical: "--icmpv6-type", parse: parseIcmpv6Type } },
    required: "--icmpv6-type",
    describe: (opts, numeric) => {
      const o = opts[0];
      if (!o) return "ipv6-icmp";
      const [type, code] = o.value.split("/");
      const name = numeric ? undefined : ICMPV6_TYPES.find(([, v]) => v === o.value)?.[0];
      if (name !== undefined) return `ipv6-icmp ${o.invert ? "!" : ""}${name}`;
      return `ipv6-icmp${o.invert ? " !" : ""}type ${type}${code === undefined ? "" : ` code ${code}`}`;
    },
  },
  conntrack: {
    options: {
      "--ctstate": { canonical: "--ctstate", parse: (v) => parseStates(v, CT_STATES) },
      "--ctorigsrc": { canonical: "--ctorigsrc", parse: parseAddress },
      "--ctorigdst": { canonical: "--ctorigdst", parse: parseAddress },
      "--ctorigsrcport": { canonical: "--ctorigsrcport", parse: parsePortRange },
      "--ctorigdstport": { canonical: "--ctorigdstport", parse: parsePortRange },
      "--ctstatus": { canonical: "--ctstatus", parse: (v) => v },
    },
    describe: (opts) => opts.map((o) => `${o.invert ? "! " : ""}${o.flag.slice(2)} ${o.value}`).join(" "),
  },
  state: {
    options: { "--state": { canonical: "--state", parse: (v) => parseStates(v, CT_STATES.slice(0, 5)) } },
    describe: (opts) => `state ${opts[0]?.invert ? "! " : ""}${opts[0]?.value ?? ""}`,
  },
  addrtype: {
    options: {
      "--src-type": { canonical: "--src-type", parse: parseAddrTypes },
      "--dst-type": { canonical: "--dst-type", parse: parseAddrTypes },
    },
    describe: (opts) =>
      `ADDRTYPE match${opts.map((o) => ` ${o.flag.slice(2)} ${o.invert ? "!" : ""}${o.value}`).join("")}`,
  },
  multiport: {
    options: {
      "--sports": { canonical: "--sports", parse: (v) => v.split(",").map(parsePortRange).join(",") },
      "--dports": { canonical: "--dports", parse: (v) => v.split(",").map(parsePortRange).join(",") },
      "--ports": { canonical: "--ports", parse: (v) => v.split(",").map(parsePortRange).join(",") },
    },
    describe: (opts, numeric, proto) =>
      `multiport${opts
        .map(
          (o) =>
            ` ${o.flag.slice(2)} ${o.invert ? "! " : ""}${o.value
              .split(",")
              .map((p) => describePorts(p, proto, numeric))
              .join(",")}`,
        )
        .join("")}`,
  },
  comment: {
    options: { "--comment": { canonical: "--comment", parse: (v) => v } },
    describe: (opts) => `/* ${opts[0]?.value ?? ""} */`,
  },
  mark: {
    options: { "--mark": { canonical: "--mark", parse: markValue } },
    describe: (opts) => `mark match ${opts[0]?.invert ? "! " : ""}${opts[0]?.value ?? ""}`,
  },
  connmark: {
    options: { "--mark": { canonical: "--mark", parse: markValue } },
    required: "--mark",
    describe: (opts) => `connmark match ${opts[0]?.invert ? "! " : " "}${opts[0]?.value ?? ""}`,
  },
  iprange: {
    options: {
      "--src-range": { canonical: "--src-range", parse: parseRange },
      "--dst-range": { canonical: "--dst-range", parse: parseRange },
    },
    describe: (opts) =>
      opts
        .map(
          (o) =>
            `${o.flag === "--src-range" ? "source" : "destination"} IP range ${o.invert ? "! " : ""}${o.value}`,
        )
        .join(" "),
  },
};

/** Save order of each match's options (iptables prints them in this order, not as typed). */
const SAVE_ORDER: Record<string, string[]> = {
  tcp: ["--sport", "--dport", "--tcp-flags"],
  udp: ["--sport", "--dport"],
};

/** Is `name` a match of this family (icmp is iptables', icmp6 ip6tables')? */
export function isMatch(name: string, family: FamilyId = 4): boolean {
  if (name === "icmp") return family === 4;
  if (name === "icmp6") return family === 6;
  return name in MATCHES;
}

/** Parse one option of `match` into canonical form; false when the match has no such option. */
export function parseMatchOption(
  match: Match,
  flag: string,
  value: string | undefined,
  invert: boolean,
  family: FamilyId = 4,
): boolean {
  const kind = MATCHES[match.name];
  const spec = kind?.options[flag];
  if (!spec) return false;
  if (spec.takesValue !== false && value === undefined)
    throw paramProblem(`option "${flag}" requires an argument`);
  const canonical = spec.parse(value ?? "", family);
  match.options.push({ flag: spec.canonical, value: canonical, invert });
  const order = SAVE_ORDER[match.name];
  if (order) match.options.sort((a, b) => order.indexOf(a.flag) - order.indexOf(b.flag));
  return true;
}

/** The checks a match makes once its options are read (xtables' final_check). */
export function finishMatch(m: Match): void {
  const required = MATCHES[m.name]?.required;
  if (required && !m.options.some((o) => o.flag === required))
    throw optionProblem(`${m.name}: option "${required}" must be specified`);
}

export function matchTakesValue(name: string, flag: string): boolean {
  return MATCHES[name]?.options[flag]?.takesValue !== false;
}

export function matchSaveText(m: Match): string {
  const quote = (v: string) => (/[\s"]/.test(v) || v === "" ? `"${v.replaceAll('"', '\\"')}"` : v);
  return ` -m ${m.name}${m.options
    .map((o) => `${o.invert ? " !" : ""} ${o.flag} ${o.flag === "--tcp-flags" ? o.value : quote(o.value)}`)
    .join("")}`;
}

export function matchListText(m: Match, numeric: boolean, proto: string): string {
  return MATCHES[m.name]?.describe(m.options, numeric, proto) ?? m.name;
}

// ==== targets ================================================================================

const REJECT_TYPES = [
  "icmp-net-unreachable",
  "icmp-host-unreachable",
  "icmp-port-unreachable",
  "icmp-proto-unreachable",
  "icmp-net-prohibited",
  "icmp-host-prohibited",
  "icmp-admin-prohibited",
  "tcp-reset",
];
const REJECT_ALIASES: Record<string, string> = {
  "net-unreach": "icmp-net-unreachable",
  "host-unreach": "icmp-host-unreachable",
  "port-unreach": "icmp-port-unreachable",
  "proto-unreach": "icmp-proto-unreachable",
  "net-prohib": "icmp-net-prohibited",
  "host-prohib": "icmp-host-prohibited",
  "admin-prohib": "icmp-admin-prohibited",
  "tcp-rst": "tcp-reset",
};
/** libip6t_REJECT's reject_table: name and alias. */
const REJECT6_TYPES = [
  "icmp6-no-route",
  "icmp6-adm-prohibited",
  "icmp6-addr-unreachable",
  "icmp6-port-unreachable",
  "tcp-reset",
  "icmp6-policy-fail",
  "icmp6-reject-route",
];
const REJECT6_ALIASES: Record<string, string> = {
  "no-route": "icmp6-no-route",
  "adm-prohibited": "icmp6-adm-prohibited",
  "addr-unreach": "icmp6-addr-unreachable",
  "port-unreach": "icmp6-port-unreachable",
  "policy-fail": "icmp6-policy-fail",
  "reject-route": "icmp6-reject-route",
};
const LOG_LEVELS = ["emerg", "alert", "crit", "error", "warning", "notice", "info", "debug"];

export const BUILTIN_TARGETS = [
  "ACCEPT",
  "DROP",
  "RETURN",
  "REJECT",
  "LOG",
  "MARK",
  "CONNMARK",
  "DNAT",
  "SNAT",
  "MASQUERADE",
  "REDIRECT",
  "CT",
  "NOTRACK",
];

/** Options the target takes: flag → whether it needs a value. */
const TARGET_OPTIONS: Record<string, Record<string, boolean>> = {
  REJECT: { "--reject-with": true },
  LOG: { "--log-prefix": true, "--log-level": true },
  MARK: { "--set-mark": true, "--set-xmark": true },
  CONNMARK: {
    "--set-mark": true,
    "--set-xmark": true,
    "--and-mark": true,
    "--or-mark": true,
    "--xor-mark": true,
    "--save-mark": false,
    "--restore-mark": false,
    "--mask": true,
    "--nfmask": true,
    "--ctmask": true,
  },
  DNAT: { "--to-destination": true, "--to": true, "--random": false, "--persistent": false },
  SNAT: { "--to-source": true, "--to": true, "--random": false, "--persistent": false },
  MASQUERADE: { "--to-ports": true, "--random": false },
  REDIRECT: { "--to-ports": true, "--random": false },
  CT: { "--notrack": false, "--zone": true },
};

export function targetTakesOption(target: string, flag: string): boolean | undefined {
  return TARGET_OPTIONS[target]?.[flag];
}

function natAddress(text: string, family: FamilyId): string {
  if (family === 6) {
    // [ADDR[-ADDR]]:PORT[-PORT], or ADDR[-ADDR] alone (libxt_NAT's parse_to for IPv6).
    const bracket = /^\[([^\]]*)\](?::(.*))?$/.exec(text);
    const hosts = bracket ? (bracket[1] as string) : text;
    const ports = bracket ? bracket[2] : undefined;
    if (hosts !== "" || ports === undefined)
      for (const h of hosts.split("-"))
        if (parseIpv6(h) === undefined) throw paramProblem(`Bad IP address "${text}"`);
    if (ports !== undefined) for (const p of ports.split("-")) parsePort(p);
    return text;
  }
  const [hostPart = "", ports] = text.split(":");
  if (hostPart !== "" || ports === undefined)
    for (const h of hostPart.split("-"))
      if (parseIpv4(h) === undefined) throw paramProblem(`Bad IP address "${text}"`);
  if (ports !== undefined) for (const p of ports.split("-")) parsePort(p);
  return text;
}

/** Canonical options of a target, and the errors iptables gives for missing ones. */
export function finishTarget(t: Target, family: FamilyId = 4): void {
  const get = (flag: string) => t.options.find(([f]) => f === flag)?.[1];
  const has = (flag: string) => t.options.some(([f]) => f === flag);
  const out: [string, string][] = [];
  switch (t.name) {
    case "REJECT": {
      const w = get("--reject-with") ?? (family === 6 ? "icmp6-port-unreachable" : "icmp-port-unreachable");
      const type = (family === 6 ? REJECT6_ALIASES : REJECT_ALIASES)[w] ?? w;
      if (!(family === 6 ? REJECT6_TYPES : REJECT_TYPES).includes(type))
        throw paramProblem(`unknown reject type "${w}"`);
      out.push(["--reject-with", type]);
      break;
    }
    case "LOG": {
      // iptables-save prints the prefix before the level (libxt_LOG's save order).
      const p = get("--log-prefix");
      const level = get("--log-level");
      if (p !== undefined) out.push(["--log-prefix", p]);
      if (level !== undefined) {
        const n = /^\d$/.test(level)
          ? Number(level)
          : LOG_LEVELS.indexOf(level === "warn" ? "warning" : level);
        if (n < 0 || n > 7) throw paramProblem(`log-level \`${level}' unknown`);
        if (n !== 4) out.push(["--log-level", String(n)]);
      }
      break;
    }
    case "MARK": {
      const set = get("--set-mark");
      const xset = get("--set-xmark");
      const v = xset ?? set;
      if (v === undefined)
        throw paramProblem("MARK: One of the --set-xmark, --{and,or,xor,set}-mark options is required");
      const canonical = markValue(v);
      out.push(["--set-xmark", canonical.includes("/") ? canonical : `${canonical}/0xffffffff`]);
      break;
    }
    case "CONNMARK":
      out.push(...connmarkOptions(t.options));
      break;
    case "DNAT":
    case "SNAT": {
      const flag = t.name === "DNAT" ? "--to-destination" : "--to-source";
      const v = get(flag) ?? get("--to");
      if (v === undefined) throw optionProblem(`${t.name}: option "${flag}" must be specified`);
      out.push([flag, natAddress(v, family)]);
      if (has("--random")) out.push(["--random", ""]);
      if (has("--persistent")) out.push(["--persistent", ""]);
      break;
    }
    case "MASQUERADE":
    case "REDIRECT": {
      const p = get("--to-ports");
      if (p !== undefined) {
        for (const x of p.split("-")) parsePort(x);
        out.push(["--to-ports", p]);
      }
      if (has("--random")) out.push(["--random", ""]);
      break;
    }
    case "CT":
      if (has("--notrack")) out.push(["--notrack", ""]);
      break;
    default:
      out.push(...t.options);
  }
  t.options = out;
}

const CONNMARK_OPERATIONS = [
  "--set-mark",
  "--set-xmark",
  "--and-mark",
  "--or-mark",
  "--xor-mark",
  "--save-mark",
  "--restore-mark",
];

/**
 * libxt_CONNMARK's parse: exactly one operation; --set-mark V[/M] and the and/or/xor forms become
 * --set-xmark V/M, --save-mark and --restore-mark get both masks (--mask sets the two at once).
 */
function connmarkOptions(options: [string, string][]): [string, string][] {
  const ops = options.filter(([f]) => CONNMARK_OPERATIONS.includes(f));
  if (ops.length === 0) throw paramProblem("CONNMARK target: No operation specified");
  const [op = "", text = ""] = ops[0] as [string, string];
  if (ops.length > 1)
    throw optionProblem(`CONNMARK: option "${op}" cannot be used together with "${ops[1]?.[0]}".`);
  const num = (flag: string, v: string) => {
    const n = /^0x[0-9a-f]+$/i.test(v)
      ? Number.parseInt(v.slice(2), 16)
      : /^\d+$/.test(v)
        ? Number(v)
        : Number.NaN;
    if (!(n >= 0 && n <= 0xffffffff))
      throw optionProblem(`CONNMARK: bad integer value for option "${flag}", or out of range.`);
    return n;
  };
  const h = (n: number) => `0x${(n >>> 0).toString(16)}`;
  if (op === "--save-mark" || op === "--restore-mark") {
    const get = (flag: string) => options.find(([f]) => f === flag)?.[1];
    const mask = get("--mask");
    const both = mask === undefined ? 0xffffffff : num("--mask", mask);
    const nf = get("--nfmask");
    const ct = get("--ctmask");
    return [
      [op, ""],
      ["--nfmask", h(nf === undefined ? both : num("--nfmask", nf))],
      ["--ctmask", h(ct === undefined ? both : num("--ctmask", ct))],
    ];
  }
  const [a = "", b] = text.split("/");
  const v = num(op, a);
  const m = b === undefined ? 0xffffffff : num(op, b);
  const xset: Record<string, [number, number]> = {
    "--set-mark": [v, (m | v) >>> 0],
    "--set-xmark": [v, m],
    "--and-mark": [0, ~v >>> 0],
    "--or-mark": [v, v],
    "--xor-mark": [v, 0],
  };
  const [cv, cm] = xset[op] as [number, number];
  return [["--set-xmark", `${h(cv)}/${h(cm)}`]];
}

/** libxt_CONNMARK's print: the shortest form of each operation. */
function connmarkListText(options: [string, string][]): string {
  const get = (flag: string) => options.find(([f]) => f === flag)?.[1];
  const xset = get("--set-xmark");
  if (xset !== undefined) {
    const [v = "", m = ""] = xset.split("/");
    const val = Number(v);
    const mask = Number(m);
    if (val === 0) return `CONNMARK and 0x${(~mask >>> 0).toString(16)}`;
    if (val === mask) return `CONNMARK or ${v}`;
    if (mask === 0) return `CONNMARK xor ${v}`;
    if (mask === 0xffffffff) return `CONNMARK set ${v}`;
    return `CONNMARK xset ${v}/${m}`;
  }
  const op = get("--save-mark") !== undefined ? "save" : "restore";
  const nf = get("--nfmask") ?? "";
  const ct = get("--ctmask") ?? "";
  if (nf === "0xffffffff" && ct === "0xffffffff") return `CONNMARK ${op}`;
  if (nf === ct) return `CONNMARK ${op} mask ${nf}`;
  return op === "save"
    ? `CONNMARK save nfmask ${nf} ctmask ~${ct}`
    : `CONNMARK restore ctmask ${ct} nfmask ~${nf}`;
}

export function targetSaveText(t: Target): string {
  const quote = (v: string) => (/\s/.test(v) || v === "" ? `"${v}"` : v);
  return ` ${t.goto ? "-g" : "-j"} ${t.name}${t.options
    .map(([f, v]) => (v === "" ? ` ${f}` : ` ${f} ${f === "--log-prefix" ? `"${v}"` : quote(v)}`))
    .join("")}`;
}

export function targetListText(t: Target, numeric: boolean): string {
  const get = (flag: string) => t.options.find(([f]) => f === flag)?.[1];
  const has = (flag: string) => t.options.some(([f]) => f === flag);
  switch (t.name) {
    case "REJECT":
      return `reject-with ${get("--reject-with")}`;
    case "LOG": {
      const level = Number(get("--log-level") ?? 4);
      const prefix = get("--log-prefix");
      const pre = prefix === undefined ? "" : ` prefix "${prefix}"`;
      return numeric
        ? `LOG flags 0 level ${level}${pre}`
        : `LOG level ${LOG_LEVELS[level] === "warning" ? "warn" : LOG_LEVELS[level]}${pre}`;
    }
    case "MARK": {
      const [v, m] = (get("--set-xmark") ?? "").split("/");
      return m === "0xffffffff" ? `MARK set ${v}` : `MARK xset ${v}/${m}`;
    }
    case "DNAT":
    case "SNAT":
      return `to:${get(t.name === "DNAT" ? "--to-destination" : "--to-source")}${has("--random") ? " random" : ""}${has("--persistent") ? " persistent" : ""}`;
    case "MASQUERADE": {
      const p = get("--to-ports");
      return `${p === undefined ? "" : `masq ports: ${p}`}${has("--random") ? `${p === undefined ? "" : " "}random` : ""}`;
    }
    case "REDIRECT":
      return get("--to-ports") === undefined ? "" : `redir ports ${get("--to-ports")}`;
    case "CT":
      return has("--notrack") ? "NOTRACK" : "CT";
    case "CONNMARK":
      return connmarkListText(t.options);
    default:
      return t.goto ? "[goto]" : "";
  }
}
