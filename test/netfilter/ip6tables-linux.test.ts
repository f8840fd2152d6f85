/**
 * ip6tables at work against Linux 6.18 (test/fixtures/linux/ip6tables, make-ip6tables-fixtures.sh):
 * the router's transcript replayed as a scenario — ip6tables rules, pings through FORWARD DROP with
 * an ESTABLISHED accept, MASQUERADE, a DNAT of ICMPv6 echo, a REJECT with icmp6-adm-prohibited —
 * prints what Linux printed (round-trip times aside; conntrack -L as a set, echo ids aside, since
 * Linux lists in hash order), and the captures on A and B hold the same frames in the same order.
 * The UDP exchange (made with python on Linux) is not in the scenario: ip6tables-udp.test.ts drives
 * it through the TypeScript API.
 */

import { mkdtempSync, readFileSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, describe, expect, it } from "vitest";
import { readPcap } from "../../src/capture/pcap-reader.js";
import { decodeFrame, summarizeFrame } from "../../src/wire/frame.js";
import { type Ip6Step, ip6Steps } from "../helpers/ip6tables-transcript.js";
import { runLines } from "../helpers/scenario.js";

const dir = new URL("../fixtures/linux/ip6tables/", import.meta.url);
const transcript = readFileSync(new URL("transcript.txt", dir), "utf8");
const tmp = mkdtempSync(join(tmpdir(), "dockwire-ip6t-"));
afterAll(() => rmSync(tmp, { recursive: true, force: true }));

const SETUP = [
  ...["dw6nf-a", "dw6nf-b", "dw6nf-r"].flatMap((ns) => [
    `ip netns add ${ns}`,
    `ip -n ${ns} link set lo up`,
    `ip netns exec ${ns} sysctl -q -w net.ipv6.conf.all.disable_ipv6=0`,
  ]),
  ...["dw6nf-a", "dw6nf-b"].map(
    (ns) =>
      `ip netns exec ${ns} sysctl -q -w net.ipv6.conf.all.router_solicitations=0 net.ipv6.conf.default.router_solicitations=0`,
  ),
  "ip link add eth0 netns dw6nf-a address 02:00:00:00:06:1a type veth peer name eth0 netns dw6nf-r address 02:00:00:00:06:11",
  "ip link add eth0 netns dw6nf-b address 02:00:00:00:06:2b type veth peer name eth1 netns dw6nf-r address 02:00:00:00:06:21",
];

/** The scenario: the transcript's commands where they ran, its sleeps and captures, no UDP. */
function scenario(): { lines: string[]; steps: Ip6Step[] } {
  const lines = [...SETUP];
  let here = "";
  const steps = ip6Steps(transcript);
  for (const line of transcript.split("\n")) {
    const on = /^# on \w \((\S+)\)$/.exec(line);
    const sleep = /^# sleep (\S+)$/.exec(line);
    if (on) here = on[1] as string;
    else if (sleep) lines.push(`sleep ${sleep[1]}`);
    else if (line.startsWith("# (tcpdump"))
      lines.push(
        "ip netns exec dw6nf-a tcpdump -i eth0 -w a.pcap &",
        "ip netns exec dw6nf-b tcpdump -i eth0 -w b.pcap &",
        "sleep 1",
      );
    else if (line.startsWith("$ ")) lines.push(`ip netns exec ${here} ${line.slice(2)} || true`);
  }
  lines.push("sleep 0.5");
  return { lines, steps };
}

function normalise(command: string, lines: string[]): string[] {
  const out = lines
    .filter((l) => !l.startsWith("conntrack v1.4.7"))
    .map((l) =>
      l
        .replace(/time=\d+\.\d+ ms/, "time=T ms")
        .replace(/time \d+ms$/, "time Tms")
        .replace(/^rtt min\/avg\/max\/mdev = .*/, "rtt …")
        .replace(/ id=\d+/g, " id=N")
        .replace(/ on \w{3} \w{3} [ \d]\d \d\d:\d\d:\d\d \d{4}$/, " on DATE"),
    );
  return command.startsWith("conntrack") ? out.sort() : out;
}

/** Linux's UDP flow (made outside the scenario) and what it added to the counters. */
function withoutUdp(command: string, lines: string[]): string[] {
  if (command.startsWith("conntrack")) return lines.filter((l) => !/^(ipv6 +10 )?udp /.test(l));
  return lines;
}

describe("ip6tables as on Linux: the router transcript", () => {
  const { lines, steps } = scenario();
  const out = runLines(lines.join("\n"), tmp).lines;
  const printed = new Map<string, string[][]>();
  let current: string[] | undefined;
  for (const l of out) {
    if (l.startsWith("$ ")) {
      current = [];
      const key = l.slice(2).replace(/ \|\| true$/, "");
      printed.set(key, [...(printed.get(key) ?? []), current]);
    } else if (
      !l.startsWith("dockwire:") &&
      !/^\d+ packets (captured|received by filter|dropped by kernel)$/.test(l) &&
      !l.startsWith("tcpdump: listening")
    )
      current?.push(l);
  }
  // The counters and listings after the UDP exchange hold it: they are compared in the UDP test.
  const compared = steps.filter((s) => !/^(ip6tables-save -c|ip6tables -L FORWARD)/.test(s.command));
  const seen = new Map<string, number>();
  it.each(compared.map((s, i) => [i + 1, `${s.ns}: ${s.command}`, s] as const))("%i: %s", (_i, _name, s) => {
    const key = `ip netns exec ${s.ns} ${s.command}`;
    const k = seen.get(key) ?? 0;
    seen.set(key, k + 1);
    const got = printed.get(key)?.[k] ?? [];
    expect(normalise(s.command, got)).toEqual(normalise(s.command, withoutUdp(s.command, s.output)));
  });

  /** `tcpdump -n -t` of a capture, echo ids aside, UDP left out. */
  const frames = (text: string[]) =>
    text.filter((l) => !/\.(40000|5353|53) /.test(l)).map((l) => l.replace(/id \d+/, "id N"));

  it.each(["a", "b"])("%s.pcap holds Linux's frames in Linux's order", (name) => {
    const ours = readPcap(readFileSync(join(tmp, `${name}.pcap`))).records.map((r) =>
      summarizeFrame(decodeFrame(r.data), r.data.length),
    );
    const linux = readFileSync(new URL(`${name}.txt`, dir), "utf8")
      .trim()
      .split("\n");
    expect(frames(ours)).toEqual(frames(linux));
  });

  it.each(["a", "b"])("%s.pcap: the same bytes, flow labels and echo ids aside; checksums valid", (name) => {
    const read = (bytes: Uint8Array) => readPcap(bytes).records.map((r) => r.data);
    const ours = read(readFileSync(join(tmp, `${name}.pcap`))).filter((f) => f[20] !== 17);
    const linux = read(readFileSync(new URL(`${name}.pcap`, dir))).filter((f) => f[20] !== 17);
    for (const f of ours) expect(icmpv6ChecksumOk(f)).toBe(true);
    expect(ours.map(normaliseFrame)).toEqual(linux.map(normaliseFrame));
  });
});

/** An ICMPv6 frame (no extension headers) whose checksum, pseudo-header included, adds up. */
function icmpv6ChecksumOk(f: Uint8Array): boolean {
  if (f[20] !== 58) return true;
  const len = (f[18] as number) * 256 + (f[19] as number);
  let sum = len + 58;
  for (let i = 22; i < 54; i += 2) sum += (f[i] as number) * 256 + (f[i + 1] as number);
  for (let i = 54; i < 54 + len; i += 2) sum += (f[i] as number) * 256 + (f[i + 1] ?? 0);
  while (sum > 0xffff) sum = (sum & 0xffff) + (sum >>> 16);
  return sum === 0xffff;
}

/**
 * The frame in hex with the fields Linux picks at random (or from the clock) cleared: flow labels,
 * echo ids, ping's timestamps, and the ICMPv6 checksums that cover them.
 */
function normaliseFrame(frame: Uint8Array): string {
  const f = frame.slice();
  const clearIp = (ip: number) => {
    f[ip + 1] = (f[ip + 1] as number) & 0xf0;
    f[ip + 2] = 0;
    f[ip + 3] = 0;
  };
  const clearIcmp = (l4: number) => {
    f[l4 + 2] = 0;
    f[l4 + 3] = 0;
    if (f[l4] === 128 || f[l4] === 129) {
      // The echo id, and ping's timestamp (a struct timeval) at the start of the data.
      f.fill(0, l4 + 4, l4 + 6);
      f.fill(0, l4 + 8, Math.min(l4 + 24, f.length));
    }
  };
  clearIp(14);
  if (f[20] === 58) {
    clearIcmp(54);
    if (f[54] === 1 && f.length >= 62 + 48) {
      clearIp(62);
      clearIcmp(102);
    }
  }
  return Buffer.from(f).toString("hex");
}
