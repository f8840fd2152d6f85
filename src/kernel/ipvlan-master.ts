/**
 * The master's namespace as an ipvlan port in L3/L3S mode uses it (link/ipvlan.ts's IpvlanMaster).
 *
 * Output (ipvlan_process_v4_outbound): a child's IPv4 packet, Ethernet header gone, is routed in
 * the master's namespace with the master as output interface (flowi4_oif) and sent with
 * ip_local_out: the OUTPUT and POSTROUTING hooks, then the master's neighbour table and MAC. Its
 * header is kept as the child built it (source address, TTL, id): nothing is forwarded, so the TTL
 * is not decremented. Routing with an oif (fib_lookup skips next hops on other devices): the best
 * route through the master; `unreachable`/`blackhole`/`prohibit` routes refuse; with no route at
 * all through the master the destination is taken to be on its link (ip_route_output_key_hash_rcu's
 * "assume on link"). Only unicast and local results are sent (the rt_type check): a local address
 * on the master is delivered through loopback to the master's own stack; limited broadcast,
 * multicast and the master's broadcast addresses are dropped.
 *
 * L3S input (ipvlan_l3s.c): the master namespace's PREROUTING and INPUT hooks, with the master as
 * input interface.
 *
 * Deviations: no fragmentation (a packet larger than the master's MTU is sent whole), no
 * re-routing after a mark change in OUTPUT.
 */

import type { IpvlanMaster } from "../link/ipvlan.js";
import type { NetDevice } from "../link/net-device.js";
import type { Packet } from "../link/packet.js";
import { NF_DROP, NF_INPUT, NF_OUTPUT, NF_POSTROUTING, NF_PREROUTING } from "../netfilter/netfilter.js";
import { put16, put48, u32 } from "../util/bytes.js";
import type { NetNamespace } from "./namespace.js";
import { prefixMask } from "./route-table.js";

/** `nextHop` results that are not an address: drop, or deliver to the master's own stack. */
const DROP = -1;
const LOCAL = -2;

export class IpvlanMasterStack implements IpvlanMaster {
  constructor(
    private readonly ns: NetNamespace,
    private readonly master: NetDevice,
  ) {}

  output(pkt: Packet): void {
    const master = this.master;
    // ip_route_output with a down oif: ENETUNREACH.
    if (!master.running) return;
    const ns = this.ns;
    const dst = u32(pkt.buf, pkt.head + 16);
    let hop = this.nextHop(dst);
    if (hop === DROP) return;
    const nf = ns.netfilter;
    if (nf.active) {
      if (nf.hook(NF_OUTPUT, pkt, "", hop === LOCAL ? ns.lo.name : master.name) === NF_DROP) return;
      // A DNAT in OUTPUT changed the destination: route again (ip_route_me_harder).
      const natDst = u32(pkt.buf, pkt.head + 16);
      if (natDst !== dst) {
        hop = this.nextHop(natDst);
        if (hop === DROP) return;
      }
      if (nf.hook(NF_POSTROUTING, pkt, "", hop === LOCAL ? ns.lo.name : master.name) === NF_DROP) return;
    }
    if (hop === LOCAL) {
      const off = pkt.push(14);
      put48(pkt.buf, off, 0);
      put48(pkt.buf, off + 6, 0);
      put16(pkt.buf, off + 12, 0x0800);
      ns.lo.transmit(pkt);
      return;
    }
    ns.neigh.output(master.ifindex, hop, pkt);
  }

  prerouting(pkt: Packet, dev: NetDevice): boolean {
    const nf = this.ns.netfilter;
    return !nf.active || nf.hook(NF_PREROUTING, pkt, dev.name, "") !== NF_DROP;
  }

  input(pkt: Packet, dev: NetDevice): boolean {
    const nf = this.ns.netfilter;
    return !nf.active || nf.hook(NF_INPUT, pkt, dev.name, "") !== NF_DROP;
  }

  /** The next hop toward `dst` out through the master, LOCAL, or DROP. */
  private nextHop(dst: number): number {
    if (dst === 0xffffffff || dst >>> 28 === 0xe) return DROP;
    const ns = this.ns;
    const oif = this.master.ifindex;
    const local = ns.local.lookup(dst);
    if (local !== undefined && local.ifindex === oif) {
      if (local.type === "local") return LOCAL;
      if (local.type === "broadcast" && local.dst === dst) return DROP;
    }
    const route = ns.main.lookup(dst);
    if (route !== undefined) {
      if (route.type !== "unicast") return DROP;
      if (route.ifindex === oif) return route.gateway || dst;
    }
    // The best route is through another device: a shorter one through the master, if any.
    let best = -1;
    let hop = dst;
    for (const r of ns.main.routes()) {
      if (r.ifindex !== oif || r.type !== "unicast" || r.prefixLen <= best) continue;
      if (((dst ^ r.dst) & prefixMask(r.prefixLen)) !== 0) continue;
      best = r.prefixLen;
      hop = r.gateway || dst;
    }
    return hop;
  }
}
