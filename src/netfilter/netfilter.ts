/**
 * The IPv4 netfilter hooks of one namespace (net/netfilter/core.c nf_hook_slow, ip_tables.c
 * ipt_do_table): at PREROUTING, INPUT, FORWARD, OUTPUT and POSTROUTING the tables registered there
 * run in Linux's priority order — raw (−300), conntrack (−200), mangle (−150), nat for DNAT
 * (−100), filter (0), nat for SNAT (+100), conntrack confirm (last) — each walking its chain:
 * rules in order, jumps and gotos, RETURN, the built-in chain's policy, per-rule counters.
 * Conntrack runs in a namespace once a rule asks for it (as nf_ct_netns_get does); nat chains see
 * only a connection's first packet.
 * NAT (nat.ts) binds a new connection in the nat chains and rewrites every later packet at the
 * nat hooks. LOG writes nf_log_syslog's line (log-target.ts) to the kernel log.
 * The same class runs ip6tables (net/ipv6/netfilter/ip6_tables.c) on a state of family 6, at the
 * IPv6 stack's hooks: the IPv6 header's addresses (compared word by word against the rule's
 * prefix), the upper protocol after Hop-by-Hop, Routing and Destination Options headers, ports
 * and ICMPv6 type; addresses reach conntrack, addrtype and NAT as the namespace's interned ids
 * (the host's `addressId`), and conntrack is the namespace's one table, shared with IPv4.
 * Neighbour discovery and MLD are left untracked, as nf_conntrack_icmpv6_error leaves them.
 * Deviation: `-m iprange` compares IPv4 addresses only.
 */

import type { Packet } from "../link/packet.js";
import { u16, u32 } from "../util/bytes.js";
import { parseIpv4 } from "../util/ipv4-address.js";
import { parseIpv6 } from "../util/ipv6-address.js";
import {
  Conntrack,
  type ConntrackEntry,
  CT_ESTABLISHED,
  CT_INVALID,
  CT_NEW,
  CT_RELATED,
  CT_UNTRACKED,
} from "./conntrack.js";
import { BUILTIN_TARGETS } from "./extensions.js";
import { maskedIpv6 } from "./family.js";
import { logLine } from "./log-target.js";
import { bind, MANIP_DST, MANIP_SRC, natRange, rewrite, rewriteIcmpError } from "./nat.js";
import { natRange6, rewrite6, rewriteIcmpv6Error, upperLayer } from "./nat6.js";
import type { Match, Rule } from "./rule.js";
import type { Chain, IptablesState } from "./tables.js";

const BUILTIN_TARGET_NAMES = new Set(BUILTIN_TARGETS);
const LOOPBACK6 = Uint8Array.of(0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 1);

export const NF_PREROUTING = 0;
export const NF_INPUT = 1;
export const NF_FORWARD = 2;
export const NF_OUTPUT = 3;
export const NF_POSTROUTING = 4;
const HOOK_CHAINS = ["PREROUTING", "INPUT", "FORWARD", "OUTPUT", "POSTROUTING"];

/** Tables at each hook, in priority order. */
const HOOK_TABLES: string[][] = [
  ["raw", "mangle", "nat"],
  ["mangle", "filter", "nat"],
  ["mangle", "filter"],
  ["raw", "mangle", "nat", "filter"],
  ["mangle", "nat"],
];

export const NF_ACCEPT = 1;
export const NF_DROP = 0;

/** What netfilter needs from the kernel around it. */
export interface NetfilterHost {
  now(): number;
  /** RTN_* type of an address as `-m addrtype` sees it: LOCAL, BROADCAST, MULTICAST, UNICAST, ... */
  addressType(addr: number): string;
  /** The address MASQUERADE uses on `outName` toward `dst` (the route's source address). */
  sourceAddress(outName: string, dst: number): number;
  /** The primary address of device `name` (REDIRECT in PREROUTING); 0 if none. */
  deviceAddress(name: string): number;
  /** Answer `pkt` (head at the IPv4 header) as REJECT --reject-with `how` does. */
  reject(pkt: Packet, how: string, hook: number): void;
  log(line: string): void;
  /** A LOG target's line (the kernel decides whether this namespace's lines are kept). */
  logPacket(line: string): void;
  /** A sysctl's numeric value. */
  sysctl(key: string): number;
  /** A seeded random integer in [0, n) (NAT port choice). */
  random(n: number): number;
  /** IPv6 only: the interned id of the address at `buf`/`off`, and the bytes of an id. */
  addressId?(buf: Uint8Array, off: number): number;
  addressBytes?(id: number): Uint8Array;
  /** The text of an interned IPv6 address id (conntrack listings; the table is shared). */
  ipv6Text?(id: number): string;
}

/** What the rules look at, filled once per packet and hook (no allocation on the packet path). */
interface Facts {
  src: number;
  dst: number;
  protocol: number;
  sport: number;
  dport: number;
  tcpFlags: number;
  icmpType: number;
  icmpCode: number;
  inName: string;
  outName: string;
  length: number;
  /** Where the upper-layer header starts. */
  l4: number;
  ctState: number;
  /** The packet's connection (for --ctorig*, --ctstatus), if tracked. */
  ct: ConntrackEntry | undefined;
}

type Check = (f: Facts, pkt: Packet) => boolean;

interface CompiledRule {
  rule: Rule;
  check: Check;
  /** The chain a jump or goto leads to, resolved when compiling. */
  jump: CompiledChain | undefined;
  /** A target that acts and lets the packet go on (LOG, MARK, CONNMARK), its options parsed once. */
  action: ((f: Facts, pkt: Packet) => void) | undefined;
}

interface CompiledChain {
  chain: Chain;
  rules: CompiledRule[];
}

/** One table's part of a hook: its built-in chain there (if the table exists); nat is special. */
interface Stage {
  nat: boolean;
  start: CompiledChain | undefined;
}

const CT_STATE_BITS: Record<string, number> = {
  INVALID: 1 << CT_INVALID,
  NEW: 1 << CT_NEW,
  RELATED: 1 << CT_RELATED,
  ESTABLISHED: 1 << CT_ESTABLISHED,
  UNTRACKED: 1 << CT_UNTRACKED,
};

/** A matcher for an interface pattern (`veth+` matches every name starting with `veth`). */
function ifaceMatcher(pattern: string): (name: string) => boolean {
  if (!pattern.endsWith("+")) return (name) => name === pattern;
  const prefix = pattern.slice(0, -1);
  return (name) => name.startsWith(prefix);
}

/** A port or `lo:hi` range, parsed once into a test on numbers. */
function portRange(spec: string): (port: number) => boolean {
  const [a = "", b] = spec.split(":");
  const lo = Number(a);
  const hi = b === undefined ? lo : Number(b);
  return (port) => port >= lo && port <= hi;
}

export class Netfilter {
  readonly conntrack: Conntrack;
  private compiledVersion = -1;
  private compiled = new Map<string, Map<string, CompiledChain>>();
  /** Conntrack runs once some rule needs it (conntrack/state matches, nat rules). */
  private tracking = false;
  private readonly facts: Facts = {
    src: 0,
    dst: 0,
    protocol: 0,
    sport: 0,
    dport: 0,
    tcpFlags: 0,
    icmpType: 0,
    icmpCode: 0,
    inName: "",
    outName: "",
    length: 0,
    l4: 0,
    ctState: 0,
    ct: undefined,
  };
  private readonly v6: boolean;

  constructor(
    readonly state: IptablesState,
    private readonly host: NetfilterHost,
    /** The namespace's connection table when another family's netfilter has made it already. */
    conntrack?: Conntrack,
  ) {
    this.v6 = state.family === 6;
    this.conntrack =
      conntrack ??
      new Conntrack({
        now: () => host.now(),
        setting: (name) => host.sysctl(`net.netfilter.${name}`),
        log: (line) => host.log(line),
        ipv6Text: (id) => host.ipv6Text?.(id) ?? String(id),
      });
  }

  private bytesOf = (id: number): Uint8Array => (this.host.addressBytes as (id: number) => Uint8Array)(id);

  /** Anything to do at all: rules present or connections tracked. */
  get active(): boolean {
    return this.state.version > 0 || this.conntrack.size > 0;
  }

  /**
   * Run hook `hook` on `pkt` (head at the IPv4 header) arriving on `inName` / leaving by
   * `outName` ("" when not known); NF_ACCEPT or NF_DROP.
   */
  hook(hook: number, pkt: Packet, inName: string, outName: string): number {
    if (this.compiledVersion !== this.state.version) this.compile();
    const f = this.facts;
    this.fill(pkt, inName, outName);
    const stages = this.hookStages[hook] as Stage[];
    let first = 0;
    if (hook === NF_PREROUTING || hook === NF_OUTPUT) {
      // raw runs before conntrack (priority -300 < -200): NOTRACK there leaves the packet untracked.
      const raw = (stages[0] as Stage).start;
      this.notrack = false;
      if (raw && this.walk(raw, f, pkt, hook) === NF_DROP) return this.dropped(pkt);
      first = 1;
      if (this.tracking) {
        if (this.notrack) {
          pkt.ct = undefined;
          pkt.ctInfo = CT_UNTRACKED;
          pkt.ctReply = false;
        } else this.track(pkt, f);
      }
    }
    let entry: ConntrackEntry | undefined;
    let info = CT_UNTRACKED;
    let reply = false;
    if (this.tracking) {
      entry = pkt.ct as ConntrackEntry | undefined;
      info = pkt.ctInfo;
      reply = pkt.ctReply;
      f.ctState = info;
      f.ct = entry;
    }
    const isNew = info === CT_NEW;
    for (let s = first; s < stages.length; s++) {
      const stage = stages[s] as Stage;
      if (stage.nat) {
        if (isNew && entry && !entry.confirmed && stage.start) {
          this.binding = entry;
          const verdict = this.walk(stage.start, f, pkt, hook);
          this.binding = undefined;
          if (verdict === NF_DROP) return this.dropped(pkt);
        }
        // nf_nat_ipv4_fn: destination at PREROUTING/OUTPUT, source at INPUT/POSTROUTING, and only
        // the manip the connection has for this direction (nf_nat_packet's statusbit): source going
        // out and destination coming back for SNAT, the other way round for DNAT.
        if (entry && (entry.snat || entry.dnat)) {
          const manip = hook === NF_PREROUTING || hook === NF_OUTPUT ? MANIP_DST : MANIP_SRC;
          if ((manip === MANIP_SRC) !== reply ? entry.snat : entry.dnat) {
            if (this.v6) {
              if (info === CT_RELATED && f.protocol === 58)
                rewriteIcmpv6Error(pkt, entry, reply, manip, this.bytesOf);
              else rewrite6(pkt, entry, reply, manip, this.bytesOf);
            } else if (info === CT_RELATED && f.protocol === 1) rewriteIcmpError(pkt, entry, reply, manip);
            else rewrite(pkt, entry, reply, manip);
            this.fill(pkt, inName, outName);
            f.ctState = info;
            f.ct = entry;
          }
        }
        continue;
      }
      if (stage.start && this.walk(stage.start, f, pkt, hook) === NF_DROP) return this.dropped(pkt);
    }
    if (hook === NF_INPUT || hook === NF_POSTROUTING) {
      // The packet leaves this namespace's netfilter; a new connection becomes part of the table.
      pkt.ct = undefined;
      pkt.physIn = "";
      pkt.physOut = "";
      if (entry && !entry.confirmed && !this.conntrack.confirm(entry)) return NF_DROP;
    }
    return NF_ACCEPT;
  }

  private dropped(pkt: Packet): number {
    pkt.ct = undefined;
    return NF_DROP;
  }

  /** The new connection the nat chains are binding (set while walking them). */
  private binding: ConntrackEntry | undefined;
  /** NOTRACK (or CT --notrack) ran in the raw table for the packet at hand. */
  private notrack = false;

  /**
   * nf_conntrack_in at PREROUTING/OUTPUT: the packet's entry, ctinfo and direction go with the
   * packet (skb->_nfct) to the later hooks.
   */
  private track(pkt: Packet, f: Facts): void {
    if (this.v6) {
      this.track6(pkt, f);
      return;
    }
    const b = pkt.buf;
    const o = pkt.head;
    const ct = this.conntrack;
    let entry: ConntrackEntry | undefined;
    if (f.protocol === 1 && f.icmpType !== 8 && f.icmpType !== 0) {
      // An ICMP error: the quoted header tells which connection it is about (as seen by its sender).
      const q = o + ((b[o] as number) & 15) * 4 + 8;
      if (q + 28 <= pkt.tail) {
        const qp = b[q + 9] as number;
        const l4 = q + ((b[q] as number) & 15) * 4;
        entry = ct.lookupRelated(
          qp,
          u32(b, q + 12),
          u32(b, q + 16),
          qp === 1 ? u16(b, l4 + 4) : u16(b, l4),
          qp === 1 ? ((b[l4] as number) << 8) | (b[l4 + 1] as number) : u16(b, l4 + 2),
        );
      } else {
        ct.info = CT_INVALID;
        ct.isReply = false;
      }
    } else {
      const dport = f.protocol === 1 ? (f.icmpType << 8) | f.icmpCode : f.dport;
      entry = ct.lookup(f.protocol, f.src, f.dst, f.sport, dport, f.tcpFlags);
    }
    pkt.ct = entry;
    pkt.ctInfo = ct.info;
    pkt.ctReply = ct.isReply;
  }

  /**
   * nf_conntrack_in for IPv6: neighbour discovery and MLD untracked, ICMPv6 errors RELATED to the
   * connection they quote (or INVALID), echo requests and replies as connections, TCP and UDP.
   */
  private track6(pkt: Packet, f: Facts): void {
    const ct = this.conntrack;
    let entry: ConntrackEntry | undefined;
    const type = f.icmpType;
    if (f.protocol === 58 && ((type >= 130 && type <= 137) || type === 143)) {
      pkt.ct = undefined;
      pkt.ctInfo = CT_UNTRACKED;
      pkt.ctReply = false;
      return;
    }
    if (f.protocol === 58 && type < 128) {
      const b = pkt.buf;
      const q = f.l4 + 8;
      const inner = q + 40 <= pkt.tail ? upperLayer(b, q, pkt.tail) : undefined;
      if (inner?.first && inner.l4 + 8 <= pkt.tail) {
        const id = this.host.addressId as (buf: Uint8Array, off: number) => number;
        const qp = inner.nh;
        const l4 = inner.l4;
        entry = ct.lookupRelated(
          qp,
          id(b, q + 8),
          id(b, q + 24),
          qp === 58 ? u16(b, l4 + 4) : u16(b, l4),
          qp === 58 ? ((b[l4] as number) << 8) | (b[l4 + 1] as number) : u16(b, l4 + 2),
          6,
        );
      } else {
        ct.info = CT_INVALID;
        ct.isReply = false;
      }
    } else {
      const dport = f.protocol === 58 ? (type << 8) | f.icmpCode : f.dport;
      entry = ct.lookup(f.protocol, f.src, f.dst, f.sport, dport, f.tcpFlags, 6);
    }
    pkt.ct = entry;
    pkt.ctInfo = ct.info;
    pkt.ctReply = ct.isReply;
  }

  /** A NAT target in the nat chains: bind the connection being set up. */
  private natTarget(t: NonNullable<Rule["target"]>, f: Facts, hook: number): void {
    const e = this.binding;
    if (!e) return;
    const get = (flag: string) => t.options.find(([k]) => k === flag)?.[1];
    const taken = (reply: { src: number; dst: number; sport: number; dport: number }) =>
      this.conntrack.taken(reply, e.protocol, e.family);
    const random = (span: number) => this.host.random(span);
    const ports = (get("--to-ports") ?? "").split("-");
    const lo = ports[0] ? Number(ports[0]) : 0;
    const hi = ports[1] ? Number(ports[1]) : lo;
    // IPv6 ranges: the address as its interned id (0: none given, only ports).
    const range = (text: string) => {
      if (!this.v6) return natRange(text);
      const r = natRange6(text);
      const id = this.host.addressId as (buf: Uint8Array, off: number) => number;
      return { addr: r.addr ? id(r.addr, 0) : 0, portLo: r.portLo, portHi: r.portHi };
    };
    if (t.name === "DNAT") {
      const r = range(get("--to-destination") ?? "");
      bind(e, MANIP_DST, r.addr, r.portLo, r.portHi, taken, () => 0);
    } else if (t.name === "REDIRECT") {
      bind(
        e,
        MANIP_DST,
        hook === NF_OUTPUT
          ? this.v6
            ? (this.host.addressId as (buf: Uint8Array, off: number) => number)(LOOPBACK6, 0)
            : 0x7f000001
          : this.host.deviceAddress(f.inName),
        lo,
        hi,
        taken,
        () => 0,
      );
    } else if (t.name === "SNAT") {
      const r = range(get("--to-source") ?? "");
      bind(e, MANIP_SRC, r.addr, r.portLo, r.portHi, taken, random, get("--random") !== undefined);
    } else if (t.name === "MASQUERADE") {
      const addr = this.host.sourceAddress(f.outName, f.dst);
      bind(e, MANIP_SRC, addr, lo, hi, taken, random, get("--random") !== undefined);
    }
  }

  private fill(pkt: Packet, inName: string, outName: string): void {
    if (this.v6) {
      this.fill6(pkt, inName, outName);
      return;
    }
    const f = this.facts;
    const b = pkt.buf;
    const o = pkt.head;
    const l4 = o + ((b[o] as number) & 15) * 4;
    f.src = u32(b, o + 12);
    f.dst = u32(b, o + 16);
    f.protocol = b[o + 9] as number;
    f.length = u16(b, o + 2);
    f.inName = inName;
    f.outName = outName;
    f.ctState = CT_UNTRACKED;
    f.ct = undefined;
    f.sport = 0;
    f.dport = 0;
    f.tcpFlags = 0;
    f.icmpType = 0;
    f.icmpCode = 0;
    const fragmented = (u16(b, o + 6) & 0x1fff) !== 0;
    if (fragmented) return;
    if (f.protocol === 6 || f.protocol === 17) {
      f.sport = u16(b, l4);
      f.dport = u16(b, l4 + 2);
      if (f.protocol === 6) f.tcpFlags = b[l4 + 13] as number;
    } else if (f.protocol === 1) {
      f.icmpType = b[l4] as number;
      f.icmpCode = b[l4 + 1] as number;
      f.sport = u16(b, l4 + 4); // the echo id
    }
  }

  /** The facts of an IPv6 packet: ids for its addresses, the upper protocol past extension headers. */
  private fill6(pkt: Packet, inName: string, outName: string): void {
    const f = this.facts;
    const b = pkt.buf;
    const o = pkt.head;
    const id = this.host.addressId as (buf: Uint8Array, off: number) => number;
    f.src = id(b, o + 8);
    f.dst = id(b, o + 24);
    f.length = 40 + u16(b, o + 4);
    f.inName = inName;
    f.outName = outName;
    f.ctState = CT_UNTRACKED;
    f.ct = undefined;
    f.sport = 0;
    f.dport = 0;
    f.tcpFlags = 0;
    f.icmpType = 0;
    f.icmpCode = 0;
    const { nh, l4, first } = upperLayer(b, o, pkt.tail);
    f.protocol = nh;
    f.l4 = l4;
    if (!first) return;
    if ((nh === 6 || nh === 17) && l4 + 4 <= pkt.tail) {
      f.sport = u16(b, l4);
      f.dport = u16(b, l4 + 2);
      if (nh === 6 && l4 + 14 <= pkt.tail) f.tcpFlags = b[l4 + 13] as number;
    } else if (nh === 58 && l4 + 2 <= pkt.tail) {
      f.icmpType = b[l4] as number;
      f.icmpCode = b[l4 + 1] as number;
      if (l4 + 6 <= pkt.tail) f.sport = u16(b, l4 + 4); // the echo id
    }
  }

  /** Chains and positions to return to: preallocated, reused by every walk. */
  private readonly stackChains: CompiledChain[] = [];
  private readonly stackPos: number[] = [];

  /** ipt_do_table: the chain's rules, jumps, gotos, RETURN and the policy. */
  private walk(start: CompiledChain, f: Facts, pkt: Packet, hook: number): number {
    let depth = 0;
    let chain = start;
    let rules = chain.rules;
    let i = 0;
    for (;;) {
      if (i >= rules.length) {
        if (chain.chain.builtin || depth === 0) return chain.chain.policy === "DROP" ? NF_DROP : NF_ACCEPT;
        depth--;
        chain = this.stackChains[depth] as CompiledChain;
        rules = chain.rules;
        i = this.stackPos[depth] as number;
        continue;
      }
      const cr = rules[i] as CompiledRule;
      i++;
      if (!cr.check(f, pkt)) continue;
      const r = cr.rule;
      r.packets++;
      r.bytes += f.length;
      const t = r.target;
      if (!t) continue;
      if (cr.action) {
        cr.action(f, pkt);
        continue;
      }
      if (cr.jump) {
        if (!t.goto) {
          this.stackChains[depth] = chain;
          this.stackPos[depth] = i;
          depth++;
        }
        chain = cr.jump;
        rules = chain.rules;
        i = 0;
        continue;
      }
      switch (t.name) {
        case "ACCEPT":
          return NF_ACCEPT;
        case "DROP":
          return NF_DROP;
        case "REJECT":
          this.host.reject(
            pkt,
            t.options[0]?.[1] ?? (this.v6 ? "icmp6-port-unreachable" : "icmp-port-unreachable"),
            hook,
          );
          return NF_DROP;
        case "RETURN":
          i = rules.length; // as if the chain ended: back to the caller, or the policy
          continue;
        case "DNAT":
        case "SNAT":
        case "MASQUERADE":
        case "REDIRECT":
          this.natTarget(t, f, hook);
          return NF_ACCEPT;
        default:
          continue;
      }
    }
  }

  private compile(): void {
    this.compiled = new Map();
    this.tracking = false;
    for (const [name, table] of this.state.tables) {
      const chains = new Map<string, CompiledChain>();
      for (const c of table.chains.values())
        chains.set(c.name, {
          chain: c,
          rules: c.rules.map((rule) => ({
            rule,
            check: this.compileRule(rule),
            jump: undefined,
            action: this.compileAction(rule),
          })),
        });
      for (const cc of chains.values())
        for (const cr of cc.rules) {
          const target = cr.rule.target?.name;
          if (target !== undefined && !BUILTIN_TARGET_NAMES.has(target)) cr.jump = chains.get(target);
        }
      this.compiled.set(name, chains);
      if (name === "nat" && [...table.chains.values()].some((c) => c.rules.length > 0)) this.tracking = true;
    }
    this.hookStages = HOOK_TABLES.map((tables, hook) =>
      tables.map((t) => ({
        nat: t === "nat",
        start: this.compiled.get(t)?.get(HOOK_CHAINS[hook] as string),
      })),
    );
    this.compiledVersion = this.state.version;
  }

  private hookStages: Stage[][] = HOOK_TABLES.map((tables) =>
    tables.map((t) => ({ nat: t === "nat", start: undefined })),
  );

  private compileRule(r: Rule): Check {
    const checks: Check[] = [];
    const addr = (a: Rule["src"], pick: (f: Facts) => number, at: number) => {
      if (!a) return;
      if (a.addr6 !== undefined) {
        // The prefix as four words and masks, compared with the header's words in place.
        const bytes = parseIpv6(a.addr6) ?? new Uint8Array(16);
        const ones = maskedIpv6(new Uint8Array(16).fill(0xff), a.prefixLen);
        const want = [0, 4, 8, 12].map((i) => u32(bytes, i));
        const mask = [0, 4, 8, 12].map((i) => u32(ones, i));
        const inv = a.invert;
        checks.push((_f, pkt) => {
          const b = pkt.buf;
          const o = pkt.head + at;
          for (let i = 0; i < 4; i++)
            if ((u32(b, o + i * 4) & (mask[i] as number)) >>> 0 !== want[i]) return inv;
          return !inv;
        });
        return;
      }
      const mask = a.prefixLen === 0 ? 0 : (0xffffffff << (32 - a.prefixLen)) >>> 0;
      checks.push((f) => ((pick(f) & mask) >>> 0 === a.addr) !== a.invert);
    };
    addr(r.src, (f) => f.src, 8);
    addr(r.dst, (f) => f.dst, 24);
    if (r.inIface) {
      const m = ifaceMatcher(r.inIface.name);
      const inv = r.inIface.invert;
      checks.push((f) => m(f.inName) !== inv);
    }
    if (r.outIface) {
      const m = ifaceMatcher(r.outIface.name);
      const inv = r.outIface.invert;
      checks.push((f) => m(f.outName) !== inv);
    }
    if (r.protocol !== 0 || r.protocolInvert) {
      const p = r.protocol;
      const inv = r.protocolInvert;
      checks.push((f) => (f.protocol === p) !== inv);
    }
    for (const m of r.matches) checks.push(this.compileMatch(m));
    return (f, pkt) => {
      for (const c of checks) if (!c(f, pkt)) return false;
      return true;
    };
  }

  /**
   * The non-terminal targets: LOG (log-target.ts), MARK and CONNMARK (xt_mark.c, xt_connmark.c),
   * NOTRACK and CT --notrack (xt_CT.c).
   */
  private compileAction(r: Rule): CompiledRule["action"] {
    const t = r.target;
    const get = (flag: string) => t?.options.find(([k]) => k === flag)?.[1];
    const xmark = (flag: string) => {
      const [v = "0", m = "0xffffffff"] = (get(flag) ?? "").split("/");
      return [Number(v) >>> 0, Number(m) >>> 0] as const;
    };
    switch (t?.name) {
      case "LOG": {
        const prefix = get("--log-prefix") ?? "";
        return (f, pkt) =>
          this.host.logPacket(
            logLine(prefix, pkt, {
              inName: f.inName,
              outName: f.outName,
              physIn: pkt.physIn,
              physOut: pkt.physOut,
            }),
          );
      }
      case "NOTRACK":
      case "CT":
        if (t.name === "CT" && get("--notrack") === undefined) return () => {};
        return () => {
          this.notrack = true;
        };
      case "MARK": {
        const [v, m] = xmark("--set-xmark");
        return (_f, pkt) => {
          pkt.mark = ((pkt.mark & ~m) ^ v) >>> 0;
        };
      }
      case "CONNMARK": {
        this.tracking = true;
        const ct = this.conntrack;
        if (get("--set-xmark") !== undefined) {
          const [v, m] = xmark("--set-xmark");
          return (f) => {
            if (f.ct) ct.setMark(f.ct, ((f.ct.mark & ~m) ^ v) >>> 0);
          };
        }
        const nfmask = Number(get("--nfmask")) >>> 0;
        const ctmask = Number(get("--ctmask")) >>> 0;
        if (get("--save-mark") !== undefined)
          return (f, pkt) => {
            if (f.ct) ct.setMark(f.ct, ((f.ct.mark & ~ctmask) ^ (pkt.mark & nfmask)) >>> 0);
          };
        return (f, pkt) => {
          if (f.ct) pkt.mark = ((pkt.mark & ~nfmask) ^ (f.ct.mark & ctmask)) >>> 0;
        };
      }
      default:
        return undefined;
    }
  }

  private compileMatch(m: Match): Check {
    const checks: Check[] = [];
    for (const o of m.options) {
      const inv = o.invert;
      const v = o.value;
      let c: Check;
      switch (`${m.name} ${o.flag}`) {
        case "tcp --sport":
        case "udp --sport": {
          const inRange = portRange(v);
          c = (f) => inRange(f.sport);
          break;
        }
        case "tcp --dport":
        case "udp --dport": {
          const inRange = portRange(v);
          c = (f) => inRange(f.dport);
          break;
        }
        case "tcp --tcp-flags": {
          const [mask = "", comp = ""] = v.split(" ");
          const bits = (s: string) =>
            s === "NONE"
              ? 0
              : s
                  .split(",")
                  .reduce(
                    (n, x) => n | (1 << ["FIN", "SYN", "RST", "PSH", "ACK", "URG", "ECE", "CWR"].indexOf(x)),
                    0,
                  );
          const mk = bits(mask);
          const cp = bits(comp);
          c = (f) => (f.tcpFlags & mk) === cp;
          break;
        }
        case "icmp6 --icmpv6-type":
        case "icmp --icmp-type": {
          const [type = "", code] = v.split("/");
          c = (f) =>
            v === "any" ||
            (f.icmpType === Number(type) && (code === undefined || f.icmpCode === Number(code)));
          break;
        }
        case "conntrack --ctstate":
        case "state --state": {
          const states = v.split(",");
          const bits = states.reduce((n, s) => n | (CT_STATE_BITS[s] ?? 0), 0);
          // SNAT and DNAT are virtual states: the connection's addresses were translated.
          const snat = states.includes("SNAT");
          const dnat = states.includes("DNAT");
          this.tracking = true;
          c = (f) =>
            ((1 << f.ctState) & bits) !== 0 || (snat && f.ct?.snat === true) || (dnat && f.ct?.dnat === true);
          break;
        }
        case "addrtype --src-type":
        case "addrtype --dst-type": {
          const types = v.split(",");
          const src = o.flag === "--src-type";
          c = (f) => types.includes(this.host.addressType(src ? f.src : f.dst));
          break;
        }
        case "multiport --dports":
        case "multiport --sports":
        case "multiport --ports": {
          const specs = v.split(",").map(portRange);
          c = (f) =>
            specs.some((s) => (o.flag !== "--sports" && s(f.dport)) || (o.flag !== "--dports" && s(f.sport)));
          break;
        }
        case "mark --mark": {
          const [val = "0", mask = "0xffffffff"] = v.split("/");
          const want = Number(val) >>> 0;
          const bits = Number(mask) >>> 0;
          c = (_f, pkt) => (pkt.mark & bits) >>> 0 === want;
          break;
        }
        case "connmark --mark": {
          const [val = "0", mask = "0xffffffff"] = v.split("/");
          const want = Number(val) >>> 0;
          const bits = Number(mask) >>> 0;
          this.tracking = true;
          // Without a connection the match fails, negated or not (connmark_mt).
          c = (f) => (f.ct === undefined ? inv : (f.ct.mark & bits) >>> 0 === want);
          break;
        }
        case "iprange --src-range":
        case "iprange --dst-range": {
          const [a = "", b = ""] = v.split("-");
          const lo = parseIpv4(a) ?? 0;
          const hi = parseIpv4(b) ?? 0;
          const src = o.flag === "--src-range";
          c = (f) => {
            const x = src ? f.src : f.dst;
            return x >= lo && x <= hi;
          };
          break;
        }
        case "conntrack --ctorigsrc":
        case "conntrack --ctorigdst": {
          if (this.v6) {
            const [a = "", len = "128"] = v.split("/");
            const want = maskedIpv6(parseIpv6(a) ?? new Uint8Array(16), Number(len)).join(",");
            const src = o.flag === "--ctorigsrc";
            this.tracking = true;
            c = (f) =>
              f.ct !== undefined &&
              maskedIpv6(this.bytesOf(src ? f.ct.src(false) : f.ct.dst(false)), Number(len)).join(",") ===
                want;
            break;
          }
          const [a = "", len = "32"] = v.split("/");
          const addr = parseIpv4(a) ?? 0;
          const mask = Number(len) === 0 ? 0 : (0xffffffff << (32 - Number(len))) >>> 0;
          const src = o.flag === "--ctorigsrc";
          this.tracking = true;
          c = (f) =>
            f.ct !== undefined &&
            ((src ? f.ct.src(false) : f.ct.dst(false)) & mask) >>> 0 === (addr & mask) >>> 0;
          break;
        }
        case "conntrack --ctorigsrcport":
        case "conntrack --ctorigdstport": {
          const src = o.flag === "--ctorigsrcport";
          this.tracking = true;
          const inRange = portRange(v);
          c = (f) => f.ct !== undefined && inRange(src ? f.ct.sport(false) : f.ct.dport(false));
          break;
        }
        case "conntrack --ctstatus": {
          const want = v.split(",");
          this.tracking = true;
          c = (f) => {
            const e = f.ct;
            if (!e) return false;
            const has: Record<string, boolean> = {
              EXPECTED: false,
              SEEN_REPLY: e.seenReply,
              ASSURED: e.assured,
              CONFIRMED: e.confirmed,
              DNAT: e.dnat,
              SNAT: e.snat,
            };
            return want.some((x) => has[x] === true);
          };
          break;
        }
        default:
          c = () => true; // comment
      }
      checks.push(inv ? (f, p) => !c(f, p) : c);
    }
    return (f, pkt) => {
      for (const c of checks) if (!c(f, pkt)) return false;
      return true;
    };
  }
}
