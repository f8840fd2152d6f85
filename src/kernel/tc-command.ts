/**
 * `tc qdisc` with netem on veth devices, the way users make a slow or lossy link:
 * `tc qdisc add|replace|change dev DEV root netem [delay TIME] [loss PCT%] [rate RATE]
 * [limit PACKETS]`, `tc qdisc del dev DEV root`, `tc qdisc show [dev DEV]`. The settings go to the
 * device's transmit direction (link-timing.ts): delay, serialisation at the rate, a queue of
 * `limit` packets, random loss. Without netem a veth has Linux's `noqueue`.
 * Deviations: netem only (no tbf/htb/fq), no jitter/correlation/reorder/duplicate; this kernel
 * had no sch_netem to check the show text against, so it follows iproute2 6.1's netem printer.
 */

import { VETH_DEFAULTS } from "../link/link-timing.js";
import { Veth } from "../link/veth.js";
import type { CommandResult } from "./ip-command.js";
import type { NetNamespace } from "./namespace.js";

class TcError extends Error {}

/** netem handles per namespace, as the kernel numbers them (8001:, 8002:, ...). */
const handles = new WeakMap<NetNamespace, Map<string, number>>();
const nextHandle = new WeakMap<NetNamespace, number>();

function parseTime(text: string): number {
  const m = /^(\d+(?:\.\d+)?)(s|sec|secs|ms|msec|msecs|us|usec|usecs|ns|nsec|nsecs)?$/.exec(text);
  if (!m) throw new TcError(`Illegal "delay"`);
  const unit = m[2] ?? "us";
  const scale = unit.startsWith("ms") ? 1e6 : unit.startsWith("us") ? 1e3 : unit.startsWith("ns") ? 1 : 1e9;
  return Math.round(Number(m[1]) * scale);
}

function parseRate(text: string): number {
  const m = /^(\d+(?:\.\d+)?)([kmgt]?)(bit|bps)?$/i.exec(text);
  if (!m) throw new TcError(`Illegal "rate"`);
  const mult = { "": 1, k: 1e3, m: 1e6, g: 1e9, t: 1e12 }[(m[2] ?? "").toLowerCase()] ?? 1;
  const bytes = (m[3] ?? "bit").toLowerCase() === "bps";
  return Number(m[1]) * mult * (bytes ? 8 : 1);
}

function formatTime(ns: number): string {
  if (ns >= 1e9 && ns % 1e9 === 0) return `${ns / 1e9}s`;
  if (ns >= 1e6) return `${Number((ns / 1e6).toFixed(3))}ms`;
  return `${Number((ns / 1e3).toFixed(3))}us`;
}

function formatRate(bps: number): string {
  for (const [div, unit] of [
    [1e9, "Gbit"],
    [1e6, "Mbit"],
    [1e3, "Kbit"],
  ] as const) {
    if (bps >= div) return `${Number((bps / div).toFixed(3))}${unit}`;
  }
  return `${bps}bit`;
}

export function runTc(ns: NetNamespace, argv: string[]): CommandResult {
  const args = [...argv];
  const out: string[] = [];
  try {
    if (args.shift() !== "qdisc") throw new TcError(`Object "${argv[0] ?? ""}" is unknown, try "tc help".`);
    const cmd = args.shift() ?? "show";
    let devName: string | undefined;
    if (args[0] === "dev") {
      args.shift();
      devName = args.shift();
    }
    const dev = devName === undefined ? undefined : ns.device(devName);
    if (devName !== undefined && !dev) throw new TcError(`Cannot find device "${devName}"`);
    const byNs = handles.get(ns) ?? new Map<string, number>();
    handles.set(ns, byNs);
    if (cmd === "show" || cmd === "list" || cmd === "ls") {
      const devices = dev ? [dev] : [...ns.devices.values()];
      for (const d of devices) {
        const handle = byNs.get(d.name);
        if (handle === undefined || !(d instanceof Veth)) {
          out.push(`qdisc noqueue 0: ${dev ? "" : `dev ${d.name} `}root refcnt 2 `);
          continue;
        }
        const p = d.link.params;
        const parts = [`limit ${p.queueLength}`];
        if (p.latency > 0) parts.push(`delay ${formatTime(p.latency)}`);
        if (p.loss > 0) parts.push(`loss ${Number((p.loss * 100).toFixed(4))}%`);
        if (p.bandwidth > 0) parts.push(`rate ${formatRate(p.bandwidth)}`);
        out.push(
          `qdisc netem ${handle.toString(16)}: ${dev ? "" : `dev ${d.name} `}root refcnt 2 ${parts.join(" ")}`,
        );
      }
      return { stdout: out.map((l) => `${l}\n`).join(""), stderr: "", exit: 0 };
    }
    if (!dev) throw new TcError('Cannot find device ""');
    if (args.shift() !== "root") throw new TcError("Error: only root qdiscs are supported");
    if (!(dev instanceof Veth)) throw new TcError("Error: netem on this device type is not supported here");
    if (cmd === "del" || cmd === "delete") {
      if (!byNs.has(dev.name)) throw new TcError("Error: Cannot delete qdisc with handle of zero.");
      byNs.delete(dev.name);
      dev.link.setParams({ ...VETH_DEFAULTS });
      return { stdout: "", stderr: "", exit: 0 };
    }
    if (cmd !== "add" && cmd !== "replace" && cmd !== "change")
      throw new TcError(`Command "${cmd}" is unknown, try "tc qdisc help".`);
    if (args.shift() !== "netem") throw new TcError("Error: Specified qdisc kind is unknown.");
    if (cmd === "add" && byNs.has(dev.name)) throw new TcError("Error: Exclusivity flag on, cannot modify.");
    if (cmd === "change" && !byNs.has(dev.name))
      throw new TcError("Error: Qdisc not found. To create specify NLM_F_CREATE flag.");
    const params = { ...VETH_DEFAULTS };
    while (args.length > 0) {
      const key = args.shift() as string;
      const value = args.shift();
      if (value === undefined) throw new TcError(`Illegal "${key}"`);
      if (key === "delay" || key === "latency") params.latency = parseTime(value);
      else if (key === "rate") params.bandwidth = parseRate(value);
      else if (key === "limit" && /^\d+$/.test(value)) params.queueLength = Number(value);
      else if (key === "loss") {
        const pct = value === "random" ? args.shift() : value;
        const m = /^(\d+(?:\.\d+)?)%?$/.exec(pct ?? "");
        if (!m || Number(m[1]) > 100) throw new TcError(`Illegal "loss"`);
        params.loss = Number(m[1]) / 100;
      } else throw new TcError(`What is "${key}"?`);
    }
    if (!byNs.has(dev.name)) {
      const handle = nextHandle.get(ns) ?? 0x8001;
      byNs.set(dev.name, handle);
      nextHandle.set(ns, handle + 1);
    }
    dev.link.setParams(params);
    return { stdout: "", stderr: "", exit: 0 };
  } catch (e) {
    if (!(e instanceof TcError)) throw e;
    return { stdout: "", stderr: `${e.message}\n`, exit: e.message.startsWith("Error") ? 2 : 1 };
  }
}
