/**
 * The IPv6 half of `ip` (iproute2 6.1): `ip -6 addr`, `ip -6 route`, `ip -6 neigh`, `ip -6 maddr`, and the forms
 * without `-6` whose address is IPv6 (`ip addr add fd00::a/64 dev eth0`). Output and errors are
 * those of Linux 6.18 (test/fixtures/linux/ipv6-kernel/transcript.txt).
 *
 * Deviations: `ip -6 neigh show nud all` leaves out the kernel's NOARP entries for multicast
 * groups; `ip maddr` shows IPv6 groups only (IPv4's and the link-layer list are not modelled).
 */

import type { NetDevice } from "../link/net-device.js";
import { ipv6ToString, parseIpv6 } from "../util/ipv6-address.js";
import { parseMac } from "../util/mac-address.js";
import type { Host } from "./host.js";
import { device, fail, matches, shown } from "./ip-command.js";
import { inet6AddressLines, longHeader, neigh6Line, route6Line, shortHeader } from "./ip6-format.js";
import type { NetNamespace } from "./namespace.js";
import { maskPrefix, type Route6, type Route6Type } from "./route6-table.js";

/** `ADDR[/LEN]` as IPv6, or iproute2's error naming what it expected. */
export function parsePrefix6(text: string | undefined, what = "inet6 prefix"): [Uint8Array, number] {
  const [a, l, extra] = (text ?? "").split("/");
  const address = parseIpv6(a ?? "");
  const len = l === undefined ? 128 : /^\d+$/.test(l) ? Number(l) : -1;
  if (address === undefined || extra !== undefined || len < 0 || len > 128)
    return fail(`Error: ${what} is expected rather than "${text}".`, 1);
  return [address, len];
}

/** `ip -6 addr show [dev DEV]` and the `inet6` lines of `ip addr`. */
export function showAddr6(host: Host, ns: NetNamespace, devName: string | undefined, out: string[]): void {
  const devs = devName
    ? [shown(ns, devName)]
    : [...ns.devices.values()].sort((a, b) => a.ifindex - b.ifindex);
  for (const d of devs) {
    const lines = inet6AddressLines(ns, d);
    if (lines.length === 0) continue;
    out.push(devName ? longHeader(host, ns, d) : shortHeader(host, ns, d), ...lines);
  }
}

/** `ip addr add|del ADDR/LEN dev DEV [nodad]` for an IPv6 address. */
export function changeAddr6(ns: NetNamespace, cmd: string, prefix: string | undefined, args: string[]): void {
  const [address, len] = parsePrefix6(prefix, "inet6 prefix");
  let dev: NetDevice | undefined;
  let nodad = false;
  while (args.length > 0) {
    const w = args.shift();
    if (w === "dev") dev = device(ns, args.shift());
    else if (w === "nodad") nodad = true;
  }
  if (!dev) fail('Not enough information: "dev" argument is required.', 1);
  if (matches(cmd, "add")) {
    const added = ns.ipv6.addrconf.add(dev as NetDevice, address, len, { nodad });
    if (typeof added === "string") fail(added, 2);
  } else if (!ns.ipv6.addrconf.del(dev as NetDevice, address)) {
    fail("Error: ipv6: address not found.", 2);
  }
}

/** `ip -6 maddr [show [dev DEV]]`: each device's IPv6 groups, newest first. */
export function maddr6(ns: NetNamespace, args: string[], out: string[]): void {
  if (args[0] === "show" || args[0] === "list") args.shift();
  const at = args.indexOf("dev");
  const only = at >= 0 ? device(ns, args[at + 1]) : undefined;
  for (const d of [...ns.devices.values()].sort((a, b) => a.ifindex - b.ifindex)) {
    if (only && d !== only) continue;
    const groups = ns.ipv6.mld.groups(d.ifindex);
    if (groups.length === 0) continue;
    out.push(`${d.ifindex}:\t${d.name}`, ...groups.map((g) => `\tinet6 ${ipv6ToString(g.address)}`));
  }
}

/** `ip -6 route ...`. */
export function route6(ns: NetNamespace, cmd: string, args: string[], out: string[]): void {
  const v6 = ns.ipv6;
  if (matches(cmd, "show") || matches(cmd, "list")) {
    const table = args[0] === "table" ? args[1] : "main";
    if (table === "main" || table === "all")
      for (const r of v6.main.routes()) out.push(route6Line(ns, r, "main"));
    if (table === "local" || table === "all")
      for (const r of v6.local.routes()) out.push(route6Line(ns, r, "local", table === "all"));
    return;
  }
  if (matches(cmd, "get")) {
    const target = args.shift();
    const [name, zone] = (target ?? "").split("%");
    const [dst] = parsePrefix6(name, "inet6 prefix");
    const oif = zone ? device(ns, zone).ifindex : 0;
    const errno = v6.routeErrno(dst, oif);
    if (errno === "ENETUNREACH") fail("RTNETLINK answers: Network is unreachable", 2);
    if (errno === "EINVAL") fail("RTNETLINK answers: Invalid argument", 2);
    if (errno === "EACCES") fail("RTNETLINK answers: Permission denied", 2);
    const r = v6.routeFor(dst, oif) as Route6;
    const src = v6.sourceFor(dst, oif);
    const dev = ns.devices.get(r.type === "local" ? ns.lo.ifindex : r.ifindex);
    let s = `${r.type === "local" ? "local " : ""}${ipv6ToString(dst)} from ::`;
    if (r.gateway) s += ` via ${ipv6ToString(r.gateway)}`;
    s += ` dev ${dev?.name}`;
    if (r.type === "local") s += " table local";
    if (r.protocol !== "boot") s += ` proto ${r.protocol}`;
    if (src) s += ` src ${ipv6ToString(src)}`;
    out.push(`${s} metric ${r.metric} pref medium`);
    return;
  }
  const isAdd = matches(cmd, "add") || cmd === "replace";
  if (!isAdd && !matches(cmd, "delete")) fail(`Command "${cmd}" is unknown, try "ip route help".`, 255);
  let type: Route6Type = "unicast";
  if (args[0] === "unreachable" || args[0] === "blackhole" || args[0] === "prohibit")
    type = args.shift() as Route6Type;
  const dstText = args.shift();
  const [dst, len] = dstText === "default" ? [new Uint8Array(16), 0] : parsePrefix6(dstText, "inet6 prefix");
  const spec: Route6 = {
    dst: maskPrefix(dst, len),
    prefixLen: len,
    type,
    gateway: undefined,
    ifindex: 0,
    metric: 1024,
    protocol: "boot",
    prefsrc: undefined,
  };
  let dev: NetDevice | undefined;
  let metricGiven = false;
  while (args.length > 0) {
    const w = args.shift();
    const v = args.shift() ?? fail(`Command line is not complete. Try option "help"`, 255);
    if (w === "via") spec.gateway = parsePrefix6(v, "inet6 address")[0];
    else if (w === "dev") dev = device(ns, v);
    else if (w === "metric" || w === "preference") {
      spec.metric = Number(v);
      metricGiven = true;
    } else if (w === "src") spec.prefsrc = parsePrefix6(v, "inet6 address")[0];
    else if (w === "proto") spec.protocol = v === "static" ? "static" : v === "kernel" ? "kernel" : "boot";
  }
  if (!isAdd) {
    const gone = v6.main.removeWhere(
      (r) =>
        r.prefixLen === len &&
        r.dst.every((b, i) => b === spec.dst[i]) &&
        (!dev || r.ifindex === dev.ifindex) &&
        (!metricGiven || r.metric === spec.metric) &&
        (!spec.gateway || (r.gateway?.every((b, i) => b === spec.gateway?.[i]) ?? false)),
    );
    if (gone.length === 0) fail("RTNETLINK answers: No such process", 2);
    // One route per command, as the kernel deletes the first match.
    for (const r of gone.slice(1)) v6.main.add(r);
    return;
  }
  if (type === "unicast") {
    if (spec.gateway) {
      const via = v6.main.lookup(spec.gateway, 0, dev?.ifindex ?? 0);
      const linkLocal = spec.gateway[0] === 0xfe && ((spec.gateway[1] as number) & 0xc0) === 0x80;
      if (!linkLocal && (via === undefined || via.gateway !== undefined))
        fail("Error: Nexthop has invalid gateway.", 2);
      if (linkLocal && !dev) fail("Error: Nexthop has invalid gateway.", 2);
      dev ??= ns.devices.get((via as Route6).ifindex);
    } else if (!dev) {
      fail("Error: Device for nexthop is not up.", 2);
    }
    if (!dev?.up) fail("Error: Device for nexthop is not up.", 2);
    spec.ifindex = (dev as NetDevice).ifindex;
  } else {
    spec.ifindex = ns.lo.ifindex;
  }
  if (cmd === "replace")
    v6.main.removeWhere(
      (r) => r.prefixLen === len && r.metric === spec.metric && r.dst.every((b, i) => b === spec.dst[i]),
    );
  if (!v6.main.add(spec)) fail("RTNETLINK answers: File exists", 2);
}

/** `ip -6 neigh ...` (show lists IPv6 entries only; add/del for an IPv6 neighbour). */
export function neigh6(ns: NetNamespace, cmd: string, args: string[], out: string[]): void {
  const table = ns.ipv6.neigh;
  if (matches(cmd, "show") || matches(cmd, "list")) {
    const at = args.indexOf("dev");
    const dev = at >= 0 ? device(ns, args[at + 1]) : undefined;
    for (const n of table.list()) if (!dev || n.ifindex === dev.ifindex) out.push(neigh6Line(ns, n));
    return;
  }
  if (matches(cmd, "flush")) {
    if (args[0] === "dev") args.shift();
    table.flushDevice(device(ns, args[0]).ifindex);
    return;
  }
  const [address] = parsePrefix6(args.shift(), "inet6 address");
  let mac: number | undefined;
  let dev: NetDevice | undefined;
  while (args.length > 0) {
    const w = args.shift();
    const v = args.shift();
    if (w === "lladdr") mac = parseMac(v ?? "") ?? fail(`"${v}" is invalid lladdr.`, 1);
    else if (w === "dev") dev = device(ns, v);
  }
  if (!dev) fail("Device and destination are required arguments.", 255);
  const ifindex = (dev as NetDevice).ifindex;
  const id = ns.ipv6.ids.idOf(address, 0);
  if (matches(cmd, "add") || cmd === "replace") {
    if (mac === undefined) fail("Device and destination are required arguments.", 255);
    if (cmd !== "replace" && table.get(ifindex, id)) fail("RTNETLINK answers: File exists", 2);
    table.addPermanent(ifindex, id, mac as number);
  } else if (matches(cmd, "delete")) {
    if (!table.delete(ifindex, id)) fail("RTNETLINK answers: No such file or directory", 2);
  } else {
    fail(`Command "${cmd}" is unknown, try "ip neigh help".`, 255);
  }
}
