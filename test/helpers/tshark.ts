/**
 * Check a capture file with tshark: IPv4/TCP/UDP checksum validation on, every expert item
 * collected, plus packet count, interface names, comments and directions. Tests that need tshark
 * use `itWithTshark`: skipped with a visible note when tshark is missing, failed when CI is set.
 */

import { execFileSync } from "node:child_process";
import { it } from "vitest";

/** The tshark binary; set TSHARK to use another (or a missing one, to see the skip). */
const TSHARK = process.env.TSHARK ?? "tshark";
const SEVERITY_ERROR = 0x00800000;
const SEVERITY_WARN = 0x00600000;

export interface TsharkReport {
  packets: number;
  /** Expert items of severity error / warning, as "frame N: message". */
  errors: string[];
  warnings: string[];
  /** Interface name of each packet (pcapng only). */
  interfaceNames: string[];
  comments: string[];
  /** epb_flags direction of each packet (1 inbound, 2 outbound, 0 unknown). */
  directions: number[];
  /** Each packet's protocol stack as tshark dissected it, e.g. "eth:ethertype:ip:tcp". */
  protocols: string[];
}

export function tsharkAvailable(): boolean {
  try {
    execFileSync(TSHARK, ["--version"], { stdio: "ignore" });
    return true;
  } catch {
    return false;
  }
}

const FIELDS = [
  "frame.number",
  "frame.interface_name",
  "frame.comment",
  "frame.packet_flags_direction",
  "frame.protocols",
  "_ws.expert.severity",
  "_ws.expert.message",
];

export function tsharkReport(file: string): TsharkReport {
  const args = ["-r", file, "-n"];
  for (const proto of ["ip", "tcp", "udp"]) args.push("-o", `${proto}.check_checksum:TRUE`);
  args.push("-T", "fields", "-E", "separator=\t", "-E", "occurrence=a", "-E", "aggregator=\u001f");
  for (const f of FIELDS) args.push("-e", f);
  const out = execFileSync(TSHARK, args, { encoding: "utf8", stdio: ["ignore", "pipe", "pipe"] });
  const report: TsharkReport = {
    packets: 0,
    errors: [],
    warnings: [],
    interfaceNames: [],
    comments: [],
    directions: [],
    protocols: [],
  };
  for (const line of out.split("\n")) {
    if (line === "") continue;
    const [num = "", iface = "", comment = "", direction = "", protocols = "", sev = "", msg = ""] =
      line.split("\t");
    report.packets++;
    report.interfaceNames.push(iface);
    report.comments.push(comment);
    report.directions.push(direction === "" ? 0 : Number(direction));
    report.protocols.push(protocols);
    const sevs = sev === "" ? [] : sev.split("\u001f").map(Number);
    const msgs = msg.split("\u001f");
    sevs.forEach((s, i) => {
      const text = `frame ${num}: ${msgs[i] ?? ""}`;
      if (s >= SEVERITY_ERROR) report.errors.push(text);
      else if (s >= SEVERITY_WARN) report.warnings.push(text);
    });
  }
  return report;
}

/**
 * For large captures: the packet count (capinfos) and tshark's expert summary counts, without one
 * line of output per packet.
 */
export function tsharkSummary(file: string): { packets: number; errors: number; warnings: number } {
  const info = execFileSync("capinfos", ["-c", "-M", file], { encoding: "utf8" });
  const packets = Number(/Number of packets:\s+(\d+)/.exec(info)?.[1] ?? Number.NaN);
  const args = ["-r", file, "-n", "-q", "-z", "expert,warn"];
  for (const proto of ["ip", "tcp", "udp"]) args.push("-o", `${proto}.check_checksum:TRUE`);
  const expert = execFileSync(TSHARK, args, { encoding: "utf8", stdio: ["ignore", "pipe", "pipe"] });
  const count = (group: string) => Number(new RegExp(`^${group} \\((\\d+)\\)`, "m").exec(expert)?.[1] ?? 0);
  return { packets, errors: count("Errors"), warnings: count("Warns") };
}

/** How many packets of a capture match a tshark display filter (e.g. "tcp.analysis.retransmission"). */
export function tsharkCount(file: string, filter: string): number {
  const out = execFileSync(TSHARK, ["-r", file, "-n", "-Y", filter, "-T", "fields", "-e", "frame.number"], {
    encoding: "utf8",
    stdio: ["ignore", "pipe", "pipe"],
  });
  return out.split("\n").filter((l) => l !== "").length;
}

/** `it` that needs tshark: skipped with a note when it is missing, a failure when CI is set. */
export function itWithTshark(name: string, fn: () => void | Promise<void>): void {
  if (tsharkAvailable()) {
    it(name, fn);
  } else if (process.env.CI) {
    it(name, () => {
      throw new Error("tshark is required when CI is set, and it was not found on PATH");
    });
  } else {
    it.skip(`${name} [skipped: tshark not installed]`, fn);
  }
}
