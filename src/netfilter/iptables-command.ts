/**
 * `iptables` (1.8.9, nf_tables backend), `iptables-save` and `iptables-restore` on a namespace's
 * IptablesState: -A -I -D -R -N -X -E -F -Z -P -L (-n -v -x --line-numbers) -S with -t, rules in
 * canonical form (`-s 10.0.0.1/32`, `-p tcp -m tcp --dport 22`, addresses before interfaces), and
 * iptables' own error texts and exit codes (checked against test/fixtures/linux/netfilter). A
 * failing command changes nothing; iptables-restore applies a whole file or nothing.
 * The same code is ip6tables (and ip6tables-save, ip6tables-restore) on a state of family 6:
 * IPv6 prefixes (`fd00::/64`), `-p icmpv6`/`ipv6-icmp` with the icmp6 match, ip6tables' REJECT
 * types and NAT addresses (`[fd00::2]:80`), and its name in every message (family.ts).
 * Deviation: no -c on the command line, names are never resolved through DNS.
 */

import { parseIpv4 } from "../util/ipv4-address.js";
import {
  BUILTIN_TARGETS,
  finishMatch,
  finishTarget,
  IptablesError,
  isMatch,
  matchListText,
  matchSaveText,
  matchTakesValue,
  paramProblem,
  parseMatchOption,
  targetListText,
  targetSaveText,
  targetTakesOption,
} from "./extensions.js";
import {
  anyAddress,
  type FamilyId,
  forFamily,
  listAddressText,
  parseIpv6Prefix,
  prefixText,
  programName,
} from "./family.js";
import { emptyRule, type Match, type Rule, sameRule } from "./rule.js";
import { BUILTIN_CHAINS, type Chain, IptablesState, type Table } from "./tables.js";

export interface IptablesOutput {
  stdout: string;
  stderr: string;
  exit: number;
}

const PROTOCOLS: Record<string, number> = {
  all: 0,
  icmp: 1,
  igmp: 2,
  tcp: 6,
  udp: 17,
  gre: 47,
  esp: 50,
  ah: 51,
  sctp: 132,
  icmpv6: 58,
  "ipv6-icmp": 58,
};
const PROTOCOL_NAMES: Record<number, string> = Object.fromEntries(
  Object.entries(PROTOCOLS).map(([n, v]) => [v, n]),
);

/** The implicit match `-p PROTO` brings for its options (`-p tcp --dport 80`), if any. */
function implicitMatch(protocol: number, family: FamilyId): string | undefined {
  if (protocol === 6) return "tcp";
  if (protocol === 17) return "udp";
  if (protocol === 1 && family === 4) return "icmp";
  if (protocol === 58 && family === 6) return "icmp6";
  return undefined;
}

function parseAddress(text: string, family: FamilyId): { addr: number; addr6?: string; prefixLen: number } {
  if (family === 6) return { addr: 0, ...parseIpv6Prefix(text, paramProblem) };
  const [a = "", mask] = text.split("/");
  const addr = parseIpv4(a);
  let prefixLen = 32;
  if (mask !== undefined) {
    if (/^\d+$/.test(mask) && Number(mask) <= 32) prefixLen = Number(mask);
    else {
      const m = parseIpv4(mask);
      const bits = m === undefined ? -1 : 32 - Math.log2((~m >>> 0) + 1 || 2 ** 32);
      if (!Number.isInteger(bits)) throw paramProblem(`host/network \`${text}' not found`);
      prefixLen = bits;
    }
  }
  if (addr === undefined) throw paramProblem(`host/network \`${text}' not found`);
  const netmask = prefixLen === 0 ? 0 : (0xffffffff << (32 - prefixLen)) >>> 0;
  return { addr: (addr & netmask) >>> 0, prefixLen };
}

/** Parse a rule specification (everything after the chain and position). */
export function parseRule(
  args: string[],
  tableName: string,
  chain: string,
  state: IptablesState,
  verb: string,
): Rule {
  const rule = emptyRule();
  const family = state.family;
  let current: Match | undefined;
  let invert = false;
  const need = (i: number, flag: string) => {
    const v = args[i];
    if (v === undefined) throw paramProblem(`option "${flag}" requires an argument`);
    return v;
  };
  for (let i = 0; i < args.length; i++) {
    const a = args[i] as string;
    if (a === "!") {
      invert = true;
      continue;
    }
    const inv = invert;
    invert = false;
    if (a === "-s" || a === "--source" || a === "-d" || a === "--destination") {
      const parsed = parseAddress(need(++i, a), family);
      rule[a.startsWith("-s") || a === "--source" ? "src" : "dst"] = { ...parsed, invert: inv };
    } else if (a === "-i" || a === "--in-interface" || a === "-o" || a === "--out-interface") {
      const name = need(++i, a);
      const isIn = a === "-i" || a === "--in-interface";
      const forbidden = isIn ? ["OUTPUT", "POSTROUTING"] : ["INPUT", "PREROUTING"];
      if (forbidden.includes(chain))
        throw new IptablesError(
          `iptables v1.8.9 (nf_tables): Can't use ${isIn ? "-i" : "-o"} with ${chain}\n\nTry \`iptables -h' or 'iptables --help' for more information.`,
          2,
        );
      rule[isIn ? "inIface" : "outIface"] = { name, invert: inv };
    } else if (a === "-p" || a === "--protocol") {
      const p = need(++i, a).toLowerCase();
      const n = /^\d+$/.test(p) ? Number(p) : PROTOCOLS[p];
      if (n === undefined || n > 255) throw paramProblem(`unknown protocol "${p}" specified`);
      rule.protocol = n;
      rule.protocolInvert = inv;
    } else if (a === "-m" || a === "--match") {
      const name = need(++i, a);
      if (!isMatch(name, family))
        throw paramProblem(`Couldn't load match \`${name}':No such file or directory`);
      if (
        (name === "tcp" || name === "udp" || name === "icmp" || name === "icmp6") &&
        implicitMatch(rule.protocol, family) !== name
      )
        throw paramProblem(`${name} match: protocol must be ${name}`);
      current = { name, options: [] };
      rule.matches.push(current);
    } else if (a === "-j" || a === "--jump" || a === "-g" || a === "--goto") {
      const name = need(++i, a);
      rule.target = { name, goto: a === "-g" || a === "--goto", options: [] };
    } else if (a.startsWith("--")) {
      const targetOpt = rule.target ? targetTakesOption(rule.target.name, a) : undefined;
      if (rule.target && targetOpt !== undefined) {
        rule.target.options.push([a, targetOpt ? need(++i, a) : ""]);
        continue;
      }
      // A match option: the current match's, else the protocol's implicit match (-p tcp --dport).
      const implicit = implicitMatch(rule.protocol, family);
      const candidates = [current, ...rule.matches].filter((m): m is Match => m !== undefined);
      let taken = false;
      // --tcp-flags takes two words (MASK COMP); every other option at most one.
      const words = a === "--tcp-flags" ? 2 : 1;
      const valueAt = (name: string) =>
        matchTakesValue(name, a) ? args.slice(i + 1, i + 1 + words).join(" ") || undefined : undefined;
      for (const m of candidates) {
        const value = valueAt(m.name);
        if (parseMatchOption(m, a, value, inv, family)) {
          if (value !== undefined) i += words;
          taken = true;
          break;
        }
      }
      if (!taken && implicit !== undefined) {
        let m = rule.matches.find((x) => x.name === implicit);
        const probe: Match = m ?? { name: implicit, options: [] };
        const value = valueAt(implicit);
        if (parseMatchOption(probe, a, value, inv, family)) {
          if (value !== undefined) i += words;
          if (!m) {
            m = probe;
            rule.matches.unshift(m);
          }
          taken = true;
        }
      }
      if (!taken) throw paramProblem(`unknown option "${a}"`);
    } else
      throw new IptablesError(
        `Bad argument \`${a}'\nTry \`iptables -h' or 'iptables --help' for more information.`,
        2,
      );
  }
  for (const m of rule.matches) finishMatch(m);
  if (rule.target) {
    const t = rule.target;
    const table = state.table(tableName) as Table;
    if (!BUILTIN_TARGETS.includes(t.name)) {
      if (!table.chains.has(t.name) || BUILTIN_CHAINS[tableName]?.includes(t.name))
        throw paramProblem(`Chain '${t.name}' does not exist`);
    } else {
      finishTarget(t, family);
      const natOnly = ["DNAT", "SNAT", "MASQUERADE", "REDIRECT"];
      const allowed: Record<string, string[]> = {
        DNAT: ["PREROUTING", "OUTPUT"],
        REDIRECT: ["PREROUTING", "OUTPUT"],
        SNAT: ["POSTROUTING", "INPUT"],
        MASQUERADE: ["POSTROUTING"],
      };
      const builtin = BUILTIN_CHAINS[tableName]?.includes(chain);
      if (
        (natOnly.includes(t.name) && tableName !== "nat") ||
        (builtin && allowed[t.name] && !allowed[t.name]?.includes(chain)) ||
        ((t.name === "CT" || t.name === "NOTRACK") && tableName !== "raw")
      )
        throw new IptablesError(
          `iptables v1.8.9 (nf_tables):  ${verb} failed (Invalid argument): rule in chain ${chain}`,
          4,
        );
    }
  }
  return rule;
}

// ==== text ===================================================================================

/** The rule as `iptables -S` and `iptables-save` print it, after `-A CHAIN`. */
export function ruleSaveText(r: Rule): string {
  let s = "";
  if (r.src) s += `${r.src.invert ? " !" : ""} -s ${prefixText(r.src)}`;
  if (r.dst) s += `${r.dst.invert ? " !" : ""} -d ${prefixText(r.dst)}`;
  if (r.inIface) s += `${r.inIface.invert ? " !" : ""} -i ${r.inIface.name}`;
  if (r.outIface) s += `${r.outIface.invert ? " !" : ""} -o ${r.outIface.name}`;
  if (r.protocol !== 0 || r.protocolInvert)
    s += `${r.protocolInvert ? " !" : ""} -p ${PROTOCOL_NAMES[r.protocol] ?? r.protocol}`;
  for (const m of r.matches) s += matchSaveText(m);
  if (r.target) s += targetSaveText(r.target);
  return s;
}

/**
 * The line `iptables -v` prints for a rule it adds, deletes, replaces or checks: target, protocol,
 * `opt --`, interfaces, `source  -> destination`, then the matches and target as `-L -n` words.
 */
function verboseRuleText(r: Rule, family: FamilyId): string {
  const iface = (i: Rule["inIface"]) => `${i?.invert ? "!" : ""}${i?.name ?? "*"}`;
  const addr = (a: Rule["src"]) => (a ? `${a.invert ? "!" : ""}${listAddressText(a)}` : anyAddress(family));
  const proto = PROTOCOL_NAMES[r.protocol] ?? String(r.protocol);
  let s = `${r.target?.name ?? ""}  ${r.protocolInvert ? "!" : ""}${proto} opt -- in ${iface(r.inIface)} out ${iface(r.outIface)}  ${addr(r.src)}  -> ${addr(r.dst)}  `;
  for (const m of r.matches) s += ` ${matchListText(m, true, proto)}`;
  const t = r.target && !r.target.goto ? targetListText(r.target, true) : "";
  if (t !== "") s += ` ${t}`;
  return s;
}

/** xtables_print_num: exact with -x, else K/M/G/T above 99999. */
function count(n: number, exact: boolean, width: number): string {
  if (exact) return String(n).padStart(width);
  if (n <= 99999) return String(n).padStart(5);
  let v = n;
  for (const unit of ["K", "M", "G", "T"]) {
    v = Math.floor((v + 500) / 1000);
    if (v <= 9999 || unit === "T") return `${String(v).padStart(4)}${unit}`;
  }
  return String(n);
}

interface ListFormat {
  numeric: boolean;
  verbose: boolean;
  exact: boolean;
  lineNumbers: boolean;
  family: FamilyId;
}

function listRow(r: Rule, n: number, f: ListFormat): string {
  let s = "";
  if (f.lineNumbers) s += `${String(n).padEnd(4)} `;
  if (f.verbose) s += `${count(r.packets, f.exact, 8)} ${count(r.bytes, f.exact, 8)} `;
  const target = r.target?.name ?? "";
  s += `${target.padEnd(9)} `;
  s += r.protocolInvert ? "!" : " ";
  s += (f.numeric ? String(r.protocol) : (PROTOCOL_NAMES[r.protocol] ?? String(r.protocol))).padEnd(5);
  s += "-- ";
  if (f.verbose) {
    const iface = (i: Rule["inIface"]) => `${i?.invert ? "!" : ""}${i?.name ?? (f.numeric ? "*" : "any")}`;
    s += ` ${iface(r.inIface).padEnd(6)} ${iface(r.outIface).padEnd(6)} `;
  }
  const addr = (a: Rule["src"]) => {
    if (!a) return ` ${(f.numeric ? anyAddress(f.family) : "anywhere").padEnd(19)} `;
    const text = listAddressText(a);
    return `${a.invert ? "!" : " "}${text.padEnd(19)} `;
  };
  s += addr(r.src) + addr(r.dst);
  const proto = PROTOCOL_NAMES[r.protocol] ?? String(r.protocol);
  for (const m of r.matches) s += ` ${matchListText(m, f.numeric, proto)}`;
  if (r.target?.goto) s += "[goto] ";
  else if (r.target) {
    const t = targetListText(r.target, f.numeric);
    if (t !== "") s += ` ${t}`;
  }
  return s;
}

function listChain(table: Table, c: Chain, f: ListFormat): string[] {
  const head = c.builtin
    ? f.verbose
      ? `Chain ${c.name} (policy ${c.policy} 0 packets, 0 bytes)`
      : `Chain ${c.name} (policy ${c.policy})`
    : `Chain ${c.name} (${table.references(c.name)} references)`;
  const cols = `${f.lineNumbers ? "num  " : ""}${
    f.verbose ? (f.exact ? "    pkts      bytes " : " pkts bytes ") : ""
  }target     prot opt ${f.verbose ? "in     out     " : ""}source               destination         `;
  return [head, cols, ...c.rules.map((r, i) => listRow(r, i + 1, f))];
}

/**
 * iptables-save's text of the tables present (or of table `only`, present or not); with
 * `counters`, [packets:bytes] before rules.
 */
export function saveText(state: IptablesState, counters: boolean, stamp: string, only?: Table): string {
  const out: string[] = [];
  const program = programName(state.family);
  for (const t of only ? [only] : state.saved()) {
    out.push(`# Generated by ${program}-save v1.8.9 (nf_tables) on ${stamp}`, `*${t.name}`);
    for (const c of t.ordered()) out.push(`:${c.name} ${c.builtin ? c.policy : "-"} [0:0]`);
    for (const c of t.ordered())
      for (const r of c.rules)
        out.push(`${counters ? `[${r.packets}:${r.bytes}] ` : ""}-A ${c.name}${ruleSaveText(r)}`);
    out.push("COMMIT", `# Completed on ${stamp}`);
  }
  return out.length === 0 ? "" : `${out.join("\n")}\n`;
}

// ==== the command ============================================================================

function chainOf(table: Table, name: string | undefined): Chain {
  const c = table.chains.get(name ?? "");
  if (!c) throw new IptablesError("iptables: No chain/target/match by that name.", 1);
  return c;
}

/** Run one `iptables` command line (without the word `iptables`). */
export function runIptables(state: IptablesState, argv: string[]): IptablesOutput {
  // The command works on one table: only that one is copied (the others are shared, unchanged).
  const ti = argv.findIndex((a) => a === "-t" || a === "--table");
  const tableName = ti >= 0 ? argv[ti + 1] : "filter";
  const staged = new IptablesState(state.family);
  for (const [n, t] of state.tables) staged.tables.set(n, n === tableName ? t.clone() : t);
  for (const p of state.present) staged.present.add(p);
  try {
    const edit = { changed: false };
    const stdout = execute(staged, argv, edit);
    // Commit: the command succeeded as a whole and changed something.
    if (edit.changed) {
      state.tables.clear();
      for (const [n, t] of staged.tables) state.tables.set(n, t);
      for (const p of staged.present) state.present.add(p);
      state.version++;
    }
    return { stdout, stderr: "", exit: 0 };
  } catch (e) {
    if (!(e instanceof IptablesError)) throw e;
    return { stdout: "", stderr: `${forFamily(e.message, state.family)}\n`, exit: e.exit };
  }
}

/** Run a command on `state` (a staged copy); `edit.changed` tells whether it changed anything. */
function execute(state: IptablesState, argv: string[], edit: { changed: boolean }): string {
  const args = [...argv];
  let tableName = "filter";
  const ti = args.findIndex((a) => a === "-t" || a === "--table");
  if (ti >= 0) {
    tableName = args[ti + 1] ?? "";
    args.splice(ti, 2);
  }
  const table = state.table(tableName);
  if (!table)
    throw new IptablesError(
      `iptables v1.8.9 (nf_tables): table '${tableName}' does not exist\nPerhaps iptables or your kernel needs to be upgraded.`,
      3,
    );
  const f: ListFormat = {
    numeric: false,
    verbose: false,
    exact: false,
    lineNumbers: false,
    family: state.family,
  };
  // Listing flags may come anywhere and combined (iptables -L -n -v, iptables -nvL).
  const rest: string[] = [];
  for (const a of args) {
    if (a === "--line-numbers") f.lineNumbers = true;
    else if (/^-[nvxL]+$/.test(a) && a !== "-L") {
      if (a.includes("L")) rest.push("-L");
      f.numeric ||= a.includes("n");
      f.verbose ||= a.includes("v");
      f.exact ||= a.includes("x");
    } else rest.push(a);
  }
  const cmd = rest.shift();
  const modify = () => {
    state.present.add(tableName);
    edit.changed = true;
  };
  // With -v, a command that adds, deletes or checks a rule prints it (nft's verbose rule line).
  const done = (rule: Rule | undefined) => (f.verbose && rule ? `${verboseRuleText(rule, f.family)}\n` : "");
  switch (cmd) {
    case "-A":
    case "--append":
    case "-I":
    case "--insert": {
      const chain = chainOf(table, rest.shift());
      let pos = chain.rules.length;
      if (cmd === "-I" || cmd === "--insert") {
        pos = 0;
        if (rest[0] !== undefined && /^\d+$/.test(rest[0])) {
          const n = Number(rest.shift());
          if (n < 1 || n > chain.rules.length + 1)
            throw new IptablesError("iptables: Index of insertion too big.", 1);
          pos = n - 1;
        }
      }
      const verb = cmd === "-A" || cmd === "--append" ? "RULE_APPEND" : "RULE_INSERT";
      const rule = parseRule(rest, tableName, chain.name, state, verb);
      chain.rules.splice(pos, 0, rule);
      modify();
      return done(rule);
    }
    case "-D":
    case "--delete":
    case "-C":
    case "--check": {
      // A rule given in full is looked for (nft's -D and -C: an unknown chain has no such rule).
      const check = cmd === "-C" || cmd === "--check";
      const name = rest.shift() ?? "";
      if (!check && rest.length === 1 && /^\d+$/.test(rest[0] as string)) {
        const chain = chainOf(table, name);
        const n = Number(rest[0]);
        if (n < 1 || n > chain.rules.length)
          throw new IptablesError("iptables: Index of deletion too big.", 1);
        chain.rules.splice(n - 1, 1);
        modify();
        return "";
      }
      const rule = parseRule(rest, tableName, name, state, "RULE_DELETE");
      const chain = table.chains.get(name);
      const i = chain ? chain.rules.findIndex((r) => sameRule(r, rule)) : -1;
      if (!chain || i < 0)
        throw new IptablesError("iptables: Bad rule (does a matching rule exist in that chain?).", 1);
      if (!check) {
        chain.rules.splice(i, 1);
        modify();
      }
      return done(rule);
    }
    case "-R":
    case "--replace": {
      const chain = chainOf(table, rest.shift());
      const n = Number(rest.shift());
      if (!(n >= 1 && n <= chain.rules.length))
        throw new IptablesError("iptables: Index of replacement too big.", 1);
      const rule = parseRule(rest, tableName, chain.name, state, "RULE_REPLACE");
      chain.rules[n - 1] = rule;
      modify();
      return done(rule);
    }
    case "-N":
    case "--new-chain": {
      const name = rest.shift() ?? "";
      if (table.chains.has(name)) throw new IptablesError("iptables: Chain already exists.", 1);
      if (name.length > 28 || name === "" || name.startsWith("-") || BUILTIN_TARGETS.includes(name))
        throw paramProblem(`Invalid chain name \`${name}'`);
      table.chains.set(name, { name, builtin: false, policy: undefined, rules: [] });
      modify();
      return "";
    }
    case "-X":
    case "--delete-chain": {
      const name = rest.shift();
      const victims =
        name === undefined ? [...table.chains.values()].filter((c) => !c.builtin) : [chainOf(table, name)];
      for (const c of victims) {
        if (c.builtin)
          throw new IptablesError("iptables: Invalid argument. Run `dmesg' for more information.", 1);
        if (table.references(c.name) > 0 || c.rules.length > 0)
          throw new IptablesError(
            `iptables v1.8.9 (nf_tables):  CHAIN_DEL failed (Device or resource busy): chain ${c.name}`,
            4,
          );
      }
      for (const c of victims) table.chains.delete(c.name);
      modify();
      return "";
    }
    case "-E":
    case "--rename-chain": {
      const from = chainOf(table, rest.shift());
      const to = rest.shift() ?? "";
      if (table.chains.has(to)) throw new IptablesError("iptables: File exists.", 1);
      if (from.builtin)
        throw new IptablesError("iptables: Invalid argument. Run `dmesg' for more information.", 1);
      const renamed = new Map<string, Chain>();
      for (const [k, c] of table.chains) {
        if (k === from.name) renamed.set(to, { ...c, name: to });
        else renamed.set(k, c);
        for (const r of c.rules) if (r.target?.name === from.name) r.target.name = to;
      }
      table.chains.clear();
      for (const [k, c] of renamed) table.chains.set(k, c);
      modify();
      return "";
    }
    case "-F":
    case "--flush": {
      const name = rest.shift();
      for (const c of name === undefined ? table.chains.values() : [chainOf(table, name)]) c.rules = [];
      modify();
      return "";
    }
    case "-Z":
    case "--zero": {
      const name = rest.shift();
      for (const c of name === undefined ? table.chains.values() : [chainOf(table, name)])
        for (const r of c.rules) {
          r.packets = 0;
          r.bytes = 0;
        }
      modify();
      return "";
    }
    case "-P":
    case "--policy": {
      const chain = chainOf(table, rest.shift());
      const policy = rest.shift();
      if (!chain.builtin) throw new IptablesError("iptables: Bad built-in chain name.", 1);
      if (policy !== "ACCEPT" && policy !== "DROP") throw new IptablesError("iptables: Bad policy name.", 1);
      chain.policy = policy;
      modify();
      return "";
    }
    case "-S":
    case "--list-rules": {
      const name = rest.shift();
      const chains = name === undefined ? table.ordered() : [chainOf(table, name)];
      const num = rest[0];
      const lines: string[] = [];
      for (const c of chains) {
        if (num === undefined) lines.push(c.builtin ? `-P ${c.name} ${c.policy}` : `-N ${c.name}`);
      }
      for (const c of chains)
        c.rules.forEach((r, i) => {
          if (num === undefined || Number(num) === i + 1) lines.push(`-A ${c.name}${ruleSaveText(r)}`);
        });
      return lines.length === 0 ? "" : `${lines.join("\n")}\n`;
    }
    case "-L":
    case "--list": {
      const name = rest.shift();
      const chains = name === undefined ? table.ordered() : [chainOf(table, name)];
      return `${chains.map((c) => listChain(table, c, f).join("\n")).join("\n\n")}\n`;
    }
    default:
      throw paramProblem(cmd === undefined ? "no command specified" : `unknown option "${cmd}"`);
  }
}

/** `iptables-save [-c] [-t TABLE]` with iptables-save's option errors; `stamp` is the date it prints. */
export function runIptablesSave(state: IptablesState, args: string[], stamp: string): IptablesOutput {
  const program = programName(state.family);
  const fail = (why: string) => ({
    stdout: "",
    stderr: `${program}-save: ${why}\nLook at manual page \`${program}-save.8' for more information.\n`,
    exit: 1,
  });
  let counters = false;
  let only: Table | undefined;
  for (let i = 0; i < args.length; i++) {
    const a = args[i] as string;
    if (a === "-c" || a === "--counters") counters = true;
    else if (a === "-t" || a === "--table") {
      const name = args[++i];
      if (name === undefined) return fail("option requires an argument -- 't'");
      only = state.table(name);
      if (!only) return { stdout: "", stderr: `Table \`${name}' does not exist\n`, exit: 1 };
    } else if (a.startsWith("--")) return fail(`unrecognized option '${a}'`);
    else return fail(`invalid option -- '${a.slice(1, 2)}'`);
  }
  return { stdout: saveText(state, counters, stamp, only), stderr: "", exit: 0 };
}

/**
 * iptables-restore: a whole file (`*table`, `:CHAIN POLICY [p:b]`, rule lines, `COMMIT`) applied
 * at once; without --noflush each table in the file is emptied first. Any error: nothing applied.
 */
export function runIptablesRestore(state: IptablesState, text: string, noflush: boolean): IptablesOutput {
  const staged = new IptablesState(state.family);
  for (const [n, t] of state.tables) staged.tables.set(n, t.clone());
  for (const p of state.present) staged.present.add(p);
  const lines = text.split("\n");
  let tableName: string | undefined;
  // A jump to a chain that does not exist is found when the table is committed (nf_tables).
  let atCommit: IptablesError | undefined;
  for (let i = 0; i < lines.length; i++) {
    const line = (lines[i] as string).trim();
    if (line === "" || line.startsWith("#")) continue;
    try {
      if (line === "COMMIT" && atCommit) throw atCommit;
      if (line.startsWith("*")) {
        tableName = line.slice(1);
        const t = staged.table(tableName);
        if (!t) throw new IptablesError(`iptables-restore: unable to initialize table '${tableName}'`, 1);
        if (!noflush) {
          const fresh = new (t.constructor as new (n: string) => Table)(tableName);
          staged.tables.set(tableName, fresh);
        }
        staged.present.add(tableName);
      } else if (line === "COMMIT") tableName = undefined;
      else if (line.startsWith(":")) {
        const [name = "", policy = "-"] = line.slice(1).split(/\s+/);
        const t = staged.table(tableName ?? "") as Table;
        const existing = t.chains.get(name);
        if (existing?.builtin) {
          if (policy === "ACCEPT" || policy === "DROP") existing.policy = policy;
        } else if (!existing) t.chains.set(name, { name, builtin: false, policy: undefined, rules: [] });
      } else {
        const words = splitWords(line.replace(/^\[\d+:\d+\]\s+/, ""));
        try {
          execute(staged, ["-t", tableName ?? "filter", ...words], { changed: false });
        } catch (e) {
          if (!(e instanceof IptablesError) || !e.message.includes("does not exist")) throw e;
          atCommit ??= e;
        }
      }
    } catch (e) {
      if (!(e instanceof IptablesError)) throw e;
      const message = e.message.split("\n")[0]?.replace(/^iptables v1\.8\.9 \(nf_tables\): /, "") ?? "";
      return {
        stdout: "",
        stderr: forFamily(
          `iptables-restore v1.8.9 (nf_tables): ${message}\nError occurred at line: ${i + 1}\nTry \`iptables-restore -h' or 'iptables-restore --help' for more information.\n`,
          state.family,
        ),
        exit: e.exit === 4 ? 1 : e.exit,
      };
    }
  }
  state.tables.clear();
  for (const [n, t] of staged.tables) state.tables.set(n, t);
  for (const p of staged.present) state.present.add(p);
  state.version++;
  return { stdout: "", stderr: "", exit: 0 };
}

/** Words of a rule line with "double quoted" parts kept together. */
export function splitWords(line: string): string[] {
  const words: string[] = [];
  const re = /"((?:[^"\\]|\\.)*)"|(\S+)/g;
  for (let m = re.exec(line); m; m = re.exec(line))
    words.push(m[1] !== undefined ? m[1].replace(/\\"/g, '"') : (m[2] as string));
  return words;
}
