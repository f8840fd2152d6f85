/**
 * `nslookup NAME [SERVER]` as the alpine/busybox images have it (busybox 1.36): asks the first
 * nameserver of /etc/resolv.conf (or SERVER) for the name's A and AAAA records together and
 * prints the server, then for each question in turn `Non-authoritative answer:` with the name and
 * each address, `*** Can't find NAME: No answer` when the name has none of that type, or
 * `** server can't find NAME: NXDOMAIN` (SERVFAIL likewise); exit 1 when no address came.
 * Deviation: the two questions leave from two sockets (busybox sends both from one).
 */

import { ipv4ToString, parseIpv4 } from "../util/ipv4-address.js";
import { ipv6ToString } from "../util/ipv6-address.js";
import { aAddress, RCODE_NOERROR, RCODE_NXDOMAIN, rcodeOf, TYPE_A, TYPE_AAAA } from "../wire/dns.js";
import type { ProcessContext, RunningProcess } from "./process.js";
import { nameserverOf, queryServer } from "./resolver.js";

type Answer = Parameters<Parameters<typeof queryServer>[4]>[0];

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
  const types = [TYPE_A, TYPE_AAAA];
  const replies = new Map<number, Answer>();
  const report = () => {
    if (done || replies.size < types.length) return;
    done = true;
    if ([...replies.values()].some((m) => m === undefined)) {
      ctx.out(";; connection timed out; no servers could be reached");
      ctx.out("");
      ctx.exit(1);
      return;
    }
    let found = false;
    for (const type of types) {
      const m = replies.get(type) as NonNullable<Answer>;
      const answers = m.answers.filter((r) => r.type === type);
      const rcode = rcodeOf(m);
      if (answers.length === 0 && rcode !== RCODE_NOERROR) {
        ctx.out(`** server can't find ${name}: ${rcode === RCODE_NXDOMAIN ? "NXDOMAIN" : "SERVFAIL"}`);
        ctx.out("");
        continue;
      }
      ctx.out("Non-authoritative answer:");
      if (answers.length === 0) ctx.out(`*** Can't find ${name}: No answer`);
      for (const r of answers) {
        ctx.out(`Name:\t${r.name}`);
        ctx.out(`Address: ${type === TYPE_A ? ipv4ToString(aAddress(r)) : ipv6ToString(r.data)}`);
        found = true;
      }
      ctx.out("");
    }
    ctx.exit(found ? 0 : 1);
  };
  for (const type of types)
    queryServer(ctx, server, name, type, (m) => {
      replies.set(type, m);
      report();
    });
  return {
    interrupt: () => {
      done = true;
      ctx.exit(1);
    },
  };
}
