/**
 * `ss` (iproute2 6.1) for TCP sockets: `ss -t [-a] [-n] [-l]` (also combined, `-tan`, `-tln`):
 * state, Recv-Q, Send-Q, local and peer address:port, one row per socket in creation order.
 * Listening sockets show the accept queue length and the backlog as Recv-Q/Send-Q, as Linux does.
 * Without -a only non-listening sockets are shown; -l shows only listeners.
 * Deviation: no -p/-e/-i details, no UDP (-u), no filters; names are always numeric.
 */

import { ipv4ToString } from "../util/ipv4-address.js";
import type { CommandResult } from "./ip-command.js";
import type { NetNamespace } from "./namespace.js";
import { SS_STATE_NAMES, TCP_LISTEN } from "./tcp/tcp-state.js";

export function runSs(ns: NetNamespace, args: string[]): CommandResult {
  let tcp = false;
  let all = false;
  let listening = false;
  for (const a of args) {
    if (!/^-[a-zA-Z]+$/.test(a)) {
      return { stdout: "", stderr: `ss: bogus state "${a}"\n`, exit: 255 };
    }
    for (const f of a.slice(1)) {
      if (f === "t") tcp = true;
      else if (f === "a") all = true;
      else if (f === "l") listening = true;
      else if (f === "n") continue;
      else return { stdout: "", stderr: `ss: invalid option -- '${f}'\n`, exit: 255 };
    }
  }
  if (!tcp) tcp = true;
  const rows: string[][] = [];
  for (const s of ns.tcp.sockets) {
    const isListener = s.state === TCP_LISTEN;
    if (listening ? !isListener : !all && isListener) continue;
    const recvQ = isListener ? s.acceptQueue.length : s.receiveQueueBytes;
    const sendQ = isListener ? s.backlog : s.sendQueueBytes;
    rows.push([
      SS_STATE_NAMES[s.state] ?? "UNKNOWN",
      String(recvQ),
      String(sendQ),
      ipv4ToString(s.localAddr),
      isListener && s.localPort === 0 ? "*" : String(s.localPort),
      ipv4ToString(s.remoteAddr),
      isListener ? "*" : String(s.remotePort),
    ]);
  }
  return { stdout: formatSs(rows), stderr: "", exit: 0 };
}

/**
 * ss's table as iproute2 6.1 prints it when not on a terminal: each column as wide as its widest
 * cell (header included) plus a space; addresses right-aligned against the colon; the peer port
 * column has no space before "Process" (hence Linux's `Peer Address:PortProcess`), and rows are
 * padded under it.
 */
function formatSs(rows: string[][]): string {
  const header = ["State", "Recv-Q", "Send-Q", "Local Address", "Port", "Peer Address", "Port"];
  const w = [0, 1, 2, 3, 4, 5, 6].map((i) =>
    Math.max(...[header, ...rows].map((r) => (r[i] as string).length)),
  );
  const cell = (r: string[], i: number) => r[i] as string;
  const line = (r: string[], last: string) =>
    `${cell(r, 0).padEnd((w[0] as number) + 1)}${cell(r, 1).padEnd((w[1] as number) + 1)}` +
    `${cell(r, 2).padEnd((w[2] as number) + 1)}${cell(r, 3).padStart(w[3] as number)}:` +
    `${cell(r, 4).padEnd((w[4] as number) + 1)}${cell(r, 5).padStart(w[5] as number)}:` +
    `${cell(r, 6).padEnd(w[6] as number)}${last}`;
  return `${[line(header, "Process"), ...rows.map((r) => line(r, "       "))].join("\n")}\n`;
}
