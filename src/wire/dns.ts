/**
 * DNS messages (RFC 1035 §4): header, questions and resource records, with name compression
 * (pointers) followed on parse and written on emit for names already in the message, as a
 * stub resolver and Docker's embedded resolver exchange them. Record data is kept as bytes,
 * with A (an IPv4 address) and PTR/CNAME (a name) decoded. Text: tcpdump 4.99 -n
 * (print-domain.c) one-line summaries, e.g. `12345+ A? web. (21)` and
 * `12345 1/0/0 A 172.18.0.2 (37)`. Deviation: no EDNS0 OPT handling beyond keeping the record;
 * no DNSSEC types decoded.
 */

import { put16, put32, u16, u32 } from "../util/bytes.js";
import { ParseError } from "../util/errors.js";
import { ipv4ToString } from "../util/ipv4-address.js";

export const DNS_PORT = 53;
export const TYPE_A = 1;
export const TYPE_CNAME = 5;
export const TYPE_PTR = 12;
export const TYPE_MX = 15;
export const TYPE_AAAA = 28;
export const CLASS_IN = 1;
export const RCODE_NOERROR = 0;
export const RCODE_SERVFAIL = 2;
export const RCODE_NXDOMAIN = 3;
export const RCODE_REFUSED = 5;

const TYPE_NAMES: Record<number, string> = {
  1: "A",
  2: "NS",
  5: "CNAME",
  6: "SOA",
  12: "PTR",
  15: "MX",
  16: "TXT",
  28: "AAAA",
  33: "SRV",
  41: "OPT",
};
const RCODE_NAMES = ["", "FormErr", "ServFail", "NXDomain", "NotImp", "Refused"];

export interface DnsQuestion {
  /** Without the trailing dot; "" for the root. */
  name: string;
  type: number;
  class: number;
}

export interface DnsRecord extends DnsQuestion {
  ttl: number;
  /** RDATA as on the wire (a name inside it uncompressed). */
  data: Uint8Array;
}

export interface DnsMessage {
  id: number;
  /** QR, opcode, AA, TC, RD, RA, Z, RCODE as the 16-bit flags word. */
  flags: number;
  questions: DnsQuestion[];
  answers: DnsRecord[];
  authorities: DnsRecord[];
  additionals: DnsRecord[];
}

export const FLAG_QR = 0x8000;
export const FLAG_AA = 0x0400;
export const FLAG_TC = 0x0200;
export const FLAG_RD = 0x0100;
export const FLAG_RA = 0x0080;

export function rcodeOf(m: DnsMessage): number {
  return m.flags & 0xf;
}

/** A record's data for an A record. */
export function aData(addr: number): Uint8Array {
  const d = new Uint8Array(4);
  put32(d, 0, addr);
  return d;
}

/** A record's data for a name (PTR, CNAME). */
export function nameData(name: string): Uint8Array {
  const out: number[] = [];
  writeName(name, out, undefined);
  return Uint8Array.from(out);
}

/** The address of an A record. */
export function aAddress(r: DnsRecord): number {
  return u32(r.data, 0);
}

/** The name in a PTR/CNAME record's data. */
export function dataName(r: DnsRecord): string {
  return readName(r.data, 0, r.data.length).name;
}

function readName(buf: Uint8Array, off: number, end: number): { name: string; next: number } {
  const labels: string[] = [];
  let p = off;
  let next = -1;
  for (let jumps = 0; ; ) {
    if (p >= end) throw new ParseError("dns", "truncated", p, "name runs past the message");
    const len = buf[p] as number;
    if (len === 0) {
      if (next < 0) next = p + 1;
      break;
    }
    if ((len & 0xc0) === 0xc0) {
      if (p + 1 >= end) throw new ParseError("dns", "truncated", p, "pointer cut short");
      if (next < 0) next = p + 2;
      if (++jumps > 64) throw new ParseError("dns", "bad-value", p, "compression loop");
      p = ((len & 0x3f) << 8) | (buf[p + 1] as number);
      continue;
    }
    if (len > 63) throw new ParseError("dns", "bad-length", p, `label length ${len}`);
    if (p + 1 + len > end) throw new ParseError("dns", "truncated", p, "label runs past the message");
    labels.push(String.fromCharCode(...buf.subarray(p + 1, p + 1 + len)));
    p += 1 + len;
  }
  return { name: labels.join("."), next };
}

/** Write `name` (compressing against `seen` when given: suffix → offset). */
function writeName(name: string, out: number[], seen: Map<string, number> | undefined): void {
  const labels = name === "" ? [] : name.split(".");
  for (let i = 0; i < labels.length; i++) {
    const suffix = labels.slice(i).join(".").toLowerCase();
    const at = seen?.get(suffix);
    if (at !== undefined) {
      out.push(0xc0 | (at >> 8), at & 0xff);
      return;
    }
    if (seen && out.length < 0x3fff) seen.set(suffix, out.length);
    const label = labels[i] as string;
    out.push(label.length);
    for (let k = 0; k < label.length; k++) out.push(label.charCodeAt(k) & 0xff);
  }
  out.push(0);
}

export function parseDns(buf: Uint8Array, off = 0, end = buf.length): DnsMessage {
  if (end - off < 12) throw new ParseError("dns", "truncated", off, `${end - off} bytes, header needs 12`);
  const msg = buf.subarray(off, end);
  const counts = [u16(msg, 4), u16(msg, 6), u16(msg, 8), u16(msg, 10)];
  let p = 12;
  const questions: DnsQuestion[] = [];
  for (let i = 0; i < (counts[0] as number); i++) {
    const { name, next } = readName(msg, p, msg.length);
    if (next + 4 > msg.length) throw new ParseError("dns", "truncated", next, "question cut short");
    questions.push({ name, type: u16(msg, next), class: u16(msg, next + 2) });
    p = next + 4;
  }
  const sections: DnsRecord[][] = [[], [], []];
  for (let s = 0; s < 3; s++) {
    for (let i = 0; i < (counts[s + 1] as number); i++) {
      const { name, next } = readName(msg, p, msg.length);
      if (next + 10 > msg.length) throw new ParseError("dns", "truncated", next, "record cut short");
      const type = u16(msg, next);
      const rdlen = u16(msg, next + 8);
      const start = next + 10;
      if (start + rdlen > msg.length)
        throw new ParseError("dns", "truncated", start, "rdata runs past the message");
      // Names inside PTR/CNAME data are stored uncompressed.
      const data =
        type === TYPE_PTR || type === TYPE_CNAME
          ? nameData(readName(msg, start, start + rdlen < msg.length ? msg.length : start + rdlen).name)
          : msg.slice(start, start + rdlen);
      (sections[s] as DnsRecord[]).push({
        name,
        type,
        class: u16(msg, next + 2),
        ttl: u32(msg, next + 4),
        data,
      });
      p = start + rdlen;
    }
  }
  return {
    id: u16(msg, 0),
    flags: u16(msg, 2),
    questions,
    answers: sections[0] as DnsRecord[],
    authorities: sections[1] as DnsRecord[],
    additionals: sections[2] as DnsRecord[],
  };
}

export function emitDns(m: DnsMessage): Uint8Array {
  const out: number[] = [];
  const seen = new Map<string, number>();
  const h = new Uint8Array(12);
  put16(h, 0, m.id);
  put16(h, 2, m.flags);
  put16(h, 4, m.questions.length);
  put16(h, 6, m.answers.length);
  put16(h, 8, m.authorities.length);
  put16(h, 10, m.additionals.length);
  out.push(...h);
  for (const q of m.questions) {
    writeName(q.name, out, seen);
    out.push(q.type >> 8, q.type & 0xff, q.class >> 8, q.class & 0xff);
  }
  for (const r of [...m.answers, ...m.authorities, ...m.additionals]) {
    writeName(r.name, out, seen);
    const data =
      r.type === TYPE_PTR || r.type === TYPE_CNAME
        ? (() => {
            const d: number[] = [];
            const rdStart = out.length + 10;
            const local = new Map([...seen].map(([k, v]) => [k, v]));
            writeName(dataName(r), d, local);
            for (const [k, v] of local) if (!seen.has(k)) seen.set(k, v + rdStart);
            return d;
          })()
        : [...r.data];
    out.push(r.type >> 8, r.type & 0xff, r.class >> 8, r.class & 0xff);
    out.push((r.ttl >>> 24) & 0xff, (r.ttl >>> 16) & 0xff, (r.ttl >>> 8) & 0xff, r.ttl & 0xff);
    out.push(data.length >> 8, data.length & 0xff, ...data);
  }
  return Uint8Array.from(out);
}

/** tcpdump -n's summary (print-domain.c), length in parentheses. */
export function summarizeDns(m: DnsMessage, length: number): string {
  const q = m.questions[0];
  const question = q ? ` ${TYPE_NAMES[q.type] ?? `Type${q.type}`}? ${q.name}.` : "";
  if ((m.flags & FLAG_QR) === 0) {
    return `${m.id}${m.flags & FLAG_RD ? "+" : ""}${question} (${length})`;
  }
  // id, rcode, `*` when authoritative, `-` when recursion is not available, `|` when truncated.
  const rcode = rcodeOf(m);
  let s = `${m.id}${rcode !== 0 ? ` ${RCODE_NAMES[rcode] ?? `Resp${rcode}`}` : ""}`;
  s += `${m.flags & FLAG_AA ? "*" : ""}${m.flags & FLAG_RA ? "" : "-"}${m.flags & FLAG_TC ? "|" : ""}`;
  s += ` ${m.answers.length}/${m.authorities.length}/${m.additionals.length}`;
  for (const r of m.answers) {
    const t = TYPE_NAMES[r.type] ?? `Type${r.type}`;
    if (r.type === TYPE_A) s += ` ${t} ${ipv4ToString(aAddress(r))},`;
    else if (r.type === TYPE_PTR || r.type === TYPE_CNAME) s += ` ${t} ${dataName(r)}.,`;
    else s += ` ${t},`;
  }
  if (s.endsWith(",")) s = s.slice(0, -1);
  return `${s} (${length})`;
}
