/**
 * IPv6 headers (RFC 8200) and the Hop-by-Hop Options header Linux puts in front of MLD messages
 * (Router Alert, RFC 2711), as net/ipv6/ip6_input.c checks them: version 6, payload length within
 * the received bytes. Extension headers other than Hop-by-Hop are left in the payload. The
 * upper-layer checksum's pseudo-header (RFC 8200 §8.1) is here too. Text is tcpdump 4.99's
 * (print-ip6.c): `IP6 SRC > DST: ` with `HBH ` before the next header's text; `-v`'s
 * `(flowlabel 0x…, hlim N, next-header NAME (N) payload length: N)`.
 * Deviations: no Routing, Fragment, Destination Options or jumbo payloads.
 */

import { put16, put32, u8, u16, u32 } from "../util/bytes.js";
import { ParseError } from "../util/errors.js";
import { ipv6ToString } from "../util/ipv6-address.js";

export const IPV6_HEADER_LEN = 40;
export const IPPROTO_HOPOPTS = 0;
export const IPPROTO_ICMPV6 = 58;

export interface Ipv6Header {
  trafficClass: number;
  flowLabel: number;
  /** Bytes after the 40-byte header (extension headers included); emit computes it when absent. */
  payloadLength?: number;
  /** The header after this one (after the Hop-by-Hop header when there is one). */
  nextHeader: number;
  hopLimit: number;
  src: Uint8Array;
  dst: Uint8Array;
  /** A Hop-by-Hop Options header: its option bytes (after next-header and length), 6 + 8n long. */
  hopByHop?: Uint8Array;
}

export function ipv6HeaderLength(h: Ipv6Header): number {
  return IPV6_HEADER_LEN + (h.hopByHop ? h.hopByHop.length + 2 : 0);
}

/** Parse the header (and a Hop-by-Hop header right after it) at `off`, within `end`. */
export function parseIpv6(buf: Uint8Array, off = 0, end = buf.length): Ipv6Header {
  const avail = end - off;
  if (avail < IPV6_HEADER_LEN) throw new ParseError("ipv6", "truncated", off, `${avail} bytes`);
  const word = u32(buf, off);
  if (word >>> 28 !== 6) throw new ParseError("ipv6", "bad-version", off, `version ${word >>> 28}`);
  const payloadLength = u16(buf, off + 4);
  if (IPV6_HEADER_LEN + payloadLength > avail)
    throw new ParseError(
      "ipv6",
      "truncated",
      off,
      `payload ${payloadLength} bytes, have ${avail - IPV6_HEADER_LEN}`,
    );
  const h: Ipv6Header = {
    trafficClass: (word >>> 20) & 0xff,
    flowLabel: word & 0xfffff,
    payloadLength,
    nextHeader: u8(buf, off + 6),
    hopLimit: u8(buf, off + 7),
    src: buf.slice(off + 8, off + 24),
    dst: buf.slice(off + 24, off + 40),
  };
  if (h.nextHeader === IPPROTO_HOPOPTS) {
    const p = off + IPV6_HEADER_LEN;
    if (payloadLength < 8) throw new ParseError("ipv6", "truncated", p, "hop-by-hop header");
    const len = (u8(buf, p + 1) + 1) * 8;
    if (len > payloadLength) throw new ParseError("ipv6", "bad-length", p, `hop-by-hop ${len} bytes`);
    h.nextHeader = u8(buf, p);
    h.hopByHop = buf.slice(p + 2, p + len);
  }
  return h;
}

/** Write the header (and its Hop-by-Hop header) at `off`; returns its length. */
export function emitIpv6(h: Ipv6Header, buf: Uint8Array, off: number, payloadLength = 0): number {
  const hl = ipv6HeaderLength(h);
  if (h.hopByHop && (h.hopByHop.length + 2) % 8 !== 0)
    throw new RangeError(`a hop-by-hop header is a multiple of 8 bytes, got ${h.hopByHop.length + 2}`);
  put32(buf, off, (6 << 28) | ((h.trafficClass & 0xff) << 20) | (h.flowLabel & 0xfffff));
  put16(buf, off + 4, h.payloadLength ?? hl - IPV6_HEADER_LEN + payloadLength);
  buf[off + 6] = h.hopByHop ? IPPROTO_HOPOPTS : h.nextHeader;
  buf[off + 7] = h.hopLimit;
  buf.set(h.src, off + 8);
  buf.set(h.dst, off + 24);
  if (h.hopByHop) {
    buf[off + 40] = h.nextHeader;
    buf[off + 41] = (h.hopByHop.length + 2) / 8 - 1;
    buf.set(h.hopByHop, off + 42);
  }
  return hl;
}

/** The upper-layer checksum's starting sum: source, destination, length and next header. */
export function ipv6PseudoHeaderSum(
  src: Uint8Array,
  dst: Uint8Array,
  nextHeader: number,
  length: number,
): number {
  let sum = 0;
  for (let i = 0; i < 16; i += 2) sum += u16(src, i) + u16(dst, i);
  return sum + (length >>> 16) + (length & 0xffff) + nextHeader;
}

/** tcpdump's `SRC > DST` (with `.port` when given). */
export function summarizeIpv6Addresses(
  src: Uint8Array,
  dst: Uint8Array,
  srcPort?: number,
  dstPort?: number,
): string {
  const s = ipv6ToString(src) + (srcPort === undefined ? "" : `.${srcPort}`);
  const d = ipv6ToString(dst) + (dstPort === undefined ? "" : `.${dstPort}`);
  return `${s} > ${d}`;
}

const NEXT_HEADER_NAMES: Record<number, string> = { 0: "Options", 6: "TCP", 17: "UDP", 58: "ICMPv6" };

/** tcpdump -v's `(flowlabel 0x…, hlim N, next-header NAME (N) payload length: N)`. */
export function summarizeIpv6Verbose(h: Ipv6Header): string {
  const first = h.hopByHop ? IPPROTO_HOPOPTS : h.nextHeader;
  const parts: string[] = [];
  if (h.trafficClass !== 0) parts.push(`class 0x${h.trafficClass.toString(16).padStart(2, "0")}, `);
  if (h.flowLabel !== 0) parts.push(`flowlabel 0x${h.flowLabel.toString(16).padStart(5, "0")}, `);
  const name = NEXT_HEADER_NAMES[first] ?? "unknown";
  return `(${parts.join("")}hlim ${h.hopLimit}, next-header ${name} (${first}) payload length: ${h.payloadLength})`;
}
