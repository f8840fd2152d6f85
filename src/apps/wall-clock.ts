/**
 * Wall-clock text for simulated time, which starts at the capture epoch (2026-01-01T00:00:00Z), so
 * a Date header, a pcap timestamp and a saved rule set agree: HTTP dates (RFC 9110 IMF-fixdate,
 * `Thu, 01 Jan 2026 00:00:05 GMT`) and ctime(3) (`Thu Jan  1 00:00:05 2026`, as iptables-save
 * stamps its output; UTC) and Go's RFC 3339 with nanoseconds (`2026-01-01T00:00:05.25Z`, trailing
 * zeros trimmed, as Docker's `Created` fields).
 */

import { DEFAULT_CAPTURE_EPOCH_SECONDS } from "../capture/capture-clock.js";
import { SECOND } from "../sim/time.js";

const DAYS = ["Sun", "Mon", "Tue", "Wed", "Thu", "Fri", "Sat"];
const MONTHS = ["Jan", "Feb", "Mar", "Apr", "May", "Jun", "Jul", "Aug", "Sep", "Oct", "Nov", "Dec"];
const two = (n: number) => String(n).padStart(2, "0");

function dateOf(simNs: number): Date {
  return new Date((DEFAULT_CAPTURE_EPOCH_SECONDS + Math.floor(simNs / SECOND)) * 1000);
}

export function ctime(simNs: number): string {
  const d = dateOf(simNs);
  return (
    `${DAYS[d.getUTCDay()]} ${MONTHS[d.getUTCMonth()]} ${String(d.getUTCDate()).padStart(2)} ` +
    `${two(d.getUTCHours())}:${two(d.getUTCMinutes())}:${two(d.getUTCSeconds())} ${d.getUTCFullYear()}`
  );
}

export function httpDate(simNs: number): string {
  const d = dateOf(simNs);
  return (
    `${DAYS[d.getUTCDay()]}, ${two(d.getUTCDate())} ${MONTHS[d.getUTCMonth()]} ${d.getUTCFullYear()} ` +
    `${two(d.getUTCHours())}:${two(d.getUTCMinutes())}:${two(d.getUTCSeconds())} GMT`
  );
}

export function rfc3339Nano(simNs: number): string {
  const d = dateOf(simNs);
  const ns = String(simNs % SECOND)
    .padStart(9, "0")
    .replace(/0+$/, "");
  return (
    `${d.getUTCFullYear()}-${two(d.getUTCMonth() + 1)}-${two(d.getUTCDate())}T` +
    `${two(d.getUTCHours())}:${two(d.getUTCMinutes())}:${two(d.getUTCSeconds())}${ns ? `.${ns}` : ""}Z`
  );
}
