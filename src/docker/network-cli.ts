/**
 * The client side of `docker network create|ls|prune` and the daemon's network filters, as
 * docker/cli 27–29 and moby have them:
 *
 * - createIpamConfig (cli/command/network/create.go: consolidateIpam in 27, createIPAMConfig in
 *   28 and 29): every --gateway, --ip-range and --aux-address is matched to the --subnet that
 *   contains it, also when there is only one subnet, before any request is sent (`no matching
 *   subnet for gateway 10.9.9.1`, `every ip-range or gateway must have a corresponding subnet`,
 *   `multiple overlapping subnet configuration is not supported`, `cannot configure multiple
 *   ranges|gateways ...`). Subnets are parsed as subnetMatches does (net.ParseCIDR,
 *   `invalid subnet: invalid CIDR address: ...`); 28 also parses each range first; 29 takes
 *   --gateway and --ip-range as pflag's IP and IPNet lists (flag errors, ranges masked), parses
 *   each subnet with netip.ParsePrefix and each aux address with netip.ParseAddr, and skips empty
 *   aux addresses. --subnet, --ip-range and --gateway are comma-separated lists (StringSlice).
 * - FilterArgs (api/types/filters): `-f key=value` as the CLI's FilterOpt takes it (key lowercased,
 *   both trimmed, `bad format of filter (expected name=value)` as a flag error), and Match (exact,
 *   else an unanchored regular expression), ExactMatch and MatchKVList (every `k` / `k=v` must
 *   hold; false for a network without labels).
 * - networkListFilter (daemon/network/filter.go): driver, scope exact; name, id regular
 *   expressions; label; dangling (one value of true/1/false/0); type=custom|builtin (several values
 *   are alternatives); unknown keys `invalid filter 'k'`.
 * - networkPruneFilter (daemon/prune.go): label (all must match), label! (leaves out a network
 *   that matches all of them), until (timetypes.GetTimestamp: a Go duration back from now in whole
 *   seconds, an RFC 3339 time or date, or Unix seconds; a network is pruned unless created after it;
 *   `more than one until filter specified`).
 * - naturalLess (fvbommel/sortorder): `network ls` sorts names naturally (net2 before net10).
 *
 * Deviations: Go's regexp syntax is read as JavaScript's (with a leading `(?i)`); time.Parse's
 * own error texts for a malformed date are `failed to parse value as time or duration`;
 * netip.ParseAddr's IPv6 error details are `unable to parse IP`.
 */

import { DEFAULT_CAPTURE_EPOCH_SECONDS } from "../capture/capture-clock.js";
import { SECOND } from "../sim/time.js";
import { ipv4ToString, parseIpv4 } from "../util/ipv4-address.js";
import { ipv6ToString, parseIpv6 } from "../util/ipv6-address.js";
import { DockerError } from "./docker-error.js";
import type { PoolRequest } from "./ipam.js";
import type { Network } from "./network.js";

/** A flag the CLI could not parse: pflag's text, then `See 'docker ... --help'.`; exit 125. */
export class FlagError extends DockerError {
  constructor(message: string, command: string) {
    super(`${message}\nSee 'docker ${command} --help'.`, 400, false);
  }
}

// ==== Go's address parsers ===================================================================

/** An address of either family as a number of `bits` bits. */
interface GoIp {
  bits: 32 | 128;
  addr: bigint;
}
interface GoNet extends GoIp {
  len: number;
}

function fromV6(b: Uint8Array): GoIp {
  const addr = b.reduce((v, x) => (v << 8n) | BigInt(x), 0n);
  // An IPv4-mapped address is IPv4 to net.IP.
  if (addr >> 32n === 0xffffn) return { bits: 32, addr: addr & 0xffffffffn };
  return { bits: 128, addr };
}

/** net.ParseIP. */
function parseIp(text: string): GoIp | undefined {
  const v4 = parseIpv4(text);
  if (v4 !== undefined) return { bits: 32, addr: BigInt(v4) };
  if (!text.includes(":") || text.includes("%")) return undefined;
  const v6 = parseIpv6(text);
  return v6 ? fromV6(v6) : undefined;
}

function mask(ip: GoIp, len: number): bigint {
  const host = BigInt(ip.bits - len);
  return (ip.addr >> host) << host;
}

/** net.ParseCIDR: the network (masked); undefined where Go says `invalid CIDR address`. */
function parseCidr(text: string): GoNet | undefined {
  const slash = text.indexOf("/");
  if (slash < 0) return undefined;
  const addrText = text.slice(0, slash);
  const v4 = parseIpv4(addrText);
  let ip: GoIp | undefined;
  if (v4 !== undefined) ip = { bits: 32, addr: BigInt(v4) };
  else if (addrText.includes(":") && !addrText.includes("%")) {
    const v6 = parseIpv6(addrText);
    // A mapped address written as IPv6 keeps IPv6's mask length.
    ip = v6 && { bits: 128, addr: v6.reduce((v, x) => (v << 8n) | BigInt(x), 0n) };
  }
  const bits = text.slice(slash + 1);
  if (!ip || !/^\d+$/.test(bits) || Number(bits) > ip.bits) return undefined;
  const len = Number(bits);
  return { bits: ip.bits, addr: mask(ip, len), len };
}

function netContains(n: GoNet, ip: GoIp): boolean {
  return n.bits === ip.bits && mask(ip, n.len) === n.addr;
}

function ipText(ip: GoIp): string {
  if (ip.bits === 32) return ipv4ToString(Number(ip.addr));
  const b = new Uint8Array(16);
  for (let i = 0; i < 16; i++) b[i] = Number((ip.addr >> BigInt(8 * (15 - i))) & 0xffn);
  return ipv6ToString(b);
}

/** netip.ParseAddr's error, or undefined when `text` is an address. */
function parseAddrError(text: string): string | undefined {
  const fail = (msg: string, at?: string) =>
    `ParseAddr(${JSON.stringify(text)}): ${msg}${at === undefined ? "" : ` (at ${JSON.stringify(at)})`}`;
  const first = [...text].findIndex((c) => c === "." || c === ":" || c === "%");
  const kind = first < 0 ? "" : text[first];
  if (kind === "") return fail("unable to parse IP");
  if (kind === "%") return fail("missing IPv6 address");
  if (kind === ":") return parseIpv6(text) ? undefined : fail("unable to parse IP");
  // parseIPv4.
  let val = 0;
  let digits = 0;
  let pos = 0;
  for (let i = 0; i < text.length; i++) {
    const c = text[i] as string;
    if (c >= "0" && c <= "9") {
      if (digits === 1 && val === 0) return fail("IPv4 field has octet with leading zero");
      val = val * 10 + Number(c);
      digits++;
      if (val > 255) return fail("IPv4 field has value >255");
    } else if (c === ".") {
      if (i === 0 || i === text.length - 1 || text[i - 1] === ".")
        return fail("IPv4 field must have at least one digit", text.slice(i));
      if (pos === 3) return fail("IPv4 address too long");
      pos++;
      val = 0;
      digits = 0;
    } else return fail("unexpected character", text.slice(i));
  }
  return pos < 3 ? fail("IPv4 address too short") : undefined;
}

/** netip.ParsePrefix's error, or undefined when `text` is a prefix. */
export function parsePrefixError(text: string): string | undefined {
  const fail = (msg: string) => `netip.ParsePrefix(${JSON.stringify(text)}): ${msg}`;
  const slash = text.lastIndexOf("/");
  if (slash < 0) return fail("no '/'");
  const addr = text.slice(0, slash);
  const addrError = parseAddrError(addr);
  if (addrError) return fail(addrError);
  const bits = text.slice(slash + 1);
  if ((bits.length > 1 && !/^[1-9]/.test(bits)) || !/^[+-]?\d+$/.test(bits))
    return fail(`bad bits after slash: ${JSON.stringify(bits)}`);
  const n = Number(bits);
  return n < 0 || n > (addr.includes(":") ? 128 : 32) ? fail("prefix length out of range") : undefined;
}

// ==== network create: the IPAM configuration ================================================

export interface IpamFlags {
  subnets: string[];
  ranges: string[];
  gateways: string[];
  /** --aux-address name=ip, in order (a repeated name keeps its last address). */
  aux: [string, string][];
}

/** pflag's StringSlice and IP/IPNet slices: each value is a comma-separated list. */
export function commaList(values: string[]): string[] {
  return values.flatMap((v) => v.split(","));
}

/**
 * 29's --gateway and --ip-range are pflag's IPSlice and IPNetSlice: each value parsed when the
 * flags are (FlagErrors), a range kept as its network, an address in Go's form.
 */
export function parseIpamFlags(version: number, flags: IpamFlags): IpamFlags {
  if (version < 29) return flags;
  return {
    ...flags,
    gateways: flags.gateways.map((g) => {
      const ip = parseIp(g.trim());
      if (!ip)
        throw new FlagError(
          `invalid argument "${g}" for "--gateway" flag: invalid string being converted to IP address: ${g}`,
          "network create",
        );
      return ipText(ip);
    }),
    ranges: flags.ranges.map((r) => {
      const net = parseCidr(r.trim());
      if (!net)
        throw new FlagError(
          `invalid argument "${r}" for "--ip-range" flag: invalid string being converted to CIDR: ${r}`,
          "network create",
        );
      return `${ipText(net)}/${net.len}`;
    }),
  };
}

/**
 * The CLI's IPAM configuration (of flags as parseIpamFlags left them): one request per --subnet
 * (in the order given) with the gateway, ip-range and aux addresses it contains. Errors are the
 * CLI's own; nothing is sent.
 */
export function createIpamConfig(version: number, flags: IpamFlags): PoolRequest[] {
  const fail = (text: string) => new DockerError(text, 400, false);
  const { subnets, ranges, gateways } = flags;
  if (subnets.length < ranges.length || subnets.length < gateways.length)
    throw fail("every ip-range or gateway must have a corresponding subnet");

  /** subnetMatches: whether `data` (an address, or a CIDR's address) is in `subnet`. */
  const subnetMatches = (subnet: string, data: string): boolean => {
    const s = parseCidr(subnet);
    if (!s) throw fail(`invalid subnet: invalid CIDR address: ${subnet}`);
    let ip: GoIp | undefined;
    if (data.includes("/")) {
      const d = parseCidr(data);
      if (!d) throw fail(`invalid CIDR address: ${data}`);
      // net.ParseCIDR's first result: the address as written.
      const slash = data.indexOf("/");
      ip = parseIp(data.slice(0, slash)) ?? d;
    } else ip = parseIp(data);
    return ip !== undefined && netContains(s, ip);
  };

  const reqs = new Map<string, PoolRequest>();
  for (const s of subnets) {
    for (const k of reqs.keys())
      if (subnetMatches(s, k) || subnetMatches(k, s))
        throw fail("multiple overlapping subnet configuration is not supported");
    if (version >= 29) {
      const e = parsePrefixError(s);
      if (e) throw fail(e);
    }
    reqs.set(s, { subnet: s, auxAddresses: [] });
  }
  for (const r of ranges) {
    let match = false;
    for (const s of subnets) {
      if (version === 28 && !parseCidr(r)) throw fail(`invalid CIDR address: ${r}`);
      if (!subnetMatches(s, r)) continue;
      const req = reqs.get(s) as PoolRequest;
      if (req.ipRange)
        throw fail(`cannot configure multiple ranges (${r}, ${req.ipRange}) on the same subnet (${s})`);
      req.ipRange = r;
      match = true;
    }
    if (!match) throw fail(`no matching subnet for range ${r}`);
  }
  for (const g of gateways) {
    let match = false;
    for (const s of subnets) {
      if (!subnetMatches(s, g)) continue;
      const req = reqs.get(s) as PoolRequest;
      if (req.gateway)
        throw fail(`cannot configure multiple gateways (${g}, ${req.gateway}) for the same subnet (${s})`);
      req.gateway = g;
      match = true;
    }
    if (!match) throw fail(`no matching subnet for gateway ${g}`);
  }
  const aux = new Map<string, string>();
  for (const [name, address] of flags.aux) aux.set(name, address);
  for (const [name, address] of aux) {
    if (version >= 29) {
      if (address === "") continue;
      const e = parseAddrError(address);
      if (e) throw fail(e);
    }
    let match = false;
    for (const s of subnets) {
      if (!subnetMatches(s, address)) continue;
      reqs.get(s)?.auxAddresses?.push([name, address]);
      match = true;
    }
    if (!match) throw fail(`no matching subnet for aux-address ${address}`);
  }
  return [...reqs.values()];
}

// ==== filters =================================================================================

/** filters.Args: values per key, each value once. */
export class FilterArgs {
  readonly fields = new Map<string, string[]>();

  /** opts.FilterOpt: `-f key=value` as given on the command line. */
  static parse(specs: string[], flag: string, command: string): FilterArgs {
    const args = new FilterArgs();
    for (const spec of specs) {
      if (spec === "") continue;
      const eq = spec.indexOf("=");
      if (eq < 0)
        throw new FlagError(
          `invalid argument "${spec}" for "${flag}" flag: bad format of filter (expected name=value)`,
          command,
        );
      args.add(spec.slice(0, eq).trim().toLowerCase(), spec.slice(eq + 1).trim());
    }
    return args;
  }

  add(key: string, value: string): void {
    const values = this.fields.get(key) ?? [];
    if (!values.includes(value)) values.push(value);
    this.fields.set(key, values);
  }

  get(key: string): string[] {
    return this.fields.get(key) ?? [];
  }

  contains(key: string): boolean {
    return this.fields.has(key);
  }

  /** Validate: every key accepted, else `invalid filter 'key'`. */
  validate(accepted: string[]): void {
    for (const key of this.fields.keys())
      if (!accepted.includes(key)) throw new DockerError(`invalid filter '${key}'`, 400);
  }

  exactMatch(key: string, source: string): boolean {
    const values = this.get(key);
    return values.length === 0 || values.includes(source);
  }

  /** An exact value, or a value as an unanchored regular expression. */
  match(key: string, source: string): boolean {
    if (this.exactMatch(key, source)) return true;
    return this.get(key).some((v) => goRegexp(v)?.test(source) ?? false);
  }

  /** Every `k` / `k=v` of `key` holds in `labels`. */
  matchKVList(key: string, labels: Record<string, string>): boolean {
    const values = this.get(key);
    if (values.length === 0) return true;
    if (Object.keys(labels).length === 0) return false;
    return values.every((v) => {
      const eq = v.indexOf("=");
      const k = eq < 0 ? v : v.slice(0, eq);
      return Object.hasOwn(labels, k) && (eq < 0 || labels[k] === v.slice(eq + 1));
    });
  }
}

/** Go's regexp read as JavaScript's; undefined when it does not compile (the value is skipped). */
function goRegexp(pattern: string): RegExp | undefined {
  const m = /^\(\?([imsU]+)\)/.exec(pattern);
  try {
    return new RegExp(m ? pattern.slice(m[0].length) : pattern, (m?.[1] ?? "").replace(/[mU]/g, ""));
  } catch {
    return undefined;
  }
}

/** `docker network ls -f`: which networks show. */
export function networkListFilter(args: FilterArgs): (n: Network) => boolean {
  args.validate(["dangling", "driver", "id", "label", "name", "scope", "type"]);
  const dangling = args.get("dangling");
  if (dangling.length > 1) throw new DockerError(`got more than one value for filter key "dangling"`, 400);
  const danglingOnly = dangling[0] === undefined ? undefined : goDanglingValue(dangling[0]);
  for (const t of args.get("type"))
    if (t !== "builtin" && t !== "custom") throw new DockerError(`invalid filter: 'type'='${t}'`, 500);
  return (n) => {
    if (args.contains("driver") && !args.exactMatch("driver", n.driver)) return false;
    if (args.contains("name") && !args.match("name", n.name)) return false;
    if (args.contains("id") && !args.match("id", n.id)) return false;
    if (args.contains("label") && !args.matchKVList("label", n.spec.labels)) return false;
    if (args.contains("scope") && !args.exactMatch("scope", "local")) return false;
    if (danglingOnly !== undefined && isDangling(n) !== danglingOnly) return false;
    const types = args.get("type");
    if (types.length > 0 && !types.some((t) => (t === "builtin") === n.predefined)) return false;
    return true;
  };
}

function goDanglingValue(v: string): boolean {
  if (v === "1" || v === "true") return true;
  if (v === "0" || v === "false") return false;
  throw new DockerError(
    `invalid value for filter 'dangling', must be "true" (or "1"), or "false" (or "0")`,
    400,
  );
}

/** filterNetworkByUse: not predefined and no container attached. */
function isDangling(n: Network): boolean {
  return !n.predefined && n.endpoints.size === 0;
}

/**
 * `docker network prune --filter` (daemon/prune.go localNetworksPrune): which unused networks
 * go; `now` is the daemon's clock (simulated nanoseconds).
 */
export function networkPruneFilter(args: FilterArgs, now: number): (n: Network) => boolean {
  args.validate(["label", "label!", "until"]);
  const untils = args.get("until");
  if (untils.length > 1) throw new DockerError("more than one until filter specified", 400);
  const until = untils[0] === undefined ? undefined : untilTime(untils[0], now);
  return (n) => {
    if (n.spec.configOnly || n.predefined || n.endpoints.size > 0) return false;
    if (until !== undefined && createdNs(n.created) > until) return false;
    if (!args.matchKVList("label", n.spec.labels)) return false;
    if (args.contains("label!") && args.matchKVList("label!", n.spec.labels)) return false;
    return true;
  };
}

/** Simulated nanoseconds of an RFC 3339 time made by rfc3339Nano. */
function createdNs(text: string): number {
  const m = /^(.*?)(?:\.(\d+))?Z$/.exec(text);
  const seconds = Date.parse(`${m?.[1] ?? ""}Z`) / 1000 - DEFAULT_CAPTURE_EPOCH_SECONDS;
  return seconds * SECOND + Number((m?.[2] ?? "").padEnd(9, "0").slice(0, 9) || 0);
}

const DURATION_UNITS: Record<string, number> = {
  ns: 1,
  us: 1e3,
  "\u00b5s": 1e3,
  "\u03bcs": 1e3,
  ms: 1e6,
  s: 1e9,
  m: 60e9,
  h: 3600e9,
};

/** time.ParseDuration in nanoseconds; undefined when it is not a Go duration. */
function goDuration(text: string): number | undefined {
  const m = /^([-+]?)(.*)$/.exec(text) as RegExpExecArray;
  const body = m[2] as string;
  if (body === "0") return 0;
  const part = /(\d*\.?\d*)(ns|us|\u00b5s|\u03bcs|ms|s|m|h)/y;
  let total = 0;
  let at = 0;
  while (at < body.length) {
    part.lastIndex = at;
    const p = part.exec(body);
    if (!p || p[1] === "" || p[1] === ".") return undefined;
    total += Number(p[1]) * (DURATION_UNITS[p[2] as string] as number);
    at = part.lastIndex;
  }
  if (body === "") return undefined;
  return m[1] === "-" ? -total : total;
}

/** timetypes.GetTimestamp then ParseTimestamps, in simulated nanoseconds. */
function untilTime(value: string, now: number): number {
  const epochNs = (seconds: number) => (seconds - DEFAULT_CAPTURE_EPOCH_SECONDS) * SECOND;
  const d = goDuration(value);
  if (d !== undefined && value !== "0") {
    // reference.Add(-d).Unix(): whole seconds.
    const unix = Math.floor((now - d) / SECOND + DEFAULT_CAPTURE_EPOCH_SECONDS);
    return epochNs(unix);
  }
  // RFC 3339 times and dates (the daemon's zone is UTC).
  const date = /^\d{4}-\d\d-\d\d(T\d\d(:\d\d(:\d\d(\.\d+)?)?)?)?(Z|[+-]\d\d:\d\d)?$/i.exec(value);
  if (date) {
    let text = value;
    if (!date[1]) text = `${value.slice(0, 10)}T00:00:00${value.slice(10)}`;
    else if (!date[2]) text = `${value.slice(0, 13)}:00:00${value.slice(13)}`;
    else if (!date[3]) text = `${value.slice(0, 16)}:00${value.slice(16)}`;
    if (!date[5]) text += "Z";
    const frac = /\.(\d+)/.exec(text)?.[1] ?? "";
    const ms = Date.parse(text.replace(/\.\d+/, ""));
    if (!Number.isNaN(ms))
      return epochNs(Math.floor(ms / 1000)) + Number(frac.padEnd(9, "0").slice(0, 9) || 0);
  }
  const unix = /^(\d+)(?:\.(\d+))?$/.exec(value);
  if (!value.includes("-") && unix)
    return epochNs(Number(unix[1])) + Math.round(Number(`0.${unix[2] ?? "0"}`) * SECOND);
  throw new DockerError(`failed to parse value as time or duration: "${value}"`, 400);
}

// ==== ls ordering =============================================================================

/** sortorder.NaturalLess: digit runs compare as numbers (fewer leading zeros first), digits first. */
export function naturalLess(a: string, b: string): boolean {
  const digit = (c: string | undefined) => c !== undefined && c >= "0" && c <= "9";
  let i = 0;
  let j = 0;
  while (i < a.length && j < b.length) {
    const c1 = a[i] as string;
    const c2 = b[j] as string;
    const d1 = digit(c1);
    const d2 = digit(c2);
    if (d1 !== d2) return d1;
    if (!d1) {
      if (c1 !== c2) return c1 < c2;
      i++;
      j++;
      continue;
    }
    while (a[i] === "0") i++;
    while (b[j] === "0") j++;
    const nz1 = i;
    const nz2 = j;
    while (digit(a[i])) i++;
    while (digit(b[j])) j++;
    if (i - nz1 !== j - nz2) return i - nz1 < j - nz2;
    const n1 = a.slice(nz1, i);
    const n2 = b.slice(nz2, j);
    if (n1 !== n2) return n1 < n2;
    if (nz1 !== nz2) return nz1 < nz2;
  }
  return a.length < b.length;
}
