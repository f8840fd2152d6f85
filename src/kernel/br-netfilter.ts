/**
 * br_netfilter (net/bridge/br_netfilter_hooks.c) for one namespace: with
 * net.bridge.bridge-nf-call-iptables=1, IPv4 frames entering a bridge port pass the iptables
 * PREROUTING hook with the bridge as the input device (once: the IP stack then skips it, as
 * ip_sabotage_in does), and frames bridged between ports pass FORWARD and POSTROUTING with the
 * bridge as input and output device. A DNAT in PREROUTING to an address behind the same bridge
 * only rewrites the destination MAC and the frame stays bridged (br_nf_pre_routing_finish_bridge);
 * to a local address or one reached through another device, the frame goes up to the IP stack.
 * When the new destination's MAC is not yet known, the frame passes FORWARD and POSTROUTING and
 * waits in the neighbour queue; once ARP answers it leaves through the bridge device.
 * The ports a frame came in and goes out by are kept for the LOG target (PHYSIN=, PHYSOUT=).
 * IPv6 frames do the same through ip6tables (ns.netfilter6) when
 * net.bridge.bridge-nf-call-ip6tables=1 (br_nf_pre_routing_ipv6). Deviation: a DNAT there to
 * another address always goes up to the IPv6 stack (which forwards it), rather than being bridged.
 */

import { BR_NF_CONTINUE, BR_NF_DROP, BR_NF_LOCAL, BR_NF_STOLEN, type Bridge } from "../link/bridge.js";
import type { NetDevice } from "../link/net-device.js";
import type { Packet } from "../link/packet.js";
import { NF_DROP, NF_FORWARD, NF_POSTROUTING, NF_PREROUTING } from "../netfilter/netfilter.js";
import { put48, u16, u32, u48 } from "../util/bytes.js";
import { ETH_HEADER_LEN, ETHERTYPE_IPV4, ETHERTYPE_IPV6 } from "../wire/ethernet.js";
import type { NetNamespace } from "./namespace.js";

export function bridgeNetfilter(ns: NetNamespace) {
  /** An IPv6 frame entering a port (prerouting) or bridged between ports (forward). */
  const ipv6Frame = (
    hook: "prerouting" | "forward",
    bridge: Bridge,
    pkt: Packet,
    port: NetDevice,
  ): number => {
    const nf = ns.netfilter6;
    if (!nf.active || ns.sysctl.number("net.bridge.bridge-nf-call-ip6tables") === 0) return BR_NF_CONTINUE;
    const eth = pkt.head;
    pkt.pull(ETH_HEADER_LEN);
    try {
      if (hook === "forward") {
        pkt.physOut = port.name;
        if (nf.hook(NF_FORWARD, pkt, bridge.name, bridge.name) === NF_DROP) return BR_NF_DROP;
        if (nf.hook(NF_POSTROUTING, pkt, "", bridge.name) === NF_DROP) return BR_NF_DROP;
        return BR_NF_CONTINUE;
      }
      pkt.physIn = port.name;
      const before = pkt.buf.slice(pkt.head + 24, pkt.head + 40);
      if (nf.hook(NF_PREROUTING, pkt, bridge.name, "") === NF_DROP) return BR_NF_DROP;
      pkt.bridgedNf = true;
      for (let i = 0; i < 16; i++) {
        if (pkt.buf[pkt.head + 24 + i] === before[i]) continue;
        // DNAT took place: up to the IPv6 stack, as if addressed to the bridge.
        put48(pkt.buf, eth, bridge.mac);
        return BR_NF_LOCAL;
      }
      return BR_NF_CONTINUE;
    } finally {
      pkt.push(ETH_HEADER_LEN);
    }
  };
  return (hook: "prerouting" | "forward", bridge: Bridge, pkt: Packet, port: NetDevice): number => {
    const eth = pkt.head;
    if (pkt.length >= ETH_HEADER_LEN + 40 && u16(pkt.buf, eth + 12) === ETHERTYPE_IPV6)
      return ipv6Frame(hook, bridge, pkt, port);
    const nf = ns.netfilter;
    if (!nf.active || ns.sysctl.number("net.bridge.bridge-nf-call-iptables") === 0) return BR_NF_CONTINUE;
    if (u16(pkt.buf, eth + 12) !== ETHERTYPE_IPV4 || pkt.length < ETH_HEADER_LEN + 20) return BR_NF_CONTINUE;
    pkt.pull(ETH_HEADER_LEN);
    let stolen = false;
    try {
      if (hook === "forward") {
        pkt.physOut = port.name;
        if (nf.hook(NF_FORWARD, pkt, bridge.name, bridge.name) === NF_DROP) return BR_NF_DROP;
        if (nf.hook(NF_POSTROUTING, pkt, "", bridge.name) === NF_DROP) return BR_NF_DROP;
        return BR_NF_CONTINUE;
      }
      pkt.physIn = port.name;
      const before = u32(pkt.buf, pkt.head + 16);
      if (nf.hook(NF_PREROUTING, pkt, bridge.name, "") === NF_DROP) return BR_NF_DROP;
      pkt.bridgedNf = true;
      const dst = u32(pkt.buf, pkt.head + 16);
      if (dst === before) return BR_NF_CONTINUE;
      // DNAT took place: bridge it on if the new destination is behind this bridge. (Linux 6.18
      // drops such a frame when the namespace does not forward, as a capture there shows.)
      if (!ns.isLocal(dst)) {
        if (!ns.ipForward) return BR_NF_DROP;
        const route = ns.main.lookup(dst);
        if (route && route.type === "unicast" && route.ifindex === bridge.ifindex) {
          const nexthop = route.gateway || dst;
          const n = ns.neigh.get(bridge.ifindex, nexthop);
          if (n && n.mac !== 0 && n.state !== "INCOMPLETE" && n.state !== "FAILED") {
            put48(pkt.buf, eth, n.mac);
            return BR_NF_CONTINUE;
          }
          // Not resolved yet: through FORWARD/POSTROUTING now, then out once ARP answers.
          pkt.physOut = bridge.name;
          if (nf.hook(NF_FORWARD, pkt, bridge.name, bridge.name) === NF_DROP) return BR_NF_DROP;
          if (nf.hook(NF_POSTROUTING, pkt, "", bridge.name) === NF_DROP) return BR_NF_DROP;
          stolen = true; // the neighbour queue owns it now, head at the IPv4 header
          pkt.bridgeSrcMac = u48(pkt.buf, eth + 6); // it leaves with its own source MAC
          ns.neigh.output(bridge.ifindex, nexthop, pkt);
          return BR_NF_STOLEN;
        }
      }
      put48(pkt.buf, eth, bridge.mac);
      return BR_NF_LOCAL;
    } finally {
      if (!stolen) pkt.push(ETH_HEADER_LEN);
    }
  };
}
