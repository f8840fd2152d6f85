/**
 * A container as the daemon keeps it (daemon/container, libnetwork sandbox.go): its id, name,
 * image and command, the network settings it was created with (network mode, per-network
 * requests, published ports) and, while it runs, its sandbox — a network namespace of its own
 * (`/var/run/docker/netns/<sandbox id[:12]>`, not listed by `ip netns`) — with one endpoint per
 * network, in join order.
 */

import type { RunningProcess } from "../apps/process.js";
import type { NetNamespace } from "../kernel/namespace.js";
import type { EmbeddedResolver } from "./embedded-dns.js";
import { findImage } from "./images.js";
import type { Endpoint } from "./network.js";

export interface PortRequest {
  proto: "tcp" | "udp";
  containerPort: number;
  /** Host address ("" for all) and port (0: a random one). */
  hostIp: string;
  hostPort: number;
}

/** A port actually published: where the host listens. */
/** Go's net.JoinHostPort: `host:port`, an IPv6 host in brackets. */
export function joinHostPort(host: string, port: string | number): string {
  return `${host.includes(":") ? `[${host}]` : host}:${port}`;
}

export interface PortBinding extends PortRequest {
  hostPort: number;
}

export interface EndpointRequest {
  /** --ip on run/connect (0: IPAM picks). */
  ip: number;
  /** --ip6 on run/connect. */
  ip6?: Uint8Array;
  aliases: string[];
  /** --link on a user-defined network: container name → alias, resolved by this container's DNS. */
  links?: [string, string][];
  /** --driver-opt (inspect's DriverOpts). */
  driverOpts?: Record<string, string>;
  /** --gw-priority (28+): the highest wins the gateway election. */
  gwPriority?: number;
}

/** --dns, --dns-search, --dns-opt, --add-host and --link of one container. */
export interface DnsConfig {
  servers: string[];
  search: string[];
  options: string[];
  /** name → address (or `host-gateway`), in the order given. */
  extraHosts: [string, string][];
  /** container name → alias. */
  links: [string, string][];
}

/** What `docker run` was told besides networking (inspect's HostConfig and Config). */
export interface ContainerOptions {
  autoRemove: boolean;
  publishAll: boolean;
  /** Attached to the terminal (no -d): Config.AttachStdout/AttachStderr. */
  attach: boolean;
}

export const NO_DNS: DnsConfig = { servers: [], search: [], options: [], extraHosts: [], links: [] };

export class Container {
  state: "created" | "running" | "exited" = "created";
  exitCode = 0;
  /** While running: the sandbox, its endpoints and the main process. */
  sandbox: NetNamespace | undefined;
  sandboxId = "";
  endpoints: Endpoint[] = [];
  bindings: PortBinding[] = [];
  process: RunningProcess | undefined;
  /** What its main program printed (`docker logs`). */
  readonly logs: string[] = [];
  /** The iptables lines that undo its links' rules (icc=false), run when it stops. */
  linkRules: string[] = [];
  /** The embedded DNS server (user-defined networks). */
  resolver: EmbeddedResolver | undefined;
  /** eth<N> counter of the sandbox (classic: numbers are never reused). */
  nextIfIndex = 0;
  /** Config.Env: the image's variables, then -e (set at create). */
  env: string[] = [];
  /** HostConfig.Sysctls (--sysctl), written in the container's namespace at each start. */
  sysctls: [string, string][] = [];
  /** The legacy link variables, computed at each start (Docker 27/28). */
  linkEnv: string[] = [];
  options: ContainerOptions = { autoRemove: false, publishAll: false, attach: false };
  /**
   * The container's /etc/hosts, /etc/resolv.conf and /etc/hostname: its namespace's files, or for
   * --network host copies of the host's (container: mode: its namespace is the target's).
   */
  files: Map<string, string> | undefined;
  /** State.Pid, StartedAt and FinishedAt (RFC 3339; Go's zero time until it happens). */
  pid = 0;
  startedAt = "0001-01-01T00:00:00Z";
  finishedAt = "0001-01-01T00:00:00Z";

  constructor(
    readonly id: string,
    readonly name: string,
    readonly image: string,
    readonly command: string[],
    readonly created: string,
    readonly hostname: string,
    /** -h was given (the hostname is then also a DNS name). */
    readonly hostnameSet: boolean,
    /** `bridge`, `host`, `none`, `container:<id>` or a network name/id. */
    readonly networkMode: string,
    /** Networks to join, in order: name → request. */
    readonly networks: Map<string, EndpointRequest>,
    readonly ports: PortRequest[],
    readonly macAddress: number,
    readonly dns: DnsConfig = NO_DNS,
  ) {}

  get shortId(): string {
    return this.id.slice(0, 12);
  }

  /** Config.ExposedPorts: the image's EXPOSE, then the ports given with -p. */
  exposedPorts(): { proto: "tcp" | "udp"; port: number }[] {
    const out = [...(findImage(this.image)?.exposed ?? [])];
    for (const p of this.ports)
      if (!out.some((e) => e.port === p.containerPort && e.proto === p.proto))
        out.push({ proto: p.proto, port: p.containerPort });
    return out;
  }
}
