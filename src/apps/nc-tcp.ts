/**
 * OpenBSD netcat over TCP: the client connects, sends its standard input, prints what arrives and
 * exits when the server closes (with -N it also shuts down its side after the input); `-z` only
 * connects and closes; `-v` reports success on standard error; `-w S` bounds the connect. The
 * listener (`-l`) takes one connection, prints what arrives, sends its input and exits when the
 * client closes. Messages are netcat's: `nc: connect to H port P (tcp) failed: Connection refused`,
 * `Connection to H P port [tcp/http] succeeded!`, `Listening on 0.0.0.0 P`,
 * `Connection received on H P`. IPv6: `-6` (or an IPv6 address) listens on or connects to IPv6.
 */

import { TcpError } from "../kernel/tcp/tcp-error.js";
import type { TcpSocket } from "../kernel/tcp/tcp-socket.js";
import { SECOND } from "../sim/time.js";
import { type InetFamilyChoice, inetText, parseInetLiteral, tcpOf } from "./inet-address.js";
import type { ProcessContext, RunningProcess } from "./process.js";
import { printText } from "./terminal.js";

export interface NcTcpOptions {
  listen: boolean;
  wait: number;
  localPort: number;
  /** -s ADDR, as given. */
  localAddr: string | undefined;
  /** -4, -6, or neither. */
  family: InetFamilyChoice;
  verbose: boolean;
  zero: boolean;
  shutdownOnEof: boolean;
  host: string | undefined;
  port: string | undefined;
}

/** /etc/services names netcat prints for well-known ports. */
const SERVICES: Record<number, string> = {
  21: "ftp",
  22: "ssh",
  23: "telnet",
  25: "smtp",
  53: "domain",
  80: "http",
  110: "pop3",
  143: "imap2",
  443: "https",
  3306: "mysql",
  5432: "postgresql",
  6379: "redis",
  8080: "http-alt",
};

const encoder = new TextEncoder();

export function ncTcp(o: NcTcpOptions, ctx: ProcessContext, stdin: string): RunningProcess | undefined {
  const ns = ctx.ns;
  const remote = o.listen ? undefined : parseInetLiteral(ns, o.host ?? "", o.family);
  const local = o.localAddr === undefined ? undefined : parseInetLiteral(ns, o.localAddr, o.family);
  const v6 = remote?.v6 ?? local?.v6 ?? o.family === 6;
  const localAddr = local?.addr ?? 0;
  const sock = tcpOf(ns, v6).socket();
  const text = (addr: number) => inetText(ns, { v6, addr });
  let done = false;
  const finish = (status: number) => {
    if (done) return;
    done = true;
    ctx.exit(status);
  };
  const talk = (c: TcpSocket) => {
    c.onData = (d) => printText(ctx, d);
    c.onEnd = () => {
      c.close();
      finish(0);
    };
    c.onError = () => finish(1);
    if (stdin !== "") c.write(encoder.encode(stdin));
    if (o.shutdownOnEof) c.shutdown();
  };
  if (o.listen) {
    const port = o.localPort || Number(o.host);
    try {
      sock.bind(localAddr, port).listen(1);
    } catch (e) {
      if (!(e instanceof TcpError)) throw e;
      ctx.err(`nc: ${e.message}`);
      finish(1);
      return undefined;
    }
    if (o.verbose) ctx.err(`Listening on ${text(localAddr)} ${port}`);
    sock.onConnection = (c) => {
      sock.close(); // netcat accepts one connection and stops listening
      // An IPv4 client of a dual-stack (-6) listener is an IPv4-mapped address to netcat.
      const from = c.mapped
        ? `::ffff:${inetText(ns, { v6: false, addr: c.remoteAddr })}`
        : text(c.remoteAddr);
      if (o.verbose) ctx.err(`Connection received on ${from} ${c.remotePort}`);
      talk(c);
    };
    return {
      interrupt: () => {
        sock.close();
        finish(0);
      },
    };
  }
  const port = Number(o.port);
  if (
    remote === undefined ||
    (o.localAddr !== undefined && local?.v6 !== v6) ||
    !(port > 0 && port < 65536)
  ) {
    ctx.err(`nc: getaddrinfo for host "${o.host ?? ""}" port ${o.port ?? ""}: Name or service not known`);
    finish(1);
    return undefined;
  }
  const addr = remote.addr;
  const where = `${text(addr)} port ${port} (tcp)`;
  let connected = false;
  sock.onError = (e) => {
    if (!connected) ctx.err(`nc: connect to ${where} failed: ${e.message}`);
    finish(1);
  };
  sock.onConnect = () => {
    connected = true;
    if (o.verbose)
      ctx.err(`Connection to ${text(addr)} ${port} port [tcp/${SERVICES[port] ?? "*"}] succeeded!`);
    if (o.zero) {
      sock.close();
      finish(0);
      return;
    }
    talk(sock);
  };
  try {
    if (o.localPort || localAddr) sock.bind(localAddr, o.localPort);
    sock.connect(addr, port);
  } catch (e) {
    if (!(e instanceof TcpError)) throw e;
    ctx.err(`nc: connect to ${where} failed: ${e.message}`);
    finish(1);
    return undefined;
  }
  if (o.wait > 0)
    ctx.host.sim.scheduleAfter(Math.round(o.wait * SECOND), () => {
      if (connected || done) return;
      sock.close();
      ctx.err(`nc: connect to ${where} timed out: Operation now in progress`);
      finish(1);
    });
  return {
    interrupt: () => {
      sock.close();
      finish(0);
    },
  };
}
