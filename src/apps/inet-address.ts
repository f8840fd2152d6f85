/**
 * A program's view of an address of either family (struct sockaddr_in / sockaddr_in6): the
 * family and the number the namespace's sockets use for it (an IPv4 address, or an IPv6
 * address's interned id). Literals of both kinds, printing, and getaddrinfo for a family:
 * AF_INET, AF_INET6, or unspecified — which tries IPv4 first and IPv6 when a name has no IPv4
 * address (deviation: glibc/musl sort both by RFC 6724 and ask for A and AAAA together).
 */

import type { NetNamespace } from "../kernel/namespace.js";
import type { TcpTable } from "../kernel/tcp/tcp-table.js";
import type { UdpTable } from "../kernel/udp.js";
import { ipv4ToString, parseIpv4 } from "../util/ipv4-address.js";
import { ipv6ToString, parseIpv6 } from "../util/ipv6-address.js";
import type { ProcessContext } from "./process.js";
import { type LookupError, lookupHost, lookupHost6 } from "./resolver.js";

export interface InetAddr {
  readonly v6: boolean;
  readonly addr: number;
}

/** 4, 6, or 0 for either (-4, -6, neither). */
export type InetFamilyChoice = 0 | 4 | 6;

/** A numeric address of the chosen family, or undefined. */
export function parseInetLiteral(
  ns: NetNamespace,
  text: string,
  family: InetFamilyChoice = 0,
): InetAddr | undefined {
  if (family !== 6) {
    const a = parseIpv4(text);
    if (a !== undefined) return { v6: false, addr: a };
  }
  if (family !== 4) {
    const a = parseIpv6(text);
    if (a !== undefined) return { v6: true, addr: ns.ipv6.ids.idOf(a, 0) };
  }
  return undefined;
}

/** The address as text: dotted quad, or IPv6 text without brackets. */
export function inetText(ns: NetNamespace, a: InetAddr): string {
  return a.v6 ? ipv6ToString(ns.ipv6.ids.bytes(a.addr)) : ipv4ToString(a.addr);
}

/** The address as it goes before `:port` in a URL or log line: IPv6 in brackets. */
export function inetHostText(ns: NetNamespace, a: InetAddr): string {
  return a.v6 ? `[${inetText(ns, a)}]` : inetText(ns, a);
}

export function tcpOf(ns: NetNamespace, v6: boolean): TcpTable {
  return v6 ? ns.tcp6 : ns.tcp;
}

export function udpOf(ns: NetNamespace, v6: boolean): UdpTable {
  return v6 ? ns.udp6 : ns.udp;
}

/** getaddrinfo(name) for `family`: a literal, /etc/hosts, then DNS. */
export function lookupInet(
  ctx: ProcessContext,
  name: string,
  family: InetFamilyChoice,
  done: (a: InetAddr | undefined, error?: LookupError) => void,
): void {
  const literal = parseInetLiteral(ctx.ns, name, family);
  if (literal) {
    done(literal);
    return;
  }
  const six = () =>
    lookupHost6(ctx, name, (a, error) =>
      done(a ? { v6: true, addr: ctx.ns.ipv6.ids.idOf(a, 0) } : undefined, error),
    );
  if (family === 6) {
    six();
    return;
  }
  lookupHost(ctx, name, (a, error) => {
    if (a !== undefined) done({ v6: false, addr: a });
    else if (family === 0 && error === "EAI_NONAME") six();
    else done(undefined, error);
  });
}
