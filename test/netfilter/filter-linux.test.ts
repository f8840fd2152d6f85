/**
 * Filtering with conntrack against Linux (test/fixtures/linux/make-conntrack-fixtures.sh): the same
 * rules in the receiving namespace (RELATED,ESTABLISHED accepted, ports 80 and 53 open, ping
 * rejected with icmp-admin-prohibited, port 22 with tcp-reset, policy DROP) and the same traffic give
 * the same program output, the same `conntrack -L` entries (ports and remaining seconds aside),
 * the same rule counters, and the same rejections on the wire.
 */

import { mkdtempSync, readFileSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, describe, expect, it } from "vitest";
import { readPcap } from "../../src/capture/pcap-reader.js";
import { runScenario } from "../../src/scenario/runner.js";
import { decodeFrame, summarizeFrame } from "../../src/wire/frame.js";
import { runLines } from "../helpers/scenario.js";

const tmp = mkdtempSync(join(tmpdir(), "dockwire-filter-"));
afterAll(() => rmSync(tmp, { recursive: true, force: true }));
/** Two namespaces PRE-a (10.0.0.1) and PRE-b (10.0.0.2) joined by a veth, both ends up. */
const pair = (pre: string) => `
ip netns add ${pre}-a
ip netns add ${pre}-b
ip link add eth0 netns ${pre}-a type veth peer name eth0 netns ${pre}-b
ip -n ${pre}-a addr add 10.0.0.1/24 dev eth0
ip -n ${pre}-b addr add 10.0.0.2/24 dev eth0
ip -n ${pre}-a link set eth0 up
ip -n ${pre}-b link set eth0 up`;
const fixture = (name: string) =>
  readFileSync(new URL(`../fixtures/linux/netfilter/${name}`, import.meta.url), "utf8");

const SCENARIO = `
ip netns add dwct-a
ip netns add dwct-b
ip link add eth0 netns dwct-a address 02:00:00:00:00:01 type veth peer name eth0 netns dwct-b address 02:00:00:00:00:02
ip -n dwct-a addr add 10.0.0.1/24 dev eth0
ip -n dwct-b addr add 10.0.0.2/24 dev eth0
ip -n dwct-a link set eth0 up
ip -n dwct-b link set eth0 up
ip netns exec dwct-b iptables -A INPUT -m conntrack --ctstate RELATED,ESTABLISHED -j ACCEPT
ip netns exec dwct-b iptables -A INPUT -p tcp --dport 80 -j ACCEPT
ip netns exec dwct-b iptables -A INPUT -p udp --dport 53 -j ACCEPT
ip netns exec dwct-b iptables -A INPUT -p icmp --icmp-type echo-request -j REJECT --reject-with icmp-admin-prohibited
ip netns exec dwct-b iptables -A INPUT -p tcp --dport 22 -j REJECT --reject-with tcp-reset
ip netns exec dwct-b iptables -P INPUT DROP
ip netns exec dwct-b nc -l 80 &
ip netns exec dwct-a tcpdump -n -i eth0 -w filter.pcap &
ip netns exec dwct-a ping -c 1 -W 1 10.0.0.2 || true
echo hi | ip netns exec dwct-a nc -u -w 1 10.0.0.2 53
ip netns exec dwct-a nc -zv 10.0.0.2 22 || true
echo x | ip netns exec dwct-a nc -N 10.0.0.2 80
ip netns exec dwct-b conntrack -L
ip netns exec dwct-b conntrack -L -o extended
ip netns exec dwct-b iptables -L INPUT -n -v
`;

/** Lines printed after `$ ...COMMAND` up to the next prompt. */
function outputAfter(lines: string[], command: string): string[] {
  const i = lines.findIndex((l) => l.startsWith("$ ") && l.endsWith(command));
  const j = lines.findIndex((l, k) => k > i && l.startsWith("$ "));
  return lines
    .slice(i + 1, j < 0 ? undefined : j)
    .filter(
      (l) => l !== "" && !l.startsWith("[exit") && !/packets (captured|received|dropped)|^wrote /.test(l),
    );
}

/** conntrack lines with the client's ports and the remaining seconds masked; the summary last. */
function conntrackLines(lines: string[]): string[] {
  const summary = lines.filter((l) => l.startsWith("conntrack v1.4.7"));
  const entries = lines
    .filter((l) => !l.startsWith("conntrack v1.4.7"))
    .map((l) => l.replace(/(sport|dport)=\d{5}/g, "$1=P").replace(/^((?:ipv4 {5}2 )?\w+ +\d+) \d+/, "$1 T"))
    .sort();
  return [...entries, ...summary];
}

describe("an INPUT filter with conntrack, against Linux", () => {
  const lines: string[] = [];
  const r = runScenario(SCENARIO, {
    seed: 1,
    outDir: tmp,
    pcapng: false,
    application: "test",
    print: (l) => lines.push(l),
  });
  const linux = fixture("filter-transcript.txt").split("\n");

  it("runs", () => expect(r.exit).toBe(0));

  it("ping reports the rejection as iputils does; nc gets the reset", () => {
    expect(outputAfter(lines, "ping -c 1 -W 1 10.0.0.2 || true")).toEqual(
      outputAfter(linux, "ping -c 1 -W 1 10.0.0.2"),
    );
    expect(outputAfter(lines, "nc -zv 10.0.0.2 22 || true")).toEqual(
      outputAfter(linux, "nc -zv 10.0.0.2 22"),
    );
  });

  it("conntrack -L lists the UDP (unreplied) and TCP (TIME_WAIT, assured) entries, not the rejected ones", () => {
    expect(conntrackLines(outputAfter(lines, "dwct-b conntrack -L"))).toEqual(
      conntrackLines(outputAfter(linux, "conntrack -L (in dwct-b)")),
    );
    expect(conntrackLines(outputAfter(lines, "conntrack -L -o extended"))).toEqual(
      conntrackLines(outputAfter(linux, "conntrack -L -o extended (in dwct-b)")),
    );
  });

  it("the rule counters count the same packets and bytes", () => {
    expect(outputAfter(lines, "iptables -L INPUT -n -v")).toEqual(
      outputAfter(linux, "iptables -L INPUT -n -v (in dwct-b)"),
    );
  });

  it("the rejections on the wire are Linux's: admin-prohibited for ping, RST,ACK for port 22, port unreachable for UDP", () => {
    const ours = readPcap(readFileSync(join(tmp, "filter.pcap"))).records.map((x) =>
      summarizeFrame(decodeFrame(x.data), x.data.length),
    );
    const theirs = fixture("filter.txt").split("\n");
    for (const want of [
      /ICMP host 10.0.0.2 unreachable - admin prohibited filter, length 92/,
      /ICMP 10.0.0.2 udp port 53 unreachable, length 39/,
      /10.0.0.2.22 > 10.0.0.1.\d+: Flags \[R.\], seq 0, ack \d+, win 0, length 0/,
    ]) {
      expect(theirs.some((l) => want.test(l))).toBe(true);
      expect(ours.some((l) => want.test(l))).toBe(true);
    }
  });
});

describe("conntrack -E against Linux (conntrack-events.txt)", () => {
  it("the same events in the same order (ports and ids aside)", () => {
    const { lines } = runLines(
      `${pair("dwct")}
ip netns exec dwct-b iptables -A INPUT -m conntrack --ctstate NEW -j ACCEPT
ip netns exec dwct-b sysctl -w net.netfilter.nf_conntrack_icmp_timeout=2
ip netns exec dwct-b nc -l 81 &
ip netns exec dwct-b conntrack -E &
ip netns exec dwct-a ping -c 1 10.0.0.2
echo x | ip netns exec dwct-a nc -N 10.0.0.2 81
sleep 3.5
`,
      join(tmp, "events"),
    );
    const mask = (l: string) => l.replace(/(sport|dport|id)=\d+/g, "$1=N");
    const events = (ls: string[]) =>
      ls.filter((l) => /^ *\[(NEW|UPDATE|DESTROY)\]|flow events/.test(l)).map(mask);
    expect(events(lines)).toEqual(events(fixture("conntrack-events.txt").split("\n")));
  });
});

describe("conntrack -E and the gc worker", () => {
  it("an entry that times out is reported as DESTROY by the worker's next pass, within a minute", () => {
    const { lines } = runLines(
      `${pair("dwgc")}
ip netns exec dwgc-b iptables -A INPUT -m conntrack --ctstate NEW -j ACCEPT
ip netns exec dwgc-b sysctl -w net.netfilter.nf_conntrack_icmp_timeout=5
ip netns exec dwgc-b conntrack -E &
ip netns exec dwgc-a ping -c 1 10.0.0.2
sleep 30
sleep 40
`,
      join(tmp, "gc"),
    );
    const destroy = lines.findIndex((l) => l.startsWith("[DESTROY]"));
    expect(lines[destroy]).toMatch(
      /^\[DESTROY\] icmp {5}1 src=10\.0\.0\.1 dst=10\.0\.0\.2 type=8 code=0 id=\d+ src=10\.0\.0\.2 dst=10\.0\.0\.1 type=0 code=0 id=\d+$/,
    );
    // Not at the 5 s timeout but at the worker's next pass, about a minute after the first.
    expect(destroy).toBeGreaterThan(lines.indexOf("$ sleep 40"));
    expect(lines.at(-1)).toBe("conntrack v1.4.7 (conntrack-tools): 3 flow events have been shown.");
  });
});

describe("CONNMARK and -m connmark (as Linux 6.18 does them)", () => {
  it("a mark set on the request is on the entry, restored onto the replies, and matched", () => {
    const { lines } = runLines(
      `${pair("dwcm")}
ip netns exec dwcm-b iptables -t mangle -A PREROUTING -p icmp --icmp-type echo-request -j CONNMARK --set-mark 0x2a
ip netns exec dwcm-b iptables -t mangle -A OUTPUT -j CONNMARK --restore-mark
ip netns exec dwcm-b iptables -A OUTPUT -m mark --mark 42 -j ACCEPT
ip netns exec dwcm-b iptables -A INPUT -m connmark --mark 0x2a -j ACCEPT
ip netns exec dwcm-b iptables -A INPUT -m connmark ! --mark 0x2a -j ACCEPT
ip netns exec dwcm-a ping -c 2 -i 0.2 10.0.0.2
ip netns exec dwcm-b conntrack -L
ip netns exec dwcm-b iptables-save -c
`,
      join(tmp, "connmark"),
    );
    // Linux's output for the same commands (id aside).
    expect(lines.find((l) => l.startsWith("icmp"))?.replace(/id=\d+/g, "id=N")).toBe(
      "icmp     1 30 src=10.0.0.1 dst=10.0.0.2 type=8 code=0 id=N src=10.0.0.2 dst=10.0.0.1 type=0 code=0 id=N mark=42 use=1",
    );
    expect(lines.filter((l) => /^\[\d+:\d+\] -A/.test(l))).toEqual([
      "[2:168] -A PREROUTING -p icmp -m icmp --icmp-type 8 -j CONNMARK --set-xmark 0x2a/0xffffffff",
      "[2:168] -A OUTPUT -j CONNMARK --restore-mark --nfmask 0xffffffff --ctmask 0xffffffff",
      "[2:168] -A INPUT -m connmark --mark 0x2a -j ACCEPT",
      "[0:0] -A INPUT -m connmark ! --mark 0x2a -j ACCEPT",
      "[2:168] -A OUTPUT -m mark --mark 0x2a -j ACCEPT",
    ]);
  });
});

describe("NOTRACK and CT --notrack in the raw table (as Linux 6.18 does them)", () => {
  it("untracked packets make no entry and match --ctstate UNTRACKED, before conntrack sees them", () => {
    const { lines } = runLines(
      `${pair("dwnt")}
ip netns exec dwnt-b iptables -t raw -A PREROUTING -p icmp -j NOTRACK
ip netns exec dwnt-b iptables -t raw -A OUTPUT -p icmp -j CT --notrack
ip netns exec dwnt-b iptables -A INPUT -m conntrack --ctstate UNTRACKED -j ACCEPT
ip netns exec dwnt-b iptables -A INPUT -m conntrack --ctstate NEW,ESTABLISHED -j ACCEPT
ip netns exec dwnt-b iptables -A OUTPUT -m state --state UNTRACKED -j ACCEPT
ip netns exec dwnt-a ping -c 2 -i 0.2 10.0.0.2
echo x | ip netns exec dwnt-a nc -u -w 0 10.0.0.2 5000 || true
sleep 0.2
ip netns exec dwnt-b conntrack -L
ip netns exec dwnt-b iptables-save -c
`,
      join(tmp, "notrack"),
    );
    // Linux's output for the same commands (the source port aside): only the datagram is tracked,
    // and the port unreachable answering it leaves untracked.
    expect(
      lines.filter((l) => /^(icmp|udp|tcp) /.test(l)).map((l) => l.replace(/port=\d{5}/g, "port=E")),
    ).toEqual([
      "udp      17 29 src=10.0.0.1 dst=10.0.0.2 sport=E dport=5000 [UNREPLIED] src=10.0.0.2 dst=10.0.0.1 sport=5000 dport=E mark=0 use=1",
    ]);
    expect(lines.filter((l) => /^\[\d+:\d+\] -A/.test(l))).toEqual([
      "[2:168] -A PREROUTING -p icmp -j NOTRACK",
      "[3:226] -A OUTPUT -p icmp -j CT --notrack",
      "[2:168] -A INPUT -m conntrack --ctstate UNTRACKED -j ACCEPT",
      "[1:30] -A INPUT -m conntrack --ctstate NEW,ESTABLISHED -j ACCEPT",
      "[3:226] -A OUTPUT -m state --state UNTRACKED -j ACCEPT",
    ]);
  });
});
