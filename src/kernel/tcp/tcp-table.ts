/**
 * A namespace's TCP (net/ipv4/tcp_ipv4.c, inet_hashtables.c): the tables that find the socket
 * for a segment (connections by their four numbers first, then listeners), ports (bind,
 * EADDRINUSE, ephemeral ports from net.ipv4.ip_local_port_range — even ones for connect(), as
 * __inet_hash_connect prefers), the RST,ACK for a segment nobody wants (tcp_v4_send_reset: IP ID
 * 0, DF, no options), ICMP errors handed to the connection they quote, and the `ss -tan` rows.
 *
 * Deviations: no SO_REUSEADDR/SO_REUSEPORT (a port in TIME_WAIT is reusable by connect() only);
 * checksums of received segments are not verified (Linux trusts veth, which marks them checked).
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
import { IPPROTO_ICMP, IPPROTO_TCP, type Ipv4View } from "../../wire/ipv4.js";
import { TCP_ACK, TCP_FIN, TCP_RST, TCP_SYN } from "../../wire/tcp.js";
import type { NetNamespace } from "../namespace.js";
import { buildSegment, type SegmentOptions } from "./segment-writer.js";
import { type TcpErrno, TcpError } from "./tcp-error.js";
import { type TcpHost, TcpSocket } from "./tcp-socket.js";
import { TCP_LISTEN, TCP_SYN_RECV, TCP_TIME_WAIT } from "./tcp-state.js";

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
  /** Every socket holding a local port (bound, listening or connected), for bind conflicts. */
  private readonly ports = new Map<number, TcpSocket[]>();
  /** Sockets in creation order, for `ss`. */
  readonly sockets = new Set<TcpSocket>();

  constructor(
    private readonly ns: NetNamespace,
    private readonly rng: Rng,
  ) {
    this.sim = ns.sim;
    ns.ipv4.listen(IPPROTO_TCP, (pkt, ip) => this.receive(pkt, ip));
    ns.ipv4.listen(IPPROTO_ICMP, (pkt, ip) => this.icmpError(pkt, ip));
  }

  /** socket(AF_INET, SOCK_STREAM). */
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
    this.ns.ipv4.send(pkt, IPPROTO_TCP, dst, { src, id });
  }

  pathMtu(dst: number): number {
    const route = this.ns.isLocal(dst) ? this.ns.local.lookup(dst) : this.ns.main.lookup(dst);
    if (!route) return 0;
    const dev = this.ns.devices.get(route.type === "local" ? this.ns.lo.ifindex : route.ifindex);
    return dev?.mtu ?? 0;
  }

  routeErrno(dst: number): TcpErrno | undefined {
    return this.ns.ipv4.routeErrno(dst);
  }

  sourceFor(dst: number): number {
    return this.ns.ipv4.sourceFor(dst);
  }

  /** bind(2). Port 0 picks an ephemeral port. */
  bind(s: TcpSocket, addr: number, port: number): void {
    if (addr !== 0 && !this.ns.isLocal(addr)) throw new TcpError("EADDRNOTAVAIL");
    if (port === 0) {
      s.localAddr = addr;
      this.bindEphemeral(s, false);
      return;
    }
    if (this.conflicts(port, addr)) throw new TcpError("EADDRINUSE");
    s.localAddr = addr;
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

  private conflicts(port: number, addr: number): boolean {
    const holders = this.ports.get(port);
    return holders?.some((h) => h.localAddr === 0 || addr === 0 || h.localAddr === addr) ?? false;
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

  private listenerFor(addr: number, port: number): TcpSocket | undefined {
    const list = this.listeners.get(port);
    if (!list) return undefined;
    let any: TcpSocket | undefined;
    for (const s of list) {
      if (s.localAddr === addr) return s;
      if (s.localAddr === 0) any = s;
    }
    return any;
  }

  private receive(pkt: Packet, ip: Ipv4View): void {
    const len = ip.payloadLength;
    if (len < 20) return;
    pkt.head = ip.payloadOffset;
    pkt.tail = pkt.head + len;
    const b = pkt.buf;
    const o = pkt.head;
    const hlen = ((b[o + 12] as number) >> 4) * 4;
    if (hlen < 20 || hlen > len) return;
    const srcPort = u16(b, o);
    const dstPort = u16(b, o + 2);
    const src = ip.src;
    const dst = ip.dst;
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

  /** tcp_v4_send_reset: RST (seq = their ACK) or RST,ACK (seq 0, ACK = their end). */
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
    const rst = buildSegment(
      dst,
      src,
      u16(b, o + 2),
      u16(b, o),
      seq,
      ack,
      outFlags,
      0,
      NO_OPTIONS,
      undefined,
      0,
      0,
    );
    this.ns.ipv4.send(rst, IPPROTO_TCP, src, { src: dst, id: 0 });
  }

  /** tcp_v4_err: an ICMP error quoting one of our segments. */
  private icmpError(pkt: Packet, ip: Ipv4View): void {
    const o = ip.payloadOffset;
    if (ip.payloadLength < ICMP_HEADER_LEN + 28) return;
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
    s.icmpError(errno, errno === "ECONNREFUSED");
  }
}
