/**
 * The whole-workload TCP benchmark (the one peers use): one bulk TCP transfer between two
 * namespaces over a veth pair at 10 Gbit/s with 10 µs one-way latency, N bytes of payload (1 GB by
 * default), CUBIC, Linux's default buffers. Reports data segments per wall second (and all
 * segments, ACKs included), events per data segment, goodput in simulated time, retransmissions
 * and peak memory, as one JSON line.
 *
 *   npm run bench -- tcp --bytes 1000000000 [--loss 0.01] [--bandwidth 10e9] [--latency-us 10]
 */

import { parseArgs } from "node:util";
import { NetNamespace } from "../src/kernel/namespace.js";
import { createVethPair } from "../src/link/veth.js";
import { Simulation } from "../src/sim/simulation.js";
import { MICROSECOND } from "../src/sim/time.js";
import { nowNs } from "./harness.js";

export interface TcpBulkOptions {
  bytes: number;
  bandwidth: number;
  latencyUs: number;
  loss: number;
}

export interface TcpBulkResult extends TcpBulkOptions {
  workload: "tcp-bulk";
  delivered: number;
  segments: number;
  retransmitted: number;
  wallSeconds: number;
  segmentsPerSecond: number;
  /** Data segments and ACKs, both directions. */
  allSegmentsPerSecond: number;
  events: number;
  eventsPerSegment: number;
  simulatedSeconds: number;
  goodputGbps: number;
  peakRssMiB: number;
}

export function runTcpBulk(opts: TcpBulkOptions): TcpBulkResult {
  const sim = new Simulation({ seed: 1 });
  const a = new NetNamespace("a", sim);
  const b = new NetNamespace("b", sim);
  const [va, vb] = createVethPair(
    sim,
    { name: "eth0", ifindex: a.allocIfindex(), mac: 0x020000000001 },
    { name: "eth0", ifindex: b.allocIfindex(), mac: 0x020000000002 },
  );
  const link = {
    latency: opts.latencyUs * MICROSECOND,
    bandwidth: opts.bandwidth,
    queueLength: 1000,
    loss: 0,
  };
  va.link.params = { ...link, loss: opts.loss };
  vb.link.params = { ...link };
  a.attach(va);
  b.attach(vb);
  a.addAddress(va, 0x0a000001, 24);
  b.addAddress(vb, 0x0a000002, 24);
  a.setUp(va, true);
  b.setUp(vb, true);
  let delivered = 0;
  let doneAt = 0;
  const server = b.tcp.socket().bind(0, 5201).listen();
  server.onConnection = (c) => {
    c.onData = (d) => {
      delivered += d.length;
      if (delivered === opts.bytes) doneAt = sim.now;
    };
    c.onEnd = () => c.close();
  };
  const client = a.tcp.socket();
  const chunk = new Uint8Array(128 * 1024);
  let written = 0;
  const pump = () => {
    while (written < opts.bytes) {
      const n = client.write(chunk, 0, Math.min(chunk.length, opts.bytes - written));
      if (n === 0) return;
      written += n;
    }
    client.close();
  };
  client.onConnect = pump;
  client.onDrain = pump;
  client.connect(0x0a000002, 5201);
  const t0 = nowNs();
  sim.run();
  const wall = (nowNs() - t0) / 1e9;
  const segments = va.link.counters.sent;
  return {
    workload: "tcp-bulk",
    ...opts,
    delivered,
    segments,
    retransmitted: client.totalRetrans,
    wallSeconds: Number(wall.toFixed(3)),
    segmentsPerSecond: Math.round(segments / wall),
    allSegmentsPerSecond: Math.round((segments + vb.link.counters.sent) / wall),
    events: sim.eventsExecuted,
    eventsPerSegment: Number((sim.eventsExecuted / segments).toFixed(2)),
    simulatedSeconds: Number((doneAt / 1e9).toFixed(6)),
    goodputGbps: Number(((delivered * 8) / (doneAt / 1e9) / 1e9).toFixed(3)),
    peakRssMiB: Math.round(process.resourceUsage().maxRSS / 1024),
  };
}

/** `npm run bench -- tcp [--bytes N] [--loss P] [--bandwidth BPS] [--latency-us US]`. */
export function tcpBulkFromArgs(args: string[]): TcpBulkResult {
  const { values } = parseArgs({
    args,
    options: {
      bytes: { type: "string", default: "1000000000" },
      bandwidth: { type: "string", default: "10e9" },
      "latency-us": { type: "string", default: "10" },
      loss: { type: "string", default: "0" },
    },
  });
  return runTcpBulk({
    bytes: Number(values.bytes),
    bandwidth: Number(values.bandwidth),
    latencyUs: Number(values["latency-us"]),
    loss: Number(values.loss),
  });
}
