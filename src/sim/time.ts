/**
 * Simulation time: integer nanoseconds held in a JS number (exact up to 2^53 ns, about 104 days).
 * Helpers to write durations readably and to print them.
 */

export const NANOSECOND = 1;
export const MICROSECOND = 1_000;
export const MILLISECOND = 1_000_000;
export const SECOND = 1_000_000_000;

/** Seconds (may be fractional, as in `sleep 0.2`) to integer nanoseconds, rounded to nearest. */
export function seconds(s: number): number {
  return Math.round(s * SECOND);
}

export function milliseconds(ms: number): number {
  return Math.round(ms * MILLISECOND);
}

/**
 * Whole seconds in an integer nanosecond time, exact up to 2^53 ns (the float division alone can
 * round up just below a whole second).
 */
export function wholeSeconds(ns: number): number {
  let s = Math.floor(ns / SECOND);
  if (s * SECOND > ns) s--;
  else if (ns - s * SECOND >= SECOND) s++;
  return s;
}

/** "12.000345678" — seconds with nine decimals, exact for any integer time. */
export function formatTime(ns: number): string {
  const s = wholeSeconds(ns);
  return `${s}.${String(ns - s * SECOND).padStart(9, "0")}`;
}
