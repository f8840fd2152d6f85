/**
 * The LOG target's line (net/netfilter/nf_log_syslog.c, nf_log_ip_packet with no --log-tcp-*
 * or --log-ip-options flags): prefix, `IN= OUT=`, `PHYSIN=`/`PHYSOUT=` for a bridged frame
 * (br_netfilter) when they differ from IN/OUT, the link-layer header as `MAC=` when the packet
 * came in on a device, then the IPv4 header, the transport header (TCP ports, window, reserved
 * bits, flags, urgent pointer; UDP ports and length; ICMP type, code and echo id/sequence, or the
 * quoted packet in brackets for errors) and `MARK=` when the packet has one. Every field ends in a
 * space, so the line does too, as in dmesg.
 * Deviation: no --log-tcp-sequence, --log-tcp-options, --log-ip-options or --log-uid.
 */

import type { Packet } from "../link/packet.js";
import { u16, u32 } from "../util/bytes.js";
import { ipv4ToString } from "../util/ipv4-address.js";

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
  s += ipv4Text(pkt.buf, pkt.head, pkt.tail, false);
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
    case 6: {
      s += "PROTO=TCP ";
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
    case 17: {
      s += "PROTO=UDP ";
      if (!first) return s;
      if (l4 + 8 > end) return `${s}INCOMPLETE [${end - l4} bytes] `;
      return `${s}SPT=${u16(b, l4)} DPT=${u16(b, l4 + 2)} LEN=${u16(b, l4 + 4)} `;
    }
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
