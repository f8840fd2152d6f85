/**
 * IPv4 headers (RFC 791), options kept verbatim.
 *
 * Models the header as net/ipv4/ip_input.c (ip_rcv_core) checks it: version 4, IHL >= 5, total
 * length within the received bytes and not shorter than the header. The view's in-place rewrites
 * (TTL decrement, address changes) keep the header checksum right with RFC 1624 updates, as
 * ip_decrease_ttl and nf_nat's csum_replace4 do. Deviation: options are not interpreted (no
 * record-route filling on forward).
 */

import { put16, put32, u8, u16, u32 } from "../util/bytes.js";
import { checksum, updateChecksum16, updateChecksum32 } from "../util/checksum.js";
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

/** Zero-copy view. `wrap` checks version, IHL and total length; then no accessor throws. */
export class Ipv4View {
  buf: Uint8Array = EMPTY;
  off = 0;

  wrap(buf: Uint8Array, off = 0, end = buf.length): this {
    const avail = end - off;
    if (avail < IPV4_MIN_HEADER_LEN) throw new ParseError("ipv4", "truncated", off, `${avail} bytes`);
    const vihl = u8(buf, off);
    if (vihl >>> 4 !== 4) throw new ParseError("ipv4", "bad-version", off, `version ${vihl >>> 4}`);
    const hl = (vihl & 15) * 4;
    if (hl < IPV4_MIN_HEADER_LEN) throw new ParseError("ipv4", "bad-length", off, `IHL ${vihl & 15}`);
    if (avail < hl) throw new ParseError("ipv4", "truncated", off, `header ${hl} bytes, have ${avail}`);
    const total = u16(buf, off + 2);
    if (total < hl)
      throw new ParseError("ipv4", "bad-length", off + 2, `total length ${total} < header ${hl}`);
    if (total > avail) throw new ParseError("ipv4", "truncated", off, `total length ${total}, have ${avail}`);
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

  /** Decrement TTL by one, updating the checksum incrementally (ip_decrease_ttl). */
  decrementTtl(): void {
    const o = this.off + 8;
    const oldWord = u16(this.buf, o);
    const newWord = oldWord - 0x100;
    put16(this.buf, o, newWord);
    put16(this.buf, this.off + 10, updateChecksum16(this.checksum, oldWord, newWord & 0xffff));
  }
  setSrc(addr: number): void {
    put16(this.buf, this.off + 10, updateChecksum32(this.checksum, this.src, addr));
    put32(this.buf, this.off + 12, addr);
  }
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
  const v = new Ipv4View().wrap(buf, off, end);
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
    options: buf.slice(off + IPV4_MIN_HEADER_LEN, v.payloadOffset),
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

const PROTOCOL_NAMES: Record<number, string> = { 1: "ICMP", 6: "TCP", 17: "UDP", 47: "GRE", 50: "ESP" };

export function protocolName(p: number): string {
  return PROTOCOL_NAMES[p] ?? "unknown";
}

/** The address part of a tcpdump -n line: `10.0.0.1 > 10.0.0.2` or `10.0.0.1.40000 > 10.0.0.2.80`. */
export function summarizeAddresses(src: number, dst: number, srcPort?: number, dstPort?: number): string {
  const s = ipv4ToString(src) + (srcPort === undefined ? "" : `.${srcPort}`);
  const d = ipv4ToString(dst) + (dstPort === undefined ? "" : `.${dstPort}`);
  return `${s} > ${d}`;
}

/** The header part of a tcpdump -v line: `(tos 0x0, ttl 64, id 1, offset 0, flags [DF], proto ICMP (1), length 84)`. */
export function summarizeIpv4Verbose(h: Ipv4Header): string {
  const flags = h.df ? (h.mf ? "DF+" : "DF") : h.mf ? "+" : "none";
  const ecn = h.tos & 3;
  const tos = `tos 0x${h.tos.toString(16)}${ecn === 0 ? "" : ecn === 3 ? ",CE" : `,ECT(${ecn === 2 ? 0 : 1})`}`;
  const opts = h.options.length > 0 ? `, options (${summarizeOptions(h.options)})` : "";
  return (
    `(${tos}, ttl ${h.ttl}, id ${h.id}, offset ${h.fragmentOffset * 8}, flags [${flags}], ` +
    `proto ${protocolName(h.protocol)} (${h.protocol}), length ${h.totalLength ?? 0}${opts})`
  );
}

function summarizeOptions(o: Uint8Array): string {
  const parts: string[] = [];
  let i = 0;
  while (i < o.length) {
    const kind = o[i] as number;
    if (kind === 0) {
      parts.push("EOL");
      break;
    }
    if (kind === 1) {
      parts.push("NOP");
      i++;
      continue;
    }
    const len = (o[i + 1] as number | undefined) ?? 0;
    if (len < 2 || i + len > o.length) {
      parts.push(`unknown ${kind} [bad length ${len}]`);
      break;
    }
    if (kind === 7) {
      const ptr = o[i + 2] as number;
      const addrs: string[] = [];
      for (let a = 3; a + 4 <= len; a += 4) {
        // A comma after each address already recorded (before the 1-based pointer).
        addrs.push(` ${ipv4ToString(u32(o, i + a))}${ptr > a + 1 ? "," : ""}`);
      }
      parts.push(`RR${addrs.join("")}`);
    } else {
      parts.push(`unknown ${kind} len ${len}`);
    }
    i += len;
  }
  return parts.join(",");
}
