/**
 * `conntrack -E` (conntrack-tools 1.4.7): prints each connection-tracking event of its namespace as
 * it happens — `    [NEW]` when an entry is confirmed, ` [UPDATE]` when its state or flags change,
 * `[DESTROY]` when it goes — and on interrupt how many it showed. Runs until interrupted.
 * An entry that times out is reported when the gc worker's next pass finds it (Conntrack.gcPass:
 * up to a minute after the timeout, as on Linux). Deviation: Linux's worker is one per host,
 * always running, so its phase is arbitrary; here each listening namespace runs its own, its
 * first pass when `conntrack -E` starts.
 */

import type { ConntrackEntry } from "../netfilter/conntrack.js";
import type { ScheduledEvent } from "../sim/event-queue.js";
import { MILLISECOND } from "../sim/time.js";
import type { ProcessContext, RunningProcess } from "./process.js";

export function conntrackEvents(ctx: ProcessContext): RunningProcess {
  const ct = ctx.ns.netfilter.conntrack;
  let shown = 0;
  const sim = ctx.host.sim;
  // The gc worker's passes, while the table has entries (so that a `wait` can still end).
  let gc: ScheduledEvent | undefined;
  const pass = () => {
    const delay = ct.gcPass();
    gc = ct.size > 0 ? sim.scheduleAfter(delay * MILLISECOND, pass) : undefined;
  };
  const listener = (type: "NEW" | "UPDATE" | "DESTROY", e: ConntrackEntry) => {
    shown++;
    ctx.out(`${`[${type}]`.padStart(9)} ${ct.describe(e, type === "DESTROY" ? "destroy" : "event")}`);
    if (type === "NEW" && !gc) gc = sim.scheduleAfter(0, pass);
  };
  ct.listeners.add(listener);
  if (ct.size > 0) gc = sim.scheduleAfter(0, pass);
  return {
    interrupt: () => {
      if (gc) sim.cancel(gc);
      ct.listeners.delete(listener);
      ctx.err(`conntrack v1.4.7 (conntrack-tools): ${shown} flow events have been shown.`);
      ctx.exit(0);
    },
  };
}
