/**
 * A Linux machine: its root network namespace and the named ones `ip netns add` creates
 * (/var/run/netns), plus what crosses namespaces: creating veth pairs (the peer is created first,
 * so it takes the lower ifindex, as Linux does), bridges, moving a device to another namespace,
 * deleting devices, and random MACs (eth_random_addr: locally administered unicast).
 */

import { Bridge } from "../link/bridge.js";
import { Dummy } from "../link/dummy.js";
import type { NetDevice } from "../link/net-device.js";
import { StackedDevice } from "../link/stacked-device.js";
import { createVethPair, Veth } from "../link/veth.js";
import { Vlan, VlanPort } from "../link/vlan.js";
import type { Simulation } from "../sim/simulation.js";
import type { Rng } from "../util/rng.js";
import { NetNamespace } from "./namespace.js";

export class Host {
  readonly root: NetNamespace;
  /** Named namespaces, in creation order. */
  readonly netns = new Map<string, NetNamespace>();
  /**
   * Namespaces that are not in /run/netns (a container runtime's, such as Docker's sandboxes under
   * /var/run/docker/netns), by their label: `ip netns` does not list them.
   */
  readonly unnamed = new Map<string, NetNamespace>();
  private readonly macRng: Rng;

  constructor(
    readonly sim: Simulation,
    readonly name = "host",
  ) {
    this.root = new NetNamespace(name, sim);
    this.macRng = sim.random(`mac:${name}`);
    // A running machine has its loopback up; a new namespace's starts down.
    this.root.setUp(this.root.lo, true);
  }

  /** A random locally administered unicast MAC (first byte xxxxxx10). */
  randomMac(): number {
    const hi = (this.macRng.int(0, 0xffff) & 0xfeff) | 0x0200;
    return hi * 0x100000000 + this.macRng.nextU32();
  }

  /** The namespace a device lives in. */
  namespaceOf(dev: NetDevice): NetNamespace | undefined {
    for (const ns of [this.root, ...this.netns.values(), ...this.unnamed.values()])
      if (ns.devices.get(dev.ifindex) === dev) return ns;
    return undefined;
  }

  /** The name `ip` shows for a namespace (undefined for the root one). */
  nameOf(ns: NetNamespace): string | undefined {
    for (const [name, n] of this.netns) if (n === ns) return name;
    return undefined;
  }

  addNetns(name: string): NetNamespace {
    const ns = new NetNamespace(name, this.sim, this.root);
    this.netns.set(name, ns);
    return ns;
  }

  /** A namespace outside /run/netns (a container's), known by `label`. */
  addUnnamedNetns(label: string): NetNamespace {
    const ns = new NetNamespace(label, this.sim, this.root);
    this.unnamed.set(label, ns);
    return ns;
  }

  /** The namespace's end: its devices go with it (a veth's peer elsewhere is deleted too). */
  delUnnamedNetns(label: string): void {
    const ns = this.unnamed.get(label);
    if (!ns) return;
    for (const dev of [...ns.devices.values()]) if (dev !== ns.lo) this.deleteDevice(ns, dev);
    this.unnamed.delete(label);
  }

  /** `ip netns del`: its devices go with it (a veth's peer elsewhere is deleted too). */
  delNetns(name: string): void {
    const ns = this.netns.get(name);
    if (!ns) return;
    for (const dev of [...ns.devices.values()]) if (dev !== ns.lo) this.deleteDevice(ns, dev);
    this.netns.delete(name);
  }

  /** `ip link add NAME type veth peer name PEER [netns PEERNS]`. */
  addVeth(ns: NetNamespace, name: string, peerNs: NetNamespace, peerName: string): [Veth, Veth] {
    const peerIfindex = peerNs.allocIfindex();
    const ifindex = ns.allocIfindex();
    const [a, b] = createVethPair(
      this.sim,
      { name, ifindex, mac: this.randomMac() },
      { name: peerName, ifindex: peerIfindex, mac: this.randomMac() },
    );
    peerNs.attach(b);
    ns.attach(a);
    return [a, b];
  }

  /** `ip link add NAME type bridge`. */
  addBridge(ns: NetNamespace, name: string): Bridge {
    const br = new Bridge(name, ns.allocIfindex(), this.randomMac(), this.sim);
    ns.attach(br);
    return br;
  }

  /** The 802.1Q side of each lower device that has VLAN sub-interfaces. */
  private readonly vlanPorts = new Map<NetDevice, VlanPort>();

  /** `ip link add link LOWER name NAME type vlan id ID` (in the lower device's namespace). */
  addVlan(ns: NetNamespace, name: string, lower: NetDevice, id: number): Vlan {
    let port = this.vlanPorts.get(lower);
    if (!port) {
      port = new VlanPort(lower);
      this.vlanPorts.set(lower, port);
    }
    const dev = new Vlan(name, ns.allocIfindex(), port, id);
    ns.attach(dev);
    return dev;
  }

  /** `ip link add NAME type dummy`. */
  addDummy(ns: NetNamespace, name: string): Dummy {
    const d = new Dummy(name, ns.allocIfindex(), this.randomMac());
    ns.attach(d);
    return d;
  }

  /** `ip link del DEV`: a veth takes its peer with it; a bridge releases its ports. */
  deleteDevice(ns: NetNamespace, dev: NetDevice): void {
    if (dev instanceof StackedDevice) dev.detach();
    if (dev instanceof Veth) {
      const peerNs = this.namespaceOf(dev.peer);
      if (peerNs) peerNs.removeDevice(dev.peer);
    }
    if (dev instanceof Bridge) for (const p of [...dev.ports]) ns.setMaster(p.dev, undefined);
    ns.removeDevice(dev);
  }

  /** `ip link set DEV netns NS`: the device arrives down, without addresses, ifindex kept if free. */
  moveDevice(from: NetNamespace, dev: NetDevice, to: NetNamespace): void {
    from.removeDevice(dev);
    to.adopt(dev);
  }
}
