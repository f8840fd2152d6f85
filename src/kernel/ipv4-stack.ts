/**
 * The IPv4 stack of one namespace (net/ipv4/ip_input.c, ip_output.c, ip_forward.c, arp.c,
 * icmp.c): frames from devices are demultiplexed to ARP or IPv4; ARP requests for a local address
 * are answered (arp_ignore=0) and teach the neighbour table; IPv4 packets are delivered locally
 * (ICMP echo answered by the kernel, other ICMP and UDP handed to listeners), forwarded when
 * ip_forward is on (TTL decrement, time exceeded, need-to-frag) or dropped; output routes a packet,
 * resolves the next hop and pushes the Ethernet header.
 *
 * Deviations for now: no netfilter hooks yet, no rp_filter, no IP options processing.
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
import { put16, put32, put48, u16, u32, u48 } from "../util/bytes.js";
import { checksum } from "../util/checksum.js";
import { isMulticastMac, MAC_BROADCAST, MAC_ZERO } from "../util/mac-address.js";
import type { Rng } from "../util/rng.js";
import { ARP_LEN, ARP_REPLY, ARP_REQUEST, ArpView, emitArp } from "../wire/arp.js";
import { ETH_HEADER_LEN, ETHERTYPE_ARP, ETHERTYPE_IPV4, ETHERTYPE_IPV6 } from "../wire/ethernet.js";
import {
  ICMP_DEST_UNREACH,
  ICMP_ECHO_REPLY,
  ICMP_ECHO_REQUEST,
  ICMP_EXC_FRAGTIME,
  ICMP_EXC_TTL,
  ICMP_FRAG_NEEDED,
  ICMP_HEADER_LEN,
  ICMP_HOST_UNREACH,
  ICMP_NET_UNREACH,
  ICMP_PORT_UNREACH,
  ICMP_TIME_EXCEEDED,
  IcmpView,
} from "../wire/icmpv4.js";
import { IPPROTO_ICMP, IPV4_MIN_HEADER_LEN, Ipv4View, writeIpv4Header } from "../wire/ipv4.js";
import { IpIdGenerator } from "./ip-id.js";
import { fragment, Reassembler } from "./ipv4-fragment.js";
import type { NetNamespace } from "./namespace.js";
import type { ArpIo } from "./neighbour.js";

export const IP_DF = 0x4000;
export const DEFAULT_TTL = 64;
/** The smallest MTU IPv4 runs on (RFC 791's 68; inetdev_valid_mtu). */
export const IPV4_MIN_MTU = 68;
/** `send` results: 0 sent; SEND_NO_ROUTE; any positive value is the MTU a DF datagram exceeded (EMSGSIZE). */
export const SEND_OK = 0;
export const SEND_NO_ROUTE = -1;

/** A local listener for an IP protocol: gets the packet with `head` at the IPv4 header. */
export type ProtocolHandler = (pkt: Packet, ip: Ipv4View) => void;

export interface SendOptions {
  ttl?: number;
  /**
   * Path-MTU discovery mode (IP_MTU_DISCOVER): "want" (default) sets DF but fragments locally when
   * the datagram exceeds the device MTU, "do" refuses with EMSGSIZE, "dont" never sets DF.
   */
  pmtu?: "want" | "do" | "dont";
  id?: number;
  tos?: number;
  /** Source address; chosen from the route when absent. */
  src?: number;
}

export class Ipv4Stack {
  /** Per-protocol listeners (ping sockets for ICMP, UDP sockets, ...). */
  readonly handlers = new Map<number, ProtocolHandler[]>();
  readonly ids: IpIdGenerator;
  readonly arpIo: ArpIo<Packet>;
  private readonly ip = new Ipv4View();
  private readonly arp = new ArpView();
  private readonly icmp = new IcmpView();
  private readonly reassembler: Reassembler;
  /** ICMP error rate-limit state per destination (inet_peer). */
  private readonly peers = new Map<number, { tokens: number; last: number }>();

  constructor(
    private readonly ns: NetNamespace,
    rng: Rng,
  ) {
    this.ids = new IpIdGenerator(rng);
    this.reassembler = new Reassembler(ns.sim, (first) =>
      this.icmpError(first, ICMP_TIME_EXCEEDED, ICMP_EXC_FRAGTIME, 0),
    );
    this.arpIo = {
      sendRequest: (ifindex, target, unicastMac) => this.sendArp(ifindex, ARP_REQUEST, target, unicastMac),
      transmit: (ifindex, pkt, mac) => this.transmitFrame(ifindex, pkt, mac, ETHERTYPE_IPV4),
      unreachable: (_ifindex, pkt) => this.icmpError(pkt, ICMP_DEST_UNREACH, ICMP_HOST_UNREACH, 0),
      size: (pkt) => pkt.length,
    };
  }

  listen(protocol: number, handler: ProtocolHandler): () => void {
    const list = this.handlers.get(protocol) ?? [];
    list.push(handler);
    this.handlers.set(protocol, list);
    return () => list.splice(list.indexOf(handler), 1);
  }

  /**
   * Why a packet to `dst` cannot be sent (ip_route_output), as the errno a program sees: no route
   * (ENETUNREACH), an `unreachable` route (EHOSTUNREACH), `blackhole` (EINVAL), `prohibit`
   * (EACCES); undefined when it can.
   */
  routeErrno(dst: number): "ENETUNREACH" | "EHOSTUNREACH" | "EINVAL" | "EACCES" | undefined {
    const route = this.ns.isLocal(dst) ? this.ns.local.lookup(dst) : this.ns.main.lookup(dst);
    if (route === undefined) return "ENETUNREACH";
    if (route.type === "unreachable") return "EHOSTUNREACH";
    if (route.type === "blackhole") return "EINVAL";
    if (route.type === "prohibit") return "EACCES";
    return undefined;
  }

  /** The source address for a packet to `dst`: the route's preferred source or the device's. */
  sourceFor(dst: number): number {
    const route = this.ns.isLocal(dst) ? this.ns.local.lookup(dst) : this.ns.main.lookup(dst);
    if (!route) return 0;
    return (
      route.prefsrc || this.ns.sourceFor(route.type === "local" ? this.ns.lo.ifindex : route.ifindex, dst)
    );
  }

  /** A frame from a device (the device's rx handler); IPv6 frames go on to the IPv6 stack. */
  receive(dev: NetDevice, pkt: Packet): void {
    const buf = pkt.buf;
    if (pkt.length < ETH_HEADER_LEN) return;
    const dst = u48(buf, pkt.head);
    // Frames for another host (seen by a promiscuous port) are not ours.
    if (dst !== dev.mac && !isMulticastMac(dst)) return;
    const type = u16(buf, pkt.head + 12);
    pkt.pull(ETH_HEADER_LEN);
    if (type === ETHERTYPE_ARP) this.arpReceive(dev, pkt);
    else if (type === ETHERTYPE_IPV4) this.ipReceive(dev, pkt);
    else if (type === ETHERTYPE_IPV6) this.ns.ipv6.receive(dev, pkt);
  }

  /**
   * Send an IPv4 packet whose payload (L4 header + data) is `pkt`'s data: route, add the IP
   * header, fragment if it is too big and DF is clear, resolve the next hop, transmit. Returns
   * SEND_OK, SEND_NO_ROUTE, or the device MTU a DF datagram would exceed.
   */
  send(pkt: Packet, protocol: number, dst: number, opts: SendOptions = {}): number {
    const route = this.ns.isLocal(dst) ? this.ns.local.lookup(dst) : this.ns.main.lookup(dst);
    if (route === undefined || this.routeErrno(dst) !== undefined) return SEND_NO_ROUTE;
    const ifindex = route.type === "local" ? this.ns.lo.ifindex : route.ifindex;
    const src = opts.src ?? (route.prefsrc || this.ns.sourceFor(ifindex, dst));
    const mtu = this.ns.devices.get(ifindex)?.mtu ?? 0;
    const mode = opts.pmtu ?? "want";
    const tooBig = pkt.length + IPV4_MIN_HEADER_LEN > mtu;
    if (tooBig && mode === "do") return mtu;
    const flags = mode === "dont" || tooBig ? 0 : IP_DF;
    const off = pkt.push(IPV4_MIN_HEADER_LEN);
    const id = opts.id ?? this.ids.take(dst, src, protocol, this.ns.sim.now);
    writeIpv4Header(
      pkt.buf,
      off,
      pkt.length,
      id,
      flags,
      opts.ttl ?? DEFAULT_TTL,
      protocol,
      src,
      dst,
      opts.tos ?? 0,
    );
    let out = route;
    let outIfindex = ifindex;
    const nf = this.ns.netfilter;
    if (nf.active) {
      if (nf.hook(NF_OUTPUT, pkt, "", this.ns.devices.get(ifindex)?.name ?? "") === NF_DROP) return SEND_OK;
      // A DNAT in OUTPUT changed the destination: route again (ip_route_me_harder).
      const natDst = u32(pkt.buf, off + 16);
      if (natDst !== dst) {
        const again = this.ns.isLocal(natDst) ? this.ns.local.lookup(natDst) : this.ns.main.lookup(natDst);
        if (again === undefined) return SEND_NO_ROUTE;
        out = again;
        outIfindex = again.type === "local" ? this.ns.lo.ifindex : again.ifindex;
      }
      if (nf.hook(NF_POSTROUTING, pkt, "", this.ns.devices.get(outIfindex)?.name ?? "") === NF_DROP)
        return SEND_OK;
    }
    const nexthop = out.gateway || u32(pkt.buf, off + 16);
    if (tooBig) for (const f of fragment(pkt, mtu)) this.output(f, nexthop, outIfindex);
    else this.output(pkt, nexthop, outIfindex);
    return SEND_OK;
  }

  /** Hand a finished IPv4 packet to the next hop `nexthop` on `ifindex`. */
  private output(pkt: Packet, nexthop: number, ifindex: number): void {
    const dev = this.ns.devices.get(ifindex);
    if (!dev?.running) return;
    if (this.ns.isBroadcast(nexthop) && dev !== this.ns.lo) {
      // A subnet or limited broadcast goes out to everyone, and the sender hears its own copy
      // (ip_mc_output loops broadcasts back).
      this.transmitFrame(ifindex, pkt.copy(), MAC_BROADCAST, ETHERTYPE_IPV4);
      this.ns.sim.scheduleAfter(0, (p: Packet) => this.ipReceive(this.ns.lo, p), pkt);
      return;
    }
    if (dev === this.ns.lo || dev.noArp) {
      // arp_constructor: a NOARP (or loopback) neighbour's address is the device's own.
      this.transmitFrame(ifindex, pkt, dev.mac, ETHERTYPE_IPV4);
      return;
    }
    this.ns.neigh.output(ifindex, nexthop, pkt);
  }

  /** Push the Ethernet header (dst `mac`, src the device's MAC) and transmit (dev_hard_header). */
  transmitFrame(ifindex: number, pkt: Packet, mac: number, etherType: number): void {
    const dev = this.ns.devices.get(ifindex);
    if (!dev) return;
    const off = pkt.push(ETH_HEADER_LEN);
    put48(pkt.buf, off, mac);
    put48(pkt.buf, off + 6, pkt.bridgeSrcMac >= 0 ? pkt.bridgeSrcMac : dev.mac);
    pkt.bridgeSrcMac = -1;
    put16(pkt.buf, off + 12, etherType);
    dev.transmit(pkt);
  }

  /** A gratuitous ARP request for our own `address` (arp_notify, `arping -U`). */
  announce(ifindex: number, address: number): void {
    this.sendArp(ifindex, ARP_REQUEST, address, undefined);
  }

  private sendArp(ifindex: number, op: number, target: number, targetMac: number | undefined): void {
    const dev = this.ns.devices.get(ifindex);
    if (!dev) return;
    const pkt = Packet.alloc(ARP_LEN);
    const sender = this.ns.sourceFor(ifindex, target);
    emitArp(
      {
        op,
        senderMac: dev.mac,
        senderIp: sender,
        targetMac: op === ARP_REQUEST ? MAC_ZERO : (targetMac ?? 0),
        targetIp: target,
      },
      pkt.buf,
      pkt.head,
    );
    this.transmitFrame(ifindex, pkt, targetMac ?? MAC_BROADCAST, ETHERTYPE_ARP);
  }

  private arpReceive(dev: NetDevice, pkt: Packet): void {
    let arp: ArpView;
    try {
      arp = this.arp.wrap(pkt.buf, pkt.head, pkt.tail);
    } catch {
      return;
    }
    const senderIp = arp.senderIp;
    const senderMac = arp.senderMac;
    const targetIp = arp.targetIp;
    if (arp.op === ARP_REPLY) {
      this.ns.neigh.confirm(dev.ifindex, senderIp, senderMac);
      return;
    }
    if (arp.op !== ARP_REQUEST || !this.ns.isLocal(targetIp) || senderIp === 0) return;
    this.ns.neigh.heardRequest(dev.ifindex, senderIp, senderMac);
    const reply = Packet.alloc(ARP_LEN);
    emitArp(
      { op: ARP_REPLY, senderMac: dev.mac, senderIp: targetIp, targetMac: senderMac, targetIp: senderIp },
      reply.buf,
      reply.head,
    );
    this.transmitFrame(dev.ifindex, reply, senderMac, ETHERTYPE_ARP);
  }

  private ipReceive(dev: NetDevice, pkt: Packet): void {
    let ip: Ipv4View;
    try {
      ip = this.ip.wrap(pkt.buf, pkt.head, pkt.tail);
    } catch {
      return;
    }
    if (!ip.checksumValid) return;
    pkt.tail = pkt.head + ip.totalLength; // drop Ethernet padding
    const nf = this.ns.netfilter;
    // (A frame br_netfilter already took through PREROUTING in the bridge is not hooked again;
    // the mark is cleared so that the packet, once forwarded, is hooked in the next namespace.)
    const bridged = pkt.bridgedNf;
    pkt.bridgedNf = false;
    if (nf.active && !bridged && nf.hook(NF_PREROUTING, pkt, dev.name, "") === NF_DROP) return;
    if (dev !== this.ns.lo && !this.reversePathOk(dev, ip.src)) return;
    const dst = ip.dst;
    if (this.ns.isLocal(dst)) {
      if (ip.mf || ip.fragmentOffset !== 0) {
        const whole = this.reassembler.add(pkt);
        if (whole) this.deliverLocal(whole, new Ipv4View().wrap(whole.buf, whole.head, whole.tail), dev);
        return;
      }
      this.deliverLocal(pkt, ip, dev);
      return;
    }
    if (!this.ns.ipForward || dev === this.ns.lo) return;
    this.forward(pkt, ip, dev);
  }

  /**
   * rp_filter (fib_validate_source): 0 accepts everything; 1 (strict) wants the route back to the
   * source to leave through the interface the packet came in on; 2 (loose) wants any route back.
   */
  private reversePathOk(dev: NetDevice, src: number): boolean {
    const mode = this.ns.rpFilter(dev);
    if (mode === 0 || src === 0) return true;
    const back = this.ns.main.lookup(src);
    if (back === undefined || back.type !== "unicast") return false;
    return mode === 2 || back.ifindex === dev.ifindex;
  }

  private deliverLocal(pkt: Packet, ip: Ipv4View, dev: NetDevice): void {
    const nf = this.ns.netfilter;
    if (nf.active && nf.hook(NF_INPUT, pkt, dev.name, "") === NF_DROP) return;
    const protocol = ip.protocol;
    if (protocol === IPPROTO_ICMP && this.answerEcho(pkt, ip)) return;
    const list = this.handlers.get(protocol);
    if (list) for (const h of list) h(pkt, ip);
  }

  /** icmp_echo: reply to an echo request with the same id, sequence and data; DF clear. */
  private answerEcho(pkt: Packet, ip: Ipv4View): boolean {
    const off = ip.payloadOffset;
    let icmp: IcmpView;
    try {
      icmp = this.icmp.wrap(pkt.buf, off, off + ip.payloadLength);
    } catch {
      return true;
    }
    if (icmp.type !== ICMP_ECHO_REQUEST) return false;
    const sysctl = this.ns.sysctl;
    if (sysctl.get("net.ipv4.icmp_echo_ignore_all") !== "0") return true;
    if (this.ns.isBroadcast(ip.dst) && sysctl.get("net.ipv4.icmp_echo_ignore_broadcasts") !== "0")
      return true;
    const reply = Packet.from(pkt.buf.subarray(off, off + ip.payloadLength));
    const buf = reply.buf;
    buf[reply.head] = ICMP_ECHO_REPLY;
    put16(buf, reply.head + 2, 0);
    put16(buf, reply.head + 2, checksum(buf, reply.head, reply.length));
    this.send(reply, IPPROTO_ICMP, ip.src, { src: ip.dst, pmtu: "dont", tos: ip.tos });
    return true;
  }

  private forward(pkt: Packet, ip: Ipv4View, dev: NetDevice): void {
    if (ip.ttl <= 1) {
      this.icmpError(pkt, ICMP_TIME_EXCEEDED, ICMP_EXC_TTL, 0);
      return;
    }
    const route = this.ns.main.lookup(ip.dst);
    if (route === undefined || route.type !== "unicast") {
      this.icmpError(pkt, ICMP_DEST_UNREACH, ICMP_NET_UNREACH, 0);
      return;
    }
    const out = this.ns.devices.get(route.ifindex);
    if (!out) return;
    if (ip.totalLength > out.mtu && ip.df) {
      this.icmpError(pkt, ICMP_DEST_UNREACH, ICMP_FRAG_NEEDED, out.mtu);
      return;
    }
    ip.decrementTtl();
    const nf = this.ns.netfilter;
    if (nf.active) {
      if (nf.hook(NF_FORWARD, pkt, dev.name, out.name) === NF_DROP) return;
      if (nf.hook(NF_POSTROUTING, pkt, "", out.name) === NF_DROP) return;
    }
    const nexthop = route.gateway || ip.dst;
    if (ip.totalLength > out.mtu)
      for (const f of fragment(pkt, out.mtu)) this.output(f, nexthop, route.ifindex);
    else this.output(pkt, nexthop, route.ifindex);
  }

  /** REJECT's answer to `pkt` (head at its IPv4 header): an ICMP error or, for TCP, a RST. */
  reject(pkt: Packet, how: string): void {
    if (how === "tcp-reset") {
      this.ns.tcp.resetFor(pkt);
      return;
    }
    const codes: Record<string, number> = {
      "icmp-net-unreachable": ICMP_NET_UNREACH,
      "icmp-host-unreachable": ICMP_HOST_UNREACH,
      "icmp-port-unreachable": ICMP_PORT_UNREACH,
      "icmp-proto-unreachable": 2,
      "icmp-net-prohibited": 9,
      "icmp-host-prohibited": 10,
      "icmp-admin-prohibited": 13,
    };
    this.icmpError(pkt, ICMP_DEST_UNREACH, codes[how] ?? ICMP_PORT_UNREACH, 0);
  }

  /**
   * icmp_send: an error about `pkt` (head at its IPv4 header) back to its source, quoting as much
   * of it as fits in a 576-byte datagram, with TOS 0xc0 (internetwork control) and DF clear. As in
   * Linux, no error answers an ICMP error, a broadcast, or a fragment other than the first, and
   * the types in net.ipv4.icmp_ratemask are rate-limited per destination (icmpv4_xrlim_allow).
   */
  icmpError(pkt: Packet, type: number, code: number, mtu: number): void {
    const ip = new Ipv4View().wrap(pkt.buf, pkt.head, pkt.tail);
    if (ip.fragmentOffset !== 0 || this.ns.isBroadcast(ip.dst) || ip.src === 0) return;
    if (ip.protocol === IPPROTO_ICMP && ip.payloadLength > 0) {
      const innerType = pkt.buf[ip.payloadOffset] as number;
      if (
        innerType !== ICMP_ECHO_REQUEST &&
        innerType !== ICMP_ECHO_REPLY &&
        innerType !== 13 &&
        innerType !== 14
      )
        return;
    }
    if (!this.rateAllows(type, ip.src)) return;
    const quoted = Math.min(ip.totalLength, 576 - IPV4_MIN_HEADER_LEN - ICMP_HEADER_LEN);
    const err = Packet.alloc(ICMP_HEADER_LEN + quoted);
    const b = err.buf;
    const o = err.head;
    b[o] = type;
    b[o + 1] = code;
    put32(b, o + 4, mtu & 0xffff);
    b.set(pkt.buf.subarray(pkt.head, pkt.head + quoted), o + ICMP_HEADER_LEN);
    put16(b, o + 2, checksum(b, o, err.length));
    // The source is the address of the interface toward the original sender (icmp_send, saddr).
    const back = this.ns.main.lookup(ip.src);
    const src = back ? back.prefsrc || this.ns.sourceFor(back.ifindex, ip.src) : 0;
    this.send(err, IPPROTO_ICMP, ip.src, { pmtu: "dont", tos: 0xc0, ...(src ? { src } : {}) });
  }

  /**
   * inet_peer_xrlim_allow: per destination, a token bucket that refills at one token per
   * icmp_ratelimit ms and holds at most six; a new destination starts full. Errors to our own
   * addresses are never limited.
   */
  private rateAllows(type: number, dst: number): boolean {
    const sysctl = this.ns.sysctl;
    if ((sysctl.number("net.ipv4.icmp_ratemask") & (1 << type)) === 0 || this.ns.isLocal(dst)) return true;
    const interval = sysctl.number("net.ipv4.icmp_ratelimit") * 1_000_000;
    if (interval === 0) return true;
    const now = this.ns.sim.now;
    const peer = this.peers.get(dst) ?? { tokens: 0, last: now - 60 * 1_000_000_000 };
    let tokens = Math.min(peer.tokens + (now - peer.last), 6 * interval);
    const allowed = tokens >= interval;
    if (allowed) tokens -= interval;
    this.peers.set(dst, { tokens, last: now });
    return allowed;
  }
}
