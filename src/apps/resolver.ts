/**
 * The C library's name lookup as programs use it (glibc getaddrinfo/getnameinfo with
 * `hosts: files dns`, resolv/res_send.c), for IPv4: a literal address; then /etc/hosts; then DNS
 * to the first `nameserver` of /etc/resolv.conf — a query from a random port with a random id and
 * RD set, 5 s timeout, 2 attempts (RES_TIMEOUT, RES_DFLRETRY), the answer's A records, in order.
 * NXDOMAIN (or an answer with no address) is "Name or service not known" (EAI_NONAME); no
 * answer, SERVFAIL or REFUSED is "Temporary failure in name resolution" (EAI_AGAIN). Reverse
 * lookups ask for PTR of `d.c.b.a.in-addr.arpa`. IPv6 lookups (a program asking for AF_INET6) ask
 * for AAAA. Deviations: one family per lookup (glibc asks for A and AAAA together for AF_UNSPEC);
 * no search domains or ndots; one nameserver.
 */

import type { NetNamespace } from "../kernel/namespace.js";
import { SECOND } from "../sim/time.js";
import { ipv4ToString, parseIpv4 } from "../util/ipv4-address.js";
import { parseIpv6 } from "../util/ipv6-address.js";
import {
  aAddress,
  CLASS_IN,
  DNS_PORT,
  dataName,
  emitDns,
  FLAG_RD,
  parseDns,
  RCODE_NOERROR,
  RCODE_NXDOMAIN,
  rcodeOf,
  TYPE_A,
  TYPE_AAAA,
  TYPE_PTR,
} from "../wire/dns.js";
import type { ProcessContext } from "./process.js";

export type LookupError = "EAI_NONAME" | "EAI_AGAIN";

/** gai_strerror's texts. */
export const LOOKUP_TEXT: Record<LookupError, string> = {
  EAI_NONAME: "Name or service not known",
  EAI_AGAIN: "Temporary failure in name resolution",
};

const TIMEOUT = 5 * SECOND;
const ATTEMPTS = 2;

/** The address for `name` in /etc/hosts (first match, names case-insensitive). */
function fromHostsFile<T>(
  ns: NetNamespace,
  name: string,
  parse: (text: string) => T | undefined,
): T | undefined {
  for (const line of (ns.files.get("/etc/hosts") ?? "").split("\n")) {
    const [addr = "", ...names] = line.replace(/#.*/, "").trim().split(/\s+/);
    const a = parse(addr);
    if (a !== undefined && names.some((n) => n.toLowerCase() === name.toLowerCase())) return a;
  }
  return undefined;
}

/** The first `nameserver` of the namespace's /etc/resolv.conf. */
export function nameserverOf(ns: NetNamespace): number | undefined {
  for (const line of (ns.files.get("/etc/resolv.conf") ?? "").split("\n")) {
    const m = /^\s*nameserver\s+(\S+)/.exec(line);
    const a = m ? parseIpv4(m[1] as string) : undefined;
    if (a !== undefined) return a;
  }
  return undefined;
}

/**
 * Ask the nameserver one question; `done` gets the parsed answer, or undefined when every
 * attempt timed out.
 */
export function queryServer(
  ctx: ProcessContext,
  server: number,
  name: string,
  type: number,
  done: (answer: ReturnType<typeof parseDns> | undefined) => void,
): void {
  const sim = ctx.host.sim;
  // The query id: a stream per namespace, instant, name (and type, but for A) — two questions
  // asked together get ids of their own.
  const rng = sim.random(`resolver:${ctx.ns.name}:${sim.now}:${name}${type === TYPE_A ? "" : `:${type}`}`);
  const id = rng.int(0, 0xffff);
  const sock = ctx.ns.udp.socket();
  let attempt = 0;
  let timer = sim.scheduleAfter(0, () => {});
  const finish = (answer: ReturnType<typeof parseDns> | undefined) => {
    sim.cancel(timer);
    sock.close();
    done(answer);
  };
  sock.onMessage = (d) => {
    try {
      const m = parseDns(d.data);
      if (m.id === id) finish(m);
    } catch {
      // not a DNS answer: ignored, as res_send does
    }
  };
  const send = () => {
    if (attempt++ >= ATTEMPTS) {
      finish(undefined);
      return;
    }
    try {
      sock.send(
        emitDns({
          id,
          flags: FLAG_RD,
          questions: [{ name, type, class: CLASS_IN }],
          answers: [],
          authorities: [],
          additionals: [],
        }),
      );
    } catch {
      finish(undefined);
      return;
    }
    timer = sim.scheduleAfter(TIMEOUT, send);
  };
  sock.connect(server, DNS_PORT);
  send();
}

/** getaddrinfo(name) for IPv4: `done(address)` or `done(undefined, error)`. */
export function lookupHost(
  ctx: ProcessContext,
  name: string,
  done: (addr: number | undefined, error?: LookupError) => void,
): void {
  const literal = parseIpv4(name);
  if (literal !== undefined) {
    done(literal);
    return;
  }
  const fromFile = fromHostsFile(ctx.ns, name, parseIpv4);
  if (fromFile !== undefined) {
    done(fromFile);
    return;
  }
  const server = nameserverOf(ctx.ns);
  if (server === undefined) {
    done(undefined, "EAI_NONAME");
    return;
  }
  queryServer(ctx, server, name.replace(/\.$/, ""), TYPE_A, (m) => {
    if (!m) {
      done(undefined, "EAI_AGAIN");
      return;
    }
    const a = m.answers.find((r) => r.type === TYPE_A);
    if (a) {
      done(aAddress(a));
      return;
    }
    const rcode = rcodeOf(m);
    done(undefined, rcode === RCODE_NXDOMAIN || rcode === RCODE_NOERROR ? "EAI_NONAME" : "EAI_AGAIN");
  });
}

/** getaddrinfo(name) with AF_INET6 (`ping -6`): a literal, /etc/hosts, then an AAAA query. */
export function lookupHost6(
  ctx: ProcessContext,
  name: string,
  done: (addr: Uint8Array | undefined, error?: LookupError) => void,
): void {
  const literal = parseIpv6(name) ?? fromHostsFile(ctx.ns, name, parseIpv6);
  if (literal !== undefined) {
    done(literal);
    return;
  }
  const server = nameserverOf(ctx.ns);
  if (server === undefined) {
    done(undefined, "EAI_NONAME");
    return;
  }
  queryServer(ctx, server, name.replace(/\.$/, ""), TYPE_AAAA, (m) => {
    if (!m) {
      done(undefined, "EAI_AGAIN");
      return;
    }
    const a = m.answers.find((r) => r.type === TYPE_AAAA && r.data.length === 16);
    if (a) {
      done(a.data.slice());
      return;
    }
    const rcode = rcodeOf(m);
    done(undefined, rcode === RCODE_NXDOMAIN || rcode === RCODE_NOERROR ? "EAI_NONAME" : "EAI_AGAIN");
  });
}

/** getnameinfo(addr, NI_NAMEREQD): the name /etc/hosts or a PTR record gives, or undefined. */
export function lookupAddress(
  ctx: ProcessContext,
  addr: number,
  done: (name: string | undefined) => void,
): void {
  for (const line of (ctx.ns.files.get("/etc/hosts") ?? "").split("\n")) {
    const [a = "", first] = line.replace(/#.*/, "").trim().split(/\s+/);
    if (parseIpv4(a) === addr && first) {
      done(first);
      return;
    }
  }
  const server = nameserverOf(ctx.ns);
  if (server === undefined) {
    done(undefined);
    return;
  }
  const reversed = ipv4ToString(addr).split(".").reverse().join(".");
  queryServer(ctx, server, `${reversed}.in-addr.arpa`, TYPE_PTR, (m) => {
    const ptr = m?.answers.find((r) => r.type === TYPE_PTR);
    done(ptr ? dataName(ptr) : undefined);
  });
}
