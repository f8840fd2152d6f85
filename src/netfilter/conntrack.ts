/**
 * Connection tracking (net/netfilter/nf_conntrack_core.c and the tcp/udp/icmp trackers): each
 * connection is an entry with its original and reply tuples, found from either direction; a
 * packet gets its ctinfo (NEW, ESTABLISHED, RELATED, INVALID); TCP follows the kernel's state table
 * (tcp_conntracks[] in nf_conntrack_proto_tcp.c) with its timeouts; UDP is UNREPLIED until a reply
 * and then, once two seconds old, ASSURED with the stream timeout; ICMP echo uses the id as port
 * and ICMP errors are RELATED to the connection they quote. An entry created by a packet is
 * confirmed (inserted) only when that packet leaves netfilter alive — one dropped earlier leaves
 * nothing. `conntrack -L` text as conntrack-tools 1.4.7 prints it.
 * Deviations: no TCP window tracking (as with nf_conntrack_tcp_be_liberal=1), no helpers, no
 * expectations, no zones; listing is in creation order (Linux: hash order); expired entries are
 * removed when met, before listings, when the table is full, and when it has doubled.
 */

import { ipv4ToString } from "../util/ipv4-address.js";

export const CT_NEW = 0;
export const CT_ESTABLISHED = 1;
export const CT_RELATED = 2;
export const CT_INVALID = 3;
export const CT_UNTRACKED = 4;

/** TCP conntrack states, in the kernel's order. */
const NO = 0;
const SS = 1;
const SR = 2;
const ES = 3;
const FW = 4;
const CW = 5;
const LA = 6;
const TW = 7;
const CL = 8;
const S2 = 9;
const IV = 10; // invalid transition
const IG = 11; // ignore: no state change
const TCP_STATE_NAMES = [
  "NONE",
  "SYN_SENT",
  "SYN_RECV",
  "ESTABLISHED",
  "FIN_WAIT",
  "CLOSE_WAIT",
  "LAST_ACK",
  "TIME_WAIT",
  "CLOSE",
  "SYN_SENT2",
];
/** The net.netfilter.nf_conntrack_tcp_timeout_* name of each state's timeout. */
const TCP_TIMEOUT_NAMES = [
  "",
  "syn_sent",
  "syn_recv",
  "established",
  "fin_wait",
  "close_wait",
  "last_ack",
  "time_wait",
  "close",
  "syn_sent",
];

/** What conntrack reads from its namespace: the clock, sysctls, and the kernel log. */
export interface ConntrackHost {
  now(): number;
  /** A net.netfilter.* value (nf_conntrack_max, nf_conntrack_*_timeout*). */
  setting(name: string): number;
  log(line: string): void;
}

/** tcp_conntracks[direction][segment kind][state]; kinds: SYN, SYN-ACK, FIN, ACK, RST, none. */
const TCP_TABLE: number[][][] = [
  [
    [SS, SS, IG, IG, IG, IG, IG, SS, SS, S2],
    [IV, IV, SR, IV, IV, IV, IV, IV, IV, SR],
    [IV, IV, FW, FW, LA, LA, LA, TW, CL, IV],
    [ES, IV, ES, ES, CW, CW, TW, TW, CL, IV],
    [IV, CL, CL, CL, CL, CL, CL, CL, CL, CL],
    [IV, IV, IV, IV, IV, IV, IV, IV, IV, IV],
  ],
  [
    [IV, S2, IV, IV, IV, IV, IV, SS, IV, S2],
    [IV, SR, IG, IG, IG, IG, IG, IG, IG, SR],
    [IV, IV, FW, FW, LA, LA, LA, TW, CL, IV],
    [IV, IG, SR, ES, CW, CW, TW, TW, CL, IG],
    [IV, CL, CL, CL, CL, CL, CL, CL, CL, CL],
    [IV, IV, IV, IV, IV, IV, IV, IV, IV, IV],
  ],
];

function tcpKind(flags: number): number {
  if (flags & 0x04) return 4; // RST
  if (flags & 0x02) return flags & 0x10 ? 1 : 0; // SYN-ACK / SYN
  if (flags & 0x01) return 2; // FIN
  if (flags & 0x10) return 3; // ACK
  return 5;
}

export interface Tuple {
  src: number;
  dst: number;
  /** Source port, or the ICMP echo id. */
  sport: number;
  /** Destination port, or (ICMP) type << 8 | code. */
  dport: number;
}

export interface ConntrackEntry {
  readonly id: number;
  protocol: number;
  orig: Tuple;
  reply: Tuple;
  /** TCP state (index into TCP_STATE_NAMES); 0 for other protocols. */
  tcpState: number;
  seenReply: boolean;
  assured: boolean;
  confirmed: boolean;
  /** Absolute expiry and creation time, whole milliseconds (small integers stay unboxed). */
  expires: number;
  created: number;
  mark: number;
  /** NAT bindings (IPS_SRC_NAT / IPS_DST_NAT). */
  snat: boolean;
  dnat: boolean;
}

/** The result of looking a packet up: its entry (if any), ctinfo and direction (0 original, 1 reply). */
export interface CtResult {
  entry: ConntrackEntry | undefined;
  info: number;
  reply: boolean;
}

const ICMP_ECHO_REQUEST = 8;
const ICMP_ECHO_REPLY = 0;

/** A 30-bit hash of a tuple (a small integer, so Map lookups allocate nothing); buckets verify. */
function hashTuple(t: Tuple, protocol: number): number {
  let h = Math.imul(t.src ^ 0x9e3779b9, 0x85ebca6b);
  h = Math.imul(h ^ (h >>> 13) ^ t.dst, 0xc2b2ae35);
  h = Math.imul(h ^ (h >>> 16) ^ ((t.sport << 16) | t.dport), 0x27d4eb2f);
  h ^= protocol * 0x165667b1;
  return (h ^ (h >>> 15)) & 0x3fffffff;
}

function sameTuple(a: Tuple, b: Tuple): boolean {
  return a.src === b.src && a.dst === b.dst && a.sport === b.sport && a.dport === b.dport;
}

export class Conntrack {
  /** Confirmed entries by both tuples' hashes (an entry, or a list when hashes collide). */
  private readonly byTuple = new Map<number, ConntrackEntry | ConntrackEntry[]>();
  /** The table size at which the next sweep of expired entries runs (amortised O(1)). */
  private sweepAt = 4096;
  /** Entries in creation order (for listing). */
  readonly entries = new Set<ConntrackEntry>();
  private nextId = 1;
  private readonly now: () => number;

  constructor(private readonly host: ConntrackHost) {
    this.now = () => host.now();
  }

  /**
   * Classify a packet (nf_conntrack_in): the protocol and its tuple as seen on the wire, TCP
   * flags (0 otherwise), and for ICMP errors the quoted packet's tuple (its reply direction).
   */
  lookup(
    protocol: number,
    t: Tuple,
    tcpFlags: number,
    quoted: { protocol: number; tuple: Tuple } | undefined,
  ): CtResult {
    if (quoted) {
      // An ICMP error about one of our connections is RELATED to it: the quoted packet went the
      // other way, so its inverted tuple is the tuple of the error's own direction.
      const q = quoted.tuple;
      const inverted =
        quoted.protocol === 1
          ? {
              src: q.dst,
              dst: q.src,
              sport: q.sport,
              dport: q.dport >> 8 === ICMP_ECHO_REQUEST ? ICMP_ECHO_REPLY << 8 : q.dport,
            }
          : { src: q.dst, dst: q.src, sport: q.dport, dport: q.sport };
      const e = this.find(inverted, quoted.protocol);
      if (e) {
        const reply =
          e.reply.src === inverted.src && e.reply.sport === inverted.sport && e.reply.dst === inverted.dst;
        return { entry: e, info: CT_RELATED, reply };
      }
      return { entry: undefined, info: CT_INVALID, reply: false };
    }
    const found = this.find(t, protocol);
    if (found) {
      const reply = found.reply.src === t.src && found.reply.sport === t.sport && found.reply.dst === t.dst;
      return this.update(found, reply, tcpFlags);
    }
    // A new connection: only some packets may start one.
    if (protocol === 6) {
      const kind = tcpKind(tcpFlags);
      const next = TCP_TABLE[0]?.[kind]?.[NO] ?? IV;
      if (next === IV || next === IG) return { entry: undefined, info: CT_INVALID, reply: false };
    }
    if (protocol === 1 && t.dport >> 8 !== ICMP_ECHO_REQUEST)
      return { entry: undefined, info: CT_INVALID, reply: false };
    const now = this.nowMs();
    const replyTuple: Tuple =
      protocol === 1
        ? { src: t.dst, dst: t.src, sport: t.sport, dport: ICMP_ECHO_REPLY << 8 }
        : { src: t.dst, dst: t.src, sport: t.dport, dport: t.sport };
    const entry: ConntrackEntry = {
      id: this.nextId++,
      protocol,
      orig: { ...t },
      reply: replyTuple,
      tcpState: protocol === 6 ? (TCP_TABLE[0]?.[tcpKind(tcpFlags)]?.[NO] ?? SS) : 0,
      seenReply: false,
      assured: false,
      confirmed: false,
      expires: 0,
      created: now,
      mark: 0,
      snat: false,
      dnat: false,
    };
    entry.expires = now + this.timeout(entry) * 1000;
    return { entry, info: CT_NEW, reply: false };
  }

  private update(e: ConntrackEntry, reply: boolean, tcpFlags: number): CtResult {
    const now = this.nowMs();
    const was = e.tcpState * 4 + (e.seenReply ? 2 : 0) + (e.assured ? 1 : 0);
    if (e.protocol === 6) {
      const next = TCP_TABLE[reply ? 1 : 0]?.[tcpKind(tcpFlags)]?.[e.tcpState] ?? IV;
      if (next === IV) return { entry: e, info: CT_INVALID, reply };
      if (next !== IG) {
        if (e.tcpState === SR && next === ES && !reply) e.assured = true;
        e.tcpState = next;
      }
    }
    if (reply) e.seenReply = true;
    if (e.protocol === 6 && e.tcpState === ES && !e.assured && e.seenReply) e.assured = true;
    else if (e.protocol === 17 && e.seenReply && now - e.created >= 2000) e.assured = true;
    e.expires = now + this.timeout(e) * 1000;
    const changed = was !== e.tcpState * 4 + (e.seenReply ? 2 : 0) + (e.assured ? 1 : 0);
    if (changed && e.confirmed && this.listeners.size > 0) this.emit("UPDATE", e);
    return { entry: e, info: e.seenReply ? CT_ESTABLISHED : CT_NEW, reply };
  }

  /** Timeouts read from the sysctls once and again after they change (no strings per packet). */
  private timeouts:
    | { tcp: number[]; udp: number; udpStream: number; icmp: number; generic: number }
    | undefined;

  settingsChanged(): void {
    this.timeouts = undefined;
  }

  private timeout(e: ConntrackEntry): number {
    if (!this.timeouts) {
      const h = this.host;
      this.timeouts = {
        tcp: TCP_TIMEOUT_NAMES.map((n) => (n === "" ? 0 : h.setting(`nf_conntrack_tcp_timeout_${n}`))),
        udp: h.setting("nf_conntrack_udp_timeout"),
        udpStream: h.setting("nf_conntrack_udp_timeout_stream"),
        icmp: h.setting("nf_conntrack_icmp_timeout"),
        generic: h.setting("nf_conntrack_generic_timeout"),
      };
    }
    const t = this.timeouts;
    if (e.protocol === 6) return t.tcp[e.tcpState] ?? 120;
    if (e.protocol === 17) return e.assured ? t.udpStream : t.udp;
    if (e.protocol === 1) return t.icmp;
    return t.generic;
  }

  /** The live entry with tuple `t` (either direction); an expired one is removed on the way. */
  private find(t: Tuple, protocol: number): ConntrackEntry | undefined {
    const bucket = this.byTuple.get(hashTuple(t, protocol));
    if (bucket === undefined) return undefined;
    let e: ConntrackEntry | undefined;
    if (Array.isArray(bucket)) {
      for (const x of bucket)
        if (x.protocol === protocol && (sameTuple(x.orig, t) || sameTuple(x.reply, t))) e = x;
    } else if (bucket.protocol === protocol && (sameTuple(bucket.orig, t) || sameTuple(bucket.reply, t)))
      e = bucket;
    if (e && e.expires <= this.nowMs()) {
      this.delete(e);
      return undefined;
    }
    return e;
  }

  private index(t: Tuple, e: ConntrackEntry): void {
    const h = hashTuple(t, e.protocol);
    const bucket = this.byTuple.get(h);
    if (bucket === undefined) this.byTuple.set(h, e);
    else if (Array.isArray(bucket)) bucket.push(e);
    else if (bucket !== e) this.byTuple.set(h, [bucket, e]);
  }

  private unindex(t: Tuple, e: ConntrackEntry): void {
    const h = hashTuple(t, e.protocol);
    const bucket = this.byTuple.get(h);
    if (bucket === e) this.byTuple.delete(h);
    else if (Array.isArray(bucket)) {
      const rest = bucket.filter((x) => x !== e);
      if (rest.length === 0) this.byTuple.delete(h);
      else this.byTuple.set(h, rest.length === 1 ? (rest[0] as ConntrackEntry) : rest);
    }
  }

  /** Is `t` already a tuple of a live connection (nf_conntrack_tuple_taken)? */
  taken(t: Tuple, protocol: number): boolean {
    return this.find(t, protocol) !== undefined;
  }

  /** The packet survived netfilter: a new entry becomes part of the table (__nf_conntrack_confirm). */
  confirm(e: ConntrackEntry): boolean {
    if (e.confirmed) return true;
    // The gc sweeps now and then; a full table first gets rid of what has expired.
    if (this.entries.size >= this.sweepAt) this.expire();
    const max = this.host.setting("nf_conntrack_max");
    if (this.entries.size >= max) this.expire();
    if (this.entries.size >= max) {
      this.host.log("nf_conntrack: nf_conntrack: table full, dropping packet");
      return false;
    }
    e.confirmed = true;
    this.entries.add(e);
    this.index(e.orig, e);
    this.index(e.reply, e);
    if (this.listeners.size > 0) this.emit("NEW", e);
    return true;
  }

  delete(e: ConntrackEntry): void {
    if (!this.entries.delete(e)) return;
    this.unindex(e.orig, e);
    this.unindex(e.reply, e);
    if (this.listeners.size > 0) this.emit("DESTROY", e);
  }

  /** Drop everything that has timed out (the kernel's gc): before listing, when full, now and then. */
  expire(): void {
    const now = this.nowMs();
    for (const e of this.entries) if (e.expires <= now) this.delete(e);
    this.sweepAt = 2 * this.entries.size + 4096;
  }

  private nowMs(): number {
    return Math.floor(this.now() / 1e6);
  }

  /** `conntrack -L` lines (with `extended`, `-o extended`'s `ipv4     2 ` prefix). */
  list(extended: boolean): string[] {
    this.expire();
    const lines: string[] = [];
    for (const e of this.entries) lines.push(`${extended ? "ipv4     2 " : ""}${this.describe(e, "list")}`);
    return lines;
  }

  /**
   * An entry as conntrack-tools prints it: `-L` with mark and use, `-E` events without them,
   * and DESTROY events without timeout and state.
   */
  describe(e: ConntrackEntry, form: "list" | "event" | "destroy"): string {
    const name = e.protocol === 6 ? "tcp" : e.protocol === 17 ? "udp" : e.protocol === 1 ? "icmp" : "unknown";
    let s = `${name.padEnd(8)} ${e.protocol} `;
    if (form !== "destroy") {
      s += `${Math.floor((e.expires - this.nowMs()) / 1000)} `;
      if (e.protocol === 6) s += `${TCP_STATE_NAMES[e.tcpState]} `;
    }
    s += tupleText(e.orig, e.protocol);
    if (!e.seenReply) s += " [UNREPLIED]";
    s += ` ${tupleText(e.reply, e.protocol)}`;
    if (e.assured) s += " [ASSURED]";
    if (form === "list") s += ` mark=${e.mark} use=1`;
    return s;
  }

  /** Listeners for `conntrack -E`: NEW when confirmed, UPDATE on a change of state or flags, DESTROY. */
  readonly listeners = new Set<(type: "NEW" | "UPDATE" | "DESTROY", e: ConntrackEntry) => void>();

  private emit(type: "NEW" | "UPDATE" | "DESTROY", e: ConntrackEntry): void {
    for (const l of this.listeners) l(type, e);
  }
}

function tupleText(t: Tuple, protocol: number): string {
  const addrs = `src=${ipv4ToString(t.src)} dst=${ipv4ToString(t.dst)}`;
  if (protocol === 1) return `${addrs} type=${t.dport >> 8} code=${t.dport & 0xff} id=${t.sport}`;
  return `${addrs} sport=${t.sport} dport=${t.dport}`;
}
