/**
 * `npm run bench` (`--quick` for CI): runs every benchmark, prints a table and writes
 * bench/results/latest.json. Figures depend on the machine; compare runs on the same one.
 */

import { benchCapture } from "./capture.bench.js";
import { benchChecksum } from "./checksum.bench.js";
import { dockerFromArgs } from "./docker.bench.js";
import { benchEventQueue } from "./event-queue.bench.js";
import type { BenchResult } from "./harness.js";
import { report } from "./harness.js";
import { lanFromArgs } from "./lan.bench.js";
import { benchNetfilter } from "./netfilter.bench.js";
import { tcpBulkFromArgs } from "./tcp-bulk.bench.js";
import { benchWire } from "./wire.bench.js";

const args = process.argv.slice(2);
if (args[0] === "lan") {
  // A whole workload on its own, with its parameters: one JSON line (see lan.bench.ts).
  console.log(JSON.stringify(lanFromArgs(args.slice(1))));
} else if (args[0] === "tcp") {
  // Bulk TCP on its own, with its parameters: one JSON line (see tcp-bulk.bench.ts).
  console.log(JSON.stringify(tcpBulkFromArgs(args.slice(1))));
} else if (args[0] === "docker") {
  // The Docker workload on its own, with its parameters: one JSON line (see docker.bench.ts).
  console.log(JSON.stringify(dockerFromArgs(args.slice(1))));
} else if (args[0] === "netfilter") {
  // The netfilter micro-benchmarks on their own.
  report(
    benchNetfilter({ quick: args.includes("--quick") }),
    new URL("../../bench/results/netfilter.json", import.meta.url).pathname,
  );
} else {
  const quick = args.includes("--quick");
  const opts = { quick };
  const results: BenchResult[] = [
    ...benchEventQueue(opts),
    ...benchWire(opts),
    ...benchChecksum(opts),
    ...benchCapture(opts),
  ];
  // The LAN workload, small in quick mode so it cannot rot.
  const lan = lanFromArgs(["--hosts", "8", "--packets", quick ? "20000" : "1000000"]);
  results.push({
    name: `LAN: ${lan.hosts} hosts on a bridge, UDP ${lan.payload} B`,
    value: lan.packetsPerSecond,
    unit: "packets/s",
    target: { better: "higher", value: 300_000 },
    detail: `${lan.eventsPerPacket} events/packet, peak RSS ${lan.peakRssMiB} MiB`,
  });
  const tcp = tcpBulkFromArgs(["--bytes", quick ? "20000000" : "1000000000"]);
  results.push({
    name: `TCP bulk, 10 Gbit/s veth, ${tcp.bytes / 1e6} MB`,
    value: tcp.segmentsPerSecond,
    unit: "segments/s",
    target: { better: "higher", value: 200_000 },
    detail: `${tcp.eventsPerSegment} events/segment, ${tcp.goodputGbps} Gbit/s simulated, peak RSS ${tcp.peakRssMiB} MiB`,
  });
  // Last: a million conntrack entries would otherwise count in the workloads' peak RSS.
  results.push(...benchNetfilter(opts));
  report(results, new URL("../../bench/results/latest.json", import.meta.url).pathname);
}
