/**
 * One TCP endpoint (net/ipv4/tcp.c, tcp_input.c, tcp_output.c, tcp_timer.c): the RFC 9293 state
 * machine with Linux's choices — SYN window 64240 and options MSS,SACK_PERM,TS,NOP,WS 7; SYN-ACK
 * window 65160; NOP,NOP,TS on every later segment; random ISN, TS offset and IP ID start; RTO per
 * RFC 6298 with a 200 ms floor; SYN retries 1 s apart for tcp_syn_linear_timeouts tries, then
 * doubling; quick-ACK at connection start, then an ACK every second full segment or after 40 ms;
 * Nagle; SACK-based loss recovery and fast retransmit; CUBIC or Reno; TIME_WAIT 60 s; keepalive.
 * The receive window as __tcp_select_window offers it: the free buffer capped by rcv_ssthresh
 * (which tcp_init_buffer_space starts one segment below the buffer's space), aligned up to the
 * window scale, never shrinking what was offered. Over IPv6 the headers are 20 bytes longer
 * (SYN window 64800, MSS 1440 on a 1500-byte link).
 *
 * Sequence numbers are kept as stream offsets (bytes since the SYN, which is offset -1) so that
 * nothing wraps inside; the wire gets `iss + 1 + offset` mod 2^32. Received data is handed to the
 * program as views of the packets (no copy) in a later event of the same instant, as a woken
 * reader would take it.
 *
 * Deviations: no urgent data, no TCP Fast Open, no ECN, no D-SACK, no RACK/TLP (losses are found
 * by three duplicate ACKs, SACKed data three segments above a hole, a SACK beyond a lost
 * retransmission, and RTO), no pacing or TSQ; receive-buffer autotuning and window growth are
 * simplified (growWindow), and a received segment is charged its data plus a fixed 1280 bytes
 * (a local sender's skb) where Linux charges the skb's true size; data retransmissions give up after tcp_retries2 tries, not
 * after tcp_model_timeout's time; timers fire on time (Linux's timer wheel adds up to ~32 ms).
 */

import type { Packet } from "../../link/packet.js";
import type { Simulation } from "../../sim/simulation.js";
import { MILLISECOND, SECOND } from "../../sim/time.js";
import { Timer } from "../../sim/timer.js";
import { ByteRing } from "../../util/byte-ring.js";
import { u16, u32 } from "../../util/bytes.js";
import { TCP_ACK, TCP_FIN, TCP_PSH, TCP_RST, TCP_SYN } from "../../wire/tcp.js";
import { type CongestionControl, congestionControl } from "./congestion.js";
import { RttEstimator, TCP_RTO_MAX, TCP_TIMEOUT_INIT } from "./rtt-estimator.js";
import { buildSegment, type SegmentOptions } from "./segment-writer.js";
import { type TcpErrno, TcpError } from "./tcp-error.js";
import {
  canSend,
  TCP_CLOSE_WAIT,
  TCP_CLOSED,
  TCP_CLOSING,
  TCP_ESTABLISHED,
  TCP_FIN_WAIT1,
  TCP_FIN_WAIT2,
  TCP_LAST_ACK,
  TCP_LISTEN,
  TCP_SYN_RECV,
  TCP_SYN_SENT,
  TCP_TIME_WAIT,
  type TcpState,
} from "./tcp-state.js";

/** What a socket needs from its namespace's TCP table. */
export interface TcpHost {
  readonly sim: Simulation;
  /** AF_INET6 (addresses are interned IPv6 ids) rather than AF_INET. */
  readonly v6: boolean;
  /** The network header's length: 20, or 40 for IPv6. */
  readonly headerLen: number;
  randomU32(): number;
  sysctl(key: string): number;
  sysctlTriple(key: string): [number, number, number];
  congestionName(): string;
  /** Send a finished segment (head at the TCP header); IP ID given. */
  output(pkt: Packet, src: number, dst: number, id: number): void;
  /** The MTU toward `dst`, or 0 when there is no route. */
  pathMtu(dst: number): number;
  routeErrno(dst: number): TcpErrno | undefined;
  sourceFor(dst: number): number;
  bind(s: TcpSocket, addr: number, port: number): void;
  bindEphemeral(s: TcpSocket, forConnect: boolean): void;
  hash(s: TcpSocket): void;
  unhash(s: TcpSocket): void;
}

export const TCP_TIMEWAIT_LEN = 60 * SECOND;
const TCP_ATO_MIN = 40 * MILLISECOND;
const TCP_DELACK_MAX = 200 * MILLISECOND;
const TCP_MAX_QUICKACKS = 16;
const TCP_MSS_DEFAULT = 536;
const TCPOLEN_TSTAMP_ALIGNED = 12;
/**
 * A received segment's truesize beyond its data, for receive-buffer accounting: what a local
 * sender's tcp_stream_alloc_skb costs (a 1024-byte kmalloc head for MAX_TCP_HEADER and
 * skb_shared_info, plus struct sk_buff), the data itself being counted on top as page frags are.
 */
const SKB_OVERHEAD = 1280;
const DUP_THRESH = 3;

export class TcpSocket {
  state: TcpState = TCP_CLOSED;
  localAddr = 0;
  localPort = 0;
  remoteAddr = 0;
  remotePort = 0;
  /** IPV6_V6ONLY (net.ipv6.bindv6only's default 0): an IPv6 socket on [::] takes IPv4 too. */
  v6only = false;
  /**
   * SO_REUSEADDR: a bind(2) may take a port that sockets not listening (TIME_WAIT ones above all)
   * still hold, when they have it too; an accepted connection inherits it from its listener
   * (sk_clone_lock copies sk_reuse).
   */
  reuseAddr = false;

  // --- program interface -------------------------------------------------------------------
  /** The connection is established (connect() completed). */
  onConnect: (() => void) | undefined;
  /** In-order bytes arrived; the view is valid only during the call. */
  onData: ((data: Uint8Array) => void) | undefined;
  /** The peer closed its side (FIN): no more data will come. */
  onEnd: (() => void) | undefined;
  /** The connection failed or was reset. */
  onError: ((e: TcpError) => void) | undefined;
  /** Room in the send buffer again after write() accepted less than offered. */
  onDrain: (() => void) | undefined;
  /** The socket left the connection table (closed, reset, or TIME_WAIT over). */
  onClose: (() => void) | undefined;
  /** A listener's new connection, accepted. */
  onConnection: ((child: TcpSocket) => void) | undefined;
  /** TCP_NODELAY: no Nagle. */
  noDelay = false;
  /** SO_KEEPALIVE. */
  keepAlive = false;
  /** close() was called: the program is gone, data arriving now is answered with RST. */
  private orphan = false;
  /** The error that ended the connection, if any. */
  error: TcpError | undefined;

  // --- listener -----------------------------------------------------------------------------
  backlog = 0;
  readonly acceptQueue: TcpSocket[] = [];
  /** Connections in SYN_RECV under this listener. */
  synQueue = 0;
  parent: TcpSocket | undefined;
  /** Accepted by an IPv6 listener. */
  private parentV6 = false;

  // --- send side (stream offsets) -----------------------------------------------------------
  iss = 0;
  sndUna = -1;
  sndNxt = -1;
  /** The highest offset sent so far (sndNxt never moves back; retransmissions use retxNext). */
  private readonly sendQueue = new ByteRing(4096);
  private sndWnd = 0;
  private sndWl1 = 0;
  private sndWl2 = 0;
  private peerWscale = 0;
  /** Our window scale (7 with a 6 MiB tcp_rmem maximum, 10 with 32 MiB). */
  private rcvWscale = 7;
  /** Segment size for data, options included in the reduction (mss_cache). */
  mss = TCP_MSS_DEFAULT;
  /** Our advertised MSS (advmss): route MTU − 40. */
  private advmss = 1460;
  private sackOk = false;
  private tsOk = false;
  private wscaleOk = false;
  private finQueued = false;
  /** Offset of our FIN (the byte after the last data byte). */
  private finOffset = -1;
  private sndbuf = 16384;
  private readonly wmemDefault: number;
  private readonly wmemMax: number;
  private readonly rmemMax: number;
  private wantDrain = false;
  /** IP ID for the next segment (inet_id); -1 for a request socket (ID 0). */
  private ipId = -1;
  private tsOffset = 0;
  readonly cc: CongestionControl;
  readonly rtt = new RttEstimator();
  /** Karn: the one segment being timed (end offset) and when it left; -1 when none. */
  private rttSeq = -1;
  private rttTime = 0;
  /** Retransmissions of the current head segment (icsk_retransmits). */
  retransmits = 0;
  /** Total retransmitted segments (tcpi_total_retrans). */
  totalRetrans = 0;
  private firstRetransAt = 0;
  /** When the first SYN left (retrans_stamp). */
  private synSentAt = 0;
  private dupAcks = 0;
  /** SACKed ranges above sndUna: sorted, merged [start, end) offsets. */
  private sacked: number[] = [];
  /** Loss recovery: 0 none, 1 fast recovery (SACK/dupacks), 2 loss (after RTO). */
  private recovery = 0;
  /** Recovery ends when sndUna reaches this. */
  private recoveryPoint = 0;
  /** Holes below this are taken as lost. */
  private lostUpTo = 0;
  /** Next offset to consider for retransmission. */
  private retxNext = 0;
  /** A soft error from ICMP, reported if the connection then times out. */
  private softError: TcpErrno | undefined;

  // --- receive side (offsets relative to irs + 1) -------------------------------------------
  irs = 0;
  rcvNxt = 0;
  private rcvWup = 0;
  private rcvWnd = 0;
  private rcvSsthresh = 0;
  private windowClamp = 0;
  private rcvbuf = 131072;
  private rcvMss = TCP_MSS_DEFAULT;
  /** Bytes charged to the receive buffer (data waiting for the program, with overhead). */
  private rmem = 0;
  private finReceived = false;
  private tsRecent = 0;
  /** Out-of-order data: [start, end) offsets and the bytes, sorted by start. */
  private readonly ooo: { start: number; end: number; data: Uint8Array }[] = [];
  /** Data waiting for the program, in order. */
  private readonly readQueue: Uint8Array[] = [];
  // Delayed ACK state (inet_connection_sock icsk_ack).
  private ackPending = false;
  private quick = 0;
  private pingpong = false;
  private lastRecvTime = 0;
  /** icsk_ack.ato: 0 until the first data arrives, then 40 ms (TCP_ATO_MIN). */
  private ato = 0;
  private pushed = 0;

  private readonly retransmitTimer: Timer;
  private readonly delackTimer: Timer;
  private readonly keepaliveTimer: Timer;
  private readonly timewaitTimer: Timer;
  private keepaliveProbes = 0;
  /** Reused option record for outgoing segments. */
  private readonly opts: SegmentOptions = {
    mss: 0,
    sackPermitted: false,
    windowScale: -1,
    timestamps: false,
    tsval: 0,
    tsecr: 0,
    sack: [],
  };

  constructor(private readonly host: TcpHost) {
    const sim = host.sim;
    this.cc = congestionControl(host.congestionName());
    this.retransmitTimer = new Timer(sim, () => this.onRetransmitTimeout());
    this.delackTimer = new Timer(sim, () => this.onDelayedAck());
    this.keepaliveTimer = new Timer(sim, () => this.onKeepalive());
    this.timewaitTimer = new Timer(sim, () => this.destroy());
    // Buffer limits as the socket is created (sk_rcvbuf / sk_sndbuf take them then).
    const [, rdef, rmax] = host.sysctlTriple("net.ipv4.tcp_rmem");
    const [, wdef, wmax] = host.sysctlTriple("net.ipv4.tcp_wmem");
    this.rcvbuf = rdef;
    this.rmemMax = rmax;
    this.sndbuf = wdef;
    this.wmemDefault = wdef;
    this.wmemMax = wmax;
  }

  // ==== program calls ========================================================================

  /** bind(2): address 0 means any; port 0 means an ephemeral port. */
  bind(addr = 0, port = 0): this {
    if (this.localPort !== 0) throw new TcpError("EINVAL");
    this.host.bind(this, addr, port);
    return this;
  }

  /** listen(2). The socket must be bound (port 0 binds an ephemeral one). */
  listen(backlog = 4096): this {
    if (this.localPort === 0) this.host.bindEphemeral(this, false);
    this.backlog = Math.min(backlog, this.host.sysctl("net.core.somaxconn"));
    this.state = TCP_LISTEN;
    this.host.hash(this);
    return this;
  }

  /** connect(2): sends the SYN. Route errors throw at once, as connect() returns them. */
  connect(addr: number, port: number): this {
    if (this.state !== TCP_CLOSED) throw new TcpError("EISCONN");
    const errno = this.host.routeErrno(addr);
    if (errno) throw new TcpError(errno);
    if (this.localAddr === 0) this.localAddr = this.host.sourceFor(addr);
    this.remoteAddr = addr;
    this.remotePort = port;
    if (this.localPort === 0) this.host.bindEphemeral(this, true);
    this.initConnection(this.host.pathMtu(addr));
    this.ipId = this.host.randomU32() & 0xffff;
    this.tsOk = this.host.sysctl("net.ipv4.tcp_timestamps") !== 0;
    this.sackOk = this.host.sysctl("net.ipv4.tcp_sack") !== 0;
    this.wscaleOk = this.host.sysctl("net.ipv4.tcp_window_scaling") !== 0;
    // tcp_connect_init: the SYN's window is the largest multiple of the MSS that fits 64 KiB.
    this.rcvWnd = Math.floor(Math.min(65535, this.winFromSpace(this.rcvbuf)) / this.advmss) * this.advmss;
    this.rcvSsthresh = this.rcvWnd;
    this.state = TCP_SYN_SENT;
    this.host.hash(this);
    this.synSentAt = this.host.sim.now;
    this.sendSyn();
    return this;
  }

  /**
   * write(2): queue bytes; returns how many were taken (fewer when the send buffer is full —
   * onDrain says when there is room again). Throws EPIPE after shutdown/close.
   */
  write(data: Uint8Array, off = 0, len = data.length - off): number {
    if (this.finQueued || this.state === TCP_CLOSED)
      throw new TcpError(this.error ? this.error.errno : "EPIPE");
    if (this.state === TCP_LISTEN) throw new TcpError("ENOTCONN");
    const room = Math.max(0, this.sndbufLimit() - this.sendQueue.length);
    const n = Math.min(room, len);
    if (n > 0) this.sendQueue.append(data, off, n);
    if (n < len) this.wantDrain = true;
    if (canSend(this.state)) this.pushPending();
    return n;
  }

  /** Bytes written but not yet acknowledged (Send-Q). */
  get sendQueueBytes(): number {
    return Math.max(0, this.sendQueue.end - Math.max(this.sndUna, 0));
  }

  /** Bytes received but not yet handed to the program (Recv-Q). */
  get receiveQueueBytes(): number {
    let n = 0;
    for (const d of this.readQueue) n += d.length;
    return n;
  }

  /** shutdown(SHUT_WR): send FIN after the queued data; reading goes on. */
  shutdown(): void {
    if (this.finQueued) return;
    if (this.state === TCP_SYN_SENT || this.state === TCP_LISTEN || this.state === TCP_CLOSED) {
      this.destroy();
      return;
    }
    this.finQueued = true;
    this.finOffset = this.sendQueue.end;
    if (this.state === TCP_ESTABLISHED || this.state === TCP_SYN_RECV) this.state = TCP_FIN_WAIT1;
    else if (this.state === TCP_CLOSE_WAIT) this.state = TCP_LAST_ACK;
    this.pushPending();
  }

  /**
   * close(2). Unread received data makes it a reset (as Linux does); otherwise FIN after the
   * queued data. A listener closes its queued, unaccepted connections with resets.
   */
  close(): void {
    this.orphan = true;
    if (this.state === TCP_LISTEN) {
      for (const c of this.acceptQueue) c.abort();
      this.acceptQueue.length = 0;
      this.destroy();
      return;
    }
    if (this.state === TCP_SYN_SENT || this.state === TCP_CLOSED) {
      this.destroy();
      return;
    }
    if (this.readQueue.length > 0 && this.receiveQueueBytes > 0) {
      this.abort();
      return;
    }
    this.shutdown();
  }

  /** Send RST and drop the connection (SO_LINGER 0, or close with unread data). */
  abort(): void {
    if (this.state !== TCP_CLOSED && this.state !== TCP_LISTEN && this.state !== TCP_SYN_SENT) {
      if (this.state !== TCP_TIME_WAIT) this.sendControl(TCP_RST | TCP_ACK, this.sndNxt);
    }
    this.destroy();
  }

  // ==== connection setup ======================================================================

  /** AF_INET6: addresses are the namespace's interned IPv6 ids. */
  get v6(): boolean {
    return this.host.v6;
  }

  /** An IPv4 connection accepted by a dual-stack IPv6 listener (ss shows ::ffff:a.b.c.d). */
  get mapped(): boolean {
    return this.parentV6 && !this.host.v6;
  }

  private initConnection(mtu: number): void {
    // ipv4_default_advmss / ip6_default_advmss: the MTU less the IP and TCP headers, at most
    // 65535 − 40 for IPv4 (65495 over loopback's 65536).
    const headers = this.host.headerLen + 20;
    this.advmss = Math.max(88, mtu - headers);
    if (!this.host.v6) this.advmss = Math.min(this.advmss, 65495);
    this.iss = this.host.randomU32();
    this.tsOffset = this.host.randomU32();
    this.sndUna = -1;
    this.sndNxt = -1;
    this.windowClamp = this.winFromSpace(this.rmemMax);
    // tcp_select_initial_window: the scale that lets the largest buffer be advertised.
    const space = Math.max(this.rmemMax, this.host.sysctl("net.core.rmem_max"));
    this.rcvWscale = Math.min(14, Math.max(0, Math.floor(Math.log2(space)) - 15));
  }

  /** A listener's child for an incoming SYN (tcp_conn_request / tcp_openreq_init_rwin). */
  static fromSyn(parent: TcpSocket, host: TcpHost, pkt: Packet, src: number, dst: number): TcpSocket {
    const c = new TcpSocket(host);
    const b = pkt.buf;
    const o = pkt.head;
    c.parent = parent;
    c.parentV6 = parent.v6;
    c.reuseAddr = parent.reuseAddr;
    c.localAddr = dst;
    c.localPort = u16(b, o + 2);
    c.remoteAddr = src;
    c.remotePort = u16(b, o);
    c.initConnection(host.pathMtu(src));
    c.irs = u32(b, o + 4);
    c.rcvNxt = 0;
    c.rcvWup = 0;
    c.readSynOptions(pkt);
    c.sackOk &&= host.sysctl("net.ipv4.tcp_sack") !== 0;
    c.tsOk &&= host.sysctl("net.ipv4.tcp_timestamps") !== 0;
    c.wscaleOk &&= host.sysctl("net.ipv4.tcp_window_scaling") !== 0;
    const mss = c.advmss - (c.tsOk ? TCPOLEN_TSTAMP_ALIGNED : 0);
    c.rcvWnd = Math.floor(Math.min(65535, c.winFromSpace(c.rcvbuf)) / mss) * mss;
    c.rcvSsthresh = c.rcvWnd;
    c.sndWnd = u16(b, o + 14);
    c.sndWl1 = 0;
    c.sndWl2 = -1;
    c.state = TCP_SYN_RECV;
    c.ipId = -1; // a request socket sends with IP ID 0
    parent.synQueue++;
    host.hash(c);
    c.sendSyn();
    return c;
  }

  /** MSS, SACK_PERM, TS, WS from a SYN or SYN-ACK; sets the send MSS. */
  private readSynOptions(pkt: Packet): void {
    const b = pkt.buf;
    const o = pkt.head;
    const end = o + ((b[o + 12] as number) >> 4) * 4;
    let peerMss = TCP_MSS_DEFAULT;
    let sack = false;
    let ts = false;
    let ws = -1;
    for (let p = o + 20; p < end; ) {
      const kind = b[p] as number;
      if (kind === 0) break;
      if (kind === 1) {
        p++;
        continue;
      }
      const len = b[p + 1] as number;
      if (len < 2 || p + len > end) break;
      if (kind === 2 && len === 4) peerMss = u16(b, p + 2);
      else if (kind === 4 && len === 2) sack = true;
      else if (kind === 3 && len === 3) ws = Math.min(14, b[p + 2] as number);
      else if (kind === 8 && len === 10) {
        ts = true;
        this.tsRecent = u32(b, p + 2);
      }
      p += len;
    }
    this.sackOk = sack && (this.state === TCP_CLOSED || this.sackOk);
    this.tsOk = ts && (this.state === TCP_CLOSED || this.tsOk);
    this.wscaleOk = ws >= 0 && (this.state === TCP_CLOSED || this.wscaleOk);
    this.peerWscale = this.wscaleOk ? ws : 0;
    this.mss = Math.min(peerMss, this.advmss) - (this.tsOk ? TCPOLEN_TSTAMP_ALIGNED : 0);
  }

  private sendSyn(): void {
    const synAck = this.state === TCP_SYN_RECV;
    const o = this.opts;
    o.mss = this.advmss;
    o.sackPermitted = this.sackOk;
    o.timestamps = this.tsOk;
    o.windowScale = this.wscaleOk ? this.rcvWscale : -1;
    o.tsval = this.tsval();
    o.tsecr = synAck ? this.tsRecent : 0;
    o.sack = [];
    const flags = synAck ? TCP_SYN | TCP_ACK : TCP_SYN;
    this.transmit(flags, -1, 0, Math.min(this.rcvWnd, 65535), synAck ? this.ackSeq() : 0);
    o.mss = 0;
    o.windowScale = -1;
    if (this.sndNxt < 0) this.sndNxt = 0;
    if (!this.retransmitTimer.armed) this.retransmitTimer.setAfter(this.rtt.rto);
    if (this.rttSeq < 0 && this.retransmits === 0) {
      this.rttSeq = 0;
      this.rttTime = this.host.sim.now;
    }
  }

  // ==== segment input =========================================================================

  /** A segment for this connection; `pkt.head` is at the TCP header, `len` the segment length. */
  input(pkt: Packet, len: number): void {
    const b = pkt.buf;
    const o = pkt.head;
    const flags = b[o + 13] as number;
    const hlen = ((b[o + 12] as number) >> 4) * 4;
    const seq = u32(b, o + 4);
    const ack = u32(b, o + 8);
    const dataLen = len - hlen;
    const now = this.host.sim.now;

    if (this.state === TCP_SYN_SENT) {
      this.inputSynSent(pkt, flags, seq, ack);
      return;
    }
    if (this.state === TCP_CLOSED || this.state === TCP_LISTEN) return;

    // Where the segment sits in our receive stream.
    const expected = (this.irs + 1 + this.rcvNxt) >>> 0;
    const segOff = this.rcvNxt + ((seq - expected) | 0);
    const tsval = this.tsOk ? this.readTimestamp(b, o + 20, o + hlen) : -1;

    if (flags & TCP_RST) {
      // In window (RFC 5961 simplified): reset the connection.
      if (segOff >= this.rcvNxt - 1 && segOff <= this.rcvNxt + Math.max(this.rcvWnd, 1)) {
        if (this.state === TCP_SYN_RECV && this.parent) {
          this.destroy();
          return;
        }
        this.fail(
          this.state === TCP_CLOSE_WAIT || this.state === TCP_LAST_ACK || this.state === TCP_TIME_WAIT
            ? "EPIPE"
            : "ECONNRESET",
        );
      }
      return;
    }
    if (flags & TCP_SYN) {
      if (this.state === TCP_SYN_RECV && segOff === -1) {
        if (flags & TCP_ACK && this.ackOffset(ack) === 0 && !this.parent) {
          // Simultaneous open: the peer's SYN-ACK completes our handshake.
          this.established();
          this.sndUna = 0;
          this.sndWnd = u16(b, o + 14);
          this.sendAck();
          this.onConnect?.();
          this.pushPending();
          return;
        }
        if (!(flags & TCP_ACK)) this.sendSyn(); // our SYN-ACK was lost: answer the SYN again
        return;
      }
      if (this.state === TCP_TIME_WAIT) return;
      // A SYN inside an established connection: challenge ACK (RFC 5961).
      this.sendAck();
      return;
    }
    if (!(flags & TCP_ACK)) return;
    if (tsval >= 0 && segOff <= this.rcvNxt) this.tsRecent = tsval;

    // tcp_sequence: a segment entirely before the window (a keepalive probe, an old duplicate)
    // is answered with an ACK and otherwise ignored.
    if (dataLen === 0 && !(flags & TCP_FIN) && segOff < this.rcvNxt && this.state !== TCP_TIME_WAIT) {
      this.processAck(b, o, hlen, flags, segOff, ack, 0);
      if (this.state !== TCP_CLOSED) this.sendAck();
      return;
    }
    if (this.state === TCP_TIME_WAIT) {
      // A retransmitted FIN: our last ACK was lost. ACK again and restart the 2MSL wait.
      if (flags & TCP_FIN) {
        this.sendAck();
        this.timewaitTimer.setAfter(TCP_TIMEWAIT_LEN);
      }
      return;
    }

    if (this.state === TCP_SYN_RECV) {
      const ackOff = this.ackOffset(ack);
      if (ackOff !== 0) {
        this.sendControl(TCP_RST, ackOff); // not the ACK of our SYN-ACK
        return;
      }
      this.established();
      this.sndUna = 0;
      this.sndWnd = u16(b, o + 14) << this.peerWscale;
      this.sndWl1 = segOff;
      this.sndWl2 = 0;
      const parent = this.parent;
      if (parent) {
        parent.synQueue--;
        if (parent.state !== TCP_LISTEN) {
          this.abort();
          return;
        }
        parent.acceptQueue.push(this);
        if (parent.onConnection) {
          parent.acceptQueue.pop();
          parent.onConnection(this);
        }
      }
    }

    this.processAck(b, o, hlen, flags, segOff, ack, dataLen);
    if (this.state === TCP_CLOSED) return;

    // Data and FIN.
    if (dataLen > 0 && this.orphan && segOff + dataLen > this.rcvNxt) {
      this.abort(); // tcp_rcv_state_process: data after close() resets the connection
      return;
    }
    if (dataLen > 0) {
      // tcp_event_data_recv: data after a pause longer than the RTO re-enters quick-ack mode.
      if (this.ato === 0) this.ato = TCP_ATO_MIN;
      else if (now - this.lastRecvTime > this.rtt.rto) {
        this.quick = Math.min(TCP_MAX_QUICKACKS, Math.floor(this.rcvWnd / (2 * this.rcvMss)));
      }
    }
    if (dataLen > 0 || flags & TCP_FIN) this.lastRecvTime = now;
    if (dataLen > 0) this.receiveData(b, o + hlen, segOff, dataLen);
    if (flags & TCP_FIN) this.receiveFin(segOff + dataLen);
    if (this.state === TCP_CLOSED) return;
    this.pushPending();
    this.ackCheck(dataLen > 0 || (flags & TCP_FIN) !== 0);
    if (this.keepAlive) this.armKeepalive();
    // The reader wakes up in a later event of the same instant, as after the softirq on Linux:
    // segments that arrive meanwhile (a FIN right behind the data) are processed first.
    if ((this.readQueue.length > 0 || (this.finReceived && !this.endSignalled)) && !this.readScheduled) {
      this.readScheduled = true;
      this.host.sim.scheduleAfter(0, this.readEvent);
    }
  }

  private inputSynSent(pkt: Packet, flags: number, seq: number, ack: number): void {
    if (flags & TCP_ACK) {
      if (ack !== (this.iss + 1) >>> 0) {
        if (!(flags & TCP_RST)) this.sendRstFor(ack);
        return;
      }
      if (flags & TCP_RST) {
        this.fail("ECONNREFUSED");
        return;
      }
    } else if (flags & TCP_RST) return;
    if (!(flags & TCP_SYN)) return;
    const b = pkt.buf;
    const o = pkt.head;
    this.irs = seq;
    this.rcvNxt = 0;
    this.rcvWup = 0;
    this.readSynOptions(pkt);
    if (!(flags & TCP_ACK)) {
      // Simultaneous open: answer with SYN-ACK and wait for the ACK.
      this.state = TCP_SYN_RECV;
      this.sendSyn();
      return;
    }
    this.sndUna = 0;
    this.sndWnd = u16(b, o + 14); // never scaled in a SYN
    this.sndWl1 = 0;
    this.sndWl2 = 0;
    if (this.retransmits === 0) this.sampleRtt(this.host.sim.now - this.rttTime);
    this.retransmits = 0;
    this.retransmitTimer.cancel();
    this.established();
    this.sendAck();
    this.onConnect?.();
    this.pushPending();
  }

  private established(): void {
    this.state = TCP_ESTABLISHED;
    // tcp_init_buffer_space: the clamp is the buffer's space less one segment (tcp_app_win's
    // reserve), and rcv_ssthresh starts at most there.
    const advmss = this.advmss - (this.tsOk ? TCPOLEN_TSTAMP_ALIGNED : 0);
    const maxwin = this.winFromSpace(this.rcvbuf);
    if (this.windowClamp >= maxwin) this.windowClamp = maxwin;
    if (this.windowClamp > 2 * advmss && this.windowClamp + advmss > maxwin)
      this.windowClamp = Math.max(2 * advmss, maxwin - advmss);
    this.rcvSsthresh = Math.min(this.rcvSsthresh, this.windowClamp);
    if (this.ipId < 0) this.ipId = this.host.randomU32() & 0xffff;
    this.retransmits = 0;
    this.retransmitTimer.cancel();
    // tcp_init_transfer: ACK every segment for a while (quick-ack), grow sndbuf to the window.
    this.rcvMss = Math.min(TCP_MSS_DEFAULT, this.advmss, this.mss);
    this.quick = Math.min(TCP_MAX_QUICKACKS, Math.floor(this.rcvWnd / (2 * this.rcvMss)));
    this.sndbuf = Math.max(this.sndbuf, this.sndbufLimit());
    if (this.keepAlive) this.armKeepalive();
  }

  private readTimestamp(b: Uint8Array, p: number, end: number): number {
    // Linux's layout first: NOP,NOP,TS at the start of the options.
    if (p + 12 <= end && b[p] === 1 && b[p + 1] === 1 && b[p + 2] === 8 && b[p + 3] === 10) {
      return u32(b, p + 4);
    }
    const at = findOption(b, p, end, 8);
    return at >= 0 && b[at + 1] === 10 ? u32(b, at + 2) : -1;
  }

  /** The offset in our send stream that a wire ACK value acknowledges up to. */
  private ackOffset(ack: number): number {
    const base = (this.iss + 1 + this.sndUna) >>> 0;
    return this.sndUna + ((ack - base) | 0);
  }

  private processAck(
    b: Uint8Array,
    o: number,
    hlen: number,
    flags: number,
    segOff: number,
    ack: number,
    dataLen: number,
  ): void {
    const ackOff = this.ackOffset(ack);
    const maxOff = this.finSent() ? this.finOffset + 1 : this.sndNxt;
    if (ackOff > maxOff) {
      this.sendAck(); // acknowledges something we never sent
      return;
    }
    const window = u16(b, o + 14) << this.peerWscale;
    let windowChanged = false;
    if (
      ackOff >= this.sndUna &&
      (this.sndWl1 < segOff || (this.sndWl1 === segOff && this.sndWl2 <= ackOff))
    ) {
      windowChanged = window !== this.sndWnd;
      this.sndWnd = window;
      this.sndWl1 = segOff;
      this.sndWl2 = ackOff;
    }
    if (this.sackOk && hlen > 32) this.readSack(b, o + 20, o + hlen);
    if (this.recovery === 1 && this.sacked.length > 0) {
      const highest = this.sacked[this.sacked.length - 1] as number;
      this.lostUpTo = Math.max(this.lostUpTo, highest);
      // Data sent after the head's retransmission was SACKed, the head was not: lost again.
      if (
        this.headRetxMark >= 0 &&
        highest > this.headRetxMark + this.mss &&
        this.ackOffset(ack) === this.sndUna
      ) {
        this.headRetxMark = -1;
        this.retxNext = this.sndUna;
      }
    }
    const acked = ackOff - this.sndUna;
    if (acked > 0) {
      this.onNewAck(ackOff, acked);
      if (this.recovery === 0 && this.state !== TCP_CLOSED && this.sackLossDetected()) this.enterRecovery(1);
    } else if (
      ackOff === this.sndUna &&
      dataLen === 0 &&
      !(flags & TCP_FIN) &&
      !windowChanged &&
      this.sndNxt > this.sndUna
    ) {
      this.dupAcks++;
      if (this.recovery === 0 && (this.dupAcks >= DUP_THRESH || this.sackLossDetected())) {
        this.enterRecovery(1);
      }
    }
    if (this.sndWnd > 0) this.persistDone();
  }

  private onNewAck(ackOff: number, acked: number): void {
    const now = this.host.sim.now;
    this.dupAcks = 0;
    this.headRetxMark = -1;
    const dataEnd = this.finQueued ? this.finOffset : this.sendQueue.end;
    this.sendQueue.releaseTo(Math.min(ackOff, dataEnd));
    this.sndUna = ackOff;
    if (this.retxNext < ackOff) this.retxNext = ackOff;
    while (this.sacked.length > 0 && (this.sacked[1] as number) <= ackOff) this.sacked.splice(0, 2);
    if (this.sacked.length > 0 && (this.sacked[0] as number) < ackOff) this.sacked[0] = ackOff;
    if (this.rttSeq >= 0 && ackOff >= this.rttSeq) this.sampleRtt(now - this.rttTime);
    this.retransmits = 0;
    this.softError = undefined;
    if (this.recovery !== 0) {
      if (ackOff >= this.recoveryPoint) {
        this.recovery = 0;
        this.cc.cwnd = Math.max(this.cc.ssthresh, 2);
      } else if (this.recovery === 1 && this.sacked.length === 0) {
        // NewReno partial ACK: the next hole is lost too.
        this.retxNext = ackOff;
        this.lostUpTo = Math.max(this.lostUpTo, ackOff + 1);
      }
    }
    // Slow start goes on after a timeout (Loss state); fast recovery holds cwnd at ssthresh.
    if (this.recovery !== 1)
      this.cc.onAck(acked / this.mss, now, this.rtt.srtt, this.minRtt, ackOff, this.sndNxt);
    if (this.rtt.rto !== this.rtt.baseRto()) this.rtt.rto = this.rtt.baseRto();
    // Our FIN acknowledged?
    if (this.finSent() && ackOff === this.finOffset + 1) this.finAcked();
    if (this.state === TCP_CLOSED) return;
    if (this.sndUna === (this.finSent() ? this.finOffset + 1 : this.sndNxt)) this.retransmitTimer.cancel();
    else this.retransmitTimer.setAfter(this.rtt.rto);
    if (this.wantDrain && this.sendQueue.length < this.sndbufLimit() / 2) {
      this.wantDrain = false;
      this.host.sim.scheduleAfter(0, this.drainEvent);
    }
  }

  private readonly drainEvent = (): void => {
    if (canSend(this.state)) this.onDrain?.();
  };

  private finAcked(): void {
    if (this.state === TCP_FIN_WAIT1) {
      this.state = TCP_FIN_WAIT2;
      // An orphan (closed by the program) waits tcp_fin_timeout for the peer's FIN.
      if (this.orphan) this.timewaitTimer.setAfter(this.host.sysctl("net.ipv4.tcp_fin_timeout") * SECOND);
    } else if (this.state === TCP_CLOSING) this.enterTimeWait();
    else if (this.state === TCP_LAST_ACK) this.destroy();
  }

  private readSack(b: Uint8Array, p: number, end: number): void {
    const at = findOption(b, p, end, 5);
    if (at < 0) return;
    const len = b[at + 1] as number;
    for (let q = at + 2; q + 8 <= at + len; q += 8) {
      const start = this.ackOffset(u32(b, q));
      const stop = this.ackOffset(u32(b, q + 4));
      if (stop > start && start >= this.sndUna && stop <= this.sndNxt) this.markSacked(start, stop);
    }
  }

  private markSacked(start: number, end: number): void {
    const r = this.sacked;
    const merged: number[] = [];
    let placed = false;
    for (let i = 0; i < r.length; i += 2) {
      const s = r[i] as number;
      const e = r[i + 1] as number;
      if (e < start) merged.push(s, e);
      else if (s > end) {
        if (!placed) {
          merged.push(start, end);
          placed = true;
        }
        merged.push(s, e);
      } else {
        start = Math.min(start, s);
        end = Math.max(end, e);
      }
    }
    if (!placed) merged.push(start, end);
    this.sacked = merged;
  }

  private sackedBytes(): number {
    let n = 0;
    for (let i = 0; i < this.sacked.length; i += 2)
      n += (this.sacked[i + 1] as number) - (this.sacked[i] as number);
    return n;
  }

  /** RFC 6675 IsLost for the first hole: DupThresh segments' worth SACKed above it. */
  private sackLossDetected(): boolean {
    return this.sacked.length > 0 && this.sackedBytes() >= DUP_THRESH * this.mss;
  }

  private enterRecovery(kind: 1 | 2): void {
    this.cc.onLoss(this.host.sim.now);
    this.recovery = kind;
    this.recoveryPoint = this.sndNxt;
    this.retxNext = this.sndUna;
    if (kind === 1) {
      this.cc.cwnd = Math.max(this.cc.ssthresh, 2);
      this.lostUpTo =
        this.sacked.length > 0 ? (this.sacked[this.sacked.length - 1] as number) : this.sndUna + 1;
    } else {
      this.cc.cwnd = 1;
      this.lostUpTo = this.sndNxt;
    }
    this.rttSeq = -1; // Karn: no samples across retransmissions
  }

  private sampleRtt(rtt: number): void {
    this.rttSeq = -1;
    if (this.retransmits !== 0) return;
    const r = Math.max(rtt, 1);
    this.rtt.sample(r);
    if (this.minRtt === 0 || r < this.minRtt) this.minRtt = r;
    this.cc.onRttSample?.(r);
  }

  /** The smallest RTT sample so far (ns). */
  private minRtt = 0;

  /** Bytes in flight (RFC 6675 pipe): outstanding minus SACKed minus holes taken as lost. */
  private pipe(): number {
    let outstanding = this.sndNxt - this.sndUna;
    if (this.sacked.length > 0) outstanding -= this.sackedBytes();
    if (this.recovery !== 0) outstanding -= this.lostNotRetransmitted();
    return Math.max(0, outstanding);
  }

  private lostNotRetransmitted(): number {
    const from = Math.max(this.retxNext, this.sndUna);
    const to = Math.min(this.lostUpTo, this.sndNxt);
    if (to <= from) return 0;
    let n = to - from;
    for (let i = 0; i < this.sacked.length; i += 2) {
      const s = Math.max(from, this.sacked[i] as number);
      const e = Math.min(to, this.sacked[i + 1] as number);
      if (e > s) n -= e - s;
    }
    return n;
  }

  /** The next lost range to retransmit: [start, end) within one MSS, or undefined. */
  private nextRetransmission(): number {
    let at = Math.max(this.retxNext, this.sndUna);
    const to = Math.min(this.lostUpTo, this.sndNxt);
    for (let i = 0; i < this.sacked.length; i += 2) {
      const s = this.sacked[i] as number;
      const e = this.sacked[i + 1] as number;
      if (at >= s && at < e) at = e;
    }
    return at < to ? at : -1;
  }

  private receiveData(b: Uint8Array, dataAt: number, segOff: number, len: number): void {
    let start = segOff;
    let at = dataAt;
    let n = len;
    if (this.finReceived) return;
    if (start < this.rcvNxt) {
      const skip = Math.min(n, this.rcvNxt - start);
      start += skip;
      at += skip;
      n -= skip;
      if (n === 0) {
        this.scheduleAckNow(); // a duplicate: ACK at once so the sender learns
        return;
      }
    }
    const windowEnd = this.rcvWup + this.rcvWnd;
    if (start >= windowEnd) {
      this.scheduleAckNow();
      return;
    }
    if (start + n > windowEnd) n = windowEnd - start;
    // tcp_measure_rcv_mss: the largest segment seen so far; shorter ones mark a push.
    if (n > this.rcvMss) this.rcvMss = Math.min(n, this.advmss);
    else if (n < this.rcvMss) this.pushed = this.pushed > 0 ? 2 : 1;
    const data = b.subarray(at, at + n);
    this.scheduleAck();
    if (start === this.rcvNxt) {
      this.queueForRead(data);
      this.rcvNxt += n;
      this.growWindow(n);
      // Fill from the out-of-order queue.
      while (this.ooo.length > 0) {
        const first = this.ooo[0] as { start: number; end: number; data: Uint8Array };
        if (first.start > this.rcvNxt) break;
        this.ooo.shift();
        this.rmem -= first.data.length + SKB_OVERHEAD;
        if (first.end > this.rcvNxt) {
          this.queueForRead(first.data.subarray(this.rcvNxt - first.start));
          this.rcvNxt = first.end;
        }
      }
      if (this.ooo.length > 0) this.scheduleAckNow();
    } else {
      this.insertOutOfOrder(start, start + n, data);
      this.scheduleAckNow();
    }
  }

  private insertOutOfOrder(start: number, end: number, data: Uint8Array): void {
    const q = this.ooo;
    let i = 0;
    while (i < q.length && (q[i] as { start: number }).start < start) i++;
    const prev = q[i - 1];
    if (prev && prev.end >= end) return; // already held
    const next = q[i];
    if (next && next.start === start && next.end >= end) return;
    q.splice(i, 0, { start, end, data });
    this.rmem += data.length + SKB_OVERHEAD;
    this.lastOooStart = start;
  }

  private lastOooStart = -1;

  private queueForRead(data: Uint8Array): void {
    this.readQueue.push(data);
    this.rmem += data.length + SKB_OVERHEAD;
  }

  private readScheduled = false;
  private readonly readEvent = (): void => {
    this.readScheduled = false;
    if (this.state !== TCP_CLOSED) this.deliver();
  };

  /** The program takes everything queued (it is always reading), then tcp_cleanup_rbuf. */
  private deliver(): void {
    const handler = this.onData;
    if (!handler) {
      if (this.finReceived && this.readQueue.length === 0) this.signalEnd();
      return;
    }
    let copied = 0;
    while (this.readQueue.length > 0 && this.state !== TCP_CLOSED) {
      const d = this.readQueue.shift() as Uint8Array;
      copied += d.length;
      this.rmem -= d.length + SKB_OVERHEAD;
      handler(d);
    }
    if (this.rmem < 0) this.rmem = 0;
    if (this.finReceived && this.readQueue.length === 0) this.signalEnd();
    if (copied > 0 && this.state !== TCP_CLOSED) this.cleanupRbuf(copied);
  }

  private endSignalled = false;

  private signalEnd(): void {
    if (this.endSignalled) return;
    this.endSignalled = true;
    this.onEnd?.();
  }

  private cleanupRbuf(copied: number): void {
    let timeToAck = false;
    if (this.ackPending) {
      if (
        this.rcvNxt - this.rcvWup > this.rcvMss ||
        ((this.pushed === 2 || (this.pushed === 1 && !this.pingpong)) && this.rmem === 0)
      )
        timeToAck = true;
    }
    if (copied > 0 && !timeToAck && !this.finReceived) {
      const now = Math.max(0, this.rcvWup + this.rcvWnd - this.rcvNxt);
      if (2 * now <= this.windowClamp) {
        const next = this.freeWindow();
        if (next > 0 && next >= 2 * now) timeToAck = true;
      }
    }
    if (timeToAck) this.sendAck();
  }

  private receiveFin(finOff: number): void {
    if (finOff !== this.rcvNxt || this.finReceived) return;
    this.finReceived = true;
    switch (this.state) {
      case TCP_SYN_RECV:
      case TCP_ESTABLISHED:
        this.state = TCP_CLOSE_WAIT;
        this.pingpong = true; // tcp_fin: the ACK of a FIN may wait for our own FIN
        this.scheduleAck();
        break;
      case TCP_FIN_WAIT1:
        this.sendAck();
        this.state = TCP_CLOSING;
        break;
      case TCP_FIN_WAIT2:
        this.sendAck();
        this.enterTimeWait();
        break;
    }
  }

  private enterTimeWait(): void {
    this.state = TCP_TIME_WAIT;
    // Like the kernel's timewait sock, the connection keeps no buffers while it waits.
    this.sendQueue.releaseTo(this.sendQueue.end);
    this.sendQueue.release();
    this.retransmitTimer.cancel();
    this.delackTimer.cancel();
    this.keepaliveTimer.cancel();
    this.timewaitTimer.setAfter(TCP_TIMEWAIT_LEN);
  }

  // ==== receive window ========================================================================

  /** tcp_win_from_space with the initial scaling ratio (half the buffer holds payload). */
  private winFromSpace(space: number): number {
    return Math.floor(space / 2);
  }

  /** __tcp_select_window: the window the free buffer allows, grown no faster than rcv_ssthresh. */
  private freeWindow(): number {
    const full = Math.min(this.windowClamp, this.winFromSpace(this.rcvbuf));
    let free = this.winFromSpace(Math.max(0, this.rcvbuf - this.rmem));
    const unit = 1 << this.rcvWscale;
    if (free < full / 2) {
      this.rcvSsthresh = Math.min(this.rcvSsthresh, 4 * this.advmss);
      // Low on space: a multiple of the scale, rounded down so that scaling never grows it.
      if (this.wscaleOk) free = Math.floor(free / unit) * unit;
      if (free < this.rcvMss) return 0;
    }
    if (free > this.rcvSsthresh) free = this.rcvSsthresh;
    // With window scaling, enough that it is not scaled away (ALIGN up); without, whole segments.
    if (this.wscaleOk) return Math.ceil(free / unit) * unit;
    return Math.floor(free / this.rcvMss) * this.rcvMss;
  }

  /** tcp_select_window: never shrink what was offered; remember what we advertise. */
  private selectWindow(): number {
    const cur = Math.max(0, this.rcvWup + this.rcvWnd - this.rcvNxt);
    let win = this.freeWindow();
    if (win < cur) win = this.wscaleOk ? Math.ceil(cur / (1 << this.rcvWscale)) * (1 << this.rcvWscale) : cur;
    const scale = this.wscaleOk ? this.rcvWscale : 0;
    win = Math.min(win, 65535 * 2 ** scale);
    this.rcvWnd = win;
    this.rcvWup = this.rcvNxt;
    return Math.floor(win / 2 ** scale);
  }

  /**
   * tcp_grow_window: a full-sized segment lets the window grow by two segments, up to the
   * clamp; and the buffer grows (autotuning, simplified) once the window reaches it.
   */
  private growWindow(len: number): void {
    if (len < 128) return;
    const room = Math.min(this.windowClamp, this.winFromSpace(this.rcvbuf)) - this.rcvSsthresh;
    if (room > 0 && len + SKB_OVERHEAD <= 2 * len) {
      this.rcvSsthresh += Math.min(room, Math.max(2 * this.advmss, 2 * len));
    } else if (room <= 0 && this.rcvbuf < this.rmemMax) {
      // The buffer grows and the window clamp follows it (tcp_rcv_space_adjust).
      this.rcvbuf = Math.min(this.rmemMax, this.rcvbuf * 2);
      this.windowClamp = Math.max(this.windowClamp, this.winFromSpace(this.rcvbuf));
    }
  }

  // ==== output ================================================================================

  private tsval(): number {
    return (Math.floor(this.host.sim.now / MILLISECOND) + this.tsOffset) >>> 0;
  }

  private ackSeq(): number {
    return (this.irs + 1 + this.rcvNxt + (this.finReceived ? 1 : 0)) >>> 0;
  }

  private finSent(): boolean {
    return this.finQueued && this.sndNxt > this.finOffset;
  }

  /** Send buffer size: grows with the congestion window like tcp_sndbuf_expand, to tcp_wmem[2]. */
  private sndbufLimit(): number {
    const perSegment = this.mss + 800;
    const wanted = Math.max(this.wmemDefault, this.sndbuf, 2 * Math.max(this.cc.cwnd, 10) * perSegment);
    return Math.floor(Math.min(this.wmemMax, wanted));
  }

  private sackBlocks(): number[] {
    const blocks: number[] = [];
    if (!this.sackOk || this.ooo.length === 0) return blocks;
    const base = this.irs + 1;
    // Merge the queue into ranges; the most recent one goes first.
    const ranges: number[] = [];
    for (const r of this.ooo) {
      const last = ranges.length - 1;
      if (last > 0 && r.start <= (ranges[last] as number))
        ranges[last] = Math.max(ranges[last] as number, r.end);
      else ranges.push(r.start, r.end);
    }
    const max = this.tsOk ? 3 : 4;
    let recent = 0;
    for (let i = 0; i < ranges.length; i += 2) {
      if (this.lastOooStart >= (ranges[i] as number) && this.lastOooStart < (ranges[i + 1] as number))
        recent = i;
    }
    blocks.push((base + (ranges[recent] as number)) >>> 0, (base + (ranges[recent + 1] as number)) >>> 0);
    for (let i = 0; i < ranges.length && blocks.length < 2 * max; i += 2) {
      if (i !== recent)
        blocks.push((base + (ranges[i] as number)) >>> 0, (base + (ranges[i + 1] as number)) >>> 0);
    }
    return blocks;
  }

  /** Build and send one segment with seq at send offset `offset` carrying `len` data bytes. */
  private transmit(flags: number, offset: number, len: number, window: number, ack: number): void {
    const o = this.opts;
    o.timestamps = this.tsOk;
    if (o.mss === 0) {
      o.tsval = this.tsval();
      o.tsecr = this.tsRecent;
      o.sack = flags & TCP_ACK && !(flags & TCP_RST) ? this.sackBlocksIfAny() : NO_SACK;
    }
    if (flags & TCP_RST) o.timestamps = false;
    const id = this.ipId < 0 ? 0 : this.ipId;
    if (this.ipId >= 0) this.ipId = (this.ipId + 1) & 0xffff;
    const pkt = buildSegment(
      this.localPort,
      this.remotePort,
      (this.iss + 1 + offset) >>> 0,
      ack,
      flags,
      window,
      o,
      this.sendQueue,
      offset,
      len,
    );
    if (flags & TCP_ACK) this.ackSent();
    this.host.output(pkt, this.localAddr, this.remoteAddr, id);
  }

  private sackBlocksIfAny(): readonly number[] {
    return this.ooo.length === 0 ? NO_SACK : this.sackBlocks();
  }

  /** An ACK went out (alone or on data): the delayed ACK is done (tcp_event_ack_sent). */
  private ackSent(): void {
    if (this.ackPending) {
      this.ackPending = false;
      this.delackTimer.cancel();
    }
    this.pushed = 0;
    if (this.quick > 0) this.quick--;
  }

  sendAck(): void {
    if (this.state === TCP_CLOSED || this.state === TCP_SYN_SENT) return;
    this.transmit(TCP_ACK, this.sndNxtForSeq(), 0, this.selectWindow(), this.ackSeq());
  }

  /** Sequence offset for a segment with no data: after the FIN once it was sent. */
  private sndNxtForSeq(): number {
    return this.finSent() ? this.finOffset + 1 : this.sndNxt;
  }

  private sendControl(flags: number, offset: number): void {
    this.transmit(
      flags,
      offset,
      0,
      flags & TCP_RST ? 0 : this.selectWindow(),
      flags & TCP_ACK ? this.ackSeq() : 0,
    );
  }

  /** RST for a segment acknowledging something we never sent while in SYN_SENT. */
  private sendRstFor(ack: number): void {
    const saved = this.iss;
    this.iss = (ack - 1) >>> 0;
    const savedId = this.ipId;
    this.transmit(TCP_RST, 0, 0, 0, 0);
    this.iss = saved;
    this.ipId = savedId;
  }

  /** tcp_write_xmit: retransmissions first, then new data as the windows allow, then FIN. */
  private pushPending(): void {
    if (
      !(
        canSend(this.state) ||
        this.state === TCP_FIN_WAIT1 ||
        this.state === TCP_LAST_ACK ||
        this.state === TCP_CLOSING
      )
    )
      return;
    const mss = this.mss;
    for (;;) {
      const cwndBytes = Math.max(1, Math.floor(this.cc.cwnd)) * mss;
      const inFlight = this.pipe();
      if (this.recovery !== 0) {
        const at = this.nextRetransmission();
        if (at >= 0) {
          if (
            inFlight >= cwndBytes &&
            !(this.recovery === 1 && at === this.sndUna && this.retxNext <= this.sndUna)
          )
            break;
          this.retransmitFrom(at);
          continue;
        }
      }
      const dataEnd = this.sendQueue.end;
      const unsent = dataEnd - this.sndNxt;
      const windowLeft = this.sndUna + this.sndWnd - this.sndNxt;
      if (unsent <= 0) {
        if (this.finQueued && !this.finSent() && this.sndNxt === this.finOffset) {
          this.sendDataSegment(this.sndNxt, 0, true);
        }
        break;
      }
      let len = Math.min(mss, unsent);
      if (windowLeft < len) {
        if (windowLeft <= 0) {
          if (this.sndNxt === this.sndUna && !this.retransmitTimer.armed) this.armPersist();
          break;
        }
        len = windowLeft;
      }
      if (inFlight >= cwndBytes) break;
      // Nagle: a small segment waits while data is unacknowledged (not the last before a FIN).
      const last = this.sndNxt + len === dataEnd;
      if (len < mss && !this.noDelay && this.sndNxt > this.sndUna && !(this.finQueued && last)) break;
      this.sendDataSegment(this.sndNxt, len, this.finQueued && last);
    }
  }

  private sendDataSegment(offset: number, len: number, fin: boolean): void {
    const end = offset + len;
    let flags = TCP_ACK;
    if (len > 0 && end === this.sendQueue.end) flags |= TCP_PSH;
    if (fin) flags |= TCP_FIN;
    this.transmit(flags, offset, len, this.selectWindow(), this.ackSeq());
    const newEnd = end + (fin ? 1 : 0);
    if (newEnd > this.sndNxt) this.sndNxt = newEnd;
    if (this.rttSeq < 0 && this.recovery === 0 && len > 0) {
      this.rttSeq = end;
      this.rttTime = this.host.sim.now;
    }
    if (!this.retransmitTimer.armed) this.retransmitTimer.setAfter(this.rtt.rto);
    // tcp_event_data_sent: answering soon after receiving makes the connection interactive.
    // (Before any data arrived ato is 0, so a client's first request never counts.)
    if (len > 0 && this.host.sim.now - this.lastRecvTime < this.ato) this.pingpong = true;
  }

  /** sndNxt when the first unacknowledged segment was last retransmitted (-1: not). */
  private headRetxMark = -1;

  private retransmitFrom(at: number): void {
    if (at === this.sndUna) this.headRetxMark = this.sndNxt;
    const dataEnd = this.sendQueue.end;
    let len = Math.min(this.mss, Math.max(0, (this.finQueued ? this.finOffset : dataEnd) - at));
    for (let i = 0; i < this.sacked.length; i += 2) {
      const s = this.sacked[i] as number;
      if (s > at && s < at + len) len = s - at;
    }
    const fin = this.finQueued && at + len === this.finOffset && this.finSent();
    let flags = TCP_ACK;
    if (len > 0 && at + len === dataEnd) flags |= TCP_PSH;
    if (fin) flags |= TCP_FIN;
    this.transmit(flags, at, len, this.selectWindow(), this.ackSeq());
    this.totalRetrans++;
    this.retxNext = at + len + (fin ? 1 : 0);
    if (!this.retransmitTimer.armed) this.retransmitTimer.setAfter(this.rtt.rto);
  }

  // ==== ACK scheduling ========================================================================

  /** After input: ACK now (quick-ack, two full segments, out of order) or arm the delayed ACK. */
  private ackCheck(gotData: boolean): void {
    if (!this.ackPending || this.state === TCP_CLOSED) return;
    if (!gotData) return;
    const quickMode = this.quick > 0 && !this.pingpong;
    if (
      (this.rcvNxt - this.rcvWup > this.rcvMss && this.freeWindow() >= this.rcvWnd) ||
      quickMode ||
      this.ackNow ||
      this.ooo.length > 0
    ) {
      this.ackNow = false;
      this.sendAck();
      return;
    }
    if (!this.delackTimer.armed) this.delackTimer.setAfter(Math.min(TCP_ATO_MIN, TCP_DELACK_MAX));
  }

  private ackNow = false;

  private scheduleAck(): void {
    this.ackPending = true;
  }

  private scheduleAckNow(): void {
    this.ackPending = true;
    this.ackNow = true;
  }

  private onDelayedAck(): void {
    if (this.ackPending && this.state !== TCP_CLOSED) {
      this.pingpong = false; // tcp_delack_timer: a missed ACK ends interactive mode
      this.sendAck();
    }
  }

  // ==== timers ================================================================================

  private onRetransmitTimeout(): void {
    const now = this.host.sim.now;
    if (this.state === TCP_SYN_SENT || this.state === TCP_SYN_RECV) {
      // A connect gives up by time (retransmits_timed_out with tcp_model_timeout: 127 s for
      // tcp_syn_retries 6, however many linear retries fit); a SYN-ACK by count.
      if (this.state === TCP_SYN_SENT) {
        if (now - this.synSentAt >= modelTimeout(this.host.sysctl("net.ipv4.tcp_syn_retries"))) {
          this.fail(this.softError ?? "ETIMEDOUT");
          return;
        }
      } else if (this.retransmits >= this.host.sysctl("net.ipv4.tcp_synack_retries")) {
        this.destroy();
        return;
      }
      if (this.retransmits === 0) this.firstRetransAt = now;
      this.retransmits++;
      this.totalRetrans++;
      const linear = this.host.sysctl("net.ipv4.tcp_syn_linear_timeouts");
      if (this.state !== TCP_SYN_SENT || this.retransmits > linear) this.rtt.backoff();
      this.retransmitTimer.setAfter(this.rtt.rto);
      this.sendSyn();
      return;
    }
    if (this.sndUna >= this.sndNxtForSeq()) return;
    if (this.sndWnd === 0 && this.sndNxt === this.sndUna && !this.finSent()) {
      this.onPersist();
      return;
    }
    const retries2 = this.host.sysctl("net.ipv4.tcp_retries2");
    if (this.retransmits >= retries2) {
      this.fail(this.softError ?? "ETIMEDOUT");
      return;
    }
    if (this.retransmits === 0) this.firstRetransAt = now;
    this.retransmits++;
    this.enterRecovery(2);
    this.rtt.backoff();
    this.retransmitTimer.setAfter(this.rtt.rto);
    const at = this.nextRetransmission();
    if (at >= 0) this.retransmitFrom(at);
  }

  /** Zero-window probing (tcp_probe_timer): a window probe with an old sequence number. */
  private persistArmed = false;

  private armPersist(): void {
    this.persistArmed = true;
    this.retransmitTimer.setAfter(this.rtt.rto);
  }

  private persistDone(): void {
    if (!this.persistArmed) return;
    this.persistArmed = false;
    this.retransmitTimer.cancel();
    this.pushPending();
  }

  private onPersist(): void {
    this.transmit(TCP_ACK, this.sndUna - 1, 0, this.selectWindow(), this.ackSeq());
    this.rtt.backoff();
    this.retransmitTimer.setAfter(Math.min(this.rtt.rto, TCP_RTO_MAX));
  }

  private armKeepalive(): void {
    this.keepaliveProbes = 0;
    this.keepaliveTimer.setAfter(this.host.sysctl("net.ipv4.tcp_keepalive_time") * SECOND);
  }

  /** tcp_keepalive_timer: a probe is an ACK one byte behind; unanswered probes end the connection. */
  private onKeepalive(): void {
    if (this.state !== TCP_ESTABLISHED && this.state !== TCP_CLOSE_WAIT && this.state !== TCP_FIN_WAIT2)
      return;
    if (this.keepaliveProbes >= this.host.sysctl("net.ipv4.tcp_keepalive_probes")) {
      this.fail(this.softError ?? "ETIMEDOUT");
      return;
    }
    const probes = this.keepaliveProbes + 1;
    this.transmit(TCP_ACK, this.sndUna - 1, 0, this.selectWindow(), this.ackSeq());
    this.keepaliveTimer.setAfter(this.host.sysctl("net.ipv4.tcp_keepalive_intvl") * SECOND);
    this.keepaliveProbes = probes;
  }

  /**
   * An ICMP error about this connection (tcp_v4_err, tcp_v6_err): it ends a connection in
   * SYN_SENT; after that it is only a soft error (sk_err_soft, without IP_RECVERR), which the
   * connection reports if it later times out — even port unreachable and prohibited, as
   * measured on Linux 6.18 (an established IPv6 connection behind a router that starts rejecting
   * it keeps going; send() still works). `ownedByConnect`: an error that arrives while connect()
   * still holds the socket — over links without delay, the answer to the first SYN — is only a
   * soft error too (sock_owned_by_user, counted in TcpExtLockDroppedIcmps), so the connection
   * fails when the error for the first retransmission comes back, a second later. Measured on
   * Linux 6.18 over veth for ICMPv6 errors (curl, nc and a blocking connect() all fail after
   * ~1 s; with the error delayed by a tbf qdisc, at its arrival); IPv4's fail curl and nc at once.
   */
  icmpError(errno: TcpErrno, ownedByConnect = false): void {
    const owned = ownedByConnect && this.retransmits === 0 && this.host.sim.now === this.synSentAt;
    if (this.state === TCP_SYN_SENT && !owned) {
      this.fail(errno);
      return;
    }
    this.softError = errno;
  }

  // ==== teardown ==============================================================================

  private fail(errno: TcpErrno): void {
    this.error = new TcpError(errno);
    const handler = this.onError;
    this.destroy();
    handler?.(this.error);
  }

  /** Leave the table and stop every timer (tcp_done / inet_twsk_kill). */
  destroy(): void {
    if (this.state === TCP_SYN_RECV && this.parent && this.parent.synQueue > 0) this.parent.synQueue--;
    this.state = TCP_CLOSED;
    this.retransmitTimer.cancel();
    this.delackTimer.cancel();
    this.keepaliveTimer.cancel();
    this.timewaitTimer.cancel();
    this.host.unhash(this);
    this.onClose?.();
    this.onClose = undefined;
  }

  /** How long ago the first retransmission of the current stall happened (for tests/ss). */
  get stalledFor(): number {
    return this.retransmits === 0 ? 0 : this.host.sim.now - this.firstRetransAt;
  }
}

const NO_SACK: readonly number[] = [];

/** The offset of the first option of `kind` in the options [p, end), or -1. */
function findOption(b: Uint8Array, p: number, end: number, kind: number): number {
  while (p < end) {
    const k = b[p] as number;
    if (k === 0) return -1;
    if (k === 1) {
      p++;
      continue;
    }
    const len = b[p + 1] as number;
    if (len < 2 || p + len > end) return -1;
    if (k === kind) return p;
    p += len;
  }
  return -1;
}

/**
 * tcp_model_timeout: how long `retries` doubling retransmissions from a 1 s RTO take, the RTO
 * capped at 120 s — the time after which a connect gives up.
 */
function modelTimeout(retries: number): number {
  const threshold = Math.floor(Math.log2(TCP_RTO_MAX / TCP_TIMEOUT_INIT)); // 6
  if (retries <= threshold) return (2 ** (retries + 1) - 1) * TCP_TIMEOUT_INIT;
  return (2 ** (threshold + 1) - 1) * TCP_TIMEOUT_INIT + (retries - threshold) * TCP_RTO_MAX;
}

/** For TcpHost implementations: the unused initial RTO, re-exported for tests. */
export const INITIAL_RTO = TCP_TIMEOUT_INIT;
