/**
 * Conntrack's timeouts and limits through their sysctls (net.netfilter.nf_conntrack_*): entries
 * live as long as the protocol's timeout says and disappear at its end; a full table drops the
 * packet that would add an entry and says so in the kernel log.
 */

import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, describe, expect, it } from "vitest";
import { runScenario } from "../../src/scenario/runner.js";

const tmp = mkdtempSync(join(tmpdir(), "dockwire-ct-"));
afterAll(() => rmSync(tmp, { recursive: true, force: true }));

const SETUP = `
ip netns add a
ip netns add b
ip link add eth0 netns a type veth peer name eth0 netns b
ip -n a addr add 10.0.0.1/24 dev eth0
ip -n b addr add 10.0.0.2/24 dev eth0
ip -n a link set eth0 up
ip -n b link set eth0 up
ip netns exec b iptables -A INPUT -m conntrack --ctstate INVALID -j DROP
`;

function run(extra: string): string[] {
  const lines: string[] = [];
  runScenario(SETUP + extra, {
    seed: 1,
    outDir: tmp,
    pcapng: false,
    application: "test",
    print: (l) => lines.push(l),
  });
  return lines;
}

describe("conntrack settings", () => {
  it("an unreplied UDP entry lives nf_conntrack_udp_timeout seconds, then is gone", () => {
    const lines = run(`
ip netns exec b sysctl -w net.netfilter.nf_conntrack_udp_timeout=5
echo hi | ip netns exec a nc -u -w 0 10.0.0.2 9999
ip netns exec b conntrack -L
sleep 4
ip netns exec b conntrack -L
sleep 2
ip netns exec b conntrack -L
`);
    const lists = lines.filter((l) => l.startsWith("udp ") || l.includes("flow entries"));
    expect(lists[0]).toMatch(/^udp +17 5 src=10\.0\.0\.1 dst=10\.0\.0\.2 sport=\d+ dport=9999 \[UNREPLIED\]/);
    expect(lists[2]).toMatch(/^udp +17 1 /);
    expect(lists.at(-1)).toBe("conntrack v1.4.7 (conntrack-tools): 0 flow entries have been shown.");
  });

  it("an established TCP connection gets nf_conntrack_tcp_timeout_established (432000 s)", () => {
    const lines = run(`
ip netns exec b nc -l 7 &
ip netns exec a nc 10.0.0.2 7 &
sleep 1
ip netns exec b conntrack -L
`);
    expect(lines.find((l) => l.startsWith("tcp "))).toMatch(
      /^tcp +6 431999 ESTABLISHED src=10\.0\.0\.1 dst=10\.0\.0\.2 .* \[ASSURED\]/,
    );
  });

  it("with nf_conntrack_max reached, a new connection's packet is dropped", () => {
    const lines = run(`
ip netns exec b sysctl -w net.netfilter.nf_conntrack_max=1
ip netns exec b nc -l 7 &
ip netns exec a ping -c 1 -W 1 10.0.0.2
ip netns exec a nc -zv -w 1 10.0.0.2 7 || true
ip netns exec b conntrack -C
`);
    expect(lines.find((l) => l.includes("packets transmitted"))).toMatch(/1 received/);
    expect(lines).toContain("nc: connect to 10.0.0.2 port 7 (tcp) timed out: Operation now in progress");
    expect(lines.at(-1)).toBe("1");
  });
});
