/** pcapng writing throughput: 1514-byte frames streamed to a file in the system temp folder. */

import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { FileSink } from "../src/capture/byte-sink.js";
import { DIRECTION_OUTBOUND, PcapngWriter } from "../src/capture/pcapng-writer.js";
import { type BenchOptions, type BenchResult, measure } from "./harness.js";

export function benchCapture(opts: BenchOptions): BenchResult[] {
  const dir = mkdtempSync(join(tmpdir(), "dockwire-bench-"));
  const frame = new Uint8Array(1514).map((_, i) => i & 0xff);
  let t = 0;
  let file = 0;
  const perPacket = measure((n) => {
    const w = new PcapngWriter(new FileSink(join(dir, `w${file++ % 2}.pcapng`)), { application: "bench" });
    const iface = w.addInterface({ name: "ns/eth0" });
    for (let i = 0; i < n; i++) {
      t += 1000;
      w.writePacket(iface, t, frame, 0, frame.length, DIRECTION_OUTBOUND);
    }
    w.close();
  }, opts);
  rmSync(dir, { recursive: true, force: true });
  const mbps = (frame.length / perPacket) * 1e3;
  return [
    {
      name: "pcapng write, 1514-byte frames",
      value: mbps,
      unit: "MB/s",
      target: { better: "higher", value: 500 },
      detail: `${perPacket.toFixed(0)} ns/packet`,
    },
  ];
}
