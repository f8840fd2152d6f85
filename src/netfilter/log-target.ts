/**
 * The LOG target's line (net/netfilter/nf_log_syslog.c, nf_log_ip_packet with no --log-tcp-*
 * or --log-ip-options flags): prefix, `IN= OUT=`, `PHYSIN=`/`PHYSOUT=` for a bridged frame
 * (br_netfilter) when they differ from IN/OUT, the link-layer header as `MAC=` when the packet
 * came in on a device, then the IPv4 header, the transport header (TCP ports, window, reserved
 * bits, flags, urgent pointer; UDP ports and length; ICMP type, code and echo id/sequence, or the
 * quoted packet in brackets for errors) and `MARK=` when the packet has one. Every field ends in a
 * space, so the line does too, as in dmesg.
 * An IPv6 packet (nf_log_ip6_packet, dump_ipv6_packet): `SRC= DST=` as inet_ntop writes them,
 * `LEN=` (payload + 40) `TC= HOPLIMIT= FLOWLBL=`, extension headers skipped (a later fragment
 * stops at `FRAG:`), then TCP/UDP as for IPv4 or `PROTO=ICMPv6 TYPE= CODE=` with the echo id and
 * sequence, or the quoted packet of an error between `[` and `) ` (the kernel's own closing).
 * Deviation: no --log-tcp-sequence, --log-tcp-options, --log-ip-options or --log-uid.
 */

import type { Packet } from "../link/packet.js";
import { u16, u32 } from "../util/bytes.js";
import { ipv4ToString } from "../util/ipv4-address.js";
import { ipv6ToString } from "../util/ipv6-address.js";

const hex2 = (n: number) => n.toString(16).padStart(2, "0");

export interface LogDevices {
  inName: string;
  outName: string;
  physIn: string;
  physOut: string;
}

export function logLine(prefix: string, pkt: Packet, dev: LogDevices): string {
  let s = `${prefix}IN=${dev.inName} OUT=${dev.outName} `;
  if (dev.physIn && dev.physIn !== dev.inName) s += `PHYSIN=${dev.physIn} `;
  if (dev.physOut && dev.physOut !== dev.outName) s += `PHYSOUT=${dev.physOut} `;
  if (dev.inName) {
    // dump_mac_header's fallback: the 14 bytes of the Ethernet header in front of the IP header.
    const b = pkt.buf;
    const bytes: string[] = [];
    for (let i = pkt.head - 14; i < pkt.head; i++) bytes.push(hex2(i >= 0 ? (b[i] as number) : 0));
    s += `MAC=${bytes.join(":")} `;
  }
  const v6 = (pkt.buf[pkt.head] as number) >>> 4 === 6;
  s += v6 ? ipv6Text(pkt.buf, pkt.head, pkt.tail, true) : ipv4Text(pkt.buf, pkt.head, pkt.tail, false);
  if (pkt.mark !== 0) s += `MARK=0x${pkt.mark.toString(16)} `;
  return s;
}

/** dump_ipv4_packet: the IPv4 header and what it carries, from `o` to `end`. */
function ipv4Text(b: Uint8Array, o: number, end: number, quoted: boolean): string {
  if (o + 20 > end) return "TRUNCATED ";
  const tos = b[o + 1] as number;
  const frag = u16(b, o + 6);
  let s = `SRC=${ipv4ToString(u32(b, o + 12))} DST=${ipv4ToString(u32(b, o + 16))} `;
  s += `LEN=${u16(b, o + 2)} TOS=0x${hex2(tos & 0x1e).toUpperCase()} PREC=0x${hex2(tos & 0xe0).toUpperCase()} `;
  s += `TTL=${b[o + 8]} ID=${u16(b, o + 4)} `;
  if (frag & 0x8000) s += "CE ";
  if (frag & 0x4000) s += "DF ";
  if (frag & 0x2000) s += "MF ";
  if (frag & 0x1fff) s += `FRAG:${frag & 0x1fff} `;
  const l4 = o + ((b[o] as number) & 15) * 4;
  const protocol = b[o + 9] as number;
  const first = (frag & 0x1fff) === 0;
  switch (protocol) {
    case 6:
    case 17:
      return s + transportText(b, protocol, l4, end, first);
    case 1: {
      s += "PROTO=ICMP ";
      if (!first) return s;
      if (l4 + 4 > end) return `${s}INCOMPLETE [${end - l4} bytes] `;
      const type = b[l4] as number;
      s += `TYPE=${type} CODE=${b[l4 + 1]} `;
      if (type === 0 || type === 8) {
        if (l4 + 8 > end) return `${s}INCOMPLETE [${end - l4} bytes] `;
        return `${s}ID=${u16(b, l4 + 4)} SEQ=${u16(b, l4 + 6)} `;
      }
      if (type === 12) s += `PARAMETER=${(b[l4 + 4] as number) >>> 0} `;
      if (type === 5) s += `GATEWAY=${ipv4ToString(u32(b, l4 + 4))} `;
      // An error quotes a packet (only one level deep): dumped in brackets.
      if (!quoted && (type === 3 || type === 4 || type === 5 || type === 11))
        s += `[${ipv4Text(b, l4 + 8, end, true)}] `;
      if (type === 3 && b[l4 + 1] === 4) s += `MTU=${u16(b, l4 + 6)} `;
      return s;
    }
    default:
      return `${s}PROTO=${protocol} `;
  }
}

/** nf_log_dump_tcp_header / nf_log_dump_udp_header: the ports and, for TCP, window and flags. */
function transportText(b: Uint8Array, protocol: number, l4: number, end: number, first: boolean): string {
  if (protocol === 6) {
    let s = "PROTO=TCP ";
    if (!first) return s;
    if (l4 + 20 > end) return `${s}INCOMPLETE [${end - l4} bytes] `;
    s += `SPT=${u16(b, l4)} DPT=${u16(b, l4 + 2)} WINDOW=${u16(b, l4 + 14)} `;
    // The four reserved bits after the data offset, shifted as Linux prints them.
    s += `RES=0x${hex2(((b[l4 + 12] as number) & 0x0f) << 2)} `;
    const flags = b[l4 + 13] as number;
    const names = ["FIN", "SYN", "RST", "PSH", "ACK", "URG", "ECE", "CWR"];
    for (let bit = 7; bit >= 0; bit--) if (flags & (1 << bit)) s += `${names[bit]} `;
    return `${s}URGP=${u16(b, l4 + 18)} `;
  }
  const s = "PROTO=UDP ";
  if (!first) return s;
  if (l4 + 8 > end) return `${s}INCOMPLETE [${end - l4} bytes] `;
  return `${s}SPT=${u16(b, l4)} DPT=${u16(b, l4 + 2)} LEN=${u16(b, l4 + 4)} `;
}

/** dump_ipv6_packet: the IPv6 header, extension headers skipped, and what it carries. */
function ipv6Text(b: Uint8Array, o: number, end: number, recurse: boolean): string {
  if (o + 40 > end) return "TRUNCATED ";
  const word = u32(b, o);
  let s = `SRC=${ipv6ToString(b, o + 8)} DST=${ipv6ToString(b, o + 24)} `;
  s += `LEN=${u16(b, o + 4) + 40} TC=${(word >>> 20) & 0xff} HOPLIMIT=${b[o + 7]} FLOWLBL=${word & 0xfffff} `;
  let nh = b[o + 6] as number;
  let p = o + 40;
  let fragment = false;
  while (nh === 0 || nh === 43 || nh === 60 || nh === 44 || nh === 51) {
    if (p + 8 > end) return `${s}TRUNCATED `;
    if (nh === 44) {
      const off = u16(b, p + 2) & 0xfff8;
      s += `FRAG:${off} `;
      if (off !== 0) fragment = true;
      nh = b[p] as number;
      p += 8;
      continue;
    }
    if (fragment) return s;
    const len = nh === 51 ? ((b[p + 1] as number) + 2) * 4 : ((b[p + 1] as number) + 1) * 8;
    nh = b[p] as number;
    p += len;
  }
  if (nh === 6 || nh === 17) return s + transportText(b, nh, p, end, !fragment);
  if (nh !== 58) return `${s}PROTO=${nh} `;
  s += "PROTO=ICMPv6 ";
  if (fragment) return s;
  if (p + 8 > end) return `${s}INCOMPLETE [${end - p} bytes] `;
  const type = b[p] as number;
  s += `TYPE=${type} CODE=${b[p + 1]} `;
  if (type === 128 || type === 129) return `${s}ID=${u16(b, p + 4)} SEQ=${u16(b, p + 6)} `;
  if (type === 4)
    s += `POINTER=${u32(b, p + 4)
      .toString(16)
      .padStart(8, "0")} `;
  if (type >= 1 && type <= 4) {
    if (recurse) s += `[${ipv6Text(b, p + 8, end, false)}) `;
    if (type === 2) s += `MTU=${u32(b, p + 4)} `;
  }
  return s;
}
