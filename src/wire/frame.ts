/**
 * A whole Ethernet frame decoded layer by layer (Ethernet [802.1Q] → ARP | IPv4 → ICMP | UDP
 * [→ VXLAN → inner frame] | TCP, or IPv6 [Hop-by-Hop] → ICMPv6 | UDP | TCP), re-encoded from the
 * records, and printed as `tcpdump -n -t`
 * (optionally `-e`) prints it. This is the edge form, for tests, pcap reading and printing;
 * the packet path uses the per-protocol views directly.
 *
 * Deviations from tcpdump: no application-layer text (tcpdump appends e.g. `: HTTP: GET / ...`
 * for well-known ports); IP protocols other than ICMP/UDP/TCP print as `ip-proto-N LENGTH`.
 */

import { u16 } from "../util/bytes.js";
import { checksum } from "../util/checksum.js";
import { type ArpPacket, emitArp, parseArp, summarizeArp } from "./arp.js";
import {
  ETHERTYPE_ARP,
  ETHERTYPE_IPV4,
  ETHERTYPE_IPV6,
  type EthernetHeader,
  emitEthernet,
  ethernetHeaderLength,
  parseEthernet,
  summarizeEthernet,
} from "./ethernet.js";
import { emitIcmp, ICMP_HEADER_LEN, type IcmpHeader, parseIcmp, summarizeIcmp } from "./icmpv4.js";
import { emitIcmpv6, ICMPV6_HEADER_LEN, type Icmpv6Header, parseIcmpv6, summarizeIcmpv6 } from "./icmpv6.js";
import {
  emitIpv4,
  IPPROTO_ICMP,
  IPPROTO_TCP,
  IPPROTO_UDP,
  type Ipv4Header,
  ipv4HeaderLength,
  parseIpv4,
  summarizeAddresses,
} from "./ipv4.js";
import {
  emitIpv6,
  IPPROTO_ICMPV6,
  IPV6_HEADER_LEN,
  type Ipv6Header,
  ipv6HeaderLength,
  ipv6PseudoHeaderSum,
  parseIpv6,
  summarizeIpv6Addresses,
} from "./ipv6.js";
import {
  emitTcp,
  parseTcp,
  summarizeTcp,
  type TcpHeader,
  type TcpSequenceTracker,
  tcpHeaderLength,
} from "./tcp.js";
import {
  emitUdp,
  parseUdp,
  parseUdpFirstFragment,
  summarizeUdp,
  UDP_HEADER_LEN,
  type UdpHeader,
} from "./udp.js";
import {
  emitVxlan,
  parseVxlan,
  summarizeVxlan,
  VXLAN_HEADER_LEN,
  VXLAN_PORT,
  type VxlanHeader,
} from "./vxlan.js";

export interface DecodedFrame {
  eth: EthernetHeader;
  arp?: ArpPacket;
  ipv4?: Ipv4Header;
  ipv6?: Ipv6Header;
  icmp?: IcmpHeader;
  icmpv6?: Icmpv6Header;
  udp?: UdpHeader;
  tcp?: TcpHeader;
  vxlan?: VxlanHeader;
  /** The frame a VXLAN header carries. */
  inner?: DecodedFrame;
  /** Bytes after the last decoded header (application data, a quoted datagram, unknown protocols). */
  payload: Uint8Array;
  /** Bytes after the IP datagram or the ARP packet (Ethernet padding); usually empty. */
  trailer: Uint8Array;
}

/** Decode every layer this module knows; throws ParseError on malformed input. */
export function decodeFrame(buf: Uint8Array, off = 0, end = buf.length): DecodedFrame {
  const eth = parseEthernet(buf, off, end);
  let p = off + ethernetHeaderLength(eth);
  const f: DecodedFrame = { eth, payload: buf.slice(p, end), trailer: new Uint8Array(0) };
  if (eth.etherType === ETHERTYPE_ARP) {
    f.arp = parseArp(buf, p, end);
    f.payload = new Uint8Array(0);
    f.trailer = buf.slice(p + 28, end);
    return f;
  }
  if (eth.etherType === ETHERTYPE_IPV6) return decodeIpv6(f, buf, p, end);
  if (eth.etherType !== ETHERTYPE_IPV4) return f;
  const ip = parseIpv4(buf, p, end);
  f.ipv4 = ip;
  const ipEnd = p + (ip.totalLength as number);
  f.trailer = buf.slice(ipEnd, end);
  p += ipv4HeaderLength(ip);
  f.payload = buf.slice(p, ipEnd);
  // Later fragments carry no transport header; a first fragment has one but not all its data.
  if (ip.fragmentOffset !== 0) return f;
  if (ip.protocol === IPPROTO_ICMP) {
    f.icmp = parseIcmp(buf, p, ipEnd);
    p += ICMP_HEADER_LEN;
  } else if (ip.protocol === IPPROTO_TCP) {
    f.tcp = parseTcp(buf, p, ipEnd);
    p += tcpHeaderLength(f.tcp);
  } else if (ip.protocol === IPPROTO_UDP && ip.mf) {
    f.udp = parseUdpFirstFragment(buf, p, ipEnd);
    p += UDP_HEADER_LEN;
  } else if (ip.protocol === IPPROTO_UDP) {
    f.udp = parseUdp(buf, p, ipEnd);
    const udpEnd = p + (f.udp.length as number);
    p += UDP_HEADER_LEN;
    if (f.udp.dstPort === VXLAN_PORT && udpEnd - p >= VXLAN_HEADER_LEN) {
      f.vxlan = parseVxlan(buf, p, udpEnd);
      p += VXLAN_HEADER_LEN;
      f.inner = decodeFrame(buf, p, udpEnd);
      p = udpEnd;
    }
    f.payload = buf.slice(p, udpEnd);
    return f;
  }
  f.payload = buf.slice(p, ipEnd);
  return f;
}

function decodeIpv6(f: DecodedFrame, buf: Uint8Array, p: number, end: number): DecodedFrame {
  const ip = parseIpv6(buf, p, end);
  f.ipv6 = ip;
  const ipEnd = p + IPV6_HEADER_LEN + (ip.payloadLength as number);
  f.trailer = buf.slice(ipEnd, end);
  let q = p + ipv6HeaderLength(ip);
  if (ip.nextHeader === IPPROTO_ICMPV6) {
    f.icmpv6 = parseIcmpv6(buf, q, ipEnd);
    q += ICMPV6_HEADER_LEN;
  } else if (ip.nextHeader === IPPROTO_TCP) {
    f.tcp = parseTcp(buf, q, ipEnd);
    q += tcpHeaderLength(f.tcp);
  } else if (ip.nextHeader === IPPROTO_UDP) {
    f.udp = parseUdp(buf, q, ipEnd);
    const udpEnd = q + (f.udp.length as number);
    f.payload = buf.slice(q + UDP_HEADER_LEN, udpEnd);
    return f;
  }
  f.payload = buf.slice(q, ipEnd);
  return f;
}

/** Bytes the frame takes. */
export function frameLength(f: DecodedFrame): number {
  let n = ethernetHeaderLength(f.eth) + f.trailer.length;
  if (f.arp) return n + 28;
  if (f.ipv4) n += ipv4HeaderLength(f.ipv4);
  if (f.ipv6) n += ipv6HeaderLength(f.ipv6);
  if (f.icmp) n += ICMP_HEADER_LEN;
  if (f.icmpv6) n += ICMPV6_HEADER_LEN;
  if (f.tcp) n += tcpHeaderLength(f.tcp);
  if (f.udp) n += UDP_HEADER_LEN;
  if (f.vxlan) n += VXLAN_HEADER_LEN;
  if (f.inner) n += frameLength(f.inner);
  return n + f.payload.length;
}

/**
 * Build the frame's bytes from its records, innermost first so each checksum covers finished bytes.
 * Absent checksum and length fields are computed.
 */
export function encodeFrame(f: DecodedFrame): Uint8Array {
  const out = new Uint8Array(frameLength(f));
  encodeInto(f, out, 0);
  return out;
}

function encodeInto(f: DecodedFrame, buf: Uint8Array, off: number): number {
  const total = frameLength(f);
  const ethLen = emitEthernet(f.eth, buf, off);
  let p = off + ethLen;
  if (f.arp) {
    emitArp(f.arp, buf, p);
    buf.set(f.trailer, p + 28);
    return total;
  }
  if (f.ipv6) return encodeIpv6(f, f.ipv6, buf, off, p, total);
  if (!f.ipv4) {
    buf.set(f.payload, p);
    return total;
  }
  const ip = f.ipv4;
  const ipStart = p;
  const ipPayload = total - ethLen - f.trailer.length - ipv4HeaderLength(ip);
  p += ipv4HeaderLength(ip);
  buf.set(f.trailer, off + total - f.trailer.length);
  if (f.icmp) {
    buf.set(f.payload, p + ICMP_HEADER_LEN);
    emitIcmp(f.icmp, buf, p, f.payload.length);
  } else if (f.tcp) {
    buf.set(f.payload, p + tcpHeaderLength(f.tcp));
    emitTcp(f.tcp, buf, p, f.payload.length, ip.src, ip.dst);
  } else if (f.udp) {
    let q = p + UDP_HEADER_LEN;
    if (f.vxlan) {
      emitVxlan(f.vxlan, buf, q);
      q += VXLAN_HEADER_LEN;
      if (f.inner) q += encodeInto(f.inner, buf, q);
    }
    buf.set(f.payload, q);
    emitUdp(f.udp, buf, p, q + f.payload.length - p - UDP_HEADER_LEN, ip.src, ip.dst);
  } else {
    buf.set(f.payload, p);
  }
  emitIpv4(ip, buf, ipStart, ipPayload);
  return total;
}

/** The IPv6 part of encodeInto: upper-layer checksums over the IPv6 pseudo-header. */
function encodeIpv6(
  f: DecodedFrame,
  ip: Ipv6Header,
  buf: Uint8Array,
  off: number,
  p: number,
  total: number,
): number {
  const ipStart = p;
  const ipPayload = total - (p - off) - f.trailer.length - IPV6_HEADER_LEN;
  p += ipv6HeaderLength(ip);
  buf.set(f.trailer, off + total - f.trailer.length);
  const upper = ipPayload - (ipv6HeaderLength(ip) - IPV6_HEADER_LEN);
  const sum = (proto: number) => ipv6PseudoHeaderSum(ip.src, ip.dst, proto, upper);
  if (f.icmpv6) {
    buf.set(f.payload, p + ICMPV6_HEADER_LEN);
    emitIcmpv6(f.icmpv6, buf, p, f.payload.length, ip.src, ip.dst);
  } else if (f.tcp) {
    const hl = tcpHeaderLength(f.tcp);
    buf.set(f.payload, p + hl);
    emitTcp({ ...f.tcp, checksum: f.tcp.checksum ?? 0 }, buf, p, f.payload.length, 0, 0);
    if (f.tcp.checksum === undefined) put16At(buf, p + 16, checksum(buf, p, upper, sum(IPPROTO_TCP) - 0));
  } else if (f.udp) {
    buf.set(f.payload, p + UDP_HEADER_LEN);
    emitUdp({ ...f.udp, checksum: f.udp.checksum ?? 0 }, buf, p, f.payload.length, 0, 0);
    if (f.udp.checksum === undefined) {
      const length = u16(buf, p + 4);
      const c = checksum(buf, p, length, ipv6PseudoHeaderSum(ip.src, ip.dst, IPPROTO_UDP, length));
      put16At(buf, p + 6, c === 0 ? 0xffff : c);
    }
  } else buf.set(f.payload, p);
  emitIpv6(ip, buf, ipStart, ipPayload - (ipv6HeaderLength(ip) - IPV6_HEADER_LEN));
  return total;
}

function put16At(buf: Uint8Array, at: number, v: number): void {
  buf[at] = v >>> 8;
  buf[at + 1] = v & 0xff;
}

export interface SummaryOptions {
  /** Print the link-level header too (tcpdump -e). */
  link?: boolean;
  /** Relative TCP numbering across a capture (tcpdump's default); absent: absolute (tcpdump -S). */
  tcp?: TcpSequenceTracker;
}

/**
 * The `tcpdump -n -t` line(s) for a frame; a VXLAN frame gives two lines (outer, then inner) as
 * tcpdump prints them. `wireLength` is the frame's length on the wire (for the -e form).
 */
export function summarizeFrame(f: DecodedFrame, wireLength: number, opts: SummaryOptions = {}): string {
  const link = opts.link === true;
  const head = link ? summarizeEthernet(f.eth, wireLength) : "";
  if (f.arp) return `${head}${link ? "" : "ARP, "}${summarizeArp(f.arp)}`;
  if (f.ipv6) return `${head}${link ? "" : "IP6 "}${summarizeIpv6(f, f.ipv6, opts)}`;
  const ip = f.ipv4;
  if (!ip)
    return `${head}${link ? "" : `ethertype 0x${f.eth.etherType.toString(16).padStart(4, "0")}, `}length ${wireLength}`;
  const ipPrefix = link ? "" : "IP ";
  const l4Length = (ip.totalLength as number) - ipv4HeaderLength(ip);
  let text: string;
  if (f.icmp) {
    const bytes = encodeFrame({
      eth: f.eth,
      ipv4: ip,
      icmp: f.icmp,
      payload: f.payload,
      trailer: new Uint8Array(0),
    });
    const icmpOff = ethernetHeaderLength(f.eth) + ipv4HeaderLength(ip);
    text = `${summarizeAddresses(ip.src, ip.dst)}: ${summarizeIcmp(bytes, icmpOff, l4Length)}`;
  } else if (f.tcp) {
    const [seqBase, ackBase] = opts.tcp?.relate(ip.src, f.tcp.srcPort, ip.dst, f.tcp.dstPort, f.tcp) ?? [
      0, 0,
    ];
    const payload = l4Length - tcpHeaderLength(f.tcp);
    const addrs = summarizeAddresses(ip.src, ip.dst, f.tcp.srcPort, f.tcp.dstPort);
    text = `${addrs}: ${summarizeTcp(f.tcp, payload, seqBase, ackBase)}`;
  } else if (f.udp) {
    const addrs = summarizeAddresses(ip.src, ip.dst, f.udp.srcPort, f.udp.dstPort);
    if (f.vxlan && f.inner) {
      const innerLength = frameLength(f.inner);
      return `${head}${ipPrefix}${addrs}: ${summarizeVxlan(f.vxlan)}\n${summarizeFrame(f.inner, innerLength, opts)}`;
    }
    text = `${addrs}: ${summarizeUdp(f.udp)}`;
  } else if (ip.fragmentOffset !== 0) {
    text = `${summarizeAddresses(ip.src, ip.dst)}: ip-proto-${ip.protocol}`;
  } else {
    text = `${summarizeAddresses(ip.src, ip.dst)}: ip-proto-${ip.protocol} ${l4Length}`;
  }
  return `${head}${ipPrefix}${text}`;
}

/** The text after `IP6 `: addresses, `HBH ` for a Hop-by-Hop header, the upper layer's text. */
function summarizeIpv6(f: DecodedFrame, ip: Ipv6Header, opts: SummaryOptions): string {
  const hbh = ip.hopByHop ? "HBH " : "";
  const upper = (ip.payloadLength as number) - (ipv6HeaderLength(ip) - IPV6_HEADER_LEN);
  if (f.icmpv6) {
    const bytes = new Uint8Array(ICMPV6_HEADER_LEN + f.payload.length);
    emitIcmpv6({ ...f.icmpv6, checksum: f.icmpv6.checksum ?? 0 }, bytes, 0, f.payload.length, ip.src, ip.dst);
    bytes.set(f.payload, ICMPV6_HEADER_LEN);
    return `${summarizeIpv6Addresses(ip.src, ip.dst)}: ${hbh}${summarizeIcmpv6(bytes, 0, upper)}`;
  }
  if (f.tcp) {
    const [seqBase, ackBase] = opts.tcp?.relate(
      summarizeIpv6Addresses(ip.src, ip.src),
      f.tcp.srcPort,
      summarizeIpv6Addresses(ip.dst, ip.dst),
      f.tcp.dstPort,
      f.tcp,
    ) ?? [0, 0];
    const addrs = summarizeIpv6Addresses(ip.src, ip.dst, f.tcp.srcPort, f.tcp.dstPort);
    return `${addrs}: ${hbh}${summarizeTcp(f.tcp, upper - tcpHeaderLength(f.tcp), seqBase, ackBase)}`;
  }
  if (f.udp)
    return `${summarizeIpv6Addresses(ip.src, ip.dst, f.udp.srcPort, f.udp.dstPort)}: ${hbh}${summarizeUdp(f.udp)}`;
  return `${summarizeIpv6Addresses(ip.src, ip.dst)}: ${hbh}ip-proto-${ip.nextHeader} ${upper}`;
}
