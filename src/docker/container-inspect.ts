/**
 * `docker inspect CONTAINER` (API 1.47, api/types ContainerJSON, daemon/inspect.go): the JSON array
 * the CLI prints, four-space indentation, every field of Engine 27 in the API's order — State with
 * Pid and times, the files' paths, HostConfig with the run flags and a container's default
 * resources, masked paths, GraphDriver, Config with Env and ExposedPorts, and NetworkSettings with
 * the default bridge's deprecated top-level fields and one entry per network (endpoint, gateway,
 * address, MAC, DNS names). An endpoint on an internal network has no Gateway (the bridge,
 * macvlan and ipvlan drivers' Join sets none). Engine 28 (API 1.48) adds each endpoint's
 * GwPriority; Engine 29 (API 1.52, api/types/container NetworkSettings and network
 * EndpointSettings, router/container/inspect.go) drops NetworkSettings' deprecated fields (Bridge,
 * HairpinMode, the link-local and secondary addresses, the default bridge's EndpointID … MacAddress),
 * moves an endpoint's MacAddress after IPAddress and omits an empty Config.OnBuild. Deviations: no
 * volumes or resource limits (no flags for them); process ids count from 1000; the image id is a
 * digest of the image's name; overlay2 paths are made from the container id (Docker 29 with the
 * containerd image store shows Storage instead of GraphDriver); Entrypoint is null for every image.
 */

import { ipv4ToString } from "../util/ipv4-address.js";
import { ipv6ToString } from "../util/ipv6-address.js";
import { macToString } from "../util/mac-address.js";
import type { Container, EndpointRequest } from "./container.js";
import type { Daemon } from "./daemon.js";
import { goMap } from "./go-map.js";
import { findImage, imageId } from "./images.js";

export function ports(c: Container): Record<string, { HostIp: string; HostPort: string }[] | null> {
  const out: Record<string, { HostIp: string; HostPort: string }[] | null> = {};
  // getPortMapInfo: the first endpoint whose driver reports ports. Only the bridge driver keeps
  // the exposed ones, so host, none and container: containers (and macvlan/ipvlan) show none.
  if (c.endpoints.some((e) => e.network.driver === "bridge"))
    for (const e of findImage(c.image)?.exposed ?? []) out[`${e.port}/${e.proto}`] = null;
  for (const b of c.bindings) {
    const key = `${b.containerPort}/${b.proto}`;
    out[key] = [
      ...(out[key] ?? []),
      { HostIp: b.hostIp, HostPort: b.hostPort === 0 ? "" : String(b.hostPort) },
    ];
  }
  return out;
}

/** The object `docker inspect` prints (and `-f` templates read). */
export function containerResource(c: Container, daemon: Daemon): unknown {
  const version = daemon.options.engineVersion;
  const networks: Record<string, unknown> = {};
  for (const [name, req] of c.networks) {
    const n = daemon.findNetwork(name);
    const ep = c.endpoints.find((e) => e.network === n);
    const pool = ep ? n.poolOf(ep.address) : undefined;
    // The built-in drivers' Join gives an internal network's endpoints no gateway.
    const noGateway = n.spec.internal && BUILTIN_DRIVERS.has(n.driver);
    const mac = ep && ep.mac !== 0 ? macToString(ep.mac) : "";
    networks[name] = {
      IPAMConfig:
        req.ip === 0 && !req.ip6
          ? null
          : {
              ...(req.ip === 0 ? {} : { IPv4Address: ipv4ToString(req.ip) }),
              ...(req.ip6 ? { IPv6Address: ipv6ToString(req.ip6) } : {}),
            },
      Links: linksOf(c, name, req),
      Aliases: req.aliases.length > 0 ? req.aliases : null,
      ...(version >= 29 ? {} : { MacAddress: mac }),
      DriverOpts: req.driverOpts ? goMap(req.driverOpts) : null,
      ...(version >= 28 ? { GwPriority: req.gwPriority ?? 0 } : {}),
      NetworkID: n.id,
      EndpointID: ep?.id ?? "",
      Gateway: ep && pool && ep.gateway !== 0 && !noGateway ? ipv4ToString(ep.gateway ?? pool.gateway) : "",
      IPAddress: ep && ep.address !== 0 ? ipv4ToString(ep.address) : "",
      ...(version >= 29 ? { MacAddress: mac } : {}),
      IPPrefixLen: ep && pool ? pool.prefixLen : 0,
      IPv6Gateway: ep?.address6 && n.pool6 && !n.spec.internal ? ipv6ToString(n.pool6.gateway) : "",
      GlobalIPv6Address: ep?.address6 ? ipv6ToString(ep.address6) : "",
      GlobalIPv6PrefixLen: ep?.address6 ? (n.pool6?.prefixLen ?? 0) : 0,
      DNSNames: ep && !n.predefined ? [c.name, ...req.aliases, c.shortId] : null,
    };
  }
  const running = c.state === "running";
  // The deprecated top-level fields describe the default bridge's endpoint.
  const bridgeEp = running ? c.endpoints.find((e) => e.network.name === "bridge") : undefined;
  const bridgePool = bridgeEp?.network.pool;
  const files = `/var/lib/docker/containers/${filesOwner(c, daemon)}`;
  const sandbox = {
    SandboxID: running ? c.sandboxId : "",
    SandboxKey: running && c.sandboxId ? `/var/run/docker/netns/${c.sandboxId.slice(0, 12)}` : "",
    Ports: goMap(running ? ports(c) : {}, null),
  };
  // API 1.52 (Engine 29) keeps only these and the networks.
  const networkSettings =
    version >= 29
      ? { ...sandbox, Networks: goMap(networks, null) }
      : {
          Bridge: "",
          ...sandbox,
          HairpinMode: false,
          LinkLocalIPv6Address: "",
          LinkLocalIPv6PrefixLen: 0,
          SecondaryIPAddresses: null,
          SecondaryIPv6Addresses: null,
          EndpointID: bridgeEp?.id ?? "",
          Gateway: bridgeEp && bridgePool ? ipv4ToString(bridgeEp.gateway ?? bridgePool.gateway) : "",
          GlobalIPv6Address: "",
          GlobalIPv6PrefixLen: 0,
          IPAddress: bridgeEp ? ipv4ToString(bridgeEp.address) : "",
          IPPrefixLen: bridgePool?.prefixLen ?? 0,
          IPv6Gateway: "",
          MacAddress: bridgeEp && bridgeEp.mac !== 0 ? macToString(bridgeEp.mac) : "",
          Networks: goMap(networks, null),
        };
  return {
    Id: c.id,
    Created: c.created,
    Path: c.command[0] ?? "",
    Args: c.command.slice(1),
    State: {
      Status: c.state,
      Running: running,
      Paused: false,
      Restarting: false,
      OOMKilled: false,
      Dead: false,
      Pid: running ? c.pid : 0,
      ExitCode: running ? 0 : c.exitCode,
      Error: "",
      StartedAt: c.startedAt,
      FinishedAt: c.finishedAt,
    },
    Image: imageId(c.image),
    ResolvConfPath: `${files}/resolv.conf`,
    HostnamePath: `${files}/hostname`,
    HostsPath: `${files}/hosts`,
    LogPath: `/var/lib/docker/containers/${c.id}/${c.id}-json.log`,
    Name: `/${c.name}`,
    RestartCount: 0,
    Driver: "overlay2",
    Platform: "linux",
    MountLabel: "",
    ProcessLabel: "",
    AppArmorProfile: "docker-default",
    ExecIDs: null,
    HostConfig: {
      Binds: null,
      ContainerIDFile: "",
      LogConfig: { Type: "json-file", Config: goMap({}) },
      NetworkMode: c.networkMode,
      PortBindings: goMapOf(
        c.ports.map((p) => [
          `${p.containerPort}/${p.proto}`,
          [{ HostIp: p.hostIp, HostPort: p.hostPort === 0 ? "" : String(p.hostPort) }],
        ]),
      ),
      RestartPolicy: { Name: "no", MaximumRetryCount: 0 },
      AutoRemove: c.options.autoRemove,
      VolumeDriver: "",
      VolumesFrom: null,
      ConsoleSize: [0, 0],
      CapAdd: null,
      CapDrop: null,
      CgroupnsMode: "private",
      Dns: c.dns.servers,
      DnsOptions: c.dns.options,
      DnsSearch: c.dns.search,
      ExtraHosts: c.dns.extraHosts.length > 0 ? c.dns.extraHosts.map(([h, ip]) => `${h}:${ip}`) : null,
      GroupAdd: null,
      IpcMode: "private",
      Cgroup: "",
      Links: c.dns.links.length > 0 ? c.dns.links.map(([k, a]) => `/${k}:/${c.name}/${a}`) : null,
      OomScoreAdj: 0,
      PidMode: "",
      Privileged: false,
      PublishAllPorts: c.options.publishAll,
      ReadonlyRootfs: false,
      SecurityOpt: null,
      UTSMode: "",
      UsernsMode: "",
      ShmSize: 67108864,
      ...(c.sysctls.length > 0 ? { Sysctls: Object.fromEntries(c.sysctls) } : {}),
      Runtime: "runc",
      Isolation: "",
      ...RESOURCES,
      MaskedPaths: MASKED_PATHS,
      ReadonlyPaths: READONLY_PATHS,
    },
    GraphDriver: {
      Data: {
        LowerDir: `/var/lib/docker/overlay2/${c.id}-init/diff`,
        MergedDir: `/var/lib/docker/overlay2/${c.id}/merged`,
        UpperDir: `/var/lib/docker/overlay2/${c.id}/diff`,
        WorkDir: `/var/lib/docker/overlay2/${c.id}/work`,
      },
      Name: "overlay2",
    },
    Mounts: [],
    Config: {
      Hostname: c.hostname,
      Domainname: "",
      User: "",
      AttachStdin: false,
      AttachStdout: c.options.attach,
      AttachStderr: c.options.attach,
      ...(c.exposedPorts().length > 0
        ? { ExposedPorts: goMapOf(c.exposedPorts().map((e) => [`${e.port}/${e.proto}`, {}])) }
        : {}),
      Tty: false,
      OpenStdin: false,
      StdinOnce: false,
      Env: c.env,
      Cmd: c.command,
      Image: c.image,
      Volumes: null,
      WorkingDir: "",
      Entrypoint: null,
      // API 1.52 omits an empty OnBuild.
      ...(version >= 29 ? {} : { OnBuild: null }),
      Labels: goMap({}),
    },
    NetworkSettings: networkSettings,
  };
}

/** The built-in drivers whose Join leaves an internal network's endpoints without a gateway. */
const BUILTIN_DRIVERS = new Set(["bridge", "macvlan", "ipvlan"]);

/** HostConfig's resource fields as a container without limits has them. */
const RESOURCES = {
  CpuShares: 0,
  Memory: 0,
  NanoCpus: 0,
  CgroupParent: "",
  BlkioWeight: 0,
  BlkioWeightDevice: [],
  BlkioDeviceReadBps: [],
  BlkioDeviceWriteBps: [],
  BlkioDeviceReadIOps: [],
  BlkioDeviceWriteIOps: [],
  CpuPeriod: 0,
  CpuQuota: 0,
  CpuRealtimePeriod: 0,
  CpuRealtimeRuntime: 0,
  CpusetCpus: "",
  CpusetMems: "",
  Devices: [],
  DeviceCgroupRules: null,
  DeviceRequests: null,
  MemoryReservation: 0,
  MemorySwap: 0,
  MemorySwappiness: null,
  OomKillDisable: null,
  PidsLimit: null,
  Ulimits: [],
  CpuCount: 0,
  CpuPercent: 0,
  IOMaximumIOps: 0,
  IOMaximumBandwidth: 0,
};

/** oci/defaults.go: the paths masked and made read-only in every container. */
const MASKED_PATHS = [
  "/proc/asound",
  "/proc/acpi",
  "/proc/kcore",
  "/proc/keys",
  "/proc/latency_stats",
  "/proc/timer_list",
  "/proc/timer_stats",
  "/proc/sched_debug",
  "/proc/scsi",
  "/sys/firmware",
  "/sys/devices/virtual/powercap",
];
const READONLY_PATHS = ["/proc/bus", "/proc/fs", "/proc/irq", "/proc/sys", "/proc/sysrq-trigger"];

/** Whose hosts/resolv.conf/hostname files a container uses: the target's for container: mode. */
function filesOwner(c: Container, daemon: Daemon): string {
  if (!c.networkMode.startsWith("container:")) return c.id;
  const ref = c.networkMode.slice("container:".length);
  return [...daemon.containers.values()].find((o) => o.id === ref || o.name === ref)?.id ?? c.id;
}

function goMapOf<T>(entries: [string, T][]): Record<string, T> {
  return goMap(Object.fromEntries(entries));
}

/** An endpoint's Links: the legacy ones on the default bridge, the endpoint's own elsewhere. */
function linksOf(c: Container, network: string, req: EndpointRequest): string[] | null {
  const links = req.links ?? (network === "bridge" ? c.dns.links : []);
  return links.length > 0 ? links.map(([k, a]) => `${k}:${a}`) : null;
}
