/** Internet checksum over a 1480-byte payload, and an RFC 1624 incremental update of one field. */

import { checksum, updateChecksum16, updateChecksum32 } from "../src/util/checksum.js";
import { Rng } from "../src/util/rng.js";
import { type BenchOptions, type BenchResult, measure } from "./harness.js";

export function benchChecksum(opts: BenchOptions): BenchResult[] {
  const rng = new Rng(2);
  const buf = new Uint8Array(1480);
  for (let i = 0; i < buf.length; i++) buf[i] = rng.int(0, 255);
  let sink = 0;
  const full = measure((n) => {
    for (let i = 0; i < n; i++) sink ^= checksum(buf, 0, 1480, i & 1);
  }, opts);
  const incr = measure((n) => {
    let c = 0x1c46;
    for (let i = 0; i < n; i++) c = updateChecksum32(updateChecksum16(c, i & 0xffff, 0x4000), 0x0a000001, i);
    sink ^= c;
  }, opts);
  if (sink === 0.5) console.log(sink); // keep the work observable
  return [
    {
      name: "checksum, full, 1480 bytes",
      value: full,
      unit: "ns/op",
      detail: `${((1480 / full) * 1e3).toFixed(0)} MB/s`,
    },
    { name: "checksum, incremental 16+32-bit update", value: incr, unit: "ns/op" },
  ];
}
