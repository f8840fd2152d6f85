/**
 * The iptables rules of Docker Engine 28.5 and 29 (daemon/libnetwork/drivers/bridge/internal/
 * iptabler: iptabler.go, network.go, port.go, endpoint.go; shared/spec/docker-networking.md §4.3),
 * chosen with `dockerd --engine-version 28|29`: a fixed FORWARD skeleton (DOCKER-USER,
 * DOCKER-FORWARD → DOCKER-CT, DOCKER-INTERNAL (29) or DOCKER-ISOLATION-STAGE-1 (28),
 * DOCKER-BRIDGE), each network's rules appended (older networks first), a default DROP per bridge
 * at the end of filter DOCKER with each published port's ACCEPT inserted above, the hairpin
 * MASQUERADE only without the userland proxy, and a raw PREROUTING drop per container for
 * traffic that does not come from its bridge. 28 keeps the isolation pair per network (the
 * stage-1 jump appended, the stage-2 DROP inserted, neither chain ending in `-j RETURN`) and the
 * nat `-i <br> -j RETURN` (userland proxy and ip-masq, routed mode too); 29 has DOCKER-INTERNAL
 * and neither.
 * Gateway modes (com.docker.network.bridge.gateway_mode_ipv4): nat; nat-unprotected (ACCEPT instead
 * of the per-bridge DROP, no per-port ACCEPT); routed (no NAT, no DNAT, ICMP and the published
 * ports' ACCEPTs); isolated (internal, no address on the bridge). The raw table also drops
 * outside traffic to ports published on a loopback address, and lets a network's
 * trusted_host_interfaces reach its containers. 28.x sub-versions: 28.0–28.2 end DOCKER-USER with
 * `-j RETURN`; 28.0–28.1 drop per published port in raw instead of per container. Deviation:
 * 28.0.0's ipset rules are not modelled (28.0 is 28.0.1).
 */

import type { IptablesState } from "../netfilter/tables.js";
import {
  addDockerJumps,
  type BridgeRules,
  type FirewallLayout,
  internalDrops,
  ipt,
  masqueradeTarget,
  type PortRule,
  portMatchWords,
} from "./firewall.js";

function bridgeLines(n: BridgeRules, v28: boolean): string[] {
  const br = n.bridge;
  if (n.internal)
    return [
      ...internalDrops(n, v28 ? "-I DOCKER-ISOLATION-STAGE-1" : "-I DOCKER-INTERNAL"),
      `-t filter -A DOCKER-FORWARD -i ${br} -o ${br} -j ${n.icc ? "ACCEPT" : "DROP"}`,
    ];
  const routed = n.gatewayMode === "routed";
  const lines = [
    `-t filter -A DOCKER-CT -o ${br} -m conntrack --ctstate RELATED,ESTABLISHED -j ACCEPT`,
    `-t filter -A DOCKER-BRIDGE -o ${br} -j DOCKER`,
    // Routed: the network's addresses are reached directly, ICMP let in ahead of the default rule.
    ...(routed ? [`-t filter -A DOCKER -o ${br} -p ${n.v6 ? "ipv6-icmp" : "icmp"} -j ACCEPT`] : []),
    `-t filter -A DOCKER ! -i ${br} -o ${br} -j ${n.gatewayMode === "nat-unprotected" ? "ACCEPT" : "DROP"}`,
    ...(n.icc
      ? [`-t filter -A DOCKER-FORWARD -i ${br} -j ACCEPT`]
      : [
          `-t filter -A DOCKER-FORWARD -i ${br} -o ${br} -j DROP`,
          `-t filter -A DOCKER-FORWARD -i ${br} ! -o ${br} -j ACCEPT`,
        ]),
  ];
  if (!routed && n.ipMasq)
    lines.push(`-t nat -I POSTROUTING -s ${n.subnet} ! -o ${br} -j ${masqueradeTarget(n)}`);
  if (!n.userlandProxy)
    lines.push(`-t nat -I POSTROUTING -o ${br} -m addrtype --src-type LOCAL -j ${masqueradeTarget(n)}`);
  if (v28) {
    // With the proxy, packets from the network skip DNAT (also in routed mode: it hangs on ip-masq only).
    if (n.userlandProxy && n.ipMasq) lines.push(`-t nat -I DOCKER -i ${br} -j RETURN`);
    // setINC: the jump to stage 2 is appended (older networks first), the DROP inserted.
    lines.push(
      `-t filter -A DOCKER-ISOLATION-STAGE-1 -i ${br} ! -o ${br} -j DOCKER-ISOLATION-STAGE-2`,
      `-t filter -I DOCKER-ISOLATION-STAGE-2 -o ${br} -j DROP`,
    );
    // Routed (28): replies to other networks' NATed connections and anything routed into it skip isolation.
    if (routed)
      lines.push(
        `-t filter -I DOCKER-ISOLATION-STAGE-1 -o ${br} -j RETURN`,
        `-t filter -I DOCKER-ISOLATION-STAGE-1 -i ${br} -m conntrack --ctstate RELATED,ESTABLISHED -j ACCEPT`,
      );
  }
  return lines;
}

function portLines(p: PortRule, perPortDrop: boolean): string[] {
  // Routed: only the ACCEPT for the container's port; nat-unprotected: only the DNAT.
  const w = portMatchWords(p);
  const match = `-p ${p.proto} -m ${p.proto} --dport ${p.containerPort}`;
  const accept = `-t filter -I DOCKER -d ${w.container} ! -i ${p.bridge} -o ${p.bridge} ${match} -j ACCEPT`;
  if (p.gatewayMode === "routed") return [accept];
  const raw: string[] = [];
  if (perPortDrop && p.gatewayMode === "nat")
    raw.push(`-t raw -A PREROUTING -d ${w.container} ! -i ${p.bridge} ${match} -j DROP`);
  // A port published on a loopback address is not for other machines (filterPortMappedOnLoopback).
  if (p.hostIp.startsWith("127."))
    raw.push(
      `-t raw -A PREROUTING -d ${p.hostIp}/32 ! -i lo -p ${p.proto} -m ${p.proto} --dport ${p.hostPort} -j DROP`,
    );
  const lines = [
    `-t nat -A DOCKER${w.dnatMatch} -j DNAT --to-destination ${w.to}`,
    ...(p.gatewayMode === "nat-unprotected" ? [] : [accept]),
    ...raw,
  ];
  if (!p.userlandProxy)
    lines.push(`-t nat -A POSTROUTING -s ${w.container} -d ${w.container} ${match} -j MASQUERADE`);
  return lines;
}

const undo = (line: string) => line.replace(/^(-t \w+ )-[AI] /, "$1-D ");

/** The raw PREROUTING lines protecting one container (v28.2+, gateway mode nat). */
function endpointLines(n: BridgeRules, ip: string): string[] {
  if (n.gatewayMode !== "nat") return [];
  return [
    ...n.trustedInterfaces.map((i) => `-t raw -A PREROUTING -d ${ip}/32 -i ${i} -j ACCEPT`),
    `-t raw -A PREROUTING -d ${ip}/32 ! -i ${n.bridge} -j DROP`,
  ];
}

/** The layout of Docker 28 (minor 0–5) or 29. */
export function modernLayout(version: 28 | 29, minor = 5): FirewallLayout {
  const v28 = version === 28;
  // 28.0–28.1: raw drops per published port; from 28.2 per container.
  const perPortDrop = v28 && minor <= 1;
  return {
    setup(state: IptablesState, forwardDrop: boolean): void {
      ipt(state, "-t nat -N DOCKER");
      const middle = v28 ? "DOCKER-ISOLATION-STAGE-1" : "DOCKER-INTERNAL";
      const chains = ["DOCKER", "DOCKER-BRIDGE", "DOCKER-CT", "DOCKER-FORWARD", middle, "DOCKER-USER"];
      if (v28) chains.push("DOCKER-ISOLATION-STAGE-2");
      for (const c of chains) ipt(state, `-t filter -N ${c}`);
      ipt(state, "-t filter -A FORWARD -j DOCKER-USER");
      ipt(state, "-t filter -A FORWARD -j DOCKER-FORWARD");
      ipt(state, "-t filter -A DOCKER-FORWARD -j DOCKER-CT");
      ipt(state, `-t filter -A DOCKER-FORWARD -j ${middle}`);
      ipt(state, "-t filter -A DOCKER-FORWARD -j DOCKER-BRIDGE");
      // 28's isolation chains have no closing RETURN (unlike 27's).
      if (v28 && minor <= 2) ipt(state, "-t filter -A DOCKER-USER -j RETURN");
      if (forwardDrop) ipt(state, "-t filter -P FORWARD DROP");
    },
    addBridge(state: IptablesState, n: BridgeRules): void {
      for (const l of bridgeLines(n, v28)) ipt(state, l);
      if (!n.internal) addDockerJumps(state, n.userlandProxy);
    },
    removeBridge(state: IptablesState, n: BridgeRules): void {
      for (const l of bridgeLines(n, v28)) ipt(state, undo(l));
    },
    addEndpoint(state: IptablesState, n: BridgeRules, ip: string): void {
      if (!perPortDrop) for (const l of endpointLines(n, ip)) ipt(state, l);
    },
    removeEndpoint(state: IptablesState, n: BridgeRules, ip: string): void {
      if (!perPortDrop) for (const l of endpointLines(n, ip)) ipt(state, undo(l));
    },
    addPort(state: IptablesState, p: PortRule): void {
      for (const l of portLines(p, perPortDrop)) ipt(state, l);
    },
    removePort(state: IptablesState, p: PortRule): void {
      for (const l of portLines(p, perPortDrop)) ipt(state, undo(l));
    },
  };
}
