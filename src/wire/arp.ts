/**
 * ARP for IPv4 over Ethernet (RFC 826), the only kind net/ipv4/arp.c handles on Ethernet devices.
 *
 * A packet for another hardware or protocol type (or address lengths other than 6 and 4) is a
 * ParseError "unsupported": the kernel drops it in arp_rcv. Captures on veth carry no padding, so a
 * frame is exactly 42 bytes; padding, when present, follows the 28 bytes and is not part of the record.
 * The text is what tcpdump 4.99 prints (print-arp.c), including RARP/InARP opcodes and the hex dump it
 * falls back to for opcodes it does not know.
 */

import { put16, put32, put48, u16, u32, u48 } from "../util/bytes.js";
import { ParseError } from "../util/errors.js";
import { ipv4ToString } from "../util/ipv4-address.js";
import { macToString } from "../util/mac-address.js";

export const ARP_LEN = 28;
export const ARP_HTYPE_ETHERNET = 1;
export const ARP_PTYPE_IPV4 = 0x0800;

/** Opcodes (include/uapi/linux/if_arp.h). */
export const ARP_REQUEST = 1;
export const ARP_REPLY = 2;
export const ARP_RREQUEST = 3;
export const ARP_RREPLY = 4;
export const ARP_INREQUEST = 8;
export const ARP_INREPLY = 9;
export const ARP_NAK = 10;

export interface ArpPacket {
  op: number;
  senderMac: number;
  senderIp: number;
  targetMac: number;
  targetIp: number;
}

const EMPTY = new Uint8Array(0);

/** Zero-copy view. `wrap` checks the length and the Ethernet/IPv4 types; then no accessor throws. */
export class ArpView {
  buf: Uint8Array = EMPTY;
  off = 0;

  wrap(buf: Uint8Array, off = 0, end = buf.length): this {
    if (end - off < ARP_LEN)
      throw new ParseError("arp", "truncated", off, `${end - off} bytes, need ${ARP_LEN}`);
    if (
      u16(buf, off) !== ARP_HTYPE_ETHERNET ||
      u16(buf, off + 2) !== ARP_PTYPE_IPV4 ||
      buf[off + 4] !== 6 ||
      buf[off + 5] !== 4
    ) {
      throw new ParseError("arp", "unsupported", off, "not Ethernet/IPv4 ARP");
    }
    this.buf = buf;
    this.off = off;
    return this;
  }

  get op(): number {
    return u16(this.buf, this.off + 6);
  }
  set op(v: number) {
    put16(this.buf, this.off + 6, v);
  }
  get senderMac(): number {
    return u48(this.buf, this.off + 8);
  }
  set senderMac(v: number) {
    put48(this.buf, this.off + 8, v);
  }
  get senderIp(): number {
    return u32(this.buf, this.off + 14);
  }
  set senderIp(v: number) {
    put32(this.buf, this.off + 14, v);
  }
  get targetMac(): number {
    return u48(this.buf, this.off + 18);
  }
  set targetMac(v: number) {
    put48(this.buf, this.off + 18, v);
  }
  get targetIp(): number {
    return u32(this.buf, this.off + 24);
  }
  set targetIp(v: number) {
    put32(this.buf, this.off + 24, v);
  }
}

/** Always 28: Ethernet/IPv4 ARP has no variable part. */
export function arpHeaderLength(_p: ArpPacket): number {
  return ARP_LEN;
}

export function parseArp(buf: Uint8Array, off = 0, end = buf.length): ArpPacket {
  const v = new ArpView().wrap(buf, off, end);
  return {
    op: v.op,
    senderMac: v.senderMac,
    senderIp: v.senderIp,
    targetMac: v.targetMac,
    targetIp: v.targetIp,
  };
}

/** Writes the 28 bytes at `off`; returns the number of bytes written. */
export function emitArp(p: ArpPacket, buf: Uint8Array, off = 0): number {
  put16(buf, off, ARP_HTYPE_ETHERNET);
  put16(buf, off + 2, ARP_PTYPE_IPV4);
  buf[off + 4] = 6;
  buf[off + 5] = 4;
  put16(buf, off + 6, p.op);
  put48(buf, off + 8, p.senderMac);
  put32(buf, off + 14, p.senderIp);
  put48(buf, off + 18, p.targetMac);
  put32(buf, off + 24, p.targetIp);
  return ARP_LEN;
}

export interface ArpSummaryOptions {
  /** tcpdump -v: name the hardware and protocol types. */
  verbose?: boolean;
  /** Bytes after the 28 (Ethernet padding): tcpdump's hex dump of an unknown opcode shows them. */
  trailer?: Uint8Array;
}

/**
 * The ARP text of a `tcpdump -n` line after its `ARP, ` prefix (tcpdump prints that prefix only
 * without -e, so this is also the whole -e text after the link part), for an ARP packet of `length`
 * bytes (28 plus any padding): `Request who-has 10.0.0.2 tell 10.0.0.1, length 28`,
 * `Reply 10.0.0.2 is-at 02:00:00:00:00:0b, length 28`. A request with a non-zero target MAC (Linux's
 * unicast re-probe) names it: `Request who-has 10.0.0.2 (02:00:00:00:00:0b) tell 10.0.0.1, length 28`.
 * Unknown opcodes and NAK print as tcpdump does: a name, then a hex dump on the following lines.
 */
export function summarizeArp(p: ArpPacket, length = ARP_LEN, options: ArpSummaryOptions = {}): string {
  const head = options.verbose ? "Ethernet (len 6), IPv4 (len 4), " : "";
  const tail = `, length ${length}`;
  const sha = macToString(p.senderMac);
  const tha = macToString(p.targetMac);
  const spa = ipv4ToString(p.senderIp);
  const tpa = ipv4ToString(p.targetIp);
  switch (p.op) {
    case ARP_REQUEST: {
      const known = p.targetMac === 0 ? "" : ` (${tha})`;
      return `${head}Request who-has ${tpa}${known} tell ${spa}${tail}`;
    }
    case ARP_REPLY:
      return `${head}Reply ${spa} is-at ${sha}${tail}`;
    case ARP_RREQUEST:
      return `${head}Reverse Request who-is ${tha} tell ${sha}${tail}`;
    case ARP_RREPLY:
      return `${head}Reverse Reply ${tha} at ${tpa}${tail}`;
    case ARP_INREQUEST:
      return `${head}Inverse Request who-is ${tha} tell ${sha}${tail}`;
    case ARP_INREPLY:
      return `${head}Inverse Reply ${sha} at ${spa}${tail}`;
    default: {
      const name = p.op === ARP_NAK ? "NACK Reply" : `Unknown (${p.op})`;
      const trailer = options.trailer ?? EMPTY;
      const bytes = new Uint8Array(ARP_LEN + trailer.length);
      emitArp(p, bytes, 0);
      bytes.set(trailer, ARP_LEN);
      return `${head}${name} ${hexDump(bytes)}`;
    }
  }
}

/**
 * tcpdump's fallback dump of bytes it cannot decode: one `\n\t0xOFFS:  xxxx xxxx ...  ascii` line
 * per 16 bytes, hex padded to 40 columns, `.` for anything but printable non-space ASCII.
 */
function hexDump(bytes: Uint8Array): string {
  let out = "";
  for (let line = 0; line < bytes.length; line += 16) {
    let hex = "";
    let ascii = "";
    for (let i = line; i < Math.min(line + 16, bytes.length); i++) {
      const b = bytes[i] as number;
      hex += `${(i - line) % 2 === 0 ? " " : ""}${b.toString(16).padStart(2, "0")}`;
      ascii += b > 0x20 && b < 0x7f ? String.fromCharCode(b) : ".";
    }
    out += `\n\t0x${line.toString(16).padStart(4, "0")}: ${hex.padEnd(40)}  ${ascii}`;
  }
  return out;
}
