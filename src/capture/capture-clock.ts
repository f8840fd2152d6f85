/**
 * Simulation time (integer ns from 0) to capture timestamps: a fixed epoch is added so files show
 * a plausible, deterministic date. All arithmetic stays exact: the 64-bit nanosecond count pcapng
 * needs is built from 32-bit halves without going through a double above 2^53.
 */

import { SECOND, wholeSeconds } from "../sim/time.js";

/** 2026-01-01T00:00:00Z: the default wall-clock time of simulation time 0 in captures. */
export const DEFAULT_CAPTURE_EPOCH_SECONDS = 1_767_225_600;

/** Write `epochSeconds * 1e9 + timeNs` as a 64-bit count, high 32 bits then low 32 bits, into out[0..1]. */
export function splitNanoseconds64(epochSeconds: number, timeNs: number, out: Uint32Array): void {
  const s = wholeSeconds(timeNs);
  const sec = epochSeconds + s;
  const ns = timeNs - s * SECOND;
  const lo16 = sec % 65536;
  const hi16 = (sec - lo16) / 65536;
  const a = lo16 * SECOND + ns; // < 2^47
  const b = hi16 * SECOND; // < 2^46, to be shifted left 16
  const bL = b % 65536;
  const bH = (b - bL) / 65536;
  const c = bL * 65536 + a; // < 2^48
  const cL = c % 0x100000000;
  out[0] = bH + (c - cL) / 0x100000000;
  out[1] = cL;
}
