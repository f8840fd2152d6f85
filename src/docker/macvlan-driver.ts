/**
 * The macvlan driver (libnetwork/drivers/macvlan: macvlan_network.go, macvlan_endpoint.go,
 * macvlan_joinleave.go): a network names a parent interface of the docker host (`-o parent=eth0`,
 * `-o macvlan_mode=bridge|private|vepa|passthru`, default bridge); each container gets a macvlan
 * child of that parent as `eth<N>` in its namespace, with its own MAC (02:42 + the address in 27,
 * random from 28), an address of the network's subnet and the default route via the network's
 * gateway (the LAN's router). No iptables, no NAT, no published ports. The host cannot reach its
 * containers through the parent (macvlan never delivers between the two).
 * Deviations: no parent means no network (Docker makes a dummy `dm-…` parent and an internal
 * network); no 802.1Q sub-interfaces (`parent=eth0.50`).
 */

import type { Host } from "../kernel/host.js";
import type { NetNamespace } from "../kernel/namespace.js";
import { Macvlan, type MacvlanMode, MacvlanPort } from "../link/macvlan.js";
import type { NetDevice } from "../link/net-device.js";
import type { Container } from "./container.js";
import { DockerError } from "./docker-error.js";
import { Endpoint, type Network } from "./network.js";

const MODES = ["bridge", "private", "vepa", "passthru"];

export class MacvlanDriver {
  /** One port per parent device, shared by the networks on it. */
  private readonly ports = new Map<NetDevice, MacvlanPort>();

  constructor(
    private readonly host: Host,
    /** The docker host's namespace (where the parents are). */
    private readonly ns: NetNamespace,
  ) {}

  /** Check the options before anything is allocated (the driver's parseNetworkOptions). */
  validate(options: Record<string, string>): void {
    const mode = options.macvlan_mode;
    if (mode !== undefined && !MODES.includes(mode))
      throw new DockerError(
        `requested macvlan mode '${mode}' is not valid, 'bridge' mode is the macvlan driver default`,
        400,
      );
    const parent = options.parent;
    if (parent === undefined)
      throw new DockerError("dockwire: the macvlan driver needs -o parent=IFACE", 400);
    if (parent === "lo") throw new DockerError("loopback interface is not a valid macvlan parent link", 400);
    if (parent.includes("."))
      throw new DockerError("dockwire: 802.1Q parent interfaces are not modelled", 400);
    if (!this.ns.device(parent))
      throw new DockerError(`-o parent interface was not found on the host: ${parent}`, 400);
  }

  private portOf(n: Network): MacvlanPort {
    const lower = this.ns.device(n.spec.options.parent ?? "") as NetDevice;
    let port = this.ports.get(lower);
    if (!port) {
      port = new MacvlanPort(lower);
      this.ports.set(lower, port);
    }
    return port;
  }

  join(n: Network, c: Container, endpointId: string, ip: number, mac: number): Endpoint {
    const sandbox = c.sandbox as NetNamespace;
    const pool = n.pool;
    if (!pool) throw new Error("macvlan network without a pool");
    let ifname = `eth${c.nextIfIndex++}`;
    while (sandbox.device(ifname)) ifname = `eth${c.nextIfIndex++}`;
    const mode = (n.spec.options.macvlan_mode ?? "bridge") as MacvlanMode;
    const dev = new Macvlan(ifname, sandbox.allocIfindex(), mac, this.portOf(n), mode, this.host.sim);
    sandbox.attach(dev);
    sandbox.addAddress(dev, ip, pool.prefixLen, (pool.subnet | (0xffffffff >>> pool.prefixLen)) >>> 0);
    sandbox.setUp(dev, true);
    return new Endpoint(endpointId, n, c.id, c.name, ip, mac, ifname, undefined);
  }

  leave(ep: Endpoint, c: Container): void {
    const dev = c.sandbox?.device(ep.ifname);
    if (dev instanceof Macvlan) {
      dev.detach();
      c.sandbox?.removeDevice(dev);
    }
  }
}
