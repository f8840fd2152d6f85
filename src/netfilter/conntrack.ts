/**
 * Connection tracking (net/netfilter/nf_conntrack_core.c and the tcp/udp/icmp trackers): each
 * connection is an entry with its original and reply tuples, found from either direction; a
 * packet gets its ctinfo (NEW, ESTABLISHED, RELATED, INVALID); TCP follows the kernel's state table
 * (tcp_conntracks[] in nf_conntrack_proto_tcp.c) with its timeouts; UDP is UNREPLIED until a reply
 * and then, once two seconds old, ASSURED with the stream timeout; ICMP echo uses the id as port
 * and ICMP errors are RELATED to the connection they quote. An entry created by a packet is
 * confirmed (inserted) only when that packet leaves netfilter alive — one dropped earlier leaves
 * nothing. `conntrack -L` text as conntrack-tools 1.4.7 prints it.
 * IPv6 connections share the table (one per namespace, as in Linux): their addresses are the
 * namespace's interned address ids (ipv6-address-ids.ts) in the same 32-bit words, the family
 * kept beside the protocol so that equal numbers of the two families never meet; ICMPv6 echo
 * (128/129) is tracked as ICMP echo is (nf_conntrack_proto_icmpv6.c), its errors are RELATED.
 * Deviations: no TCP window tracking (as with nf_conntrack_tcp_be_liberal=1), no helpers, no
 * expectations, no zones; listing is in creation order (Linux: hash order); expired entries are
 * removed when met, before listings, when the table is full, when it has doubled, and by the gc
 * worker's passes (`gcPass`), which dockwire runs only while `conntrack -E` listens — the one
 * place where when an expired entry goes can be seen.
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
  /** The text of an interned IPv6 address id (IPv6 entries' addresses). */
  ipv6Text?(id: number): string;
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

/** Status bits, numbered as the kernel's IPS_* bits. */
const IPS_SEEN_REPLY = 1 << 1;
const IPS_ASSURED = 1 << 2;
const IPS_CONFIRMED = 1 << 3;
const IPS_SRC_NAT = 1 << 4;
const IPS_DST_NAT = 1 << 5;

/**
 * One connection (struct nf_conn). Its two tuples are kept as six 32-bit signed words (addresses,
 * and ports as sport << 16 | dport) so that V8 stores them unboxed: about 130 bytes an entry.
 * Read them with `src(reply)` ... (no allocation) or `orig` / `reply` (a fresh Tuple, at the edges).
 */
export class ConntrackEntry {
  /** TCP state (index into TCP_STATE_NAMES); 0 for other protocols. */
  tcpState = 0;
  /** IPS_* status bits. */
  status = 0;
  /** Absolute expiry and creation time, whole milliseconds. */
  expires = 0;
  created: number;
  mark = 0;
  /** Where the table keeps it (its index in Conntrack's slot array), -1 until confirmed. */
  slot = -1;
  private os: number;
  private od: number;
  private op: number;
  private rs: number;
  private rd: number;
  private rp: number;
  /** protocol, plus 256 for IPv6: what lookups compare and hash. */
  readonly key: number;

  constructor(
    readonly id: number,
    readonly protocol: number,
    orig: Tuple,
    reply: Tuple,
    created = 0,
    /** 4 or 6: IPv6 entries hold interned address ids. */
    readonly family = 4,
  ) {
    this.key = protocolKey(protocol, family);
    this.os = orig.src | 0;
    this.od = orig.dst | 0;
    this.op = (orig.sport << 16) | orig.dport;
    this.rs = reply.src | 0;
    this.rd = reply.dst | 0;
    this.rp = (reply.sport << 16) | reply.dport;
    this.created = created;
  }

  /** Direction `reply`'s source address, destination address, source and destination port. */
  src(reply: boolean): number {
    return (reply ? this.rs : this.os) >>> 0;
  }
  dst(reply: boolean): number {
    return (reply ? this.rd : this.od) >>> 0;
  }
  sport(reply: boolean): number {
    return (reply ? this.rp : this.op) >>> 16;
  }
  dport(reply: boolean): number {
    return (reply ? this.rp : this.op) & 0xffff;
  }

  get orig(): Tuple {
    return { src: this.src(false), dst: this.dst(false), sport: this.sport(false), dport: this.dport(false) };
  }
  get reply(): Tuple {
    return { src: this.src(true), dst: this.dst(true), sport: this.sport(true), dport: this.dport(true) };
  }
  /** A NAT binding changes the reply tuple (before the entry is confirmed). */
  set reply(t: Tuple) {
    this.rs = t.src | 0;
    this.rd = t.dst | 0;
    this.rp = (t.sport << 16) | t.dport;
  }

  /** Is direction `reply`'s tuple (src, dst, ports as signed words) this one? */
  matches(reply: boolean, src: number, dst: number, ports: number): boolean {
    return reply
      ? this.rs === src && this.rd === dst && this.rp === ports
      : this.os === src && this.od === dst && this.op === ports;
  }

  /** The hash of direction `reply`'s tuple. */
  hash(reply: boolean): number {
    return reply
      ? hashTuple(this.rs, this.rd, this.rp, this.key)
      : hashTuple(this.os, this.od, this.op, this.key);
  }

  get seenReply(): boolean {
    return (this.status & IPS_SEEN_REPLY) !== 0;
  }
  get assured(): boolean {
    return (this.status & IPS_ASSURED) !== 0;
  }
  get confirmed(): boolean {
    return (this.status & IPS_CONFIRMED) !== 0;
  }
  get snat(): boolean {
    return (this.status & IPS_SRC_NAT) !== 0;
  }
  get dnat(): boolean {
    return (this.status & IPS_DST_NAT) !== 0;
  }
  /** Record a NAT binding (IPS_SRC_NAT or IPS_DST_NAT). */
  setNat(source: boolean): void {
    this.status |= source ? IPS_SRC_NAT : IPS_DST_NAT;
  }
}

const ICMP_ECHO_REQUEST = 8;
const ICMP_ECHO_REPLY = 0;
const ICMPV6_ECHO_REQUEST = 128;
const ICMPV6_ECHO_REPLY = 129;

/** What a tuple's protocol is compared and hashed as: IPv6 protocols apart from IPv4 ones. */
function protocolKey(protocol: number, family: number): number {
  return family === 6 ? protocol | 256 : protocol;
}

/** ICMP (1) or ICMPv6 (58): the echo id is the tuple's port, type << 8 | code the other. */
function isIcmp(protocol: number): boolean {
  return protocol === 1 || protocol === 58;
}

/** A 30-bit hash of a tuple given as signed words. */
function hashTuple(src: number, dst: number, ports: number, protocol: number): number {
  let h = Math.imul(src ^ 0x9e3779b9, 0x85ebca6b);
  h = Math.imul(h ^ (h >>> 13) ^ dst, 0xc2b2ae35);
  h = Math.imul(h ^ (h >>> 16) ^ ports, 0x27d4eb2f);
  h ^= protocol * 0x165667b1;
  return (h ^ (h >>> 15)) & 0x3fffffff;
}

/**
 * The connection table. Lookups set `info` (CT_NEW, ...) and `isReply` beside the entry they
 * return, so classifying a packet allocates nothing but a new connection's entry.
 * The index is an open-addressing hash table (linear probing, backward-shift deletion) in an
 * Int32Array: each confirmed entry has two cells, one per tuple, holding slot * 2 + direction + 1.
 */
export class Conntrack {
  /** ctinfo and direction of the last lookup. */
  info = CT_UNTRACKED;
  isReply = false;
  private cells = new Int32Array(1024);
  private mask = 1023;
  private used = 0;
  private readonly slots: (ConntrackEntry | undefined)[] = [];
  private readonly freeSlots: number[] = [];
  private live = 0;
  /** The table size at which the next sweep of expired entries runs (amortised O(1)). */
  private sweepAt = 4096;
  private nextId = 1;
  private readonly now: () => number;

  constructor(private readonly host: ConntrackHost) {
    this.now = () => host.now();
  }

  /** How many connections the table holds (expired ones not yet swept included). */
  get size(): number {
    return this.live;
  }

  /** The confirmed entries in creation order (the order `conntrack -L` lists them in). */
  all(): ConntrackEntry[] {
    const list: ConntrackEntry[] = [];
    for (const e of this.slots) if (e) list.push(e);
    return list.sort((a, b) => a.id - b.id);
  }

  /**
   * Classify a packet (nf_conntrack_in) by its protocol, tuple as seen on the wire (for ICMP the
   * echo id as `sport` and type << 8 | code as `dport`) and TCP flags (0 otherwise): its entry —
   * a new, unconfirmed one for a packet that may start a connection — with `info` and `isReply`.
   */
  lookup(
    protocol: number,
    src: number,
    dst: number,
    sport: number,
    dport: number,
    tcpFlags: number,
    family = 4,
  ): ConntrackEntry | undefined {
    const key = protocolKey(protocol, family);
    const found = this.find(key, src | 0, dst | 0, (sport << 16) | dport);
    if (found) return this.update(found, this.isReply, tcpFlags);
    this.isReply = false;
    this.info = CT_INVALID;
    // A new connection: only some packets may start one.
    if (protocol === 6) {
      const next = TCP_TABLE[0]?.[tcpKind(tcpFlags)]?.[NO] ?? IV;
      if (next === IV || next === IG) return undefined;
    }
    if (protocol === 1 && dport >> 8 !== ICMP_ECHO_REQUEST) return undefined;
    if (protocol === 58 && dport >> 8 !== ICMPV6_ECHO_REQUEST) return undefined;
    const now = this.nowMs();
    const orig = { src, dst, sport, dport };
    const reply = isIcmp(protocol)
      ? { src: dst, dst: src, sport, dport: (protocol === 1 ? ICMP_ECHO_REPLY : ICMPV6_ECHO_REPLY) << 8 }
      : { src: dst, dst: src, sport: dport, dport: sport };
    const entry = new ConntrackEntry(this.nextId++, protocol, orig, reply, now, family);
    if (protocol === 6) entry.tcpState = TCP_TABLE[0]?.[tcpKind(tcpFlags)]?.[NO] ?? SS;
    entry.expires = now + this.timeout(entry) * 1000;
    this.info = CT_NEW;
    return entry;
  }

  /**
   * An ICMP error quoting a packet (its protocol and tuple as its sender sent it) is RELATED to
   * that packet's connection: the quoted packet went the other way, so its inverted tuple is the
   * tuple of the error's own direction. Otherwise INVALID.
   */
  lookupRelated(
    protocol: number,
    src: number,
    dst: number,
    sport: number,
    dport: number,
    family = 4,
  ): ConntrackEntry | undefined {
    const ports =
      protocol === 1
        ? (sport << 16) | (dport >> 8 === ICMP_ECHO_REQUEST ? ICMP_ECHO_REPLY << 8 : dport)
        : protocol === 58
          ? (sport << 16) | (dport >> 8 === ICMPV6_ECHO_REQUEST ? ICMPV6_ECHO_REPLY << 8 : dport)
          : (dport << 16) | sport;
    const e = this.find(protocolKey(protocol, family), dst | 0, src | 0, ports);
    this.info = e ? CT_RELATED : CT_INVALID;
    if (!e) this.isReply = false;
    return e;
  }

  private update(e: ConntrackEntry, reply: boolean, tcpFlags: number): ConntrackEntry {
    const now = this.nowMs();
    const was = e.tcpState * 64 + e.status;
    if (e.protocol === 6) {
      const next = TCP_TABLE[reply ? 1 : 0]?.[tcpKind(tcpFlags)]?.[e.tcpState] ?? IV;
      if (next === IV) {
        this.info = CT_INVALID;
        return e;
      }
      if (next !== IG) {
        if (e.tcpState === SR && next === ES && !reply) e.status |= IPS_ASSURED;
        e.tcpState = next;
      }
      if (tcpFlags & 0x04 && !e.seenReply) {
        // tcp_packet: a connection whose only answer is a RST is forgotten at once (nf_ct_kill);
        // this packet still goes through with the entry (and its NAT).
        this.delete(e);
        this.info = reply ? CT_ESTABLISHED : CT_NEW;
        return e;
      }
    }
    if (reply) e.status |= IPS_SEEN_REPLY;
    if (e.protocol === 6 && e.tcpState === ES && e.seenReply) e.status |= IPS_ASSURED;
    else if (e.protocol === 17 && e.seenReply && now - e.created >= 2000) e.status |= IPS_ASSURED;
    e.expires = now + this.timeout(e) * 1000;
    if (was !== e.tcpState * 64 + e.status && e.confirmed && this.listeners.size > 0) this.emit("UPDATE", e);
    this.info = e.seenReply ? CT_ESTABLISHED : CT_NEW;
    return e;
  }

  /** Timeouts read from the sysctls once and again after they change (no strings per packet). */
  private timeouts:
    | { tcp: number[]; udp: number; udpStream: number; icmp: number; icmpv6: number; generic: number }
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
        icmpv6: h.setting("nf_conntrack_icmpv6_timeout"),
        generic: h.setting("nf_conntrack_generic_timeout"),
      };
    }
    const t = this.timeouts;
    if (e.protocol === 6) return t.tcp[e.tcpState] ?? 120;
    if (e.protocol === 17) return e.assured ? t.udpStream : t.udp;
    if (e.protocol === 1) return t.icmp;
    if (e.protocol === 58) return t.icmpv6;
    return t.generic;
  }

  /**
   * The live entry with this tuple (signed words) in either direction, setting `isReply`; an
   * expired one is removed on the way.
   */
  private find(key: number, src: number, dst: number, ports: number): ConntrackEntry | undefined {
    const cells = this.cells;
    const mask = this.mask;
    for (let i = hashTuple(src, dst, ports, key) & mask; ; i = (i + 1) & mask) {
      const v = cells[i] as number;
      if (v === 0) return undefined;
      const e = this.slots[(v - 1) >> 1] as ConntrackEntry;
      const reply = ((v - 1) & 1) === 1;
      if (e.key === key && e.matches(reply, src, dst, ports)) {
        if (e.expires <= this.nowMs()) {
          this.delete(e);
          return undefined;
        }
        this.isReply = reply;
        return e;
      }
    }
  }

  private insertCell(v: number, hash: number): void {
    const mask = this.mask;
    let i = hash & mask;
    while (this.cells[i] !== 0) i = (i + 1) & mask;
    this.cells[i] = v;
    this.used++;
  }

  /** Remove cell value `v` (whose tuple hashes to `hash`), shifting later cells of its run back. */
  private removeCell(v: number, hash: number): void {
    const cells = this.cells;
    const mask = this.mask;
    let i = hash & mask;
    while (cells[i] !== v) i = (i + 1) & mask;
    this.used--;
    for (let j = i; ; ) {
      cells[i] = 0;
      for (;;) {
        j = (j + 1) & mask;
        const w = cells[j] as number;
        if (w === 0) return;
        const e = this.slots[(w - 1) >> 1] as ConntrackEntry;
        const home = e.hash(((w - 1) & 1) === 1) & mask;
        // Leave w where it is if its home lies cyclically in (i, j]: it is still reachable.
        if (i <= j ? i < home && home <= j : i < home || home <= j) continue;
        cells[i] = w;
        i = j;
        break;
      }
    }
  }

  /** Double the index when it is half full. */
  private grow(): void {
    const old = this.cells;
    this.cells = new Int32Array(old.length * 2);
    this.mask = this.cells.length - 1;
    this.used = 0;
    for (const v of old) {
      if (v === 0) continue;
      const e = this.slots[(v - 1) >> 1] as ConntrackEntry;
      this.insertCell(v, e.hash(((v - 1) & 1) === 1));
    }
  }

  /** CONNMARK sets the connection's mark; a change is an UPDATE event (IPCT_MARK). */
  setMark(e: ConntrackEntry, mark: number): void {
    if (e.mark === mark) return;
    e.mark = mark;
    if (e.confirmed && this.listeners.size > 0) this.emit("UPDATE", e);
  }

  /** Is `t` already a tuple of a live connection (nf_conntrack_tuple_taken)? */
  taken(t: Tuple, protocol: number, family = 4): boolean {
    return (
      this.find(protocolKey(protocol, family), t.src | 0, t.dst | 0, (t.sport << 16) | t.dport) !== undefined
    );
  }

  /** The packet survived netfilter: a new entry becomes part of the table (__nf_conntrack_confirm). */
  confirm(e: ConntrackEntry): boolean {
    if (e.confirmed) return true;
    // The gc sweeps now and then; a full table first gets rid of what has expired.
    if (this.live >= this.sweepAt) this.expire();
    const max = this.host.setting("nf_conntrack_max");
    if (this.live >= max) this.expire();
    if (this.live >= max) {
      this.host.log("nf_conntrack: nf_conntrack: table full, dropping packet");
      return false;
    }
    e.status |= IPS_CONFIRMED;
    const slot = this.freeSlots.length > 0 ? (this.freeSlots.pop() as number) : this.slots.length;
    this.slots[slot] = e;
    e.slot = slot;
    this.live++;
    if ((this.used + 2) * 2 > this.cells.length) this.grow();
    this.insertCell(slot * 2 + 1, e.hash(false));
    this.insertCell(slot * 2 + 2, e.hash(true));
    if (this.listeners.size > 0) this.emit("NEW", e);
    return true;
  }

  delete(e: ConntrackEntry): void {
    if (e.slot < 0 || this.slots[e.slot] !== e) return;
    this.removeCell(e.slot * 2 + 1, e.hash(false));
    this.removeCell(e.slot * 2 + 2, e.hash(true));
    this.slots[e.slot] = undefined;
    this.freeSlots.push(e.slot);
    e.slot = -1;
    this.live--;
    if (this.listeners.size > 0) this.emit("DESTROY", e);
  }

  /** Drop everything that has timed out (the kernel's gc): before listing, when full, now and then. */
  expire(): void {
    const now = this.nowMs();
    for (const e of this.slots) if (e && e.expires <= now) this.delete(e);
    this.sweepAt = 2 * this.live + 4096;
  }

  /**
   * One pass of the kernel's gc worker (gc_worker in nf_conntrack_core.c): removes what has
   * expired and returns the delay to its next pass in ms — a running average of the live
   * entries' remaining lifetimes (each clamped to 1..300 s), seeded with 100 entries at 60 s,
   * clamped to 1..60 s.
   */
  gcPass(): number {
    const now = this.nowMs();
    let next = 60_000;
    let count = 100;
    for (const e of this.slots) {
      if (!e) continue;
      if (e.expires <= now) {
        this.delete(e);
        continue;
      }
      const left = Math.min(Math.max(e.expires - now, 1000), 300_000);
      next += Math.trunc((left - next) / ++count);
    }
    return Math.min(Math.max(next, 1000), 60_000);
  }

  private nowMs(): number {
    return Math.floor(this.now() / 1e6);
  }

  /** `conntrack -L` lines (with `extended`, `-o extended`'s `ipv4     2 ` prefix). */
  list(extended: boolean): string[] {
    this.expire();
    return this.all().map((e) => `${extended ? l3Prefix(e) : ""}${this.describe(e, "list")}`);
  }

  /**
   * An entry as conntrack-tools prints it: `-L` with mark and use, `-E` events without them,
   * and DESTROY events without timeout and state.
   */
  describe(e: ConntrackEntry, form: "list" | "event" | "destroy"): string {
    const name =
      e.protocol === 6
        ? "tcp"
        : e.protocol === 17
          ? "udp"
          : e.protocol === 1
            ? "icmp"
            : e.protocol === 58
              ? "icmpv6"
              : "unknown";
    let s = `${name.padEnd(8)} ${e.protocol} `;
    if (form !== "destroy") {
      s += `${Math.floor((e.expires - this.nowMs()) / 1000)} `;
      if (e.protocol === 6) s += `${TCP_STATE_NAMES[e.tcpState]} `;
    }
    const text = e.family === 6 ? (id: number) => this.host.ipv6Text?.(id) ?? String(id) : ipv4ToString;
    s += tupleText(e.orig, e.protocol, text);
    if (!e.seenReply) s += " [UNREPLIED]";
    s += ` ${tupleText(e.reply, e.protocol, text)}`;
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

/** `-o extended`'s layer-3 columns: family name and number. */
export function l3Prefix(e: ConntrackEntry): string {
  return e.family === 6 ? "ipv6     10 " : "ipv4     2 ";
}

function tupleText(t: Tuple, protocol: number, address: (a: number) => string): string {
  const addrs = `src=${address(t.src)} dst=${address(t.dst)}`;
  if (isIcmp(protocol)) return `${addrs} type=${t.dport >> 8} code=${t.dport & 0xff} id=${t.sport}`;
  return `${addrs} sport=${t.sport} dport=${t.dport}`;
}
