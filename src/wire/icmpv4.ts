/**
 * ICMPv4 messages (RFC 792, RFC 1191 next-hop MTU), as net/ipv4/icmp.c builds and parses them.
 *
 * The 4 bytes after type/code/checksum ("rest of header") are kept as one 32-bit word; helpers read
 * and write it as echo id/sequence, next-hop MTU, gateway or pointer. Error messages carry the
 * offending datagram's IPv4 header and first 8+ bytes; `quotedOffset` points at it. The text is what
 * tcpdump 4.99 prints (print-icmp.c), including its ` [|icmp]` for a message too short to describe.
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
export const ICMP_ROUTER_ADVERTISEMENT = 9;
export const ICMP_ROUTER_SOLICITATION = 10;
export const ICMP_TIME_EXCEEDED = 11;
export const ICMP_PARAMETER_PROBLEM = 12;
export const ICMP_TIMESTAMP = 13;
export const ICMP_TIMESTAMP_REPLY = 14;
export const ICMP_INFO_REQUEST = 15;
export const ICMP_INFO_REPLY = 16;
export const ICMP_ADDRESS_MASK_REQUEST = 17;
export const ICMP_ADDRESS_MASK_REPLY = 18;

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

/** Redirect codes. */
export const ICMP_REDIR_NET = 0;
export const ICMP_REDIR_HOST = 1;
export const ICMP_REDIR_NETTOS = 2;
export const ICMP_REDIR_HOSTTOS = 3;

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
export function echoIdOf(rest: number): number {
  return rest >>> 16;
}
export function echoSeqOf(rest: number): number {
  return rest & 0xffff;
}
/** Rest-of-header word for "fragmentation needed" with the next-hop MTU (RFC 1191). */
export function fragNeededRest(mtu: number): number {
  return mtu & 0xffff;
}
export function nextHopMtuOf(rest: number): number {
  return rest & 0xffff;
}
/** Rest-of-header word for a redirect: the gateway address. */
export function redirectRest(gateway: number): number {
  return gateway >>> 0;
}
export function gatewayOf(rest: number): number {
  return rest >>> 0;
}
/** Rest-of-header word for a parameter problem: the pointer to the offending octet. */
export function parameterProblemRest(pointer: number): number {
  return ((pointer & 0xff) * 0x1000000) >>> 0;
}
export function pointerOf(rest: number): number {
  return rest >>> 24;
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

/** Destination-unreachable wording by code (print-icmp.c); `%s` is the quoted destination. */
const UNREACH_WORDS: Record<number, string> = {
  [ICMP_NET_UNREACH]: "net %s unreachable",
  [ICMP_HOST_UNREACH]: "host %s unreachable",
  [ICMP_SR_FAILED]: "%s unreachable - source route failed",
  [ICMP_NET_UNKNOWN]: "net %s unreachable - unknown",
  [ICMP_HOST_UNKNOWN]: "host %s unreachable - unknown",
  [ICMP_HOST_ISOLATED]: "%s unreachable - source host isolated",
  [ICMP_NET_ANO]: "net %s unreachable - admin prohibited",
  [ICMP_HOST_ANO]: "host %s unreachable - admin prohibited",
  [ICMP_NET_UNR_TOS]: "net %s unreachable - tos prohibited",
  [ICMP_HOST_UNR_TOS]: "host %s unreachable - tos prohibited",
  [ICMP_PKT_FILTERED]: "host %s unreachable - admin prohibited filter",
  [ICMP_PREC_VIOLATION]: "host %s unreachable - host precedence violation",
  [ICMP_PREC_CUTOFF]: "host %s unreachable - precedence cutoff",
};

const REDIRECT_WORDS: Record<number, string> = {
  [ICMP_REDIR_NET]: "redirect %s to net %s",
  [ICMP_REDIR_HOST]: "redirect %s to host %s",
  [ICMP_REDIR_NETTOS]: "redirect-tos %s to net %s",
  [ICMP_REDIR_HOSTTOS]: "redirect-tos %s to host %s",
};

/** Names of the types tcpdump prints without details. */
const TYPE_NAMES: Record<number, string> = {
  [ICMP_SOURCE_QUENCH]: "source quench",
  [ICMP_ROUTER_SOLICITATION]: "router solicitation",
  [ICMP_INFO_REQUEST]: "information request",
  [ICMP_INFO_REPLY]: "information reply",
  [ICMP_ADDRESS_MASK_REQUEST]: "address mask request",
};

/** What tcpdump prints instead of the ICMP text when the message is too short for it. */
export const ICMP_TRUNCATED_TEXT = " [|icmp]";

/** Offset of the quoted datagram's destination address within the ICMP message. */
const QUOTED_DST = ICMP_HEADER_LEN + 16;

/**
 * tcpdump -n text for an ICMP message of `length` bytes at `off` (the IP payload length; what tcpdump
 * prints after `IP A > B: `), e.g. `ICMP echo request, id 5, seq 1, length 64` or
 * `ICMP 10.0.0.2 udp port 5001 unreachable, length 43`. Error messages are described from the
 * quoted datagram. When a field tcpdump needs lies beyond the message (or beyond `buf`), the text is
 * ICMP_TRUNCATED_TEXT, as tcpdump prints it. Never throws.
 */
export function summarizeIcmp(buf: Uint8Array, off: number, length: number): string {
  const avail = Math.max(0, Math.min(length, buf.length - off));
  const has = (n: number) => avail >= n;
  const byte = (i: number) => u8(buf, off + i);
  const word16 = (i: number) => u16(buf, off + i);
  const word32 = (i: number) => u32(buf, off + i);
  const quotedDst = () => ipv4ToString(word32(QUOTED_DST));
  if (!has(2)) return ICMP_TRUNCATED_TEXT;
  const type = byte(0);
  const code = byte(1);
  let text: string;
  switch (type) {
    case ICMP_ECHO_REQUEST:
    case ICMP_ECHO_REPLY:
      if (!has(8)) return ICMP_TRUNCATED_TEXT;
      text = `echo ${type === ICMP_ECHO_REQUEST ? "request" : "reply"}, id ${word16(4)}, seq ${word16(6)}`;
      break;
    case ICMP_DEST_UNREACH: {
      if (!has(QUOTED_DST + 4)) return ICMP_TRUNCATED_TEXT;
      const dst = quotedDst();
      if (code === ICMP_PROT_UNREACH) {
        text = `${dst} protocol ${byte(ICMP_HEADER_LEN + 9)} unreachable`;
      } else if (code === ICMP_PORT_UNREACH) {
        // The destination port sits at the same offset in TCP, UDP, SCTP and DCCP headers.
        const portAt = ICMP_HEADER_LEN + (byte(ICMP_HEADER_LEN) & 15) * 4 + 2;
        if (!has(portAt + 2)) return ICMP_TRUNCATED_TEXT;
        const proto = byte(ICMP_HEADER_LEN + 9);
        const port = word16(portAt);
        const name = proto === 6 ? "tcp" : proto === 17 ? "udp" : undefined;
        text = name
          ? `${dst} ${name} port ${port} unreachable`
          : `${dst} protocol ${proto} port ${port} unreachable`;
      } else if (code === ICMP_FRAG_NEEDED) {
        const mtu = word16(6);
        text =
          mtu === 0 ? `${dst} unreachable - need to frag` : `${dst} unreachable - need to frag (mtu ${mtu})`;
      } else {
        text = UNREACH_WORDS[code]?.replace("%s", dst) ?? `${dst} unreachable - #${code}`;
      }
      break;
    }
    case ICMP_REDIRECT: {
      if (!has(QUOTED_DST + 4)) return ICMP_TRUNCATED_TEXT;
      const gateway = ipv4ToString(word32(4));
      const words = REDIRECT_WORDS[code];
      text = words
        ? words.replace("%s", quotedDst()).replace("%s", gateway)
        : `redirect-#${code} ${quotedDst()} to ${gateway}`;
      break;
    }
    case ICMP_ROUTER_ADVERTISEMENT: {
      if (!has(8)) return ICMP_TRUNCATED_TEXT;
      text = routerAdvertisement(buf, off, avail);
      if (text === "") return ICMP_TRUNCATED_TEXT;
      break;
    }
    case ICMP_TIME_EXCEEDED:
      if (!has(QUOTED_DST + 4)) return ICMP_TRUNCATED_TEXT;
      text =
        code === ICMP_EXC_TTL
          ? "time exceeded in-transit"
          : code === ICMP_EXC_FRAGTIME
            ? "ip reassembly time exceeded"
            : `time exceeded-#${code}`;
      break;
    case ICMP_PARAMETER_PROBLEM:
      if (code !== 0) {
        text = `parameter problem - code ${code}`;
      } else {
        if (!has(5)) return ICMP_TRUNCATED_TEXT;
        text = `parameter problem - octet ${byte(4)}`;
      }
      break;
    case ICMP_ADDRESS_MASK_REPLY:
      if (!has(12)) return ICMP_TRUNCATED_TEXT;
      text = `address mask is 0x${word32(8).toString(16).padStart(8, "0")}`;
      break;
    case ICMP_TIMESTAMP:
      if (!has(8)) return ICMP_TRUNCATED_TEXT;
      text = `time stamp query id ${word16(4)} seq ${word16(6)}`;
      break;
    case ICMP_TIMESTAMP_REPLY:
      if (!has(20)) return ICMP_TRUNCATED_TEXT;
      text =
        `time stamp reply id ${word16(4)} seq ${word16(6)}: org ${msSinceMidnight(word32(8))}, ` +
        `recv ${msSinceMidnight(word32(12))}, xmit ${msSinceMidnight(word32(16))}`;
      break;
    default:
      text = TYPE_NAMES[type] ?? `type-#${type}`;
  }
  return `ICMP ${text}, length ${length}`;
}

/** RFC 1256 timestamps: milliseconds since midnight UT as `HH:MM:SS.mmm` (hours not wrapped). */
function msSinceMidnight(ms: number): string {
  const two = (n: number) => String(n).padStart(2, "0");
  const s = Math.floor(ms / 1000);
  return `${two(Math.floor(s / 3600))}:${two(Math.floor(s / 60) % 60)}:${two(s % 60)}.${String(ms % 1000).padStart(3, "0")}`;
}

/**
 * RFC 1256 router advertisement text, or "" when an entry lies beyond the message. tcpdump 4.99
 * builds it in a 164-byte buffer, so a long list is cut at 163 characters; so is this.
 */
function routerAdvertisement(buf: Uint8Array, off: number, avail: number): string {
  const count = u8(buf, off + 4);
  const entrySize = u8(buf, off + 5);
  const lifetime = u16(buf, off + 6);
  const two = (n: number) => String(n).padStart(2, "0");
  const life =
    lifetime < 60
      ? `${lifetime}`
      : lifetime < 3600
        ? `${Math.floor(lifetime / 60)}:${two(lifetime % 60)}`
        : `${Math.floor(lifetime / 3600)}:${two(Math.floor((lifetime % 3600) / 60))}:${two(lifetime % 60)}`;
  let text = `router advertisement lifetime ${life} ${count}:`;
  if (entrySize !== 2) {
    text += ` [size ${entrySize}]`;
  } else {
    for (let i = 0; i < count; i++) {
      const at = ICMP_HEADER_LEN + i * 8;
      if (at + 8 > avail) return "";
      text += ` {${ipv4ToString(u32(buf, off + at))} ${u32(buf, off + at + 4)}}`;
    }
  }
  return text.slice(0, 163);
}
