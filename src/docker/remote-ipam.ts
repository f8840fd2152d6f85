/**
 * IPAM plugins (libnetwork/ipams/remote and ipamapi; docs/ipam.md): an address manager outside
 * the daemon — a TypeScript object the scenario registers, declaring `implements: ["IpamDriver"]`
 * — driven with the protocol's requests and JSON bodies: `GetCapabilities` when the daemon loads
 * it, `GetDefaultAddressSpaces` then `RequestPool` (AddressSpace, Pool = --subnet, SubPool =
 * --ip-range, Options = --ipam-opt, V6) for a network; `RequestAddress` for the gateway (Options
 * RequestAddressType=com.docker.network.gateway, unless the pool's Data names it), for each
 * --aux-address and for each endpoint (Address = --ip or empty); `ReleaseAddress` and
 * `ReleasePool` when they go. A pool the plugin picks itself that overlaps another network is
 * held and another asked for, then the held ones are released (as the remote allocator does). A
 * reply's `Err` is Docker's `remote: <text>`. Deviations: endpoints' requests carry no MAC even if
 * the plugin RequiresMACAddress; the plugin is called synchronously.
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
import type { NetworkDriverPlugin, PluginContext } from "./remote-driver.js";

const GATEWAY_REQUEST = { RequestAddressType: "com.docker.network.gateway" };

/** "10.0.0.2/24" → [address, prefix length]; a clear error for anything else. */
function parseCidrReply(text: unknown, what: string): [number, number] {
  const p = typeof text === "string" ? parsePrefix(text) : undefined;
  if (!p) throw new DockerError(`remote: the IPAM plugin returned an invalid ${what}: ${String(text)}`, 500);
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
  /** Addresses the plugin gave for endpoints (for ReleaseAddress and Status). */
  private readonly inUse = new Set<number>();

  constructor(
    readonly ipam: RemoteIpam,
    readonly poolId: string,
    pool: string,
    private readonly request: PoolRequest,
  ) {
    [this.subnet, this.prefixLen] = parseCidrReply(pool, "pool");
    const range = request.ipRange ? parsePrefix(request.ipRange) : undefined;
    this.ipRange = range && { addr: range.addr, prefixLen: range.len };
    this.userSubnet = Boolean(request.subnet);
  }

  allocate(preferred: number | undefined): number {
    const reply = this.ipam.call("RequestAddress", {
      PoolID: this.poolId,
      Address: preferred === undefined ? "" : ipv4ToString(preferred),
      Options: {},
    });
    const [addr] = parseCidrReply(reply.Address, "address");
    this.inUse.add(addr);
    return addr;
  }

  release(addr: number): void {
    this.inUse.delete(addr);
    this.ipam.call("ReleaseAddress", { PoolID: this.poolId, Address: ipv4ToString(addr) });
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
    this.call("GetCapabilities", {});
  }

  call(method: string, request: Record<string, unknown>): Record<string, unknown> {
    const reply = this.plugin.call(method, request, this.ctx);
    if (typeof reply.Err === "string" && reply.Err !== "") throw new DockerError(`remote: ${reply.Err}`, 500);
    return reply;
  }

  /**
   * A network's pool, its gateway and aux addresses (ipamAllocateVersion); `taken` are the
   * subnets of the other networks, avoided when the plugin picks the pool.
   */
  requestPool(req: PoolRequest, options: Record<string, string>, taken: Prefix[]): RemoteIpamPool {
    const held: string[] = [];
    try {
      for (;;) {
        const spaces = this.call("GetDefaultAddressSpaces", {});
        const reply = this.call("RequestPool", {
          AddressSpace: spaces.LocalDefaultAddressSpace ?? "",
          Pool: req.subnet ?? "",
          SubPool: req.ipRange ?? "",
          Options: options,
          V6: false,
        });
        const pool = new RemoteIpamPool(this, String(reply.PoolID ?? ""), String(reply.Pool ?? ""), req);
        const mine = { addr: pool.subnet, len: pool.prefixLen };
        if (req.subnet || !taken.some((t) => overlaps(t, mine))) {
          this.reserve(pool, req, reply.Data);
          return pool;
        }
        held.push(pool.poolId);
      }
    } finally {
      for (const id of held) this.call("ReleasePool", { PoolID: id });
    }
  }

  private reserve(pool: RemoteIpamPool, req: PoolRequest, data: unknown): void {
    try {
      const fromData = (data as Record<string, unknown> | undefined)?.["com.docker.network.gateway"];
      if (fromData !== undefined && !req.gateway) pool.gateway = parseCidrReply(fromData, "gateway")[0];
      else {
        let reply: Record<string, unknown>;
        try {
          reply = this.call("RequestAddress", {
            PoolID: pool.poolId,
            Address: req.gateway ?? "",
            Options: GATEWAY_REQUEST,
          });
        } catch (e) {
          if (!(e instanceof DockerError)) throw e;
          throw new DockerError(`failed to allocate gateway (${req.gateway ?? ""}): ${e.message}`, 500);
        }
        pool.gateway = parseCidrReply(reply.Address, "gateway")[0];
      }
      for (const [name, text] of req.auxAddresses ?? []) {
        const ip = parseIpv4(text);
        if (ip === undefined || !contains({ addr: pool.subnet, len: pool.prefixLen }, ip))
          throw new DockerError(
            `auxiliary address: (${name}:${text}) must belong to the master pool: ${ipv4ToString(pool.subnet)}/${pool.prefixLen}`,
            403,
          );
        this.call("RequestAddress", { PoolID: pool.poolId, Address: text, Options: null });
        pool.auxAddresses.set(name, ip);
      }
    } catch (e) {
      this.releasePool(pool);
      throw e;
    }
  }

  /** The gateway, the aux addresses, then the pool. */
  releasePool(pool: RemoteIpamPool): void {
    if (pool.gateway !== 0)
      this.call("ReleaseAddress", { PoolID: pool.poolId, Address: ipv4ToString(pool.gateway) });
    for (const a of pool.auxAddresses.values())
      this.call("ReleaseAddress", { PoolID: pool.poolId, Address: ipv4ToString(a) });
    this.call("ReleasePool", { PoolID: pool.poolId });
  }
}
