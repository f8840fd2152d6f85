/**
 * UDP (RFC 768) over IPv4, as net/ipv4/udp.c checks it: length field >= 8 and within the bytes
 * received; checksum over the pseudo-header, 0 meaning "none", a computed 0 sent as 0xffff.
 * NAT rewrites (nf_nat_proto.c udp_manip_pkt) update the checksum incrementally and leave a zero
 * checksum alone; an update that comes out 0 is sent as 0xffff (CSUM_MANGLED_0).
 *
 * Text: tcpdump 4.99 -n (print-udp.c) for a port it has no decoder for: `UDP, length N`, and with
 * -vv the checksum verdict in front of it. Deviation: a length field that does not fit is a
 * ParseError here, where tcpdump prints `truncated-udplength N`.
 */

import { put16, u16 } from "../util/bytes.js";
import { checksum, pseudoHeaderSum, updateChecksum16, updateChecksum32 } from "../util/checksum.js";
import { ParseError } from "../util/errors.js";
import { IPPROTO_UDP } from "./ipv4.js";

export const UDP_HEADER_LEN = 8;

export interface UdpHeader {
  srcPort: number;
  dstPort: number;
  /** Header plus payload; emit computes it when absent. */
  length?: number;
  /** Emit computes it when absent; 0 on the wire means no checksum. */
  checksum?: number;
}

const EMPTY = new Uint8Array(0);

/** Zero-copy view. `wrap` checks the length field once; after it no accessor throws. */
export class UdpView {
  buf: Uint8Array = EMPTY;
  off = 0;

  wrap(buf: Uint8Array, off = 0, end = buf.length): this {
    if (end - off < UDP_HEADER_LEN) {
      throw new ParseError("udp", "truncated", off, `${end - off} bytes, header needs ${UDP_HEADER_LEN}`);
    }
    const len = u16(buf, off + 4);
    if (len < UDP_HEADER_LEN) throw new ParseError("udp", "bad-length", off + 4, `length ${len}`);
    if (len > end - off) throw new ParseError("udp", "truncated", off, `length ${len}, have ${end - off}`);
    this.buf = buf;
    this.off = off;
    return this;
  }

  // Plain accessors: the setters write the field only (the checksum is not touched).
  get srcPort(): number {
    return u16(this.buf, this.off);
  }
  set srcPort(v: number) {
    put16(this.buf, this.off, v);
  }
  get dstPort(): number {
    return u16(this.buf, this.off + 2);
  }
  set dstPort(v: number) {
    put16(this.buf, this.off + 2, v);
  }
  /** Header plus payload, as the length field says (checked against the bytes at `wrap`). */
  get length(): number {
    return u16(this.buf, this.off + 4);
  }
  get checksum(): number {
    return u16(this.buf, this.off + 6);
  }
  set checksum(v: number) {
    put16(this.buf, this.off + 6, v);
  }
  get payloadOffset(): number {
    return this.off + UDP_HEADER_LEN;
  }
  get payloadLength(): number {
    return this.length - UDP_HEADER_LEN;
  }
  get hasChecksum(): boolean {
    return this.checksum !== 0;
  }

  /** True when the checksum verifies, or is 0 (none). */
  checksumValid(srcIp: number, dstIp: number): boolean {
    if (!this.hasChecksum) return true;
    const len = this.length;
    return checksum(this.buf, this.off, len, pseudoHeaderSum(srcIp, dstIp, IPPROTO_UDP, len)) === 0;
  }
  /** Compute the checksum from scratch over the datagram already in place. */
  fillChecksum(srcIp: number, dstIp: number): void {
    put16(this.buf, this.off + 6, udpChecksum(this.buf, this.off, this.length, srcIp, dstIp));
  }
  /** NAT: rewrite the source port, updating a present checksum incrementally. */
  setSrcPort(port: number): void {
    this.replaceInChecksum(this.srcPort, port);
    put16(this.buf, this.off, port);
  }
  /** NAT: rewrite the destination port, updating a present checksum incrementally. */
  setDstPort(port: number): void {
    this.replaceInChecksum(this.dstPort, port);
    put16(this.buf, this.off + 2, port);
  }
  /** NAT: adjust a present checksum for an address rewritten in the IPv4 header (pseudo-header). */
  addressChanged(oldAddr: number, newAddr: number): void {
    if (!this.hasChecksum) return;
    put16(this.buf, this.off + 6, updateChecksum32(this.checksum, oldAddr, newAddr) || 0xffff);
  }
  private replaceInChecksum(oldValue: number, newValue: number): void {
    if (!this.hasChecksum) return;
    put16(this.buf, this.off + 6, updateChecksum16(this.checksum, oldValue, newValue) || 0xffff);
  }
}

/** The checksum a sender puts in the `length`-byte datagram at `off` (never 0; the field is taken as 0). */
export function udpChecksum(
  buf: Uint8Array,
  off: number,
  length: number,
  srcIp: number,
  dstIp: number,
): number {
  // Subtracting the field's word from the initial sum is the same as summing with the field zeroed.
  const field = length >= UDP_HEADER_LEN ? u16(buf, off + 6) : 0;
  const c = checksum(buf, off, length, pseudoHeaderSum(srcIp, dstIp, IPPROTO_UDP, length) - field);
  return c === 0 ? 0xffff : c;
}

export function parseUdp(buf: Uint8Array, off = 0, end = buf.length): UdpHeader {
  const v = new UdpView().wrap(buf, off, end);
  return { srcPort: v.srcPort, dstPort: v.dstPort, length: v.length, checksum: v.checksum };
}

/**
 * The header of a datagram whose first fragment this is: the length field describes the whole
 * datagram, which is longer than the bytes here, so only the 8 header bytes are checked.
 */
export function parseUdpFirstFragment(buf: Uint8Array, off: number, end: number): UdpHeader {
  if (end - off < UDP_HEADER_LEN) throw new ParseError("udp", "truncated", off, `${end - off} bytes`);
  return {
    srcPort: u16(buf, off),
    dstPort: u16(buf, off + 2),
    length: u16(buf, off + 4),
    checksum: u16(buf, off + 6),
  };
}

export function udpHeaderLength(_h: UdpHeader): number {
  return UDP_HEADER_LEN;
}

/**
 * Writes the header at `off`; returns 8. The payload (`payloadLength` bytes) must already follow
 * the header when the checksum is computed. An absent length is 8 + payloadLength; an absent
 * checksum is computed over the pseudo-header, the header and `length - 8` payload bytes.
 */
export function emitUdp(
  h: UdpHeader,
  buf: Uint8Array,
  off: number,
  payloadLength: number,
  srcIp: number,
  dstIp: number,
): number {
  const length = h.length ?? UDP_HEADER_LEN + payloadLength;
  put16(buf, off, h.srcPort);
  put16(buf, off + 2, h.dstPort);
  put16(buf, off + 4, length);
  put16(buf, off + 6, h.checksum ?? udpChecksum(buf, off, length, srcIp, dstIp));
  return UDP_HEADER_LEN;
}

/** tcpdump -n text after `IP A.p > B.q: `: `UDP, length 5` (the payload length from the length field). */
export function summarizeUdp(h: UdpHeader): string {
  return `UDP, length ${(h.length ?? UDP_HEADER_LEN) - UDP_HEADER_LEN}`;
}

/**
 * tcpdump -vv puts the checksum verdict between the addresses and the rest of the line (for VXLAN
 * too): `[udp sum ok] `, `[no cksum] ` or `[bad udp cksum 0x1234 -> 0xabcd!] `. `expected` is what
 * udpChecksum computes.
 */
export function summarizeUdpChecksum(checksumField: number, valid: boolean, expected: number): string {
  if (checksumField === 0) return "[no cksum] ";
  if (valid) return "[udp sum ok] ";
  const hex4 = (v: number) => v.toString(16).padStart(4, "0");
  return `[bad udp cksum 0x${hex4(checksumField)} -> 0x${hex4(expected)}!] `;
}
