/**
 * `nc` (OpenBSD netcat 1.219, Debian's netcat-openbsd). TCP (see nc-tcp.ts): `nc HOST PORT`,
 * `nc -l [-p] PORT`, `-z` port probe, `-v`, `-N`, `-w S`. UDP: `nc -u HOST PORT` sends its
 * standard input as one datagram and prints what comes back; `nc -u -l [-p] PORT` prints every
 * datagram it receives and, as OpenBSD netcat does, connect()s to the first sender (so only it is
 * heard, and `ss` shows the socket ESTAB with its own address), to which it sends its standard
 * input; with -v it says `Bound on ADDR PORT` and `Connection received on HOST PORT`. A `-6`
 * listener is dual-stack: an IPv4 sender is ::ffff:a.b.c.d to it. `-w S` ends the
 * client S seconds after its input is sent; `-s ADDR` and `-p PORT` choose the local address and
 * port; `-b` allows broadcast; `-4`/`-6` choose the family (an IPv6 address implies -6; a
 * listener without -6 is IPv4's). Deviation: -v and -z on a UDP client (netcat's probe
 * datagrams) are not modelled; hosts are numeric.
 */

import type { UdpSocket } from "../kernel/udp.js";
import { UdpError } from "../kernel/udp.js";
import { SECOND } from "../sim/time.js";
import { type InetFamilyChoice, inetText, parseInetLiteral, udpOf } from "./inet-address.js";
import { ncTcp } from "./nc-tcp.js";
import type { ProcessContext, RunningProcess } from "./process.js";
import { printText } from "./terminal.js";

export function nc(args: string[], ctx: ProcessContext, stdin: string): RunningProcess | undefined {
  let udp = false;
  let listen = false;
  let wait = -1;
  let localPort = 0;
  let localText: string | undefined;
  let family: InetFamilyChoice = 0;
  let broadcast = false;
  let verbose = false;
  let zero = false;
  let shutdownOnEof = false;
  const rest: string[] = [];
  for (let i = 0; i < args.length; i++) {
    const a = args[i] as string;
    if (!a.startsWith("-") || a === "-") {
      rest.push(a);
      continue;
    }
    for (const flag of a.slice(1)) {
      if (flag === "u") udp = true;
      else if (flag === "l") listen = true;
      else if (flag === "n") continue;
      else if (flag === "b") broadcast = true;
      else if (flag === "v") verbose = true;
      else if (flag === "z") zero = true;
      else if (flag === "N") shutdownOnEof = true;
      else if (flag === "w") wait = Number(args[++i]);
      else if (flag === "p") localPort = Number(args[++i]);
      else if (flag === "s") localText = args[++i] ?? "";
      else if (flag === "4") family = 4;
      else if (flag === "6") family = 6;
      else {
        ctx.err(`nc: invalid option -- '${flag}'`);
        ctx.exit(1);
        return undefined;
      }
    }
  }
  const local = localText === undefined ? undefined : parseInetLiteral(ctx.ns, localText, family);
  if (localText !== undefined && !local) {
    ctx.err("nc: getaddrinfo for host: Name or service not known");
    ctx.exit(1);
    return undefined;
  }
  if (!udp) {
    return ncTcp(
      {
        listen,
        wait,
        localPort,
        localAddr: localText,
        family,
        verbose,
        zero,
        shutdownOnEof,
        host: rest[0],
        port: rest[1],
      },
      ctx,
      stdin,
    );
  }
  const remote = listen ? undefined : parseInetLiteral(ctx.ns, rest[0] ?? "", family);
  const v6 = remote?.v6 ?? local?.v6 ?? family === 6;
  const localAddr = local?.addr ?? 0;
  const sock = udpOf(ctx.ns, v6).socket();
  sock.broadcast = broadcast;
  let done = false;
  const finish = (status: number) => {
    if (done) return;
    done = true;
    sock.close();
    ctx.exit(status);
  };
  try {
    if (listen) {
      const port = localPort || Number(rest[0]);
      sock.bind(localAddr, port);
      if (verbose) ctx.err(`Bound on ${inetText(ctx.ns, { v6, addr: localAddr })} ${port}`);
      listener(sock, ctx, stdin, verbose);
      return { interrupt: () => finish(0) };
    }
    const port = Number(rest[1]);
    if (remote === undefined || (local !== undefined && local.v6 !== v6) || !(port > 0 && port < 65536)) {
      ctx.err(`nc: getaddrinfo for host "${rest[0] ?? ""}" port ${rest[1] ?? ""}: Name or service not known`);
      ctx.exit(1);
      return undefined;
    }
    sock.bind(localAddr, localPort);
    sock.connect(remote.addr, port);
    sock.onMessage = (d) => printText(ctx, d.data);
    if (stdin !== "") sock.send(new TextEncoder().encode(stdin));
  } catch (e) {
    if (!(e instanceof UdpError)) throw e;
    ctx.err(`nc: ${e.message.replace(/^E[A-Z]+: /, "")}`);
    finish(1);
    return undefined;
  }
  if (wait >= 0) ctx.host.sim.scheduleAfter(Math.round(wait * SECOND), () => finish(0));
  return { interrupt: () => finish(0) };
}

/**
 * Print every datagram; the first sender is connect()ed to, as netcat's listener does (after that
 * the kernel delivers only its datagrams), and sent the standard input.
 */
function listener(sock: UdpSocket, ctx: ProcessContext, stdin: string, verbose: boolean): void {
  sock.onMessage = (d) => {
    const first = sock.remotePort === 0;
    if (first) {
      sock.connect(d.srcAddr, d.srcPort, d.srcV6);
      if (verbose) {
        // An IPv4 sender of a dual-stack socket is an IPv4-mapped address to netcat.
        const from = inetText(ctx.ns, { v6: d.srcV6, addr: d.srcAddr });
        ctx.err(`Connection received on ${sock.v6 && !d.srcV6 ? `::ffff:${from}` : from} ${d.srcPort}`);
      }
    } else if (d.srcAddr !== sock.remoteAddr || d.srcPort !== sock.remotePort) {
      return;
    }
    printText(ctx, d.data);
    if (first && stdin !== "") sock.send(new TextEncoder().encode(stdin));
  };
}
