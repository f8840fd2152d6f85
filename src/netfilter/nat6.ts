/**
 * NAT's packet rewriting for IPv6 (nf_nat_ipv6_manip_pkt and nf_nat_icmpv6_reply_translation in
 * net/netfilter/nf_nat_proto.c): the binding itself is nat.ts's `bind`, on the interned address
 * ids the conntrack entry holds; here a packet of the connection gets the address (16 bytes, from
 * `bytesOf(id)`) and port or ICMPv6 echo id its direction should carry. IPv6 has no header
 * checksum, but TCP, UDP and ICMPv6 all cover the pseudo-header: their checksums are updated
 * incrementally (RFC 1624) for every changed 16-bit word. An ICMPv6 error about a NATed
 * connection has its outer address and the quoted packet's addresses, ports (or echo id) and L4
 * checksum translated back, and its own checksum recomputed.
 * Also: `[ADDR]:PORT` / `ADDR` NAT target ranges (libxt_NAT's IPv6 form).
 * Deviations: extension headers other than Hop-by-Hop, Routing and Destination Options end the
 * walk to the upper header; address ranges use their first address.
 */

import type { Packet } from "../link/packet.js";
import { put16, u16 } from "../util/bytes.js";
import { checksum, updateChecksum16 } from "../util/checksum.js";
import { parseIpv6 } from "../util/ipv6-address.js";
import type { ConntrackEntry } from "./conntrack.js";
import { MANIP_SRC } from "./nat.js";

/** `[A[-B]]:P[-Q]` or `A[-B]`: the first address (undefined when only ports) and the port range. */
export function natRange6(text: string): { addr: Uint8Array | undefined; portLo: number; portHi: number } {
  const bracket = /^\[([^\]]*)\](?::(.*))?$/.exec(text);
  const hosts = bracket ? (bracket[1] as string) : text;
  const [lo, hi] = (bracket?.[2] ?? "").split("-");
  const portLo = lo ? Number(lo) : 0;
  return { addr: parseIpv6(hosts.split("-")[0] ?? ""), portLo, portHi: hi ? Number(hi) : portLo };
}

/**
 * The upper-layer header of the IPv6 packet at `ip` (ipv6_skip_exthdr): its protocol, offset, and
 * whether it is there (not a later fragment, not cut off).
 */
export function upperLayer(
  buf: Uint8Array,
  ip: number,
  end: number,
): { nh: number; l4: number; first: boolean } {
  let nh = buf[ip + 6] as number;
  let l4 = ip + 40;
  let first = true;
  for (;;) {
    if (nh !== 0 && nh !== 43 && nh !== 60 && nh !== 44) break;
    if (l4 + 8 > end) return { nh, l4, first: false };
    if (nh === 44) {
      first = (u16(buf, l4 + 2) & 0xfff8) === 0;
      nh = buf[l4] as number;
      l4 += 8;
      continue;
    }
    nh = buf[l4] as number;
    l4 += ((buf[l4 + 1] as number) + 1) * 8;
  }
  return { nh, l4, first };
}

/** Where the L4 checksum of `nh` sits, or -1 (UDP's 0 means none only over IPv4). */
function checksumAt(nh: number, l4: number, end: number): number {
  if (nh === 6 && l4 + 18 <= end) return l4 + 16;
  if (nh === 17 && l4 + 8 <= end) return l4 + 6;
  if (nh === 58 && l4 + 4 <= end) return l4 + 2;
  return -1;
}

/** Write `addr` at `at` and fold the change into the checksum at `cs` (if any). */
function setAddress(buf: Uint8Array, at: number, addr: Uint8Array, cs: number): void {
  let sum = cs >= 0 ? u16(buf, cs) : 0;
  for (let i = 0; i < 16; i += 2) {
    const old = u16(buf, at + i);
    const now = ((addr[i] as number) << 8) | (addr[i + 1] as number);
    if (old !== now && cs >= 0) sum = updateChecksum16(sum, old, now);
  }
  buf.set(addr, at);
  if (cs >= 0) put16(buf, cs, sum);
}

function sameAddress(buf: Uint8Array, at: number, addr: Uint8Array): boolean {
  for (let i = 0; i < 16; i++) if (buf[at + i] !== addr[i]) return false;
  return true;
}

/**
 * Rewrite `pkt` (head at the IPv6 header), travelling in direction `reply` of `e`, for a manip of
 * type `manip`: it should carry the inverse of the other direction's tuple.
 */
export function rewrite6(
  pkt: Packet,
  e: ConntrackEntry,
  reply: boolean,
  manip: number,
  bytesOf: (id: number) => Uint8Array,
): void {
  const other = !reply;
  const b = pkt.buf;
  const o = pkt.head;
  const { nh, l4, first } = upperLayer(b, o, pkt.tail);
  const cs = first ? checksumAt(nh, l4, pkt.tail) : -1;
  const want = bytesOf(manip === MANIP_SRC ? e.dst(other) : e.src(other));
  const at = o + (manip === MANIP_SRC ? 8 : 24);
  if (!sameAddress(b, at, want)) setAddress(b, at, want, cs);
  if (!first) return;
  if (nh === 6 || nh === 17) {
    const wantPort = manip === MANIP_SRC ? e.dport(other) : e.sport(other);
    const portAt = l4 + (manip === MANIP_SRC ? 0 : 2);
    const oldPort = u16(b, portAt);
    if (oldPort === wantPort || cs < 0) return;
    put16(b, portAt, wantPort);
    put16(b, cs, updateChecksum16(u16(b, cs), oldPort, wantPort));
  } else if (nh === 58 && l4 + 8 <= pkt.tail) {
    const type = b[l4] as number;
    if (type !== 128 && type !== 129) return;
    const oldId = u16(b, l4 + 4);
    const newId = e.sport(other);
    if (oldId === newId) return;
    put16(b, l4 + 4, newId);
    put16(b, l4 + 2, updateChecksum16(u16(b, l4 + 2), oldId, newId));
  }
}

/**
 * An ICMPv6 error related to `e`, travelling in direction `reply`, at a hook doing `manip`: the
 * outer address as for any packet of that direction, the quoted packet (which went the other way)
 * made to look as its sender sent it, and the error's checksum recomputed.
 */
export function rewriteIcmpv6Error(
  pkt: Packet,
  e: ConntrackEntry,
  reply: boolean,
  manip: number,
  bytesOf: (id: number) => Uint8Array,
): void {
  const other = reply ? e.orig : e.reply;
  const b = pkt.buf;
  const o = pkt.head;
  const end = pkt.tail;
  const { nh, l4: icmp } = upperLayer(b, o, end);
  if (nh !== 58 || icmp + 8 > end) return;
  b.set(bytesOf(manip === MANIP_SRC ? other.dst : other.src), o + (manip === MANIP_SRC ? 8 : 24));
  const q = icmp + 8;
  if (q + 40 <= end) {
    const inner = upperLayer(b, q, end);
    const innerSrc = manip !== MANIP_SRC;
    const cs = inner.first ? checksumAt(inner.nh, inner.l4, end) : -1;
    setAddress(b, q + (innerSrc ? 8 : 24), bytesOf(innerSrc ? other.src : other.dst), cs);
    if ((inner.nh === 6 || inner.nh === 17) && inner.first && inner.l4 + 4 <= end) {
      const portAt = inner.l4 + (innerSrc ? 0 : 2);
      const oldPort = u16(b, portAt);
      const newPort = innerSrc ? other.sport : other.dport;
      if (oldPort !== newPort) {
        put16(b, portAt, newPort);
        if (cs >= 0) put16(b, cs, updateChecksum16(u16(b, cs), oldPort, newPort));
      }
    } else if (inner.nh === 58 && inner.l4 + 8 <= end && b[inner.l4] === 128) {
      const oldId = u16(b, inner.l4 + 4);
      const newId = other.sport;
      if (oldId !== newId) {
        put16(b, inner.l4 + 4, newId);
        if (cs >= 0) put16(b, cs, updateChecksum16(u16(b, cs), oldId, newId));
      }
    }
  }
  // The error's own checksum covers the pseudo-header and all of the above.
  const length = end - icmp;
  let sum = length + 58;
  for (let i = 8; i < 40; i += 2) sum += u16(b, o + i);
  put16(b, icmp + 2, 0);
  put16(b, icmp + 2, checksum(b, icmp, length, sum));
}
