/**
 * `nslookup NAME [SERVER]` as the alpine/busybox images have it (busybox 1.36): asks the first
 * nameserver of /etc/resolv.conf (or SERVER) for the name's A record and prints the server, then
 * `Non-authoritative answer:` with the name and each address; an unknown name is
 * `** server can't find NAME: NXDOMAIN` (SERVFAIL likewise), exit 1.
 * Deviations: only the A question is asked (busybox also asks AAAA and prints its empty answer).
 */

import { ipv4ToString, parseIpv4 } from "../util/ipv4-address.js";
import { aAddress, RCODE_NXDOMAIN, rcodeOf, TYPE_A } from "../wire/dns.js";
import type { ProcessContext, RunningProcess } from "./process.js";
import { nameserverOf, queryServer } from "./resolver.js";

export function nslookup(args: string[], ctx: ProcessContext): RunningProcess | undefined {
  const [name, serverText] = args;
  if (!name) {
    ctx.err("BusyBox v1.36.1 (2023-11-07 18:53:09 UTC) multi-call binary.");
    ctx.exit(1);
    return undefined;
  }
  const server = serverText ? parseIpv4(serverText) : nameserverOf(ctx.ns);
  if (server === undefined) {
    ctx.err(`nslookup: can't resolve '${serverText ?? ""}'`);
    ctx.exit(1);
    return undefined;
  }
  ctx.out(`Server:\t\t${ipv4ToString(server)}`);
  ctx.out(`Address:\t${ipv4ToString(server)}:53`);
  ctx.out("");
  let done = false;
  queryServer(ctx, server, name, TYPE_A, (m) => {
    if (done) return;
    done = true;
    if (!m) {
      ctx.out(";; connection timed out; no servers could be reached");
      ctx.out("");
      ctx.exit(1);
      return;
    }
    const answers = m.answers.filter((r) => r.type === TYPE_A);
    if (answers.length === 0) {
      ctx.out(`** server can't find ${name}: ${rcodeOf(m) === RCODE_NXDOMAIN ? "NXDOMAIN" : "SERVFAIL"}`);
      ctx.out("");
      ctx.exit(1);
      return;
    }
    ctx.out("Non-authoritative answer:");
    for (const r of answers) {
      ctx.out(`Name:\t${r.name}`);
      ctx.out(`Address: ${ipv4ToString(aAddress(r))}`);
    }
    ctx.out("");
    ctx.exit(0);
  });
  return {
    interrupt: () => {
      done = true;
      ctx.exit(1);
    },
  };
}
