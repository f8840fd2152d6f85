/**
 * `docker network inspect` (daemon/network.go buildNetworkResource, buildIPAMResources,
 * buildEndpointResource; api/types/network): a JSON array, four-space indentation as the CLI
 * prints it, fields in the order the daemon's Go types give them; Containers keyed by container id
 * with the endpoint's id, MAC and address (with the subnet's prefix length); IPAM.Config null when
 * there is no pool (the host and none networks: a nil slice since Engine 25). Per engine:
 *
 * - 27 (API 1.47): Name … Driver, EnableIPv6, IPAM, …, ConfigOnly, Containers, Options, Labels.
 * - 28 (API 1.48): `EnableIPv4` after Driver (false only for `--ipv4=false`; the host and none
 *   networks are created with libnetwork's default, true).
 * - 29 (API 1.52): network.Inspect embeds network.Network, so Options and Labels come before
 *   Containers, then `Status` (`{"IPAM": {"Subnets": {cidr: {IPsInUse, DynamicIPsAvailable}}}}`;
 *   `{"IPAM": {}}` for the host and null drivers, configuration-only networks and IPAM plugins,
 *   which are no PoolStatuser). buildIPAMResources fills the allocated gateway into a
 *   user-configured entry that gave none, and lists only allocated pools, so a configuration-only
 *   network's Config is null. Empty IPRange/Gateway are left out (omitzero, 29.2+; 29.0 and 29.1
 *   printed them as "").
 *
 * An IPv6 pool's status is counted here from what it holds (the subnet-router anycast address,
 * the gateway, the endpoints' addresses) as defaultipam's bitmap would; DynamicIPsAvailable
 * saturates at 2^64-1 and is a bigint above 2^53 (goJsonIndent writes it out in full).
 */

import { ipv4ToString } from "../util/ipv4-address.js";
import { ipv6ToString, parseIpv6 } from "../util/ipv6-address.js";
import { macToString } from "../util/mac-address.js";
import type { Daemon } from "./daemon.js";
import { goMap } from "./go-map.js";
import type { IpamConfigEntry, PoolRequest } from "./ipam.js";
import type { Network } from "./network.js";

/** A configuration-only network's IPAM config: the request as given (nothing allocated). */
function requestedConfig(reqs: PoolRequest[]): Record<string, unknown>[] {
  return reqs.flatMap((req) => {
    if (!req.subnet) return [];
    const out: Record<string, unknown> = { Subnet: req.subnet };
    if (req.ipRange) out.IPRange = req.ipRange;
    if (req.gateway) out.Gateway = req.gateway;
    if (req.auxAddresses && req.auxAddresses.length > 0)
      out.AuxiliaryAddresses = Object.fromEntries(
        [...req.auxAddresses].sort((a, b) => (a[0] < b[0] ? -1 : 1)),
      );
    return [out];
  });
}

/** 29's buildIPAMResources: the allocated gateway in an entry the user gave no gateway for. */
function withGateway(entry: IpamConfigEntry, gateway: string | undefined): IpamConfigEntry {
  if (entry.Gateway !== undefined || gateway === undefined) return entry;
  const { Subnet, IPRange, AuxiliaryAddresses } = entry;
  return {
    Subnet,
    ...(IPRange === undefined ? {} : { IPRange }),
    Gateway: gateway,
    ...(AuxiliaryAddresses === undefined ? {} : { AuxiliaryAddresses }),
  };
}

/** IPAM.Config: a nil slice (null) when there is no entry, as for the host and none networks. */
function ipamConfig(n: Network, version: number): IpamConfigEntry[] | Record<string, unknown>[] | null {
  if (n.spec.configOnly) {
    const v6 = n.spec.configOnly.ipv6;
    const requested =
      version >= 29
        ? []
        : requestedConfig([
            ...n.spec.configOnly.ipam,
            ...(v6?.subnet ? [{ subnet: v6.subnet, gateway: v6.gateway, ipRange: v6.ipRange }] : []),
          ]);
    return requested.length > 0 ? requested : null;
  }
  const v4 = n.pools.map((p) =>
    version >= 29
      ? withGateway(p.config(), p.gateway === 0 ? undefined : ipv4ToString(p.gateway))
      : p.config(),
  );
  const v6 = n.pool6
    ? [version >= 29 ? withGateway(n.pool6.config(), ipv6ToString(n.pool6.gateway)) : n.pool6.config()]
    : [];
  return v4.length + v6.length > 0 ? [...v4, ...v6] : null;
}

const MAX_UINT64 = (1n << 64n) - 1n;

/** defaultipam's allocationStatus for the IPv6 pool: set bits, and what is left of the range. */
function ipv6Status(n: Network): { IPsInUse: number; DynamicIPsAvailable: number | bigint } | undefined {
  const pool = n.pool6;
  if (!pool) return undefined;
  const toBig = (a: Uint8Array) => a.reduce((v, b) => (v << 8n) | BigInt(b), 0n);
  const used = new Set<bigint>([toBig(pool.subnet), toBig(pool.gateway)]);
  for (const ep of n.endpoints.values()) if (ep.address6) used.add(toBig(ep.address6));
  const rangeText = pool.config().IPRange;
  const [rangeAddr, rangeLen] = rangeText
    ? [parseIpv6(rangeText.split("/")[0] ?? "") ?? pool.subnet, Number(rangeText.split("/")[1])]
    : [pool.subnet, pool.prefixLen];
  const size = 1n << BigInt(128 - rangeLen);
  const start = (toBig(rangeAddr) >> BigInt(128 - rangeLen)) << BigInt(128 - rangeLen);
  const inRange = [...used].filter((a) => a >= start && a < start + size).length;
  const left = size - BigInt(inRange);
  const available = left > MAX_UINT64 ? MAX_UINT64 : left;
  return {
    IPsInUse: used.size,
    DynamicIPsAvailable: available <= BigInt(Number.MAX_SAFE_INTEGER) ? Number(available) : available,
  };
}

/** API 1.52's Status: the built-in IPAM's pools by subnet. */
function status(n: Network): unknown {
  const subnets: Record<string, unknown> = {};
  const special = n.driver === "host" || n.driver === "null";
  if (!special && !n.spec.ipamDriver) {
    for (const p of n.pools) subnets[`${ipv4ToString(p.subnet)}/${p.prefixLen}`] = p.status();
    const v6 = ipv6Status(n);
    if (v6 && n.pool6) subnets[`${ipv6ToString(n.pool6.subnet)}/${n.pool6.prefixLen}`] = v6;
  }
  if (Object.keys(subnets).length > 0) return { IPAM: { Subnets: goMap(subnets, null) } };
  // Subnets is omitted when empty, but a template on the typed struct still finds the (nil) map.
  return { IPAM: Object.defineProperty({}, "Subnets", { value: goMap({}, null) }) };
}

/** The object `docker inspect` prints (and `-f` templates read). */
export function networkResource(n: Network, daemon: Daemon): unknown {
  const version = daemon.options.engineVersion;
  const containers: Record<string, unknown> = {};
  for (const ep of n.endpoints.values()) {
    const c = daemon.containers.get(ep.containerId);
    containers[ep.containerId] = {
      Name: c?.name ?? ep.name,
      EndpointID: ep.id,
      MacAddress: ep.mac === 0 ? "" : macToString(ep.mac),
      IPv4Address:
        ep.address === 0 ? "" : `${ipv4ToString(ep.address)}/${n.poolOf(ep.address)?.prefixLen ?? 32}`,
      IPv6Address: ep.address6 ? `${ipv6ToString(ep.address6)}/${n.pool6?.prefixLen}` : "",
    };
  }
  const head = {
    Name: n.name,
    Id: n.id,
    Created: n.created,
    Scope: "local",
    Driver: n.driver,
    ...(version >= 28 ? { EnableIPv4: !(n.spec.ipv4Disabled || n.spec.configOnly?.ipv4Disabled) } : {}),
    EnableIPv6: n.pool6 !== undefined || n.spec.configOnly?.ipv6 !== undefined,
    IPAM: {
      Driver: n.spec.configOnly?.ipamDriver ?? n.spec.ipamDriver ?? "default",
      Options: n.predefined ? null : goMap(n.spec.ipamOptions ?? {}),
      Config: ipamConfig(n, version),
    },
    Internal: n.spec.internal,
    Attachable: n.spec.attachable,
    Ingress: false,
    ConfigFrom: { Network: n.spec.configFrom ?? "" },
    ConfigOnly: n.spec.configOnly !== undefined,
  };
  if (version >= 29)
    return {
      ...head,
      Options: goMap(n.spec.options),
      Labels: goMap(n.spec.labels),
      Containers: goMap(containers, null),
      Status: status(n),
    };
  return {
    ...head,
    Containers: goMap(containers, null),
    Options: goMap(n.spec.options),
    Labels: goMap(n.spec.labels),
  };
}
