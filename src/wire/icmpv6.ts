/**
 * ICMPv6 messages (RFC 4443; neighbour discovery RFC 4861; MLD RFC 2710 / RFC 3810), as
 * net/ipv6/icmp.c, ndisc.c and mcast.c build them. The record holds type, code, checksum and the
 * 4 bytes after them as one word (echo id/sequence, MTU, pointer, NA flags, MLDv2 record count);
 * the body (targets, options, group records, a quoted packet) stays in the frame's payload. The
 * checksum covers the IPv6 pseudo-header. The text is tcpdump 4.99's without -v (print-icmp6.c).
 * Deviation: a message of a type tcpdump dumps in hex is printed without the hex lines.
 */

import { put16, put32, u8, u16, u32 } from "../util/bytes.js";
import { checksum } from "../util/checksum.js";
import { ParseError } from "../util/errors.js";
import { ipv6ToString } from "../util/ipv6-address.js";
import { IPPROTO_ICMPV6, ipv6PseudoHeaderSum } from "./ipv6.js";

export const ICMPV6_HEADER_LEN = 8;

export const ICMPV6_DST_UNREACH = 1;
export const ICMPV6_PACKET_TOO_BIG = 2;
export const ICMPV6_TIME_EXCEEDED = 3;
export const ICMPV6_PARAM_PROB = 4;
export const ICMPV6_ECHO_REQUEST = 128;
export const ICMPV6_ECHO_REPLY = 129;
export const MLD_LISTENER_QUERY = 130;
export const MLD_LISTENER_REPORT = 131;
export const MLD_LISTENER_DONE = 132;
export const ND_ROUTER_SOLICIT = 133;
export const ND_ROUTER_ADVERT = 134;
export const ND_NEIGHBOR_SOLICIT = 135;
export const ND_NEIGHBOR_ADVERT = 136;
export const ND_REDIRECT = 137;
export const MLDV2_LISTENER_REPORT = 143;

/** Neighbour discovery options (RFC 4861 §4.6, RFC 7527's nonce). */
export const ND_OPT_SOURCE_LINKADDR = 1;
export const ND_OPT_TARGET_LINKADDR = 2;
export const ND_OPT_PREFIX_INFORMATION = 3;
export const ND_OPT_MTU = 5;
export const ND_OPT_NONCE = 14;

/** Destination unreachable codes. */
export const ICMPV6_NOROUTE = 0;
export const ICMPV6_ADM_PROHIBITED = 1;
export const ICMPV6_ADDR_UNREACH = 3;
export const ICMPV6_PORT_UNREACH = 4;

export interface Icmpv6Header {
  type: number;
  code: number;
  /** emit computes it (over the pseudo-header) when absent. */
  checksum?: number;
  /** The 4 bytes after the checksum, as one word. */
  rest: number;
}

export function parseIcmpv6(buf: Uint8Array, off = 0, end = buf.length): Icmpv6Header {
  if (end - off < ICMPV6_HEADER_LEN) throw new ParseError("icmpv6", "truncated", off, `${end - off} bytes`);
  return { type: u8(buf, off), code: u8(buf, off + 1), checksum: u16(buf, off + 2), rest: u32(buf, off + 4) };
}

/**
 * Write the header at `off`; the body (`bodyLength` bytes) must already follow it when the
 * checksum is computed over the pseudo-header of `src` → `dst`.
 */
export function emitIcmpv6(
  h: Icmpv6Header,
  buf: Uint8Array,
  off: number,
  bodyLength: number,
  src: Uint8Array,
  dst: Uint8Array,
): number {
  buf[off] = h.type;
  buf[off + 1] = h.code;
  put16(buf, off + 2, 0);
  put32(buf, off + 4, h.rest);
  const length = ICMPV6_HEADER_LEN + bodyLength;
  put16(
    buf,
    off + 2,
    h.checksum ?? checksum(buf, off, length, ipv6PseudoHeaderSum(src, dst, IPPROTO_ICMPV6, length)),
  );
  return ICMPV6_HEADER_LEN;
}

const TYPE_NAMES: Record<number, string> = {
  1: "destination unreachable",
  2: "packet too big",
  3: "time exceeded in-transit",
  4: "parameter problem",
  128: "echo request",
  129: "echo reply",
  130: "multicast listener query",
  131: "multicast listener report",
  132: "multicast listener done",
  133: "router solicitation",
  134: "router advertisement",
  135: "neighbor solicitation",
  136: "neighbor advertisement",
  137: "redirect",
  138: "router renumbering",
  141: "inverse neighbor solicitation",
  142: "inverse neighbor advertisement",
  143: "multicast listener report v2",
};

const UNREACH_NAMES: Record<number, string> = {
  0: "unreachable route",
  1: " unreachable prohibited",
  2: "beyond scope",
  3: "unreachable address",
  4: "unreachable port",
};

/** The address at `at`, or tcpdump's truncation mark when the message ends before it. */
function addressAt(buf: Uint8Array, at: number, end: number): string {
  return at + 16 <= end ? ipv6ToString(buf, at) : "[|icmp6]";
}

/**
 * tcpdump -n text for the `length`-byte message at `off` (after `IP6 SRC > DST: `):
 * `ICMP6, echo request, id 7, seq 1, length 64`, `ICMP6, neighbor solicitation, who has fd00::b,
 * length 32`, `ICMP6, destination unreachable, unreachable port, fd00::b udp port 5001, length 63`.
 */
export function summarizeIcmpv6(buf: Uint8Array, off: number, length: number): string {
  const end = off + length;
  const type = u8(buf, off);
  const code = u8(buf, off + 1);
  let text = `ICMP6, ${TYPE_NAMES[type] ?? `unknown icmp6 type (${type})`}`;
  const quoted = off + ICMPV6_HEADER_LEN;
  switch (type) {
    case ICMPV6_DST_UNREACH:
      text += `, ${UNREACH_NAMES[code] ?? `unknown unreach code (${code})`}`;
      if (code === ICMPV6_NOROUTE || code === ICMPV6_ADM_PROHIBITED || code === ICMPV6_ADDR_UNREACH)
        text += ` ${addressAt(buf, quoted + 24, end)}`;
      else if (code === 2)
        text += ` ${addressAt(buf, quoted + 24, end)}, source address ${addressAt(buf, quoted + 8, end)}`;
      else if (code === ICMPV6_PORT_UNREACH) {
        if (quoted + 44 > end) return `${text} [|icmp6]`;
        const nh = u8(buf, quoted + 6);
        const dport = u16(buf, quoted + 42);
        const dst = ipv6ToString(buf, quoted + 24);
        // get_upperlayer knows TCP and UDP only: anything else reads as truncated.
        if (nh !== 6 && nh !== 17) return `${text} [|icmp6]`;
        text += nh === 6 ? `, ${dst} tcp port ${dport}` : `, ${dst} udp port ${dport}`;
      }
      break;
    case ICMPV6_PACKET_TOO_BIG:
      text += `, mtu ${u32(buf, off + 4)}`;
      break;
    case ICMPV6_TIME_EXCEEDED:
      if (code === 0) text += ` for ${addressAt(buf, quoted + 24, end)}`;
      else if (code === 1) text += " (reassembly)";
      else text += `, unknown code (${code})`;
      break;
    case ICMPV6_PARAM_PROB: {
      const names = ["erroneous", "next header", "option", "incomplete header chain"];
      const name = names[code];
      text += name === undefined ? `, code-#${code}` : `, ${name} - octet ${u32(buf, off + 4)}`;
      break;
    }
    case ICMPV6_ECHO_REQUEST:
    case ICMPV6_ECHO_REPLY:
      text += `, id ${u16(buf, off + 4)}, seq ${u16(buf, off + 6)}`;
      break;
    case MLD_LISTENER_QUERY:
      if (length === 24) text += mld1(buf, off, end);
      else if (length >= 28) {
        const sources = u16(buf, off + 26);
        text += ` v2 [gaddr ${ipv6ToString(buf, off + 8)}${sources > 0 ? `, ${sources} source(s)` : ""}]`;
      } else text += ` unknown-version (len ${length}) `;
      break;
    case MLD_LISTENER_REPORT:
    case MLD_LISTENER_DONE:
      text += mld1(buf, off, end);
      break;
    case ND_NEIGHBOR_SOLICIT:
      text += `, who has ${addressAt(buf, off + 8, end)}`;
      break;
    case ND_NEIGHBOR_ADVERT:
      text += `, tgt is ${addressAt(buf, off + 8, end)}`;
      break;
    case ND_REDIRECT:
      text += `, ${addressAt(buf, off + 24, end)} to ${addressAt(buf, off + 8, end)}`;
      break;
    case MLDV2_LISTENER_REPORT:
      text += length < 8 ? ` [invalid len ${length}]` : `, ${u16(buf, off + 6)} group record(s)`;
      break;
  }
  return `${text}, length ${length}`;
}

/** MLDv1: tcpdump prints this right after the type name, without a separator. */
function mld1(buf: Uint8Array, off: number, end: number): string {
  if (off + 24 > end) return "";
  return `max resp delay: ${u16(buf, off + 4)} addr: ${ipv6ToString(buf, off + 8)}`;
}
