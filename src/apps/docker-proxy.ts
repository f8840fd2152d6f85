/**
 * `docker-proxy -proto tcp -host-ip H -host-port P -container-ip C -container-port p`: the
 * userland proxy the Docker daemon starts for each published TCP port (cmd/docker-proxy,
 * tcp_proxy.go): it listens on H:P in the docker host's namespace and, for each connection,
 * opens one to C:p and copies bytes both ways; an end of stream on one side is passed on as a
 * shutdown of the other, and the pair closes when both are done. So the container sees the
 * proxy's address (the bridge gateway for a container on the host) as the source. Deviation:
 * TCP only (no UDP or SCTP proxy); back-pressure is left to the socket buffers.
 */

import { TcpError } from "../kernel/tcp/tcp-error.js";
import type { TcpSocket } from "../kernel/tcp/tcp-socket.js";
import { TCP_SYN_SENT } from "../kernel/tcp/tcp-state.js";
import { parseIpv4 } from "../util/ipv4-address.js";
import type { ProcessContext, RunningProcess } from "./process.js";

export function dockerProxy(args: string[], ctx: ProcessContext): RunningProcess | undefined {
  const opt = (name: string) => {
    const i = args.indexOf(`-${name}`);
    return i < 0 ? undefined : args[i + 1];
  };
  const hostIp = parseIpv4(opt("host-ip") ?? "0.0.0.0");
  const hostPort = Number(opt("host-port"));
  const containerIp = parseIpv4(opt("container-ip") ?? "");
  const containerPort = Number(opt("container-port"));
  if (opt("proto") !== "tcp" || hostIp === undefined || containerIp === undefined || !(hostPort > 0)) {
    ctx.err("docker-proxy: invalid arguments");
    ctx.exit(1);
    return undefined;
  }
  const server = ctx.ns.tcp.socket();
  try {
    server.bind(hostIp, hostPort).listen(4096);
  } catch (e) {
    if (!(e instanceof TcpError)) throw e;
    ctx.err(`listen tcp4 ${opt("host-ip")}:${hostPort}: bind: address already in use`);
    ctx.exit(1);
    return undefined;
  }
  server.onConnection = (client) => {
    const backend = ctx.ns.tcp.socket();
    pipe(client, backend);
    pipe(backend, client);
    backend.onError = () => client.close();
    try {
      backend.connect(containerIp, containerPort);
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
