/**
 * The `bridge` command of iproute2 6.1 for `fdb` and `link`: the forwarding database of the
 * namespace's bridges (learned, permanent and static entries, newest first per device as the
 * kernel's hash lists give them) and each device's own multicast/unicast address list ("self"
 * entries: 33:33:00:00:00:01 always, 01:00:5e:00:00:01 once up, the bridge's snooping groups
 * 01:00:5e:00:00:6a and 33:33:00:00:00:6a), plus `bridge link` and hairpin mode.
 */

import { Bridge } from "../link/bridge.js";
import { Loopback } from "../link/loopback.js";
import type { NetDevice } from "../link/net-device.js";
import { macToString, parseMac } from "../util/mac-address.js";
import type { CommandResult } from "./ip-command.js";
import { hasCarrier } from "./ip-format.js";
import type { NetNamespace } from "./namespace.js";

class BridgeCmdError extends Error {}

function fail(message: string): never {
  throw new BridgeCmdError(message);
}

function masterOf(ns: NetNamespace, dev: NetDevice): Bridge | undefined {
  for (const d of ns.devices.values()) if (d instanceof Bridge && d.portOf(dev)) return d;
  return undefined;
}

function device(ns: NetNamespace, name: string | undefined): NetDevice {
  return ns.device(name ?? "") ?? fail(`Cannot find device "${name}"`);
}

/** The device's own address list entries, in the order the kernel keeps them. */
function selfEntries(dev: NetDevice): number[] {
  const list = [...dev.unicastList, 0x333300000001];
  if (dev instanceof Bridge && dev.up) list.push(0x01005e00006a, 0x33330000006a);
  if (dev.up) list.push(0x01005e000001);
  return list;
}

export function runBridge(ns: NetNamespace, argv: string[]): CommandResult {
  const args = [...argv];
  const out: string[] = [];
  try {
    const object = args.shift();
    if (object === "fdb") fdb(ns, args, out);
    else if (object === "link") link(ns, args, out);
    else fail(`Object "${object}" is unknown, try "bridge help".`);
    return { stdout: out.map((l) => `${l}\n`).join(""), stderr: "", exit: 0 };
  } catch (e) {
    if (!(e instanceof BridgeCmdError)) throw e;
    return { stdout: "", stderr: `${e.message}\n`, exit: 255 };
  }
}

function fdb(ns: NetNamespace, args: string[], out: string[]): void {
  const cmd = args.shift() ?? "show";
  if (cmd === "show" || cmd === "list") {
    let only: NetDevice | undefined;
    let br: NetDevice | undefined;
    while (args.length > 0) {
      const w = args.shift();
      if (w === "dev") only = device(ns, args.shift());
      else if (w === "br") br = device(ns, args.shift());
    }
    const devs = [...ns.devices.values()]
      .filter((d) => !(d instanceof Loopback))
      .sort((a, b) => a.ifindex - b.ifindex);
    for (const dev of devs) {
      if (only && dev !== only) continue;
      if (br && dev !== br && masterOf(ns, dev) !== br) continue;
      const prefix = only ? "" : `dev ${dev.name} `;
      const self = selfEntries(dev).map((m) => `${macToString(m)} ${prefix}self permanent`);
      const master = dev instanceof Bridge ? dev : masterOf(ns, dev);
      const mastered = master
        ? master
            .entries()
            .filter((e) => (e.port ? e.port.dev === dev : dev === master))
            .reverse()
            .map((e) => {
              const flag = e.state === "dynamic" ? " " : ` ${e.state}`;
              return `${macToString(e.mac)} ${prefix}master ${master.name}${flag}`;
            })
        : [];
      // A bridge lists its own address list first; a port its bridge entries first.
      out.push(...(dev instanceof Bridge ? [...self, ...mastered] : [...mastered, ...self]));
    }
    return;
  }
  const mac = parseMac(args.shift() ?? "") ?? fail("Invalid mac address");
  let dev: NetDevice | undefined;
  let viaMaster = false;
  let state: "permanent" | "static" = "permanent";
  while (args.length > 0) {
    const w = args.shift();
    if (w === "dev") dev = device(ns, args.shift());
    else if (w === "master") viaMaster = true;
    else if (w === "static") state = "static";
    else if (w === "self" || w === "permanent") continue;
  }
  if (!dev) fail("Device and address are required arguments.");
  if (dev instanceof Loopback && cmd !== "del") fail("Error: FDB add only supported for Ethernet devices.");
  const br = viaMaster ? masterOf(ns, dev) : undefined;
  if (viaMaster && !br) fail("RTNETLINK answers: Operation not supported");
  if (cmd === "add" || cmd === "append" || cmd === "replace") {
    if (br) {
      if (cmd === "add" && br.hasEntry(mac)) fail("RTNETLINK answers: File exists");
      br.addEntry(mac, dev, state);
    } else {
      if (cmd === "add" && dev.unicastList.includes(mac)) fail("RTNETLINK answers: File exists");
      if (!dev.unicastList.includes(mac)) dev.unicastList.unshift(mac);
    }
  } else if (cmd === "del" || cmd === "delete") {
    const i = dev.unicastList.indexOf(mac);
    if (br ? !br.deleteEntry(mac) : i < 0) fail("RTNETLINK answers: No such file or directory");
    if (!br) dev.unicastList.splice(i, 1);
  } else {
    fail(`Command "${cmd}" is unknown, try "bridge fdb help".`);
  }
}

function link(ns: NetNamespace, args: string[], out: string[]): void {
  const cmd = args.shift() ?? "show";
  if (cmd === "show" || cmd === "list") {
    for (const dev of [...ns.devices.values()].sort((a, b) => a.ifindex - b.ifindex)) {
      const br = masterOf(ns, dev);
      if (!br) continue;
      const carrier = hasCarrier(dev);
      const flags = [
        ...(dev.up && !carrier ? ["NO-CARRIER"] : []),
        "BROADCAST,MULTICAST",
        ...(dev.up ? ["UP"] : []),
        ...(carrier ? ["LOWER_UP"] : []),
      ];
      const state = carrier ? "forwarding" : "disabled";
      out.push(
        `${dev.ifindex}: ${dev.name}@${br.name}: <${flags.join(",")}> mtu ${dev.mtu} master ${br.name} state ${state} priority 32 cost 2 `,
      );
    }
    return;
  }
  if (cmd !== "set") fail(`Command "${cmd}" is unknown, try "bridge link help".`);
  if (args[0] === "dev") args.shift();
  const dev = device(ns, args.shift());
  const br = masterOf(ns, dev) ?? fail("RTNETLINK answers: Operation not supported");
  const port = br.portOf(dev);
  while (args.length > 0) {
    const w = args.shift();
    const v = args.shift();
    if (w === "hairpin" && port) {
      if (v !== "on" && v !== "off") fail(`Error: argument of "hairpin" must be "on" or "off", not "${v}"`);
      port.hairpin = v === "on";
    }
  }
}
