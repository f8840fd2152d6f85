/**
 * IPv6 text in the format of iproute2 6.1 on Linux 6.18 (`ip -6 addr`, `ip -6 route`,
 * `ip -6 neigh`), as captured in test/fixtures/linux/ipv6-kernel/transcript.txt: `inet6` lines with
 * their flags and trailing space, the short device header `ip -6 addr` prints, routes with
 * `pref medium`.
 */

import type { NetDevice } from "../link/net-device.js";
import { StackedDevice } from "../link/stacked-device.js";
import { Veth } from "../link/veth.js";
import { ipv6ToString } from "../util/ipv6-address.js";
import { macToString } from "../util/mac-address.js";
import type { Host } from "./host.js";
import { hasCarrier, linkLines } from "./ip-format.js";
import type { Inet6Address } from "./ipv6-addrconf.js";
import type { NetNamespace } from "./namespace.js";
import type { Neighbour } from "./neighbour.js";
import type { Route6 } from "./route6-table.js";

/** The two lines of one address: `inet6 fd00::a/64 scope global tentative `, then lifetimes. */
export function inet6Lines(a: Inet6Address): string[] {
  const flags = [
    a.nodad ? "nodad " : "",
    a.dadFailed ? "dadfailed " : "",
    a.tentative ? "tentative " : "",
  ].join("");
  return [
    `    inet6 ${ipv6ToString(a.address)}/${a.prefixLen} scope ${a.scope} ${flags}`,
    "       valid_lft forever preferred_lft forever",
  ];
}

/** A device's `inet6` lines, in the kernel's order. */
export function inet6AddressLines(ns: NetNamespace, dev: NetDevice): string[] {
  return ns.ipv6.addrconf.addresses.filter((a) => a.ifindex === dev.ifindex).flatMap(inet6Lines);
}

/**
 * The header `ip -6 addr` prints when it lists every device: no qdisc, group or link line, and the
 * link's index resolved as a name in this namespace (`eth1@eth0`), the kernel leaving it out when
 * it equals the device's own.
 */
export function shortHeader(host: Host, ns: NetNamespace, dev: NetDevice): string {
  const full = linkLines(host, ns, dev, false)[0] as string;
  const m = /^\d+: [^:]+: (<[^>]*>) mtu (\d+) .*state (\S+)/.exec(full);
  let name = dev.name;
  const iflink =
    dev instanceof Veth ? dev.peer.ifindex : dev instanceof StackedDevice ? dev.lower.ifindex : 0;
  if (iflink !== 0 && iflink !== dev.ifindex) name += `@${ns.devices.get(iflink)?.name ?? `if${iflink}`}`;
  return `${dev.ifindex}: ${name}: ${m?.[1]} mtu ${m?.[2]} state ${m?.[3]} qlen 1000`;
}

/** `ip -6 addr show dev DEV`'s header: the full first line with the link's namespace after it. */
export function longHeader(host: Host, ns: NetNamespace, dev: NetDevice): string {
  const [head, link] = linkLines(host, ns, dev, false) as [string, string];
  const netns = / (link-netns\S* \S+)$/.exec(link)?.[1];
  return netns ? `${head} ${netns}` : head;
}

/** One line of `ip -6 route show` (`table` adds ` table local` as `show table all` does). */
export function route6Line(ns: NetNamespace, r: Route6, table: "main" | "local", withTable = false): string {
  const dev = ns.devices.get(r.ifindex);
  const dst =
    r.prefixLen === 0
      ? "default"
      : r.prefixLen === 128
        ? ipv6ToString(r.dst)
        : `${ipv6ToString(r.dst)}/${r.prefixLen}`;
  let s = table === "local" || r.type !== "unicast" ? `${r.type} ${dst}` : dst;
  if (r.gateway) s += ` via ${ipv6ToString(r.gateway)}`;
  if (dev) s += ` dev ${dev.name}`;
  if (withTable && table === "local") s += " table local";
  if (r.protocol !== "boot") s += ` proto ${r.protocol}`;
  if (r.prefsrc) s += ` src ${ipv6ToString(r.prefsrc)}`;
  s += ` metric ${r.metric}`;
  if (dev && table === "main" && !hasCarrier(dev)) s += " linkdown";
  return `${s} pref medium`;
}

/** One line of `ip -6 neigh show`. */
export function neigh6Line(ns: NetNamespace, n: Neighbour<unknown>): string {
  const dev = ns.devices.get(n.ifindex);
  const ll = n.state === "INCOMPLETE" || n.state === "FAILED" ? "" : ` lladdr ${macToString(n.mac)}`;
  const router = n.router ? " router" : "";
  return `${ipv6ToString(ns.ipv6.ids.address(n.ip))} dev ${dev?.name ?? "?"}${ll}${router} ${n.state} `;
}
