/**
 * The bridge driver (libnetwork/drivers/bridge: bridge_linux.go, setup_device_linux.go,
 * setup_ipv4_linux.go, port_mapping_linux.go): a network is a Linux bridge in the docker host's
 * namespace (`docker0`, or `br-` + the network id's first 12 hex, or the `bridge.name` option)
 * with MAC 02:42 + 4 random bytes, the gateway address with the subnet's prefix, and Docker's
 * iptables block; an endpoint is a veth pair, `vethXXXXXXX` on the bridge and `eth<N>` in the
 * container with the address, MAC 02:42 + the IPv4 address (classic), the network's MTU and a
 * default route via the gateway (none on internal networks); a published port is its DNAT,
 * ACCEPT and MASQUERADE rules. Options are checked as bridge_linux.go's fromLabels does, with its
 * `failed to parse … value: …` errors. Gateway modes (nat, nat-unprotected, routed, isolated) need
 * the 28/29 layouts. IPv6 (--ipv6): the bridge gets the IPv6 gateway (nodad) besides the kernel's
 * link-local address, each container its address (nodad) and `default via` the gateway.
 * Deviation: no ip6tables rules yet.
 */

import type { Host } from "../kernel/host.js";
import type { NetNamespace } from "../kernel/namespace.js";
import type { Bridge } from "../link/bridge.js";
import { ipv4ToString, parseIpv4 } from "../util/ipv4-address.js";
import { ipv6ToString } from "../util/ipv6-address.js";
import type { Rng } from "../util/rng.js";
import type { Container, PortBinding } from "./container.js";
import { DockerError } from "./docker-error.js";
import { addEndpointIpv6, addIpv6DefaultRoute } from "./endpoint-ipv6.js";
import type { BridgeRules, FirewallLayout, PortRule } from "./firewall.js";
import { bridgeMac, vethName } from "./ids.js";
import { Endpoint, type Network, parseGoBool } from "./network.js";

export const OPT_BRIDGE_NAME = "com.docker.network.bridge.name";
export const OPT_ICC = "com.docker.network.bridge.enable_icc";
export const OPT_MASQ = "com.docker.network.bridge.enable_ip_masquerade";
export const OPT_MTU = "com.docker.network.driver.mtu";
export const OPT_HOST_BINDING = "com.docker.network.bridge.host_binding_ipv4";

export interface BridgeDaemonSettings {
  iptables: boolean;
  /** The same rules in ip6tables for IPv6 networks (--ip6tables). */
  ip6tables: boolean;
  userlandProxy: boolean;
  /** The rules of the engine version being modelled. */
  firewall: FirewallLayout;
  /** v28+: random MACs (bridge and containers) and the lowest free eth<N>. */
  randomMacs: boolean;
  /** v28+: com.docker.network.bridge.gateway_mode_ipv4 is modelled. */
  gatewayModes: boolean;
}

export const OPT_GATEWAY_MODE = "com.docker.network.bridge.gateway_mode_ipv4";
export const OPT_GATEWAY_MODE_V6 = "com.docker.network.bridge.gateway_mode_ipv6";
export const OPT_HOST_IPV4 = "com.docker.network.host_ipv4";
export const OPT_INHIBIT_IPV4 = "com.docker.network.bridge.inhibit_ipv4";
const GATEWAY_MODES = ["nat", "nat-unprotected", "routed", "isolated"];

/** The network's IPv4 (or IPv6) gateway mode (nat unless the option says otherwise). */
export function gatewayMode(n: Network, v6 = false): string {
  return n.spec.options[v6 ? OPT_GATEWAY_MODE_V6 : OPT_GATEWAY_MODE] ?? "nat";
}

/** 02:42 followed by the IPv4 address (netutils.GenerateMACFromIP). */
export function macFromIp(ip: number): number {
  return 0x0242 * 0x100000000 + ip;
}

export class BridgeDriver {
  constructor(
    private readonly host: Host,
    /** The docker host's namespace (where bridges and host-side veths live). */
    private readonly ns: NetNamespace,
    private readonly rng: Rng,
    private readonly settings: BridgeDaemonSettings,
  ) {}

  /** The network's rules for ip6tables: its IPv6 subnet, gateway_mode_ipv6, host_ipv6. */
  private rules6(n: Network): BridgeRules | undefined {
    if (!n.pool6 || !this.settings.ip6tables) return undefined;
    return {
      ...this.rules(n),
      v6: true,
      subnet: `${ipv6ToString(n.pool6.subnet)}/${n.pool6.prefixLen}`,
      gatewayMode: gatewayMode(n, true),
      snatSource: n.spec.options["com.docker.network.host_ipv6"] ?? "",
    };
  }

  /** iptables rules for this network: --iptables, and IPv4 on it (not an IPv6-only network). */
  private iptablesFor(n: Network): boolean {
    return this.settings.iptables && !n.spec.ipv4Disabled;
  }

  private rules(n: Network): BridgeRules {
    const pool = n.pool;
    return {
      bridge: n.bridgeName,
      v6: false,
      subnet: pool ? `${ipv4ToString(pool.subnet)}/${pool.prefixLen}` : "",
      icc: n.flag(OPT_ICC, true),
      ipMasq: n.flag(OPT_MASQ, true),
      internal: n.spec.internal,
      userlandProxy: this.settings.userlandProxy,
      gatewayMode: gatewayMode(n),
      snatSource: n.spec.options[OPT_HOST_IPV4] ?? "",
      trustedInterfaces: (n.spec.options["com.docker.network.bridge.trusted_host_interfaces"] ?? "")
        .split(":")
        .filter((i) => i !== ""),
    };
  }

  /** Check a new network's options (bridge_linux.go fromLabels and createNetwork). */
  validate(options: Record<string, string>, internal: boolean): void {
    const bad = (key: string, why: string) =>
      new DockerError(`failed to parse ${key} value: ${options[key]} (${why})`, 400);
    for (const key of [OPT_ICC, OPT_MASQ, OPT_INHIBIT_IPV4]) {
      const v = options[key];
      if (v !== undefined && parseGoBool(v) === undefined)
        throw bad(key, `strconv.ParseBool: parsing ${JSON.stringify(v)}: invalid syntax`);
    }
    const mtu = options[OPT_MTU];
    if (mtu !== undefined && !/^[+-]?\d+$/.test(mtu))
      throw bad(OPT_MTU, `strconv.Atoi: parsing ${JSON.stringify(mtu)}: invalid syntax`);
    for (const key of [OPT_HOST_BINDING, OPT_HOST_IPV4]) {
      const v = options[key];
      if (v !== undefined && parseIpv4(v) === undefined) throw bad(key, "nil ip");
    }
    const mode = options[OPT_GATEWAY_MODE];
    if (mode === undefined) return;
    if (!GATEWAY_MODES.includes(mode)) throw bad(OPT_GATEWAY_MODE, `unknown gateway mode ${mode}`);
    if (!this.settings.gatewayModes)
      throw new DockerError(
        "gateway modes are modelled with Docker 28's and 29's rules only: start the daemon with --engine-version 28 or 29",
        400,
      );
    if (mode === "isolated" && !internal)
      throw new DockerError("gateway mode 'isolated' can only be used for an internal network", 400);
  }

  /** The network's MTU (0: not set, the kernel's 1500 stays). */
  mtu(n: Network): number {
    return Number(n.spec.options[OPT_MTU] ?? 0);
  }

  createNetwork(n: Network): void {
    const br = this.host.addBridge(this.ns, n.bridgeName);
    br.setAddress(this.settings.randomMacs ? this.host.randomMac() : bridgeMac(this.rng));
    const mtu = this.mtu(n);
    if (mtu > 0) this.ns.setMtu(br, mtu);
    const pool = n.pool;
    // com.docker.network.bridge.inhibit_ipv4: the bridge keeps no address (routing is done elsewhere).
    if (pool && !n.flag(OPT_INHIBIT_IPV4, false) && gatewayMode(n) !== "isolated")
      this.ns.addAddress(br, pool.gateway, pool.prefixLen, broadcastOf(pool.subnet, pool.prefixLen));
    if (n.pool6) {
      // setupBridgeIPv6: IPv6 on for the bridge, the gateway address without DAD.
      this.ns.sysctl.set(`net.ipv6.conf.${n.bridgeName}.disable_ipv6`, "0");
      this.ns.ipv6.addrconf.add(br, n.pool6.gateway, n.pool6.prefixLen, { nodad: true });
    }
    this.ns.setUp(br, true);
    // Without the userland proxy, published ports are reached from the host's 127.0.0.1 through
    // the bridge (route_localnet) and from the containers of the bridge (hairpin on each port).
    if (!this.settings.userlandProxy) this.ns.sysctl.set(`net.ipv4.conf.${n.bridgeName}.route_localnet`, "1");
    if (this.iptablesFor(n)) this.settings.firewall.addBridge(this.ns.iptables, this.rules(n));
    const rules6 = this.rules6(n);
    if (rules6) this.settings.firewall.addBridge(this.ns.ip6tables, rules6);
  }

  deleteNetwork(n: Network): void {
    if (this.iptablesFor(n)) this.settings.firewall.removeBridge(this.ns.iptables, this.rules(n));
    const rules6 = this.rules6(n);
    if (rules6) this.settings.firewall.removeBridge(this.ns.ip6tables, rules6);
    const br = this.ns.device(n.bridgeName);
    if (br) this.host.deleteDevice(this.ns, br);
  }

  /** Create the endpoint and join the container's sandbox: the veth pair, address, routes. */
  join(
    n: Network,
    c: Container,
    endpointId: string,
    ip: number,
    mac: number,
    gateway?: number,
    address6?: Uint8Array,
  ): Endpoint {
    const sandbox = c.sandbox as NetNamespace;
    const pool = n.pool; // none on an IPv6-only network
    // Classic: a per-sandbox counter, never reused; v28+: the lowest free eth<N>. The prefix is
    // the network's com.docker.network.container_iface_prefix, `eth` by default.
    const prefix = n.spec.options["com.docker.network.container_iface_prefix"] ?? "eth";
    let ifname = `${prefix}${c.nextIfIndex++}`;
    if (this.settings.randomMacs)
      for (let i = 0; ; i++)
        if (!sandbox.device(`${prefix}${i}`)) {
          ifname = `${prefix}${i}`;
          break;
        }
    const [outside, inside] = this.host.addVeth(this.ns, vethName(this.rng), sandbox, ifname);
    inside.mac = mac;
    const mtu = this.mtu(n);
    if (mtu > 0) {
      this.ns.setMtu(outside, mtu);
      sandbox.setMtu(inside, mtu);
    }
    const bridge = this.ns.device(n.bridgeName) as Bridge;
    this.ns.setMaster(outside, bridge);
    const port = bridge.portOf(outside);
    if (port && !this.settings.userlandProxy) port.hairpin = true;
    this.ns.setUp(outside, true);
    if (pool) sandbox.addAddress(inside, ip, pool.prefixLen, broadcastOf(pool.subnet, pool.prefixLen));
    if (address6 && n.pool6) addEndpointIpv6(sandbox, inside, address6, n.pool6);
    sandbox.setUp(inside, true);
    if (address6 && n.pool6 && !n.spec.internal) addIpv6DefaultRoute(sandbox, inside, n.pool6);
    if (pool && !n.spec.internal && !sandbox.main.lookup(0)?.gateway)
      sandbox.main.add({
        dst: 0,
        prefixLen: 0,
        type: "unicast",
        gateway: pool.gateway,
        ifindex: inside.ifindex,
        metric: 0,
        protocol: "boot",
        scope: "universe",
        prefsrc: 0,
      });
    if (this.iptablesFor(n) && !n.spec.internal)
      this.settings.firewall.addEndpoint(this.ns.iptables, this.rules(n), ipv4ToString(ip));
    const ep = new Endpoint(endpointId, n, c.id, c.name, ip, mac, ifname, outside, gateway);
    ep.address6 = address6;
    return ep;
  }

  /** Leave and delete the endpoint: its veth pair goes (and with it the routes through it). */
  leave(ep: Endpoint): void {
    if (this.iptablesFor(ep.network) && !ep.network.spec.internal)
      this.settings.firewall.removeEndpoint(
        this.ns.iptables,
        this.rules(ep.network),
        ipv4ToString(ep.address),
      );
    if (ep.hostDevice) this.host.deleteDevice(this.ns, ep.hostDevice);
  }

  /**
   * A published port's rules: in iptables for an IPv4 binding; in ip6tables for an IPv6 one when
   * the container has an IPv6 address on this network (otherwise only docker-proxy serves it).
   */
  publish(n: Network, ep: Endpoint, b: PortBinding): void {
    const rule = this.portRule(n, ep, b);
    if (rule) this.settings.firewall.addPort(rule.v6 ? this.ns.ip6tables : this.ns.iptables, rule);
  }

  unpublish(n: Network, ep: Endpoint, b: PortBinding): void {
    const rule = this.portRule(n, ep, b);
    if (rule) this.settings.firewall.removePort(rule.v6 ? this.ns.ip6tables : this.ns.iptables, rule);
  }

  private portRule(n: Network, ep: Endpoint, b: PortBinding): PortRule | undefined {
    const v6 = isIpv6Binding(b);
    if (v6 ? !this.settings.ip6tables || !ep.address6 || !n.pool6 : !this.iptablesFor(n) || ep.address === 0)
      return undefined;
    return {
      bridge: n.bridgeName,
      proto: b.proto,
      v6,
      hostIp: b.hostIp,
      hostPort: b.hostPort,
      containerIp: v6 && ep.address6 ? ipv6ToString(ep.address6) : ipv4ToString(ep.address),
      containerPort: b.containerPort,
      userlandProxy: this.settings.userlandProxy,
      gatewayMode: gatewayMode(n, v6),
    };
  }
}

/** A binding on an IPv6 host address ([::] or a given one). */
export function isIpv6Binding(b: PortBinding): boolean {
  return b.hostIp.includes(":");
}

function broadcastOf(subnet: number, prefixLen: number): number {
  return prefixLen >= 31 ? 0 : (subnet | (0xffffffff >>> prefixLen)) >>> 0;
}
