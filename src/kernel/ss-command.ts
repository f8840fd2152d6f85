/**
 * `ss` (iproute2 6.1) for TCP and UDP sockets: `ss [-t] [-u] [-a] [-n] [-l]` (also combined,
 * `-tan`, `-uan`, `-tln`): state, Recv-Q, Send-Q, local and peer address:port, IPv4 sockets
 * before IPv6 ones as inet_diag dumps them (ss asks for AF_INET, then AF_INET6), and within a
 * family TCP listeners before connections (inet_diag_dump_icsk walks the listening hash first),
 * with a Netid column when both protocols are shown (UDP first). Listening sockets show the accept
 * queue length and the backlog as Recv-Q/Send-Q, as Linux does; an unconnected UDP socket is
 * UNCONN and counts as listening. Without -a only non-listening sockets are shown; -l shows only
 * listeners. The State column is left out when only one state can show (`ss -u`: ESTAB), as ss
 * does. IPv6 addresses are bracketed, [::] without IPV6_V6ONLY is `*` (inet_addr_print); an IPv4
 * connection of a dual-stack listener, or an IPv6 UDP socket connected to an IPv4 peer, is an
 * AF_INET6 socket on Linux: [::ffff:a.b.c.d], listed with the IPv6 ones.
 * Deviation: no -p/-e/-i details, no filters; names are always numeric; rows in creation (TCP:
 * listeners first, a dual-stack listener's IPv4 connections after the native IPv6 ones) or bind
 * (UDP) order rather than hash order.
 */

import { ipv4ToString } from "../util/ipv4-address.js";
import type { InetFamily } from "./inet-family.js";
import type { CommandResult } from "./ip-command.js";
import type { NetNamespace } from "./namespace.js";
import type { TcpSocket } from "./tcp/tcp-socket.js";
import { SS_STATE_NAMES, TCP_LISTEN } from "./tcp/tcp-state.js";

/** A socket's address as ss prints it (before `:port`). */
function addressText(net: InetFamily, addr: number, v6only: boolean, mapped: boolean): string {
  if (mapped) return `[::ffff:${ipv4ToString(addr)}]`;
  if (!net.v6) return ipv4ToString(addr);
  return addr === 0 && !v6only ? "*" : `[${net.text(addr)}]`;
}

export function runSs(ns: NetNamespace, args: string[]): CommandResult {
  let tcp = false;
  let udp = false;
  let all = false;
  let listening = false;
  for (const a of args) {
    if (!/^-[a-zA-Z]+$/.test(a)) {
      return { stdout: "", stderr: `ss: bogus state "${a}"\n`, exit: 255 };
    }
    for (const f of a.slice(1)) {
      if (f === "t") tcp = true;
      else if (f === "u") udp = true;
      else if (f === "a") all = true;
      else if (f === "l") listening = true;
      else if (f === "n") continue;
      else return { stdout: "", stderr: `ss: invalid option -- '${f}'\n`, exit: 255 };
    }
  }
  if (!tcp && !udp) tcp = true;
  const netid = tcp && udp;
  // ss drops the State column when its state filter has one state: `-u` alone asks for ESTAB only.
  const state = tcp || all || listening;
  const rows: string[][] = [];
  const { tcp6, udp6 } = ns.transport6IfMade();
  const shown = (isListener: boolean) => (listening ? isListener : all || !isListener);
  const row = (proto: string, cells: string[]) =>
    rows.push([...(netid ? [proto] : []), ...(state ? cells : cells.slice(1))]);
  if (udp) {
    for (const table of udp6 ? [ns.udp, udp6] : [ns.udp]) {
      for (const s of table.sockets()) {
        const connected = s.remotePort !== 0;
        if (!shown(!connected)) continue;
        const local = addressText(table.net, s.localAddr, s.v6only, s.mapped);
        const peer = addressText(table.net, s.remoteAddr, s.v6only, s.mapped);
        const r = [connected ? "ESTAB" : "UNCONN", "0", "0", local, String(s.localPort), peer];
        row("udp", [...r, connected ? String(s.remotePort) : "*"]);
      }
    }
  }
  if (tcp) {
    const tcpRow = (net: InetFamily, s: TcpSocket) => {
      const isListener = s.state === TCP_LISTEN;
      const recvQ = isListener ? s.acceptQueue.length : s.receiveQueueBytes;
      const sendQ = isListener ? s.backlog : s.sendQueueBytes;
      row("tcp", [
        SS_STATE_NAMES[s.state] ?? "UNKNOWN",
        String(recvQ),
        String(sendQ),
        addressText(net, s.localAddr, s.v6only, s.mapped),
        isListener && s.localPort === 0 ? "*" : String(s.localPort),
        addressText(net, s.remoteAddr, s.v6only, s.mapped),
        isListener ? "*" : String(s.remotePort),
      ]);
    };
    // Per family: listeners, then connections; a dual-stack listener's IPv4 connections are
    // AF_INET6 sockets on Linux, so they come with the IPv6 ones.
    const v4 = [...ns.tcp.sockets].filter((s) => !s.mapped);
    const v6 = [...(tcp6?.sockets ?? []), ...[...ns.tcp.sockets].filter((s) => s.mapped)];
    for (const family of [v4, v6]) {
      for (const listeners of [true, false]) {
        for (const s of family) {
          const isListener = s.state === TCP_LISTEN;
          if (isListener !== listeners || !shown(isListener)) continue;
          tcpRow(s.v6 && tcp6 ? tcp6.net : ns.tcp.net, s);
        }
      }
    }
  }
  return { stdout: formatSs(rows, netid, state), stderr: "", exit: 0 };
}

/**
 * ss's table as iproute2 6.1 prints it when not on a terminal: each column as wide as its widest
 * cell (header included) plus a space; addresses right-aligned against the colon; the peer port
 * column has no space before "Process" (hence Linux's `Peer Address:PortProcess`), and rows are
 * padded under it.
 */
function formatSs(rows: string[][], netid: boolean, state: boolean): string {
  const header = [
    ...(netid ? ["Netid"] : []),
    ...(state ? ["State"] : []),
    "Recv-Q",
    "Send-Q",
    "Local Address",
    "Port",
    "Peer Address",
    "Port",
  ];
  const w = header.map((_, i) => Math.max(...[header, ...rows].map((r) => (r[i] as string).length)));
  const line = (r: string[], last: string) => {
    const n = r.length - 4;
    let text = "";
    for (let i = 0; i < n; i++) text += (r[i] as string).padEnd((w[i] as number) + 1);
    return (
      `${text}${(r[n] as string).padStart(w[n] as number)}:${(r[n + 1] as string).padEnd((w[n + 1] as number) + 1)}` +
      `${(r[n + 2] as string).padStart(w[n + 2] as number)}:${(r[n + 3] as string).padEnd(w[n + 3] as number)}${last}`
    );
  };
  return `${[line(header, "Process"), ...rows.map((r) => line(r, "       "))].join("\n")}\n`;
}
