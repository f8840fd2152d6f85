/**
 * The `ip` command of iproute2 (netns, link, addr, route, neigh) run against a Host. Arguments,
 * output and error texts follow iproute2 6.1; every command checks all it needs before it changes
 * anything, so a failing command leaves the namespace as it was. `ip netns exec` is the scenario
 * runner's business (it runs another command in a namespace), not this module's.
 */

import { Bridge } from "../link/bridge.js";
import type { NetDevice } from "../link/net-device.js";
import { ipv4ToString, parseIpv4 } from "../util/ipv4-address.js";
import { parseMac } from "../util/mac-address.js";
import type { Host } from "./host.js";
import {
  addressLines,
  briefAddrLine,
  briefLinkLine,
  linkLines,
  neighLine,
  routeLine,
  statsLines,
} from "./ip-format.js";
import { changeAddr6, maddr6, neigh6, route6, showAddr6 } from "./ip6-command.js";
import { inet6AddressLines } from "./ip6-format.js";
import { IPV4_MIN_MTU } from "./ipv4-stack.js";
import type { NetNamespace } from "./namespace.js";
import { prefixMask, type Route, type RouteType } from "./route-table.js";

export interface CommandResult {
  stdout: string;
  stderr: string;
  exit: number;
}

/** `-br`, `-s` and the address family (`-4`, `-6`; 0 for both). */
interface View {
  brief: boolean;
  stats: boolean;
  family: 0 | 4 | 6;
}

class IpError extends Error {
  constructor(
    message: string,
    readonly exit: number,
  ) {
    super(message);
  }
}

export function fail(message: string, exit = 2): never {
  throw new IpError(message, exit);
}

function setMac(dev: NetDevice, mac: number): void {
  if (dev instanceof Bridge) dev.setAddress(mac);
  else dev.mac = mac;
}

/** Does `word` abbreviate `full` (iproute2's matches())? */
export function matches(word: string | undefined, full: string): boolean {
  return word !== undefined && word.length > 0 && full.startsWith(word);
}

export function runIp(host: Host, ns: NetNamespace, argv: string[]): CommandResult {
  const args = [...argv];
  let target = ns;
  const out: string[] = [];
  const view: View = { brief: false, stats: false, family: 0 };
  try {
    while (args[0]?.startsWith("-")) {
      const opt = args.shift() as string;
      if (opt === "-n" || opt === "-netns") {
        const name = args.shift() ?? fail('Option "-n" requires an argument', 255);
        target =
          host.netns.get(name) ??
          fail(`Cannot open network namespace "${name}": No such file or directory`, 255);
      } else if (opt === "-br" || opt === "-brief") {
        view.brief = true;
      } else if (opt === "-s" || opt === "-stats" || opt === "-statistics") {
        view.stats = true;
      } else if (opt === "-4" || opt === "-6") {
        view.family = opt === "-4" ? 4 : 6;
      } else if (opt === "-f" || opt === "-family") {
        const f = args.shift();
        if (f !== "inet" && f !== "inet6")
          fail(`Error: argument "${f}" is wrong: invalid protocol family`, 255);
        view.family = f === "inet" ? 4 : 6;
      } else {
        fail(`Option "${opt}" is unknown, try "ip -help".`, 255);
      }
    }
    const object = args.shift();
    if (object === undefined) fail("Usage: ip [ OPTIONS ] OBJECT { COMMAND | help }", 255);
    else if (matches(object, "netns")) netns(host, args, out);
    else if (matches(object, "link")) link(host, target, args, out, view);
    else if (matches(object, "address")) addr(host, target, args, out, view);
    else if (matches(object, "route")) route(target, args, out, view);
    else if (matches(object, "neighbour") || matches(object, "neighbor")) neigh(target, args, out, view);
    else if (matches(object, "maddress")) maddr6(target, args, out);
    else fail(`Object "${object}" is unknown, try "ip help".`, 1);
    return { stdout: out.map((l) => `${l}\n`).join(""), stderr: "", exit: 0 };
  } catch (e) {
    if (!(e instanceof IpError)) throw e;
    return { stdout: "", stderr: `${e.message}\n`, exit: e.exit };
  }
}

function netns(host: Host, args: string[], out: string[]): void {
  const cmd = args.shift() ?? "list";
  const name = args[0];
  if (matches(cmd, "list") || cmd === "show") {
    for (const n of host.netns.keys()) out.push(n);
  } else if (matches(cmd, "add")) {
    if (!name) fail("No netns name specified", 1);
    if (host.netns.has(name as string))
      fail(`Cannot create namespace file "/run/netns/${name}": File exists`, 1);
    host.addNetns(name as string);
  } else if (matches(cmd, "delete")) {
    if (!name) fail("No netns name specified", 1);
    if (!host.netns.has(name as string)) {
      fail(`Cannot remove namespace file "/run/netns/${name}": No such file or directory`, 1);
    }
    host.delNetns(name as string);
  } else {
    fail(`Command "${cmd}" is unknown, try "ip netns help".`, 255);
  }
}

export function device(ns: NetNamespace, name: string | undefined): NetDevice {
  if (name === undefined) return fail('Not enough information: "dev" argument is required.', 1);
  return ns.device(name) ?? fail(`Cannot find device "${name}"`, 1);
}

/** The device `ip link show` / `ip addr show` lists (iproute2's own text when there is none). */
export function shown(ns: NetNamespace, name: string): NetDevice {
  return ns.device(name) ?? fail(`Device "${name}" does not exist.`, 1);
}

function link(host: Host, ns: NetNamespace, args: string[], out: string[], view: View): void {
  const cmd = args.shift() ?? "show";
  if (matches(cmd, "show") || matches(cmd, "list")) {
    if (args[0] === "dev") args.shift();
    const devs = args[0] ? [shown(ns, args[0])] : [...ns.devices.values()];
    for (const d of devs.sort((a, b) => a.ifindex - b.ifindex)) {
      if (view.brief) out.push(briefLinkLine(host, ns, d));
      else out.push(...linkLines(host, ns, d, true), ...(view.stats ? statsLines(d) : []));
    }
  } else if (matches(cmd, "add")) {
    linkAdd(host, ns, args);
  } else if (matches(cmd, "delete")) {
    if (args[0] === "dev") args.shift();
    host.deleteDevice(ns, device(ns, args[0]));
  } else if (matches(cmd, "set")) {
    linkSet(host, ns, args);
  } else {
    fail(`Command "${cmd}" is unknown, try "ip link help".`, 255);
  }
}

/** Options that may follow a device name in `ip link add` (for the device or its veth peer). */
interface NewLinkOptions {
  ns: NetNamespace;
  mac?: number;
  mtu?: number;
}

function linkOptions(host: Host, args: string[], stop: string, into: NewLinkOptions): void {
  while (args.length > 0 && args[0] !== stop) {
    const w = args.shift();
    const v = args.shift() ?? fail(`Command line is not complete. Try option "help"`, 255);
    if (w === "netns") into.ns = host.netns.get(v) ?? fail(`Cannot find netns "${v}"`, 1);
    else if (w === "address") into.mac = parseMac(v) ?? fail(`"${v}" is invalid lladdr.`, 1);
    else if (w === "mtu") into.mtu = Number(v);
    else if (w === "name") continue;
    else fail(`Error: either "dev" is duplicate, or "${w}" is a garbage.`, 255);
  }
}

function linkAdd(host: Host, ns: NetNamespace, args: string[]): void {
  // `link DEV` (the lower device of a vlan) may come before the name.
  let lowerName: string | undefined;
  const at = args.indexOf("link");
  if (at >= 0 && at < (args.indexOf("type") < 0 ? args.length : args.indexOf("type"))) {
    lowerName = args[at + 1];
    args.splice(at, 2);
  }
  if (args[0] === "name") args.shift();
  const name = args.shift() ?? fail('Not enough information: "dev" argument is required.', 1);
  const own: NewLinkOptions = { ns };
  linkOptions(host, args, "type", own);
  if (args.shift() !== "type") fail('Not enough information: "type" argument is required.', 1);
  const kind = args.shift();
  if (own.ns.device(name as string)) fail("RTNETLINK answers: File exists", 2);
  let dev: NetDevice;
  if (kind === "bridge") {
    dev = host.addBridge(own.ns, name as string);
  } else if (kind === "dummy") {
    dev = host.addDummy(own.ns, name as string);
  } else if (kind === "veth") {
    // The peer is made where the command runs unless it names its own netns (veth_newlink).
    const peer: NewLinkOptions = { ns };
    let peerName = "";
    if (args[0] === "peer") {
      args.shift();
      if ((args[0] as string) === "name") args.shift();
      peerName = args.shift() ?? "";
      linkOptions(host, args, "", peer);
    }
    // Without a peer name the kernel picks vethN.
    if (!peerName) for (let i = 0; !peerName; i++) if (!peer.ns.device(`veth${i}`)) peerName = `veth${i}`;
    if (peer.ns.device(peerName) || (peer.ns === own.ns && peerName === name))
      fail("RTNETLINK answers: File exists", 2);
    const [a, b] = host.addVeth(own.ns, name as string, peer.ns, peerName);
    if (peer.mac !== undefined) b.mac = peer.mac;
    if (peer.mtu !== undefined) b.mtu = peer.mtu;
    dev = a;
  } else if (kind === "vlan") {
    const lower = lowerName === undefined ? undefined : ns.device(lowerName);
    if (lowerName === undefined) fail('Error: "link" argument is required for VLAN devices.', 2);
    if (!lower) fail(`Cannot find device "${lowerName}"`, 1);
    if (args[0] !== "id") fail("Error: 8021q: VLAN id not specified.", 2);
    const id = Number(args[1]);
    if (!(Number.isInteger(id) && id >= 0 && id < 4095))
      fail(`Error: argument "${args[1]}" is wrong: id is invalid`, 1);
    if (own.ns !== ns) fail("Error: the VLAN device is made where its lower device is.", 2);
    dev = host.addVlan(ns, name as string, lower as NetDevice, id);
  } else {
    fail("Error: Unknown device type.", 2);
    return;
  }
  if (own.mac !== undefined) setMac(dev, own.mac);
  if (own.mtu !== undefined) dev.mtu = own.mtu;
}

function linkSet(host: Host, ns: NetNamespace, args: string[]): void {
  if (args[0] === "dev") args.shift();
  const dev = device(ns, args.shift());
  const changes: Array<() => void> = [];
  while (args.length > 0) {
    const w = args.shift() as string;
    const value = (): string => args.shift() ?? fail(`Command line is not complete. Try option "help"`, 255);
    if (w === "up" || w === "down") changes.push(() => ns.setUp(dev, w === "up"));
    else if (w === "master") {
      const v = value();
      const br = ns.device(v);
      if (!br) fail(`Device does not exist`, 1);
      if (!(br instanceof Bridge)) fail("RTNETLINK answers: Operation not supported", 2);
      changes.push(() => ns.setMaster(dev, br as Bridge));
    } else if (w === "nomaster") changes.push(() => ns.setMaster(dev, undefined));
    else if (w === "netns") {
      const v = value();
      const to = host.netns.get(v) ?? fail(`Cannot find netns "${v}"`, 1);
      if (to.device(dev.name)) fail("RTNETLINK answers: File exists", 2);
      changes.push(() => host.moveDevice(ns, dev, to));
    } else if (w === "name") {
      const v = value();
      if (ns.device(v)) fail("RTNETLINK answers: File exists", 2);
      if (dev.up) fail("RTNETLINK answers: Device or resource busy", 2);
      changes.push(() => {
        ns.sysctl.renameDevice(dev.name, v);
        dev.name = v;
      });
    } else if (w === "address") {
      const v = value();
      const m = parseMac(v) ?? fail(`"${v}" is invalid lladdr.`, 1);
      changes.push(() => setMac(dev, m));
    } else if (w === "mtu") {
      const v = value();
      const mtu =
        /^\d+$/.test(v) && Number(v) <= 0x7fffffff
          ? Number(v)
          : fail(`Error: argument "${v}" is wrong: Invalid "mtu" value`, 255);
      if (dev.maxMtu > 0 && mtu > dev.maxMtu) fail("Error: mtu greater than device maximum.", 2);
      if (mtu < dev.minMtu) fail("Error: mtu less than device minimum.", 2);
      changes.push(() => ns.setMtu(dev, mtu));
    } else fail(`Error: either "dev" is duplicate, or "${w}" is a garbage.`, 255);
  }
  for (const c of changes) c();
}

function parsePrefix(text: string | undefined, what: "inet prefix" | "any valid prefix"): [number, number] {
  const [a, l] = (text ?? "").split("/");
  const address = parseIpv4(a ?? "");
  const len = l === undefined ? 32 : /^\d+$/.test(l) ? Number(l) : -1;
  if (address === undefined || len < 0 || len > 32)
    fail(`Error: ${what} is expected rather than "${text}".`, 1);
  return [address as number, len];
}

function addr(host: Host, ns: NetNamespace, args: string[], out: string[], view: View): void {
  const cmd = args.shift() ?? "show";
  if (matches(cmd, "show") || matches(cmd, "list")) {
    if (args[0] === "dev") args.shift();
    if (view.family === 6 && !view.brief) {
      showAddr6(host, ns, args[0], out);
      return;
    }
    const devs = args[0] ? [shown(ns, args[0])] : [...ns.devices.values()];
    for (const d of devs.sort((a, b) => a.ifindex - b.ifindex)) {
      if (view.brief) out.push(briefAddrLine(host, ns, d, view.family));
      else {
        const v4 = addressLines(ns, d);
        // `ip -4 addr` leaves out devices without an IPv4 address (ipaddr_filter).
        if (view.family === 4 && v4.length === 0) continue;
        out.push(...linkLines(host, ns, d, false), ...v4);
        if (view.family === 0) out.push(...inet6AddressLines(ns, d));
      }
    }
    return;
  }
  if (matches(cmd, "flush")) {
    if (args[0] === "dev") args.shift();
    const dev = device(ns, args[0]);
    if (view.family !== 6)
      for (const a of ns.addresses.filter((x) => x.ifindex === dev.ifindex)) ns.delAddress(a);
    if (view.family !== 4)
      for (const a of ns.ipv6.addrconf.addresses.filter((x) => x.ifindex === dev.ifindex))
        ns.ipv6.addrconf.del(dev, a.address);
    return;
  }
  if (!matches(cmd, "add") && !matches(cmd, "delete") && cmd !== "del") {
    fail(`Command "${cmd}" is unknown, try "ip address help".`, 255);
  }
  if (view.family === 6 || args[0]?.includes(":")) {
    changeAddr6(ns, cmd, args.shift(), args);
    return;
  }
  const [address, len] = parsePrefix(args.shift(), view.family === 4 ? "inet prefix" : "any valid prefix");
  let dev: NetDevice | undefined;
  let brd: number | "+" | undefined;
  while (args.length > 0) {
    const w = args.shift();
    if (w === "dev") dev = device(ns, args.shift());
    else if (w === "brd" || w === "broadcast") {
      const v = args.shift();
      brd =
        v === "+"
          ? "+"
          : (parseIpv4(v ?? "") ?? fail(`Error: an IP address is expected rather than "${v}".`, 1));
    }
  }
  if (!dev) fail('Not enough information: "dev" argument is required.', 1);
  const existing = ns.addresses.find(
    (a) => a.ifindex === dev.ifindex && a.address === address && a.prefixLen === len,
  );
  if (matches(cmd, "add")) {
    // Below IPv4's minimum MTU the device has no IPv4 config at all (inetdev_valid_mtu).
    if (dev.mtu < IPV4_MIN_MTU) fail("RTNETLINK answers: No buffer space available", 2);
    if (existing) fail("Error: ipv4: Address already assigned.", 2);
    const broadcast = brd === "+" ? (address | ~prefixMask(len)) >>> 0 : (brd ?? 0);
    ns.addAddress(dev, address, len, broadcast);
  } else {
    if (!existing) fail("Error: ipv4: Address not found.", 2);
    ns.delAddress(existing as NonNullable<typeof existing>);
  }
}

function route(ns: NetNamespace, args: string[], out: string[], view: View): void {
  const cmd = args.shift() ?? "show";
  const target = args.find((a) => a !== "unreachable" && a !== "blackhole" && a !== "prohibit");
  if (view.family === 6 || (!matches(cmd, "show") && !matches(cmd, "list") && target?.includes(":"))) {
    route6(ns, cmd, args, out);
    return;
  }
  if (matches(cmd, "show") || matches(cmd, "list")) {
    const table = args[0] === "table" && args[1] === "local" ? "local" : "main";
    for (const r of (table === "local" ? ns.local : ns.main).routes()) out.push(routeLine(ns, r, table));
    return;
  }
  if (matches(cmd, "get")) {
    const [dst] = parsePrefix(args.shift(), "any valid prefix");
    const local = ns.isLocal(dst);
    const errno = ns.ipv4.routeErrno(dst);
    if (errno === "ENETUNREACH") fail("RTNETLINK answers: Network is unreachable", 2);
    if (errno === "EHOSTUNREACH") fail("RTNETLINK answers: No route to host", 2);
    if (errno === "EINVAL") fail("RTNETLINK answers: Invalid argument", 2);
    if (errno === "EACCES") fail("RTNETLINK answers: Permission denied", 2);
    const rr = (local ? ns.local.lookup(dst) : ns.main.lookup(dst)) as Route;
    const dev = local ? ns.lo : ns.devices.get(rr.ifindex);
    const src = ns.ipv4.sourceFor(dst);
    const via = rr.gateway ? ` via ${ipv4ToString(rr.gateway)}` : "";
    out.push(
      `${local ? "local " : ""}${ipv4ToString(dst)}${via} dev ${dev?.name} src ${ipv4ToString(src)} uid 0 `,
    );
    out.push(local ? "    cache <local> " : "    cache ");
    return;
  }
  const isAdd = matches(cmd, "add") || cmd === "replace";
  if (!isAdd && !matches(cmd, "delete")) fail(`Command "${cmd}" is unknown, try "ip route help".`, 255);
  let type: RouteType = "unicast";
  if (args[0] === "unreachable" || args[0] === "blackhole" || args[0] === "prohibit")
    type = args.shift() as RouteType;
  const dstText = args.shift();
  const [dst, len] = dstText === "default" ? [0, 0] : parsePrefix(dstText, "any valid prefix");
  const spec: Route = {
    dst: (dst & prefixMask(len)) >>> 0,
    prefixLen: len,
    type,
    gateway: 0,
    ifindex: 0,
    metric: 0,
    protocol: "boot",
    scope: "universe",
    prefsrc: 0,
  };
  let dev: NetDevice | undefined;
  while (args.length > 0) {
    const w = args.shift();
    const v = args.shift() ?? fail(`Command line is not complete. Try option "help"`, 255);
    if (w === "via") spec.gateway = parsePrefix(v, "any valid prefix")[0];
    else if (w === "dev") dev = device(ns, v);
    else if (w === "metric" || w === "preference") spec.metric = Number(v);
    else if (w === "src") spec.prefsrc = parsePrefix(v, "any valid prefix")[0];
    else if (w === "proto") spec.protocol = v === "static" ? "static" : v === "kernel" ? "kernel" : "boot";
    else if (w === "scope") spec.scope = v === "link" ? "link" : v === "host" ? "host" : "universe";
  }
  if (!isAdd) {
    const match: Partial<Route> & { dst: number; prefixLen: number } = { dst: spec.dst, prefixLen: len };
    if (dev) match.ifindex = dev.ifindex;
    if (spec.gateway) match.gateway = spec.gateway;
    if (!ns.main.remove(match)) fail("RTNETLINK answers: No such process", 2);
    return;
  }
  if (type === "unicast") {
    if (spec.gateway) {
      const via = ns.main.lookup(spec.gateway);
      // The gateway must be on a connected network (of `dev`, when one is named).
      if (via?.gateway !== 0 || (dev && via.ifindex !== dev.ifindex))
        fail("Error: Nexthop has invalid gateway.", 2);
      dev ??= ns.devices.get(via.ifindex);
    } else if (!dev) {
      fail("Error: Device for nexthop is not up.", 2);
    } else {
      spec.scope = "link";
    }
    if (!dev?.up) fail("Error: Device for nexthop is not up.", 2);
    spec.ifindex = (dev as NetDevice).ifindex;
    if (cmd === "replace") ns.main.remove({ dst: spec.dst, prefixLen: len, metric: spec.metric });
  }
  if (!ns.main.add(spec)) fail("RTNETLINK answers: File exists", 2);
}

function neigh(ns: NetNamespace, args: string[], out: string[], view: View): void {
  const cmd = args.shift() ?? "show";
  if (view.family === 6 || (!matches(cmd, "show") && !matches(cmd, "list") && args[0]?.includes(":"))) {
    neigh6(ns, cmd, args, out);
    return;
  }
  if (matches(cmd, "show") || matches(cmd, "list")) {
    const devName = args[0] === "dev" ? args[1] : undefined;
    const dev = devName ? device(ns, devName) : undefined;
    for (const n of ns.neigh.list()) if (!dev || n.ifindex === dev.ifindex) out.push(neighLine(ns, n));
    if (view.family === 0) neigh6(ns, cmd, [...args], out);
    return;
  }
  if (matches(cmd, "flush")) {
    if (args[0] === "dev") args.shift();
    ns.neigh.flushDevice(device(ns, args[0]).ifindex);
    return;
  }
  const ip = parsePrefix(args.shift(), "any valid prefix")[0];
  let mac: number | undefined;
  let dev: NetDevice | undefined;
  while (args.length > 0) {
    const w = args.shift();
    const v = args.shift();
    if (w === "lladdr") mac = parseMac(v ?? "") ?? fail(`"${v}" is invalid lladdr.`, 1);
    else if (w === "dev") dev = device(ns, v);
  }
  if (!dev) fail("Device and destination are required arguments.", 255);
  if (matches(cmd, "add") || cmd === "replace") {
    if (mac === undefined) fail("Device and destination are required arguments.", 255);
    if (cmd !== "replace" && ns.neigh.get(dev.ifindex, ip)) fail("RTNETLINK answers: File exists", 2);
    ns.neigh.addPermanent(dev.ifindex, ip, mac as number);
  } else if (matches(cmd, "delete")) {
    if (!ns.neigh.delete(dev.ifindex, ip)) fail("RTNETLINK answers: No such file or directory", 2);
  } else {
    fail(`Command "${cmd}" is unknown, try "ip neigh help".`, 255);
  }
}
