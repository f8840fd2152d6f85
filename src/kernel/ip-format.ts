/**
 * Text in the format of iproute2 6.1 (`ip link`, `ip addr`, `ip route`, `ip neigh`), for the
 * objects of a namespace. Trailing spaces are kept where `ip` prints them. dockwire namespaces have
 * IPv6 disabled, so no inet6 lines appear (as with net.ipv6.conf.all.disable_ipv6=1).
 */

import { Bridge } from "../link/bridge.js";
import { Dummy } from "../link/dummy.js";
import { Loopback } from "../link/loopback.js";
import type { NetDevice } from "../link/net-device.js";
import { Veth } from "../link/veth.js";
import { ipv4ToString } from "../util/ipv4-address.js";
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
  if (dev instanceof Veth) {
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
    dev instanceof Loopback ? "LOOPBACK" : dev instanceof Dummy ? "BROADCAST,NOARP" : "BROADCAST,MULTICAST",
  );
  if (dev.up) flags.push("UP");
  if (carrier) flags.push("LOWER_UP");
  const lowerDown = dev.up && !carrier && peerHere;
  if (lowerDown) flags.push("M-DOWN");
  let state = "DOWN";
  if (carrier)
    state =
      dev instanceof Loopback || dev instanceof Dummy || (dev instanceof Bridge && dev.ports.length === 0)
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
