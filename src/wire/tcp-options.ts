/**
 * TCP options (RFC 9293, 7323, 2018) as records, and their tcpdump -n text.
 *
 * Kinds the kernel's tcp_parse_options understands get fields; any other kind keeps its raw data so
 * it round-trips. EOL carries the bytes that follow it to the end of the header (normally zero
 * padding), so every header's option area round-trips byte for byte.
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

export interface SackBlock {
  left: number;
  right: number;
}

export type TcpOption =
  | { kind: 0; after: Uint8Array }
  | { kind: 1 }
  | { kind: 2; mss: number }
  | { kind: 3; shift: number }
  | { kind: 4 }
  | { kind: 5; blocks: SackBlock[] }
  | { kind: 8; tsval: number; tsecr: number }
  | { kind: number; data: Uint8Array };

/** Bytes the option takes on the wire. */
export function tcpOptionLength(o: TcpOption): number {
  switch (o.kind) {
    case TCPOPT_EOL:
      return 1 + ("after" in o ? o.after.length : 0);
    case TCPOPT_NOP:
    case TCPOPT_SACK_PERM:
      return o.kind === TCPOPT_NOP ? 1 : 2;
    case TCPOPT_MSS:
      return 4;
    case TCPOPT_WINDOW:
      return 3;
    case TCPOPT_SACK:
      return 2 + 8 * ("blocks" in o ? o.blocks.length : 0);
    case TCPOPT_TIMESTAMP:
      return 10;
    default:
      return 2 + ("data" in o ? o.data.length : 0);
  }
}

export function tcpOptionsLength(options: readonly TcpOption[]): number {
  let n = 0;
  for (const o of options) n += tcpOptionLength(o);
  return n;
}

/** Lengths the kernel insists on for the options it knows (tcp_parse_options). */
const FIXED_LENGTHS: Record<number, number> = { 2: 4, 3: 3, 4: 2, 8: 10 };

/** Parse the option area [off, end); throws ParseError on a bad length. */
export function parseTcpOptions(buf: Uint8Array, off: number, end: number): TcpOption[] {
  const out: TcpOption[] = [];
  let i = off;
  while (i < end) {
    const kind = buf[i] as number;
    if (kind === TCPOPT_EOL) {
      out.push({ kind: 0, after: buf.slice(i + 1, end) });
      break;
    }
    if (kind === TCPOPT_NOP) {
      out.push({ kind: 1 });
      i++;
      continue;
    }
    if (i + 1 >= end) throw new ParseError("tcp", "truncated", i, `option ${kind} has no length byte`);
    const len = buf[i + 1] as number;
    if (len < 2 || i + len > end)
      throw new ParseError("tcp", "bad-length", i, `option ${kind} length ${len}`);
    const want = FIXED_LENGTHS[kind];
    if (want !== undefined && len !== want) {
      throw new ParseError("tcp", "bad-length", i, `option ${kind} length ${len}, expected ${want}`);
    }
    if (kind === TCPOPT_MSS) out.push({ kind: 2, mss: u16(buf, i + 2) });
    else if (kind === TCPOPT_WINDOW) out.push({ kind: 3, shift: buf[i + 2] as number });
    else if (kind === TCPOPT_SACK_PERM) out.push({ kind: 4 });
    else if (kind === TCPOPT_TIMESTAMP) out.push({ kind: 8, tsval: u32(buf, i + 2), tsecr: u32(buf, i + 6) });
    else if (kind === TCPOPT_SACK) {
      if ((len - 2) % 8 !== 0) throw new ParseError("tcp", "bad-length", i, `SACK option length ${len}`);
      const blocks: SackBlock[] = [];
      for (let b = i + 2; b < i + len; b += 8) blocks.push({ left: u32(buf, b), right: u32(buf, b + 4) });
      out.push({ kind: 5, blocks });
    } else out.push({ kind, data: buf.slice(i + 2, i + len) });
    i += len;
  }
  return out;
}

/** Write options at `off`; returns bytes written. */
export function emitTcpOptions(options: readonly TcpOption[], buf: Uint8Array, off: number): number {
  let i = off;
  for (const o of options) {
    buf[i] = o.kind;
    if ("after" in o) {
      buf.set(o.after, i + 1);
    } else if ("mss" in o) {
      buf[i + 1] = 4;
      put16(buf, i + 2, o.mss);
    } else if ("shift" in o) {
      buf[i + 1] = 3;
      buf[i + 2] = o.shift;
    } else if ("tsval" in o) {
      buf[i + 1] = 10;
      put32(buf, i + 2, o.tsval);
      put32(buf, i + 6, o.tsecr);
    } else if ("blocks" in o) {
      buf[i + 1] = 2 + 8 * o.blocks.length;
      o.blocks.forEach((b, k) => {
        put32(buf, i + 2 + 8 * k, b.left);
        put32(buf, i + 6 + 8 * k, b.right);
      });
    } else if ("data" in o) {
      buf[i + 1] = 2 + o.data.length;
      buf.set(o.data, i + 2);
    } else if (o.kind === TCPOPT_SACK_PERM) {
      buf[i + 1] = 2;
    }
    i += tcpOptionLength(o);
  }
  return i - off;
}

/**
 * tcpdump -n text of the options, e.g. `mss 1460,sackOK,TS val 1 ecr 0,nop,wscale 7`.
 * `sackBase` is subtracted from SACK edges (tcpdump's relative numbering; 0 for absolute).
 */
export function summarizeTcpOptions(options: readonly TcpOption[], sackBase = 0): string {
  return options
    .map((o) => {
      if ("after" in o) return "eol";
      if ("mss" in o) return `mss ${o.mss}`;
      if ("shift" in o) return `wscale ${o.shift}`;
      if ("tsval" in o) return `TS val ${o.tsval} ecr ${o.tsecr}`;
      if ("blocks" in o) {
        const edges = o.blocks
          .map((b) => `{${(b.left - sackBase) >>> 0}:${(b.right - sackBase) >>> 0}}`)
          .join("");
        return `sack ${o.blocks.length} ${edges}`;
      }
      if ("data" in o)
        return `opt-${o.kind}:${Array.from(o.data, (x) => x.toString(16).padStart(2, "0")).join("")}`;
      return o.kind === TCPOPT_NOP ? "nop" : "sackOK";
    })
    .join(",");
}
