/**
 * TCP segments (RFC 9293) over IPv4, as net/ipv4/tcp_ipv4.c checks them: data offset >= 5 and
 * within the bytes received; checksum over the pseudo-header. The record form holds the options as
 * a list (tcp-options.ts); the view finds option values without allocating, for the stack's hot
 * path. NAT rewrites (nf_nat_proto.c tcp_manip_pkt) update the checksum incrementally (RFC 1624).
 *
 * Options and the view: `wrap` checks the fixed header and the data offset only. A malformed
 * option (length < 2, or running past the header) does not make Linux drop the segment:
 * tcp_parse_options stops reading there and keeps what it found before. The view does the same
 * (`optionOffset` and the option getters see only the options before the bad one; `optionsValid`
 * tells whether there was one), while `parseTcp` throws ParseError, because a record cannot hold
 * such bytes. No getter throws or allocates after `wrap`.
 *
 * Text: tcpdump 4.99 -n (print-tcp.c), relative sequence numbers through TcpSequenceTracker.
 * tcpdump 4.99 reads an 8-bit flags byte, so the AE (ex-NS) bit is never printed; `-v` data of a
 * RST segment (` [RST ...]`) is not printed.
 */

import { put16, put32, u8, u16, u32 } from "../util/bytes.js";
import { checksum, pseudoHeaderSum, updateChecksum16, updateChecksum32 } from "../util/checksum.js";
import { ParseError } from "../util/errors.js";
import { IPPROTO_TCP } from "./ipv4.js";
import {
  emitTcpOptions,
  parseTcpOptions,
  summarizeTcpOptions,
  TCP_MAX_OPTIONS_LEN,
  TCPOPT_EOL,
  TCPOPT_MSS,
  TCPOPT_NOP,
  TCPOPT_TIMESTAMP,
  TCPOPT_WINDOW,
  type TcpOption,
  tcpOptionLengthUsual,
  tcpOptionsLength,
} from "./tcp-options.js";

export const TCP_MIN_HEADER_LEN = 20;
export const TCP_MAX_HEADER_LEN = 60;

export const TCP_FIN = 0x01;
export const TCP_SYN = 0x02;
export const TCP_RST = 0x04;
export const TCP_PSH = 0x08;
export const TCP_ACK = 0x10;
export const TCP_URG = 0x20;
export const TCP_ECE = 0x40;
export const TCP_CWR = 0x80;
/** Accurate-ECN bit (RFC 9768), formerly NS (RFC 3540): the low bit of byte 12. */
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
  /** In wire order, including the EOL and padding or NOPs that fill the header to 4-byte words. */
  options: TcpOption[];
}

const EMPTY = new Uint8Array(0);

/** Zero-copy view. `wrap` checks the header length once; after it no accessor throws. */
export class TcpView {
  buf: Uint8Array = EMPTY;
  off = 0;
  /** Data offset × 4, fixed at `wrap`. */
  headerLength = TCP_MIN_HEADER_LEN;

  wrap(buf: Uint8Array, off = 0, end = buf.length): this {
    if (end - off < TCP_MIN_HEADER_LEN) {
      throw new ParseError("tcp", "truncated", off, `${end - off} bytes, header needs ${TCP_MIN_HEADER_LEN}`);
    }
    const hl = (u8(buf, off + 12) >>> 4) * 4;
    if (hl < TCP_MIN_HEADER_LEN) throw new ParseError("tcp", "bad-length", off + 12, `data offset ${hl / 4}`);
    if (hl > end - off)
      throw new ParseError("tcp", "truncated", off, `header ${hl} bytes, have ${end - off}`);
    this.buf = buf;
    this.off = off;
    this.headerLength = hl;
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
  /** Header length in 32-bit words (read-only: the layout behind the view depends on it). */
  get dataOffset(): number {
    return this.headerLength >>> 2;
  }
  get flags(): number {
    return u16(this.buf, this.off + 12) & 0x0fff;
  }
  set flags(v: number) {
    put16(this.buf, this.off + 12, (u16(this.buf, this.off + 12) & 0xf000) | (v & 0x0fff));
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
  set checksum(v: number) {
    put16(this.buf, this.off + 16, v);
  }
  get urgentPointer(): number {
    return u16(this.buf, this.off + 18);
  }
  set urgentPointer(v: number) {
    put16(this.buf, this.off + 18, v);
  }
  get payloadOffset(): number {
    return this.off + this.headerLength;
  }

  /** True when every bit of `flag` (e.g. TCP_SYN | TCP_ACK) is set. */
  hasFlag(flag: number): boolean {
    return (this.flags & flag) === flag;
  }
  /**
   * Offset in `buf` of the first option of `kind` whose length is one the kernel accepts for it,
   * or -1. Like tcp_parse_options, the walk ends at EOL or at a malformed option.
   */
  optionOffset(kind: number): number {
    const buf = this.buf;
    const end = this.off + this.headerLength;
    let i = this.off + TCP_MIN_HEADER_LEN;
    while (i < end) {
      const k = buf[i] as number;
      if (k === TCPOPT_EOL) return -1;
      if (k === TCPOPT_NOP) {
        i++;
        continue;
      }
      if (i + 1 >= end) return -1;
      const len = buf[i + 1] as number;
      if (len < 2 || i + len > end) return -1;
      if (k === kind && tcpOptionLengthUsual(k, len)) return i;
      i += len;
    }
    return -1;
  }
  /** False when an option's length is < 2 or runs past the header (parseTcp would throw). */
  get optionsValid(): boolean {
    const buf = this.buf;
    const end = this.off + this.headerLength;
    let i = this.off + TCP_MIN_HEADER_LEN;
    while (i < end) {
      const k = buf[i] as number;
      if (k === TCPOPT_EOL) return true;
      if (k === TCPOPT_NOP) {
        i++;
        continue;
      }
      if (i + 1 >= end) return false;
      const len = buf[i + 1] as number;
      if (len < 2 || i + len > end) return false;
      i += len;
    }
    return true;
  }
  /** The MSS option's value, or -1 without one. */
  get optionMss(): number {
    const at = this.optionOffset(TCPOPT_MSS);
    return at < 0 ? -1 : u16(this.buf, at + 2);
  }
  /** The window-scale option's shift count, or -1 without one. */
  get optionWindowScale(): number {
    const at = this.optionOffset(TCPOPT_WINDOW);
    return at < 0 ? -1 : (this.buf[at + 2] as number);
  }
  /** The timestamp option's TSval, or -1 without one. */
  get optionTsval(): number {
    const at = this.optionOffset(TCPOPT_TIMESTAMP);
    return at < 0 ? -1 : u32(this.buf, at + 2);
  }
  /** The timestamp option's TSecr, or -1 without one. */
  get optionTsecr(): number {
    const at = this.optionOffset(TCPOPT_TIMESTAMP);
    return at < 0 ? -1 : u32(this.buf, at + 6);
  }

  /** Checksum check for a segment of `segmentLength` bytes (header + payload, from the IPv4 length). */
  checksumValid(srcIp: number, dstIp: number, segmentLength: number): boolean {
    const sum = pseudoHeaderSum(srcIp, dstIp, IPPROTO_TCP, segmentLength);
    return checksum(this.buf, this.off, segmentLength, sum) === 0;
  }
  /** Compute the checksum from scratch over the segment already in place. */
  fillChecksum(srcIp: number, dstIp: number, segmentLength: number): void {
    put16(this.buf, this.off + 16, tcpChecksum(this.buf, this.off, segmentLength, srcIp, dstIp));
  }
  /** NAT: rewrite the source port, updating the checksum incrementally. */
  setSrcPort(port: number): void {
    put16(this.buf, this.off + 16, updateChecksum16(this.checksum, this.srcPort, port));
    put16(this.buf, this.off, port);
  }
  /** NAT: rewrite the destination port, updating the checksum incrementally. */
  setDstPort(port: number): void {
    put16(this.buf, this.off + 16, updateChecksum16(this.checksum, this.dstPort, port));
    put16(this.buf, this.off + 2, port);
  }
  /** NAT: adjust the checksum for an address rewritten in the IPv4 header (pseudo-header). */
  addressChanged(oldAddr: number, newAddr: number): void {
    put16(this.buf, this.off + 16, updateChecksum32(this.checksum, oldAddr, newAddr));
  }
}

/** The checksum of the `length`-byte segment at `off` (its checksum field is taken as 0). */
export function tcpChecksum(
  buf: Uint8Array,
  off: number,
  length: number,
  srcIp: number,
  dstIp: number,
): number {
  // Subtracting the field's word from the initial sum is the same as summing with the field zeroed.
  const field = length >= 18 ? u16(buf, off + 16) : 0;
  return checksum(buf, off, length, pseudoHeaderSum(srcIp, dstIp, IPPROTO_TCP, length) - field);
}

export function tcpHeaderLength(h: TcpHeader): number {
  return h.dataOffset === undefined ? TCP_MIN_HEADER_LEN + tcpOptionsLength(h.options) : h.dataOffset * 4;
}

/** Parse the header and its options; a malformed option is a ParseError. */
export function parseTcp(buf: Uint8Array, off = 0, end = buf.length): TcpHeader {
  const v = new TcpView().wrap(buf, off, end);
  return {
    srcPort: v.srcPort,
    dstPort: v.dstPort,
    seq: v.seq,
    ack: v.ack,
    dataOffset: v.dataOffset,
    flags: v.flags,
    window: v.window,
    checksum: v.checksum,
    urgentPointer: v.urgentPointer,
    options: parseTcpOptions(buf, off + TCP_MIN_HEADER_LEN, v.payloadOffset),
  };
}

/**
 * Writes the header at `off`; returns its length. The payload (`payloadLength` bytes) must already
 * follow the header when the checksum is computed. The options are written exactly as listed, so
 * the list must fill the header to a multiple of 4 bytes, up to 40 (end it with EOL and its padding,
 * or NOPs, as Linux does); a given `dataOffset` must match. Breaking either is a RangeError.
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
  if (optLen % 4 !== 0 || optLen > TCP_MAX_OPTIONS_LEN) {
    throw new RangeError(`TCP options take ${optLen} bytes: need a multiple of 4 up to 40`);
  }
  const hl = TCP_MIN_HEADER_LEN + optLen;
  if (h.dataOffset !== undefined && h.dataOffset * 4 !== hl) {
    throw new RangeError(`TCP data offset ${h.dataOffset} does not match ${optLen} option bytes`);
  }
  put16(buf, off, h.srcPort);
  put16(buf, off + 2, h.dstPort);
  put32(buf, off + 4, h.seq);
  put32(buf, off + 8, h.ack);
  put16(buf, off + 12, ((hl / 4) << 12) | (h.flags & 0x0fff));
  put16(buf, off + 14, h.window);
  put16(buf, off + 16, 0);
  put16(buf, off + 18, h.urgentPointer);
  emitTcpOptions(h.options, buf, off + TCP_MIN_HEADER_LEN);
  put16(buf, off + 16, h.checksum ?? tcpChecksum(buf, off, hl + payloadLength, srcIp, dstIp));
  return hl;
}

/** tcpdump's flag letters, in its order; the AE bit has none in tcpdump 4.99. */
const FLAG_LETTERS: ReadonlyArray<readonly [number, string]> = [
  [TCP_FIN, "F"],
  [TCP_SYN, "S"],
  [TCP_RST, "R"],
  [TCP_PSH, "P"],
  [TCP_ACK, "."],
  [TCP_URG, "U"],
  [TCP_ECE, "E"],
  [TCP_CWR, "W"],
];

/** The text inside tcpdump's `Flags [...]`, e.g. `S.`, `P.`, `none`. */
export function tcpFlagsText(flags: number): string {
  let s = "";
  for (const [bit, letter] of FLAG_LETTERS) if (flags & bit) s += letter;
  return s === "" ? "none" : s;
}

/** What to subtract from this segment's seq, ack and SACK edges (all 0: absolute numbers). */
export type TcpRelativeBases = [seqBase: number, ackBase: number, sackBase: number];

/**
 * tcpdump's relative sequence numbering across a capture (its default; without it, `-S`, pass no
 * tracker and zero bases). Per connection, the first segment with ACK (and any later SYN with ACK)
 * fixes both directions' bases from its seq and ack - 1, and is itself printed absolute; later
 * segments print seq and ack relative to them. SACK edges are always relative once a base exists.
 * Connections are keyed as tcpdump keys them (lower port first), so both directions share one.
 */
export class TcpSequenceTracker {
  private readonly flows = new Map<string, { seq: number; ack: number }>();

  /** Addresses are IPv4 numbers or (IPv6) any text that tells them apart. */
  relate(
    srcIp: number | string,
    srcPort: number,
    dstIp: number | string,
    dstPort: number,
    h: Pick<TcpHeader, "flags" | "seq" | "ack">,
  ): TcpRelativeBases {
    if ((h.flags & TCP_ACK) === 0) return [0, 0, 0];
    const later =
      typeof srcIp === "number" && typeof dstIp === "number"
        ? srcIp >>> 0 > dstIp >>> 0
        : String(srcIp) > String(dstIp);
    const rev = srcPort > dstPort || (srcPort === dstPort && later);
    const key = rev ? `${dstIp}.${dstPort}>${srcIp}.${srcPort}` : `${srcIp}.${srcPort}>${dstIp}.${dstPort}`;
    const known = this.flows.get(key);
    if (known === undefined || (h.flags & TCP_SYN) !== 0) {
      const peer = (h.ack - 1) >>> 0;
      this.flows.set(key, rev ? { seq: peer, ack: h.seq >>> 0 } : { seq: h.seq >>> 0, ack: peer });
      return [0, 0, peer];
    }
    return rev ? [known.ack, known.seq, known.seq] : [known.seq, known.ack, known.ack];
  }
}

/** The verdict tcpdump -v prints after the flags: `cksum 0x7169 (correct)`. */
export interface TcpChecksumCheck {
  valid: boolean;
  /** The value a correct segment carries. */
  expected: number;
}

export function checkTcpChecksum(
  buf: Uint8Array,
  off: number,
  segmentLength: number,
  srcIp: number,
  dstIp: number,
): TcpChecksumCheck {
  const sum = pseudoHeaderSum(srcIp, dstIp, IPPROTO_TCP, segmentLength);
  return {
    valid: checksum(buf, off, segmentLength, sum) === 0,
    expected: tcpChecksum(buf, off, segmentLength, srcIp, dstIp),
  };
}

export interface TcpSummaryExtras {
  /** Subtracted from SACK edges; defaults to `ackBase` (TcpSequenceTracker.relate gives it). */
  sackBase?: number;
  /** tcpdump -v: print the checksum and its verdict. */
  checksum?: TcpChecksumCheck;
}

const hex4 = (v: number): string => v.toString(16).padStart(4, "0");

/**
 * tcpdump -n text after `IP A.p > B.q: ` for a segment carrying `payloadLength` bytes, e.g.
 * `Flags [P.], seq 1:19, ack 1, win 502, options [nop,nop,TS val 1 ecr 2], length 18`.
 * `seqBase`/`ackBase` come from a TcpSequenceTracker (0 for absolute numbers, tcpdump -S).
 */
export function summarizeTcp(
  h: TcpHeader,
  payloadLength: number,
  seqBase = 0,
  ackBase = 0,
  extras: TcpSummaryExtras = {},
): string {
  let s = `Flags [${tcpFlagsText(h.flags)}]`;
  if (extras.checksum) {
    const { valid, expected } = extras.checksum;
    s += `, cksum 0x${hex4(h.checksum ?? expected)}`;
    s += valid ? " (correct)" : ` (incorrect -> 0x${hex4(expected)})`;
  }
  const seq = (h.seq - seqBase) >>> 0;
  if (payloadLength > 0) s += `, seq ${seq}:${(seq + payloadLength) >>> 0}`;
  else if (h.flags & (TCP_SYN | TCP_FIN | TCP_RST)) s += `, seq ${seq}`;
  if (h.flags & TCP_ACK) s += `, ack ${(h.ack - ackBase) >>> 0}`;
  s += `, win ${h.window}`;
  if (h.flags & TCP_URG) s += `, urg ${h.urgentPointer}`;
  if (h.options.length > 0) {
    const options = summarizeTcpOptions(h.options, extras.sackBase ?? ackBase);
    s += `, options [${options.text}`;
    if (options.bad) return s;
  }
  return `${s}, length ${payloadLength}`;
}
