/**
 * Per-packet costs of the wire layer on a real Linux frame (a TCP data segment with timestamps):
 * parsing Ethernet + IPv4 + TCP with the zero-copy views, parsing into records, and emitting the
 * three headers from records with checksums computed.
 */

import { readFileSync } from "node:fs";
import { readPcap } from "../src/capture/pcap-reader.js";
import { EthernetView, emitEthernet, parseEthernet } from "../src/wire/ethernet.js";
import { decodeFrame } from "../src/wire/frame.js";
import { emitIpv4, Ipv4View, parseIpv4 } from "../src/wire/ipv4.js";
import { emitTcp, parseTcp, TcpView } from "../src/wire/tcp.js";
import { type BenchOptions, type BenchResult, measure } from "./harness.js";

/** Frame 4 of the Linux TCP fixture: 10.0.0.1.41000 > 10.0.0.2.8080, Flags [P.], 18 bytes of data. */
const FIXTURE = new URL("../../test/fixtures/linux/wire/tcp.pcap", import.meta.url);
const FRAME = readPcap(new Uint8Array(readFileSync(FIXTURE))).records[3]!.data;

export function benchWire(opts: BenchOptions): BenchResult[] {
  const eth = new EthernetView();
  const ip = new Ipv4View();
  const tcp = new TcpView();
  let sink = 0;
  const views = measure((n) => {
    for (let i = 0; i < n; i++) {
      eth.wrap(FRAME, 0);
      ip.wrap(FRAME, eth.payloadOffset);
      tcp.wrap(FRAME, ip.payloadOffset, ip.payloadOffset + ip.payloadLength);
      sink += (ip.src ^ ip.dst ^ tcp.srcPort ^ tcp.dstPort ^ tcp.seq ^ tcp.flags ^ eth.etherType) & 1;
    }
  }, opts);
  const records = measure((n) => {
    for (let i = 0; i < n; i++) {
      const e = parseEthernet(FRAME, 0);
      const h = parseIpv4(FRAME, 14);
      const t = parseTcp(FRAME, 34, FRAME.length);
      sink += (e.etherType ^ h.ttl ^ t.window) & 1;
    }
  }, opts);
  const f = decodeFrame(FRAME);
  // Records without checksums, so emit computes them as the stack will.
  const { checksum: _ipSum, ...ipRec } = f.ipv4!;
  const { checksum: _tcpSum, ...tcpRec } = f.tcp!;
  const out = new Uint8Array(FRAME.length);
  out.set(FRAME);
  const emit = measure((n) => {
    for (let i = 0; i < n; i++) {
      emitTcp(tcpRec, out, 34, 18, ipRec.src, ipRec.dst);
      emitIpv4(ipRec, out, 14, 32 + 18);
      emitEthernet(f.eth, out, 0);
    }
  }, opts);
  if (sink === -1 || out[0] !== FRAME[0]) console.log(sink);
  return [
    {
      name: "parse Eth+IPv4+TCP, views",
      value: views,
      unit: "ns/op",
      target: { better: "lower", value: 100 },
    },
    { name: "parse Eth+IPv4+TCP, to records", value: records, unit: "ns/op" },
    { name: "emit Eth+IPv4+TCP with checksums", value: emit, unit: "ns/op", detail: "18-byte payload" },
  ];
}
