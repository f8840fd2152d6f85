/** Access to the Linux fixtures under test/fixtures/linux (pcaps and the tcpdump text beside them). */

import { readFileSync } from "node:fs";
import { readPcap } from "../../src/capture/pcap-reader.js";

export const WIRE_FIXTURES = [
  "arp-icmp-echo",
  "udp",
  "tcp",
  "tcp-rst",
  "tcp-sack",
  "icmp-time-exceeded",
  "icmp-frag-needed",
  "icmp-host-unreachable",
  "ip-options",
  "vlan",
  "vxlan",
  "ip-fragments",
  "ipv6",
] as const;

const dir = new URL("../fixtures/linux/wire/", import.meta.url);

export function fixtureFrames(name: string): Uint8Array[] {
  return readPcap(new Uint8Array(readFileSync(new URL(`${name}.pcap`, dir)))).records.map((r) => r.data);
}

/** tcpdump's lines for a fixture: variant "" (-n -t), "-e" or "-v". */
export function fixtureText(name: string, variant: "" | "-e" | "-v" = ""): string[] {
  return readFileSync(new URL(`${name}${variant}.txt`, dir), "utf8")
    .split("\n")
    .filter((l) => l !== "");
}
