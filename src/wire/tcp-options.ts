/**
 * TCP options (RFC 9293, 7323, 2018) as records, and their tcpdump -n text.
 *
 * Parsing follows the framing rules of the kernel's tcp_parse_options: EOL ends the list, NOP is one
 * byte, every other option has a length byte >= 2 that must fit in the header; a bad length is a
 * ParseError here (Linux stops reading options there and keeps the segment: see TcpView).
 * MSS, window scale, SACK-permitted, SACK and timestamps get fields when their length is the one
 * the kernel accepts; any other option, or one of those with an unexpected length, keeps its raw
 * data bytes. EOL keeps the bytes after it to the end of the header (normally zero padding), so an
 * option area always round-trips byte for byte.
 *
 * The text is what tcpdump 4.99 prints (print-tcp.c), worked out from the bytes so that its
 * quirks come out the same: `[len N]` after an option whose length is not the expected one (tcpdump
 * then carries on reading from where the expected length ended), `[bad opt]` when a fixed-size
 * option runs past the header. Deviation: MPTCP options (kind 30) are printed as `mptcp` and their
 * raw bytes, not decoded as tcpdump's mptcp_print does.
 */

import { put16, put32, u16, u32 } from "../util/bytes.js";
import { ParseError } from "../util/errors.js";

export const TCPOPT_EOL = 0;
export const TCPOPT_NOP = 1;
export const TCPOPT_MSS = 2;
export const TCPOPT_WINDOW = 3;
export const TCPOPT_SACK_PERM = 4;
export const TCPOPT_SACK = 5;
export const TCPOPT_TIMESTAMP = 8;

/** Option bytes a TCP header can hold (data offset 15). */
export const TCP_MAX_OPTIONS_LEN = 40;

export interface SackBlock {
  left: number;
  right: number;
}

/** End of option list, with the bytes after it up to the end of the header (padding). */
export interface TcpOptionEol {
  kind: 0;
  after: Uint8Array;
}
export interface TcpOptionNop {
  kind: 1;
}
export interface TcpOptionMss {
  kind: 2;
  mss: number;
}
export interface TcpOptionWindowScale {
  kind: 3;
  shift: number;
}
export interface TcpOptionSackPermitted {
  kind: 4;
}
export interface TcpOptionSack {
  kind: 5;
  blocks: SackBlock[];
}
export interface TcpOptionTimestamp {
  kind: 8;
  tsval: number;
  tsecr: number;
}
/**
 * Any other option (kind >= 2): kind, then a length byte of 2 + data.length, then the data. Parse
 * gives this form for kinds without fields and for the kinds above when their length is not one
 * the kernel accepts (e.g. an MSS option 3 bytes long, or a SACK option without blocks).
 */
export interface TcpOptionRaw {
  kind: number;
  data: Uint8Array;
}

export type TcpOption =
  | TcpOptionEol
  | TcpOptionNop
  | TcpOptionMss
  | TcpOptionWindowScale
  | TcpOptionSackPermitted
  | TcpOptionSack
  | TcpOptionTimestamp
  | TcpOptionRaw;

/** Total lengths the kernel accepts for the options that get fields (tcp_parse_options). */
const FIXED_LENGTHS: Record<number, number> = {
  [TCPOPT_MSS]: 4,
  [TCPOPT_WINDOW]: 3,
  [TCPOPT_SACK_PERM]: 2,
  [TCPOPT_TIMESTAMP]: 10,
};

/** True when an option of `kind` with total length `len` has the form the kernel reads. */
export function tcpOptionLengthUsual(kind: number, len: number): boolean {
  if (kind === TCPOPT_SACK) return len >= 10 && (len - 2) % 8 === 0;
  const want = FIXED_LENGTHS[kind];
  return want === undefined ? len >= 2 : len === want;
}

/** Bytes the option takes on the wire. */
export function tcpOptionLength(o: TcpOption): number {
  if ("after" in o) return 1 + o.after.length;
  if ("data" in o) return 2 + o.data.length;
  if ("blocks" in o) return 2 + 8 * o.blocks.length;
  if ("mss" in o) return 4;
  if ("shift" in o) return 3;
  if ("tsval" in o) return 10;
  return o.kind === TCPOPT_NOP ? 1 : 2;
}

export function tcpOptionsLength(options: readonly TcpOption[]): number {
  let n = 0;
  for (const o of options) n += tcpOptionLength(o);
  return n;
}

/** Parse the option area [off, end); throws ParseError when an option's length is < 2 or runs past `end`. */
export function parseTcpOptions(buf: Uint8Array, off: number, end: number): TcpOption[] {
  const out: TcpOption[] = [];
  let i = off;
  while (i < end) {
    const kind = buf[i] as number;
    if (kind === TCPOPT_EOL) {
      out.push({ kind: TCPOPT_EOL, after: buf.slice(i + 1, end) });
      break;
    }
    if (kind === TCPOPT_NOP) {
      out.push({ kind: TCPOPT_NOP });
      i++;
      continue;
    }
    if (i + 1 >= end) throw new ParseError("tcp", "truncated", i, `option ${kind} has no length byte`);
    const len = buf[i + 1] as number;
    if (len < 2) throw new ParseError("tcp", "bad-length", i + 1, `option ${kind} length ${len}`);
    if (i + len > end) {
      throw new ParseError("tcp", "bad-length", i + 1, `option ${kind} length ${len}, ${end - i} bytes left`);
    }
    out.push(readOption(buf, i, kind, len));
    i += len;
  }
  return out;
}

function readOption(buf: Uint8Array, i: number, kind: number, len: number): TcpOption {
  if (tcpOptionLengthUsual(kind, len)) {
    switch (kind) {
      case TCPOPT_MSS:
        return { kind: TCPOPT_MSS, mss: u16(buf, i + 2) };
      case TCPOPT_WINDOW:
        return { kind: TCPOPT_WINDOW, shift: buf[i + 2] as number };
      case TCPOPT_SACK_PERM:
        return { kind: TCPOPT_SACK_PERM };
      case TCPOPT_TIMESTAMP:
        return { kind: TCPOPT_TIMESTAMP, tsval: u32(buf, i + 2), tsecr: u32(buf, i + 6) };
      case TCPOPT_SACK: {
        const blocks: SackBlock[] = [];
        for (let b = i + 2; b < i + len; b += 8) blocks.push({ left: u32(buf, b), right: u32(buf, b + 4) });
        return { kind: TCPOPT_SACK, blocks };
      }
    }
  }
  return { kind, data: buf.slice(i + 2, i + len) };
}

/** Write the options at `off` exactly as listed (no padding added); returns bytes written. */
export function emitTcpOptions(options: readonly TcpOption[], buf: Uint8Array, off: number): number {
  let i = off;
  for (const o of options) {
    const len = tcpOptionLength(o);
    buf[i] = o.kind;
    if ("after" in o) buf.set(o.after, i + 1);
    else if (len > 1) buf[i + 1] = len;
    if ("data" in o) buf.set(o.data, i + 2);
    else if ("mss" in o) put16(buf, i + 2, o.mss);
    else if ("shift" in o) buf[i + 2] = o.shift;
    else if ("tsval" in o) {
      put32(buf, i + 2, o.tsval);
      put32(buf, i + 6, o.tsecr);
    } else if ("blocks" in o) {
      for (let k = 0; k < o.blocks.length; k++) {
        const b = o.blocks[k] as SackBlock;
        put32(buf, i + 2 + 8 * k, b.left);
        put32(buf, i + 6 + 8 * k, b.right);
      }
    }
    i += len;
  }
  return i - off;
}

/** tcpdump's names (tcp_option_values); kind 13 (CC.ECHO) really is printed with an empty name. */
const OPTION_NAMES: Record<number, string> = {
  0: "eol",
  1: "nop",
  2: "mss",
  3: "wscale",
  4: "sackOK",
  5: "sack",
  6: "echo",
  7: "echoreply",
  8: "TS",
  11: "cc",
  12: "ccnew",
  13: "",
  19: "md5",
  20: "scps",
  28: "uto",
  29: "tcp-ao",
  30: "mptcp",
  34: "tfo",
  254: "exp",
};

export interface TcpOptionsText {
  /** The text after `options [`, closing `]` included unless tcpdump gave up. */
  text: string;
  /** tcpdump found a length it could not follow (`[bad opt]`) and printed nothing more for the segment. */
  bad: boolean;
}

function hex(buf: Uint8Array, from: number, to: number): string {
  let s = "";
  for (let i = from; i < to; i++) s += (buf[i] as number).toString(16).padStart(2, "0");
  return s;
}

/** TCP Fast Open cookie text (print_tcp_fastopen_option). */
function fastOpenText(buf: Uint8Array, at: number, datalen: number): string {
  if (datalen === 0) return " cookiereq";
  if (datalen % 2 !== 0 || datalen < 4 || datalen > 16) return " (invalid)";
  return ` cookie ${hex(buf, at, at + datalen)}`;
}

/**
 * tcpdump -n text of the option bytes [off, end), e.g. `mss 1460,sackOK,TS val 1 ecr 0,nop,wscale 7]`.
 * `sackBase` is subtracted from SACK edges (tcpdump's relative numbering; 0 for absolute).
 */
export function tcpOptionsText(buf: Uint8Array, off: number, end: number, sackBase = 0): TcpOptionsText {
  let s = "";
  let first = true;
  let i = off;
  let left = end - off;
  const bad = (): TcpOptionsText => ({ text: `${s}[bad opt]${first ? "" : "]"}`, bad: true });
  while (left > 0) {
    if (!first) s += ",";
    const kind = buf[i++] as number;
    let len = 1;
    const zeroLength = kind === TCPOPT_EOL || kind === TCPOPT_NOP;
    if (!zeroLength) {
      if (left < 2) return bad();
      len = buf[i++] as number;
      if (len < 2 || len > left) return bad();
      left--;
    }
    left--;
    s += OPTION_NAMES[kind] ?? `unknown-${kind}`;
    let datalen = 0;
    switch (kind) {
      case TCPOPT_EOL:
      case TCPOPT_NOP:
      case TCPOPT_SACK_PERM:
        break;
      case TCPOPT_MSS:
        datalen = 2;
        if (datalen > left) return bad();
        s += ` ${u16(buf, i)}`;
        break;
      case TCPOPT_WINDOW:
        datalen = 1;
        if (datalen > left) return bad();
        s += ` ${buf[i] as number}`;
        break;
      case TCPOPT_SACK:
        datalen = len - 2;
        if (datalen % 8 !== 0) s += " invalid sack";
        else {
          s += ` ${datalen / 8} `;
          for (let b = 0; b < datalen; b += 8) {
            s += `{${(u32(buf, i + b) - sackBase) >>> 0}:${(u32(buf, i + b + 4) - sackBase) >>> 0}}`;
          }
        }
        break;
      case 6: // echo, echo reply, CC, CC.NEW, CC.ECHO share one layout
      case 7:
      case 11:
      case 12:
      case 13:
        datalen = 4;
        if (datalen > left) return bad();
        s += ` ${u32(buf, i)}`;
        break;
      case TCPOPT_TIMESTAMP:
        datalen = 8;
        if (datalen > left) return bad();
        s += ` val ${u32(buf, i)} ecr ${u32(buf, i + 4)}`;
        break;
      case 19: // TCP MD5 signature: tcpdump cannot check it without -M
        datalen = 16;
        if (datalen > left) return bad();
        s += ` shared secret not supplied with -M, can't check - ${hex(buf, i, i + 16)}`;
        break;
      case 20: // SCPS capabilities
        datalen = 2;
        if (datalen > left) return bad();
        s += ` cap ${hex(buf, i, i + 1)} id ${buf[i + 1] as number}`;
        break;
      case 28: {
        // user timeout: granularity bit, then minutes or seconds
        datalen = 2;
        if (datalen > left) return bad();
        const v = u16(buf, i);
        s += ` 0x${v.toString(16)} ${v & 1 ? (v >>> 1) * 60 : v >>> 1}`;
        break;
      }
      case 29: // TCP-AO
        datalen = len - 2;
        if (datalen < 2) s += " (invalid)";
        else {
          s += ` keyid ${buf[i] as number} rnextkeyid ${buf[i + 1] as number}`;
          if (datalen > 2) s += ` mac 0x${hex(buf, i + 2, i + datalen)}`;
        }
        break;
      case 34: // TCP Fast Open
        datalen = len - 2;
        s += ` ${fastOpenText(buf, i, datalen)}`;
        break;
      case 254: // RFC 6994 experimental, with its 16-bit ExID
        datalen = len - 2;
        if (datalen < 2) return bad();
        s +=
          u16(buf, i) === 0xf989 ? `-tfo${fastOpenText(buf, i + 2, datalen - 2)}` : `-${hex(buf, i, i + 2)}`;
        break;
      default:
        datalen = len - 2;
        if (datalen > 0) s += ` 0x${hex(buf, i, i + datalen)}`;
    }
    i += datalen;
    left -= datalen;
    if (datalen + (zeroLength ? 1 : 2) !== len) s += `[len ${len}]`;
    first = false;
    if (kind === TCPOPT_EOL) break;
  }
  return { text: `${s}]`, bad: false };
}

/** tcpdump -n text of an option list (see tcpOptionsText). */
export function summarizeTcpOptions(options: readonly TcpOption[], sackBase = 0): TcpOptionsText {
  const bytes = new Uint8Array(tcpOptionsLength(options));
  emitTcpOptions(options, bytes, 0);
  return tcpOptionsText(bytes, 0, bytes.length, sackBase);
}
