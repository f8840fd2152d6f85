/**
 * ARP for IPv4 over Ethernet (RFC 826), the only kind net/ipv4/arp.c handles on Ethernet devices.
 *
 * A packet for another hardware or protocol type is a ParseError "unsupported" (the kernel drops it
 * in arp_rcv). Captures on veth carry no padding, so a frame is exactly 42 bytes.
 */

import { put16, put32, put48, u16, u32, u48 } from "../util/bytes.js";
import { ParseError } from "../util/errors.js";
import { ipv4ToString } from "../util/ipv4-address.js";
import { macToString } from "../util/mac-address.js";

export const ARP_LEN = 28;
export const ARP_REQUEST = 1;
export const ARP_REPLY = 2;

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
    if (u16(buf, off) !== 1 || u16(buf, off + 2) !== 0x0800 || buf[off + 4] !== 6 || buf[off + 5] !== 4) {
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

export function emitArp(p: ArpPacket, buf: Uint8Array, off = 0): number {
  put16(buf, off, 1);
  put16(buf, off + 2, 0x0800);
  buf[off + 4] = 6;
  buf[off + 5] = 4;
  put16(buf, off + 6, p.op);
  put48(buf, off + 8, p.senderMac);
  put32(buf, off + 14, p.senderIp);
  put48(buf, off + 18, p.targetMac);
  put32(buf, off + 24, p.targetIp);
  return ARP_LEN;
}

/** tcpdump -n text after the link part: `Request who-has 10.0.0.2 tell 10.0.0.1, length 28`. */
export function summarizeArp(p: ArpPacket, length = ARP_LEN): string {
  if (p.op === ARP_REQUEST) {
    return `Request who-has ${ipv4ToString(p.targetIp)} tell ${ipv4ToString(p.senderIp)}, length ${length}`;
  }
  if (p.op === ARP_REPLY) {
    return `Reply ${ipv4ToString(p.senderIp)} is-at ${macToString(p.senderMac)}, length ${length}`;
  }
  return `Unknown opcode (${p.op}), length ${length}`;
}
