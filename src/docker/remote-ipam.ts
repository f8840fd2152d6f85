/**
 * IPAM plugins (libnetwork ipams/remote: remote.go, api/api.go; network.go ipamAllocate,
 * ipamAllocateVersion, ipamReleaseVersion; endpoint.go assignAddressVersion; docs/ipam.md): an
 * address manager outside the daemon — a TypeScript object the scenario registers, declaring
 * `implements: ["IpamDriver"]` — driven with the protocol's requests and JSON bodies:
 *
 * - `GetCapabilities` when the daemon loads it (a failure only leaves it without capabilities).
 * - A network: `GetDefaultAddressSpaces` (deriveAddressSpace; its failure is `failed to get
 *   default address space: ...`), then per pool the remote allocator's own
 *   `GetDefaultAddressSpaces` and `RequestPool` (AddressSpace, Pool = --subnet, SubPool =
 *   --ip-range, Options = --ipam-opt, V6). A pool the plugin picks itself that overlaps one of the
 *   host's reserved networks (InferReservedNetworks: its on-link routes, which include every
 *   bridge network's subnet, and its resolv.conf nameservers) is held and another asked for; the
 *   held ones are released after (Docker 27+). Then `RequestAddress` for the gateway (Options
 *   RequestAddressType=com.docker.network.gateway) unless the pool's Data names one and no
 *   --gateway was given, and for each --aux-address (Options null).
 * - An endpoint: `RequestAddress` (Address = --ip or empty, Options null: the daemon passes the
 *   endpoint no IPAM options), `ReleaseAddress` when it goes; a network's removal releases the
 *   gateway, the aux addresses, then the pool. Release failures are only logged by Docker, so
 *   they change nothing here.
 *
 * Errors: the IPAM API's replies carry their error in `Error` (api.Response), which Docker reports
 * as `remote: <text>`. A reply with `Err` stands for an HTTP error reply, which is how plugin SDKs
 * (go-plugins-helpers) send errors: the plugin client's `IpamDriver.<Method>: <text>`. A reply's
 * Pool is read with netip.ParsePrefix and an Address with net.ParseCIDR (their errors as Go's);
 * an empty Address is `no address returned`. A failed gateway or aux request releases the pool
 * (only the pool: the deferred ReleasePool); an aux address outside the pool fails without any
 * release, as the shadowed error variable in ipamAllocateVersion has it.
 *
 * Deviations: endpoints' requests carry no MAC even if the plugin RequiresMACAddress; the plugin
 * is called synchronously; a network of several pools asks GetDefaultAddressSpaces once more per
 * extra pool; the drivers' GwAllocChecker (28+: no gateway for isolated bridges) is not applied
 * to plugin pools; IPv6 pools come from the built-in IPAM.
 */

import { ipv4ToString, parseIpv4 } from "../util/ipv4-address.js";
import { DockerError } from "./docker-error.js";
import {
  type AddressPool,
  contains,
  type IpamConfigEntry,
  overlaps,
  type PoolRequest,
  type Prefix,
  parsePrefix,
} from "./ipam.js";
import { parsePrefixError } from "./network-cli.js";
import type { NetworkDriverPlugin, PluginContext } from "./remote-driver.js";

const GATEWAY_REQUEST = { RequestAddressType: "com.docker.network.gateway" };

/** An address reply (net.ParseCIDR): [address, prefix length], or Go's error. */
function parseAddressReply(text: unknown): [number, number] {
  const s = typeof text === "string" ? text : "";
  if (s === "") throw new DockerError("no address returned", 503);
  const p = parsePrefix(s);
  if (!p) throw new DockerError(`invalid CIDR address: ${s}`, 500);
  return [p.addr, p.len];
}

/** One pool handed out by an IPAM plugin. */
export class RemoteIpamPool implements AddressPool {
  readonly subnet: number;
  readonly prefixLen: number;
  gateway = 0;
  readonly ipRange: { addr: number; prefixLen: number } | undefined;
  readonly auxAddresses = new Map<string, number>();
  readonly userSubnet: boolean;
  /** Addresses the plugin gave for endpoints. */
  private readonly inUse = new Set<number>();
  /** The RequestPool reply's Data (it may name the gateway). */
  data: unknown = undefined;

  constructor(
    readonly ipam: RemoteIpam,
    readonly poolId: string,
    pool: string,
    private readonly request: PoolRequest,
  ) {
    // netip.ParsePrefix, then used as a net.IPNet.
    const error = parsePrefixError(pool);
    const p = parsePrefix(pool);
    if (error || !p) throw new DockerError(error ?? `netip.ParsePrefix("${pool}"): unable to parse IP`, 500);
    [this.subnet, this.prefixLen] = [p.addr, p.len];
    const range = request.ipRange ? parsePrefix(request.ipRange) : undefined;
    this.ipRange = range && { addr: range.addr, prefixLen: range.len };
    this.userSubnet = Boolean(request.subnet);
  }

  allocate(preferred: number | undefined): number {
    const reply = this.ipam.call("RequestAddress", {
      PoolID: this.poolId,
      Address: preferred === undefined ? "" : ipv4ToString(preferred),
      Options: null,
    });
    const [addr] = parseAddressReply(reply.Address);
    this.inUse.add(addr);
    return addr;
  }

  release(addr: number): void {
    this.inUse.delete(addr);
    this.ipam.tryCall("ReleaseAddress", { PoolID: this.poolId, Address: ipv4ToString(addr) });
  }

  config(): IpamConfigEntry {
    const out: IpamConfigEntry = { Subnet: `${ipv4ToString(this.subnet)}/${this.prefixLen}` };
    if (this.request.ipRange) out.IPRange = this.request.ipRange;
    if (!this.userSubnet || this.request.gateway) out.Gateway = ipv4ToString(this.gateway);
    if (this.auxAddresses.size > 0)
      out.AuxiliaryAddresses = Object.fromEntries(
        [...this.auxAddresses.keys()]
          .sort()
          .map((k) => [k, ipv4ToString(this.auxAddresses.get(k) as number)]),
      );
    return out;
  }

  /**
   * What the daemon knows of the pool's use (the remote allocator is no PoolStatuser, so API
   * 1.52's Status lists no plugin pool).
   */
  status() {
    return { IPsInUse: this.inUse.size + 1 + this.auxAddresses.size, DynamicIPsAvailable: 0 };
  }
}

/** The daemon's side of one IPAM plugin. */
export class RemoteIpam {
  constructor(
    readonly name: string,
    private readonly plugin: NetworkDriverPlugin,
    private readonly ctx: PluginContext,
  ) {
    // Registered with its capabilities, or without them when it cannot say.
    this.tryCall("GetCapabilities", {});
  }

  /** One request; a reply's error as Docker reports it. */
  call(method: string, request: Record<string, unknown>): Record<string, unknown> {
    const reply = this.plugin.call(method, request, this.ctx);
    if (typeof reply.Err === "string" && reply.Err !== "")
      throw new DockerError(`IpamDriver.${method}: ${reply.Err}`, 500);
    if (typeof reply.Error === "string" && reply.Error !== "")
      throw new DockerError(`remote: ${reply.Error}`, 500);
    return reply;
  }

  /** A request whose failure Docker only logs. */
  tryCall(method: string, request: Record<string, unknown>): void {
    try {
      this.call(method, request);
    } catch (e) {
      if (!(e instanceof DockerError)) throw e;
    }
  }

  /**
   * InferReservedNetworks: the host's resolv.conf nameservers (as /32s) and its on-link routes
   * (the same routes the built-in IPAM avoids).
   */
  private reservedNetworks(): Prefix[] {
    const nameservers = [
      ...(this.ctx.ns.files.get("/etc/resolv.conf") ?? "").matchAll(/^\s*nameserver\s+(\S+)/gm),
    ]
      .map((m) => parseIpv4(m[1] as string))
      .filter((a): a is number => a !== undefined)
      .map((addr) => ({ addr, len: 32 }));
    const routes = this.ctx.ns.main
      .routes()
      .filter((r) => r.type === "unicast" && r.gateway === 0 && r.prefixLen > 0)
      .map((r) => ({ addr: r.dst, len: r.prefixLen }));
    return [...nameservers, ...routes];
  }

  /**
   * A network's pool, its gateway and aux addresses (ipamAllocate, ipamAllocateVersion). The
   * third argument (the other networks' subnets) is not what Docker 27+ checks: the plugin's own
   * picks are held back when they overlap the host's reserved networks.
   */
  /** deriveAddressSpace: the plugin's local default address space, asked once per network. */
  defaultAddressSpace(): string {
    try {
      return String(this.call("GetDefaultAddressSpaces", {}).LocalDefaultAddressSpace ?? "");
    } catch (e) {
      if (!(e instanceof DockerError)) throw e;
      throw new DockerError(`failed to get default address space: ${e.message}`, 404);
    }
  }

  /** One pool of a network in address space `space` (defaultAddressSpace), then its reservations. */
  requestPool(req: PoolRequest, options: Record<string, string>, space: string): RemoteIpamPool {
    const pool = this.requestPoolHelper(req, options, space);
    this.reserve(pool, req);
    return pool;
  }

  /** The remote allocator's RequestPool: overlapping picks held, then released. */
  private requestPoolHelper(
    req: PoolRequest,
    options: Record<string, string>,
    space: string,
  ): RemoteIpamPool {
    const held: string[] = [];
    try {
      this.call("GetDefaultAddressSpaces", {});
      const reserved = this.reservedNetworks();
      for (;;) {
        const reply = this.call("RequestPool", {
          AddressSpace: space,
          Pool: req.subnet ?? "",
          SubPool: req.ipRange ?? "",
          Options: options,
          V6: false,
        });
        const pool = new RemoteIpamPool(this, String(reply.PoolID ?? ""), String(reply.Pool ?? ""), req);
        pool.data = reply.Data;
        const mine = { addr: pool.subnet, len: pool.prefixLen };
        if (req.subnet || mine.len === 0 || !reserved.some((r) => overlaps(r, mine))) return pool;
        held.push(pool.poolId);
      }
    } finally {
      for (const id of held) this.tryCall("ReleasePool", { PoolID: id });
    }
  }

  private reserve(pool: RemoteIpamPool, req: PoolRequest): void {
    const releasePool = () => this.tryCall("ReleasePool", { PoolID: pool.poolId });
    const fromData = (pool.data as Record<string, unknown> | undefined)?.["com.docker.network.gateway"];
    if (fromData !== undefined && !req.gateway) {
      const p = typeof fromData === "string" ? parsePrefix(fromData) : undefined;
      if (!p) {
        releasePool();
        throw new DockerError(
          `failed to parse gateway address (${String(fromData)}) returned by ipam driver: invalid CIDR address: ${String(fromData)}`,
          400,
        );
      }
      pool.gateway = p.addr;
    } else if (!req.skipGateway || req.gateway) {
      // 28+: a driver that needs no gateway (GwAllocChecker) gets none unless one was given.
      try {
        const reply = this.call("RequestAddress", {
          PoolID: pool.poolId,
          Address: req.gateway ?? "",
          Options: GATEWAY_REQUEST,
        });
        pool.gateway = parseAddressReply(reply.Address)[0];
      } catch (e) {
        if (!(e instanceof DockerError)) throw e;
        releasePool();
        throw new DockerError(`failed to allocate gateway (${req.gateway ?? ""}): ${e.message}`, 500);
      }
    }
    for (const [name, text] of req.auxAddresses ?? []) {
      const ip = parseIpv4(text);
      if (ip === undefined || !contains({ addr: pool.subnet, len: pool.prefixLen }, ip))
        throw new DockerError(
          `auxiliary address: (${name}:${text}) must belong to the master pool: ${ipv4ToString(pool.subnet)}/${pool.prefixLen}`,
          403,
        );
      try {
        const reply = this.call("RequestAddress", { PoolID: pool.poolId, Address: text, Options: null });
        pool.auxAddresses.set(name, parseAddressReply(reply.Address)[0]);
      } catch (e) {
        if (!(e instanceof DockerError)) throw e;
        releasePool();
        throw new DockerError(`failed to allocate secondary ip address (${name}:${text}): ${e.message}`, 500);
      }
    }
  }

  /** The gateway, the aux addresses, then the pool (failures only logged). */
  releasePool(pool: RemoteIpamPool): void {
    if (pool.gateway !== 0)
      this.tryCall("ReleaseAddress", { PoolID: pool.poolId, Address: ipv4ToString(pool.gateway) });
    for (const a of pool.auxAddresses.values())
      this.tryCall("ReleaseAddress", { PoolID: pool.poolId, Address: ipv4ToString(a) });
    this.tryCall("ReleasePool", { PoolID: pool.poolId });
  }
}
