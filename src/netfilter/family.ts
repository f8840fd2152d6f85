/**
 * What differs between iptables and ip6tables in the shared rule code (iptables 1.8.9's
 * xtables_ipparse_multiple / xtables_ip6parse_multiple, xtables_ipaddr_to_numeric /
 * xtables_ip6addr_to_numeric, and the program name in messages): how a rule's `-s`/`-d` address
 * is read and printed, the "any" address, the host prefix length, and the program name that
 * prefixes errors (`ip6tables v1.8.9 (nf_tables): ...`). IPv4 addresses live in a rule as a u32,
 * IPv6 ones as their canonical text (inet_ntop) with the prefix length.
 * Deviations: no address masks in dotted/colon form for IPv6, no host names.
 */

import { ipv4ToString } from "../util/ipv4-address.js";
import { ipv6ToString, parseIpv6 } from "../util/ipv6-address.js";

export type FamilyId = 4 | 6;

/** The program of a family as it names itself in messages. */
export function programName(family: FamilyId): "iptables" | "ip6tables" {
  return family === 6 ? "ip6tables" : "iptables";
}

/**
 * An error text written for iptables, as ip6tables prints it: every place the program names
 * itself (`iptables v1.8.9`, `iptables:`, `iptables -h`, `iptables-restore`) says ip6tables.
 */
export function forFamily(message: string, family: FamilyId): string {
  if (family === 4) return message;
  return message.replace(/(^|[`'\s])iptables(?=[\s:-])/gm, "$1ip6tables");
}

/** `::/0` or `0.0.0.0/0`: what -L prints for a rule without an address. */
export function anyAddress(family: FamilyId): string {
  return family === 6 ? "::/0" : "0.0.0.0/0";
}

/** The 16 bytes of `text` with all but the first `prefixLen` bits cleared. */
export function maskedIpv6(bytes: Uint8Array, prefixLen: number): Uint8Array {
  const out = bytes.slice();
  for (let i = 0; i < 16; i++) {
    const keep = Math.max(0, Math.min(8, prefixLen - i * 8));
    out[i] = (out[i] as number) & ((0xff00 >> keep) & 0xff);
  }
  return out;
}

/**
 * ip6tables' `-s`/`-d` value: `ADDR[/LEN]`, the address masked to its prefix. Throws `bad(why)`
 * with ip6tables' words: an unknown address names only the address part, a bad mask its text.
 */
export function parseIpv6Prefix(
  text: string,
  bad: (why: string) => Error,
): { addr6: string; prefixLen: number } {
  const slash = text.indexOf("/");
  const a = slash < 0 ? text : text.slice(0, slash);
  const mask = slash < 0 ? undefined : text.slice(slash + 1);
  let prefixLen = 128;
  if (mask !== undefined) {
    if (!/^\d+$/.test(mask) || Number(mask) > 128) throw bad(`invalid mask \`${mask}' specified`);
    prefixLen = Number(mask);
  }
  const bytes = parseIpv6(a);
  if (!bytes) throw bad(`host/network \`${a}' not found`);
  return { addr6: ipv6ToString(maskedIpv6(bytes, prefixLen)), prefixLen };
}

/** A rule address as `-S`/save print it: `ADDR/LEN` in the family's text. */
export function prefixText(a: { addr: number; addr6?: string; prefixLen: number }): string {
  return `${a.addr6 ?? ipv4ToString(a.addr)}/${a.prefixLen}`;
}

/** As `-L -n` prints it: a host address without its length. */
export function listAddressText(a: { addr: number; addr6?: string; prefixLen: number }): string {
  if (a.addr6 !== undefined) return a.prefixLen === 128 ? a.addr6 : prefixText(a);
  return a.prefixLen === 32 ? ipv4ToString(a.addr) : prefixText(a);
}
