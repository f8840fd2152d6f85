/**
 * CNM's network and endpoint (libnetwork network.go, endpoint.go): a named L2/L3 domain of one
 * driver with its IPAM pool, options and labels, and the endpoints (one per attached container)
 * that joined it, in the order they joined. Configuration-only networks (--config-only) hold an
 * IPAM request, options and labels for networks made with --config-from.
 */

import type { NetDevice } from "../link/net-device.js";
import type { AddressPool, PoolRequest } from "./ipam.js";
import type { Ipv6Pool, Pool6Request } from "./ipam6.js";

/** A built-in driver, or the name of a remote driver plugin. */
export type DriverName = string;

export class Endpoint {
  constructor(
    readonly id: string,
    readonly network: Network,
    /** The container (its 64-hex id) and name; the endpoint's name is the container's. */
    readonly containerId: string,
    readonly name: string,
    /** Its IPv4 address (0 for host/none), MAC (0 when none) and interface in the container. */
    readonly address: number,
    readonly mac: number,
    readonly ifname: string,
    /** The host side of the veth (bridge driver). */
    readonly hostDevice: NetDevice | undefined,
    /** The default route's next hop through it: the network's gateway unless the driver says (0: none). */
    readonly gateway?: number,
  ) {}

  /** Its IPv6 address on an IPv6 network. */
  address6: Uint8Array | undefined = undefined;
}

export interface NetworkSpec {
  name: string;
  driver: DriverName;
  internal: boolean;
  attachable: boolean;
  /** -o options as given (what inspect echoes), and --label labels. */
  options: Record<string, string>;
  labels: Record<string, string>;
  /** --ipam-opt (predefined networks: none, shown as null). */
  ipamOptions?: Record<string, string>;
  /**
   * --config-only: a network that only holds configuration (driver null, nothing allocated or
   * built) for --config-from networks; the IPAM request is kept as given.
   */
  configOnly?: { ipam: PoolRequest[]; ipamDriver: string; ipv6?: Pool6Request; ipv4Disabled?: boolean };
  /** --ipam-driver when it is a plugin. */
  ipamDriver?: string;
  /** --config-from: the configuration network this one took its IPAM, options and labels from. */
  configFrom?: string;
  /** --ipv4=false (v28+): an IPv6-only network, without IPv4 pool, addresses or rules. */
  ipv4Disabled?: boolean;
}

export class Network {
  readonly endpoints = new Map<string, Endpoint>();
  /** The IPv6 pool of an IPv6 network (--ipv6). */
  pool6: Ipv6Pool | undefined = undefined;

  constructor(
    readonly id: string,
    readonly spec: NetworkSpec,
    /** RFC 3339 creation time (inspect's Created). */
    readonly created: string,
    /** The IPv4 pools, one per subnet (none for host and none). */
    readonly pools: AddressPool[],
    /** The Linux bridge device's name (bridge driver). */
    readonly bridgeName: string,
  ) {}

  get name(): string {
    return this.spec.name;
  }

  /** The first IPv4 pool (the only one but on macvlan/ipvlan networks with several subnets). */
  get pool(): AddressPool | undefined {
    return this.pools[0];
  }

  /** The pool an endpoint's address came from. */
  poolOf(addr: number): AddressPool | undefined {
    return (
      this.pools.find(
        (p) => ((p.subnet ^ addr) & (p.prefixLen === 0 ? 0 : (0xffffffff << (32 - p.prefixLen)) >>> 0)) === 0,
      ) ?? this.pools[0]
    );
  }

  get driver(): DriverName {
    return this.spec.driver;
  }

  /** `bridge`, `host`, `none` (and `default`) are Docker's predefined networks. */
  get predefined(): boolean {
    return ["bridge", "host", "none", "default"].includes(this.spec.name);
  }

  /** A boolean bridge option (`com.docker.network.bridge.enable_icc` ...), default `fallback`. */
  flag(key: string, fallback: boolean): boolean {
    const v = this.spec.options[key];
    return v === undefined ? fallback : (parseGoBool(v) ?? fallback);
  }
}

/** Go's strconv.ParseBool. */
export function parseGoBool(v: string): boolean | undefined {
  if (["1", "t", "T", "TRUE", "true", "True"].includes(v)) return true;
  if (["0", "f", "F", "FALSE", "false", "False"].includes(v)) return false;
  return undefined;
}
