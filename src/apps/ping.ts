/**
 * `ping` as iputils 20221126 behaves on Linux: ICMP echo requests (ICMPv6 ones to an IPv6
 * address, ping-icmpv6.ts) with a 56-byte payload (a
 * timeval, then bytes 0x10, 0x11, ...), one per interval, replies and ICMP errors reported per
 * line, and the statistics block at the end. Options: -c count, -i interval, -s size, -t ttl,
 * -M do|dont|want, -W timeout. Exit status: 0 when a reply came, 1 when none did, 2 on errors
 * such as no route. Round-trip times are simulated time.
 *
 * Deviations: the echo id comes from the seeded RNG (Linux: the ping socket's port); no -f, -A,
 * -I, -R, no DNS names; after the last request it waits for outstanding replies up to -W
 * (default 10 s) rather than iputils' exact linger rule.
 */

import { Packet } from "../link/packet.js";
import { SECOND } from "../sim/time.js";
import { put16, u16, u32 } from "../util/bytes.js";
import { checksum } from "../util/checksum.js";
import { ipv4ToString, parseIpv4 } from "../util/ipv4-address.js";
import { parseIpv6 } from "../util/ipv6-address.js";
import {
  ICMP_DEST_UNREACH,
  ICMP_ECHO_REPLY,
  ICMP_ECHO_REQUEST,
  ICMP_FRAG_NEEDED,
  ICMP_HEADER_LEN,
  ICMP_HOST_UNREACH,
  ICMP_NET_UNREACH,
  ICMP_PORT_UNREACH,
  ICMP_TIME_EXCEEDED,
} from "../wire/icmpv4.js";
import { IPPROTO_ICMP } from "../wire/ipv4.js";
import { icmpv6Wire } from "./ping-icmpv6.js";
import type { ProcessContext, RunningProcess } from "./process.js";
import { LOOKUP_TEXT, type LookupError, lookupAddress, lookupHost, lookupHost6 } from "./resolver.js";

export interface PingOptions {
  count: number;
  interval: number;
  size: number;
  ttl: number;
  pmtu: "want" | "do" | "dont";
  broadcast: boolean;
  timeout: number;
  target: number;
  targetText: string;
  /** -n: no reverse lookups. */
  numeric: boolean;
}

function parse(args: string[], ctx: ProcessContext): PingOptions | undefined {
  const o: PingOptions = {
    count: 0,
    interval: SECOND,
    size: 56,
    ttl: 64,
    pmtu: "want",
    broadcast: false,
    timeout: 10 * SECOND,
    target: 0,
    targetText: "",
    numeric: false,
  };
  for (let i = 0; i < args.length; i++) {
    const a = args[i] as string;
    const v = () => args[++i] ?? "";
    if (a === "-c") o.count = Number(v());
    else if (a === "-i") o.interval = Math.round(Number(v()) * SECOND);
    else if (a === "-s") o.size = Number(v());
    else if (a === "-t") o.ttl = Number(v());
    else if (a === "-W") o.timeout = Math.round(Number(v()) * SECOND);
    else if (a === "-M") {
      const m = v();
      if (m !== "do" && m !== "want" && m !== "dont") {
        ctx.err(`ping: invalid -M argument: ${m}`);
        return undefined;
      }
      o.pmtu = m;
    } else if (a === "-n") o.numeric = true;
    else if (a === "-q" || a === "-4" || a === "-6") continue;
    else if (a.startsWith("-")) {
      ctx.err(`ping: invalid option -- '${a.slice(1)}'`);
      return undefined;
    } else o.targetText = a;
  }
  if (!o.targetText) {
    ctx.err("ping: usage error: Destination address required");
    return undefined;
  }
  return o;
}

/** A round-trip time as iputils prints it: fewer decimals as the value grows (input in µs). */
export function ms(us: number): string {
  const whole = Math.floor(us / 1000);
  const frac = us % 1000;
  if (us >= 100_000) return `${whole}`;
  if (us >= 10_000) return `${whole}.${Math.floor(frac / 100)}`;
  if (us >= 1_000) return `${whole}.${String(Math.floor(frac / 10)).padStart(2, "0")}`;
  return `${whole}.${String(frac).padStart(3, "0")}`;
}

/**
 * `ping [-c N] [-i S] [-s N] [-t TTL] [-W S] [-M do|want|dont] [-b] [-n] HOST`: HOST is looked up
 * first (resolver.ts); given as a name, each reply's source is shown as `name (address)` from a
 * reverse lookup made when the first reply from that address arrives (iputils' pr_addr cache).
 */
export function ping(
  args: string[],
  ctx: ProcessContext,
  style: PingStyle = IPUTILS,
): RunningProcess | undefined {
  const parsed = parse(args, ctx);
  if (!parsed) {
    ctx.exit(2);
    return undefined;
  }
  const o = parsed;
  let running: RunningProcess | undefined;
  let interrupted = false;
  const [literal, zone] = o.targetText.split("%");
  const v6 = parseIpv6(literal ?? "");
  if (v6) {
    if (zone !== undefined && !ctx.ns.device(zone)) {
      ctx.err(`ping: ${o.targetText}: Name or service not known`);
      ctx.exit(2);
      return undefined;
    }
    return pingTarget(o, ctx, false, icmpv6Wire(ctx, v6, zone, o), style);
  }
  const handle: RunningProcess = {
    interrupt: () => {
      interrupted = true;
      if (running) running.interrupt();
      else ctx.exit(2);
    },
  };
  const unknown = (error: LookupError | undefined) => {
    const { line, status } = style.unknownHost(o.targetText, LOOKUP_TEXT[error ?? "EAI_NONAME"]);
    ctx.err(line);
    ctx.exit(status);
  };
  const six = () =>
    lookupHost6(ctx, o.targetText, (addr, error) => {
      if (interrupted) return;
      if (addr === undefined) {
        unknown(error);
        return;
      }
      running = pingTarget(o, ctx, false, icmpv6Wire(ctx, addr, undefined, o), style);
    });
  if (args.includes("-6")) {
    six();
    return handle;
  }
  lookupHost(ctx, o.targetText, (addr, error) => {
    if (interrupted) return;
    // A name with no IPv4 address (an IPv6-only network) is pinged over IPv6, as getaddrinfo
    // with AF_UNSPEC would give it (deviation: a name with both goes to IPv4).
    if (addr === undefined && error === "EAI_NONAME" && !args.includes("-4")) {
      six();
      return;
    }
    if (addr === undefined) {
      unknown(error);
      return;
    }
    o.target = addr;
    running = pingTarget(
      o,
      ctx,
      parseIpv4(o.targetText) === undefined && !o.numeric,
      ipv4Wire(o, ctx),
      style,
    );
  });
  return handle;
}

/**
 * What differs between ping programs (iputils', busybox's): sequence numbering, payload, the
 * lines printed, whether ICMP errors are reported, and the exit status of an unknown name.
 */
export interface PingStyle {
  firstSeq: number;
  /** Reply sources named by reverse lookup when the target was a name. */
  reverse: boolean;
  /** ICMP errors about our requests are reported (and count as answers). */
  reportsErrors: boolean;
  unknownHost(name: string, error: string): { line: string; status: number };
  banner(o: PingOptions, wire: PingWire): string;
  reply(bytes: number, from: string, seq: number, ttl: number, us: number): string;
  /** The payload after the ICMP header (`size` bytes at `at`), sent at `now`. */
  fill(b: Uint8Array, at: number, size: number, now: number): void;
  stats(
    target: string,
    transmitted: number,
    received: number,
    errors: number,
    ms: number,
    rtts: number[],
  ): string[];
}

export const IPUTILS: PingStyle = {
  firstSeq: 1,
  reverse: true,
  reportsErrors: true,
  unknownHost: (name, error) => ({ line: `ping: ${name}: ${error}`, status: 2 }),
  banner: (_o, wire) => wire.banner(),
  reply: (bytes, from, seq, ttl, us) =>
    `${bytes} bytes from ${from}: icmp_seq=${seq} ttl=${ttl} time=${ms(us)} ms`,
  fill(b, at, size, now) {
    if (size >= 16) {
      // struct timeval, little-endian, as iputils writes it
      const sec = Math.floor(now / SECOND);
      const usec = Math.floor((now - sec * SECOND) / 1000);
      b[at] = sec & 0xff;
      b[at + 1] = (sec >>> 8) & 0xff;
      b[at + 2] = (sec >>> 16) & 0xff;
      b[at + 3] = (sec >>> 24) & 0xff;
      b[at + 8] = usec & 0xff;
      b[at + 9] = (usec >>> 8) & 0xff;
      b[at + 10] = (usec >>> 16) & 0xff;
    }
    for (let i = 16; i < size; i++) b[at + i] = i & 0xff;
  },
  stats(target, transmitted, received, errors, elapsed, rtts) {
    const loss = transmitted === 0 ? 0 : Math.round(((transmitted - received) * 100) / transmitted);
    const errText = errors > 0 ? `, +${errors} errors` : "";
    const lines = [
      "",
      `--- ${target} ping statistics ---`,
      `${transmitted} packets transmitted, ${received} received${errText}, ${loss}% packet loss, time ${elapsed}ms`,
    ];
    if (received > 0) {
      const sum = rtts.reduce((a, b) => a + b, 0);
      const avg = Math.round(sum / received);
      const mdev = Math.round(
        Math.sqrt(Math.max(0, rtts.reduce((a, b) => a + b * b, 0) / received - (sum / received) ** 2)),
      );
      lines.push(
        `rtt min/avg/max/mdev = ${ms3(Math.min(...rtts))}/${ms3(avg)}/${ms3(Math.max(...rtts))}/${ms3(mdev)} ms`,
      );
    }
    return lines;
  },
};

/**
 * What differs between IPv4 and IPv6 ping: the socket's checks, the banner, how a request is
 * sent, and how replies and errors are recognised. Addresses travel as text.
 */
export interface PingWire {
  /** The error line and exit status when the target cannot be pinged; undefined when it can. */
  refuse(): string | undefined;
  /** The target's address as text. */
  address: string;
  banner(): string;
  /** Send echo request `p` (ICMP header and data); a positive result is the MTU it exceeds. */
  send(p: Packet): number;
  /** The echo request's type byte. */
  requestType: number;
  /** Listen for replies (seq, source, TTL/hop limit, bytes) and errors (seq, source, text). */
  listen(
    id: number,
    onReply: (seq: number, from: string, ttl: number, bytes: number) => void,
    onError: (seq: number, from: string, text: string) => void,
  ): () => void;
}

function ipv4Wire(o: PingOptions, ctx: ProcessContext): PingWire {
  const { ns } = ctx;
  return {
    requestType: ICMP_ECHO_REQUEST,
    refuse() {
      const errno = ns.ipv4.routeErrno(o.target);
      if (errno !== undefined) {
        // iputils reads EACCES from connect() as a broadcast it was not allowed to send.
        const text: Record<typeof errno, string> = {
          ENETUNREACH: "ping: connect: Network is unreachable",
          EHOSTUNREACH: "ping: connect: No route to host",
          EINVAL: "ping: connect: Invalid argument",
          EACCES: "ping: Do you want to ping broadcast? Then -b. If not, check your local firewall rules",
        };
        return text[errno];
      }
      if (ns.isBroadcast(o.target) && !o.broadcast)
        return "ping: Do you want to ping broadcast? Then -b. If not, check your local firewall rules";
      if (ns.isBroadcast(o.target)) ctx.err("WARNING: pinging broadcast address");
      return undefined;
    },
    address: ipv4ToString(o.target),
    banner: () => `PING ${o.targetText} (${ipv4ToString(o.target)}) ${o.size}(${o.size + 28}) bytes of data.`,
    send: (p) => ns.ipv4.send(p, IPPROTO_ICMP, o.target, { ttl: o.ttl, pmtu: o.pmtu }),
    listen: (id, onReply, onError) =>
      ns.ipv4.listen(IPPROTO_ICMP, (pkt, ip) => {
        const buf = pkt.buf;
        const off = ip.payloadOffset;
        const type = buf[off] as number;
        if (type === ICMP_ECHO_REPLY && u16(buf, off + 4) === id) {
          onReply(u16(buf, off + 6), ipv4ToString(ip.src), ip.ttl, ip.payloadLength);
          return;
        }
        if (type !== ICMP_DEST_UNREACH && type !== ICMP_TIME_EXCEEDED) return;
        // The quoted datagram must be one of our echo requests.
        const q = off + ICMP_HEADER_LEN;
        const qhl = ((buf[q] as number) & 15) * 4;
        if (buf[q + 9] !== IPPROTO_ICMP || buf[q + qhl] !== ICMP_ECHO_REQUEST || u16(buf, q + qhl + 4) !== id)
          return;
        if (u32(buf, q + 16) !== o.target) return;
        const text = errorText(type, buf[off + 1] as number, u16(buf, off + 6));
        onError(u16(buf, q + qhl + 6), ipv4ToString(ip.src), text);
      }),
  };
}

function pingTarget(
  o: PingOptions,
  ctx: ProcessContext,
  reverseWanted: boolean,
  wire: PingWire,
  style: PingStyle,
): RunningProcess | undefined {
  const reverse = reverseWanted && style.reverse;
  const { ns } = ctx;
  const sim = ctx.host.sim;
  const refused = wire.refuse();
  if (refused !== undefined) {
    ctx.err(refused);
    ctx.exit(2);
    return undefined;
  }
  const id = sim.random(`ping:${ns.name}`).int(1, 0xffff);
  const start = sim.now;
  const sentAt = new Map<number, number>();
  const rtts: number[] = [];
  let transmitted = 0;
  let errors = 0;
  let finished = false;
  let lastActivity = start;
  ctx.out(style.banner(o, wire));

  const stopListening = wire.listen(
    id,
    (seq, from, ttl, bytes) => {
      const t0 = sentAt.get(seq);
      if (finished || t0 === undefined) return;
      const us = Math.round((sim.now - t0) / 1000);
      rtts.push(us);
      lastActivity = sim.now;
      print(() => style.reply(bytes, label(from), seq, ttl, us), from);
      maybeDone();
    },
    (seq, from, text) => {
      if (finished || !style.reportsErrors) return;
      errors++;
      lastActivity = sim.now;
      print(() => `From ${label(from)} icmp_seq=${seq} ${text}`, from);
      maybeDone();
    },
  );
  const send = () => {
    if (finished) return;
    const seq = style.firstSeq + transmitted++;
    const p = Packet.alloc(ICMP_HEADER_LEN + o.size);
    const b = p.buf;
    const h = p.head;
    b[h] = wire.requestType;
    put16(b, h + 4, id);
    put16(b, h + 6, seq);
    const now = sim.now;
    style.fill(b, h + ICMP_HEADER_LEN, o.size, now);
    put16(b, h + 2, checksum(b, h, p.length));
    sentAt.set(seq, now);
    lastActivity = now;
    const mtu = wire.send(p);
    if (mtu > 0) {
      // EMSGSIZE from sendmsg: iputils reports it and counts an error.
      errors++;
      ctx.err(`ping: local error: message too long, mtu=${mtu}`);
      maybeDone();
    }
    if (o.count === 0 || transmitted < o.count) sim.scheduleAfter(o.interval, send);
    else sim.scheduleAfter(o.timeout, () => finish());
  };

  // Reverse lookups (only when the target was a name): one per address, lines wait for it.
  const names = new Map<string, string>();
  const waiting: (() => string)[] = [];
  let looking = false;
  let finishWhenPrinted = false;
  const label = (a: string) => (reverse ? `${names.get(a) ?? a} (${a})` : a);
  function print(line: () => string, addr: string): void {
    waiting.push(line);
    if (looking) return;
    if (!reverse || names.has(addr)) {
      flush();
      return;
    }
    looking = true;
    lookupAddress(ctx, parseIpv4(addr) ?? 0, (name) => {
      names.set(addr, name ?? addr);
      looking = false;
      flush();
      if (finishWhenPrinted) finish();
    });
  }
  function flush(): void {
    while (waiting.length > 0) ctx.out((waiting.shift() as () => string)());
  }

  function maybeDone(): void {
    if (o.count > 0 && transmitted >= o.count && rtts.length + errors >= o.count) finish();
  }

  function finish(): void {
    if (finished) return;
    if (looking) {
      finishWhenPrinted = true;
      return;
    }
    finished = true;
    stopListening();
    const received = rtts.length;
    const elapsed = Math.floor((lastActivity - start) / 1_000_000);
    for (const l of style.stats(o.targetText, transmitted, received, errors, elapsed, rtts)) ctx.out(l);
    ctx.exit(received > 0 ? 0 : 1);
  }

  sim.scheduleAfter(0, send);
  return { interrupt: finish };
}

/** Milliseconds with three decimals, from microseconds. */
export function ms3(us: number): string {
  return `${Math.floor(us / 1000)}.${String(us % 1000).padStart(3, "0")}`;
}

function errorText(type: number, code: number, mtu: number): string {
  if (type === ICMP_TIME_EXCEEDED)
    return code === 0 ? "Time to live exceeded" : "Frag reassembly time exceeded";
  switch (code) {
    case ICMP_NET_UNREACH:
      return "Destination Net Unreachable";
    case ICMP_HOST_UNREACH:
      return "Destination Host Unreachable";
    case ICMP_PORT_UNREACH:
      return "Destination Port Unreachable";
    case ICMP_FRAG_NEEDED:
      return `Frag needed and DF set (mtu = ${mtu})`;
    case 2:
      return "Destination Protocol Unreachable";
    case 9:
      return "Destination Net Prohibited";
    case 10:
      return "Destination Host Prohibited";
    case 13:
      return "Packet filtered";
    default:
      return `Dest Unreachable, Bad Code: ${code}`;
  }
}
