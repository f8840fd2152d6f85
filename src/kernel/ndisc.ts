/**
 * Neighbour discovery messages as net/ipv6/ndisc.c builds them (RFC 4861): neighbour
 * solicitations (with the source link-layer address option, or for DAD from `::` with the RFC 7527
 * nonce when enhanced_dad is on), neighbour advertisements (router/solicited/override flags, the
 * target link-layer address option only in answer to a multicast solicitation) and router
 * solicitations; and the option walk for received ones. Each builder returns a packet holding the
 * ICMPv6 message with its checksum over the pseudo-header of `src` → `dst`.
 */

import { Packet } from "../link/packet.js";
import { put48, u48 } from "../util/bytes.js";
import type { Rng } from "../util/rng.js";
import {
  emitIcmpv6,
  ND_NEIGHBOR_ADVERT,
  ND_NEIGHBOR_SOLICIT,
  ND_OPT_NONCE,
  ND_OPT_SOURCE_LINKADDR,
  ND_OPT_TARGET_LINKADDR,
  ND_ROUTER_SOLICIT,
} from "../wire/icmpv6.js";

export const NA_ROUTER = 0x80000000;
export const NA_SOLICITED = 0x40000000;
export const NA_OVERRIDE = 0x20000000;

/** `01:xx` / `02:xx` link-layer address option (8 bytes) at `off`. */
function putLinkAddrOption(buf: Uint8Array, off: number, type: number, mac: number): void {
  buf[off] = type;
  buf[off + 1] = 1;
  put48(buf, off + 2, mac);
}

/**
 * A neighbour solicitation for `target`: with our MAC as the source link-layer option, or, for
 * DAD (`src` is `::`), with a nonce instead when `nonce` is given.
 */
export function neighbourSolicit(
  target: Uint8Array,
  src: Uint8Array,
  dst: Uint8Array,
  mac: number,
  nonce: Rng | undefined,
): Packet {
  const dad = src.every((b) => b === 0);
  const hasOption = !dad || nonce !== undefined;
  const pkt = Packet.alloc(24 + (hasOption ? 8 : 0));
  const b = pkt.buf;
  const o = pkt.head;
  b.set(target, o + 8);
  if (!dad) putLinkAddrOption(b, o + 24, ND_OPT_SOURCE_LINKADDR, mac);
  else if (nonce) {
    b[o + 24] = ND_OPT_NONCE;
    b[o + 25] = 1;
    for (let i = 0; i < 6; i++) b[o + 26 + i] = nonce.int(0, 255);
  }
  emitIcmpv6({ type: ND_NEIGHBOR_SOLICIT, code: 0, rest: 0 }, b, o, pkt.length - 8, src, dst);
  return pkt;
}

/** A neighbour advertisement for our `target`, with the target link-layer option when `withMac`. */
export function neighbourAdvert(
  target: Uint8Array,
  flags: number,
  withMac: boolean,
  mac: number,
  src: Uint8Array,
  dst: Uint8Array,
): Packet {
  const pkt = Packet.alloc(24 + (withMac ? 8 : 0));
  const b = pkt.buf;
  const o = pkt.head;
  b.set(target, o + 8);
  if (withMac) putLinkAddrOption(b, o + 24, ND_OPT_TARGET_LINKADDR, mac);
  emitIcmpv6({ type: ND_NEIGHBOR_ADVERT, code: 0, rest: flags >>> 0 }, b, o, pkt.length - 8, src, dst);
  return pkt;
}

/** A router solicitation from `src` (with our MAC as the source link-layer option). */
export function routerSolicit(mac: number, src: Uint8Array, dst: Uint8Array): Packet {
  const pkt = Packet.alloc(16);
  putLinkAddrOption(pkt.buf, pkt.head + 8, ND_OPT_SOURCE_LINKADDR, mac);
  emitIcmpv6({ type: ND_ROUTER_SOLICIT, code: 0, rest: 0 }, pkt.buf, pkt.head, 8, src, dst);
  return pkt;
}

/** The MAC of the first option of `type` in [off, end), or -1 (malformed options give -1 too). */
export function linkAddrOption(buf: Uint8Array, off: number, end: number, type: number): number {
  let p = off;
  while (p + 2 <= end) {
    const len = (buf[p + 1] as number) * 8;
    if (len === 0 || p + len > end) return -1;
    if (buf[p] === type && len >= 8) return u48(buf, p + 2);
    p += len;
  }
  return -1;
}
