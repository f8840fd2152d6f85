/**
 * The Docker daemon's network controller (libnetwork controller.go, daemon/network.go,
 * daemon/container_operations.go) on one docker host: at start it turns forwarding on (FORWARD
 * policy DROP when it had to), writes Docker's chains and creates the predefined networks `none`,
 * `host` and `bridge` (docker0, from --bip/--fixed-cidr/--mtu/--icc/--ip-masq/--ip); then it
 * creates and removes networks (IPAM pool, driver, rules), and starts containers: a sandbox
 * namespace, one endpoint per network (lowest free address, MAC from the address), the default
 * route via the gateway endpoint (the highest --gw-priority, then by network name, among the
 * endpoints whose driver gives a gateway or default route: not internal networks, nor
 * macvlan/ipvlan without a parent), and the published ports on that endpoint, each with a
 * docker-proxy process while the userland proxy is on (TCP). Deviation: no IPv6.
 */

import { dockerProxy } from "../apps/docker-proxy.js";
import type { RunningProcess } from "../apps/process.js";
import { rfc3339Nano } from "../apps/wall-clock.js";
import type { Host } from "../kernel/host.js";
import type { NetNamespace } from "../kernel/namespace.js";
import { runSysctl } from "../kernel/sysctl-command.js";
import { runIptables } from "../netfilter/iptables-command.js";
import { MILLISECOND } from "../sim/time.js";
import { ipv4ToString, parseIpv4 } from "../util/ipv4-address.js";
import { ipv6ToString } from "../util/ipv6-address.js";
import type { Rng } from "../util/rng.js";
import {
  BridgeDriver,
  gatewayMode,
  isIpv6Binding,
  macFromIp,
  OPT_BRIDGE_NAME,
  OPT_GATEWAY_MODE,
  OPT_HOST_BINDING,
  OPT_ICC,
  OPT_INHIBIT_IPV4,
  OPT_MASQ,
  OPT_MTU,
} from "./bridge-driver.js";
import {
  Container,
  type ContainerOptions,
  type DnsConfig,
  type EndpointRequest,
  joinHostPort,
  NO_DNS,
  type PortBinding,
  type PortRequest,
} from "./container.js";
import { linkEnv } from "./container-env.js";
import { hostsFile, internalResolvConf, legacyResolvConf, nameservers } from "./container-files.js";
import { DockerError } from "./docker-error.js";
import { EmbeddedResolver } from "./embedded-dns.js";
import { CLASSIC_LAYOUT, type FirewallLayout } from "./firewall.js";
import { modernLayout } from "./firewall-modern.js";
import { randomId } from "./ids.js";
import { type AddressPool, Ipam, type IpamPool, type PoolRequest } from "./ipam.js";
import { Ipam6, type Ipv6Pool, type Pool6Request } from "./ipam6.js";
import { type DriverName, Endpoint, Network, type NetworkSpec, parseGoBool } from "./network.js";
import { ParentLinkDriver } from "./parent-link-driver.js";
import { type NetworkDriverPlugin, RemoteDriver } from "./remote-driver.js";
import { RemoteIpam, RemoteIpamPool } from "./remote-ipam.js";

export interface DaemonOptions {
  bip?: string;
  fixedCidr?: string;
  mtu: number;
  icc: boolean;
  ipForward: boolean;
  iptables: boolean;
  /** --ip6tables (on by default since 27): the same rules in ip6tables for IPv6 networks. */
  ip6tables: boolean;
  ipMasq: boolean;
  userlandProxy: boolean;
  /** Default host address for -p on the default bridge. */
  ip: string;
  defaultAddressPools?: { base: string; size: number }[];
  /** --dns: nameservers for every container that gives none of its own. */
  dns?: string[];
  /** --default-gateway: the default bridge's containers route through this address. */
  defaultGateway?: string;
  /** The Docker Engine modelled: 27 (classic rules, MACs from addresses), 28 or 29. */
  engineVersion: number;
  /** The minor version within 28 (0–5), where the rules changed from release to release. */
  engineMinor: number;
  /** --ipv6: the default bridge gets IPv6, from --fixed-cidr-v6 or the ULA pool. */
  ipv6?: boolean;
  fixedCidrV6?: string;
}

export const DAEMON_DEFAULTS: DaemonOptions = {
  mtu: 1500,
  icc: true,
  ipForward: true,
  iptables: true,
  ip6tables: true,
  ipMasq: true,
  userlandProxy: true,
  ip: "0.0.0.0",
  engineVersion: 27,
  engineMinor: 5,
};

export interface NetworkCreate {
  name: string;
  /** --ipam-opt (shown as IPAM.Options). */
  ipamOptions?: Record<string, string>;
  driver: string;
  internal: boolean;
  attachable: boolean;
  options: Record<string, string>;
  labels: Record<string, string>;
  /** One request per --subnet (a single one without subnet: the next predefined pool). */
  ipam: PoolRequest[];
  /** --ipam-driver (default: the built-in one). */
  ipamDriver?: string;
  /** --scope as given ("" when not). */
  scope?: string;
  configOnly?: boolean;
  configFrom?: string;
  /** --ipv6, with the IPv6 --subnet/--gateway/--ip-range (none: a /64 of the ULA pool). */
  ipv6?: Pool6Request;
  /** --ipv4=false (v28+): no IPv4 at all; needs --ipv6. */
  ipv4Disabled?: boolean;
}

export class Daemon {
  readonly networks = new Map<string, Network>();
  readonly containers = new Map<string, Container>();
  readonly ipam: Ipam;
  readonly ipam6: Ipam6;
  readonly bridge: BridgeDriver;
  readonly macvlan: ParentLinkDriver;
  readonly ipvlan: ParentLinkDriver;
  private readonly firewall: FirewallLayout;
  /** Round-robin host port allocation per (host address, protocol): the last port given. */
  private readonly lastPort = new Map<string, number>();

  constructor(
    readonly host: Host,
    /** The docker host's namespace. */
    readonly ns: NetNamespace,
    readonly options: DaemonOptions,
    readonly rng: Rng,
  ) {
    this.ipam = new Ipam({
      defaultPools: options.defaultAddressPools,
      // Local scope: the host's on-link routes and its resolv.conf nameservers are left alone.
      reserved: () => [
        ...ns.main
          .routes()
          .filter((r) => r.type === "unicast" && r.gateway === 0 && r.prefixLen > 0)
          .map((r) => `${ipv4ToString(r.dst)}/${r.prefixLen}`),
        ...nameservers(ns.files.get("/etc/resolv.conf") ?? "").map((a) => `${ipv4ToString(a)}/32`),
      ],
    });
    // The host ID the ULA pool is derived from (the daemon's engine ID), from a stream of its own.
    const idRng = host.sim.random(`engine-id:${ns.name}`);
    this.ipam6 = new Ipam6(
      Array.from({ length: 4 }, () => idRng.int(0, 0xffffffff).toString(16).padStart(8, "0")).join(""),
    );
    this.firewall =
      options.engineVersion >= 29
        ? modernLayout(29)
        : options.engineVersion === 28
          ? modernLayout(28, options.engineMinor)
          : CLASSIC_LAYOUT;
    this.bridge = new BridgeDriver(host, ns, rng, {
      iptables: options.iptables,
      ip6tables: options.iptables && options.ip6tables,
      userlandProxy: options.userlandProxy,
      firewall: this.firewall,
      randomMacs: options.engineVersion >= 28,
      gatewayModes: options.engineVersion >= 28,
    });
    this.macvlan = new ParentLinkDriver("macvlan", host, ns);
    this.ipvlan = new ParentLinkDriver("ipvlan", host, ns);
    const forwardWasOff = !ns.ipForward;
    if (options.ipForward) ns.sysctl.set("net.ipv4.ip_forward", "1");
    if (options.iptables) this.firewall.setup(ns.iptables, options.ipForward && forwardWasOff);
    if (options.iptables && options.ip6tables) this.firewall.setup(ns.ip6tables, false);
    this.addNetwork(
      { name: "none", driver: "null", internal: false, attachable: false, options: {}, labels: {} },
      [],
    );
    this.addNetwork(
      { name: "host", driver: "host", internal: false, attachable: false, options: {}, labels: {} },
      [],
    );
    const bip = options.bip ?? this.defaultBridgeAddress(options);
    // --default-gateway is kept as the pool's aux address DefaultGatewayIPv4.
    const defaultGatewayAux: [string, string][] | undefined = options.defaultGateway
      ? [["DefaultGatewayIPv4", options.defaultGateway]]
      : undefined;
    // --ipv6: the default bridge's IPv6 subnet, --fixed-cidr-v6 or a /64 of the ULA pool.
    const pool6 = options.ipv6
      ? this.ipam6.requestPool(options.fixedCidrV6 ? { subnet: options.fixedCidrV6, showGateway: true } : {})
      : undefined;
    if (pool6) this.enableIpv6Forwarding();
    const pool = this.ipam.requestPool(
      bip
        ? {
            subnet: networkOf(bip),
            gateway: bip.split("/")[0],
            ipRange: options.fixedCidr,
            auxAddresses: defaultGatewayAux,
          }
        : {
            ipRange: options.fixedCidr,
            subnet: options.fixedCidr ? networkOf(options.fixedCidr) : undefined,
          },
    );
    this.addNetwork(
      {
        name: "bridge",
        driver: "bridge",
        internal: false,
        attachable: false,
        options: {
          "com.docker.network.bridge.default_bridge": "true",
          [OPT_ICC]: String(options.icc),
          [OPT_MASQ]: String(options.ipMasq),
          [OPT_HOST_BINDING]: options.ip,
          [OPT_BRIDGE_NAME]: "docker0",
          [OPT_MTU]: String(options.mtu),
        },
        labels: {},
      },
      [pool],
      pool6,
    );
  }

  /**
   * With --default-gateway and no --bip, docker0 still takes the lowest free pool; its first
   * address becomes the bridge's, as getDefaultBridgeIPAMConf does.
   */
  private defaultBridgeAddress(options: DaemonOptions): string | undefined {
    if (!options.defaultGateway || options.fixedCidr) return undefined;
    const probe = this.ipam.requestPool({});
    this.ipam.releasePool(probe);
    return `${ipv4ToString(probe.subnet + 1)}/${probe.prefixLen}`;
  }

  private now(): string {
    return rfc3339Nano(this.host.sim.now);
  }

  private addNetwork(spec: NetworkSpec, pools: AddressPool[], pool6?: Ipv6Pool): Network {
    const id = randomId(this.rng);
    const bridgeName =
      spec.driver === "bridge" ? (spec.options[OPT_BRIDGE_NAME] ?? `br-${id.slice(0, 12)}`) : "";
    const n = new Network(id, spec, this.now(), pools, bridgeName);
    n.pool6 = pool6;
    if (spec.driver === "bridge") this.bridge.createNetwork(n);
    this.networks.set(id, n);
    return n;
  }

  /**
   * IPv6 forwarding, as for IPv4, once there is an IPv6 network (setupIPv6Forwarding); the
   * ip6tables FORWARD policy becomes DROP when Docker was the one to turn it on.
   */
  private enableIpv6Forwarding(): void {
    if (!this.options.ipForward || this.ns.sysctl.get("net.ipv6.conf.all.forwarding") !== "0") return;
    this.ns.sysctl.set("net.ipv6.conf.all.forwarding", "1");
    if (this.options.iptables && this.options.ip6tables)
      runIptables(this.ns.ip6tables, ["-P", "FORWARD", "DROP"]);
  }

  /** A network by full name, full id, or unique id prefix (Docker's lookup order). */
  findNetwork(ref: string): Network {
    const all = [...this.networks.values()];
    const byName = all.find((n) => n.name === ref);
    if (byName) return byName;
    const byId = all.find((n) => n.id === ref);
    if (byId) return byId;
    const prefixed = all.filter((n) => n.id.startsWith(ref));
    if (prefixed.length === 1) return prefixed[0] as Network;
    if (prefixed.length > 1)
      throw new DockerError(
        `network ${ref} is ambiguous (${prefixed.length} matches found based on ID prefix)`,
        400,
      );
    throw new DockerError(`network ${ref} not found`, 404);
  }

  /** `docker network create` (the CLI has already checked the flags' shapes). */
  createNetwork(req: NetworkCreate): Network {
    if (["bridge", "host", "none", "default"].includes(req.name))
      throw new DockerError("operation is not permitted on predefined bridge network ", 403);
    if ([...this.networks.values()].some((n) => n.name === req.name))
      throw new DockerError(`network with name ${req.name} already exists`, 409);
    // libnetwork validateConfiguration comes first for a --config-from network.
    if (req.configFrom !== undefined && !req.configOnly) checkConfigFrom(req, this.userSpecifiedText());
    if (this.options.engineVersion >= 28) checkAdvertiseOptions(req.options);
    if (req.configOnly) return this.createConfigNetwork(req);
    const lanDriver = this.lanDriver(req.driver);
    if (req.driver !== "bridge" && !lanDriver) throw new DockerError(`plugin "${req.driver}" not found`, 404);
    if (req.configFrom !== undefined) req = this.applyConfigNetwork(req, req.configFrom);
    if (lanDriver) lanDriver.validate(req.options);
    else this.bridge.validate(req.options, req.internal);
    if (req.ipv6 && req.driver !== "bridge" && req.driver !== "macvlan" && req.driver !== "ipvlan")
      throw new DockerError(
        "dockwire: IPv6 is modelled on bridge, macvlan and ipvlan networks only",
        400,
        false,
      );
    if (req.ipv6 && req.driver === "ipvlan" && (req.options.ipvlan_mode ?? "l2") !== "l2")
      throw new DockerError("dockwire: IPv6 on ipvlan networks is modelled in l2 mode only", 400, false);
    if (req.ipv4Disabled && !req.ipv6) throw new DockerError("IPv4 or IPv6 must be enabled", 400);
    if (req.ipv4Disabled && req.driver !== "bridge")
      throw new DockerError("dockwire: IPv6-only networks are modelled on bridge networks only", 400, false);
    // An IPv6-only network asks IPAM for no IPv4 pool (its IPv4 --subnet flags are ignored).
    const pools = req.ipv4Disabled ? [] : this.requestPools(req);
    // bridge_linux.go: one subnet per bridge.
    if (req.driver === "bridge" && pools.length > 1) {
      for (const p of pools) this.releasePool(p);
      throw new DockerError("bridge driver doesn't support multiple subnets", 403);
    }
    let pool6: Ipv6Pool | undefined;
    try {
      pool6 = req.ipv6 ? this.ipam6.requestPool(req.ipv6) : undefined;
    } catch (e) {
      for (const p of pools) this.releasePool(p);
      throw e;
    }
    if (pool6) this.enableIpv6Forwarding();
    const n = this.addNetwork(
      {
        name: req.name,
        driver: req.driver as DriverName,
        ...(req.ipamDriver && req.ipamDriver !== "default" ? { ipamDriver: req.ipamDriver } : {}),
        internal: req.internal,
        attachable: req.attachable,
        options: req.options,
        labels: req.labels,
        ipamOptions: req.ipamOptions ?? {},
        ...(req.configFrom === undefined ? {} : { configFrom: req.configFrom }),
        ...(req.ipv4Disabled ? { ipv4Disabled: true } : {}),
      },
      pools,
      pool6,
    );
    if (lanDriver) {
      try {
        lanDriver.createNetwork(n);
      } catch (e) {
        this.networks.delete(n.id);
        for (const p of pools) this.releasePool(p);
        throw e;
      }
    }
    return n;
  }

  /** --config-only (libnetwork NewNetwork's configOnly path): checked, stored, nothing built. */
  private createConfigNetwork(req: NetworkCreate): Network {
    if (req.internal || req.attachable || (req.scope ?? "") !== "")
      throw new DockerError(
        "configuration network can only contain network specific fields. Network operator fields like [ ingress | internal | attachable | scope ] are not supported.",
        403,
      );
    if (req.configFrom !== undefined)
      throw new DockerError("a configuration network cannot depend on another configuration network", 403);
    // The request is checked as the API checks it, and kept unallocated.
    for (const r of req.ipam) this.ipam.checkRequest(r);
    return this.addNetwork(
      {
        name: req.name,
        driver: "null",
        internal: false,
        attachable: false,
        options: req.options,
        labels: req.labels,
        ipamOptions: req.ipamOptions ?? {},
        configOnly: {
          ipam: req.ipam,
          ipamDriver: req.ipamDriver ?? "default",
          ...(req.ipv6 ? { ipv6: req.ipv6 } : {}),
          ...(req.ipv4Disabled ? { ipv4Disabled: true } : {}),
        },
      },
      [],
    );
  }

  /** validateConfiguration's wording: "user-specified" from 29.2, "user specified" before. */
  private userSpecifiedText(): string {
    const { engineVersion: v, engineMinor: m } = this.options;
    const hyphen = v > 29 || (v === 29 && m >= 2);
    return `user${hyphen ? "-" : " "}specified configurations are not supported if the network depends on a configuration network`;
  }

  /** --config-from: the configuration network's IPAM request, options and labels. */
  private applyConfigNetwork(req: NetworkCreate, name: string): NetworkCreate {
    const config = [...this.networks.values()].find((n) => n.spec.configOnly && n.name === name);
    if (!config?.spec.configOnly)
      throw new DockerError(`configuration network "${name}" does not exist`, 404);
    return {
      ...req,
      options: { ...config.spec.options },
      labels: { ...config.spec.labels },
      ipamOptions: { ...config.spec.ipamOptions },
      ipam: config.spec.configOnly.ipam,
      ipamDriver: config.spec.configOnly.ipamDriver,
      // applyConfigurationTo: the IP versions come from the configuration network too.
      ...(config.spec.configOnly.ipv6 ? { ipv6: config.spec.configOnly.ipv6 } : {}),
      ...(config.spec.configOnly.ipv4Disabled ? { ipv4Disabled: true } : {}),
    };
  }

  /** Whether `ref` names a network (findNetwork would find it). */
  hasNetwork(ref: string): boolean {
    try {
      this.findNetwork(ref);
      return true;
    } catch (e) {
      if (!(e instanceof DockerError)) throw e;
      return false;
    }
  }

  /** `docker network rm`: refused for predefined networks and while endpoints remain. */
  removeNetwork(ref: string): void {
    const n = this.findNetwork(ref);
    if (n.predefined) throw new DockerError(`${n.name} is a pre-defined network and cannot be removed`, 403);
    if (n.spec.configOnly && [...this.networks.values()].some((o) => o.spec.configFrom === n.name))
      throw new DockerError(`configuration network "${n.name}" is in use`, 403);
    if (n.endpoints.size > 0)
      throw new DockerError(
        this.options.engineVersion > 28 ||
          (this.options.engineVersion === 28 && this.options.engineMinor >= 1)
          ? `error while removing network: network ${n.name} has active endpoints (${[...n.endpoints.values()]
              .map((e) => `name:${JSON.stringify(e.name)} id:${JSON.stringify(e.id.slice(0, 12))}`)
              .join(", ")})`
          : `error while removing network: network ${n.name} id ${n.id} has active endpoints`,
        403,
      );
    if (n.driver === "bridge") this.bridge.deleteNetwork(n);
    this.lanDriver(n.driver)?.deleteNetwork(n, [...this.networks.values()]);
    for (const p of n.pools) this.releasePool(p);
    if (n.pool6) this.ipam6.releasePool(n.pool6);
    this.networks.delete(n.id);
  }

  /** IPAM plugins by name (`--ipam-driver NAME`). */
  private readonly ipamPlugins = new Map<string, RemoteIpam>();

  /**
   * The network's pools from its IPAM driver (the built-in one, or a plugin), one per request;
   * a failure gives back those already taken (ipamAllocate's deferred release).
   */
  private requestPools(req: NetworkCreate): AddressPool[] {
    const driver = req.ipamDriver ?? "default";
    const plugin = driver === "default" ? undefined : this.ipamPlugins.get(driver);
    if (driver !== "default" && !plugin) throw new DockerError(`plugin "${driver}" not found`, 404);
    const pools: AddressPool[] = [];
    const space = plugin?.defaultAddressSpace();
    const skipGateway = this.skipsGateway(req);
    try {
      for (const r of req.ipam.length > 0 ? req.ipam : [{}])
        pools.push(
          plugin
            ? plugin.requestPool({ ...r, skipGateway }, req.ipamOptions ?? {}, space ?? "")
            : this.ipam.requestPool({ ...r, skipGateway }),
        );
    } catch (e) {
      for (const p of pools) this.releasePool(p);
      throw e;
    }
    return pools;
  }

  /**
   * GwAllocChecker (Docker 28+): the bridge needs no IPv4 gateway in gateway mode isolated or with
   * inhibit_ipv4 on an internal network, ipvlan none in l3/l3s.
   */
  private skipsGateway(req: NetworkCreate): boolean {
    if (this.options.engineVersion < 28) return false;
    const o = req.options;
    if (req.driver === "ipvlan") return o.ipvlan_mode === "l3" || o.ipvlan_mode === "l3s";
    if (req.driver !== "bridge") return false;
    return (
      o[OPT_GATEWAY_MODE] === "isolated" || (req.internal && parseGoBool(o[OPT_INHIBIT_IPV4] ?? "") === true)
    );
  }

  private releasePool(pool: AddressPool): void {
    if (pool instanceof RemoteIpamPool) pool.ipam.releasePool(pool);
    else this.ipam.releasePool(pool as IpamPool);
  }

  /** A container by full name, full id or unique id prefix. */
  findContainer(ref: string): Container {
    const all = [...this.containers.values()];
    const found =
      all.find((c) => c.name === ref.replace(/^\//, "")) ??
      all.find((c) => c.id === ref) ??
      (all.filter((c) => c.id.startsWith(ref)).length === 1
        ? all.find((c) => c.id.startsWith(ref))
        : undefined);
    if (!found) throw new DockerError(`No such container: ${ref}`, 404);
    return found;
  }

  /** `docker create` (and the first half of `docker run`). */
  /**
   * runconfig's validateNetMode, run as the API decodes the create request (before the name is
   * taken): a container sharing another's namespace has its hostname, links, DNS, hosts file and
   * ports from it (validateNetContainerMode), and host networking takes no links.
   */
  private validateNetMode(req: {
    network: string;
    hostname: string | undefined;
    ports: PortRequest[];
    dns?: DnsConfig;
    options?: ContainerOptions;
  }): void {
    const conflict = (what: string) => new DockerError(`conflicting options: ${what}`, 400);
    const links = req.dns?.links ?? [];
    if (req.network.startsWith("container:")) {
      if (req.network === "container:")
        throw new DockerError("Invalid network mode: invalid container format container:<name|id>", 400);
      if (req.hostname !== undefined) throw conflict("hostname and the network mode");
      if (links.length > 0)
        throw conflict(
          "container type network can't be used with links. This would result in undefined behavior",
        );
      if ((req.dns?.servers.length ?? 0) > 0) throw conflict("dns and the network mode");
      if ((req.dns?.extraHosts.length ?? 0) > 0)
        throw conflict("custom host-to-IP mapping and the network mode");
      if (req.ports.length > 0 || req.options?.publishAll)
        throw conflict("port publishing and the container type network mode");
    }
    if (req.network === "host" && links.length > 0)
      throw conflict(
        "host type networking can't be used with links. This would result in undefined behavior",
      );
  }

  createContainer(req: {
    name: string | undefined;
    image: string;
    command: string[];
    hostname: string | undefined;
    network: string;
    ip: number;
    ip6?: Uint8Array;
    aliases: string[];
    ports: PortRequest[];
    macAddress: number;
    dns?: DnsConfig;
    /** Config.Env: the image's, then -e. */
    env?: string[];
    /** --sysctl KEY=VALUE, in order. */
    sysctls?: [string, string][];
    /** --rm, -P, and whether `docker run` stays attached (no -d). */
    options?: ContainerOptions;
  }): Container {
    this.validateNetMode(req);
    if (req.name !== undefined && [...this.containers.values()].some((c) => c.name === req.name)) {
      const other = [...this.containers.values()].find((c) => c.name === req.name) as Container;
      throw new DockerError(
        `Conflict. The container name "/${req.name}" is already in use by container "${other.id}". You have to remove (or rename) that container to be able to reuse that name.`,
        409,
      );
    }
    const mode = req.network;
    // verifyPlatformContainerSettings: the host's own net.* settings are not the container's to change.
    if (mode === "host")
      for (const [k] of req.sysctls ?? [])
        if (k.startsWith("net."))
          throw new DockerError(`--sysctl ${k} is not allowed in host network namespace`, 400);
    const isShared = mode === "host" || mode === "none" || mode.startsWith("container:");
    let netName = mode;
    if (!isShared) netName = this.findNetwork(mode).name;
    const n = isShared ? undefined : this.findNetwork(netName);
    if (n?.spec.configOnly) throw configOnlyEndpoint();
    if (req.ip !== 0 && (!n || n.name === "bridge"))
      throw new DockerError(
        "invalid endpoint settings:\nuser specified IP address is supported on user defined networks only",
        400,
      );
    // --link with a user-defined network belongs to that network's endpoint (DNS aliases).
    const endpointLinks = n && n.name !== "bridge" ? (req.dns?.links ?? []) : [];
    if (req.aliases.length > 0 && (!n || n.name === "bridge"))
      throw new DockerError(
        "invalid endpoint settings:\nnetwork-scoped alias is supported only for containers in user defined networks",
        400,
      );
    if ((req.ip !== 0 && n?.pool && !n.pool.userSubnet) || (req.ip6 && !n?.pool6?.userSubnet))
      throw new DockerError(
        "invalid endpoint settings:\nuser specified IP address is supported only when connecting to networks with user configured subnets",
        400,
      );
    const id = randomId(this.rng);
    const c = new Container(
      id,
      req.name ?? this.generateName(),
      req.image,
      req.command,
      this.now(),
      req.hostname ?? this.defaultHostname(mode, id),
      req.hostname !== undefined,
      mode,
      new Map(
        n
          ? [
              [
                n.name,
                {
                  ip: req.ip,
                  ...(req.ip6 ? { ip6: req.ip6 } : {}),
                  aliases: req.aliases,
                  ...(endpointLinks.length > 0 ? { links: endpointLinks } : {}),
                },
              ],
            ]
          : [],
      ),
      mode === "host" ? [] : req.ports,
      req.macAddress,
      {
        ...(req.dns ?? NO_DNS),
        servers: req.dns?.servers.length ? req.dns.servers : (this.options.dns ?? []),
        links: endpointLinks.length > 0 ? [] : (req.dns?.links ?? []),
      },
    );
    c.env = req.env ?? [];
    c.sysctls = req.sysctls ?? [];
    if (req.options) c.options = req.options;
    this.containers.set(id, c);
    return c;
  }

  /** Docker's names generator (adjective_surname), drawn from the seeded RNG. */
  private generateName(): string {
    for (;;) {
      const name = `${pick(ADJECTIVES, this.rng)}_${pick(SURNAMES, this.rng)}`;
      if (![...this.containers.values()].some((c) => c.name === name)) return name;
    }
  }

  /**
   * `docker start`: the sandbox and its endpoints (all or nothing: a failure undoes what was
   * made), the default route, the published ports. Returns the namespace the container's
   * processes run in.
   */
  startContainer(c: Container): NetNamespace {
    if (c.state === "running") return c.sandbox as NetNamespace;
    if (c.networkMode === "host") {
      c.sandbox = this.ns;
      // Copies of the host's files, --add-host lines appended (the host's own files stay as they are).
      const extra = c.dns.extraHosts.map(
        ([h, ip]) => `${ip === "host-gateway" ? this.hostGateway() : ip}\t${h}\n`,
      );
      c.files = new Map([
        ["/etc/hosts", `${this.ns.files.get("/etc/hosts") ?? ""}${extra.join("")}`],
        ["/etc/resolv.conf", this.ns.files.get("/etc/resolv.conf") ?? ""],
        ["/etc/hostname", `${c.hostname}\n`],
      ]);
      this.running(c);
      this.attachPlain(c, "host");
      return this.ns;
    }
    if (c.networkMode.startsWith("container:")) {
      const other = this.findContainer(c.networkMode.slice("container:".length));
      if (other.state !== "running" || !other.sandbox)
        throw new DockerError(`cannot join network namespace of a non running container: ${other.id}`, 409);
      c.sandbox = other.sandbox;
      this.running(c);
      return other.sandbox;
    }
    const links = this.linkedContainers(c);
    c.sandboxId = randomId(this.rng);
    // Docker 29 leaves the legacy link variables out.
    c.linkEnv =
      this.options.engineVersion >= 29
        ? []
        : links.flatMap(([child, alias]) =>
            linkEnv(
              {
                name: `/${c.name}/${alias}`,
                ip: ipv4ToString(child.endpoints.find((e) => e.network.name === "bridge")?.address ?? 0),
                env: child.env,
                ports: child.exposedPorts(),
              },
              this.options.engineVersion < 28,
            ),
          );
    const sandbox = this.host.addUnnamedNetns(this.sandboxLabel(c));
    sandbox.setUp(sandbox.lo, true);
    c.sandbox = sandbox;
    c.nextIfIndex = 0;
    if (c.networkMode === "none") this.attachPlain(c, "none");
    try {
      for (const [name, req] of c.networks) this.join(c, this.findNetwork(name), req.ip, req.ip6);
      this.applySysctls(c, sandbox);
      this.electGateway(c);
      this.publish(c);
      this.addLinkRules(c, links);
    } catch (e) {
      this.teardown(c);
      throw e;
    }
    this.writeFiles(c);
    this.running(c);
    return sandbox;
  }

  /**
   * --sysctl: written in the container's namespace once its interfaces are there (as runc does
   * when the process starts). A container that turned IPv6 off gives its IPv6 addresses back
   * (the kernel has dropped them) and its /etc/hosts has no IPv6 lines.
   */
  private applySysctls(c: Container, sandbox: NetNamespace): void {
    for (const [k, v] of c.sysctls) {
      if (!k.startsWith("net.")) continue; // kernel.msg*, kernel.sem*, fs.mqueue.*: not modelled
      const r = runSysctl(sandbox, ["-q", "-w", `${k}=${v}`]);
      if (r.exit !== 0)
        throw new DockerError(
          `failed to create task for container: failed to create shim task: OCI runtime create failed: runc create failed: unable to start container process: error during container init: open /proc/sys/${k.replaceAll(".", "/")}: no such file or directory: unknown`,
          500,
        );
    }
    if (!this.ipv6Disabled(c)) return;
    for (const ep of c.endpoints) {
      if (ep.address6) ep.network.pool6?.release(ep.address6);
      ep.address6 = undefined;
    }
  }

  /** The container turned IPv6 off (net.ipv6.conf.all.disable_ipv6=1 among its --sysctl). */
  private ipv6Disabled(c: Container): boolean {
    return c.sysctls.some(([k, v]) => k === "net.ipv6.conf.all.disable_ipv6" && v.trim() === "1");
  }

  /** What --add-host's `host-gateway` stands for: the default bridge's gateway address. */
  private hostGateway(): string {
    return ipv4ToString([...this.networks.values()].find((n) => n.name === "bridge")?.pool?.gateway ?? 0);
  }

  /** /etc/hosts with --add-host lines (host-gateway: the default bridge's gateway) and links. */
  private hostsOf(c: Container): string {
    const extra: string[] = [];
    for (const [name, ip] of c.dns.extraHosts)
      extra.push(`${ip === "host-gateway" ? this.hostGateway() : ip}\t${name}`);
    for (const [name, alias] of c.dns.links) {
      const child = [...this.containers.values()].find((x) => x.name === name);
      const ep = child?.endpoints.find((e) => e.network.name === "bridge");
      if (!child || !ep) continue;
      const names = [alias, child.hostname, ...(child.name === alias ? [] : [child.name])];
      extra.push(`${ipv4ToString(ep.address)}\t${names.join(" ")}`);
    }
    return hostsFile(
      c.hostname,
      c.endpoints.flatMap((e) => [
        ...(e.address === 0 ? [] : [ipv4ToString(e.address)]),
        ...(e.address6 ? [ipv6ToString(e.address6)] : []),
      ]),
      extra,
      this.options.engineVersion < 28,
      !this.ipv6Disabled(c),
    );
  }

  /** --link targets on the default bridge: running, and on that network (daemon/links checks). */
  private linkedContainers(c: Container): [Container, string][] {
    if (c.networkMode !== "bridge") return [];
    return c.dns.links.map(([name, alias]) => {
      const child = [...this.containers.values()].find((x) => x.name === name);
      if (!child) throw new DockerError(`could not get container for ${name}`, 404);
      if (child.state !== "running")
        throw new DockerError(`Cannot link to a non running container: /${name} AS /${c.name}/${alias}`, 409);
      if (!child.endpoints.some((e) => e.network.name === "bridge"))
        throw new DockerError(`Cannot link to /${name}, as it does not belong to the default network`, 409);
      return [child, alias];
    });
  }

  /** With icc=false, a link opens the child's exposed ports to the parent (links/link.go). */
  private addLinkRules(c: Container, links: [Container, string][]): void {
    const bridge = [...this.networks.values()].find((n) => n.name === "bridge");
    if (!bridge || bridge.flag("com.docker.network.bridge.enable_icc", true) || !this.options.iptables)
      return;
    const parent = c.endpoints.find((e) => e.network === bridge);
    for (const [child] of links) {
      const ep = child.endpoints.find((e) => e.network === bridge);
      if (!parent || !ep) continue;
      for (const port of child.exposedPorts()) {
        const p = ipv4ToString(parent.address);
        const k = ipv4ToString(ep.address);
        for (const rule of [
          `-A DOCKER -s ${p}/32 -d ${k}/32 -i docker0 -o docker0 -p ${port.proto} -m ${port.proto} --dport ${port.port} -j ACCEPT`,
          `-A DOCKER -s ${k}/32 -d ${p}/32 -i docker0 -o docker0 -p ${port.proto} -m ${port.proto} --sport ${port.port} -j ACCEPT`,
        ]) {
          runIptables(this.ns.iptables, rule.split(" "));
          c.linkRules.push(rule.replace("-A ", "-D "));
        }
      }
    }
  }

  /** How the sandbox is known (capture names): the container's name, prefixed by a docker host that is not the initial namespace. */
  private sandboxLabel(c: Container): string {
    return this.ns === this.host.root ? c.name : `${this.ns.name}:${c.name}`;
  }

  /** /etc/hosts and /etc/resolv.conf, and the embedded resolver on user-defined networks. */
  /** No -h: the host's hostname (host mode), the other container's (container:), else the short id. */
  private defaultHostname(mode: string, id: string): string {
    if (mode === "host") return this.hostHostname();
    if (mode.startsWith("container:")) return this.findContainer(mode.slice("container:".length)).hostname;
    return id.slice(0, 12);
  }

  /** The docker host's hostname (what a --network host container gets): its name, or localhost. */
  private hostHostname(): string {
    return this.host.nameOf(this.ns) ?? "localhost";
  }

  private writeFiles(c: Container): void {
    const sandbox = c.sandbox as NetNamespace;
    sandbox.files.set("/etc/hostname", `${c.hostname}\n`);
    c.files = sandbox.files;
    sandbox.files.set("/etc/hosts", this.hostsOf(c));
    const hostResolv = this.ns.files.get("/etc/resolv.conf") ?? "";
    const internal = c.endpoints.some((e) => !e.network.predefined);
    sandbox.files.set(
      "/etc/resolv.conf",
      internal ? internalResolvConf(hostResolv, c.dns) : legacyResolvConf(hostResolv, c.dns),
    );
    if (!internal || c.resolver) return;
    const resolver = new EmbeddedResolver(
      sandbox,
      this.ns,
      {
        addresses: (name) => this.dnsAddresses(c, name),
        ptr: (addr) => this.dnsPtr(c, addr),
        upstreams: () =>
          c.dns.servers.length > 0
            ? nameservers(c.dns.servers.map((n) => `nameserver ${n}`).join("\n"))
            : nameservers(this.ns.files.get("/etc/resolv.conf") ?? ""),
        // --dns servers are asked from the container's namespace, the host's from the host's.
        fromContainer: c.dns.servers.length > 0,
      },
      this.host.sim,
      this.rng,
    );
    resolver.start();
    c.resolver = resolver;
  }

  /** The names an endpoint answers to: container name, aliases, short id, the hostname if set. */
  private dnsNames(containerId: string, network: Network): string[] {
    const c = this.containers.get(containerId);
    if (!c) return [];
    const req = c.networks.get(network.name);
    const names = [c.name, ...(req?.aliases ?? []), c.shortId];
    if (c.hostnameSet) names.push(c.hostname);
    return [...new Set(names.map((n) => n.toLowerCase()))];
  }

  /** A/AAAA lookup as resolver.go does it: the full name in every network, then `name.network`. */
  private dnsAddresses(
    c: Container,
    query: string,
  ): { v4: number; v6: Uint8Array | undefined }[] | undefined {
    const name = query.replace(/\.$/, "").toLowerCase();
    const inNetwork = (n: Network, wanted: string) => {
      const addrs = [...n.endpoints.values()]
        .filter((ep) => this.dnsNames(ep.containerId, n).includes(wanted))
        .map((ep) => ({ v4: ep.address, v6: ep.address6 }));
      return addrs.length > 0 ? addrs : undefined;
    };
    const nets = c.endpoints.map((e) => e.network).filter((n) => !n.predefined);
    // This container's --link aliases on each network (only it resolves them).
    for (const n of nets)
      for (const [target, alias] of c.networks.get(n.name)?.links ?? [])
        if (alias.toLowerCase() === name) {
          const found = inNetwork(n, target.toLowerCase());
          if (found) return found;
        }
    for (const n of nets) {
      const found = inNetwork(n, name);
      if (found) return found;
    }
    const labels = name.split(".");
    for (let i = labels.length - 1; i >= 1; i--) {
      const netName = labels.slice(i).join(".");
      const n = nets.find((x) => x.name.toLowerCase() === netName);
      const found = n ? inNetwork(n, labels.slice(0, i).join(".")) : undefined;
      if (found) return found;
    }
    return undefined;
  }

  private dnsPtr(c: Container, addr: number): string | undefined {
    for (const e of c.endpoints) {
      const n = e.network;
      if (n.predefined) continue;
      for (const ep of n.endpoints.values())
        if (ep.address === addr) return `${this.dnsNames(ep.containerId, n)[0]}.${n.name}`;
    }
    return undefined;
  }

  /**
   * `docker network connect`: a running container gets the endpoint now (eth<N>, its address in
   * /etc/hosts, the gateway elected again); a stopped one keeps the request for its next start.
   */
  connect(c: Container, n: Network, req: EndpointRequest): void {
    const { ip } = req;
    if (n.spec.configOnly) throw configOnlyEndpoint();
    if (c.networkMode === "host" || c.networkMode.startsWith("container:"))
      throw new DockerError(
        "container sharing network namespace with another container or host cannot be connected to any other network",
        400,
      );
    if (c.networkMode === "none")
      throw new DockerError(
        "container cannot be connected to multiple networks with one of the networks in private (none) mode",
        400,
      );
    if (n.driver !== "bridge" && !this.lanDriver(n.driver))
      throw new DockerError(
        "container cannot be disconnected from host network or connected to host network",
        400,
      );
    if (c.networks.has(n.name))
      throw new DockerError(`endpoint with name ${c.name} already exists in network ${n.name}`, 403);
    if (
      (ip !== 0 || req.ip6) &&
      (n.name === "bridge" || !n.pool?.userSubnet || (req.ip6 && !n.pool6?.userSubnet))
    )
      throw new DockerError(
        n.name === "bridge"
          ? "invalid endpoint settings:\nuser specified IP address is supported on user defined networks only"
          : "invalid endpoint settings:\nuser specified IP address is supported only when connecting to networks with user configured subnets",
        400,
      );
    c.networks.set(n.name, req);
    if (c.state === "running" && c.sandbox) {
      const before = this.publishingEndpoint(c);
      try {
        this.join(c, n, ip, req.ip6);
      } catch (e) {
        c.networks.delete(n.name);
        throw e;
      }
      this.electGateway(c);
      // Published ports follow the gateway endpoint.
      if (this.publishingEndpoint(c) !== before) {
        if (before) this.unpublishAll(c, before);
        this.publish(c);
      }
      // The first user-defined network brings the embedded resolver (startResolver, rebuildDNS):
      // resolv.conf now points at 127.0.0.11.
      if (!n.predefined && !c.resolver && c.networkMode !== "host") this.writeFiles(c);
      else this.refreshFiles(c);
    }
  }

  /** Take the container's published ports off `ep` (rules and docker-proxy processes). */
  private unpublishAll(c: Container, ep: Endpoint): void {
    for (const b of c.bindings) {
      this.bridge.unpublish(ep.network, ep, b);
      this.proxies.get(b)?.interrupt();
      this.proxies.delete(b);
    }
    c.bindings = [];
  }

  /** `docker network disconnect`: the endpoint goes (and the default route with it, if it was the gateway). */
  disconnect(c: Container, n: Network): void {
    if (!c.networks.has(n.name))
      throw new DockerError(`container ${c.id} is not connected to network ${n.name}`, 400);
    const ep = c.endpoints.find((e) => e.network === n);
    if (ep) {
      const wasGateway = this.publishingEndpoint(c) === ep;
      if (wasGateway) this.unpublishAll(c, ep);
      n.endpoints.delete(c.id);
      n.poolOf(ep.address)?.release(ep.address);
      if (ep.address6) n.pool6?.release(ep.address6);
      this.leave(ep, c);
      c.endpoints = c.endpoints.filter((e) => e !== ep);
      if (wasGateway) {
        this.electGateway(c);
        this.publish(c);
      }
    }
    c.networks.delete(n.name);
    if (c.state === "running") this.refreshFiles(c);
  }

  /** /etc/hosts follows the container's addresses. */
  private refreshFiles(c: Container): void {
    c.sandbox?.files.set("/etc/hosts", this.hostsOf(c));
  }

  private join(c: Container, n: Network, ip: number, ip6?: Uint8Array): void {
    const lan = this.lanDriver(n.driver);
    if ((n.driver !== "bridge" && !lan) || (!n.pool && !n.spec.ipv4Disabled)) return;
    const label = `${n.name} (${n.id.slice(0, 12)})`;
    const address6 = n.pool6?.allocate(ip6, label);
    let address: number;
    try {
      address = this.allocateAddress(n, ip);
    } catch (e) {
      if (address6) n.pool6?.release(address6);
      throw e;
    }
    const mac =
      c.macAddress !== 0 && c.endpoints.length === 0
        ? c.macAddress
        : this.options.engineVersion >= 28
          ? this.host.randomMac()
          : macFromIp(address);
    try {
      const ep = lan
        ? lan.join(n, c, randomId(this.rng), address, lan.macFor(n, mac), address6)
        : this.bridge.join(n, c, randomId(this.rng), address, mac, this.defaultGatewayFor(n), address6);
      n.endpoints.set(c.id, ep);
      c.endpoints.push(ep);
      if (this.options.engineVersion >= 28) this.advertise(c, n, ep);
    } catch (e) {
      n.poolOf(address)?.release(address);
      if (address6) n.pool6?.release(address6);
      throw e;
    }
  }

  /**
   * An endpoint's address (ipamAllocateVersion for endpoints): `ip` (--ip) from the pool whose
   * subnet has it, else the first free address of the first pool that has one.
   */
  private allocateAddress(n: Network, ip: number): number {
    const label = `${n.name} (${n.id.slice(0, 12)})`;
    if (n.spec.ipv4Disabled) {
      if (ip !== 0)
        throw new DockerError(
          `no configured subnet or ip-range contain the IP address ${ipv4ToString(ip)}`,
          400,
        );
      return 0; // an IPv6-only network's endpoints have no IPv4 address
    }
    if (ip !== 0) return (n.poolOf(ip) as AddressPool).allocate(ip, label);
    for (let i = 0; ; i++) {
      const pool = n.pools[i] as AddressPool;
      try {
        return pool.allocate(undefined, label);
      } catch (e) {
        if (i === n.pools.length - 1 || !(e instanceof DockerError) || !e.message.startsWith("no available"))
          throw e;
      }
    }
  }

  /**
   * v28+ (osl advertiseAddrs): once the interface is configured, gratuitous ARP requests for its
   * IPv4 address and unsolicited neighbour advertisements for its IPv6 one, `advertise_addr_nmsgs`
   * of each (3) `advertise_addr_ms` apart (1000), as long as the interface is still there.
   */
  private advertise(c: Container, n: Network, ep: Endpoint): void {
    const sandbox = c.sandbox;
    const dev = sandbox?.device(ep.ifname);
    // osl advertiseAddrs needs the interface's MAC from the driver: ipvlan gives none (it shares
    // its parent's), so its endpoints announce nothing.
    if (!sandbox || !dev || n.driver === "ipvlan") return;
    const count = Number(n.spec.options[OPT_ADVERTISE_NMSGS] ?? 3);
    const interval = Number(n.spec.options[OPT_ADVERTISE_MS] ?? 1000) * MILLISECOND;
    const address6 = ep.address6;
    for (let i = 0; i < count; i++)
      this.host.sim.scheduleAfter(i * interval, () => {
        if (c.sandbox !== sandbox || sandbox.device(ep.ifname) !== dev) return;
        if (ep.address !== 0) sandbox.ipv4.announce(dev.ifindex, ep.address);
        if (address6) sandbox.ipv6.announce(dev.ifindex, address6);
      });
  }

  /**
   * host and none: an endpoint with no interface of its own, so that the network lists the
   * container (with empty MAC and addresses, as inspect shows it).
   */
  private attachPlain(c: Container, name: string): void {
    const n = this.findNetwork(name);
    n.endpoints.set(c.id, new Endpoint(randomId(this.rng), n, c.id, c.name, 0, 0, "", undefined));
  }

  /** --default-gateway applies to the default bridge only. */
  private defaultGatewayFor(n: Network): number | undefined {
    const gw = this.options.defaultGateway;
    return gw && n.name === "bridge" ? parseIpv4(gw) : undefined;
  }

  /** One default route, via the gateway endpoint (see gatewayEndpoint). */
  private electGateway(c: Container): void {
    const sandbox = c.sandbox as NetNamespace;
    sandbox.main.removeWhere((r) => r.dst === 0 && r.prefixLen === 0);
    const gw = this.gatewayEndpoint(c);
    const via = gw && this.defaultRouteVia(gw);
    const dev = gw && sandbox.device(gw.ifname);
    if (!dev || via === undefined) return;
    sandbox.main.add({
      dst: 0,
      prefixLen: 0,
      type: "unicast",
      gateway: via,
      ifindex: dev.ifindex,
      metric: 0,
      protocol: "boot",
      // ipvlan l3/l3s: no gateway but a connected default route, `default dev eth0 scope link`.
      scope: via === 0 ? "link" : "universe",
      prefsrc: 0,
    });
  }

  /**
   * The next hop of the default route an endpoint offers (0: a connected one, ipvlan l3/l3s), or
   * undefined when its driver set no gateway: internal networks, macvlan/ipvlan without a parent,
   * host and none.
   */
  private defaultRouteVia(e: Endpoint): number | undefined {
    const n = e.network;
    if (n.spec.internal || n.driver === "host" || n.driver === "null") return undefined;
    const via = e.gateway ?? n.poolOf(e.address)?.gateway ?? 0;
    if (via !== 0) return via;
    return n.driver === "ipvlan" && this.ipvlan.connectedDefault(n) ? 0 : undefined;
  }

  /**
   * sandbox.getGatewayEndpoint: endpoints in Endpoint.Less order (the highest --gw-priority,
   * non-internal before internal, those with a gateway first, then by network name), the first
   * that has a gateway or default route.
   */
  private gatewayEndpoint(c: Container) {
    const priority = (e: Endpoint) => c.networks.get(e.network.name)?.gwPriority ?? 0;
    const candidates = c.endpoints.filter((e) => this.defaultRouteVia(e) !== undefined);
    return candidates.sort(
      (a, b) => priority(b) - priority(a) || (a.network.name < b.network.name ? -1 : 1),
    )[0];
  }

  /**
   * Where the container's ports are published: its IPv4 gateway endpoint, or for a container on
   * IPv6-only networks the first (non-internal) one with an IPv6 address (the IPv6 gateway).
   */
  private publishingEndpoint(c: Container): Endpoint | undefined {
    return (
      this.gatewayEndpoint(c) ??
      c.endpoints.find((e) => e.network.spec.ipv4Disabled && !e.network.spec.internal && e.address6)
    );
  }

  /**
   * Publish the container's ports on its gateway endpoint (host ports chosen now). A port on the
   * unspecified host address is bound for IPv4 (0.0.0.0) and, when the docker host runs IPv6, for
   * IPv6 ([::]) with the same port: to the container's IPv6 address through ip6tables when it has
   * one, else by docker-proxy alone (to its IPv4 address).
   */
  private publish(c: Container): void {
    const ep = this.publishingEndpoint(c);
    if (ep?.network.driver !== "bridge") return;
    const n = ep.network;
    const defaultIp = n.spec.options[OPT_HOST_BINDING] ?? "0.0.0.0";
    const hostIpv6 = this.ns.ipv6.addrconf.isRunning(this.ns.lo.ifindex);
    c.bindings = [];
    for (const p of c.ports) {
      // Gateway mode routed (portmappers/routed): no host port, no proxy, the container's port opened.
      if (gatewayMode(n) === "routed") {
        const b: PortBinding = { ...p, hostIp: "0.0.0.0", hostPort: 0 };
        c.bindings.push(b);
        this.bridge.publish(n, ep, b);
        continue;
      }
      const hostIp = p.hostIp === "" ? defaultIp : p.hostIp;
      const hostPort = p.hostPort === 0 ? this.randomHostPort(hostIp, p.proto) : p.hostPort;
      const b: PortBinding = { ...p, hostIp, hostPort };
      // A container without IPv4 (IPv6-only networks) gets an IPv4 host port only from the proxy.
      if (ep.address !== 0 || this.options.userlandProxy || isIpv6Binding(b)) this.bind(c, ep, b);
      if (hostIp === "0.0.0.0" && hostIpv6 && (ep.address6 || this.options.userlandProxy))
        this.bind(c, ep, { ...p, hostIp: "::", hostPort });
    }
  }

  /** One host binding: its port taken, docker-proxy started when the proxy is on, the rules. */
  private bind(c: Container, ep: Endpoint, b: PortBinding): void {
    const clash = this.bindingOwner(b.hostIp, b.hostPort, b.proto);
    if (clash)
      throw new DockerError(
        `driver failed programming external connectivity on endpoint ${c.name} (${ep.id}): Bind for ${joinHostPort(b.hostIp, b.hostPort)} failed: port is already allocated`,
        500,
      );
    if (this.options.userlandProxy) {
      // To the container's address of the binding's family; across families when it has only one.
      const toV6 = ep.address6 !== undefined && (isIpv6Binding(b) || ep.address === 0);
      const proxy = this.startProxy(
        b,
        toV6 ? ipv6ToString(ep.address6 as Uint8Array) : ipv4ToString(ep.address),
      );
      if (typeof proxy === "string")
        throw new DockerError(
          `driver failed programming external connectivity on endpoint ${c.name} (${ep.id}): Error starting userland proxy: ${proxy}`,
          500,
        );
      this.proxies.set(b, proxy);
    }
    c.bindings.push(b);
    this.bridge.publish(ep.network, ep, b);
  }

  /** docker-proxy processes, per binding. */
  private readonly proxies = new Map<PortBinding, RunningProcess>();

  /** Start docker-proxy for a binding in the docker host's namespace; its error text if it fails. */
  private startProxy(b: PortBinding, containerIp: string): RunningProcess | string {
    let error = "";
    const proxy = dockerProxy(
      [
        "-proto",
        b.proto,
        "-host-ip",
        b.hostIp,
        "-host-port",
        String(b.hostPort),
        "-container-ip",
        containerIp,
        "-container-port",
        String(b.containerPort),
      ],
      { host: this.host, ns: this.ns, out: () => {}, err: (l) => (error = l), exit: () => {} },
    );
    return proxy ?? error;
  }

  private bindingOwner(hostIp: string, hostPort: number, proto: string): Container | undefined {
    for (const other of this.containers.values())
      for (const b of other.bindings)
        if (
          b.hostPort === hostPort &&
          b.proto === proto &&
          isIpv6Binding(b) === hostIp.includes(":") &&
          (b.hostIp === hostIp || ANY_HOST.has(b.hostIp) || ANY_HOST.has(hostIp))
        )
          return other;
    return undefined;
  }

  /** The next free port after the last one given for (address, protocol), in ip_local_port_range. */
  private randomHostPort(hostIp: string, proto: string): number {
    const [lo = 32768, hi = 60999] = this.ns.sysctl
      .get("net.ipv4.ip_local_port_range")
      .split(/\s+/)
      .map(Number);
    const key = `${hostIp}/${proto}`;
    let port = this.lastPort.get(key) ?? hi;
    for (let i = 0; i <= hi - lo; i++) {
      port = port >= hi ? lo : port + 1;
      if (!this.bindingOwner(hostIp, port, proto)) {
        this.lastPort.set(key, port);
        return port;
      }
    }
    throw new DockerError(`no available ports in range ${lo}-${hi}`, 500);
  }

  /** `docker stop` / a container's last process ending: ports, endpoints and sandbox go. */
  /**
   * Does the container's main program end on the stop signal? The servers of the nginx and httpd
   * images do (SIGQUIT, SIGWINCH: graceful stops); anything else is PID 1 without a handler.
   */
  handlesStopSignal(c: Container): boolean {
    return c.command[0] === "nginx" || c.command[0] === "httpd";
  }

  stopContainer(c: Container, exitCode: number): void {
    if (c.state !== "running") return;
    const p = c.process;
    c.process = undefined;
    p?.interrupt();
    this.teardown(c);
    c.state = "exited";
    c.exitCode = exitCode;
    c.finishedAt = this.now();
  }

  /** The next process id the host hands out (inspect's State.Pid). */
  private nextPid = 1000;

  private running(c: Container): void {
    c.state = "running";
    c.startedAt = this.now();
    c.finishedAt = "0001-01-01T00:00:00Z";
    c.pid = this.nextPid++;
  }

  /** The endpoint's driver takes its interface away. */
  private leave(ep: Endpoint, c: Container): void {
    const lan = this.lanDriver(ep.network.driver);
    if (lan) lan.leave(ep, c);
    else this.bridge.leave(ep);
  }

  /** The macvlan, ipvlan or remote driver for `driver`, if it is one of those. */
  private lanDriver(driver: string): ParentLinkDriver | RemoteDriver | undefined {
    return driver === "macvlan" ? this.macvlan : driver === "ipvlan" ? this.ipvlan : this.remote.get(driver);
  }

  /** Remote network drivers by name (`docker network create -d NAME`). */
  private readonly remote = new Map<string, RemoteDriver>();

  /** Register a network driver plugin (what `docker plugin install` and a plugin socket do). */
  /** A plugin: an IPAM driver when it implements IpamDriver, else a network driver. */
  registerPlugin(name: string, plugin: NetworkDriverPlugin): void {
    if (plugin.implements?.includes("IpamDriver"))
      this.ipamPlugins.set(name, new RemoteIpam(name, plugin, { host: this.host, ns: this.ns }));
    else this.remote.set(name, new RemoteDriver(name, plugin, this.host, this.ns));
  }

  private teardown(c: Container): void {
    const gw = this.publishingEndpoint(c);
    for (const b of c.bindings) {
      if (gw) this.bridge.unpublish(gw.network, gw, b);
      this.proxies.get(b)?.interrupt();
      this.proxies.delete(b);
    }
    c.bindings = [];
    for (const ep of c.endpoints) {
      ep.network.endpoints.delete(c.id);
      ep.network.poolOf(ep.address)?.release(ep.address);
      if (ep.address6) ep.network.pool6?.release(ep.address6);
      this.leave(ep, c);
    }
    c.endpoints = [];
    for (const name of ["host", "none"]) this.findNetwork(name).endpoints.delete(c.id);
    for (const rule of c.linkRules) runIptables(this.ns.iptables, rule.split(" "));
    c.linkRules = [];
    // The embedded resolver lives in the sandbox and goes with it; the next start makes a new
    // sandbox and with it a new resolver (libnetwork's sandbox.startResolver at each start).
    c.resolver?.stop();
    c.resolver = undefined;
    if (
      c.sandbox &&
      c.sandbox !== this.ns &&
      c.networkMode !== "host" &&
      !c.networkMode.startsWith("container:")
    )
      this.host.delUnnamedNetns(this.sandboxLabel(c));
    c.sandbox = undefined;
  }

  /** `docker rm [-f]`. */
  removeContainer(c: Container, force: boolean): void {
    if (c.state === "running") {
      if (!force)
        throw new DockerError(
          `cannot remove container "/${c.name}": container is running: stop the container before removing or force remove`,
          409,
        );
      this.stopContainer(c, 137);
    }
    this.containers.delete(c.id);
  }

  /** An address given to --ip, checked as the daemon does. */
  static parseIp(text: string): number {
    const ip = parseIpv4(text);
    if (ip === undefined) throw new DockerError(`invalid IPv4 address: ${text}`, 400, false);
    return ip;
  }
}

function networkOf(cidr: string): string {
  const [a = "", len = "32"] = cidr.split("/");
  const ip = parseIpv4(a) ?? 0;
  const n = Number(len);
  const mask = n === 0 ? 0 : (0xffffffff << (32 - n)) >>> 0;
  return `${ipv4ToString((ip & mask) >>> 0)}/${n}`;
}

function pick(list: readonly string[], rng: Rng): string {
  return list[rng.int(0, list.length - 1)] as string;
}

// A sample of the names generator's word lists (adjectives; notable scientists and engineers).
const ADJECTIVES = [
  "admiring",
  "adoring",
  "affectionate",
  "agitated",
  "amazing",
  "angry",
  "awesome",
  "blissful",
  "bold",
  "boring",
  "brave",
  "busy",
  "charming",
  "clever",
  "compassionate",
  "competent",
  "confident",
  "cool",
  "dazzling",
  "determined",
  "eager",
  "ecstatic",
  "elastic",
  "elated",
  "elegant",
  "epic",
  "exciting",
  "fervent",
  "focused",
  "friendly",
  "funny",
  "gallant",
  "gifted",
  "goofy",
  "gracious",
  "happy",
  "hopeful",
  "hungry",
  "inspiring",
  "intelligent",
  "jolly",
  "keen",
  "kind",
  "laughing",
  "loving",
  "lucid",
  "magical",
  "modest",
  "musing",
  "mystifying",
  "nice",
  "nifty",
  "nostalgic",
  "objective",
  "optimistic",
  "peaceful",
  "pensive",
  "practical",
  "priceless",
  "quirky",
  "quizzical",
  "relaxed",
  "reverent",
  "romantic",
  "sad",
  "serene",
  "sharp",
  "silly",
  "sleepy",
  "stoic",
  "strange",
  "suspicious",
  "sweet",
  "tender",
  "thirsty",
  "trusting",
  "upbeat",
  "vibrant",
  "vigilant",
  "vigorous",
  "wizardly",
  "wonderful",
  "xenodochial",
  "youthful",
  "zealous",
  "zen",
];
const SURNAMES = [
  "agnesi",
  "albattani",
  "allen",
  "archimedes",
  "babbage",
  "banach",
  "bardeen",
  "bartik",
  "bell",
  "bhabha",
  "booth",
  "borg",
  "bose",
  "brahmagupta",
  "brattain",
  "burnell",
  "cannon",
  "carson",
  "cerf",
  "chandrasekhar",
  "clarke",
  "curie",
  "darwin",
  "davinci",
  "dijkstra",
  "einstein",
  "elion",
  "engelbart",
  "euclid",
  "euler",
  "faraday",
  "fermat",
  "fermi",
  "feynman",
  "franklin",
  "galileo",
  "gauss",
  "goldberg",
  "goodall",
  "hamilton",
  "hawking",
  "heisenberg",
  "hertz",
  "hodgkin",
  "hopper",
  "hypatia",
  "jackson",
  "jemison",
  "johnson",
  "kalam",
  "keller",
  "kepler",
  "knuth",
  "lalande",
  "lamarr",
  "leakey",
  "lovelace",
  "lumiere",
  "mayer",
  "mccarthy",
  "mcclintock",
  "meitner",
  "mendel",
  "morse",
  "napier",
  "newton",
  "nobel",
  "noether",
  "pare",
  "pascal",
  "pasteur",
  "perlman",
  "pike",
  "poincare",
  "ptolemy",
  "ramanujan",
  "ride",
  "ritchie",
  "sammet",
  "shannon",
  "shockley",
  "sinoussi",
  "stallman",
  "swanson",
  "tesla",
  "thompson",
  "torvalds",
  "turing",
  "volhard",
  "wescoff",
  "wiles",
  "williams",
  "wilson",
  "wing",
  "wozniak",
  "wright",
  "yalow",
  "yonath",
];

function configOnlyEndpoint(): DockerError {
  return new DockerError("cannot create endpoint on configuration-only network", 403);
}

/**
 * libnetwork validateConfiguration: a --config-from network brings no configuration of its own
 * (IPAM driver, IPv6, IPv4 off, labels, IPAM options or configs; then driver options).
 */
function checkConfigFrom(req: NetworkCreate, userSpecified: string): void {
  if (
    (req.ipamDriver !== undefined && req.ipamDriver !== "default" && req.ipamDriver !== "") ||
    req.ipv6 !== undefined ||
    req.ipv4Disabled === true ||
    req.ipam.some((r) => r.subnet || r.gateway || r.ipRange || (r.auxAddresses?.length ?? 0) > 0) ||
    Object.keys(req.labels).length > 0 ||
    Object.keys(req.ipamOptions ?? {}).length > 0
  )
    throw new DockerError(userSpecified, 403);
  if (Object.keys(req.options).length > 0)
    throw new DockerError(
      "network driver options are not supported if the network depends on a configuration network",
      403,
    );
}

/** Host addresses that mean "all of this family". */
const ANY_HOST = new Set(["0.0.0.0", "::"]);
const OPT_ADVERTISE_NMSGS = "com.docker.network.advertise_addr_nmsgs";
const OPT_ADVERTISE_MS = "com.docker.network.advertise_addr_ms";

/** libnetwork validateAdvertiseAddrConfig (28+): both options checked, their errors joined. */
function checkAdvertiseOptions(options: Record<string, string>): void {
  const errs: string[] = [];
  for (const [key, min, max, kind] of [
    [OPT_ADVERTISE_NMSGS, 0, 3, "an integer"],
    [OPT_ADVERTISE_MS, 100, 2000, "integer milliseconds"],
  ] as const) {
    const v = options[key];
    if (v === undefined) continue;
    if (!/^[+-]?\d+$/.test(v)) errs.push(`value for option ${key} "${v}" must be ${kind}`);
    else if (Number(v) < min || Number(v) > max) errs.push(`${key} must be in the range ${min} to ${max}`);
  }
  if (errs.length > 0) throw new DockerError(errs.join("\n"), 500);
}
