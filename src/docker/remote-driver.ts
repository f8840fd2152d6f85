/**
 * Remote network drivers (libnetwork/drivers/remote: driver.go, api/api.go; docs/remote.md): a
 * driver implemented outside the daemon — here a TypeScript object the scenario's user registers —
 * that the daemon drives with the plugin protocol's requests and JSON bodies:
 * `NetworkDriver.GetCapabilities`, `CreateNetwork` (IPv4Data from IPAM), `DeleteNetwork`,
 * `CreateEndpoint` (the Interface Docker chose), `Join` (the plugin names the interface it made in
 * the docker host's namespace, SrcName; Docker moves it into the container as DstPrefix + N and
 * sets the address, the gateway route unless DisableGatewayService, and StaticRoutes), `Leave`,
 * `DeleteEndpoint`. A reply's `Err` becomes `remote: <text>`. IPAM plugins: remote-ipam.ts.
 * Deviations: no ProgramExternalConnectivity, no discovery calls; the plugin is called synchronously.
 */

import type { Host } from "../kernel/host.js";
import type { NetNamespace } from "../kernel/namespace.js";
import { ipv4ToString, parseIpv4 } from "../util/ipv4-address.js";
import type { Container } from "./container.js";
import { DockerError } from "./docker-error.js";
import { Endpoint, type Network } from "./network.js";

/** What a plugin is given: the docker host (to make its interfaces in). */
export interface PluginContext {
  host: Host;
  ns: NetNamespace;
}

/**
 * A plugin: one call per protocol request (`CreateNetwork`, `Join`, ... or `RequestPool`, ...).
 * `implements` is its Plugin.Activate answer (default ["NetworkDriver"]; ["IpamDriver"] for IPAM).
 */
export interface NetworkDriverPlugin {
  implements?: string[];
  call(method: string, request: Record<string, unknown>, ctx: PluginContext): Record<string, unknown>;
}

interface JoinReply {
  InterfaceName?: { SrcName?: string; DstPrefix?: string };
  Gateway?: string;
  StaticRoutes?: { Destination: string; RouteType: number; NextHop?: string }[];
  DisableGatewayService?: boolean;
}

export class RemoteDriver {
  constructor(
    readonly name: string,
    private readonly plugin: NetworkDriverPlugin,
    private readonly host: Host,
    private readonly ns: NetNamespace,
  ) {}

  private call(method: string, request: Record<string, unknown>): Record<string, unknown> {
    const reply = this.plugin.call(method, request, { host: this.host, ns: this.ns });
    if (typeof reply.Err === "string" && reply.Err !== "") throw new DockerError(`remote: ${reply.Err}`, 500);
    return reply;
  }

  validate(_options: Record<string, string>): void {
    this.call("GetCapabilities", {});
  }

  createNetwork(n: Network): void {
    this.call("CreateNetwork", {
      NetworkID: n.id,
      Options: { "com.docker.network.generic": n.spec.options },
      IPv4Data: n.pools.map((pool) => ({
        AddressSpace: "LocalDefault",
        Pool: `${ipv4ToString(pool.subnet)}/${pool.prefixLen}`,
        Gateway: `${ipv4ToString(pool.gateway)}/${pool.prefixLen}`,
        AuxAddresses: {},
      })),
      IPv6Data: [],
    });
  }

  deleteNetwork(n: Network, _others?: Network[]): void {
    this.call("DeleteNetwork", { NetworkID: n.id });
  }

  macFor(_n: Network, mac: number): number {
    return mac;
  }

  join(n: Network, c: Container, endpointId: string, ip: number, mac: number): Endpoint {
    const sandbox = c.sandbox as NetNamespace;
    const prefixLen = n.poolOf(ip)?.prefixLen ?? 32;
    const macText = [40, 32, 24, 16, 8, 0]
      .map((s) => (Math.floor(mac / 2 ** s) & 0xff).toString(16).padStart(2, "0"))
      .join(":");
    this.call("CreateEndpoint", {
      NetworkID: n.id,
      EndpointID: endpointId,
      Options: {},
      Interface: { Address: `${ipv4ToString(ip)}/${prefixLen}`, AddressIPv6: "", MacAddress: macText },
    });
    const reply = this.call("Join", {
      NetworkID: n.id,
      EndpointID: endpointId,
      SandboxKey: `/var/run/docker/netns/${c.sandboxId.slice(0, 12)}`,
      Options: {},
    }) as JoinReply;
    const src = reply.InterfaceName?.SrcName ?? "";
    const dev = this.ns.device(src);
    if (!dev) throw new DockerError(`remote: the plugin's interface ${src} was not found on the host`, 500);
    let ifname = `${reply.InterfaceName?.DstPrefix ?? "eth"}${c.nextIfIndex++}`;
    while (sandbox.device(ifname)) ifname = `${reply.InterfaceName?.DstPrefix ?? "eth"}${c.nextIfIndex++}`;
    this.ns.removeDevice(dev);
    dev.name = ifname;
    dev.mac = mac;
    sandbox.adopt(dev);
    sandbox.addAddress(dev, ip, prefixLen, 0);
    sandbox.setUp(dev, true);
    for (const r of reply.StaticRoutes ?? []) {
      const [dst = "", len = "32"] = r.Destination.split("/");
      sandbox.main.add({
        dst: parseIpv4(dst) ?? 0,
        prefixLen: Number(len),
        type: "unicast",
        gateway: r.RouteType === 0 ? (parseIpv4(r.NextHop ?? "") ?? 0) : 0,
        ifindex: dev.ifindex,
        metric: 0,
        protocol: "boot",
        scope: r.RouteType === 0 ? "universe" : "link",
        prefsrc: 0,
      });
    }
    const gateway = reply.DisableGatewayService ? 0 : reply.Gateway ? parseIpv4(reply.Gateway) : undefined;
    return new Endpoint(endpointId, n, c.id, c.name, ip, mac, ifname, undefined, gateway);
  }

  leave(ep: Endpoint, c: Container): void {
    this.call("Leave", { NetworkID: ep.network.id, EndpointID: ep.id });
    this.call("DeleteEndpoint", { NetworkID: ep.network.id, EndpointID: ep.id });
    const dev = c.sandbox?.device(ep.ifname);
    if (dev) this.host.deleteDevice(c.sandbox as NetNamespace, dev);
  }
}
