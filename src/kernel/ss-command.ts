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

/** ss's table: each column as wide as its widest cell; addresses right-aligned before the colon. */
function formatSs(rows: string[][]): string {
  const header = ["State", "Recv-Q", "Send-Q", "Local Address", "Port", "Peer Address", "Port"];
  const width = (i: number) => Math.max(...[header, ...rows].map((r) => (r[i] as string).length));
  const w = [0, 1, 2, 3, 4, 5, 6].map(width);
  const line = (r: string[], head: boolean) =>
    [
      (r[0] as string).padEnd(w[0] as number),
      (r[1] as string).padEnd(w[1] as number),
      (r[2] as string).padEnd(w[2] as number),
      `${(r[3] as string).padStart(w[3] as number)}:${(r[4] as string).padEnd(w[4] as number)}`,
      `${(r[5] as string).padStart(w[5] as number)}:${(r[6] as string).padEnd(w[6] as number)}`,
    ].join(" ") + (head ? "Process" : "");
  return `${[line(header, true), ...rows.map((r) => line(r, false))].join("\n")}\n`;
}
