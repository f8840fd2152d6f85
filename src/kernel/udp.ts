/**
 * UDP sockets of one address family (net/ipv4/udp.c, net/ipv6/udp.c): bind (explicit or an
 * ephemeral port drawn from net.ipv4.ip_local_port_range, in one port space for both families,
 * where an IPv6 socket on [::] without IPV6_V6ONLY holds the port for IPv4 too and receives its
 * datagrams), connect, send, receive. Datagrams for a port nobody holds are answered with ICMP
 * (ICMPv6) port unreachable; such an error for a *connected* socket is reported to it as
 * ECONNREFUSED (on its next receive, as Linux reports it), and ignored by unconnected ones.
 *
 * An IPv6 socket bound to a specific address is IPV6_V6ONLY from then on (__inet6_bind). connect()
 * gives an unbound socket the route's source address (ip4_datagram_connect /
 * ip6_datagram_connect); an IPv6 socket connected to an IPv4 peer is *mapped*
 * (::ffff:a.b.c.d, __ip6_datagram_connect handing over to IPv4): its addresses are IPv4 ones, its
 * datagrams go over IPv4, and `ss` shows it as [::ffff:a.b.c.d].
 *
 * Datagrams carry a full checksum (0xffff for a computed 0) and, over IPv4, DF
 * (IP_PMTUDISC_WANT on a path with no smaller MTU).
 * Deviations: no SO_REUSEADDR/REUSEPORT, no multicast, no receive buffer limits; a dual-stack
 * socket's IPv4 peers are reported as IPv4 addresses (srcV6 false), not ::ffff:a.b.c.d; connect()
 * without a route does not fail (the next send does).
 */

import { Packet } from "../link/packet.js";
import { put16, u16, u32 } from "../util/bytes.js";
import type { Rng } from "../util/rng.js";
import { ICMP_DEST_UNREACH, ICMP_HEADER_LEN, ICMP_PORT_UNREACH } from "../wire/icmpv4.js";
import { ICMPV6_DST_UNREACH, ICMPV6_PORT_UNREACH } from "../wire/icmpv6.js";
import { IPPROTO_ICMP, IPPROTO_UDP } from "../wire/ipv4.js";
import { IPPROTO_ICMPV6 } from "../wire/ipv6.js";
import { UDP_HEADER_LEN } from "../wire/udp.js";
import type { InetFamily } from "./inet-family.js";
import { SEND_NO_ROUTE } from "./ipv4-stack.js";
import type { NetNamespace } from "./namespace.js";

export type UdpErrno =
  | "EADDRINUSE"
  | "ECONNREFUSED"
  | "ENETUNREACH"
  | "EHOSTUNREACH"
  | "EINVAL"
  | "EADDRNOTAVAIL"
  | "EMSGSIZE"
  | "EACCES"
  | "EAFNOSUPPORT";

const ROUTE_ERRORS = {
  ENETUNREACH: "Network is unreachable",
  EHOSTUNREACH: "No route to host",
  EINVAL: "Invalid argument",
  EACCES: "Permission denied",
} as const;

export class UdpError extends Error {
  constructor(
    readonly errno: UdpErrno,
    message: string,
  ) {
    super(`${errno}: ${message}`);
  }
}

export interface Datagram {
  data: Uint8Array;
  srcAddr: number;
  srcPort: number;
  /** srcAddr is an IPv6 address id (false: IPv4, also for a dual-stack socket's IPv4 peers). */
  srcV6: boolean;
}

export class UdpSocket {
  localAddr = 0;
  localPort = 0;
  remoteAddr = 0;
  remotePort = 0;
  /** SO_BROADCAST: without it, sending to a broadcast address fails with EACCES. */
  broadcast = false;
  /** IPV6_V6ONLY (default off): an IPv6 socket on [::] also takes IPv4 datagrams. */
  v6only = false;
  /**
   * An IPv6 socket connected to an IPv4 peer (::ffff:a.b.c.d): its local and remote addresses
   * are IPv4 ones and its datagrams go over IPv4.
   */
  mapped = false;
  /** Called for each datagram received. */
  onMessage: ((d: Datagram) => void) | undefined;
  /** Called when an error is queued (ECONNREFUSED). */
  onError: ((e: UdpError) => void) | undefined;
  /** The pending socket error, reported once (sock_error). */
  pendingError: UdpError | undefined;
  /** Connected sockets number their datagrams from a random start (inet->inet_id). */
  private nextId = -1;

  constructor(private readonly udp: UdpTable) {}

  /** AF_INET6: addresses are the namespace's interned IPv6 ids. */
  get v6(): boolean {
    return this.udp.net.v6;
  }

  /** bind(2): address 0 means any; port 0 means an ephemeral port. */
  bind(addr = 0, port = 0): this {
    this.udp.bind(this, addr, port);
    return this;
  }

  /**
   * connect(2): fixes the peer; binds an ephemeral port first if needed. `peerV6` false on an IPv6
   * socket connects it to an IPv4 peer (::ffff:a.b.c.d, e.g. a dual-stack socket's IPv4 sender).
   */
  connect(addr: number, port: number, peerV6 = this.v6): this {
    this.udp.connect(this, addr, port, peerV6);
    this.nextId = this.udp.randomId();
    return this;
  }

  /**
   * sendto(2) / send(2): to the connected peer, or to `addr`:`port` — an IPv4 address when
   * `peerV6` is false (on an IPv6 socket: ::ffff:a.b.c.d, sent over IPv4). Throws UdpError
   * ENETUNREACH when there is no route.
   */
  send(data: Uint8Array, addr?: number, port?: number, peerV6?: boolean): void {
    if (!this.v6 && peerV6 === true)
      throw new UdpError("EAFNOSUPPORT", "Address family not supported by protocol");
    if (this.localPort === 0) this.bind();
    const overIpv4 = addr === undefined ? this.mapped : this.v6 && peerV6 === false;
    this.udp.send(
      this,
      data,
      addr ?? this.remoteAddr,
      port ?? this.remotePort,
      this.nextId >= 0 ? this.nextId++ & 0xffff : undefined,
      overIpv4,
    );
  }

  /** Take the pending error, as the next recv(2) would return it. */
  takeError(): UdpError | undefined {
    const e = this.pendingError;
    this.pendingError = undefined;
    return e;
  }

  close(): void {
    this.udp.unbind(this);
  }
}

export class UdpTable {
  /** `byPort`: sockets by local port, both families' (the port space they share). */
  constructor(
    private readonly ns: NetNamespace,
    private readonly rng: Rng,
    readonly net: InetFamily,
    private readonly byPort: Map<number, UdpSocket[]>,
  ) {
    if (net.v6) {
      const ids = ns.ipv6.ids;
      ns.ipv6.listen(IPPROTO_UDP, (pkt, h, l4, end) =>
        this.receive(pkt, ids.idOf(pkt.buf, h + 24), ids.idOf(pkt.buf, h + 8), l4, end - l4),
      );
      ns.ipv6.listen(IPPROTO_ICMPV6, (pkt, _h, l4, end) => this.icmp6Error(pkt, l4, end));
    } else {
      ns.ipv4.listen(IPPROTO_UDP, (pkt, ip) =>
        this.receive(pkt, ip.dst, ip.src, ip.payloadOffset, ip.payloadLength),
      );
      ns.ipv4.listen(IPPROTO_ICMP, (pkt, ip) => this.icmpError(pkt, ip.payloadOffset, ip.payloadLength));
    }
  }

  socket(): UdpSocket {
    return new UdpSocket(this);
  }

  /** This family's bound sockets, for `ss -u`. */
  *sockets(): Iterable<UdpSocket> {
    for (const holders of this.byPort.values()) for (const s of holders) if (s.v6 === this.net.v6) yield s;
  }

  randomId(): number {
    return this.rng.int(0, 0xffff);
  }

  bind(s: UdpSocket, addr: number, port: number): void {
    if (addr !== 0 && !this.net.isLocal(addr))
      throw new UdpError("EADDRNOTAVAIL", "Cannot assign requested address");
    if (port === 0) port = this.ephemeralPort(s, addr);
    const holders = this.byPort.get(port) ?? [];
    if (holders.some((h) => bindConflict(h, s, addr)))
      throw new UdpError("EADDRINUSE", "Address already in use");
    s.localAddr = addr;
    s.localPort = port;
    // __inet6_bind: an IPv6 socket bound to a specific (not mapped) address is IPv6-only.
    if (this.net.v6 && addr !== 0) s.v6only = true;
    holders.push(s);
    this.byPort.set(port, holders);
  }

  /** connect(2) (ip4_datagram_connect, __ip6_datagram_connect). */
  connect(s: UdpSocket, addr: number, port: number, peerV6: boolean): void {
    if (peerV6 && !this.net.v6)
      throw new UdpError("EAFNOSUPPORT", "Address family not supported by protocol");
    const mapped = this.net.v6 && !peerV6;
    // To ::ffff:a.b.c.d: ENETUNREACH for an IPV6_V6ONLY socket (__ip6_datagram_connect). A
    // socket that already has an IPv6 address of its own (from an earlier connect) cannot take an
    // IPv4 one here: EINVAL (not modelled further).
    if (mapped && s.v6only) throw new UdpError("ENETUNREACH", "Network is unreachable");
    if (mapped && !s.mapped && s.localAddr !== 0) throw new UdpError("EINVAL", "Invalid argument");
    if (s.localPort === 0) s.bind();
    s.mapped = mapped;
    s.remoteAddr = addr;
    s.remotePort = port;
    // An unbound socket takes the route's source as its address (inet_rcv_saddr / sk_v6_rcv_saddr).
    if (s.localAddr === 0) s.localAddr = this.netFor(mapped).sourceFor(addr);
  }

  /** The family a socket's datagrams go over: IPv4 for a mapped IPv6 socket. */
  private netFor(overIpv4: boolean): InetFamily {
    return overIpv4 && this.net.v6 ? this.ns.udp.net : this.net;
  }

  unbind(s: UdpSocket): void {
    const holders = this.byPort.get(s.localPort);
    if (!holders) return;
    holders.splice(holders.indexOf(s), 1);
    if (holders.length === 0) this.byPort.delete(s.localPort);
  }

  send(
    s: UdpSocket,
    data: Uint8Array,
    addr: number,
    port: number,
    id: number | undefined,
    overIpv4 = false,
  ): void {
    const net = this.netFor(overIpv4);
    // udpv6_sendmsg: to ::ffff:a.b.c.d from an IPV6_V6ONLY socket is ENETUNREACH.
    if (net !== this.net && s.v6only) throw new UdpError("ENETUNREACH", "Network is unreachable");
    if (!s.broadcast && net.isBroadcast(addr)) throw new UdpError("EACCES", "Permission denied");
    const pkt = Packet.alloc(UDP_HEADER_LEN + data.length);
    const b = pkt.buf;
    const o = pkt.head;
    b.set(data, o + UDP_HEADER_LEN);
    put16(b, o, s.localPort);
    put16(b, o + 2, port);
    put16(b, o + 4, pkt.length);
    const errno = net.routeErrno(addr);
    if (errno !== undefined) throw new UdpError(errno, ROUTE_ERRORS[errno]);
    // A dual-stack socket sending to an IPv4 peer has no IPv4 address of its own unless mapped.
    const own = net === this.net || s.mapped ? s.localAddr : 0;
    const src = own || net.sourceFor(addr);
    if (src === 0) throw new UdpError("ENETUNREACH", "Network is unreachable");
    const sent = net.send(pkt, IPPROTO_UDP, src, addr, 6, id);
    if (sent === SEND_NO_ROUTE) throw new UdpError("ENETUNREACH", "Network is unreachable");
    if (sent > 0) throw new UdpError("EMSGSIZE", "Message too long");
  }

  /** A datagram at `l4`, `len` bytes, from `src` to `dst` (addresses of this family). */
  private receive(pkt: Packet, dst: number, src: number, o: number, len: number): void {
    if (len < UDP_HEADER_LEN) return;
    const srcPort = u16(pkt.buf, o);
    const dstPort = u16(pkt.buf, o + 2);
    // Both families' sockets share byPort, so IPv4 finds a dual-stack [::] socket here too.
    const s = this.lookup(dst, dstPort, src, srcPort) ?? (this.net.v6 ? undefined : this.dualStack(dstPort));
    if (!s) {
      if (this.net.v6) this.ns.ipv6.icmpError(pkt, ICMPV6_DST_UNREACH, ICMPV6_PORT_UNREACH, 0);
      else if (!this.ns.isBroadcast(dst))
        this.ns.ipv4.icmpError(pkt, ICMP_DEST_UNREACH, ICMP_PORT_UNREACH, 0);
      return;
    }
    const end = Math.min(u16(pkt.buf, o + 4), len);
    // A view, not a copy: the packet's buffer belongs to the receiver from here on.
    s.onMessage?.({
      data: pkt.buf.subarray(o + UDP_HEADER_LEN, o + end),
      srcAddr: src,
      srcPort,
      srcV6: this.net.v6,
    });
  }

  /** A socket on [::]:`port` without IPV6_V6ONLY, which takes IPv4 datagrams too. */
  dualStack(port: number): UdpSocket | undefined {
    return this.byPort
      .get(port)
      ?.find((s) => s.v6 && !s.mapped && s.localAddr === 0 && !s.v6only && s.remotePort === 0);
  }

  /** ICMP port unreachable about one of our datagrams (__udp4_lib_err). */
  private icmpError(pkt: Packet, o: number, len: number): void {
    if (len < ICMP_HEADER_LEN + 28) return;
    if (pkt.buf[o] !== ICMP_DEST_UNREACH || pkt.buf[o + 1] !== ICMP_PORT_UNREACH) return;
    const q = o + ICMP_HEADER_LEN;
    if (pkt.buf[q + 9] !== IPPROTO_UDP) return;
    const qhl = ((pkt.buf[q] as number) & 15) * 4;
    this.refused(
      u32(pkt.buf, q + 12),
      u16(pkt.buf, q + qhl),
      u32(pkt.buf, q + 16),
      u16(pkt.buf, q + qhl + 2),
    );
  }

  /** ICMPv6 port unreachable about one of our datagrams (__udp6_lib_err). */
  private icmp6Error(pkt: Packet, o: number, end: number): void {
    const b = pkt.buf;
    const q = o + 8;
    if (end - q < 48 || b[o] !== ICMPV6_DST_UNREACH || b[o + 1] !== ICMPV6_PORT_UNREACH) return;
    if (b[q + 6] !== IPPROTO_UDP) return;
    const ids = this.ns.ipv6.ids;
    this.refused(ids.idOf(b, q + 8), u16(b, q + 40), ids.idOf(b, q + 24), u16(b, q + 42));
  }

  /** The quoted datagram went from `src`:`srcPort` to `dst`:`dstPort`: a connected socket hears of it. */
  private refused(src: number, srcPort: number, dst: number, dstPort: number): void {
    const s = this.lookup(src, srcPort, dst, dstPort);
    if (!s || s.remotePort === 0) return; // unconnected sockets are not told (inet->recverr off)
    s.pendingError = new UdpError("ECONNREFUSED", "Connection refused");
    s.onError?.(s.pendingError);
  }

  /** The best socket of this family for a datagram: connected matches beat bound-only ones. */
  private lookup(dstAddr: number, dstPort: number, srcAddr: number, srcPort: number): UdpSocket | undefined {
    const holders = this.byPort.get(dstPort);
    if (!holders) return undefined;
    const v6 = this.net.v6;
    let best: UdpSocket | undefined;
    for (const s of holders) {
      if ((s.v6 && !s.mapped) !== v6) continue; // a mapped socket's addresses are IPv4 ones
      if (s.localAddr !== 0 && s.localAddr !== dstAddr) continue;
      if (s.remotePort !== 0 && (s.remoteAddr !== srcAddr || s.remotePort !== srcPort)) continue;
      if (!best || s.remotePort !== 0) best = s;
    }
    return best;
  }

  private ephemeralPort(s: UdpSocket, addr: number): number {
    const [lo, hi] = this.ns.sysctl.get("net.ipv4.ip_local_port_range").split("\t").map(Number) as [
      number,
      number,
    ];
    const start = this.rng.int(lo, hi);
    for (let i = 0; i <= hi - lo; i++) {
      const port = lo + ((start - lo + i) % (hi - lo + 1));
      const holders = this.byPort.get(port);
      if (!holders?.some((h) => bindConflict(h, s, addr))) return port;
    }
    throw new UdpError("EADDRINUSE", "no free ephemeral port");
  }
}

/**
 * As TCP's (inet_bind_conflict): same family overlaps on any/equal; a dual-stack [::] covers IPv4;
 * a mapped socket (::ffff:a.b.c.d) holds an IPv4 address.
 */
function bindConflict(h: UdpSocket, s: UdpSocket, addr: number): boolean {
  const h6 = h.v6 && !h.mapped;
  if (h6 === s.v6) return h.localAddr === 0 || addr === 0 || h.localAddr === addr;
  return h6 ? h.localAddr === 0 && !h.v6only : addr === 0 && !s.v6only;
}
