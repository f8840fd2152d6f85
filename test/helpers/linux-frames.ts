/**
 * Frames from Linux and from dockwire made comparable: what Linux picks at random is replaced by
 * canonical values and the frame re-encoded (checksums recomputed). TCP sequence numbers become
 * relative to each connection's ISN, TCP timestamps 0, IP IDs 0, ephemeral TCP and UDP ports (1024
 * and up, except `keepPorts`) 1, ICMP echo ids and ping's payload 0, and an HTTP Date header `*`; an
 * ICMP error's quoted packet gets the same treatment (IP ID, ports, echo id and data). IPv6
 * frames likewise: flow labels 0 (Linux draws them at random per connection), the same TCP, UDP
 * and echo treatment, and an ICMPv6 error's quoted packet with its flow label, ports and UDP
 * checksum cleared.
 */

import { readPcap } from "../../src/capture/pcap-reader.js";
import { decodeFrame, encodeFrame } from "../../src/wire/frame.js";

const DATE = /Date: [A-Z][a-z]{2}, \d\d [A-Z][a-z]{2} \d{4} \d\d:\d\d:\d\d GMT/;

function normalise(bytes: Uint8Array, isn: Map<string, number>, keepPorts: readonly number[]): string {
  const f = decodeFrame(bytes);
  const ip = f.ipv4 ?? f.ipv6;
  if (f.ipv4) {
    f.ipv4.id = 0;
    delete f.ipv4.checksum;
    delete f.ipv4.totalLength;
  }
  if (f.ipv6) {
    f.ipv6.flowLabel = 0;
    delete f.ipv6.payloadLength;
  }
  const port = (p: number) => (p >= 1024 && !keepPorts.includes(p) ? 1 : p);
  const t = f.tcp;
  if (t && ip) {
    const from = `${String(ip.src)}:${t.srcPort}`;
    const to = `${String(ip.dst)}:${t.dstPort}`;
    if (t.flags & 0x02) isn.set(from, t.seq);
    t.seq = (t.seq - (isn.get(from) ?? t.seq)) >>> 0;
    if (t.flags & 0x10) t.ack = (t.ack - (isn.get(to) ?? 0)) >>> 0;
    t.srcPort = port(t.srcPort);
    t.dstPort = port(t.dstPort);
    for (const o of t.options) {
      if (o.kind === 8 && "tsval" in o) {
        o.tsval = 0;
        o.tsecr = 0;
      }
    }
    delete t.checksum;
    const text = new TextDecoder("latin1").decode(f.payload);
    if (DATE.test(text)) f.payload = Uint8Array.from(Buffer.from(text.replace(DATE, "Date: *"), "latin1"));
  }
  const u = f.udp;
  if (u) {
    u.srcPort = port(u.srcPort);
    u.dstPort = port(u.dstPort);
    delete u.checksum;
  }
  if (f.icmp && (f.icmp.type === 8 || f.icmp.type === 0)) {
    // Keep the sequence number (low half of the rest word), drop the id and ping's timestamps.
    f.icmp.rest = f.icmp.rest & 0xffff;
    delete f.icmp.checksum;
    f.payload = new Uint8Array(f.payload.length);
  }
  if (f.icmp && (f.icmp.type === 3 || f.icmp.type === 11) && f.payload.length >= 28) {
    // The quoted packet: its random parts too (IP ID, ephemeral ports, echo id and data).
    const q = f.payload.slice();
    const ihl = ((q[0] as number) & 15) * 4;
    q.fill(0, 4, 6);
    q.fill(0, 10, 12);
    const proto = q[9] as number;
    if ((proto === 6 || proto === 17) && q.length >= ihl + 8) {
      for (const at of [ihl, ihl + 2]) {
        const port = ((q[at] as number) << 8) | (q[at + 1] as number);
        if (port >= 1024 && !keepPorts.includes(port)) {
          q[at] = 0;
          q[at + 1] = 1;
        }
      }
      if (proto === 17) q.fill(0, ihl + 6, ihl + 8);
    } else if (proto === 1) q.fill(0, ihl + 2, q.length).fill(q[ihl + 6] as number, ihl + 6, ihl + 7);
    f.payload = q;
    delete f.icmp.checksum;
  }
  const e = f.icmpv6;
  if (e && (e.type === 128 || e.type === 129)) {
    e.rest = e.rest & 0xffff;
    delete e.checksum;
    f.payload = new Uint8Array(f.payload.length);
  }
  if (e && e.type < 128 && f.payload.length >= 48) {
    const q = f.payload.slice();
    q.fill(0, 1, 4); // traffic class low bits and flow label
    const proto = q[6] as number;
    if (proto === 6 || proto === 17) {
      for (const at of [40, 42]) {
        const port = ((q[at] as number) << 8) | (q[at + 1] as number);
        if (port >= 1024 && !keepPorts.includes(port)) {
          q[at] = 0;
          q[at + 1] = 1;
        }
      }
      if (proto === 17) q.fill(0, 46, 48);
    }
    f.payload = q;
    delete e.checksum;
  }
  return Buffer.from(encodeFrame(f)).toString("hex");
}

/** Every frame of a pcap, normalised, as hex. */
export function normaliseCapture(pcap: Uint8Array, keepPorts: readonly number[] = []): string[] {
  const isn = new Map<string, number>();
  return readPcap(pcap).records.map((r) => normalise(r.data, isn, keepPorts));
}
