/**
 * The iptables rules Docker Engine 27 ("classic" layout) installs, written through the iptables
 * command interpreter as the daemon runs the iptables binary
 * (libnetwork/drivers/bridge/setup_ip_tables_linux.go, port_mapping_linux.go, link.go,
 * libnetwork/firewall_linux.go): the chains at daemon start, each bridge network's block (NAT,
 * ICC, the DOCKER jumps, the isolation pair, DOCKER-USER kept first), internal networks, and each
 * published port's DNAT, ACCEPT and hairpin MASQUERADE (SNAT to com.docker.network.host_ipv4 when
 * set). The v28/v29 layouts are in firewall-modern.ts. The same functions write ip6tables for an
 * IPv6 network (its IPv6 subnet, ::1/128 for loopback), as setupIPTables does per IP version.
 */

import { runIptables } from "../netfilter/iptables-command.js";
import type { IptablesState } from "../netfilter/tables.js";

export interface BridgeRules {
  bridge: string;
  /** For ip6tables (the IPv6 subnet; internal networks' and routed mode's IPv6 forms). */
  v6: boolean;
  /** The network's subnet as CIDR text (e.g. 172.17.0.0/16). */
  subnet: string;
  icc: boolean;
  ipMasq: boolean;
  internal: boolean;
  userlandProxy: boolean;
  /** com.docker.network.bridge.gateway_mode_ipv4 (28/29): nat, nat-unprotected, routed, isolated. */
  gatewayMode: string;
  /** com.docker.network.host_ipv4: SNAT to this address instead of MASQUERADE ("" when unset). */
  snatSource: string;
  /** com.docker.network.bridge.trusted_host_interfaces: may reach the containers directly (28+). */
  trustedInterfaces: string[];
}

/** The network's outbound NAT target: MASQUERADE, or SNAT to com.docker.network.host_ipv4. */
export function masqueradeTarget(n: BridgeRules): string {
  return n.snatSource === "" ? "MASQUERADE" : `SNAT --to-source ${n.snatSource}`;
}

export interface PortRule {
  bridge: string;
  proto: string;
  /** For ip6tables: IPv6 addresses, and the DNAT leaves link-local sources alone. */
  v6: boolean;
  /** Host address ("", 0.0.0.0 or :: for any) and port, container address and port. */
  hostIp: string;
  hostPort: number;
  containerIp: string;
  containerPort: number;
  userlandProxy: boolean;
  gatewayMode: string;
}

/** The rules of one Docker version's layout, for the bridge driver to call. */
export interface FirewallLayout {
  /** Daemon start: the chains and fixed jumps (FORWARD policy DROP when Docker turned forwarding on). */
  setup(state: IptablesState, forwardDrop: boolean): void;
  addBridge(state: IptablesState, n: BridgeRules): void;
  removeBridge(state: IptablesState, n: BridgeRules): void;
  /** Per endpoint (v28.2+: the raw direct-access drop, nat mode); nothing in the classic layout. */
  addEndpoint(state: IptablesState, n: BridgeRules, ip: string): void;
  removeEndpoint(state: IptablesState, n: BridgeRules, ip: string): void;
  addPort(state: IptablesState, p: PortRule): void;
  removePort(state: IptablesState, p: PortRule): void;
}

export function ipt(state: IptablesState, line: string): void {
  const r = runIptables(state, line.split(" "));
  if (r.exit !== 0) throw new Error(`docker firewall: iptables ${line}: ${r.stderr.trim()}`);
}

/** Does chain `chain` of `table` have this rule (iptables -C)? */
export function has(state: IptablesState, line: string): boolean {
  return runIptables(state, line.replace(/^(-t \w+ )?-[AI] /, "$1-C ").split(" ")).exit === 0;
}

/** Daemon start: Docker's chains, the isolation chains' RETURN, DOCKER-USER's RETURN. */
export function setupChains(state: IptablesState, forwardDrop: boolean): void {
  ipt(state, "-t nat -N DOCKER");
  ipt(state, "-t filter -N DOCKER");
  ipt(state, "-t filter -N DOCKER-ISOLATION-STAGE-1");
  ipt(state, "-t filter -N DOCKER-ISOLATION-STAGE-2");
  ipt(state, "-t filter -A DOCKER-ISOLATION-STAGE-1 -j RETURN");
  ipt(state, "-t filter -A DOCKER-ISOLATION-STAGE-2 -j RETURN");
  ipt(state, "-t filter -N DOCKER-USER");
  ipt(state, "-t filter -A DOCKER-USER -j RETURN");
  if (forwardDrop) ipt(state, "-t filter -P FORWARD DROP");
}

/**
 * The nat PREROUTING and OUTPUT jumps to DOCKER, made once (OUTPUT leaves loopback alone while the
 * userland proxy is on).
 */
export function addDockerJumps(state: IptablesState, userlandProxy: boolean): void {
  const prerouting = "-t nat -A PREROUTING -m addrtype --dst-type LOCAL -j DOCKER";
  if (!has(state, prerouting)) ipt(state, prerouting);
  // iptables.loopbackAddress: 127.0.0.0/8, or ::1/128 in ip6tables.
  const loopback = state.family === 6 ? "::1/128" : "127.0.0.0/8";
  const output = userlandProxy
    ? `-t nat -A OUTPUT ! -d ${loopback} -m addrtype --dst-type LOCAL -j DOCKER`
    : "-t nat -A OUTPUT -m addrtype --dst-type LOCAL -j DOCKER";
  if (!has(state, output)) ipt(state, output);
}

/** A chain's jump moved to the top of FORWARD (Docker deletes and re-inserts it). */
function jumpFirst(state: IptablesState, chain: string): void {
  if (has(state, `-t filter -A FORWARD -j ${chain}`)) ipt(state, `-t filter -D FORWARD -j ${chain}`);
  ipt(state, `-t filter -I FORWARD -j ${chain}`);
}

/**
 * An internal network's two drops (setupInternalNetworkRules): traffic leaving or entering the
 * bridge from outside its subnet; the IPv6 forms also name the other side's interface.
 */
export function internalDrops(n: BridgeRules, where: string): string[] {
  const br = n.bridge;
  return n.v6
    ? [
        `-t filter ${where} -i ${br} ! -o ${br} ! -d ${n.subnet} -j DROP`,
        `-t filter ${where} ! -i ${br} -o ${br} ! -s ${n.subnet} -j DROP`,
      ]
    : [
        `-t filter ${where} -i ${br} ! -d ${n.subnet} -j DROP`,
        `-t filter ${where} -o ${br} ! -s ${n.subnet} -j DROP`,
      ];
}

/** A bridge network's own rules, in the order Docker makes them ("-I" inserts, "-A" appends). */
function bridgeRuleLines(n: BridgeRules): string[] {
  const br = n.bridge;
  const iccRule = n.icc
    ? `-t filter -I FORWARD -i ${br} -o ${br} -j ACCEPT`
    : `-t filter -A FORWARD -i ${br} -o ${br} -j DROP`;
  if (n.internal) return [...internalDrops(n, "-I DOCKER-ISOLATION-STAGE-1"), iccRule];
  const lines: string[] = [];
  if (n.ipMasq) lines.push(`-t nat -I POSTROUTING -s ${n.subnet} ! -o ${br} -j ${masqueradeTarget(n)}`);
  if (n.userlandProxy) lines.push(`-t nat -I DOCKER -i ${br} -j RETURN`);
  else lines.push(`-t nat -I POSTROUTING -o ${br} -m addrtype --src-type LOCAL -j ${masqueradeTarget(n)}`);
  lines.push(
    iccRule,
    `-t filter -I FORWARD -i ${br} ! -o ${br} -j ACCEPT`,
    `-t filter -I FORWARD -o ${br} -j DOCKER`,
    `-t filter -I FORWARD -o ${br} -m conntrack --ctstate RELATED,ESTABLISHED -j ACCEPT`,
    `-t filter -I DOCKER-ISOLATION-STAGE-1 -i ${br} ! -o ${br} -j DOCKER-ISOLATION-STAGE-2`,
    `-t filter -I DOCKER-ISOLATION-STAGE-2 -o ${br} -j DROP`,
  );
  return lines;
}

/**
 * A bridge network's rules (newest network on top): its own lines, the nat PREROUTING/OUTPUT
 * jumps to DOCKER once, and the FORWARD jumps to DOCKER-ISOLATION-STAGE-1 and DOCKER-USER moved
 * back to the top, in that order.
 */
export function addBridgeRules(state: IptablesState, n: BridgeRules): void {
  const lines = bridgeRuleLines(n);
  // The isolation pair comes after the jumps are settled (steps 6-9 of the classic driver).
  const isolation = n.internal ? [] : lines.splice(-2);
  for (const l of lines) ipt(state, l);
  if (!n.internal) addDockerJumps(state, n.userlandProxy);
  jumpFirst(state, "DOCKER-ISOLATION-STAGE-1");
  for (const l of isolation) ipt(state, l);
  jumpFirst(state, "DOCKER-USER");
}

/** `docker network rm`: the network's own rules go (the shared jumps stay). */
export function removeBridgeRules(state: IptablesState, n: BridgeRules): void {
  for (const l of bridgeRuleLines(n)) ipt(state, l.replace(/^(-t \w+ )-[AI] /, "$1-D "));
}

/** A published port's words shared by the layouts: host match, DNAT target, the container as a host route. */
export function portMatchWords(p: PortRule): { dnatMatch: string; to: string; container: string } {
  const anyHost = p.hostIp === "" || p.hostIp === "0.0.0.0" || p.hostIp === "::";
  const hostIp = anyHost ? "" : ` -d ${p.hostIp}`;
  const notIn = p.userlandProxy ? ` ! -i ${p.bridge}` : "";
  const linkLocal = p.v6 ? " ! -s fe80::/10" : "";
  return {
    dnatMatch: `${linkLocal}${hostIp}${notIn} -p ${p.proto} -m ${p.proto} --dport ${p.hostPort}`,
    to: p.v6 ? `[${p.containerIp}]:${p.containerPort}` : `${p.containerIp}:${p.containerPort}`,
    container: `${p.containerIp}/${p.v6 ? 128 : 32}`,
  };
}

function portWords(p: PortRule): { dnat: string; accept: string; masq: string } {
  const w = portMatchWords(p);
  return {
    dnat: `-t nat -A DOCKER${w.dnatMatch} -j DNAT --to-destination ${w.to}`,
    accept: `-t filter -A DOCKER -d ${w.container} ! -i ${p.bridge} -o ${p.bridge} -p ${p.proto} -m ${p.proto} --dport ${p.containerPort} -j ACCEPT`,
    masq: `-t nat -A POSTROUTING -s ${w.container} -d ${w.container} -p ${p.proto} -m ${p.proto} --dport ${p.containerPort} -j MASQUERADE`,
  };
}

/** A published port: DNAT in nat DOCKER, ACCEPT in filter DOCKER, the hairpin MASQUERADE (all appended). */
export function addPortRules(state: IptablesState, p: PortRule): void {
  const w = portWords(p);
  ipt(state, w.dnat);
  ipt(state, w.accept);
  ipt(state, w.masq);
}

export function removePortRules(state: IptablesState, p: PortRule): void {
  const w = portWords(p);
  for (const line of [w.dnat, w.accept, w.masq]) ipt(state, line.replace(/^(-t \w+ )-A /, "$1-D "));
}

/** Docker 27's layout. */
export const CLASSIC_LAYOUT: FirewallLayout = {
  setup: setupChains,
  addBridge: addBridgeRules,
  removeBridge: removeBridgeRules,
  addEndpoint: () => {},
  removeEndpoint: () => {},
  addPort: addPortRules,
  removePort: removePortRules,
};
