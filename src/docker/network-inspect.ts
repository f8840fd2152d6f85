/**
 * `docker network inspect` (API 1.47, Engine 27: daemon/network.go buildNetworkResource): a JSON
 * array, four-space indentation as the CLI prints it, fields in the API's order; Containers keyed
 * by container id with the endpoint's id, MAC and address (with the subnet's prefix length).
 */

import { ipv4ToString } from "../util/ipv4-address.js";
import { ipv6ToString } from "../util/ipv6-address.js";
import { macToString } from "../util/mac-address.js";
import type { Daemon } from "./daemon.js";
import { goMap } from "./go-map.js";
import type { PoolRequest } from "./ipam.js";
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

/** The object `docker inspect` prints (and `-f` templates read). */
export function networkResource(n: Network, daemon: Daemon): unknown {
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
  return {
    Name: n.name,
    Id: n.id,
    Created: n.created,
    Scope: "local",
    Driver: n.driver,
    EnableIPv6: n.pool6 !== undefined,
    IPAM: {
      Driver: n.spec.configOnly?.ipamDriver ?? n.spec.ipamDriver ?? "default",
      Options: n.predefined ? null : goMap(n.spec.ipamOptions ?? {}),
      Config: n.spec.configOnly
        ? requestedConfig(n.spec.configOnly.ipam)
        : [...n.pools.map((p) => p.config()), ...(n.pool6 ? [n.pool6.config()] : [])],
    },
    Internal: n.spec.internal,
    Attachable: n.spec.attachable,
    Ingress: false,
    ConfigFrom: { Network: n.spec.configFrom ?? "" },
    ConfigOnly: n.spec.configOnly !== undefined,
    Containers: goMap(containers, null),
    Options: goMap(n.spec.options),
    Labels: goMap(n.spec.labels),
  };
}

export function networkInspect(networks: Network[], daemon: Daemon): string {
  return JSON.stringify(
    networks.map((n) => networkResource(n, daemon)),
    null,
    4,
  );
}
