/**
 * `ping` as the alpine and busybox images have it (busybox 1.36's networking/ping.c): the same
 * ICMP echo machinery as ping.ts, with busybox's choices — sequence numbers from 0, a payload of a
 * 32-bit microsecond stamp then zeros, `PING NAME (ADDR): 56 data bytes`, replies as
 * `64 bytes from ADDR: seq=0 ttl=64 time=0.000 ms` (numeric, no reverse lookups), the statistics
 * as `N packets transmitted, M packets received, L% packet loss` and `round-trip min/avg/max`,
 * `ping: bad address 'NAME'` (exit 1) for an unknown name. ICMP errors are not reported: unpack4
 * drops a message whose id is not its own, and an error's id field is not the echo's.
 * Deviation: busybox's -w deadline and -p pattern are not there.
 */

import { SECOND } from "../sim/time.js";
import { ms3, type PingStyle } from "./ping.js";

export const BUSYBOX: PingStyle = {
  firstSeq: 0,
  reverse: false,
  reportsErrors: false,
  unknownHost: (name) => ({ line: `ping: bad address '${name}'`, status: 1 }),
  banner: (o, wire) => `PING ${o.targetText} (${wire.address}): ${o.size} data bytes`,
  reply: (bytes, from, seq, ttl, us) =>
    `${bytes} bytes from ${from}: seq=${seq} ttl=${ttl} time=${ms3(us)} ms`,
  fill(b, at, size, now) {
    // G.cur_us = monotonic_us(), stored as the host writes it (little-endian); the rest stays 0.
    if (size < 4) return;
    const us = Math.floor(now / (SECOND / 1_000_000)) >>> 0;
    b[at] = us & 0xff;
    b[at + 1] = (us >>> 8) & 0xff;
    b[at + 2] = (us >>> 16) & 0xff;
    b[at + 3] = (us >>> 24) & 0xff;
  },
  stats(target, transmitted, received, _errors, _ms, rtts) {
    const loss = transmitted === 0 ? 0 : Math.floor(((transmitted - received) * 100) / transmitted);
    const lines = [
      "",
      `--- ${target} ping statistics ---`,
      `${transmitted} packets transmitted, ${received} packets received, ${loss}% packet loss`,
    ];
    if (received > 0) {
      const avg = Math.floor(rtts.reduce((a, b) => a + b, 0) / received);
      lines.push(
        `round-trip min/avg/max = ${ms3(Math.min(...rtts))}/${ms3(avg)}/${ms3(Math.max(...rtts))} ms`,
      );
    }
    return lines;
  },
};
