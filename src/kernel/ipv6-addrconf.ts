/**
 * IPv6 address configuration of one namespace (net/ipv6/addrconf.c): the addresses of each
 * device, kept as Linux lists them (wider scope first, newest first within a scope), with the
 * routes they bring (the prefix route `proto kernel metric 256` in main when added, the `local`
 * route in table local once DAD is done, `multicast ff00::/8` per device) and the groups they join
 * (the solicited-node group of each address; ff02::1 and ff01::1 per device; ff02::2, ff05::2,
 * ff01::2 and each prefix's subnet-router anycast on a forwarding device).
 *
 * A device starts IPv6 when it is up with carrier and disable_ipv6 is 0: loopback gets ::1/128,
 * others an EUI-64 link-local address (addr_gen_mode 0). Every new address is tentative until
 * duplicate address detection ends: after a random delay below router_solicitation_delay, a
 * neighbour solicitation from `::` (with a nonce when enhanced_dad) per dad_transmits, each
 * retrans_time apart; a solicitation or advertisement for a tentative address from someone else
 * marks it `dadfailed`. When the first link-local address is valid, MLD sends its initial report
 * and a host (accept_ra and not forwarding) solicits routers: at once, then with RFC 7559 backoff
 * from router_solicitation_interval up to router_solicitation_max_interval, router_solicitations
 * times (-1: for ever). Taking a device down (or disabling IPv6) drops its addresses, routes,
 * groups and neighbours (keep_addr_on_down 0).
 *
 * Deviations: no SLAAC (router advertisements are ignored), no address lifetimes, no privacy
 * addresses, no optimistic DAD.
 */

import type { NetDevice } from "../link/net-device.js";
import type { ScheduledEvent } from "../sim/event-queue.js";
import { MILLISECOND, SECOND } from "../sim/time.js";
import { ipv6ToString } from "../util/ipv6-address.js";
import { macToString } from "../util/mac-address.js";
import type { Rng } from "../util/rng.js";
import type { Ipv6Stack } from "./ipv6-stack.js";
import type { Mld } from "./mld.js";
import type { NetNamespace } from "./namespace.js";
import { neighbourSolicit, routerSolicit } from "./ndisc.js";
import { maskPrefix, prefixMatches, type Route6, sameAddress } from "./route6-table.js";

export type Ipv6Scope = "host" | "link" | "global";

export interface Inet6Address {
  ifindex: number;
  address: Uint8Array;
  prefixLen: number;
  scope: Ipv6Scope;
  tentative: boolean;
  dadFailed: boolean;
  /** IFA_F_NODAD: valid at once. */
  nodad: boolean;
  /** Made by the kernel (link-local, ::1) rather than `ip addr add`. */
  kernel: boolean;
}

const SCOPE_ORDER: Record<Ipv6Scope, number> = { host: 1, link: 2, global: 14 };

export const ALL_NODES = Uint8Array.of(0xff, 2, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 1);
export const ALL_ROUTERS = Uint8Array.of(0xff, 2, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 2);
const NODE_ALL_NODES = Uint8Array.of(0xff, 1, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 1);
const ROUTER_GROUPS = [
  Uint8Array.of(0xff, 2, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 2),
  Uint8Array.of(0xff, 5, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 2),
  Uint8Array.of(0xff, 1, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 2),
];
const UNSPECIFIED = new Uint8Array(16);
const MULTICAST_PREFIX = Uint8Array.of(0xff, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0);

/** ff02::1:ffXX:XXXX for `a`. */
export function solicitedNode(a: Uint8Array): Uint8Array {
  const g = Uint8Array.of(0xff, 2, 0, 0, 0, 0, 0, 0, 0, 0, 0, 1, 0xff, 0, 0, 0);
  g.set(a.subarray(13, 16), 13);
  return g;
}

export function scopeOf(a: Uint8Array): Ipv6Scope {
  if (a.subarray(0, 15).every((b) => b === 0) && a[15] === 1) return "host";
  if (a[0] === 0xfe && ((a[1] as number) & 0xc0) === 0x80) return "link";
  if (a[0] === 0xff) return ((a[1] as number) & 0x0f) <= 2 ? "link" : "global";
  return "global";
}

/** The modified EUI-64 link-local address of a MAC (RFC 4291 appendix A). */
export function linkLocalFor(mac: number): Uint8Array {
  const a = new Uint8Array(16);
  a[0] = 0xfe;
  a[1] = 0x80;
  const m = [0, 0, 0, 0, 0, 0].map((_, i) => Math.floor(mac / 2 ** (40 - 8 * i)) & 0xff);
  a.set([(m[0] as number) ^ 2, m[1] as number, m[2] as number, 0xff, 0xfe], 8);
  a.set([m[3] as number, m[4] as number, m[5] as number], 13);
  return a;
}

interface DeviceConf {
  dad: ScheduledEvent | undefined;
  rs: ScheduledEvent | undefined;
  rsSent: number;
  rsInterval: number;
}

export class Addrconf {
  /** Every device's addresses, each device's in `ip -6 addr` order. */
  readonly addresses: Inet6Address[] = [];
  /** Devices that run IPv6 now, with their timers. */
  private readonly running = new Map<number, DeviceConf>();
  private readonly dadTimers = new Map<Inet6Address, ScheduledEvent>();

  constructor(
    private readonly ns: NetNamespace,
    private readonly stack: Ipv6Stack,
    private readonly mld: Mld,
    private readonly rng: Rng,
  ) {}

  /** net.ipv6.conf.DEV.KEY as a number. */
  conf(dev: NetDevice, key: string): number {
    return this.ns.sysctl.number(`net.ipv6.conf.${dev.name}.${key}`);
  }

  enabled(dev: NetDevice): boolean {
    return (
      this.ns.sysctl.has(`net.ipv6.conf.${dev.name}.disable_ipv6`) && this.conf(dev, "disable_ipv6") === 0
    );
  }

  isRunning(ifindex: number): boolean {
    return this.running.has(ifindex);
  }

  /** Bring IPv6 on `dev` in line with its state: start it when up with carrier and enabled, stop it otherwise. */
  sync(dev: NetDevice, carrier: boolean): void {
    const want = dev.up && this.enabled(dev);
    if (!want) {
      if (this.running.has(dev.ifindex) || this.addresses.some((a) => a.ifindex === dev.ifindex))
        this.stop(dev);
      return;
    }
    if (this.running.has(dev.ifindex) || !carrier) return;
    this.start(dev);
  }

  private start(dev: NetDevice): void {
    this.running.set(dev.ifindex, { dad: undefined, rs: undefined, rsSent: 0, rsInterval: 0 });
    const lo = dev === this.ns.lo;
    this.mld.join(dev.ifindex, NODE_ALL_NODES);
    this.mld.join(dev.ifindex, ALL_NODES);
    if (!lo) {
      this.stack.local.add(this.route(dev, MULTICAST_PREFIX, 8, "multicast", 256));
      if (this.conf(dev, "forwarding") !== 0) for (const g of ROUTER_GROUPS) this.mld.join(dev.ifindex, g);
    }
    // Addresses added while the device had no carrier start their DAD now.
    for (const a of this.addresses) if (a.ifindex === dev.ifindex && a.tentative) this.startDad(dev, a);
    if (lo) {
      const one = new Uint8Array(16);
      one[15] = 1;
      if (!this.find(dev.ifindex, one)) this.add(dev, one, 128, { kernel: true });
    } else if (this.conf(dev, "addr_gen_mode") !== 1 && !dev.noArp) {
      this.add(dev, linkLocalFor(dev.mac), 64, { kernel: true });
    }
  }

  private stop(dev: NetDevice): void {
    const c = this.running.get(dev.ifindex);
    if (c?.dad) this.ns.sim.cancel(c.dad);
    if (c?.rs) this.ns.sim.cancel(c.rs);
    this.running.delete(dev.ifindex);
    for (const a of this.addresses.filter((x) => x.ifindex === dev.ifindex)) this.forget(a);
    const mine = (r: Route6) => r.ifindex === dev.ifindex;
    this.stack.main.removeWhere(mine);
    this.stack.local.removeWhere(mine);
    this.mld.flush(dev.ifindex);
    this.stack.neigh.flushDevice(dev.ifindex, true);
  }

  /** net.ipv6.conf.*.forwarding changed: routers join the all-routers groups, hosts leave them. */
  forwardingChanged(): void {
    for (const ifindex of this.running.keys()) {
      const dev = this.ns.devices.get(ifindex);
      if (!dev || dev === this.ns.lo) continue;
      const on = this.conf(dev, "forwarding") !== 0;
      const has = this.mld.groups(ifindex).some((g) => sameAddress(g.address, ROUTER_GROUPS[0]));
      if (on && !has) for (const g of ROUTER_GROUPS) this.mld.join(ifindex, g);
      if (!on && has) for (const g of ROUTER_GROUPS) this.mld.leave(ifindex, g);
    }
  }

  find(ifindex: number, address: Uint8Array): Inet6Address | undefined {
    return this.addresses.find((a) => a.ifindex === ifindex && sameAddress(a.address, address));
  }

  /**
   * `ip -6 addr add`: the address, its prefix route and solicited-node group, DAD when the device
   * runs IPv6. Returns iproute2's error text instead when it cannot be added.
   */
  add(
    dev: NetDevice,
    address: Uint8Array,
    prefixLen: number,
    opts: { nodad?: boolean; kernel?: boolean } = {},
  ): Inet6Address | string {
    if (!this.enabled(dev)) return "Error: ipv6: IPv6 is disabled on this device.";
    if (this.find(dev.ifindex, address)) return "Error: ipv6: address already assigned.";
    const scope = dev === this.ns.lo && scopeOf(address) === "host" ? "host" : scopeOf(address);
    const a: Inet6Address = {
      ifindex: dev.ifindex,
      address,
      prefixLen,
      scope,
      tentative: true,
      dadFailed: false,
      nodad: opts.nodad ?? false,
      kernel: opts.kernel ?? false,
    };
    let at = this.addresses.findIndex(
      (x) => x.ifindex === dev.ifindex && SCOPE_ORDER[x.scope] <= SCOPE_ORDER[scope],
    );
    if (at < 0) at = this.addresses.length;
    this.addresses.splice(at, 0, a);
    if (prefixLen < 128 && dev !== this.ns.lo) {
      const prefix = maskPrefix(address, prefixLen);
      this.stack.main.add(this.route(dev, prefix, prefixLen, "unicast", 256));
    }
    if (dev !== this.ns.lo) this.mld.join(dev.ifindex, solicitedNode(address));
    if (this.running.has(dev.ifindex)) this.startDad(dev, a);
    return a;
  }

  /** `ip -6 addr del`: false when the device has no such address. */
  del(dev: NetDevice, address: Uint8Array): boolean {
    const a = this.find(dev.ifindex, address);
    if (!a) return false;
    this.forget(a);
    return true;
  }

  /** Remove an address with its routes and groups. */
  private forget(a: Inet6Address): void {
    this.addresses.splice(this.addresses.indexOf(a), 1);
    const timer = this.dadTimers.get(a);
    if (timer) this.ns.sim.cancel(timer);
    this.dadTimers.delete(a);
    this.stack.local.removeWhere(
      (r) => r.ifindex === a.ifindex && r.prefixLen === 128 && sameAddress(r.dst, a.address),
    );
    const dev = this.ns.devices.get(a.ifindex);
    if (!dev || dev === this.ns.lo) return;
    this.mld.leave(a.ifindex, solicitedNode(a.address));
    // The prefix route goes with the last address of that prefix on the device.
    const prefix = maskPrefix(a.address, a.prefixLen);
    const others = this.addresses.some(
      (x) =>
        x.ifindex === a.ifindex &&
        x.prefixLen === a.prefixLen &&
        prefixMatches(x.address, 0, prefix, a.prefixLen),
    );
    if (!others && a.prefixLen < 128)
      this.stack.main.removeWhere(
        (r) =>
          r.ifindex === a.ifindex &&
          r.protocol === "kernel" &&
          r.prefixLen === a.prefixLen &&
          sameAddress(r.dst, prefix),
      );
    if (!a.tentative && a.scope === "global" && this.conf(dev, "forwarding") !== 0 && a.prefixLen < 128) {
      this.mld.leave(a.ifindex, solicitedNode(prefix));
      this.stack.local.removeWhere(
        (r) =>
          r.ifindex === a.ifindex &&
          r.type === "unicast" &&
          sameAddress(r.dst, prefix) &&
          r.prefixLen === 128,
      );
    }
  }

  private route(
    dev: NetDevice,
    dst: Uint8Array,
    prefixLen: number,
    type: Route6["type"],
    metric: number,
  ): Route6 {
    return {
      dst,
      prefixLen,
      type,
      gateway: undefined,
      ifindex: dev.ifindex,
      metric,
      protocol: "kernel",
      prefsrc: undefined,
    };
  }

  private startDad(dev: NetDevice, a: Inet6Address): void {
    const transmits = this.conf(dev, "dad_transmits");
    if (a.nodad || dev === this.ns.lo || this.conf(dev, "accept_dad") === 0 || transmits === 0) {
      this.dadCompleted(dev, a);
      return;
    }
    const delay = this.conf(dev, "router_solicitation_delay");
    let left = transmits;
    const probe = () => {
      if (left === 0) {
        this.dadTimers.delete(a);
        this.dadCompleted(dev, a);
        return;
      }
      left--;
      const group = solicitedNode(a.address);
      const nonce = this.conf(dev, "enhanced_dad") !== 0 ? this.rng : undefined;
      const ns = neighbourSolicit(a.address, UNSPECIFIED, group, dev.mac, nonce);
      this.stack.sendOnLink(dev.ifindex, ns, UNSPECIFIED, group, 255);
      this.dadTimers.set(a, this.ns.sim.scheduleAfter(this.stack.retransTime(dev.ifindex), probe));
    };
    const first = delay > 0 ? this.rng.int(0, delay * 1000 - 1) * MILLISECOND : 0;
    this.dadTimers.set(a, this.ns.sim.scheduleAfter(first, probe));
  }

  /** Someone else has `a` (their NS from `::` or their NA for it): it stays tentative, dadfailed. */
  dadFailed(a: Inet6Address, mac: number): void {
    const timer = this.dadTimers.get(a);
    if (timer) this.ns.sim.cancel(timer);
    this.dadTimers.delete(a);
    a.dadFailed = true;
    const dev = this.ns.devices.get(a.ifindex);
    this.ns.kernelLog.write(
      `IPv6: ${dev?.name}: IPv6 duplicate address ${ipv6ToString(a.address)} used by ${macToString(mac)} detected!`,
    );
  }

  private dadCompleted(dev: NetDevice, a: Inet6Address): void {
    a.tentative = false;
    this.stack.local.add({ ...this.route(dev, a.address, 128, "local", 0), prefsrc: undefined });
    if (dev === this.ns.lo) return;
    const forwarding = this.conf(dev, "forwarding") !== 0;
    if (forwarding && a.scope === "global" && a.prefixLen < 128) {
      // The subnet-router anycast address of the prefix (addrconf_join_anycast).
      const prefix = maskPrefix(a.address, a.prefixLen);
      this.mld.join(dev.ifindex, solicitedNode(prefix));
    }
    const firstLinkLocal =
      a.scope === "link" &&
      !this.addresses.some((x) => x !== a && x.ifindex === dev.ifindex && x.scope === "link" && !x.tentative);
    if (!firstLinkLocal) return;
    this.mld.dadComplete(dev.ifindex);
    const acceptRa = this.conf(dev, "accept_ra");
    const solicits = this.conf(dev, "router_solicitations");
    if (((acceptRa === 1 && !forwarding) || acceptRa === 2) && solicits !== 0)
      this.solicitRouters(dev, a.address);
  }

  private solicitRouters(dev: NetDevice, src: Uint8Array): void {
    const c = this.running.get(dev.ifindex);
    if (!c) return;
    const send = () => {
      c.rs = undefined;
      const still = this.find(dev.ifindex, src);
      if (!still || still.tentative) return;
      this.stack.sendOnLink(dev.ifindex, routerSolicit(dev.mac, src, ALL_ROUTERS), src, ALL_ROUTERS, 255);
      c.rsSent++;
      const max = this.conf(dev, "router_solicitations");
      if (max >= 0 && c.rsSent >= max) return;
      // RFC 7559: the first interval is router_solicitation_interval ±10%, each later one doubles (±10%).
      const base =
        c.rsSent === 1 ? this.conf(dev, "router_solicitation_interval") * SECOND : 2 * c.rsInterval;
      const jitterMs = Math.floor(base / 10 / MILLISECOND);
      const next = base + (jitterMs > 0 ? this.rng.int(-jitterMs, jitterMs) * MILLISECOND : 0);
      c.rsInterval = Math.min(next, this.conf(dev, "router_solicitation_max_interval") * SECOND);
      c.rs = this.ns.sim.scheduleAfter(c.rsInterval, send);
    };
    send();
  }
}
