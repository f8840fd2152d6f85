/**
 * The IPv6 side of `ping` (iputils 20221126's ping6_common.c): ICMPv6 echo requests to an IPv6
 * address, optionally with a zone (`fe80::1%eth0`) that picks the device, the `PING a(a) 56 data
 * bytes` banner, replies from a link-local address shown with the zone of the device they came
 * in on, and ICMPv6 errors in iputils' words (`Destination unreachable: Address unreachable`,
 * `Time exceeded: Hop limit`, `Packet too big: mtu=1280`).
 */

import { u16 } from "../util/bytes.js";
import { ipv6ToString } from "../util/ipv6-address.js";
import {
  ICMPV6_DST_UNREACH,
  ICMPV6_ECHO_REPLY,
  ICMPV6_ECHO_REQUEST,
  ICMPV6_PACKET_TOO_BIG,
  ICMPV6_PARAM_PROB,
  ICMPV6_TIME_EXCEEDED,
} from "../wire/icmpv6.js";
import { IPPROTO_ICMPV6 } from "../wire/ipv6.js";
import type { PingWire } from "./ping.js";
import type { ProcessContext } from "./process.js";

const UNREACH = [
  "No route",
  "Administratively prohibited",
  "Beyond scope of source address",
  "Address unreachable",
  "Port unreachable",
];

function errorText(type: number, code: number, info: number): string {
  if (type === ICMPV6_DST_UNREACH)
    return `Destination unreachable: ${UNREACH[code] ?? `Unknown code ${code}`}`;
  if (type === ICMPV6_PACKET_TOO_BIG) return `Packet too big: mtu=${info}`;
  if (type === ICMPV6_TIME_EXCEEDED)
    return `Time exceeded: ${code === 0 ? "Hop limit" : code === 1 ? "Defragmentation failure" : `unknown code ${code}`}`;
  return `Parameter problem: code ${code} at ${info}`;
}

function isLinkLocal(a: Uint8Array, off = 0): boolean {
  return a[off] === 0xfe && ((a[off + 1] as number) & 0xc0) === 0x80;
}

export function icmpv6Wire(
  ctx: ProcessContext,
  target: Uint8Array,
  zone: string | undefined,
  o: { targetText: string; size: number; ttl: number },
): PingWire {
  const { ns } = ctx;
  const oif = zone === undefined ? 0 : (ns.device(zone)?.ifindex ?? 0);
  const targetText = `${ipv6ToString(target)}${zone === undefined ? "" : `%${zone}`}`;
  return {
    requestType: ICMPV6_ECHO_REQUEST,
    refuse() {
      const errno = ns.ipv6.routeErrno(target, oif);
      if (errno === undefined) return undefined;
      const text = {
        ENETUNREACH: "Network is unreachable",
        EINVAL: "Invalid argument",
        EACCES: "Permission denied",
      };
      return `ping: connect: ${text[errno as keyof typeof text] ?? "No route to host"}`;
    },
    address: targetText,
    banner: () => `PING ${o.targetText}(${targetText}) ${o.size} data bytes`,
    send: (p) => ns.ipv6.send(p, IPPROTO_ICMPV6, target, { hopLimit: o.ttl, oif, checksumAt: 2 }),
    listen: (id, onReply, onError) =>
      ns.ipv6.listen(IPPROTO_ICMPV6, (pkt, ip, l4, end) => {
        const buf = pkt.buf;
        const type = buf[l4] as number;
        const from = () => {
          const text = ipv6ToString(buf, ip + 8);
          const dev = ns.devices.get(pkt.ingressIfindex);
          return isLinkLocal(buf, ip + 8) && dev && dev !== ns.lo ? `${text}%${dev.name}` : text;
        };
        if (type === ICMPV6_ECHO_REPLY && u16(buf, l4 + 4) === id) {
          onReply(u16(buf, l4 + 6), from(), buf[ip + 7] as number, end - l4);
          return;
        }
        if (
          type !== ICMPV6_DST_UNREACH &&
          type !== ICMPV6_TIME_EXCEEDED &&
          type !== ICMPV6_PACKET_TOO_BIG &&
          type !== ICMPV6_PARAM_PROB
        )
          return;
        // The quoted packet must be one of our echo requests to the target.
        const q = l4 + 8;
        if (q + 48 > end || buf[q + 6] !== IPPROTO_ICMPV6 || buf[q + 40] !== ICMPV6_ECHO_REQUEST) return;
        if (u16(buf, q + 44) !== id) return;
        for (let i = 0; i < 16; i++) if (buf[q + 24 + i] !== target[i]) return;
        const info = (u16(buf, l4 + 4) << 16) | u16(buf, l4 + 6);
        onError(u16(buf, q + 46), from(), errorText(type, buf[l4 + 1] as number, info >>> 0));
      }),
  };
}
