/**
 * A network namespace (struct net): its devices with per-namespace ifindexes, IPv4 addresses,
 * the local and main routing tables, the neighbour table, sysctls and the IPv4 stack that ties
 * them together. Adding an address adds the routes Linux adds (a local route and a broadcast
 * route in table local, and the connected route in table main while the device is up); taking a
 * device down removes its routes and neighbours, bringing it up restores the connected routes.
 */

import { Bridge } from "../link/bridge.js";
import { Loopback } from "../link/loopback.js";
import type { NetDevice } from "../link/net-device.js";
import type { Packet } from "../link/packet.js";
import { Veth } from "../link/veth.js";
import { Netfilter } from "../netfilter/netfilter.js";
import { IptablesState } from "../netfilter/tables.js";
import type { Simulation } from "../sim/simulation.js";
import { ipv6ToString } from "../util/ipv6-address.js";
import { IPPROTO_TCP, IPPROTO_UDP } from "../wire/ipv4.js";
import { bridgeNetfilter } from "./br-netfilter.js";
import { Inet4, Inet6 } from "./inet-family.js";
import { hasCarrier } from "./ip-format.js";
import { IPV4_MIN_MTU, Ipv4Stack } from "./ipv4-stack.js";
import { Ipv6Stack } from "./ipv6-stack.js";
import { KernelLog } from "./kernel-log.js";
import { NEIGH_DEFAULTS, NeighbourTable, type NeighParams } from "./neighbour.js";
import { prefixMask, type Route, RouteTable } from "./route-table.js";
import { Sysctls } from "./sysctl.js";
import type { TcpSocket } from "./tcp/tcp-socket.js";
import { TcpTable } from "./tcp/tcp-table.js";
import { type UdpSocket, UdpTable } from "./udp.js";

export interface IfAddress {
  ifindex: number;
  address: number;
  prefixLen: number;
  broadcast: number;
}

export class NetNamespace {
  readonly devices = new Map<number, NetDevice>();
  readonly addresses: IfAddress[] = [];
  readonly local = new RouteTable(255, "local");
  readonly main = new RouteTable(254, "main");
  readonly neigh: NeighbourTable<Packet>;
  readonly ipv4: Ipv4Stack;
  readonly ipv6: Ipv6Stack;
  readonly udp: UdpTable;
  readonly tcp: TcpTable;
  private udp6Table: UdpTable | undefined;
  private tcp6Table: TcpTable | undefined;
  private readonly udpPorts = new Map<number, UdpSocket[]>();
  private readonly tcpPorts = new Map<number, TcpSocket[]>();
  /** The iptables rule set (tables, chains, rules). */
  readonly iptables = new IptablesState();
  /** The netfilter hooks that apply it, and conntrack. */
  readonly netfilter: Netfilter;
  /** The ip6tables rule set, separate from iptables'. */
  readonly ip6tables = new IptablesState(6);
  /** The IPv6 netfilter hooks that apply it (conntrack shared with IPv4's). */
  readonly netfilter6: Netfilter;
  /**
   * The files the programs of this namespace read (/etc/hosts, /etc/resolv.conf). Deviation:
   * dockwire has no mount namespaces; a container's files go with its network namespace.
   */
  readonly files = new Map<string, string>([
    ["/etc/hosts", "127.0.0.1\tlocalhost\n::1\tlocalhost ip6-localhost ip6-loopback\n"],
    ["/etc/resolv.conf", ""],
  ]);
  /** The host's kernel log (dmesg), shared with the initial namespace. */
  readonly kernelLog: KernelLog;
  readonly lo: Loopback;
  readonly sysctl = new Sysctls();
  /** net.ipv4.ip_forward, cached for the packet path. */
  private forwarding = false;
  /** Effective rp_filter per ifindex, until a conf sysctl changes. */
  private readonly rpCache = new Map<number, number>();
  /** net.ipv4.neigh.DEV.* as numbers, per ifindex, until a neigh sysctl changes. */
  private readonly neighCache = new Map<number, NeighParams>();
  private nextIfindex = 1;

  /**
   * A namespace of a host whose initial namespace is `initial` (none: this is the initial one,
   * which owns the kernel log and the host-wide sysctls such as net.netfilter.nf_log_all_netns).
   */
  constructor(
    readonly name: string,
    readonly sim: Simulation,
    readonly initial?: NetNamespace,
  ) {
    this.kernelLog = initial?.kernelLog ?? new KernelLog(sim);
    if (!initial) this.sysctl.defineInitial();
    this.ipv4 = new Ipv4Stack(this, sim.random(`ip-id:${name}`));
    this.ipv6 = new Ipv6Stack(this, sim.random(`ipv6:${name}`));
    this.neigh = new NeighbourTable<Packet>(sim, sim.random(`neigh:${name}`), this.ipv4.arpIo, (ifindex) =>
      this.neighParams(ifindex),
    );
    const inet4 = new Inet4(this);
    this.udp = new UdpTable(this, sim.random(`udp:${name}`), inet4, this.udpPorts);
    this.tcp = new TcpTable(this, sim.random(`tcp:${name}`), inet4, this.tcpPorts);
    const natRng = sim.random(`nat:${name}`);
    this.netfilter = new Netfilter(this.iptables, {
      now: () => sim.now,
      addressType: (addr) =>
        this.isLocal(addr)
          ? "LOCAL"
          : this.isBroadcast(addr)
            ? "BROADCAST"
            : addr >>> 28 === 0xe
              ? "MULTICAST"
              : "UNICAST",
      sourceAddress: (outName, dst) => {
        const dev = this.device(outName);
        return dev ? this.sourceFor(dev.ifindex, dst) : 0;
      },
      deviceAddress: (name) => {
        const dev = this.device(name);
        return dev ? (this.addresses.find((a) => a.ifindex === dev.ifindex)?.address ?? 0) : 0;
      },
      reject: (pkt, how) => this.ipv4.reject(pkt, how),
      log: (line) => this.kernelLog.write(line),
      // nf_log_syslog: a namespace's LOG lines reach the log only with nf_log_all_netns set.
      logPacket: (line) => {
        if (!initial || initial.sysctl.number("net.netfilter.nf_log_all_netns") === 1)
          this.kernelLog.write(line);
      },
      random: (n) => natRng.int(0, n - 1),
      sysctl: (key) => this.sysctl.number(key),
      ipv6Text: (id) => ipv6ToString(this.ipv6.ids.address(id)),
    });
    const ids = this.ipv6.ids;
    this.netfilter6 = new Netfilter(
      this.ip6tables,
      {
        now: () => sim.now,
        addressType: (id) => this.ipv6.addressType(ids.address(id)),
        sourceAddress: (outName, dst) => {
          const src = this.ipv6.sourceFor(ids.address(dst), this.device(outName)?.ifindex ?? 0);
          return src ? ids.idOf(src, 0) : 0;
        },
        deviceAddress: (name) => {
          const ifindex = this.device(name)?.ifindex;
          const a = this.ipv6.addrconf.addresses.find((x) => x.ifindex === ifindex && x.scope === "global");
          return a ? ids.idOf(a.address, 0) : 0;
        },
        reject: (pkt, how) => this.ipv6.reject(pkt, how),
        log: (line) => this.kernelLog.write(line),
        logPacket: (line) => {
          if (!initial || initial.sysctl.number("net.netfilter.nf_log_all_netns") === 1)
            this.kernelLog.write(line);
        },
        random: (n) => natRng.int(0, n - 1),
        sysctl: (key) => this.sysctl.number(key),
        addressId: (buf, off) => ids.idOf(buf, off),
        addressBytes: (id) => ids.address(id),
        ipv6Text: (id) => ipv6ToString(ids.address(id)),
      },
      this.netfilter.conntrack,
    );
    this.lo = new Loopback(sim, this.allocIfindex());
    this.attach(this.lo);
    this.sysctl.onChange = (key) => {
      this.forwarding = this.sysctl.get("net.ipv4.ip_forward") !== "0";
      if (key.startsWith("net.ipv4.neigh.")) this.neighCache.clear();
      if (key.startsWith("net.ipv4.conf.")) this.rpCache.clear();
      if (key.startsWith("net.netfilter.")) this.netfilter.conntrack.settingsChanged();
      if (key.startsWith("net.ipv6.conf.") && key.endsWith(".disable_ipv6"))
        for (const d of this.devices.values()) this.ipv6.addrconf.sync(d, hasCarrier(d));
      if (key.startsWith("net.ipv6.conf.") && key.endsWith(".forwarding"))
        this.ipv6.addrconf.forwardingChanged();
    };
  }

  get ipForward(): boolean {
    return this.forwarding;
  }
  set ipForward(on: boolean) {
    this.sysctl.set("net.ipv4.ip_forward", on ? "1" : "0");
  }

  /** A device's neighbour parameters from its net.ipv4.neigh.DEV.* sysctls. */
  private neighParams(ifindex: number): NeighParams {
    const cached = this.neighCache.get(ifindex);
    if (cached) return cached;
    const dev = this.devices.get(ifindex);
    if (!dev || !this.sysctl.has(`net.ipv4.neigh.${dev.name}.retrans_time_ms`)) return NEIGH_DEFAULTS;
    const n = (k: string) => this.sysctl.number(`net.ipv4.neigh.${dev.name}.${k}`);
    const p: NeighParams = {
      baseReachableTime: n("base_reachable_time_ms") * 1_000_000,
      delayFirstProbeTime: n("delay_first_probe_time") * 1_000_000_000,
      retransTime: n("retrans_time_ms") * 1_000_000,
      ucastSolicit: n("ucast_solicit"),
      mcastSolicit: n("mcast_solicit"),
      unresQlenBytes: n("unres_qlen_bytes"),
    };
    this.neighCache.set(ifindex, p);
    return p;
  }

  allocIfindex(): number {
    return this.nextIfindex++;
  }

  device(name: string): NetDevice | undefined {
    for (const d of this.devices.values()) if (d.name === name) return d;
    return undefined;
  }

  /** Make `dev` part of this namespace, its frames going to this namespace's stack. */
  attach(dev: NetDevice): void {
    this.devices.set(dev.ifindex, dev);
    this.sysctl.addDevice(dev.name);
    dev.rxHandler = (d, pkt) => this.ipv4.receive(d, pkt);
    dev.linkWatch = (d) => this.linkChanged(d);
    if (dev instanceof Bridge) dev.netfilter = this.brNetfilter;
  }

  /** The device's carrier may have changed: IPv6 starts or stops on it and on its bridge. */
  linkChanged(dev: NetDevice): void {
    this.ipv6.addrconf.sync(dev, hasCarrier(dev));
    for (const d of this.devices.values())
      if (d instanceof Bridge && d.portOf(dev)) this.ipv6.addrconf.sync(d, hasCarrier(d));
  }

  /** br_netfilter for this namespace's bridges. */
  private readonly brNetfilter = bridgeNetfilter(this);

  /** Take a device out of this namespace: down, no addresses, routes or neighbours, no master. */
  removeDevice(dev: NetDevice): void {
    this.setUp(dev, false);
    this.setMaster(dev, undefined);
    for (let i = this.addresses.length - 1; i >= 0; i--) {
      if (this.addresses[i]?.ifindex === dev.ifindex) this.addresses.splice(i, 1);
    }
    this.neigh.flushDevice(dev.ifindex, true);
    this.ipv6.addrconf.sync(dev, false);
    this.devices.delete(dev.ifindex);
    this.sysctl.removeDevice(dev.name);
    this.neighCache.delete(dev.ifindex);
    this.rpCache.delete(dev.ifindex);
    dev.rxHandler = undefined;
    dev.linkWatch = undefined;
  }

  /** A device moved in from another namespace keeps its ifindex when it is free here. */
  adopt(dev: NetDevice): void {
    if (this.devices.has(dev.ifindex)) dev.ifindex = this.allocIfindex();
    else this.nextIfindex = Math.max(this.nextIfindex, dev.ifindex + 1);
    this.attach(dev);
  }

  /** The rp_filter mode for packets arriving on `dev`, cached for the packet path. */
  rpFilter(dev: NetDevice): number {
    let mode = this.rpCache.get(dev.ifindex);
    if (mode === undefined) {
      mode = this.devConf(dev, "rp_filter");
      this.rpCache.set(dev.ifindex, mode);
    }
    return mode;
  }

  /**
   * A net.ipv4.conf value for a device as the kernel combines it: IN_DEV_MAXCONF (the larger of
   * `all` and the device's own) for rp_filter, arp_notify and friends.
   */
  devConf(dev: NetDevice, key: string): number {
    const own = this.sysctl.has(`net.ipv4.conf.${dev.name}.${key}`)
      ? this.sysctl.number(`net.ipv4.conf.${dev.name}.${key}`)
      : 0;
    return Math.max(this.sysctl.number(`net.ipv4.conf.all.${key}`), own);
  }

  /** `ip link set DEV master BR` (bridge given) or `nomaster` (undefined). */
  setMaster(dev: NetDevice, bridge: Bridge | undefined): void {
    for (const d of this.devices.values()) if (d instanceof Bridge && d.portOf(dev)) d.removePort(dev);
    if (bridge) bridge.addPort(dev);
    else dev.rxHandler = (d, pkt) => this.ipv4.receive(d, pkt);
    if (bridge) this.linkChanged(bridge);
  }

  /** `ip link set DEV up|down`. */
  setUp(dev: NetDevice, up: boolean): void {
    if (dev.up === up) return;
    dev.up = up;
    this.linkChanged(dev);
    if (dev instanceof Veth) dev.peer.linkWatch?.(dev.peer);
    // Loopback gets 127.0.0.1/8 the first time it comes up (inetdev_event, NETDEV_UP).
    if (up && dev === this.lo && !this.addresses.some((a) => a.ifindex === dev.ifindex)) {
      this.addresses.push({ ifindex: dev.ifindex, address: 0x7f000001, prefixLen: 8, broadcast: 0 });
    }
    if (up) {
      for (const a of this.addresses) if (a.ifindex === dev.ifindex) this.addRoutesFor(a);
      // arp_notify: announce our addresses with a gratuitous ARP when the link comes up.
      if (this.devConf(dev, "arp_notify") > 0 && !dev.noArp && dev !== this.lo) {
        for (const a of this.addresses)
          if (a.ifindex === dev.ifindex) this.ipv4.announce(dev.ifindex, a.address);
      }
    } else {
      const gone = (r: Route) => r.ifindex === dev.ifindex;
      this.main.removeWhere(gone);
      this.local.removeWhere(gone);
      this.neigh.flushDevice(dev.ifindex);
    }
  }

  /**
   * `ip link set DEV mtu N`. Below 68 the device loses its IPv4 config, addresses and all
   * (inetdev_event, NETDEV_CHANGEMTU); they do not come back with a larger MTU.
   */
  setMtu(dev: NetDevice, mtu: number): void {
    dev.mtu = mtu;
    if (mtu >= IPV4_MIN_MTU) return;
    for (const a of this.addresses.filter((x) => x.ifindex === dev.ifindex)) this.delAddress(a);
  }

  /**
   * `ip addr add ADDR/LEN [brd B] dev DEV`. `broadcast` is what `ip addr` shows (0: none, as
   * without `brd`); the broadcast route in table local is added either way, as Linux does.
   */
  addAddress(dev: NetDevice, address: number, prefixLen: number, broadcast = 0): IfAddress {
    const a: IfAddress = { ifindex: dev.ifindex, address, prefixLen, broadcast };
    this.addresses.push(a);
    if (dev.up) this.addRoutesFor(a);
    return a;
  }

  /** `ip addr del`: the address and the routes it brought. */
  delAddress(a: IfAddress): void {
    this.addresses.splice(this.addresses.indexOf(a), 1);
    const mine = (r: Route) => r.ifindex === a.ifindex && r.prefsrc === a.address && r.protocol === "kernel";
    this.local.removeWhere(mine);
    this.main.removeWhere(mine);
  }

  /** The address to send from on `ifindex` toward `dst` (inet_select_addr): same subnet first. */
  sourceFor(ifindex: number, dst: number): number {
    let first = 0;
    for (const a of this.addresses) {
      if (a.ifindex !== ifindex) continue;
      if (((a.address ^ dst) & prefixMask(a.prefixLen)) === 0) return a.address;
      first ||= a.address;
    }
    if (first !== 0) return first;
    for (const a of this.addresses) if (a.ifindex !== this.lo.ifindex) return a.address;
    return 0;
  }

  /**
   * UDP and TCP over IPv6, made on first use (a socket, or a datagram or segment arriving) so
   * that namespaces without IPv6 do not carry them; they share the IPv4 tables' port spaces.
   */
  get udp6(): UdpTable {
    this.ensureTransport6(IPPROTO_UDP);
    return this.udp6Table as UdpTable;
  }

  get tcp6(): TcpTable {
    this.ensureTransport6(IPPROTO_TCP);
    return this.tcp6Table as TcpTable;
  }

  /** Make the IPv6 table of TCP or UDP (by protocol number) if it is not there yet. */
  ensureTransport6(protocol: number): void {
    if (protocol === IPPROTO_TCP && !this.tcp6Table) {
      this.tcp6Table = new TcpTable(
        this,
        this.sim.random(`tcp6:${this.name}`),
        new Inet6(this),
        this.tcpPorts,
      );
      this.tcp.other = this.tcp6Table;
    } else if (protocol === IPPROTO_UDP && !this.udp6Table) {
      this.udp6Table = new UdpTable(
        this,
        this.sim.random(`udp6:${this.name}`),
        new Inet6(this),
        this.udpPorts,
      );
    }
  }

  /** The IPv6 tables if they were made (for readers such as `ss`, which must not make them). */
  transport6IfMade(): { tcp6: TcpTable | undefined; udp6: UdpTable | undefined } {
    return { tcp6: this.tcp6Table, udp6: this.udp6Table };
  }

  /** Is `addr` one of this namespace's addresses (or a broadcast of one)? */
  isLocal(addr: number): boolean {
    const r = this.local.lookup(addr);
    return r !== undefined && (r.type === "local" || (r.type === "broadcast" && r.dst === addr));
  }

  /** Is `addr` a broadcast address of this namespace (or the limited broadcast)? */
  isBroadcast(addr: number): boolean {
    if (addr === 0xffffffff) return true;
    const r = this.local.lookup(addr);
    return r !== undefined && r.type === "broadcast" && r.dst === addr;
  }

  private addRoutesFor(a: IfAddress): void {
    const base = {
      gateway: 0,
      ifindex: a.ifindex,
      metric: 0,
      protocol: "kernel" as const,
      prefsrc: a.address,
    };
    this.local.add({ ...base, dst: a.address, prefixLen: 32, type: "local", scope: "host" });
    // Loopback's local route also covers its whole network (local 127.0.0.0/8).
    if (a.ifindex === this.lo.ifindex && a.prefixLen < 32) {
      const net = (a.address & prefixMask(a.prefixLen)) >>> 0;
      this.local.add({ ...base, dst: net, prefixLen: a.prefixLen, type: "local", scope: "host" });
    }
    const broadcast = a.prefixLen >= 31 ? 0 : (a.address | ~prefixMask(a.prefixLen)) >>> 0;
    if (broadcast !== 0)
      this.local.add({ ...base, dst: broadcast, prefixLen: 32, type: "broadcast", scope: "link" });
    if (a.ifindex !== this.lo.ifindex && a.prefixLen < 32) {
      const net = (a.address & prefixMask(a.prefixLen)) >>> 0;
      this.main.add({ ...base, dst: net, prefixLen: a.prefixLen, type: "unicast", scope: "link" });
    }
  }
}
