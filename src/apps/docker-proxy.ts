/**
 * `docker-proxy -proto tcp -host-ip H -host-port P -container-ip C -container-port p`: the
 * userland proxy the Docker daemon starts for each published TCP port (cmd/docker-proxy,
 * tcp_proxy.go): it listens on H:P in the docker host's namespace and, for each connection,
 * opens one to C:p and copies bytes both ways; an end of stream on one side is passed on as a
 * shutdown of the other, and the pair closes when both are done. So the container sees the
 * proxy's address (the bridge gateway for a container on the host) as the source. With `-proto
 * udp` it relays datagrams per client. Host and container addresses may be of either family
 * (the daemon proxies an IPv6 host port to an IPv4-only container); an IPv6 listener is
 * IPV6_V6ONLY, as Go's "tcp6"/"udp6" listeners are. Deviations: no SCTP; back-pressure is left to
 * the socket buffers.
 */

import { TcpError } from "../kernel/tcp/tcp-error.js";
import type { TcpSocket } from "../kernel/tcp/tcp-socket.js";
import { TCP_SYN_SENT } from "../kernel/tcp/tcp-state.js";
import type { UdpSocket } from "../kernel/udp.js";
import { SECOND } from "../sim/time.js";
import { Timer } from "../sim/timer.js";
import { type InetAddr, parseInetLiteral, tcpOf, udpOf } from "./inet-address.js";
import type { ProcessContext, RunningProcess } from "./process.js";

export function dockerProxy(args: string[], ctx: ProcessContext): RunningProcess | undefined {
  const opt = (name: string) => {
    const i = args.indexOf(`-${name}`);
    return i < 0 ? undefined : args[i + 1];
  };
  const hostIp = parseInetLiteral(ctx.ns, opt("host-ip") ?? "0.0.0.0");
  const hostPort = Number(opt("host-port"));
  const containerIp = parseInetLiteral(ctx.ns, opt("container-ip") ?? "");
  const containerPort = Number(opt("container-port"));
  const proto = opt("proto");
  if (
    (proto !== "tcp" && proto !== "udp") ||
    hostIp === undefined ||
    containerIp === undefined ||
    !(hostPort > 0)
  ) {
    ctx.err("docker-proxy: invalid arguments");
    ctx.exit(1);
    return undefined;
  }
  const listenText = (p: string) =>
    `listen ${p}${hostIp.v6 ? "6" : "4"} ${hostIp.v6 ? `[${opt("host-ip")}]` : opt("host-ip")}:${hostPort}`;
  if (proto === "udp") return udpProxy(ctx, hostIp, hostPort, containerIp, containerPort, listenText("udp"));
  const server = tcpOf(ctx.ns, hostIp.v6).socket();
  server.v6only = true;
  // Go's listeners set SO_REUSEADDR (setDefaultListenerSockopts): a proxy started again for the
  // same port binds while the old one's connections are in TIME_WAIT.
  server.reuseAddr = true;
  try {
    server.bind(hostIp.addr, hostPort).listen(4096);
  } catch (e) {
    if (!(e instanceof TcpError)) throw e;
    ctx.err(`${listenText("tcp")}: bind: address already in use`);
    ctx.exit(1);
    return undefined;
  }
  server.onConnection = (client) => {
    const backend = tcpOf(ctx.ns, containerIp.v6).socket();
    pipe(client, backend);
    pipe(backend, client);
    backend.onError = () => client.close();
    try {
      backend.connect(containerIp.addr, containerPort);
    } catch {
      client.close();
    }
  };
  return {
    interrupt: () => {
      server.close();
      ctx.exit(0);
    },
  };
}

/** Copy what `from` receives to `to` (queued while `to` connects); its end becomes `to`'s shutdown. */
function pipe(from: TcpSocket, to: TcpSocket): void {
  from.onData = (d) => {
    try {
      to.write(d.slice());
    } catch {
      from.close();
    }
  };
  from.onEnd = () => {
    if (to.state !== TCP_SYN_SENT) {
      to.shutdown();
      return;
    }
    const connected = to.onConnect;
    to.onConnect = () => {
      connected?.();
      to.shutdown();
    };
  };
}

const UDP_IDLE = 90 * SECOND;

/**
 * The UDP side (udp_proxy.go): one socket toward the container per client address and port,
 * datagrams copied both ways, forgotten after 90 s without traffic.
 */
function udpProxy(
  ctx: ProcessContext,
  hostIp: InetAddr,
  hostPort: number,
  containerIp: InetAddr,
  containerPort: number,
  listenText: string,
): RunningProcess | undefined {
  const sim = ctx.host.sim;
  const front = udpOf(ctx.ns, hostIp.v6).socket();
  front.v6only = true;
  try {
    front.bind(hostIp.addr, hostPort);
  } catch {
    ctx.err(`${listenText}: bind: address already in use`);
    ctx.exit(1);
    return undefined;
  }
  const clients = new Map<string, { sock: UdpSocket; idle: Timer }>();
  front.onMessage = (d) => {
    const key = `${d.srcAddr}:${d.srcPort}`;
    let c = clients.get(key);
    if (!c) {
      const sock = udpOf(ctx.ns, containerIp.v6).socket();
      sock.connect(containerIp.addr, containerPort);
      const srcAddr = d.srcAddr;
      const srcPort = d.srcPort;
      const idle = new Timer(sim, () => {
        sock.close();
        clients.delete(key);
      });
      sock.onMessage = (r) => {
        idle.setAfter(UDP_IDLE);
        front.send(r.data.slice(), srcAddr, srcPort);
      };
      c = { sock, idle };
      clients.set(key, c);
    }
    c.idle.setAfter(UDP_IDLE);
    c.sock.send(d.data.slice());
  };
  return {
    interrupt: () => {
      for (const c of clients.values()) {
        c.idle.cancel();
        c.sock.close();
      }
      front.close();
      ctx.exit(0);
    },
  };
}
