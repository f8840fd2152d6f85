/**
 * Text in the format of iproute2 6.1 (`ip link`, `ip addr`, `ip route`, `ip neigh`), for the
 * objects of a namespace. Trailing spaces are kept where `ip` prints them. IPv6 text is in
 * ip6-format.ts.
 */

import { Bridge } from "../link/bridge.js";
import { Dummy } from "../link/dummy.js";
import { Ipvlan } from "../link/ipvlan.js";
import { Loopback } from "../link/loopback.js";
import type { NetDevice } from "../link/net-device.js";
import { StackedDevice } from "../link/stacked-device.js";
import { Veth } from "../link/veth.js";
import { ipv4ToString } from "../util/ipv4-address.js";
import { ipv6ToString } from "../util/ipv6-address.js";
import { macToString } from "../util/mac-address.js";
import type { Host } from "./host.js";
import type { IfAddress, NetNamespace } from "./namespace.js";
import type { Neighbour } from "./neighbour.js";
import type { Route } from "./route-table.js";

/** Carrier as the kernel sees it: veth needs its peer up; a bridge needs a port with carrier (or none). */
export function hasCarrier(dev: NetDevice): boolean {
  if (!dev.up) return false;
  if (dev instanceof Veth) return dev.peer.up;
  if (dev instanceof Bridge) return dev.ports.length === 0 || dev.ports.some((p) => hasCarrier(p.dev));
  return true;
}

function masterOf(ns: NetNamespace, dev: NetDevice): Bridge | undefined {
  for (const d of ns.devices.values()) if (d instanceof Bridge && d.portOf(dev)) return d;
  return undefined;
}

/** The first line and the link/ether line of `ip link show` (`mode DEFAULT` only there). */
export function linkLines(host: Host, ns: NetNamespace, dev: NetDevice, linkCommand: boolean): string[] {
  let name = dev.name;
  let netnsText = "";
  let peerHere = false;
  if (dev instanceof StackedDevice) {
    // A macvlan names its lower device: by name in the same namespace, by ifindex in another.
    const lower = dev.lower;
    const lowerNs = host.namespaceOf(lower);
    if (lowerNs === ns) name += `@${lower.name}`;
    else {
      name += `@if${lower.ifindex}`;
      const lowerName = lowerNs ? host.nameOf(lowerNs) : undefined;
      netnsText = lowerName === undefined ? " link-netnsid 0" : ` link-netns ${lowerName}`;
    }
  } else if (dev instanceof Veth) {
    const peerNs = host.namespaceOf(dev.peer);
    peerHere = peerNs === ns;
    if (peerHere) name += `@${dev.peer.name}`;
    else {
      name += `@if${dev.peer.ifindex}`;
      const peerName = peerNs ? host.nameOf(peerNs) : undefined;
      netnsText = peerName === undefined ? " link-netnsid 0" : ` link-netns ${peerName}`;
    }
  }
  const carrier = hasCarrier(dev);
  const flags: string[] = [];
  if (dev.up && !carrier) flags.push("NO-CARRIER");
  flags.push(
    dev instanceof Loopback
      ? "LOOPBACK"
      : dev instanceof Dummy
        ? "BROADCAST,NOARP"
        : dev.noArp
          ? "BROADCAST,MULTICAST,NOARP"
          : "BROADCAST,MULTICAST",
  );
  if (dev.up) flags.push("UP");
  if (carrier) flags.push("LOWER_UP");
  // M-DOWN: the device's lower link (a veth's peer in this namespace) is down, whatever our state.
  const lowerLinkDown = dev instanceof Veth && peerHere && !dev.peer.up;
  if (lowerLinkDown) flags.push("M-DOWN");
  const lowerDown = dev.up && !carrier && lowerLinkDown;
  let state = "DOWN";
  if (carrier)
    state =
      // ipvlan never reports a carrier change (no linkwatch event): its operstate stays unknown.
      dev instanceof Loopback ||
      dev instanceof Dummy ||
      dev instanceof Ipvlan ||
      (dev instanceof Bridge && dev.ports.length === 0)
        ? "UNKNOWN"
        : "UP";
  else if (lowerDown) state = "LOWERLAYERDOWN";
  const master = masterOf(ns, dev);
  const head =
    `${dev.ifindex}: ${name}: <${flags.join(",")}> mtu ${dev.mtu} qdisc ${dev.up ? "noqueue" : "noop"}` +
    `${master ? ` master ${master.name}` : ""} state ${state}${linkCommand ? " mode DEFAULT" : ""} group default qlen 1000`;
  const link =
    dev instanceof Loopback
      ? "    link/loopback 00:00:00:00:00:00 brd 00:00:00:00:00:00"
      : `    link/ether ${macToString(dev.mac)} brd ff:ff:ff:ff:ff:ff${netnsText}`;
  return [head, link];
}

/** The name with its `@peer` / `@ifN` suffix and the flags, as the first line shows them. */
function nameAndFlags(
  host: Host,
  ns: NetNamespace,
  dev: NetDevice,
): { name: string; flags: string; state: string } {
  const first = linkLines(host, ns, dev, false)[0] as string;
  const m = /^\d+: (\S+): (<[^>]*>).* state (\S+)/.exec(first);
  return { name: m?.[1] ?? dev.name, flags: m?.[2] ?? "", state: m?.[3] ?? "" };
}

/** `ip -br link`: name, state, MAC, flags. */
export function briefLinkLine(host: Host, ns: NetNamespace, dev: NetDevice): string {
  const { name, flags, state } = nameAndFlags(host, ns, dev);
  return `${name.padEnd(16)} ${state.padEnd(14)} ${macToString(dev.mac)} ${flags} `;
}

/** `ip -br addr`: name, state, then each IPv4 address, then each IPv6 one (family 0: both). */
export function briefAddrLine(host: Host, ns: NetNamespace, dev: NetDevice, family: 0 | 4 | 6 = 0): string {
  const { name, state } = nameAndFlags(host, ns, dev);
  const v4 = ns.addresses
    .filter((a) => family !== 6 && a.ifindex === dev.ifindex)
    .map((a) => `${ipv4ToString(a.address)}/${a.prefixLen} `);
  const v6 = ns.ipv6.addrconf.addresses
    .filter((a) => family !== 4 && a.ifindex === dev.ifindex)
    .map((a) => `${ipv6ToString(a.address)}/${a.prefixLen} `);
  return `${name.padEnd(16)} ${state.padEnd(14)} ${[...v4, ...v6].join("")}`;
}

/** The four statistics lines `ip -s link` adds. */
export function statsLines(dev: NetDevice): string[] {
  const s = dev.stats;
  const row = (bytes: number, packets: number, dropped: number) =>
    `${String(bytes).padStart(14)}${String(packets).padStart(8)}${"0".padStart(7)}${String(dropped).padStart(8)}${"0".padStart(8)}${"0".padStart(8)} `;
  return [
    "    RX:  bytes packets errors dropped  missed   mcast           ",
    row(s.rxBytes, s.rxPackets, s.rxDropped),
    "    TX:  bytes packets errors dropped carrier collsns           ",
    row(s.txBytes, s.txPackets, s.txDropped),
  ];
}

/** `inet` lines of `ip addr show` for one device. */
export function addressLines(ns: NetNamespace, dev: NetDevice): string[] {
  const out: string[] = [];
  const mine = ns.addresses.filter((a) => a.ifindex === dev.ifindex);
  mine.forEach((a, i) => {
    const secondary = mine.slice(0, i).some((p) => sameSubnet(p, a));
    const brd = a.broadcast ? ` brd ${ipv4ToString(a.broadcast)}` : "";
    const scope = dev instanceof Loopback ? "host" : "global";
    out.push(
      `    inet ${ipv4ToString(a.address)}/${a.prefixLen}${brd} scope ${scope}${secondary ? " secondary" : ""} ${dev.name}`,
    );
    out.push("       valid_lft forever preferred_lft forever");
  });
  return out;
}

function sameSubnet(a: IfAddress, b: IfAddress): boolean {
  if (a.prefixLen !== b.prefixLen) return false;
  const mask = a.prefixLen === 0 ? 0 : (0xffffffff << (32 - a.prefixLen)) >>> 0;
  return ((a.address ^ b.address) & mask) === 0;
}

/** One line of `ip route show` (with its trailing space). */
export function routeLine(ns: NetNamespace, r: Route, table: "main" | "local"): string {
  const dev = ns.devices.get(r.ifindex);
  const dst =
    r.prefixLen === 0
      ? "default"
      : r.prefixLen === 32 && table === "local"
        ? ipv4ToString(r.dst)
        : `${ipv4ToString(r.dst)}/${r.prefixLen}`;
  let s = table === "local" || r.type !== "unicast" ? `${r.type} ${dst}` : dst;
  if (r.prefixLen === 32 && table === "main") s = ipv4ToString(r.dst);
  if (r.gateway) s += ` via ${ipv4ToString(r.gateway)}`;
  if (dev) s += ` dev ${dev.name}`;
  if (r.protocol !== "boot") s += ` proto ${r.protocol}`;
  if (r.scope !== "universe") s += ` scope ${r.scope}`;
  if (r.prefsrc) s += ` src ${ipv4ToString(r.prefsrc)}`;
  if (r.metric) s += ` metric ${r.metric}`;
  if (dev && table === "main" && !hasCarrier(dev)) s += " linkdown";
  return `${s} `;
}

/** One line of `ip neigh show`. */
export function neighLine(ns: NetNamespace, n: Neighbour<unknown>): string {
  const dev = ns.devices.get(n.ifindex);
  const ll = n.state === "INCOMPLETE" || n.state === "FAILED" ? "" : ` lladdr ${macToString(n.mac)}`;
  return `${ipv4ToString(n.ip)} dev ${dev?.name ?? "?"}${ll} ${n.state} `;
}
