/**
 * HTTP dates (RFC 9110 IMF-fixdate, e.g. `Thu, 01 Jan 2026 00:00:05 GMT`) for simulated time:
 * the simulation starts at the capture epoch (2026-01-01T00:00:00Z), so a Date header, a pcap
 * timestamp and the transcript agree.
 */

import { DEFAULT_CAPTURE_EPOCH_SECONDS } from "../capture/capture-clock.js";
import { SECOND } from "../sim/time.js";

const DAYS = ["Sun", "Mon", "Tue", "Wed", "Thu", "Fri", "Sat"];
const MONTHS = ["Jan", "Feb", "Mar", "Apr", "May", "Jun", "Jul", "Aug", "Sep", "Oct", "Nov", "Dec"];
const two = (n: number) => String(n).padStart(2, "0");

export function httpDate(simNs: number): string {
  const d = new Date((DEFAULT_CAPTURE_EPOCH_SECONDS + Math.floor(simNs / SECOND)) * 1000);
  return (
    `${DAYS[d.getUTCDay()]}, ${two(d.getUTCDate())} ${MONTHS[d.getUTCMonth()]} ${d.getUTCFullYear()} ` +
    `${two(d.getUTCHours())}:${two(d.getUTCMinutes())}:${two(d.getUTCSeconds())} GMT`
  );
}
