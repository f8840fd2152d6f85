/**
 * `iperf3`-style bulk transfer. `iperf3 -s [-p PORT] [-1]` serves tests (one with -1);
 * `iperf3 -c HOST [-p PORT] [-n BYTES[KMG]] [-t SECONDS] [-i INTERVAL]` sends as fast as TCP
 * allows (128 KiB writes, iperf3's default) and prints iperf3's report: one line per interval of
 * simulated time with transfer, bitrate, retransmissions and cwnd, then the sender and receiver
 * summary and `iperf Done.`. Units as iperf3 prints them (bytes in powers of 1024, bits/s in
 * powers of 1000, three significant digits).
 * Deviations: no control connection (iperf3 opens one on the same port and exchanges JSON
 * parameters and results over it); only the data connection is on the wire; no -R, -u, -P.
 */

import { TcpError } from "../kernel/tcp/tcp-error.js";
import type { TcpSocket } from "../kernel/tcp/tcp-socket.js";
import { SECOND } from "../sim/time.js";
import { ipv4ToString, parseIpv4 } from "../util/ipv4-address.js";
import type { ProcessContext, RunningProcess } from "./process.js";

const BLOCK = 128 * 1024;
const SEPARATOR = "- - - - - - - - - - - - - - - - - - - - - - - - -";
const BANNER = "-----------------------------------------------------------";

/** iperf3's unit_snprintf: 3 significant digits with K/M/G (1024 for bytes, 1000 for bits). */
export function iperfUnit(value: number, bits: boolean): string {
  const base = bits ? 1000 : 1024;
  const names = bits
    ? ["bits/sec", "Kbits/sec", "Mbits/sec", "Gbits/sec", "Tbits/sec"]
    : ["Bytes", "KBytes", "MBytes", "GBytes", "TBytes"];
  let v = value;
  let i = 0;
  while (v >= base && i < names.length - 1) {
    v /= base;
    i++;
  }
  const text = v < 9.995 ? v.toFixed(2) : v < 99.95 ? v.toFixed(1) : v.toFixed(0);
  return `${text.padStart(4)} ${names[i]}`;
}

function interval(from: number, to: number): string {
  return `${from.toFixed(2).padStart(6)}-${to.toFixed(2).padEnd(6)} sec`;
}

function parseSize(text: string | undefined): number {
  const m = /^(\d+(?:\.\d+)?)([KMGkmg]?)$/.exec(text ?? "");
  if (!m) return Number.NaN;
  const mult = { "": 1, k: 1024, m: 1024 ** 2, g: 1024 ** 3 }[(m[2] ?? "").toLowerCase()] ?? 1;
  return Math.round(Number(m[1]) * mult);
}

export function iperf3(args: string[], ctx: ProcessContext): RunningProcess | undefined {
  let server = false;
  let host: string | undefined;
  let port = 5201;
  let once = false;
  let bytes = 0;
  let time = 10;
  let every = 1;
  for (let i = 0; i < args.length; i++) {
    const a = args[i];
    if (a === "-s" || a === "--server") server = true;
    else if (a === "-c" || a === "--client") host = args[++i];
    else if (a === "-p" || a === "--port") port = Number(args[++i]);
    else if (a === "-1" || a === "--one-off") once = true;
    else if (a === "-n" || a === "--bytes") bytes = parseSize(args[++i]);
    else if (a === "-t" || a === "--time") time = Number(args[++i]);
    else if (a === "-i" || a === "--interval") every = Number(args[++i]);
    else {
      ctx.err(`iperf3: unrecognized option '${a}'`);
      ctx.exit(1);
      return undefined;
    }
  }
  if (Number.isNaN(bytes) || !(time > 0) || !(every > 0) || !(port > 0 && port < 65536)) {
    ctx.err("iperf3: parameter error - invalid argument");
    ctx.exit(1);
    return undefined;
  }
  if (server) return iperfServer(ctx, port, once, every);
  const addr = parseIpv4(host ?? "");
  if (addr === undefined) {
    ctx.err(
      `iperf3: error - unable to connect to server - server may have stopped running or use a different port, firewall issue, etc.: Name or service not known`,
    );
    ctx.exit(1);
    return undefined;
  }
  return iperfClient(ctx, addr, port, bytes, time, every);
}

function iperfServer(
  ctx: ProcessContext,
  port: number,
  once: boolean,
  every: number,
): RunningProcess | undefined {
  const listener = ctx.ns.tcp.socket();
  let test = 1;
  try {
    listener.bind(0, port).listen();
  } catch (e) {
    if (!(e instanceof TcpError)) throw e;
    ctx.err(`iperf3: error - unable to start listener for connections: ${e.message}`);
    ctx.exit(1);
    return undefined;
  }
  const banner = () => {
    ctx.out(BANNER);
    ctx.out(`Server listening on ${port} (test #${test})`);
    ctx.out(BANNER);
  };
  banner();
  listener.onConnection = (c) => {
    const sim = ctx.host.sim;
    const start = sim.now;
    ctx.out(`Accepted connection from ${ipv4ToString(c.remoteAddr)}, port ${c.remotePort}`);
    ctx.out(
      `[  5] local ${ipv4ToString(c.localAddr)} port ${c.localPort} connected to ${ipv4ToString(c.remoteAddr)} port ${c.remotePort}`,
    );
    ctx.out("[ ID] Interval           Transfer     Bitrate");
    let total = 0;
    let mark = 0;
    let lastTick = start;
    const tick = () => {
      const from = (lastTick - start) / SECOND;
      const to = (sim.now - start) / SECOND;
      const n = total - mark;
      ctx.out(
        `[  5] ${interval(from, to)}  ${iperfUnit(n, false)}  ${iperfUnit((n * 8) / (to - from), true)}                  `,
      );
      mark = total;
      lastTick = sim.now;
    };
    const timer = sim.scheduleAfter(Math.round(every * SECOND), function repeat() {
      tick();
      current = sim.scheduleAfter(Math.round(every * SECOND), repeat);
    });
    let current = timer;
    c.onData = (d) => {
      total += d.length;
    };
    c.onEnd = () => {
      sim.cancel(current);
      const secs = (sim.now - start) / SECOND;
      if (sim.now > lastTick) tick();
      ctx.out(SEPARATOR);
      ctx.out("[ ID] Interval           Transfer     Bitrate");
      ctx.out(
        `[  5] ${interval(0, secs)}  ${iperfUnit(total, false)}  ${iperfUnit((total * 8) / secs, true)}                  receiver`,
      );
      c.close();
      test++;
      if (once) {
        listener.close();
        ctx.exit(0);
      } else banner();
    };
  };
  return {
    interrupt: () => {
      listener.close();
      ctx.exit(0);
    },
  };
}

function iperfClient(
  ctx: ProcessContext,
  addr: number,
  port: number,
  bytes: number,
  time: number,
  every: number,
): RunningProcess | undefined {
  const sim = ctx.host.sim;
  const sock: TcpSocket = ctx.ns.tcp.socket();
  const block = new Uint8Array(BLOCK);
  let start = 0;
  let written = 0;
  let stopped = false;
  let mark = 0;
  let markRetrans = 0;
  let lastTick = 0;
  let tickEvent: ReturnType<typeof sim.scheduleAfter> | undefined;
  let senderEnd = -1;
  ctx.out(`Connecting to host ${ipv4ToString(addr)}, port ${port}`);
  const acked = () => written - sock.sendQueueBytes;
  const tick = () => {
    const from = (lastTick - start) / SECOND;
    const to = (sim.now - start) / SECOND;
    const n = acked() - mark;
    const cwnd = iperfUnit(Math.floor(sock.cc.cwnd) * sock.mss, false);
    ctx.out(
      `[  5] ${interval(from, to)}  ${iperfUnit(n, false)}  ${iperfUnit((n * 8) / (to - from), true)}  ${String(sock.totalRetrans - markRetrans).padStart(3)}   ${cwnd}       `,
    );
    mark = acked();
    markRetrans = sock.totalRetrans;
    lastTick = sim.now;
  };
  const pump = () => {
    while (!stopped && (bytes === 0 || written < bytes)) {
      const n = sock.write(block, 0, bytes === 0 ? BLOCK : Math.min(BLOCK, bytes - written));
      if (n === 0) return;
      written += n;
    }
    if (!stopped) {
      stopped = true;
      sock.close();
    }
  };
  sock.onConnect = () => {
    start = sim.now;
    lastTick = start;
    ctx.out(
      `[  5] local ${ipv4ToString(sock.localAddr)} port ${sock.localPort} connected to ${ipv4ToString(addr)} port ${port}`,
    );
    ctx.out("[ ID] Interval           Transfer     Bitrate         Retr  Cwnd");
    tickEvent = sim.scheduleAfter(Math.round(every * SECOND), function repeat() {
      tick();
      tickEvent = sim.scheduleAfter(Math.round(every * SECOND), repeat);
    });
    if (bytes === 0)
      sim.scheduleAfter(Math.round(time * SECOND), () => {
        // The test time is up: the last interval ends here and the sender stops.
        if (tickEvent) sim.cancel(tickEvent);
        tickEvent = undefined;
        if (sim.now > lastTick) tick();
        senderEnd = sim.now;
        stopped = true;
        sock.close();
      });
    pump();
  };
  sock.onDrain = pump;
  // The server closes once it has read everything: the test is over.
  sock.onEnd = () => {
    if (tickEvent) sim.cancel(tickEvent);
    const secs = (sim.now - start) / SECOND;
    if (senderEnd < 0) {
      if (sim.now > lastTick) tick();
      senderEnd = sim.now;
    }
    const senderSecs = (senderEnd - start) / SECOND;
    ctx.out(SEPARATOR);
    ctx.out("[ ID] Interval           Transfer     Bitrate         Retr");
    const total = written;
    const rate = (t: number) => (t > 0 ? iperfUnit((total * 8) / t, true) : "   0 bits/sec");
    ctx.out(
      `[  5] ${interval(0, senderSecs)}  ${iperfUnit(total, false)}  ${rate(senderSecs)}  ${String(sock.totalRetrans).padStart(3)}             sender`,
    );
    ctx.out(
      `[  5] ${interval(0, secs)}  ${iperfUnit(total, false)}  ${rate(secs)}                  receiver`,
    );
    ctx.out("");
    ctx.out("iperf Done.");
    ctx.exit(0);
  };
  sock.onError = (e) => {
    if (tickEvent) sim.cancel(tickEvent);
    ctx.err(
      start === 0
        ? `iperf3: error - unable to connect to server - server may have stopped running or use a different port, firewall issue, etc.: ${e.message}`
        : `iperf3: error - control socket has closed unexpectedly`,
    );
    ctx.exit(1);
  };
  try {
    sock.connect(addr, port);
  } catch (e) {
    if (!(e instanceof TcpError)) throw e;
    ctx.err(
      `iperf3: error - unable to connect to server - server may have stopped running or use a different port, firewall issue, etc.: ${e.message}`,
    );
    ctx.exit(1);
    return undefined;
  }
  return {
    interrupt: () => {
      stopped = true;
      sock.abort();
      ctx.exit(1);
    },
  };
}
