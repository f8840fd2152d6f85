/**
 * IPv4 headers (RFC 791), options kept verbatim.
 *
 * Models the header as net/ipv4/ip_input.c (ip_rcv_core) checks it: version 4, IHL >= 5, total
 * length within the received bytes and not shorter than the header. The fragment offset is kept in
 * 8-byte units, as on the wire. The view's in-place rewrites (TTL decrement, address changes) keep
 * the header checksum right with RFC 1624 updates, as ip_decrease_ttl and nf_nat's csum_replace4 do;
 * they read and write numbers only. Deviation: options are not interpreted (no record-route filling
 * on forward). Text is tcpdump 4.99's (print-ip.c).
 */

import { put16, put32, u8, u16, u32 } from "../util/bytes.js";
import { checksum, fold, updateChecksum16, updateChecksum32 } from "../util/checksum.js";
import { ParseError } from "../util/errors.js";
import { ipv4ToString } from "../util/ipv4-address.js";

export const IPV4_MIN_HEADER_LEN = 20;
export const IPPROTO_ICMP = 1;
export const IPPROTO_TCP = 6;
export const IPPROTO_UDP = 17;

export interface Ipv4Header {
  /** DSCP and ECN byte. */
  tos: number;
  /** Header plus payload; emit computes it from the payload length when absent. */
  totalLength?: number;
  id: number;
  /** Don't fragment. */
  df: boolean;
  /** More fragments. */
  mf: boolean;
  /** The reserved flag bit (must be zero, RFC 791); present only when set, so odd packets round-trip. */
  reservedFlag?: boolean;
  /** Fragment offset in 8-byte units, as on the wire. */
  fragmentOffset: number;
  ttl: number;
  protocol: number;
  /** Header checksum; emit computes it when absent. */
  checksum?: number;
  src: number;
  dst: number;
  /** Raw option bytes (a multiple of 4 long, at most 40); empty for a 20-byte header. */
  options: Uint8Array;
}

const EMPTY = new Uint8Array(0);

/** Version 4, IHL >= 5 and the whole header within [off, end); returns the header length. */
function checkHeader(buf: Uint8Array, off: number, end: number): number {
  const avail = end - off;
  if (avail < IPV4_MIN_HEADER_LEN) throw new ParseError("ipv4", "truncated", off, `${avail} bytes`);
  const vihl = u8(buf, off);
  if (vihl >>> 4 !== 4) throw new ParseError("ipv4", "bad-version", off, `version ${vihl >>> 4}`);
  const hl = (vihl & 15) * 4;
  if (hl < IPV4_MIN_HEADER_LEN) throw new ParseError("ipv4", "bad-length", off, `IHL ${vihl & 15}`);
  if (avail < hl) throw new ParseError("ipv4", "truncated", off, `header ${hl} bytes, have ${avail}`);
  return hl;
}

/** Zero-copy view. `wrap` checks version, IHL and total length; then no accessor throws. */
export class Ipv4View {
  buf: Uint8Array = EMPTY;
  off = 0;

  wrap(buf: Uint8Array, off = 0, end = buf.length): this {
    const hl = checkHeader(buf, off, end);
    const total = u16(buf, off + 2);
    if (total < hl)
      throw new ParseError("ipv4", "bad-length", off + 2, `total length ${total} < header ${hl}`);
    if (total > end - off)
      throw new ParseError("ipv4", "truncated", off, `total length ${total}, have ${end - off}`);
    this.buf = buf;
    this.off = off;
    return this;
  }

  /**
   * Wrap the datagram an ICMP error quotes: usually cut short, so only the header is checked
   * (version 4, IHL >= 5, the whole header present); `totalLength` and `payloadLength` are what the
   * header claims, and fewer payload bytes may follow. The rewrites work as on a whole datagram
   * (NAT translates a quoted header in place).
   */
  wrapQuoted(buf: Uint8Array, off = 0, end = buf.length): this {
    checkHeader(buf, off, end);
    this.buf = buf;
    this.off = off;
    return this;
  }

  get headerLength(): number {
    return (u8(this.buf, this.off) & 15) * 4;
  }
  get tos(): number {
    return u8(this.buf, this.off + 1);
  }
  get totalLength(): number {
    return u16(this.buf, this.off + 2);
  }
  get id(): number {
    return u16(this.buf, this.off + 4);
  }
  get df(): boolean {
    return (u8(this.buf, this.off + 6) & 0x40) !== 0;
  }
  get mf(): boolean {
    return (u8(this.buf, this.off + 6) & 0x20) !== 0;
  }
  get reservedFlag(): boolean {
    return (u8(this.buf, this.off + 6) & 0x80) !== 0;
  }
  /** In 8-byte units. */
  get fragmentOffset(): number {
    return u16(this.buf, this.off + 6) & 0x1fff;
  }
  get ttl(): number {
    return u8(this.buf, this.off + 8);
  }
  get protocol(): number {
    return u8(this.buf, this.off + 9);
  }
  get checksum(): number {
    return u16(this.buf, this.off + 10);
  }
  get src(): number {
    return u32(this.buf, this.off + 12);
  }
  get dst(): number {
    return u32(this.buf, this.off + 16);
  }
  get payloadOffset(): number {
    return this.off + this.headerLength;
  }
  get payloadLength(): number {
    return this.totalLength - this.headerLength;
  }
  get checksumValid(): boolean {
    return checksum(this.buf, this.off, this.headerLength) === 0;
  }

  /**
   * Decrement TTL by one, updating the checksum incrementally (ip_decrease_ttl). A TTL of 0 wraps to
   * 255 (with a correct checksum); forwarding checks `ttl <= 1` first, as ip_forward does.
   */
  decrementTtl(): void {
    const o = this.off + 8;
    const oldWord = u16(this.buf, o);
    const newWord = oldWord - 0x100;
    put16(this.buf, o, newWord);
    put16(this.buf, this.off + 10, updateChecksum16(this.checksum, oldWord, newWord & 0xffff));
  }
  /** Rewrite the source address, updating the checksum incrementally (NAT, csum_replace4). */
  setSrc(addr: number): void {
    put16(this.buf, this.off + 10, updateChecksum32(this.checksum, this.src, addr));
    put32(this.buf, this.off + 12, addr);
  }
  /** Rewrite the destination address, updating the checksum incrementally. */
  setDst(addr: number): void {
    put16(this.buf, this.off + 10, updateChecksum32(this.checksum, this.dst, addr));
    put32(this.buf, this.off + 16, addr);
  }
  /** Recompute the header checksum from scratch (after building a header in place). */
  fillChecksum(): void {
    put16(this.buf, this.off + 10, 0);
    put16(this.buf, this.off + 10, checksum(this.buf, this.off, this.headerLength));
  }
}

/**
 * Write a 20-byte header (no options) with its checksum, from numbers only: the packet path's way
 * to build a header without a record. `flags` is DF (0x4000) / MF (0x2000) or 0.
 */
export function writeIpv4Header(
  buf: Uint8Array,
  off: number,
  totalLength: number,
  id: number,
  flags: number,
  ttl: number,
  protocol: number,
  src: number,
  dst: number,
  tos = 0,
): void {
  buf[off] = 0x45;
  buf[off + 1] = tos;
  put16(buf, off + 2, totalLength);
  put16(buf, off + 4, id);
  put16(buf, off + 6, flags);
  buf[off + 8] = ttl;
  buf[off + 9] = protocol;
  put16(buf, off + 10, 0);
  put32(buf, off + 12, src);
  put32(buf, off + 16, dst);
  put16(buf, off + 10, checksum(buf, off, IPV4_MIN_HEADER_LEN));
}

export function ipv4HeaderLength(h: Ipv4Header): number {
  return IPV4_MIN_HEADER_LEN + h.options.length;
}

export function parseIpv4(buf: Uint8Array, off = 0, end = buf.length): Ipv4Header {
  return recordOf(new Ipv4View().wrap(buf, off, end));
}

/** The header of a datagram quoted in an ICMP error (see Ipv4View.wrapQuoted). */
export function parseQuotedIpv4(buf: Uint8Array, off = 0, end = buf.length): Ipv4Header {
  return recordOf(new Ipv4View().wrapQuoted(buf, off, end));
}

function recordOf(v: Ipv4View): Ipv4Header {
  const h: Ipv4Header = {
    tos: v.tos,
    totalLength: v.totalLength,
    id: v.id,
    df: v.df,
    mf: v.mf,
    fragmentOffset: v.fragmentOffset,
    ttl: v.ttl,
    protocol: v.protocol,
    checksum: v.checksum,
    src: v.src,
    dst: v.dst,
    options: v.buf.slice(v.off + IPV4_MIN_HEADER_LEN, v.payloadOffset),
  };
  if (v.reservedFlag) h.reservedFlag = true;
  return h;
}

/** Writes the header at `off` (the payload, if any, follows it); returns the header length. */
export function emitIpv4(h: Ipv4Header, buf: Uint8Array, off: number, payloadLength = 0): number {
  const ol = h.options.length;
  if (ol % 4 !== 0 || ol > 40)
    throw new RangeError(`IPv4 options must be a multiple of 4 up to 40 bytes, got ${ol}`);
  const hl = IPV4_MIN_HEADER_LEN + ol;
  buf[off] = 0x40 | (hl >>> 2);
  buf[off + 1] = h.tos;
  put16(buf, off + 2, h.totalLength ?? hl + payloadLength);
  put16(buf, off + 4, h.id);
  const flags = (h.reservedFlag ? 0x8000 : 0) | (h.df ? 0x4000 : 0) | (h.mf ? 0x2000 : 0);
  put16(buf, off + 6, flags | (h.fragmentOffset & 0x1fff));
  buf[off + 8] = h.ttl;
  buf[off + 9] = h.protocol;
  put16(buf, off + 10, 0);
  put32(buf, off + 12, h.src);
  put32(buf, off + 16, h.dst);
  buf.set(h.options, off + IPV4_MIN_HEADER_LEN);
  put16(buf, off + 10, h.checksum ?? checksum(buf, off, hl));
  return hl;
}

/** tcpdump's names for IP protocol numbers (ipproto.c); anything else prints as `unknown`. */
const PROTOCOL_NAMES: Record<number, string> = {
  0: "Options",
  1: "ICMP",
  2: "IGMP",
  4: "IPIP",
  6: "TCP",
  8: "EGP",
  9: "IGRP",
  17: "UDP",
  33: "DCCP",
  41: "IPv6",
  43: "Routing",
  44: "Fragment",
  46: "RSVP",
  47: "GRE",
  50: "ESP",
  51: "AH",
  55: "Mobile IP",
  58: "ICMPv6",
  62: "Mobile IP (old)",
  88: "EIGRP",
  89: "OSPF",
  103: "PIM",
  108: "Compressed IP",
  112: "VRRP",
  113: "PGM",
  132: "SCTP",
  135: "Mobility",
  143: "Ethernet",
};

export function protocolName(p: number): string {
  return PROTOCOL_NAMES[p] ?? "unknown";
}

/** The address part of a tcpdump -n line: `10.0.0.1 > 10.0.0.2` or `10.0.0.1.40000 > 10.0.0.2.80`. */
export function summarizeAddresses(src: number, dst: number, srcPort?: number, dstPort?: number): string {
  const s = ipv4ToString(src) + (srcPort === undefined ? "" : `.${srcPort}`);
  const d = ipv4ToString(dst) + (dstPort === undefined ? "" : `.${dstPort}`);
  return `${s} > ${d}`;
}

const ECN_TEXT = ["", ",ECT(1)", ",ECT(0)", ",CE"];

/**
 * The header part of a tcpdump -v line (after `IP `), e.g.
 * `(tos 0x0, ttl 64, id 12345, offset 0, flags [DF], proto ICMP (1), length 84)`, with the options
 * decoded and a wrong checksum flagged (`, bad cksum 4fdd (->4fcd)!`) as tcpdump 4.99 prints them.
 * `payload` is the bytes after the header up to the total length: tcpdump reads past the options
 * into them when an option's length byte or addresses run off the end, and so does this. When it
 * would read past the datagram, tcpdump stops the line at ` [|ip]` (no closing parentheses), or for
 * an address or timestamp cut short prints ` [truncated-option]` and closes the header; the line
 * after it (`SRC > DST: [|ip]`) is the caller's. An absent totalLength counts as header + payload.
 */
export function summarizeIpv4Verbose(h: Ipv4Header, payload: Uint8Array = EMPTY): string {
  const hl = ipv4HeaderLength(h);
  let s = `(tos 0x${h.tos.toString(16)}${ECN_TEXT[h.tos & 3]}`;
  if (h.ttl >= 1) s += `, ttl ${h.ttl}`;
  const flags = [h.mf ? "+" : "", h.df ? "DF" : "", h.reservedFlag ? "rsvd" : ""].filter((f) => f !== "");
  s +=
    `, id ${h.id}, offset ${h.fragmentOffset * 8}, flags [${flags.length > 0 ? flags.join(", ") : "none"}]` +
    `, proto ${protocolName(h.protocol)} (${h.protocol}), length ${h.totalLength ?? hl + payload.length}`;
  if (h.options.length > 0) {
    const o = new OptionPrinter(h.options, payload).print();
    if (o.cut) return `${s}, options (${o.text} [|ip]`;
    s += `, options (${o.text}${o.truncated ? " [truncated-option]" : ""})`;
  }
  if (h.checksum !== undefined) {
    const header = new Uint8Array(hl);
    emitIpv4(h, header, 0);
    const computed = checksum(header, 0, hl);
    if (computed !== 0) {
      // What the field should hold: field + computed, one's complement (tcpdump's in_cksum_shouldbe).
      const shouldBe = fold(h.checksum + computed);
      s += `, bad cksum ${h.checksum.toString(16)} (->${shouldBe.toString(16)})!`;
    }
  }
  return `${s})`;
}

const OPTION_NAMES: Record<number, string> = {
  0: "EOL",
  1: "NOP",
  7: "RR",
  68: "timestamp",
  82: "traceroute",
  130: "security",
  131: "LSRR",
  137: "SSRR",
  148: "RA",
};

const IPOPT_EOL = 0;
const IPOPT_NOP = 1;
const IPOPT_RR = 7;
const IPOPT_TS = 68;
const IPOPT_LSRR = 131;
const IPOPT_SSRR = 137;
const IPOPT_RA = 148;

/**
 * tcpdump's option text (print-ip.c: ip_optprint, ip_printroute, ip_printts), bounds included:
 * reads may run past the options into the payload, never past the datagram. Pointers are compared as
 * unsigned 32-bit numbers, as tcpdump's u_int arithmetic does.
 */
class OptionPrinter {
  private text = "";
  /** Bytes readable: options, then payload. */
  private readonly avail: number;

  constructor(
    private readonly options: Uint8Array,
    private readonly payload: Uint8Array,
  ) {
    this.avail = options.length + payload.length;
  }

  private at(i: number): number {
    const n = this.options.length;
    return (i < n ? this.options[i] : this.payload[i - n]) ?? 0;
  }
  private word(i: number): number {
    return ((this.at(i) << 24) | (this.at(i + 1) << 16) | (this.at(i + 2) << 8) | this.at(i + 3)) >>> 0;
  }

  /** `cut`: a read past the datagram where tcpdump gives up on the line; `truncated`: on the option. */
  print(): { text: string; cut: boolean; truncated: boolean } {
    const n = this.options.length;
    let sep = "";
    for (let i = 0; i < n; ) {
      const remaining = n - i;
      const code = this.at(i);
      this.text += `${sep}${OPTION_NAMES[code] ?? `unknown ${code}`}`;
      sep = ",";
      let len = 1;
      if (code !== IPOPT_NOP && code !== IPOPT_EOL) {
        if (i + 1 >= this.avail) return { text: this.text, cut: true, truncated: false };
        len = this.at(i + 1);
        if (len < 2) return this.done(` [bad length ${len}]`);
      }
      if (len > remaining) return this.done(` [bad length ${len}]`);
      switch (code) {
        case IPOPT_EOL:
          return this.done("");
        case IPOPT_TS:
          if (!this.timestamp(i, len)) return { text: this.text, cut: false, truncated: true };
          break;
        case IPOPT_RR:
        case IPOPT_LSRR:
        case IPOPT_SSRR:
          if (!this.route(i, len)) return { text: this.text, cut: false, truncated: true };
          break;
        case IPOPT_RA:
          if (len < 4) this.text += ` [bad length ${len}]`;
          else if (this.at(i + 2) !== 0 || this.at(i + 3) !== 0)
            this.text += ` value ${(this.at(i + 2) << 8) | this.at(i + 3)}`;
          break;
      }
      i += len;
    }
    return this.done("");
  }

  private done(extra: string): { text: string; cut: boolean; truncated: boolean } {
    return { text: this.text + extra, cut: false, truncated: false };
  }

  /** Record route and source routes; false when an address runs past the datagram. */
  private route(i: number, len: number): boolean {
    if (len < 3) {
      this.text += ` [bad length ${len}]`;
      return true;
    }
    if ((len + 1) & 3) this.text += ` [bad length ${len}]`;
    const rawPtr = this.at(i + 2);
    const ptr = (rawPtr - 1) >>> 0;
    if (ptr < 3 || ((ptr + 1) & 3) !== 0 || ptr > len + 1) this.text += ` [bad ptr ${rawPtr}]`;
    for (let a = 3; a < len; a += 4) {
      if (i + a + 4 > this.avail) return false;
      this.text += ` ${ipv4ToString(this.word(i + a))}`;
      if (ptr > a) this.text += ",";
    }
    return true;
  }

  /** Internet timestamp (RFC 791); false when an entry runs past the datagram. */
  private timestamp(i: number, len: number): boolean {
    if (len < 4) {
      this.text += `[bad length ${len}]`;
      return true;
    }
    this.text += " TS{";
    const oflwFlags = this.at(i + 3);
    const kind = oflwFlags & 0xf;
    const hop = kind !== 0 ? 8 : 4;
    if ((len - 4) & (hop - 1)) this.text += `[bad length ${len}]`;
    const rawPtr = this.at(i + 2);
    const ptr = (rawPtr - 1) >>> 0;
    if (ptr < 4 || (((ptr - 4) >>> 0) & (hop - 1)) !== 0 || ptr > len + 1) this.text += `[bad ptr ${rawPtr}]`;
    let a = 0;
    const kindName = kind === 0 ? "TSONLY" : kind === 1 ? "TS+ADDR" : kind === 3 ? "PRESPEC" : undefined;
    if (kindName === undefined) {
      this.text += `[bad ts type ${kind}]`;
    } else {
      this.text += kindName;
      let mark = " ";
      for (a = 4; a < len; a += hop) {
        if (ptr === a) mark = " ^ ";
        if (i + a + hop > this.avail) return false;
        const addr = hop === 8 ? ipv4ToString(this.word(i + a)) : "";
        this.text += `${mark}${this.word(i + a + hop - 4)}@${addr}`;
        mark = " ";
      }
    }
    if (ptr === a) this.text += " ^ ";
    this.text += oflwFlags >> 4 ? ` [${oflwFlags >> 4} hops not recorded]} ` : "}";
    return true;
  }
}
