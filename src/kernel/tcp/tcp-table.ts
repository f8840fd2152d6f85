/**
 * A namespace's TCP for one address family (net/ipv4/tcp_ipv4.c and net/ipv6/tcp_ipv6.c,
 * inet_hashtables.c): the tables that find the socket for a segment (connections by their four
 * numbers first, then listeners), ports (bind, EADDRINUSE, ephemeral ports from
 * net.ipv4.ip_local_port_range — even ones for connect(), as __inet_hash_connect prefers — in one
 * port space the two families share, where an IPv6 socket bound to [::] without IPV6_V6ONLY
 * holds the port for IPv4 too), the RST,ACK for a segment nobody wants (tcp_v4_send_reset: IP ID
 * 0, DF, no options; tcp_v6_send_reset likewise), ICMP and ICMPv6 errors handed to the connection
 * they quote, and the `ss -tan` rows. A dual-stack listener ([::] without IPV6_V6ONLY) takes IPv4
 * connections too; they are IPv4 sockets that `ss` shows as ::ffff:a.b.c.d.
 *
 * SO_REUSEADDR as inet_bind_conflict has it for bind(2): no conflict when both sockets have it and
 * the holder is not listening (a server restarted while its old connections sit in TIME_WAIT).
 * Deviations: no SO_REUSEPORT;
 * checksums of received segments are not verified (Linux trusts veth, which marks them checked);
 * no connections to IPv4-mapped IPv6 addresses.
 */

import type { Packet } from "../../link/packet.js";
import type { Simulation } from "../../sim/simulation.js";
import { u16, u32 } from "../../util/bytes.js";
import type { Rng } from "../../util/rng.js";
import {
  ICMP_DEST_UNREACH,
  ICMP_FRAG_NEEDED,
  ICMP_HEADER_LEN,
  ICMP_HOST_UNREACH,
  ICMP_NET_UNREACH,
  ICMP_PORT_UNREACH,
  ICMP_PROT_UNREACH,
} from "../../wire/icmpv4.js";
import {
  ICMPV6_ADDR_UNREACH,
  ICMPV6_DST_UNREACH,
  ICMPV6_NOROUTE,
  ICMPV6_PORT_UNREACH,
} from "../../wire/icmpv6.js";
import { IPPROTO_ICMP, IPPROTO_TCP } from "../../wire/ipv4.js";
import { IPPROTO_ICMPV6 } from "../../wire/ipv6.js";
import { TCP_ACK, TCP_FIN, TCP_RST, TCP_SYN } from "../../wire/tcp.js";
import type { InetFamily } from "../inet-family.js";
import type { NetNamespace } from "../namespace.js";
import { buildSegment, type SegmentOptions } from "./segment-writer.js";
import { type TcpErrno, TcpError } from "./tcp-error.js";
import { type TcpHost, TcpSocket } from "./tcp-socket.js";
import { TCP_LISTEN, TCP_SYN_RECV, TCP_TIME_WAIT } from "./tcp-state.js";

/** ICMPv6 destination unreachable code 2, "beyond scope of source address". */
const ICMPV6_NOT_NEIGHBOUR = 2;

const NO_OPTIONS: SegmentOptions = {
  mss: 0,
  sackPermitted: false,
  windowScale: -1,
  timestamps: false,
  tsval: 0,
  tsecr: 0,
  sack: [],
};

export class TcpTable implements TcpHost {
  readonly sim: Simulation;
  /** Connections: local port → (remote address · 2^16 + remote port) → sockets (by local address). */
  private readonly connections = new Map<number, Map<number, TcpSocket[]>>();
  /** Listeners by local port. */
  private readonly listeners = new Map<number, TcpSocket[]>();
  /** Sockets in creation order, for `ss`. */
  readonly sockets = new Set<TcpSocket>();
  /** The other family's table (tcp ↔ tcp6), for dual-stack listeners. */
  other: TcpTable | undefined;

  /**
   * `ports`: every socket holding a local port (bound, listening or connected), both families'
   * (inet_hashinfo's bind table), for bind conflicts and ephemeral ports.
   */
  constructor(
    private readonly ns: NetNamespace,
    private readonly rng: Rng,
    readonly net: InetFamily,
    private readonly ports: Map<number, TcpSocket[]>,
  ) {
    this.sim = ns.sim;
    if (net.v6) {
      const ids = ns.ipv6.ids;
      ns.ipv6.listen(IPPROTO_TCP, (pkt, h, l4, end) =>
        this.receive(pkt, ids.idOf(pkt.buf, h + 24), ids.idOf(pkt.buf, h + 8), l4, end - l4),
      );
      ns.ipv6.listen(IPPROTO_ICMPV6, (pkt, _h, l4, end) => this.icmp6Error(pkt, l4, end));
    } else {
      ns.ipv4.listen(IPPROTO_TCP, (pkt, ip) =>
        this.receive(pkt, ip.dst, ip.src, ip.payloadOffset, ip.payloadLength),
      );
      ns.ipv4.listen(IPPROTO_ICMP, (pkt, ip) => this.icmpError(pkt, ip.payloadOffset, ip.payloadLength));
    }
  }

  get v6(): boolean {
    return this.net.v6;
  }

  get headerLen(): number {
    return this.net.headerLen;
  }

  /** socket(AF_INET or AF_INET6, SOCK_STREAM). */
  socket(): TcpSocket {
    return new TcpSocket(this);
  }

  // ==== TcpHost ===============================================================================

  randomU32(): number {
    return this.rng.nextU32();
  }

  sysctl(key: string): number {
    return this.ns.sysctl.number(key);
  }

  sysctlTriple(key: string): [number, number, number] {
    return this.ns.sysctl.get(key).split("\t").map(Number) as [number, number, number];
  }

  congestionName(): string {
    return this.ns.sysctl.get("net.ipv4.tcp_congestion_control");
  }

  output(pkt: Packet, src: number, dst: number, id: number): void {
    this.net.send(pkt, IPPROTO_TCP, src, dst, 16, id);
  }

  pathMtu(dst: number): number {
    return this.net.pathMtu(dst);
  }

  routeErrno(dst: number): TcpErrno | undefined {
    return this.net.routeErrno(dst);
  }

  sourceFor(dst: number): number {
    return this.net.sourceFor(dst);
  }

  /** bind(2). Port 0 picks an ephemeral port. */
  bind(s: TcpSocket, addr: number, port: number): void {
    if (addr !== 0 && !this.net.isLocal(addr)) throw new TcpError("EADDRNOTAVAIL");
    if (port === 0) {
      s.localAddr = addr;
      this.bindEphemeral(s, false);
      if (this.v6 && addr !== 0) s.v6only = true;
      return;
    }
    if (this.ports.get(port)?.some((h) => bindConflict(h, s, addr))) throw new TcpError("EADDRINUSE");
    s.localAddr = addr;
    // __inet6_bind: an IPv6 socket bound to a specific (not mapped) address is IPv6-only, which
    // `ss` shows as a [::]:* peer rather than *:*.
    if (this.v6 && addr !== 0) s.v6only = true;
    this.takePort(s, port);
  }

  /** An ephemeral port: random start, even ports for connect() and odd for bind(0). */
  bindEphemeral(s: TcpSocket, forConnect: boolean): void {
    const [lo, hi] = this.ns.sysctl.get("net.ipv4.ip_local_port_range").split("\t").map(Number) as [
      number,
      number,
    ];
    const span = hi - lo + 1;
    const start = this.rng.int(0, span - 1);
    for (const parity of forConnect ? [0, 1] : [1, 0]) {
      for (let i = 0; i < span; i++) {
        const port = lo + ((start + i) % span);
        if ((port & 1) !== parity || this.ports.has(port)) continue;
        this.takePort(s, port);
        return;
      }
    }
    throw new TcpError("EADDRNOTAVAIL");
  }

  private takePort(s: TcpSocket, port: number): void {
    s.localPort = port;
    const holders = this.ports.get(port) ?? [];
    holders.push(s);
    this.ports.set(port, holders);
    this.sockets.add(s);
  }

  hash(s: TcpSocket): void {
    this.sockets.add(s);
    if (s.state === TCP_LISTEN) {
      const list = this.listeners.get(s.localPort) ?? [];
      list.push(s);
      this.listeners.set(s.localPort, list);
      return;
    }
    if (s.parent) {
      const holders = this.ports.get(s.localPort) ?? [];
      holders.push(s);
      this.ports.set(s.localPort, holders);
    }
    let byRemote = this.connections.get(s.localPort);
    if (!byRemote) {
      byRemote = new Map();
      this.connections.set(s.localPort, byRemote);
    }
    const key = s.remoteAddr * 65536 + s.remotePort;
    const list = byRemote.get(key) ?? [];
    list.push(s);
    byRemote.set(key, list);
  }

  unhash(s: TcpSocket): void {
    this.sockets.delete(s);
    const remove = (list: TcpSocket[] | undefined) => {
      if (!list) return;
      const i = list.indexOf(s);
      if (i >= 0) list.splice(i, 1);
    };
    const l = this.listeners.get(s.localPort);
    remove(l);
    if (l?.length === 0) this.listeners.delete(s.localPort);
    const byRemote = this.connections.get(s.localPort);
    if (byRemote) {
      const key = s.remoteAddr * 65536 + s.remotePort;
      const list = byRemote.get(key);
      remove(list);
      if (list?.length === 0) byRemote.delete(key);
      if (byRemote.size === 0) this.connections.delete(s.localPort);
    }
    const holders = this.ports.get(s.localPort);
    remove(holders);
    if (holders?.length === 0) this.ports.delete(s.localPort);
  }

  // ==== input =================================================================================

  private lookup(
    localAddr: number,
    localPort: number,
    remoteAddr: number,
    remotePort: number,
  ): TcpSocket | undefined {
    const list = this.connections.get(localPort)?.get(remoteAddr * 65536 + remotePort);
    if (list) {
      for (const s of list) if (s.localAddr === localAddr || s.localAddr === 0) return s;
    }
    return undefined;
  }

  /** The listener for `addr`:`port` — one bound to it, else one bound to any address. */
  private listenerFor(addr: number, port: number): TcpSocket | undefined {
    const list = this.listeners.get(port);
    let any: TcpSocket | undefined;
    if (list) {
      for (const s of list) {
        if (s.localAddr === addr) return s;
        if (s.localAddr === 0) any = s;
      }
    }
    return any ?? (this.v6 ? undefined : this.other?.dualStackListener(port));
  }

  /** An IPv6 listener on [::]:`port` without IPV6_V6ONLY, which takes IPv4 connections too. */
  dualStackListener(port: number): TcpSocket | undefined {
    return this.listeners.get(port)?.find((s) => s.localAddr === 0 && !s.v6only);
  }

  /** A segment at `l4`, `len` bytes, from `src` to `dst` (addresses of this family). */
  private receive(pkt: Packet, dst: number, src: number, l4: number, len: number): void {
    if (len < 20) return;
    pkt.head = l4;
    pkt.tail = l4 + len;
    const b = pkt.buf;
    const o = l4;
    const hlen = ((b[o + 12] as number) >> 4) * 4;
    if (hlen < 20 || hlen > len) return;
    const srcPort = u16(b, o);
    const dstPort = u16(b, o + 2);
    const s = this.lookup(dst, dstPort, src, srcPort);
    if (s) {
      // A new SYN may reuse the four numbers of a connection in TIME_WAIT.
      const flags = b[o + 13] as number;
      if (s.state === TCP_TIME_WAIT && flags & TCP_SYN && !(flags & TCP_ACK)) {
        const l = this.listenerFor(dst, dstPort);
        if (l) {
          s.destroy();
          this.accept(l, pkt, src, dst);
          return;
        }
      }
      s.input(pkt, len);
      return;
    }
    const flags = b[o + 13] as number;
    const listener = this.listenerFor(dst, dstPort);
    if (listener && flags & TCP_SYN && !(flags & (TCP_ACK | TCP_RST))) {
      this.accept(listener, pkt, src, dst);
      return;
    }
    if (listener && flags & TCP_ACK && !(flags & TCP_RST)) {
      // An ACK for a request we no longer hold: reset.
      this.sendReset(pkt, len, src, dst);
      return;
    }
    if (!(flags & TCP_RST)) this.sendReset(pkt, len, src, dst);
  }

  private accept(listener: TcpSocket, pkt: Packet, src: number, dst: number): void {
    // Full accept queue or SYN queue: the SYN is dropped (the client retries).
    if (listener.acceptQueue.length >= listener.backlog) return;
    if (listener.synQueue >= Math.max(listener.backlog, 128)) return;
    TcpSocket.fromSyn(listener, this, pkt, src, dst);
  }

  /** A RST answering `pkt` (head at its IPv4 header), as REJECT --reject-with tcp-reset sends. */
  resetFor(pkt: Packet): void {
    const b = pkt.buf;
    const o = pkt.head;
    if (b[o + 9] !== IPPROTO_TCP || (b[o + 6] as number) & 0x1f || b[o + 7]) return;
    const hl = ((b[o] as number) & 15) * 4;
    const len = u16(b, o + 2) - hl;
    const seg = pkt.copy();
    seg.head = o + hl;
    seg.tail = o + hl + len;
    if ((b[o + hl + 13] as number) & TCP_RST) return;
    this.sendReset(seg, len, u32(b, o + 12), u32(b, o + 16));
  }

  /** tcp_v4_send_reset / tcp_v6_send_reset: RST (seq = their ACK) or RST,ACK (seq 0, ACK = their end). */
  private sendReset(pkt: Packet, len: number, src: number, dst: number): void {
    const b = pkt.buf;
    const o = pkt.head;
    const flags = b[o + 13] as number;
    const hlen = ((b[o + 12] as number) >> 4) * 4;
    let seq = 0;
    let ack = 0;
    let outFlags = TCP_RST;
    if (flags & TCP_ACK) seq = u32(b, o + 8);
    else {
      outFlags |= TCP_ACK;
      ack = (u32(b, o + 4) + len - hlen + (flags & TCP_SYN ? 1 : 0) + (flags & TCP_FIN ? 1 : 0)) >>> 0;
    }
    const rst = buildSegment(u16(b, o + 2), u16(b, o), seq, ack, outFlags, 0, NO_OPTIONS, undefined, 0, 0);
    this.net.send(rst, IPPROTO_TCP, dst, src, 16, 0);
  }

  /** tcp_v4_err: an ICMP error quoting one of our segments. */
  private icmpError(pkt: Packet, o: number, len: number): void {
    if (len < ICMP_HEADER_LEN + 28) return;
    const b = pkt.buf;
    if (b[o] !== ICMP_DEST_UNREACH) return;
    const code = b[o + 1] as number;
    const q = o + ICMP_HEADER_LEN;
    if (b[q + 9] !== IPPROTO_TCP) return;
    const qhl = ((b[q] as number) & 15) * 4;
    const s = this.lookup(u32(b, q + 12), u16(b, q + qhl), u32(b, q + 16), u16(b, q + qhl + 2));
    if (!s || s.state === TCP_LISTEN) return;
    if (code === ICMP_FRAG_NEEDED) return; // path MTU discovery is not modelled for TCP yet
    if (s.state === TCP_SYN_RECV && s.parent) return;
    const errno: TcpErrno =
      code === ICMP_PORT_UNREACH || code === ICMP_PROT_UNREACH
        ? "ECONNREFUSED"
        : code === ICMP_NET_UNREACH
          ? "ENETUNREACH"
          : code === ICMP_HOST_UNREACH
            ? "EHOSTUNREACH"
            : "EHOSTUNREACH";
    s.icmpError(errno);
  }

  /** tcp_v6_err: a destination unreachable quoting one of our segments (icmpv6_err_convert). */
  private icmp6Error(pkt: Packet, o: number, end: number): void {
    const b = pkt.buf;
    const q = o + 8;
    if (end - q < 40 + 8 || b[o] !== ICMPV6_DST_UNREACH || b[q + 6] !== IPPROTO_TCP) return;
    const ids = this.ns.ipv6.ids;
    const s = this.lookup(ids.idOf(b, q + 8), u16(b, q + 40), ids.idOf(b, q + 24), u16(b, q + 42));
    if (!s || s.state === TCP_LISTEN || (s.state === TCP_SYN_RECV && s.parent)) return;
    const code = b[o + 1] as number;
    // icmpv6_err_convert: no route → ENETUNREACH; beyond scope (2) and address unreachable →
    // EHOSTUNREACH; port unreachable → ECONNREFUSED; prohibited, policy, reject route → EACCES.
    const errno: TcpErrno =
      code === ICMPV6_PORT_UNREACH
        ? "ECONNREFUSED"
        : code === ICMPV6_NOROUTE
          ? "ENETUNREACH"
          : code === ICMPV6_ADDR_UNREACH || code === ICMPV6_NOT_NEIGHBOUR
            ? "EHOSTUNREACH"
            : "EACCES";
    s.icmpError(errno, true);
  }
}

/**
 * Whether `h`, holding a port, keeps `s` from binding it at `addr` (inet_bind_conflict): not when
 * both have SO_REUSEADDR and `h` is not a listener; else same
 * family — either address is any or both are the same; across families only an IPv6 [::] socket
 * without IPV6_V6ONLY overlaps, since it covers every IPv4 address.
 */
function bindConflict(h: TcpSocket, s: TcpSocket, addr: number): boolean {
  if (h.reuseAddr && s.reuseAddr && h.state !== TCP_LISTEN) return false;
  if (h.v6 === s.v6) return h.localAddr === 0 || addr === 0 || h.localAddr === addr;
  return h.v6 ? h.localAddr === 0 && !h.v6only : addr === 0 && !s.v6only;
}
