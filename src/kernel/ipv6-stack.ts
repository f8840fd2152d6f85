/**
 * The IPv6 stack of one namespace (net/ipv6/ip6_input.c, ip6_output.c, ip6_forward, icmp.c,
 * ndisc.c): frames of type 0x86dd from a device that runs IPv6 are checked (version, payload
 * length), accepted when addressed to a valid local address or a group the device joined,
 * forwarded when net.ipv6.conf.all.forwarding is on (hop limit, time exceeded, packet too big, no
 * route), or dropped. Locally the kernel answers echo requests and neighbour solicitations, learns
 * from advertisements (and, as a router, from router solicitations), detects duplicate addresses
 * (ipv6-addrconf.ts), and hands other ICMPv6
 * messages and upper protocols to listeners; UDP to nobody gets port unreachable. Output routes a
 * packet (table local, then main; a link-local destination needs the device), picks the source
 * (RFC 6724's main rules: valid addresses only, matching scope, the outgoing device, the longest
 * matching prefix), writes the header with an automatic flow label (auto_flowlabels: a seeded
 * hash of addresses, protocol and TCP/UDP ports — Linux uses a TCP socket's random txhash, drawn
 * again when a SYN is retransmitted) and resolves the next hop through the neighbour table — the same NUD
 * machine as ARP, with neighbour solicitations to the solicited-node group (from the waiting
 * packet's source, or the link-local address when probing) and unicast probes.
 * ip6tables' hooks (ns.netfilter6) sit where Linux has them: PREROUTING in ipv6_rcv (then the
 * destination is read again, for DNAT), INPUT in ip6_input, FORWARD in ip6_forward after the hop
 * limit is decremented, OUTPUT as a packet (neighbour discovery and MLD included) leaves the
 * stack, with a new route when OUTPUT's DNAT changed the destination, and POSTROUTING in
 * ip6_output before the neighbour is resolved. REJECT answers with icmp6_send's errors.
 *
 * Deviations: no extension headers but Hop-by-Hop (skipped), no fragmentation or reassembly (a
 * packet over the MTU is refused with EMSGSIZE), no ICMPv6 error rate limit, no redirects, no
 * router advertisements; REJECT --reject-with tcp-reset sends nothing.
 */

import type { NetDevice } from "../link/net-device.js";
import { Packet } from "../link/packet.js";
import {
  NF_DROP,
  NF_FORWARD,
  NF_INPUT,
  NF_OUTPUT,
  NF_POSTROUTING,
  NF_PREROUTING,
} from "../netfilter/netfilter.js";
import { put16, put32, u16 } from "../util/bytes.js";
import { checksum } from "../util/checksum.js";
import type { Rng } from "../util/rng.js";
import { ETHERTYPE_IPV6 } from "../wire/ethernet.js";
import {
  ICMPV6_ADDR_UNREACH,
  ICMPV6_DST_UNREACH,
  ICMPV6_ECHO_REPLY,
  ICMPV6_ECHO_REQUEST,
  ICMPV6_NOROUTE,
  ICMPV6_PACKET_TOO_BIG,
  ICMPV6_PORT_UNREACH,
  ICMPV6_TIME_EXCEEDED,
  ND_NEIGHBOR_ADVERT,
  ND_NEIGHBOR_SOLICIT,
  ND_OPT_SOURCE_LINKADDR,
  ND_OPT_TARGET_LINKADDR,
  ND_ROUTER_SOLICIT,
} from "../wire/icmpv6.js";
import { IPPROTO_ICMPV6 } from "../wire/ipv6.js";
import { SEND_NO_ROUTE, SEND_OK } from "./ipv4-stack.js";
import { Addrconf, ALL_NODES, type Inet6Address, scopeOf, solicitedNode } from "./ipv6-addrconf.js";
import { Ipv6AddressIds } from "./ipv6-address-ids.js";
import { Mld } from "./mld.js";
import type { NetNamespace } from "./namespace.js";
import {
  linkAddrOption,
  NA_OVERRIDE,
  NA_ROUTER,
  NA_SOLICITED,
  neighbourAdvert,
  neighbourSolicit,
} from "./ndisc.js";
import { type ArpIo, NEIGH_DEFAULTS, NeighbourTable, type NeighParams } from "./neighbour.js";
import { prefixMatches, type Route6, Route6Table } from "./route6-table.js";

export const IPV6_HLEN = 40;
const IPPROTO_HOPOPTS = 0;
const IPPROTO_UDP = 17;
const IPPROTO_TCP = 6;
/** The smallest MTU IPv6 runs on; an ICMPv6 error never exceeds it. */
export const IPV6_MIN_MTU = 1280;
/** Hop-by-Hop header with Router Alert (MLD) and PadN: next header, length 0, options. */
const ROUTER_ALERT = [0, 0, 5, 2, 0, 0, 1, 0];

/**
 * A local listener for an upper protocol: the packet, where its IPv6 header is, where its payload
 * starts (after a Hop-by-Hop header) and ends.
 */
export type Ipv6Handler = (pkt: Packet, ip: number, l4: number, end: number) => void;

export interface Send6Options {
  src?: Uint8Array;
  hopLimit?: number;
  /** The device to leave through (a link-local destination's zone, SO_BINDTODEVICE). */
  oif?: number;
  /** Where in the payload the upper protocol's checksum goes (computed over the pseudo-header). */
  checksumAt?: number;
}

function isMulticast(buf: Uint8Array, off: number): boolean {
  return buf[off] === 0xff;
}

function isUnspecified(buf: Uint8Array, off: number): boolean {
  for (let i = 0; i < 16; i++) if (buf[off + i] !== 0) return false;
  return true;
}

function isLinkLocal(buf: Uint8Array, off: number): boolean {
  return buf[off] === 0xfe && ((buf[off + 1] as number) & 0xc0) === 0x80;
}

/** 33:33 and the low 32 bits of the group (RFC 2464 §7). */
function multicastMac(buf: Uint8Array, off: number): number {
  return (
    0x3333 * 2 ** 32 +
    ((buf[off + 12] as number) * 2 ** 24 +
      ((buf[off + 13] as number) << 16) +
      ((buf[off + 14] as number) << 8) +
      (buf[off + 15] as number))
  );
}

/** The upper-layer checksum's pseudo-header sum, addresses read from the IPv6 header at `ip`. */
function pseudoSum(buf: Uint8Array, ip: number, length: number, nextHeader: number): number {
  let sum = 0;
  for (let i = 8; i < 40; i += 2) sum += u16(buf, ip + i);
  return sum + (length >>> 16) + (length & 0xffff) + nextHeader;
}

export class Ipv6Stack {
  readonly ids = new Ipv6AddressIds();
  readonly local = new Route6Table(255, "local");
  readonly main = new Route6Table(254, "main");
  readonly neigh: NeighbourTable<Packet>;
  readonly mld: Mld;
  readonly addrconf: Addrconf;
  readonly handlers = new Map<number, Ipv6Handler[]>();
  private readonly flowSeed: number;

  constructor(
    private readonly ns: NetNamespace,
    rng: Rng,
  ) {
    this.flowSeed = rng.int(0, 0xffffffff);
    this.mld = new Mld(ns.sim, rng.stream("mld"), {
      reportSource: (ifindex) => this.validLinkLocal(ifindex)?.address ?? new Uint8Array(16),
      sendReport: (ifindex, pkt, src) => {
        const dst = Uint8Array.of(0xff, 2, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0x16);
        this.sendOnLink(ifindex, pkt, src, dst, 1, true);
      },
      reportInterval: (ifindex) => {
        const dev = ns.devices.get(ifindex);
        return dev ? this.addrconf.conf(dev, "mldv2_unsolicited_report_interval") * 1_000_000 : 0;
      },
    });
    this.addrconf = new Addrconf(ns, this, this.mld, rng.stream("addrconf"));
    const io: ArpIo<Packet> = {
      sendRequest: (ifindex, id, unicastMac) => this.solicit(ifindex, id, unicastMac),
      transmit: (ifindex, pkt, mac) => this.ns.ipv4.transmitFrame(ifindex, pkt, mac, ETHERTYPE_IPV6),
      unreachable: (_ifindex, pkt) => this.icmpError(pkt, ICMPV6_DST_UNREACH, ICMPV6_ADDR_UNREACH, 0),
      size: (pkt) => pkt.length,
    };
    this.neigh = new NeighbourTable<Packet>(ns.sim, rng.stream("neigh"), io, (ifindex) =>
      this.neighParams(ifindex),
    );
  }

  listen(nextHeader: number, handler: Ipv6Handler): () => void {
    const list = this.handlers.get(nextHeader) ?? [];
    list.push(handler);
    this.handlers.set(nextHeader, list);
    return () => list.splice(list.indexOf(handler), 1);
  }

  /** net.ipv6.neigh.DEV.* as the NUD machine reads them. */
  private neighParams(ifindex: number): NeighParams {
    const dev = this.ns.devices.get(ifindex);
    if (!dev || !this.ns.sysctl.has(`net.ipv6.neigh.${dev.name}.retrans_time_ms`)) return NEIGH_DEFAULTS;
    const n = (k: string) => this.ns.sysctl.number(`net.ipv6.neigh.${dev.name}.${k}`);
    return {
      baseReachableTime: n("base_reachable_time_ms") * 1_000_000,
      delayFirstProbeTime: n("delay_first_probe_time") * 1_000_000_000,
      retransTime: n("retrans_time_ms") * 1_000_000,
      ucastSolicit: n("ucast_solicit"),
      mcastSolicit: n("mcast_solicit"),
      unresQlenBytes: n("unres_qlen_bytes"),
    };
  }

  retransTime(ifindex: number): number {
    return this.neighParams(ifindex).retransTime;
  }

  /** A device's first valid link-local address. */
  validLinkLocal(ifindex: number): Inet6Address | undefined {
    return this.addrconf.addresses.find(
      (a) => a.ifindex === ifindex && a.scope === "link" && !a.tentative && !a.dadFailed,
    );
  }

  /** The valid local address at `buf`/`off` (on any device: the weak host model), if it is one. */
  localAddress(buf: Uint8Array, off: number): Inet6Address | undefined {
    for (const a of this.addrconf.addresses) {
      if (a.tentative || a.dadFailed) continue;
      if (prefixMatches(buf, off, a.address, 128)) return a;
    }
    return undefined;
  }

  /**
   * The route a packet to `dst` takes: a local destination goes through loopback; a multicast
   * one through `oif` (or the first device with the multicast route).
   */
  routeFor(dst: Uint8Array, oif = 0): Route6 | undefined {
    const local = this.localAddress(dst, 0);
    if (local) return this.local.lookup(dst, 0, 0);
    if (isMulticast(dst, 0)) return this.local.lookup(dst, 0, oif);
    if (isLinkLocal(dst, 0) && oif === 0) return this.main.lookup(dst, 0, 0);
    return this.main.lookup(dst, 0, oif);
  }

  /** Why a packet to `dst` cannot be sent, as the errno a program sees; undefined when it can. */
  routeErrno(dst: Uint8Array, oif = 0): "ENETUNREACH" | "EHOSTUNREACH" | "EINVAL" | "EACCES" | undefined {
    const route = this.routeFor(dst, oif);
    if (route === undefined) return "ENETUNREACH";
    if (route.type === "unreachable") return "ENETUNREACH";
    if (route.type === "blackhole") return "EINVAL";
    if (route.type === "prohibit") return "EACCES";
    return undefined;
  }

  /** Source address selection for `dst` leaving through `oif` (0: by route). */
  sourceFor(dst: Uint8Array, oif = 0): Uint8Array | undefined {
    const local = this.localAddress(dst, 0);
    if (local) return local.address;
    const route = this.routeFor(dst, oif);
    if (route?.prefsrc) return route.prefsrc;
    const out = oif || route?.ifindex || 0;
    const dstScope = scopeOf(dst);
    let best: Inet6Address | undefined;
    let bestScore = -1;
    for (const a of this.addrconf.addresses) {
      if (a.tentative || a.dadFailed || a.scope === "host") continue;
      if (dstScope === "link" && (a.scope !== "link" || a.ifindex !== out)) continue;
      let common = 0;
      while (common < 128 && prefixMatches(dst, 0, a.address, common + 1)) common++;
      const score = (a.scope === dstScope ? 1 << 16 : 0) + (a.ifindex === out ? 1 << 8 : 0) + common;
      if (score > bestScore) {
        best = a;
        bestScore = score;
      }
    }
    return best?.address;
  }

  /** A frame from a device, Ethernet header pulled. */
  receive(dev: NetDevice, pkt: Packet): void {
    if (!this.addrconf.isRunning(dev.ifindex)) return;
    const buf = pkt.buf;
    const h = pkt.head;
    if (pkt.length < IPV6_HLEN || (buf[h] as number) >>> 4 !== 6) return;
    const end = h + IPV6_HLEN + u16(buf, h + 4);
    if (end > pkt.tail) return;
    pkt.tail = end; // drop Ethernet padding
    // (A frame br_netfilter took through PREROUTING in the bridge is not hooked again.)
    const nf = this.ns.netfilter6;
    const bridged = pkt.bridgedNf;
    pkt.bridgedNf = false;
    if (nf.active && !bridged && nf.hook(NF_PREROUTING, pkt, dev.name, "") === NF_DROP) return;
    const dst = h + 24;
    if (isMulticast(buf, dst)) {
      if (this.mld.isMember(dev.ifindex, buf, dst)) this.deliver(dev, pkt, true);
      return;
    }
    if (dev === this.ns.lo || this.localAddress(buf, dst)) {
      this.deliver(dev, pkt, false);
      return;
    }
    if (this.ns.sysctl.get("net.ipv6.conf.all.forwarding") !== "0") this.forward(dev, pkt);
  }

  private deliver(dev: NetDevice, pkt: Packet, multicast: boolean): void {
    const nf = this.ns.netfilter6;
    if (nf.active && nf.hook(NF_INPUT, pkt, dev.name, "") === NF_DROP) return;
    const buf = pkt.buf;
    const h = pkt.head;
    let nextHeader = buf[h + 6] as number;
    let l4 = h + IPV6_HLEN;
    if (nextHeader === IPPROTO_HOPOPTS) {
      if (l4 + 8 > pkt.tail) return;
      nextHeader = buf[l4] as number;
      l4 += ((buf[l4 + 1] as number) + 1) * 8;
      if (l4 > pkt.tail) return;
    }
    const end = pkt.tail;
    if (nextHeader === IPPROTO_ICMPV6) {
      if (end - l4 < 4 || checksum(buf, l4, end - l4, pseudoSum(buf, h, end - l4, IPPROTO_ICMPV6)) !== 0)
        return;
      const type = buf[l4] as number;
      if (type === ICMPV6_ECHO_REQUEST) {
        this.answerEcho(dev, pkt, l4, multicast);
        return;
      }
      if (type === ND_NEIGHBOR_SOLICIT) {
        this.neighbourSolicitation(dev, pkt, l4);
        return;
      }
      if (type === ND_NEIGHBOR_ADVERT) {
        this.neighbourAdvertisement(dev, pkt, l4);
        return;
      }
      if (type === ND_ROUTER_SOLICIT) {
        this.routerSolicitation(dev, pkt, l4);
        return;
      }
      if (type >= 130 && type !== ICMPV6_ECHO_REPLY) return; // MLD, RS, RA, redirects: not for us
    }
    // The transport tables are made on first use: a segment or datagram is one.
    if (nextHeader === IPPROTO_TCP || nextHeader === IPPROTO_UDP) this.ns.ensureTransport6(nextHeader);
    const list = this.handlers.get(nextHeader);
    if (list && list.length > 0) for (const handler of [...list]) handler(pkt, h, l4, end);
  }

  /** icmpv6_echo_reply: same id, sequence and data, from the address asked (unless multicast). */
  private answerEcho(dev: NetDevice, pkt: Packet, l4: number, multicast: boolean): void {
    if (this.ns.sysctl.get("net.ipv6.icmp.echo_ignore_all") !== "0") return;
    const buf = pkt.buf;
    const h = pkt.head;
    const reply = Packet.from(buf.subarray(l4, pkt.tail));
    reply.buf[reply.head] = ICMPV6_ECHO_REPLY;
    const to = buf.slice(h + 8, h + 24);
    const src = multicast ? undefined : buf.slice(h + 24, h + 40);
    const oif = isLinkLocal(to, 0) ? dev.ifindex : 0;
    this.send(reply, IPPROTO_ICMPV6, to, { ...(src ? { src } : {}), oif, checksumAt: 2 });
  }

  private neighbourSolicitation(dev: NetDevice, pkt: Packet, l4: number): void {
    const buf = pkt.buf;
    const h = pkt.head;
    if (buf[h + 7] !== 255 || pkt.tail - l4 < 24) return;
    const target = buf.slice(l4 + 8, l4 + 24);
    const mine = this.addrconf.find(dev.ifindex, target);
    if (!mine) return;
    const slla = linkAddrOption(buf, l4 + 24, pkt.tail, ND_OPT_SOURCE_LINKADDR);
    const forwarding = this.addrconf.conf(dev, "forwarding") !== 0;
    if (isUnspecified(buf, h + 8)) {
      // Duplicate address detection by someone else.
      if (mine.tentative) {
        if (!mine.dadFailed) this.addrconf.dadFailed(mine, slla >= 0 ? slla : 0);
        return;
      }
      this.advertiseToAll(dev, target);
      return;
    }
    if (mine.tentative) return;
    const from = buf.slice(h + 8, h + 24);
    if (slla >= 0) this.neigh.heardRequest(dev.ifindex, this.ids.idOf(from, 0), slla);
    const toGroup = isMulticast(buf, h + 24);
    const flags = (forwarding ? NA_ROUTER : 0) | NA_SOLICITED | (toGroup ? NA_OVERRIDE : 0);
    const na = neighbourAdvert(target, flags, toGroup, dev.mac, target, from);
    this.sendOnLink(dev.ifindex, na, target, from, 255);
  }

  /**
   * An unsolicited neighbour advertisement of our `address` on `ifindex` to all nodes (override
   * set, with our link-layer address), as Docker 28's osl sends when it configures an interface.
   */
  announce(ifindex: number, address: Uint8Array): void {
    const dev = this.ns.devices.get(ifindex);
    if (dev?.running && this.addrconf.find(ifindex, address)) this.advertiseToAll(dev, address);
  }

  /** An advertisement of our `address` to all nodes: override set, router flag when forwarding. */
  private advertiseToAll(dev: NetDevice, address: Uint8Array): void {
    const forwarding = this.addrconf.conf(dev, "forwarding") !== 0;
    const flags = (forwarding ? NA_ROUTER : 0) | NA_OVERRIDE;
    this.sendOnLink(
      dev.ifindex,
      neighbourAdvert(address, flags, true, dev.mac, address, ALL_NODES),
      address,
      ALL_NODES,
      255,
    );
  }

  private neighbourAdvertisement(dev: NetDevice, pkt: Packet, l4: number): void {
    const buf = pkt.buf;
    if (buf[pkt.head + 7] !== 255 || pkt.tail - l4 < 24) return;
    const flags = (buf[l4 + 4] as number) << 24;
    const tlla = linkAddrOption(buf, l4 + 24, pkt.tail, ND_OPT_TARGET_LINKADDR);
    const mine = this.addrconf.find(dev.ifindex, buf.subarray(l4 + 8, l4 + 24));
    if (mine?.tentative) {
      if (!mine.dadFailed) this.addrconf.dadFailed(mine, tlla >= 0 ? tlla : 0);
      return;
    }
    const id = this.ids.idOf(buf, l4 + 8);
    const n = this.neigh.get(dev.ifindex, id);
    if (!n) return;
    if (flags & NA_SOLICITED) {
      this.neigh.confirm(dev.ifindex, id, tlla >= 0 ? tlla : n.mac);
      n.router = (flags & NA_ROUTER) !== 0;
    } else if (tlla >= 0 && tlla !== n.mac && flags & NA_OVERRIDE) {
      this.neigh.heardRequest(dev.ifindex, id, tlla);
    }
  }

  /** ndisc_recv_rs: a router learns the soliciting host's link-layer address (a STALE entry). */
  private routerSolicitation(dev: NetDevice, pkt: Packet, l4: number): void {
    const buf = pkt.buf;
    const h = pkt.head;
    if (buf[h + 7] !== 255 || this.addrconf.conf(dev, "forwarding") === 0 || isUnspecified(buf, h + 8))
      return;
    const slla = linkAddrOption(buf, l4 + 8, pkt.tail, ND_OPT_SOURCE_LINKADDR);
    if (slla >= 0) this.neigh.heardRequest(dev.ifindex, this.ids.idOf(buf, h + 8), slla);
  }

  /** ndisc_solicit: ask for neighbour `id` (multicast, or unicast to `unicastMac` when probing). */
  private solicit(ifindex: number, id: number, unicastMac: number | undefined): void {
    const dev = this.ns.devices.get(ifindex);
    if (!dev) return;
    const target = this.ids.address(id);
    // From the waiting packet's source when that is ours, else from the link-local address.
    const waiting = this.neigh.get(ifindex, id)?.queue.at(-1);
    let src: Uint8Array | undefined =
      waiting && this.localAddress(waiting.buf, waiting.head + 8)
        ? waiting.buf.slice(waiting.head + 8, waiting.head + 24)
        : undefined;
    src ??= this.validLinkLocal(ifindex)?.address;
    if (!src) return;
    const dst = unicastMac === undefined ? solicitedNode(target) : target;
    this.sendOnLink(
      ifindex,
      neighbourSolicit(target, src, dst, dev.mac, undefined),
      src,
      dst,
      255,
      false,
      unicastMac,
    );
  }

  /** The automatic flow label of a flow (ip6_make_flowlabel with auto_flowlabels). */
  private flowLabel(buf: Uint8Array, ip: number, nextHeader: number): number {
    if (this.ns.sysctl.get("net.ipv6.auto_flowlabels") === "0") return 0;
    let h = this.flowSeed ^ nextHeader;
    // The flow's keys: addresses, and for TCP and UDP the ports, so each connection has its own.
    const end = nextHeader === IPPROTO_TCP || nextHeader === IPPROTO_UDP ? 44 : 40;
    for (let i = 8; i < end; i++) h = Math.imul(h ^ (buf[ip + i] as number), 0x01000193);
    h ^= h >>> 15;
    h = Math.imul(h, 0x2c1b3c6d);
    h ^= h >>> 12;
    return h & 0xfffff || 1;
  }

  private writeHeader(
    pkt: Packet,
    nextHeader: number,
    hopLimit: number,
    src: Uint8Array,
    dst: Uint8Array,
  ): number {
    const length = pkt.length;
    const off = pkt.push(IPV6_HLEN);
    const b = pkt.buf;
    put32(b, off, 0x60000000);
    put16(b, off + 4, length);
    b[off + 6] = nextHeader;
    b[off + 7] = hopLimit;
    b.set(src, off + 8);
    b.set(dst, off + 24);
    return off;
  }

  /**
   * Send an IPv6 packet whose payload is `pkt`'s data: route, source, header, checksum, next hop.
   * Returns SEND_OK, SEND_NO_ROUTE, or the MTU the packet exceeds.
   */
  send(pkt: Packet, nextHeader: number, dst: Uint8Array, opts: Send6Options = {}): number {
    const route = this.routeFor(dst, opts.oif ?? 0);
    if (route === undefined || this.routeErrno(dst, opts.oif ?? 0) !== undefined) return SEND_NO_ROUTE;
    const local = route.type === "local";
    const ifindex = local ? this.ns.lo.ifindex : route.ifindex || (opts.oif ?? 0);
    const dev = this.ns.devices.get(ifindex);
    const src = opts.src ?? this.sourceFor(dst, local ? 0 : ifindex);
    if (!dev || !src) return SEND_NO_ROUTE;
    if (pkt.length + IPV6_HLEN > dev.mtu) return dev.mtu;
    const devConf = this.ns.sysctl.has(`net.ipv6.conf.${dev.name}.hop_limit`)
      ? this.addrconf.conf(dev, "hop_limit")
      : 64;
    const length = pkt.length;
    const off = this.writeHeader(pkt, nextHeader, opts.hopLimit ?? devConf, src, dst);
    put32(pkt.buf, off, 0x60000000 | this.flowLabel(pkt.buf, off, nextHeader));
    if (opts.checksumAt !== undefined) {
      const at = off + IPV6_HLEN + opts.checksumAt;
      put16(pkt.buf, at, 0);
      const sum = checksum(pkt.buf, off + IPV6_HLEN, length, pseudoSum(pkt.buf, off, length, nextHeader));
      put16(pkt.buf, at, sum === 0 && nextHeader === IPPROTO_UDP ? 0xffff : sum);
    }
    const nf = this.ns.netfilter6;
    if (nf.active) {
      if (nf.hook(NF_OUTPUT, pkt, "", dev.name) === NF_DROP) return SEND_OK;
      // A DNAT in OUTPUT changed the destination: route again (ip6_route_me_harder).
      if (!prefixMatches(pkt.buf, off + 24, dst, 128)) {
        const natDst = pkt.buf.slice(off + 24, off + 40);
        const again = this.routeFor(natDst, opts.oif ?? 0);
        if (again === undefined || this.routeErrno(natDst, opts.oif ?? 0) !== undefined) return SEND_NO_ROUTE;
        const out = again.type === "local" ? this.ns.lo.ifindex : again.ifindex || (opts.oif ?? 0);
        this.output(pkt, again.gateway ?? natDst, out);
        return SEND_OK;
      }
    }
    this.output(pkt, route.gateway ?? dst, ifindex);
    return SEND_OK;
  }

  /**
   * Send a kernel message (neighbour discovery, MLD) from `src` to `dst` on one device: flow
   * label 0, a Router Alert Hop-by-Hop header when asked, to `mac` when given.
   */
  sendOnLink(
    ifindex: number,
    pkt: Packet,
    src: Uint8Array,
    dst: Uint8Array,
    hopLimit: number,
    routerAlert = false,
    mac?: number,
  ): void {
    if (routerAlert) {
      const at = pkt.push(8);
      pkt.buf.set(ROUTER_ALERT, at);
      pkt.buf[at] = IPPROTO_ICMPV6;
    }
    this.writeHeader(pkt, routerAlert ? IPPROTO_HOPOPTS : IPPROTO_ICMPV6, hopLimit, src, dst);
    const nf = this.ns.netfilter6;
    if (mac !== undefined) {
      if (nf.active) {
        const name = this.ns.devices.get(ifindex)?.name ?? "";
        if (nf.hook(NF_OUTPUT, pkt, "", name) === NF_DROP) return;
        if (nf.hook(NF_POSTROUTING, pkt, "", name) === NF_DROP) return;
      }
      this.ns.ipv4.transmitFrame(ifindex, pkt, mac, ETHERTYPE_IPV6);
    } else {
      if (nf.active && nf.hook(NF_OUTPUT, pkt, "", this.ns.devices.get(ifindex)?.name ?? "") === NF_DROP)
        return;
      this.output(pkt, dst, ifindex);
    }
  }

  /** Hand a finished packet to `nexthop` on `ifindex`. */
  private output(pkt: Packet, nexthop: Uint8Array, ifindex: number): void {
    const dev = this.ns.devices.get(ifindex);
    if (!dev?.running) return;
    const nf = this.ns.netfilter6;
    if (nf.active && nf.hook(NF_POSTROUTING, pkt, "", dev.name) === NF_DROP) return;
    if (dev === this.ns.lo || dev.noArp) {
      this.ns.ipv4.transmitFrame(ifindex, pkt, dev.mac, ETHERTYPE_IPV6);
      return;
    }
    if (isMulticast(nexthop, 0)) {
      this.ns.ipv4.transmitFrame(ifindex, pkt, multicastMac(nexthop, 0), ETHERTYPE_IPV6);
      return;
    }
    this.neigh.output(ifindex, this.ids.idOf(nexthop, 0), pkt);
  }

  private forward(dev: NetDevice, pkt: Packet): void {
    const buf = pkt.buf;
    const h = pkt.head;
    if (isLinkLocal(buf, h + 24) || isLinkLocal(buf, h + 8)) return;
    if ((buf[h + 7] as number) <= 1) {
      this.icmpError(pkt, ICMPV6_TIME_EXCEEDED, 0, 0);
      return;
    }
    const route = this.main.lookup(buf, h + 24);
    if (route === undefined || route.type !== "unicast") {
      if (route?.type !== "blackhole")
        this.icmpError(pkt, ICMPV6_DST_UNREACH, route?.type === "prohibit" ? 1 : ICMPV6_NOROUTE, 0);
      return;
    }
    const out = this.ns.devices.get(route.ifindex);
    if (!out) return;
    if (pkt.length > out.mtu) {
      this.icmpError(pkt, ICMPV6_PACKET_TOO_BIG, 0, out.mtu);
      return;
    }
    buf[h + 7] = (buf[h + 7] as number) - 1;
    const nf = this.ns.netfilter6;
    if (nf.active && nf.hook(NF_FORWARD, pkt, dev.name, out.name) === NF_DROP) return;
    this.output(pkt, route.gateway ?? buf.slice(h + 24, h + 40), route.ifindex);
  }

  /** `-m addrtype`'s type of an address: LOCAL (ours or ::1), MULTICAST, UNSPEC (::) or UNICAST. */
  addressType(addr: Uint8Array): string {
    if (isMulticast(addr, 0)) return "MULTICAST";
    if (isUnspecified(addr, 0)) return "UNSPEC";
    let loopback = addr[15] === 1;
    for (let i = 0; i < 15; i++) if (addr[i] !== 0) loopback = false;
    return loopback || this.localAddress(addr, 0) ? "LOCAL" : "UNICAST";
  }

  /** REJECT's answer (nf_send_unreach6): a destination unreachable error with the chosen code. */
  reject(pkt: Packet, how: string): void {
    const codes: Record<string, number> = {
      "icmp6-no-route": ICMPV6_NOROUTE,
      "icmp6-adm-prohibited": 1,
      "icmp6-addr-unreachable": ICMPV6_ADDR_UNREACH,
      "icmp6-port-unreachable": ICMPV6_PORT_UNREACH,
      "icmp6-policy-fail": 5,
      "icmp6-reject-route": 6,
    };
    const code = codes[how];
    if (code !== undefined) this.icmpError(pkt, ICMPV6_DST_UNREACH, code, 0);
  }

  /**
   * icmp6_send: an error about `pkt` (head at its IPv6 header) to its source, quoting as much as
   * fits in 1280 bytes. Never about an error, nor to `::` or a group, nor (but packet too big)
   * about a packet sent to a group.
   */
  icmpError(pkt: Packet, type: number, code: number, info: number): void {
    const buf = pkt.buf;
    const h = pkt.head;
    if (isUnspecified(buf, h + 8) || isMulticast(buf, h + 8)) return;
    if (isMulticast(buf, h + 24) && type !== ICMPV6_PACKET_TOO_BIG) return;
    if (buf[h + 6] === IPPROTO_ICMPV6 && (buf[h + IPV6_HLEN] as number) < 128) return;
    const to = buf.slice(h + 8, h + 24);
    const mine = this.localAddress(buf, h + 24);
    const src = mine ? mine.address : this.sourceFor(to);
    if (!src) return;
    const quoted = Math.min(pkt.length, IPV6_MIN_MTU - IPV6_HLEN - 8);
    const err = Packet.alloc(8 + quoted);
    const b = err.buf;
    b[err.head] = type;
    b[err.head + 1] = code;
    put32(b, err.head + 4, info);
    b.set(buf.subarray(h, h + quoted), err.head + 8);
    this.send(err, IPPROTO_ICMPV6, to, { src, checksumAt: 2 });
  }
}
