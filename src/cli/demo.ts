/**
 * The built-in demo (`npm start`, `dockwire demo`): two namespaces joined by a veth pair exchange
 * ARP, three pings and a UDP datagram in simulated time; every frame is captured on both ends into
 * one pcapng (interfaces `ns1/veth0` and `ns2/veth1`, with directions) and printed as tcpdump would.
 *
 * The hosts here are scripted responders, not the virtual kernel (which arrives with the kernel
 * issue): they answer ARP requests and echo requests the way Linux does (reply fields, TTL 64,
 * DF on ping requests, kernel-made replies with DF clear), so the bytes match a Linux capture.
 */

import { mkdirSync } from "node:fs";
import { join, resolve } from "node:path";
import { FileSink } from "../capture/byte-sink.js";
import { DEFAULT_CAPTURE_EPOCH_SECONDS } from "../capture/capture-clock.js";
import { DIRECTION_INBOUND, DIRECTION_OUTBOUND, PcapngWriter } from "../capture/pcapng-writer.js";
import { Simulation } from "../sim/simulation.js";
import { formatTime, MICROSECOND, SECOND } from "../sim/time.js";
import { ipv4 } from "../util/ipv4-address.js";
import { MAC_BROADCAST, MAC_ZERO, mac } from "../util/mac-address.js";
import type { Rng } from "../util/rng.js";
import { ARP_REPLY, ARP_REQUEST } from "../wire/arp.js";
import { ETHERTYPE_ARP, ETHERTYPE_IPV4 } from "../wire/ethernet.js";
import { type DecodedFrame, decodeFrame, encodeFrame, summarizeFrame } from "../wire/frame.js";
import { echoRest, ICMP_ECHO_REPLY, ICMP_ECHO_REQUEST } from "../wire/icmpv4.js";
import { IPPROTO_ICMP, IPPROTO_UDP } from "../wire/ipv4.js";

export interface DemoOptions {
  outDir: string;
  seed: number;
  version: string;
  print: (line: string) => void;
}

interface DemoHost {
  name: string;
  iface: number;
  mac: number;
  ip: number;
  /** Per-destination IP ID generator for kernel-made packets (Linux: ip_idents). */
  nextId: number;
  peer?: DemoHost;
}

const ONE_WAY = 50 * MICROSECOND;
const EMPTY = new Uint8Array(0);

export function runDemo(opts: DemoOptions): { file: string; packets: number } {
  mkdirSync(opts.outDir, { recursive: true });
  const file = resolve(join(opts.outDir, "demo.pcapng"));
  const sim = new Simulation({ seed: opts.seed });
  const rng = sim.random("demo");
  const pcap = new PcapngWriter(new FileSink(file), { application: `dockwire ${opts.version}` });
  const a: DemoHost = host("ns1/veth0", "02:00:00:00:00:0a", "10.0.0.1", pcap, rng);
  const b: DemoHost = host("ns2/veth1", "02:00:00:00:00:0b", "10.0.0.2", pcap, rng);
  a.peer = b;
  b.peer = a;
  opts.print(`dockwire demo (seed ${opts.seed}): ns1 10.0.0.1/24 <-veth, 50 us each way-> ns2 10.0.0.2/24`);

  const show = (h: DemoHost, dir: "Out" | "In", bytes: Uint8Array): void => {
    const text = summarizeFrame(decodeFrame(bytes), bytes.length);
    opts.print(`${formatTime(sim.now)} ${h.name.padEnd(9)} ${dir.padEnd(3)} ${text}`);
  };
  const transmit = (from: DemoHost, f: DecodedFrame): void => {
    const bytes = encodeFrame(f);
    pcap.writePacket(from.iface, sim.now, bytes, 0, bytes.length, DIRECTION_OUTBOUND);
    show(from, "Out", bytes);
    sim.scheduleAfter(ONE_WAY, () => receive(from.peer as DemoHost, bytes));
  };
  const receive = (h: DemoHost, bytes: Uint8Array): void => {
    pcap.writePacket(h.iface, sim.now, bytes, 0, bytes.length, DIRECTION_INBOUND);
    show(h, "In", bytes);
    const f = decodeFrame(bytes);
    if (f.arp?.op === ARP_REQUEST && f.arp.targetIp === h.ip) transmit(h, arpReply(h, f));
    if (f.icmp?.type === ICMP_ECHO_REQUEST && f.ipv4?.dst === h.ip) transmit(h, echoReply(h, f));
    // The packet that waited for ARP resolution goes out when the reply arrives (neigh_update).
    if (f.arp?.op === ARP_REPLY && waiting.length > 0) for (const w of waiting.splice(0)) transmit(h, w);
  };
  const waiting: DecodedFrame[] = [];

  // ping -c 3 10.0.0.2 from ns1, one request per second; the first waits for ARP.
  const pingId = rng.int(1, 0xffff);
  let pingIpId = rng.int(0, 0xffff);
  waiting.push(echoRequest(a, b, pingId, 1, pingIpId++, 0));
  transmit(a, arpRequest(a, b.ip));
  for (let seq = 2; seq <= 3; seq++) {
    sim.scheduleAt((seq - 1) * SECOND, () =>
      transmit(a, echoRequest(a, b, pingId, seq, pingIpId++ & 0xffff, sim.now)),
    );
  }
  // echo "hello" | nc -u 10.0.0.2 5000, from an ephemeral port.
  const sport = rng.int(32768, 60999);
  sim.scheduleAt(3 * SECOND, () => transmit(a, udpDatagram(a, b, sport, 5000, "hello\n")));

  sim.run({ until: 4 * SECOND });
  pcap.close();
  opts.print(`\nwrote ${file} (${pcap.packets} packets on 2 interfaces, ${sim.eventsExecuted} events)`);
  opts.print(`open it in Wireshark, or: tshark -r ${file}`);
  return { file, packets: pcap.packets };
}

function host(name: string, hw: string, ip: string, pcap: PcapngWriter, rng: Rng): DemoHost {
  return { name, iface: pcap.addInterface({ name }), mac: mac(hw), ip: ipv4(ip), nextId: rng.int(0, 0xffff) };
}

function ipHeader(src: DemoHost, dst: number, protocol: number, id: number, df: boolean) {
  return {
    tos: 0,
    id,
    df,
    mf: false,
    fragmentOffset: 0,
    ttl: 64,
    protocol,
    src: src.ip,
    dst,
    options: EMPTY,
  };
}

function arpRequest(h: DemoHost, target: number): DecodedFrame {
  return {
    eth: { dst: MAC_BROADCAST, src: h.mac, etherType: ETHERTYPE_ARP },
    arp: { op: ARP_REQUEST, senderMac: h.mac, senderIp: h.ip, targetMac: MAC_ZERO, targetIp: target },
    payload: EMPTY,
    trailer: EMPTY,
  };
}

function arpReply(h: DemoHost, req: DecodedFrame): DecodedFrame {
  const asker = req.arp as NonNullable<DecodedFrame["arp"]>;
  return {
    eth: { dst: asker.senderMac, src: h.mac, etherType: ETHERTYPE_ARP },
    arp: {
      op: ARP_REPLY,
      senderMac: h.mac,
      senderIp: h.ip,
      targetMac: asker.senderMac,
      targetIp: asker.senderIp,
    },
    payload: EMPTY,
    trailer: EMPTY,
  };
}

/** iputils ping payload: a timeval (seconds, microseconds) then bytes 0x10, 0x11, ... (56 bytes). */
function pingPayload(now: number): Uint8Array {
  const p = new Uint8Array(56);
  const dv = new DataView(p.buffer);
  const sec = Math.floor(now / SECOND);
  dv.setUint32(0, DEFAULT_CAPTURE_EPOCH_SECONDS + sec, true);
  dv.setUint32(8, Math.floor((now - sec * SECOND) / MICROSECOND), true);
  for (let i = 16; i < 56; i++) p[i] = i;
  return p;
}

function echoRequest(
  a: DemoHost,
  b: DemoHost,
  id: number,
  seq: number,
  ipId: number,
  now: number,
): DecodedFrame {
  return {
    eth: { dst: b.mac, src: a.mac, etherType: ETHERTYPE_IPV4 },
    ipv4: ipHeader(a, b.ip, IPPROTO_ICMP, ipId, true),
    icmp: { type: ICMP_ECHO_REQUEST, code: 0, rest: echoRest(id, seq) },
    payload: pingPayload(now),
    trailer: EMPTY,
  };
}

function echoReply(h: DemoHost, req: DecodedFrame): DecodedFrame {
  const ip = req.ipv4 as NonNullable<DecodedFrame["ipv4"]>;
  const id = h.nextId;
  h.nextId = (h.nextId + 1) & 0xffff;
  return {
    eth: { dst: req.eth.src, src: h.mac, etherType: ETHERTYPE_IPV4 },
    ipv4: ipHeader(h, ip.src, IPPROTO_ICMP, id, false),
    icmp: { type: ICMP_ECHO_REPLY, code: 0, rest: (req.icmp as NonNullable<DecodedFrame["icmp"]>).rest },
    payload: req.payload,
    trailer: EMPTY,
  };
}

function udpDatagram(a: DemoHost, b: DemoHost, sport: number, dport: number, text: string): DecodedFrame {
  return {
    eth: { dst: b.mac, src: a.mac, etherType: ETHERTYPE_IPV4 },
    ipv4: ipHeader(a, b.ip, IPPROTO_UDP, a.nextId++ & 0xffff, true),
    udp: { srcPort: sport, dstPort: dport },
    payload: new TextEncoder().encode(text),
    trailer: EMPTY,
  };
}
