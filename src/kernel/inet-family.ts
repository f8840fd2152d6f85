/**
 * One address family's network layer as TCP and UDP see it — the part that differs between
 * net/ipv4 and net/ipv6 (inet_connection_sock_af_ops, udp_prot against udpv6_prot): which
 * addresses are local, routes and source selection, the path MTU, and sending with the
 * pseudo-header checksum of that family. Addresses are numbers for both families: an IPv4
 * address itself, or an IPv6 address's interned id (ns.ipv6.ids), 0 being the unspecified
 * address in both, so sockets and their tables stay on numbers.
 *
 * Deviation: IPv4-mapped IPv6 addresses (::ffff:a.b.c.d) are not destinations here; a dual-stack
 * listener's IPv4 connections are IPv4 sockets (see tcp-table.ts).
 */

import type { Packet } from "../link/packet.js";
import { checksum, pseudoHeaderSum } from "../util/checksum.js";
import { ipv4ToString } from "../util/ipv4-address.js";
import { ipv6ToString } from "../util/ipv6-address.js";
import { IPPROTO_UDP } from "../wire/ipv4.js";
import type { NetNamespace } from "./namespace.js";

export type RouteErrno = "ENETUNREACH" | "EHOSTUNREACH" | "EINVAL" | "EACCES";

export interface InetFamily {
  readonly v6: boolean;
  /** The network header's length (20 or 40), for the MSS. */
  readonly headerLen: number;
  isLocal(addr: number): boolean;
  isBroadcast(addr: number): boolean;
  routeErrno(dst: number): RouteErrno | undefined;
  /** The source address for `dst`, 0 when there is none. */
  sourceFor(dst: number): number;
  /** The MTU toward `dst`, or 0 when there is no route. */
  pathMtu(dst: number): number;
  /**
   * Send `pkt` (head at the transport header) from `src` to `dst`, the transport checksum at
   * `checksumAt` in it computed here. `id` is the IPv4 ID (ignored for IPv6; undefined: the
   * stack's own). Returns SEND_OK, SEND_NO_ROUTE, or the MTU the packet exceeds.
   */
  send(pkt: Packet, protocol: number, src: number, dst: number, checksumAt: number, id?: number): number;
  /** The address as `ss` and programs print it (without brackets). */
  text(addr: number): string;
}

export class Inet4 implements InetFamily {
  readonly v6 = false;
  readonly headerLen = 20;
  constructor(private readonly ns: NetNamespace) {}

  isLocal(addr: number): boolean {
    return this.ns.isLocal(addr);
  }

  isBroadcast(addr: number): boolean {
    return this.ns.isBroadcast(addr);
  }

  routeErrno(dst: number): RouteErrno | undefined {
    return this.ns.ipv4.routeErrno(dst);
  }

  sourceFor(dst: number): number {
    return this.ns.ipv4.sourceFor(dst);
  }

  pathMtu(dst: number): number {
    const ns = this.ns;
    const route = ns.isLocal(dst) ? ns.local.lookup(dst) : ns.main.lookup(dst);
    if (!route) return 0;
    return ns.devices.get(route.type === "local" ? ns.lo.ifindex : route.ifindex)?.mtu ?? 0;
  }

  send(pkt: Packet, protocol: number, src: number, dst: number, checksumAt: number, id?: number): number {
    const b = pkt.buf;
    const at = pkt.head + checksumAt;
    b[at] = 0;
    b[at + 1] = 0;
    let sum = checksum(b, pkt.head, pkt.length, pseudoHeaderSum(src, dst, protocol, pkt.length));
    if (sum === 0 && protocol === IPPROTO_UDP) sum = 0xffff;
    b[at] = sum >>> 8;
    b[at + 1] = sum & 0xff;
    return this.ns.ipv4.send(pkt, protocol, dst, id === undefined ? { src } : { src, id });
  }

  text(addr: number): string {
    return ipv4ToString(addr);
  }
}

export class Inet6 implements InetFamily {
  readonly v6 = true;
  readonly headerLen = 40;
  constructor(private readonly ns: NetNamespace) {}

  private bytes(addr: number): Uint8Array {
    return this.ns.ipv6.ids.bytes(addr);
  }

  isLocal(addr: number): boolean {
    return this.ns.ipv6.localAddress(this.bytes(addr), 0) !== undefined;
  }

  isBroadcast(): boolean {
    return false;
  }

  routeErrno(dst: number): RouteErrno | undefined {
    return this.ns.ipv6.routeErrno(this.bytes(dst));
  }

  sourceFor(dst: number): number {
    const src = this.ns.ipv6.sourceFor(this.bytes(dst));
    return src ? this.ns.ipv6.ids.idOf(src) : 0;
  }

  pathMtu(dst: number): number {
    const ns = this.ns;
    const route = ns.ipv6.routeFor(this.bytes(dst));
    if (!route || (route.type !== "local" && route.type !== "unicast")) return 0;
    return ns.devices.get(route.type === "local" ? ns.lo.ifindex : route.ifindex)?.mtu ?? 0;
  }

  send(pkt: Packet, protocol: number, src: number, dst: number, checksumAt: number): number {
    return this.ns.ipv6.send(pkt, protocol, this.bytes(dst), { src: this.bytes(src), checksumAt });
  }

  text(addr: number): string {
    return addr === 0 ? "::" : ipv6ToString(this.bytes(addr));
  }
}
