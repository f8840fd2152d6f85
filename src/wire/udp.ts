/**
 * UDP (RFC 768) over IPv4, as net/ipv4/udp.c checks it: length field >= 8 and within the bytes
 * received; checksum over the pseudo-header, 0 meaning "none", a computed 0 sent as 0xffff.
 * NAT rewrites (nf_nat_proto.c udp_manip_pkt) leave a zero checksum alone.
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

export class UdpView {
  buf: Uint8Array = EMPTY;
  off = 0;

  wrap(buf: Uint8Array, off = 0, end = buf.length): this {
    if (end - off < UDP_HEADER_LEN) throw new ParseError("udp", "truncated", off, `${end - off} bytes`);
    const len = u16(buf, off + 4);
    if (len < UDP_HEADER_LEN) throw new ParseError("udp", "bad-length", off + 4, `length ${len}`);
    if (len > end - off) throw new ParseError("udp", "truncated", off, `length ${len}, have ${end - off}`);
    this.buf = buf;
    this.off = off;
    return this;
  }

  get srcPort(): number {
    return u16(this.buf, this.off);
  }
  get dstPort(): number {
    return u16(this.buf, this.off + 2);
  }
  get length(): number {
    return u16(this.buf, this.off + 4);
  }
  get checksum(): number {
    return u16(this.buf, this.off + 6);
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
  /** True when the checksum verifies (or is absent). */
  checksumValid(srcIp: number, dstIp: number): boolean {
    if (!this.hasChecksum) return true;
    return (
      checksum(this.buf, this.off, this.length, pseudoHeaderSum(srcIp, dstIp, IPPROTO_UDP, this.length)) === 0
    );
  }
  /** Compute the checksum from scratch over the datagram already in place. */
  fillChecksum(srcIp: number, dstIp: number): void {
    put16(this.buf, this.off + 6, udpChecksum(this.buf, this.off, this.length, srcIp, dstIp));
  }
  setSrcPort(port: number): void {
    this.updateChecksumField(this.srcPort, port);
    put16(this.buf, this.off, port);
  }
  setDstPort(port: number): void {
    this.updateChecksumField(this.dstPort, port);
    put16(this.buf, this.off + 2, port);
  }
  /** Adjust the checksum for an address change in the IPv4 header (pseudo-header). */
  addressChanged(oldAddr: number, newAddr: number): void {
    if (!this.hasChecksum) return;
    put16(this.buf, this.off + 6, updateChecksum32(this.checksum, oldAddr, newAddr) || 0xffff);
  }
  private updateChecksumField(oldValue: number, newValue: number): void {
    if (!this.hasChecksum) return;
    put16(this.buf, this.off + 6, updateChecksum16(this.checksum, oldValue, newValue) || 0xffff);
  }
}

/** The checksum a sender puts in a datagram of `length` bytes at `off` (never 0). */
export function udpChecksum(
  buf: Uint8Array,
  off: number,
  length: number,
  srcIp: number,
  dstIp: number,
): number {
  const saved = u16(buf, off + 6);
  put16(buf, off + 6, 0);
  const c = checksum(buf, off, length, pseudoHeaderSum(srcIp, dstIp, IPPROTO_UDP, length));
  put16(buf, off + 6, saved);
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

/** Writes the header; the payload must already follow it when the checksum is computed. */
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

/** tcpdump -n text after `IP A.p > B.q: `. */
export function summarizeUdp(h: UdpHeader): string {
  return `UDP, length ${(h.length ?? UDP_HEADER_LEN) - UDP_HEADER_LEN}`;
}
