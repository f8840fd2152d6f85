/**
 * TCP segments (RFC 9293) over IPv4, as net/ipv4/tcp_ipv4.c checks them: data offset >= 5 and
 * within the bytes received; checksum over the pseudo-header. The view finds options without
 * allocating (for the stack's hot path); the record form holds them as a list (tcp-options.ts).
 * NAT rewrites (nf_nat_proto.c tcp_manip_pkt) update the checksum incrementally.
 */

import { put16, put32, u8, u16, u32 } from "../util/bytes.js";
import { checksum, pseudoHeaderSum, updateChecksum16, updateChecksum32 } from "../util/checksum.js";
import { ParseError } from "../util/errors.js";
import { IPPROTO_TCP } from "./ipv4.js";
import {
  emitTcpOptions,
  parseTcpOptions,
  summarizeTcpOptions,
  TCPOPT_EOL,
  TCPOPT_NOP,
  type TcpOption,
  tcpOptionsLength,
} from "./tcp-options.js";

export const TCP_MIN_HEADER_LEN = 20;

export const TCP_FIN = 0x01;
export const TCP_SYN = 0x02;
export const TCP_RST = 0x04;
export const TCP_PSH = 0x08;
export const TCP_ACK = 0x10;
export const TCP_URG = 0x20;
export const TCP_ECE = 0x40;
export const TCP_CWR = 0x80;
/** Accurate-ECN / former NS bit (low bit of byte 12). */
export const TCP_AE = 0x100;

export interface TcpHeader {
  srcPort: number;
  dstPort: number;
  seq: number;
  ack: number;
  /** Header length in 32-bit words; emit computes it from the options when absent. */
  dataOffset?: number;
  /** The 12 bits after the data offset: reserved (3), AE, CWR, ECE, URG, ACK, PSH, RST, SYN, FIN. */
  flags: number;
  window: number;
  /** Emit computes it when absent. */
  checksum?: number;
  urgentPointer: number;
  options: TcpOption[];
}

const EMPTY = new Uint8Array(0);

export class TcpView {
  buf: Uint8Array = EMPTY;
  off = 0;

  /** Checks the fixed header and the data offset; options are checked lazily and never throw. */
  wrap(buf: Uint8Array, off = 0, end = buf.length): this {
    if (end - off < TCP_MIN_HEADER_LEN) throw new ParseError("tcp", "truncated", off, `${end - off} bytes`);
    const hl = (u8(buf, off + 12) >>> 4) * 4;
    if (hl < TCP_MIN_HEADER_LEN) throw new ParseError("tcp", "bad-length", off + 12, `data offset ${hl / 4}`);
    if (hl > end - off)
      throw new ParseError("tcp", "truncated", off, `header ${hl} bytes, have ${end - off}`);
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
  get seq(): number {
    return u32(this.buf, this.off + 4);
  }
  set seq(v: number) {
    put32(this.buf, this.off + 4, v);
  }
  get ack(): number {
    return u32(this.buf, this.off + 8);
  }
  set ack(v: number) {
    put32(this.buf, this.off + 8, v);
  }
  get headerLength(): number {
    return (u8(this.buf, this.off + 12) >>> 4) * 4;
  }
  get flags(): number {
    return u16(this.buf, this.off + 12) & 0x0fff;
  }
  hasFlag(flag: number): boolean {
    return (this.flags & flag) !== 0;
  }
  get window(): number {
    return u16(this.buf, this.off + 14);
  }
  set window(v: number) {
    put16(this.buf, this.off + 14, v);
  }
  get checksum(): number {
    return u16(this.buf, this.off + 16);
  }
  get urgentPointer(): number {
    return u16(this.buf, this.off + 18);
  }
  get payloadOffset(): number {
    return this.off + this.headerLength;
  }

  /** Offset of the first option of `kind` with a sane length, or -1 (no allocation, never throws). */
  optionOffset(kind: number): number {
    const end = this.off + this.headerLength;
    let i = this.off + TCP_MIN_HEADER_LEN;
    while (i < end) {
      const k = this.buf[i] as number;
      if (k === TCPOPT_EOL) return -1;
      if (k === TCPOPT_NOP) {
        i++;
        continue;
      }
      const len = i + 1 < end ? (this.buf[i + 1] as number) : 0;
      if (len < 2 || i + len > end) return -1;
      if (k === kind) return i;
      i += len;
    }
    return -1;
  }

  /** Checksum check for a segment of `segmentLength` bytes (header + payload). */
  checksumValid(srcIp: number, dstIp: number, segmentLength: number): boolean {
    return (
      checksum(
        this.buf,
        this.off,
        segmentLength,
        pseudoHeaderSum(srcIp, dstIp, IPPROTO_TCP, segmentLength),
      ) === 0
    );
  }
  fillChecksum(srcIp: number, dstIp: number, segmentLength: number): void {
    put16(this.buf, this.off + 16, tcpChecksum(this.buf, this.off, segmentLength, srcIp, dstIp));
  }
  setSrcPort(port: number): void {
    put16(this.buf, this.off + 16, updateChecksum16(this.checksum, this.srcPort, port));
    put16(this.buf, this.off, port);
  }
  setDstPort(port: number): void {
    put16(this.buf, this.off + 16, updateChecksum16(this.checksum, this.dstPort, port));
    put16(this.buf, this.off + 2, port);
  }
  /** Adjust the checksum for an address change in the IPv4 header (pseudo-header). */
  addressChanged(oldAddr: number, newAddr: number): void {
    put16(this.buf, this.off + 16, updateChecksum32(this.checksum, oldAddr, newAddr));
  }
}

export function tcpChecksum(
  buf: Uint8Array,
  off: number,
  length: number,
  srcIp: number,
  dstIp: number,
): number {
  const saved = u16(buf, off + 16);
  put16(buf, off + 16, 0);
  const c = checksum(buf, off, length, pseudoHeaderSum(srcIp, dstIp, IPPROTO_TCP, length));
  put16(buf, off + 16, saved);
  return c;
}

export function tcpHeaderLength(h: TcpHeader): number {
  return h.dataOffset === undefined ? TCP_MIN_HEADER_LEN + tcpOptionsLength(h.options) : h.dataOffset * 4;
}

/** Parse the header; options are validated (bad lengths are a ParseError). */
export function parseTcp(buf: Uint8Array, off = 0, end = buf.length): TcpHeader {
  const v = new TcpView().wrap(buf, off, end);
  return {
    srcPort: v.srcPort,
    dstPort: v.dstPort,
    seq: v.seq,
    ack: v.ack,
    dataOffset: v.headerLength / 4,
    flags: v.flags,
    window: v.window,
    checksum: v.checksum,
    urgentPointer: v.urgentPointer,
    options: parseTcpOptions(buf, off + TCP_MIN_HEADER_LEN, v.payloadOffset),
  };
}

/**
 * Writes the header at `off`; the payload (`payloadLength` bytes) must already follow the header
 * when the checksum is computed. Options must fill the header to a multiple of 4 bytes (end them
 * with EOL and its padding, or NOPs), up to 40 bytes.
 */
export function emitTcp(
  h: TcpHeader,
  buf: Uint8Array,
  off: number,
  payloadLength: number,
  srcIp: number,
  dstIp: number,
): number {
  const optLen = tcpOptionsLength(h.options);
  if (optLen % 4 !== 0 || optLen > 40)
    throw new RangeError(`TCP options take ${optLen} bytes: need a multiple of 4 up to 40`);
  const hl = TCP_MIN_HEADER_LEN + optLen;
  put16(buf, off, h.srcPort);
  put16(buf, off + 2, h.dstPort);
  put32(buf, off + 4, h.seq);
  put32(buf, off + 8, h.ack);
  put16(buf, off + 12, (((h.dataOffset ?? hl / 4) & 15) << 12) | (h.flags & 0x0fff));
  put16(buf, off + 14, h.window);
  put16(buf, off + 16, 0);
  put16(buf, off + 18, h.urgentPointer);
  emitTcpOptions(h.options, buf, off + TCP_MIN_HEADER_LEN);
  put16(buf, off + 16, h.checksum ?? tcpChecksum(buf, off, hl + payloadLength, srcIp, dstIp));
  return hl;
}

const FLAG_CHARS: Array<[number, string]> = [
  [TCP_FIN, "F"],
  [TCP_SYN, "S"],
  [TCP_RST, "R"],
  [TCP_PSH, "P"],
  [TCP_ACK, "."],
  [TCP_URG, "U"],
  [TCP_ECE, "E"],
  [TCP_CWR, "W"],
  [TCP_AE, "e"],
];

export function tcpFlagsText(flags: number): string {
  let s = "";
  for (const [bit, ch] of FLAG_CHARS) if (flags & bit) s += ch;
  return s === "" ? "none" : s;
}

/**
 * tcpdump's relative sequence numbering across a capture (without -S): the first segment with
 * ACK of a connection (or any SYN-ACK) fixes both directions' bases and is printed absolute; later
 * segments of that connection print seq/ack relative to them.
 */
export class TcpSequenceTracker {
  private readonly bases = new Map<string, { seq: number; ack: number }>();

  /** Returns [seqBase, ackBase] to subtract for this segment (0, 0 when printed absolute). */
  relate(srcIp: number, srcPort: number, dstIp: number, dstPort: number, h: TcpHeader): [number, number] {
    if ((h.flags & TCP_ACK) === 0) return [0, 0];
    const fwd = `${srcIp}:${srcPort}>${dstIp}:${dstPort}`;
    const rev = `${dstIp}:${dstPort}>${srcIp}:${srcPort}`;
    const reversed = !this.bases.has(fwd) && this.bases.has(rev);
    const key = reversed ? rev : fwd;
    const known = this.bases.get(key);
    if (known === undefined || (h.flags & TCP_SYN) !== 0) {
      const ackBase = (h.ack - 1) >>> 0;
      this.bases.set(key, reversed ? { seq: ackBase, ack: h.seq } : { seq: h.seq, ack: ackBase });
      return [0, 0];
    }
    return reversed ? [known.ack, known.seq] : [known.seq, known.ack];
  }
}

/**
 * tcpdump -n text after `IP A.p > B.q: ` for a segment carrying `payloadLength` bytes, e.g.
 * `Flags [P.], seq 1:19, ack 1, win 63, options [nop,nop,TS val 1 ecr 2], length 18`.
 * `seqBase`/`ackBase` come from a TcpSequenceTracker (or 0 for absolute numbers, tcpdump -S).
 */
export function summarizeTcp(h: TcpHeader, payloadLength: number, seqBase = 0, ackBase = 0): string {
  let s = `Flags [${tcpFlagsText(h.flags)}]`;
  const seq = (h.seq - seqBase) >>> 0;
  if (payloadLength > 0) s += `, seq ${seq}:${(seq + payloadLength) >>> 0}`;
  else if (h.flags & (TCP_SYN | TCP_FIN | TCP_RST)) s += `, seq ${seq}`;
  if (h.flags & TCP_ACK) s += `, ack ${(h.ack - ackBase) >>> 0}`;
  s += `, win ${h.window}`;
  if (h.flags & TCP_URG) s += `, urg ${h.urgentPointer}`;
  if (h.options.length > 0) s += `, options [${summarizeTcpOptions(h.options, ackBase)}]`;
  return `${s}, length ${payloadLength}`;
}
