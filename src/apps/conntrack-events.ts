/**
 * `conntrack -E` (conntrack-tools 1.4.7): prints each connection-tracking event of its namespace as
 * it happens — `    [NEW]` when an entry is confirmed, ` [UPDATE]` when its state or flags change,
 * `[DESTROY]` when it goes — and on interrupt how many it showed. Runs until interrupted.
 * Deviation: an entry that times out is reported when dockwire's lazy gc removes it, which can be
 * later than Linux's gc worker (Linux, too, reports it some time after the timeout).
 */

import type { ConntrackEntry } from "../netfilter/conntrack.js";
import type { ProcessContext, RunningProcess } from "./process.js";

export function conntrackEvents(ctx: ProcessContext): RunningProcess {
  const ct = ctx.ns.netfilter.conntrack;
  let shown = 0;
  const listener = (type: "NEW" | "UPDATE" | "DESTROY", e: ConntrackEntry) => {
    shown++;
    ctx.out(`${`[${type}]`.padStart(9)} ${ct.describe(e, type === "DESTROY" ? "destroy" : "event")}`);
  };
  ct.listeners.add(listener);
  return {
    interrupt: () => {
      ct.listeners.delete(listener);
      ctx.err(`conntrack v1.4.7 (conntrack-tools): ${shown} flow events have been shown.`);
      ctx.exit(0);
    },
  };
}
