/**
 * UDP sockets (net/ipv4/udp.c): bind (explicit or an ephemeral port drawn from
 * net.ipv4.ip_local_port_range), connect, send, receive. Datagrams for a port nobody holds are
 * answered with ICMP port unreachable; such an error for a *connected* socket is reported to it
 * as ECONNREFUSED (on its next receive, as Linux reports it), and ignored by unconnected ones.
 *
 * Datagrams carry a full checksum and DF (IP_PMTUDISC_WANT on a path with no smaller MTU).
 * Deviations: no SO_REUSEADDR/REUSEPORT, no multicast, no receive buffer limits.
 */

import { Packet } from "../link/packet.js";
import { put16, u16, u32 } from "../util/bytes.js";
import type { Rng } from "../util/rng.js";
import { ICMP_DEST_UNREACH, ICMP_HEADER_LEN, ICMP_PORT_UNREACH } from "../wire/icmpv4.js";
import { IPPROTO_ICMP, IPPROTO_UDP, type Ipv4View } from "../wire/ipv4.js";
import { UDP_HEADER_LEN, udpChecksum } from "../wire/udp.js";
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
  | "EACCES";

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
}

export class UdpSocket {
  localAddr = 0;
  localPort = 0;
  remoteAddr = 0;
  remotePort = 0;
  /** SO_BROADCAST: without it, sending to a broadcast address fails with EACCES. */
  broadcast = false;
  /** Called for each datagram received. */
  onMessage: ((d: Datagram) => void) | undefined;
  /** Called when an error is queued (ECONNREFUSED). */
  onError: ((e: UdpError) => void) | undefined;
  /** The pending socket error, reported once (sock_error). */
  pendingError: UdpError | undefined;
  /** Connected sockets number their datagrams from a random start (inet->inet_id). */
  private nextId = -1;

  constructor(private readonly udp: UdpTable) {}

  /** bind(2): address 0 means any; port 0 means an ephemeral port. */
  bind(addr = 0, port = 0): this {
    this.udp.bind(this, addr, port);
    return this;
  }

  /** connect(2): fixes the peer; binds an ephemeral port first if needed. */
  connect(addr: number, port: number): this {
    if (this.localPort === 0) this.bind();
    this.remoteAddr = addr;
    this.remotePort = port;
    this.nextId = this.udp.randomId();
    return this;
  }

  /** sendto(2) / send(2). Throws UdpError ENETUNREACH when there is no route. */
  send(data: Uint8Array, addr = this.remoteAddr, port = this.remotePort): void {
    if (this.localPort === 0) this.bind();
    this.udp.send(this, data, addr, port, this.nextId >= 0 ? this.nextId++ & 0xffff : undefined);
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
  /** Sockets by local port. */
  private readonly byPort = new Map<number, UdpSocket[]>();
  constructor(
    private readonly ns: NetNamespace,
    private readonly rng: Rng,
  ) {
    ns.ipv4.listen(IPPROTO_UDP, (pkt, ip) => this.receive(pkt, ip));
    ns.ipv4.listen(IPPROTO_ICMP, (pkt, ip) => this.icmpError(pkt, ip));
  }

  socket(): UdpSocket {
    return new UdpSocket(this);
  }

  randomId(): number {
    return this.rng.int(0, 0xffff);
  }

  bind(s: UdpSocket, addr: number, port: number): void {
    if (addr !== 0 && !this.ns.isLocal(addr))
      throw new UdpError("EADDRNOTAVAIL", "Cannot assign requested address");
    if (port === 0) port = this.ephemeralPort(addr);
    const holders = this.byPort.get(port) ?? [];
    if (holders.some((h) => h.localAddr === 0 || addr === 0 || h.localAddr === addr)) {
      throw new UdpError("EADDRINUSE", "Address already in use");
    }
    s.localAddr = addr;
    s.localPort = port;
    holders.push(s);
    this.byPort.set(port, holders);
  }

  unbind(s: UdpSocket): void {
    const holders = this.byPort.get(s.localPort);
    if (!holders) return;
    holders.splice(holders.indexOf(s), 1);
    if (holders.length === 0) this.byPort.delete(s.localPort);
  }

  send(s: UdpSocket, data: Uint8Array, addr: number, port: number, id: number | undefined): void {
    if (!s.broadcast && this.ns.isBroadcast(addr)) throw new UdpError("EACCES", "Permission denied");
    const pkt = Packet.alloc(UDP_HEADER_LEN + data.length);
    const b = pkt.buf;
    const o = pkt.head;
    b.set(data, o + UDP_HEADER_LEN);
    put16(b, o, s.localPort);
    put16(b, o + 2, port);
    put16(b, o + 4, pkt.length);
    const src = s.localAddr || this.ns.ipv4.sourceFor(addr);
    const errno = this.ns.ipv4.routeErrno(addr);
    if (errno !== undefined) throw new UdpError(errno, ROUTE_ERRORS[errno]);
    if (src === 0) throw new UdpError("ENETUNREACH", "Network is unreachable");
    put16(b, o + 6, udpChecksum(b, o, pkt.length, src, addr));
    const sent = this.ns.ipv4.send(pkt, IPPROTO_UDP, addr, { src, ...(id === undefined ? {} : { id }) });
    if (sent === SEND_NO_ROUTE) throw new UdpError("ENETUNREACH", "Network is unreachable");
    if (sent > 0) throw new UdpError("EMSGSIZE", "Message too long");
  }

  private receive(pkt: Packet, ip: Ipv4View): void {
    const o = ip.payloadOffset;
    if (ip.payloadLength < UDP_HEADER_LEN) return;
    const srcPort = u16(pkt.buf, o);
    const dstPort = u16(pkt.buf, o + 2);
    const s = this.lookup(ip.dst, dstPort, ip.src, srcPort);
    if (!s) {
      if (!this.ns.isBroadcast(ip.dst)) this.ns.ipv4.icmpError(pkt, ICMP_DEST_UNREACH, ICMP_PORT_UNREACH, 0);
      return;
    }
    const len = Math.min(u16(pkt.buf, o + 4), ip.payloadLength);
    // A view, not a copy: the packet's buffer belongs to the receiver from here on.
    s.onMessage?.({ data: pkt.buf.subarray(o + UDP_HEADER_LEN, o + len), srcAddr: ip.src, srcPort });
  }

  /** ICMP port unreachable about one of our datagrams (__udp4_lib_err). */
  private icmpError(pkt: Packet, ip: Ipv4View): void {
    const o = ip.payloadOffset;
    if (ip.payloadLength < ICMP_HEADER_LEN + 28) return;
    if (pkt.buf[o] !== ICMP_DEST_UNREACH || pkt.buf[o + 1] !== ICMP_PORT_UNREACH) return;
    const q = o + ICMP_HEADER_LEN;
    if (pkt.buf[q + 9] !== IPPROTO_UDP) return;
    const qhl = ((pkt.buf[q] as number) & 15) * 4;
    const qSrc = u32(pkt.buf, q + 12);
    const qDst = u32(pkt.buf, q + 16);
    const s = this.lookup(qSrc, u16(pkt.buf, q + qhl), qDst, u16(pkt.buf, q + qhl + 2));
    if (!s || s.remotePort === 0) return; // unconnected sockets are not told (inet->recverr off)
    s.pendingError = new UdpError("ECONNREFUSED", "Connection refused");
    s.onError?.(s.pendingError);
  }

  /** The best socket for a datagram: connected matches beat bound-only ones. */
  private lookup(dstAddr: number, dstPort: number, srcAddr: number, srcPort: number): UdpSocket | undefined {
    const holders = this.byPort.get(dstPort);
    if (!holders) return undefined;
    let best: UdpSocket | undefined;
    for (const s of holders) {
      if (s.localAddr !== 0 && s.localAddr !== dstAddr) continue;
      if (s.remotePort !== 0 && (s.remoteAddr !== srcAddr || s.remotePort !== srcPort)) continue;
      if (!best || s.remotePort !== 0) best = s;
    }
    return best;
  }

  private ephemeralPort(addr: number): number {
    const [lo, hi] = this.ns.sysctl.get("net.ipv4.ip_local_port_range").split("\t").map(Number) as [
      number,
      number,
    ];
    const start = this.rng.int(lo, hi);
    for (let i = 0; i <= hi - lo; i++) {
      const port = lo + ((start - lo + i) % (hi - lo + 1));
      const holders = this.byPort.get(port);
      if (!holders?.some((h) => h.localAddr === 0 || addr === 0 || h.localAddr === addr)) return port;
    }
    throw new UdpError("EADDRINUSE", "no free ephemeral port");
  }
}
