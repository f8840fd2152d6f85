/**
 * The macvlan and ipvlan drivers (libnetwork/drivers/macvlan and drivers/ipvlan:
 * *_network.go, *_endpoint.go, *_joinleave.go): a network names a parent interface of the docker
 * host (`-o parent=eth0`); each container gets a child of that parent as `eth<N>` in its
 * namespace — a macvlan with a MAC of its own (02:42 + the address in 27, random from 28;
 * `-o macvlan_mode=bridge|private|vepa|passthru`, default bridge) or an ipvlan sharing the
 * parent's MAC (`-o ipvlan_mode=l2|l3|l3s`, default l2) — with an address of the network's subnet.
 * macvlan and ipvlan l2 route by default via the network's gateway (the LAN's router); ipvlan
 * l3/l3s disable the gateway and give the container a connected default route instead,
 * `default dev eth0 scope link` (Join's CONNECTED static route for 0.0.0.0/0, which the sandbox
 * installs as its default route): the docker host's parent routes for its containers, and the
 * LAN needs a route to the network's subnet via the docker host. No iptables, no NAT, no
 * published ports. The host cannot reach its containers through the parent (neither device
 * delivers between them).
 * A parent `eth0.50` that does not exist is made as an 802.1Q sub-interface of eth0 (VLAN 50) and
 * deleted with the last network on it. Without a parent the network gets a dummy one of its own
 * (`dm-<id>` / `di-<id>`) and no default route: its containers only talk to each other.
 * A network may have several subnets (--subnet given more than once): a container's address
 * comes from the first with room, its default route via that subnet's gateway. Deviations: no
 * ipvlan_flag (private/vepa); no IPv6.
 */

import type { Host } from "../kernel/host.js";
import { IpvlanMasterStack } from "../kernel/ipvlan-master.js";
import type { NetNamespace } from "../kernel/namespace.js";
import { Ipvlan, type IpvlanMode, IpvlanPort } from "../link/ipvlan.js";
import { Macvlan, type MacvlanMode, MacvlanPort } from "../link/macvlan.js";
import type { NetDevice } from "../link/net-device.js";
import type { Container } from "./container.js";
import { DockerError } from "./docker-error.js";
import { addEndpointIpv6, addIpv6DefaultRoute } from "./endpoint-ipv6.js";
import { Endpoint, type Network } from "./network.js";

const MACVLAN_MODES = ["bridge", "private", "vepa", "passthru"];

export class ParentLinkDriver {
  /** One port per parent device, shared by the networks on it. */
  private readonly ports = new Map<NetDevice, MacvlanPort | IpvlanPort>();

  constructor(
    readonly kind: "macvlan" | "ipvlan",
    private readonly host: Host,
    /** The docker host's namespace (where the parents are). */
    private readonly ns: NetNamespace,
  ) {}

  /** Check the options before anything is allocated (the driver's parseNetworkOptions). */
  validate(options: Record<string, string>): void {
    if (this.kind === "macvlan") {
      const mode = options.macvlan_mode;
      if (mode !== undefined && !MACVLAN_MODES.includes(mode))
        throw new DockerError(
          `requested macvlan mode '${mode}' is not valid, 'bridge' mode is the macvlan driver default`,
          400,
        );
    } else {
      const mode = options.ipvlan_mode;
      if (mode !== undefined && !["l2", "l3", "l3s"].includes(mode))
        throw new DockerError(
          `requested ipvlan mode '${mode}' is not valid, 'l2' mode is the ipvlan driver default`,
          400,
        );
    }
    const parent = options.parent;
    if (parent === undefined) return; // a dummy parent of its own, see createNetwork
    if (parent === "lo")
      throw new DockerError(`loopback interface is not a valid ${this.kind} parent link`, 400);
    if (this.ns.device(parent)) return;
    if (parent.includes(".")) {
      // eth0.50: Docker makes the 802.1Q sub-interface on eth0 when it is not there.
      const m = /^(.+)\.(\d+)$/.exec(parent);
      if (!m)
        throw new DockerError(
          `required interface name format is: name.vlan_id, ex. eth0.10 for vlan 10, instead received ${parent}`,
          400,
        );
      const vid = Number(m[2]);
      if (vid < 1 || vid > 4094)
        throw new DockerError(`vlan id must be between 1-4094, received: ${vid}`, 400);
      if (!this.ns.device(m[1] as string))
        throw new DockerError(`-o parent interface was not found on the host: ${m[1]}`, 400);
      return;
    }
    throw new DockerError(`-o parent interface was not found on the host: ${parent}`, 400);
  }

  /** Sub-interfaces and dummies this driver made (deleted with the last network on them). */
  private readonly madeVlans = new Set<string>();

  /** A parent like eth0.50 that is not there yet is made (and brought up). */
  createNetwork(n: Network): void {
    const parent = this.parentOf(n);
    if (n.spec.options.parent === undefined) {
      // No parent: a dummy device of the network's own; its containers only talk to each other.
      const dummy = this.host.addDummy(this.ns, parent);
      this.ns.setUp(dummy, true);
      this.madeVlans.add(parent);
      return;
    }
    if (this.ns.device(parent)) return;
    const m = /^(.+)\.(\d+)$/.exec(parent) as RegExpExecArray;
    const vlan = this.host.addVlan(
      this.ns,
      parent,
      this.ns.device(m[1] as string) as NetDevice,
      Number(m[2]),
    );
    this.ns.setUp(vlan, true);
    this.madeVlans.add(parent);
  }

  /** The last network on a sub-interface Docker made takes it away. */
  deleteNetwork(n: Network, others: Network[]): void {
    const parent = this.parentOf(n);
    if (!this.madeVlans.has(parent) || others.some((o) => o !== n && o.spec.options.parent === parent))
      return;
    const dev = this.ns.device(parent);
    if (dev) {
      this.ports.delete(dev);
      this.host.deleteDevice(this.ns, dev);
    }
    this.madeVlans.delete(parent);
  }

  /** `-o parent`, or the dummy `dm-<id>` (macvlan) / `di-<id>` (ipvlan) made when there is none. */
  parentOf(n: Network): string {
    return n.spec.options.parent ?? `${this.kind === "macvlan" ? "dm" : "di"}-${n.id.slice(0, 12)}`;
  }

  private portOf(n: Network): MacvlanPort | IpvlanPort {
    const lower = this.ns.device(this.parentOf(n)) as NetDevice;
    let port = this.ports.get(lower);
    if (!port) {
      port =
        this.kind === "macvlan"
          ? new MacvlanPort(lower)
          : new IpvlanPort(lower, new IpvlanMasterStack(this.ns, lower));
      this.ports.set(lower, port);
    }
    return port;
  }

  /** `-o ipvlan_mode`, l2 when not given. */
  private ipvlanMode(n: Network): IpvlanMode {
    return (n.spec.options.ipvlan_mode ?? "l2") as IpvlanMode;
  }

  /**
   * Does a container get a connected default route (`default dev eth0`) rather than one via a
   * gateway? ipvlan l3/l3s with a parent (a network without one is internal: no default route).
   */
  connectedDefault(n: Network): boolean {
    return this.kind === "ipvlan" && n.spec.options.parent !== undefined && this.ipvlanMode(n) !== "l2";
  }

  /** The MAC the container's interface will have (an ipvlan's is its parent's). */
  macFor(n: Network, wanted: number): number {
    return this.kind === "ipvlan" ? (this.ns.device(this.parentOf(n))?.mac ?? wanted) : wanted;
  }

  join(
    n: Network,
    c: Container,
    endpointId: string,
    ip: number,
    mac: number,
    address6?: Uint8Array,
  ): Endpoint {
    const sandbox = c.sandbox as NetNamespace;
    const pool = n.poolOf(ip);
    if (!pool) throw new Error(`${this.kind} network without a pool`);
    let ifname = `eth${c.nextIfIndex++}`;
    while (sandbox.device(ifname)) ifname = `eth${c.nextIfIndex++}`;
    const port = this.portOf(n);
    const sim = this.host.sim;
    // The child is made in the docker host's namespace and moved into the container's, keeping
    // the ifindex it got there (it is free in the container's).
    const ifindex = this.ns.allocIfindex();
    let dev: Macvlan | Ipvlan;
    if (port instanceof MacvlanPort) {
      const mode = (n.spec.options.macvlan_mode ?? "bridge") as MacvlanMode;
      dev = new Macvlan(ifname, ifindex, mac, port, mode, sim);
    } else {
      const ipvlan = new Ipvlan(ifname, ifindex, port, sim, this.ipvlanMode(n));
      const addresses = sandbox.addresses;
      ipvlan.owns = (a) => {
        for (let i = 0; i < addresses.length; i++) {
          const x = addresses[i] as (typeof addresses)[number];
          if (x.address === a && x.ifindex === ipvlan.ifindex) return true;
        }
        return false;
      };
      // Its IPv6 addresses, tentative ones too (ipvlan_addr6_event adds them as they are added).
      const addresses6 = sandbox.ipv6.addrconf.addresses;
      ipvlan.owns6 = (b, off) => {
        for (const x of addresses6) {
          if (x.ifindex !== ipvlan.ifindex) continue;
          let same = true;
          for (let i = 0; i < 16 && same; i++) same = x.address[i] === b[off + i];
          if (same) return true;
        }
        return false;
      };
      dev = ipvlan;
    }
    sandbox.adopt(dev);
    sandbox.addAddress(dev, ip, pool.prefixLen, (pool.subnet | (0xffffffff >>> pool.prefixLen)) >>> 0);
    if (address6 && n.pool6) addEndpointIpv6(sandbox, dev, address6, n.pool6);
    sandbox.setUp(dev, true);
    if (address6 && n.pool6 && n.spec.options.parent !== undefined)
      addIpv6DefaultRoute(sandbox, dev, n.pool6);
    // Without a parent the network is internal: no default route. ipvlan l3/l3s: no gateway, a
    // connected default route instead (the daemon adds it, see connectedDefault).
    const gateway =
      n.spec.options.parent === undefined || (this.kind === "ipvlan" && this.ipvlanMode(n) !== "l2")
        ? 0
        : undefined;
    const ep = new Endpoint(endpointId, n, c.id, c.name, ip, dev.mac, ifname, undefined, gateway);
    ep.address6 = address6;
    return ep;
  }

  leave(ep: Endpoint, c: Container): void {
    const dev = c.sandbox?.device(ep.ifname);
    if (dev instanceof Macvlan || dev instanceof Ipvlan) {
      dev.detach();
      c.sandbox?.removeDevice(dev);
    }
  }
}
