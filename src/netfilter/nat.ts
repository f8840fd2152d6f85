/**
 * NAT as nf_nat does it (net/netfilter/nf_nat_core.c, nf_nat_proto.c): the nat table is consulted
 * for a connection's first packet only; a DNAT, SNAT, MASQUERADE or REDIRECT there changes the
 * entry's reply tuple (the binding), and from then on every packet of the connection, both ways,
 * is rewritten at the hooks: destination at PREROUTING/OUTPUT, source at INPUT/POSTROUTING, so
 * that it carries the inverse of the other direction's tuple. The source port (or ICMP echo id) is
 * kept when the new tuple is unique, otherwise the search starts at a random offset in the range
 * (nf_nat_l4proto_unique_tuple: SNAT draws the offset, DNAT starts at the range's start; 1024–65535
 * for ports from 1024 up, 512–1023 below) and takes the first free port; with --random the
 * original port is not kept even when free. Rewrites
 * update the IPv4, TCP, UDP (unless 0) and ICMP checksums incrementally (RFC 1624).
 * Deviations: no persistent mappings; address ranges use their first address; at most the whole
 * range is searched (Linux stops after 128 tries); An ICMP error about a NATed connection (nf_nat_icmp_reply_translation)
 * has its outer address and the quoted packet's address, port (or echo id) and IP and L4 checksums
 * rewritten, the quoted TTL kept, and its ICMP checksum recomputed.
 * Binding is the same for IPv6 (addresses are interned ids there); IPv6 rewrites are in nat6.ts.
 */

import type { Packet } from "../link/packet.js";
import { put16, put32, u16, u32 } from "../util/bytes.js";
import { checksum, updateChecksum16, updateChecksum32 } from "../util/checksum.js";
import { parseIpv4 } from "../util/ipv4-address.js";
import type { ConntrackEntry, Tuple } from "./conntrack.js";

export const MANIP_SRC = 0;
export const MANIP_DST = 1;

/** Parse `[A[-B]][:P[-Q]]` (a NAT target's address and port range; address 0 when only ports). */
export function natRange(text: string): { addr: number; portLo: number; portHi: number } {
  const [hosts = "", ports] = text.split(":");
  const addr = parseIpv4(hosts.split("-")[0] ?? "") ?? 0;
  const [lo, hi] = (ports ?? "").split("-");
  const portLo = lo ? Number(lo) : 0;
  return { addr, portLo, portHi: hi ? Number(hi) : portLo };
}

/**
 * Bind a new connection: the packet in the original direction will look like `want` after this
 * manip (MANIP_SRC: its src/sport, MANIP_DST: its dst/dport), so the reply tuple becomes its
 * inverse. `taken` says whether a reply tuple is already used by another connection.
 */
export function bind(
  e: ConntrackEntry,
  manip: number,
  addr: number,
  portLo: number,
  portHi: number,
  taken: (reply: Tuple) => boolean,
  random: (span: number) => number,
  /** --random (NF_NAT_RANGE_PROTO_RANDOM): a random port even when the original one is free. */
  randomPort = false,
): void {
  // Address 0: only the port changes (`--to-source :53`). ICMP and ICMPv6: the echo id is the port.
  const r = e.reply;
  const icmp = e.protocol === 1 || e.protocol === 58;
  if (manip === MANIP_DST) {
    if (addr !== 0) r.src = addr;
    if (portLo !== 0 && !icmp) r.sport = portLo;
    e.reply = r;
    e.setNat(false);
    return;
  }
  if (addr !== 0) r.dst = addr;
  e.setNat(true);
  const keep = icmp ? r.sport : r.dport; // ICMP: the echo id travels in sport
  const setPort = (p: number) => {
    if (icmp) r.sport = p;
    else r.dport = p;
  };
  let lo = portLo;
  let hi = portHi;
  if (lo === 0) {
    e.reply = r;
    if (!randomPort && !taken(r)) return;
    [lo, hi] = keep < 1024 ? [512, 1023] : [1024, 65535];
  }
  const span = hi - lo + 1;
  const start = random(span);
  for (let i = 0; i < span; i++) {
    setPort(lo + ((start + i) % span));
    e.reply = r;
    if (!taken(r)) return;
  }
}

/**
 * Rewrite `pkt` (head at the IPv4 header) travelling in direction `reply` of `e` for a manip of
 * type `manip`: it should carry the inverse of the other direction's tuple.
 */
export function rewrite(pkt: Packet, e: ConntrackEntry, reply: boolean, manip: number): void {
  // The packet should look like the inverse of the other direction's tuple.
  const other = !reply;
  const wantAddr = manip === MANIP_SRC ? e.dst(other) : e.src(other);
  const wantPort = manip === MANIP_SRC ? e.dport(other) : e.sport(other);
  const b = pkt.buf;
  const o = pkt.head;
  const hl = ((b[o] as number) & 15) * 4;
  const l4 = o + hl;
  const protocol = b[o + 9] as number;
  const addrAt = o + (manip === MANIP_SRC ? 12 : 16);
  const oldAddr = u32(b, addrAt);
  const firstFragment = (u16(b, o + 6) & 0x1fff) === 0;
  if (oldAddr !== wantAddr) {
    put32(b, addrAt, wantAddr);
    put16(b, o + 10, updateChecksum32(u16(b, o + 10), oldAddr, wantAddr));
    if (firstFragment) {
      // The pseudo-header holds the address: TCP and UDP checksums change with it.
      if (protocol === 6) put16(b, l4 + 16, updateChecksum32(u16(b, l4 + 16), oldAddr, wantAddr));
      else if (protocol === 17 && u16(b, l4 + 6) !== 0) {
        put16(b, l4 + 6, updateChecksum32(u16(b, l4 + 6), oldAddr, wantAddr) || 0xffff);
      }
    }
  }
  if (!firstFragment) return;
  if (protocol === 6 || protocol === 17) {
    const portAt = l4 + (manip === MANIP_SRC ? 0 : 2);
    const oldPort = u16(b, portAt);
    if (oldPort === wantPort) return;
    put16(b, portAt, wantPort);
    const csAt = l4 + (protocol === 6 ? 16 : 6);
    if (protocol === 6 || u16(b, csAt) !== 0)
      put16(b, csAt, updateChecksum16(u16(b, csAt), oldPort, wantPort) || (protocol === 17 ? 0xffff : 0));
  } else if (protocol === 1) {
    const type = b[l4] as number;
    if (type !== 8 && type !== 0) return;
    // The echo id is the "port" of both directions: the original side's id one way, the
    // translated id the other.
    const oldId = u16(b, l4 + 4);
    const newId = e.sport(!reply);
    if (oldId === newId) return;
    put16(b, l4 + 4, newId);
    put16(b, l4 + 2, updateChecksum16(u16(b, l4 + 2), oldId, newId));
  }
}

/**
 * An ICMP error related to `e`, travelling in direction `reply`, at a hook doing `manip`: the
 * outer address as for any packet of that direction, and the quoted packet (which went the other
 * way) made to look as its sender sent it.
 */
export function rewriteIcmpError(pkt: Packet, e: ConntrackEntry, reply: boolean, manip: number): void {
  const other = reply ? e.orig : e.reply;
  const b = pkt.buf;
  const o = pkt.head;
  const icmp = o + ((b[o] as number) & 15) * 4;
  const end = o + u16(b, o + 2);
  // Outer header: destination at PREROUTING/OUTPUT, source at INPUT/POSTROUTING.
  const outerAt = o + (manip === MANIP_SRC ? 12 : 16);
  const outerWant = manip === MANIP_SRC ? other.dst : other.src;
  const outerOld = u32(b, outerAt);
  if (outerOld !== outerWant) {
    put32(b, outerAt, outerWant);
    put16(b, o + 10, updateChecksum32(u16(b, o + 10), outerOld, outerWant));
  }
  // The quoted packet: the opposite manip, to `other`'s own addresses and ports.
  const q = icmp + 8;
  if (q + 20 > end) return;
  const qhl = ((b[q] as number) & 15) * 4;
  const qp = b[q + 9] as number;
  const l4 = q + qhl;
  const innerSrc = manip === MANIP_DST;
  const addrAt = q + (innerSrc ? 12 : 16);
  const oldAddr = u32(b, addrAt);
  const newAddr = innerSrc ? other.src : other.dst;
  if (oldAddr !== newAddr) {
    put32(b, addrAt, newAddr);
    put16(b, q + 10, updateChecksum32(u16(b, q + 10), oldAddr, newAddr));
    if (qp === 6 && l4 + 18 <= end) put16(b, l4 + 16, updateChecksum32(u16(b, l4 + 16), oldAddr, newAddr));
    if (qp === 17 && l4 + 8 <= end && u16(b, l4 + 6) !== 0)
      put16(b, l4 + 6, updateChecksum32(u16(b, l4 + 6), oldAddr, newAddr) || 0xffff);
  }
  if ((qp === 6 || qp === 17) && l4 + 4 <= end) {
    const portAt = l4 + (innerSrc ? 0 : 2);
    const oldPort = u16(b, portAt);
    const newPort = innerSrc ? other.sport : other.dport;
    if (oldPort !== newPort) {
      put16(b, portAt, newPort);
      if (qp === 6 && l4 + 18 <= end) put16(b, l4 + 16, updateChecksum16(u16(b, l4 + 16), oldPort, newPort));
      if (qp === 17 && l4 + 8 <= end && u16(b, l4 + 6) !== 0)
        put16(b, l4 + 6, updateChecksum16(u16(b, l4 + 6), oldPort, newPort) || 0xffff);
    }
  } else if (qp === 1 && l4 + 8 <= end && b[l4] === 8) {
    const oldId = u16(b, l4 + 4);
    const newId = other.sport;
    if (oldId !== newId) {
      put16(b, l4 + 4, newId);
      put16(b, l4 + 2, updateChecksum16(u16(b, l4 + 2), oldId, newId));
    }
  }
  // The error's own checksum covers all of the above.
  put16(b, icmp + 2, 0);
  put16(b, icmp + 2, checksum(b, icmp, end - icmp));
}
