/**
 * ICMPv4 messages (RFC 792, RFC 1191 next-hop MTU), as net/ipv4/icmp.c builds and parses them.
 *
 * The 4 bytes after type/code/checksum ("rest of header") are kept as one 32-bit word; helpers read
 * them as echo id/sequence, next-hop MTU, gateway or pointer. Error messages carry the offending
 * datagram's IPv4 header and first 8+ bytes; `quotedOffset` points at it.
 */

import { put16, put32, u8, u16, u32 } from "../util/bytes.js";
import { checksum } from "../util/checksum.js";
import { ParseError } from "../util/errors.js";
import { ipv4ToString } from "../util/ipv4-address.js";

export const ICMP_HEADER_LEN = 8;

export const ICMP_ECHO_REPLY = 0;
export const ICMP_DEST_UNREACH = 3;
export const ICMP_SOURCE_QUENCH = 4;
export const ICMP_REDIRECT = 5;
export const ICMP_ECHO_REQUEST = 8;
export const ICMP_TIME_EXCEEDED = 11;
export const ICMP_PARAMETER_PROBLEM = 12;
export const ICMP_TIMESTAMP = 13;
export const ICMP_TIMESTAMP_REPLY = 14;

/** Destination unreachable codes (include/uapi/linux/icmp.h). */
export const ICMP_NET_UNREACH = 0;
export const ICMP_HOST_UNREACH = 1;
export const ICMP_PROT_UNREACH = 2;
export const ICMP_PORT_UNREACH = 3;
export const ICMP_FRAG_NEEDED = 4;
export const ICMP_SR_FAILED = 5;
export const ICMP_NET_UNKNOWN = 6;
export const ICMP_HOST_UNKNOWN = 7;
export const ICMP_HOST_ISOLATED = 8;
export const ICMP_NET_ANO = 9;
export const ICMP_HOST_ANO = 10;
export const ICMP_NET_UNR_TOS = 11;
export const ICMP_HOST_UNR_TOS = 12;
export const ICMP_PKT_FILTERED = 13;
export const ICMP_PREC_VIOLATION = 14;
export const ICMP_PREC_CUTOFF = 15;

/** Time exceeded codes. */
export const ICMP_EXC_TTL = 0;
export const ICMP_EXC_FRAGTIME = 1;

export interface IcmpHeader {
  type: number;
  code: number;
  /** Over header and payload; emit computes it when absent. */
  checksum?: number;
  /** The 32-bit rest-of-header word (echo id/seq, next-hop MTU, gateway, pointer). */
  rest: number;
}

export function isIcmpError(type: number): boolean {
  return (
    type === ICMP_DEST_UNREACH ||
    type === ICMP_SOURCE_QUENCH ||
    type === ICMP_REDIRECT ||
    type === ICMP_TIME_EXCEEDED ||
    type === ICMP_PARAMETER_PROBLEM
  );
}

/** Rest-of-header word for an echo request/reply. */
export function echoRest(id: number, seq: number): number {
  return ((id & 0xffff) * 0x10000 + (seq & 0xffff)) >>> 0;
}
/** Rest-of-header word for "fragmentation needed" with the next-hop MTU. */
export function fragNeededRest(mtu: number): number {
  return mtu & 0xffff;
}

const EMPTY = new Uint8Array(0);

/** Zero-copy view over an ICMP message of `length` bytes. */
export class IcmpView {
  buf: Uint8Array = EMPTY;
  off = 0;
  length = 0;

  wrap(buf: Uint8Array, off = 0, end = buf.length): this {
    if (end - off < ICMP_HEADER_LEN) throw new ParseError("icmp", "truncated", off, `${end - off} bytes`);
    this.buf = buf;
    this.off = off;
    this.length = end - off;
    return this;
  }

  get type(): number {
    return u8(this.buf, this.off);
  }
  get code(): number {
    return u8(this.buf, this.off + 1);
  }
  get checksum(): number {
    return u16(this.buf, this.off + 2);
  }
  set checksum(v: number) {
    put16(this.buf, this.off + 2, v);
  }
  get rest(): number {
    return u32(this.buf, this.off + 4);
  }
  get id(): number {
    return u16(this.buf, this.off + 4);
  }
  set id(v: number) {
    put16(this.buf, this.off + 4, v);
  }
  get seq(): number {
    return u16(this.buf, this.off + 6);
  }
  /** Next-hop MTU of a fragmentation-needed message. */
  get mtu(): number {
    return u16(this.buf, this.off + 6);
  }
  get gateway(): number {
    return u32(this.buf, this.off + 4);
  }
  get pointer(): number {
    return u8(this.buf, this.off + 4);
  }
  get isError(): boolean {
    return isIcmpError(this.type);
  }
  /** Start of the quoted datagram in an error message (check `isError` first). */
  get quotedOffset(): number {
    return this.off + ICMP_HEADER_LEN;
  }
  get payloadOffset(): number {
    return this.off + ICMP_HEADER_LEN;
  }
  get checksumValid(): boolean {
    return checksum(this.buf, this.off, this.length) === 0;
  }
  /** Recompute the checksum over the whole message. */
  fillChecksum(): void {
    put16(this.buf, this.off + 2, 0);
    put16(this.buf, this.off + 2, checksum(this.buf, this.off, this.length));
  }
}

export function parseIcmp(buf: Uint8Array, off = 0, end = buf.length): IcmpHeader {
  const v = new IcmpView().wrap(buf, off, end);
  return { type: v.type, code: v.code, checksum: v.checksum, rest: v.rest };
}

/** Writes the header; the payload must already follow it in `buf` when the checksum is computed. */
export function emitIcmp(h: IcmpHeader, buf: Uint8Array, off: number, payloadLength = 0): number {
  buf[off] = h.type;
  buf[off + 1] = h.code;
  put16(buf, off + 2, 0);
  put32(buf, off + 4, h.rest);
  put16(buf, off + 2, h.checksum ?? checksum(buf, off, ICMP_HEADER_LEN + payloadLength));
  return ICMP_HEADER_LEN;
}

const UNREACH_WORDS: Record<number, string> = {
  [ICMP_NET_UNREACH]: "net %d unreachable",
  [ICMP_HOST_UNREACH]: "host %d unreachable",
  [ICMP_SR_FAILED]: "%d unreachable - source route failed",
  [ICMP_NET_UNKNOWN]: "net %d unreachable - unknown",
  [ICMP_HOST_UNKNOWN]: "host %d unreachable - unknown",
  [ICMP_HOST_ISOLATED]: "%d unreachable - source host isolated",
  [ICMP_NET_ANO]: "net %d unreachable - admin prohibited",
  [ICMP_HOST_ANO]: "host %d unreachable - admin prohibited",
  [ICMP_NET_UNR_TOS]: "net %d unreachable - tos prohibited",
  [ICMP_HOST_UNR_TOS]: "host %d unreachable - tos prohibited",
  [ICMP_PKT_FILTERED]: "host %d unreachable - admin prohibited filter",
  [ICMP_PREC_VIOLATION]: "host %d unreachable - host precedence violation",
  [ICMP_PREC_CUTOFF]: "host %d unreachable - precedence cutoff",
};

/**
 * tcpdump -n text for an ICMP message of `length` bytes at `off` (after `IP A > B: `), e.g.
 * `ICMP echo request, id 5, seq 1, length 64` or `ICMP 10.0.0.2 udp port 5001 unreachable, length 43`.
 */
export function summarizeIcmp(buf: Uint8Array, off: number, length: number): string {
  const v = new IcmpView().wrap(buf, off, off + length);
  const tail = `, length ${length}`;
  switch (v.type) {
    case ICMP_ECHO_REQUEST:
    case ICMP_ECHO_REPLY:
      return `ICMP echo ${v.type === ICMP_ECHO_REQUEST ? "request" : "reply"}, id ${v.id}, seq ${v.seq}${tail}`;
    case ICMP_TIME_EXCEEDED:
      return v.code === ICMP_EXC_TTL
        ? `ICMP time exceeded in-transit${tail}`
        : `ICMP ip reassembly time exceeded${tail}`;
    case ICMP_DEST_UNREACH:
      return `ICMP ${describeUnreachable(v)}${tail}`;
    case ICMP_REDIRECT: {
      const kind = v.code >= 2 ? "redirect-tos" : "redirect";
      const to = v.code % 2 === 0 ? "net" : "host";
      return `ICMP ${kind} ${quotedDst(v) ?? "?"} to ${to} ${ipv4ToString(v.gateway)}${tail}`;
    }
    case ICMP_PARAMETER_PROBLEM:
      return `ICMP parameter problem - octet ${v.pointer}${tail}`;
    case ICMP_SOURCE_QUENCH:
      return `ICMP source quench${tail}`;
    default:
      return `ICMP type-#${v.type}${tail}`;
  }
}

/** Destination of the quoted datagram as text, or undefined when too little is quoted. */
function quotedDst(v: IcmpView): string | undefined {
  const q = v.quotedOffset;
  if (v.length - ICMP_HEADER_LEN < 20) return undefined;
  return ipv4ToString(u32(v.buf, q + 16));
}

function describeUnreachable(v: IcmpView): string {
  const q = v.quotedOffset;
  const dst = quotedDst(v) ?? "?";
  const hl = (u8(v.buf, q) & 15) * 4;
  const proto = u8(v.buf, q + 9);
  switch (v.code) {
    case ICMP_PROT_UNREACH:
      return `${dst} protocol ${proto} unreachable`;
    case ICMP_PORT_UNREACH: {
      const haveL4 = v.length - ICMP_HEADER_LEN >= hl + 4;
      const port = haveL4 ? u16(v.buf, q + hl + 2) : 0;
      const name = proto === 6 ? "tcp" : proto === 17 ? "udp" : `${proto}`;
      return `${dst} ${name} port ${port} unreachable`;
    }
    case ICMP_FRAG_NEEDED:
      return v.mtu === 0
        ? `${dst} unreachable - need to frag`
        : `${dst} unreachable - need to frag (mtu ${v.mtu})`;
    default: {
      const fmt = UNREACH_WORDS[v.code];
      return fmt ? fmt.replace("%d", dst) : `${dst} unreachable - #${v.code}`;
    }
  }
}
