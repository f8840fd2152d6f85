/**
 * br_netfilter for IPv6 (src/kernel/br-netfilter.ts): IPv6 frames bridged between two ports pass
 * ip6tables' FORWARD with the bridge as -i/-o when net.bridge.bridge-nf-call-ip6tables=1, and are
 * conntracked there; with 0 the bridge does not consult ip6tables.
 */

import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, describe, expect, it } from "vitest";
import { runLines } from "../helpers/scenario.js";

const tmp = mkdtempSync(join(tmpdir(), "dockwire-brnf6-"));
afterAll(() => rmSync(tmp, { recursive: true, force: true }));

const SETUP = `
ip netns add host
ip netns add c1
ip netns add c2
ip netns exec host sysctl -q -w net.ipv6.conf.all.disable_ipv6=0
ip netns exec c1 sysctl -q -w net.ipv6.conf.all.disable_ipv6=0
ip netns exec c2 sysctl -q -w net.ipv6.conf.all.disable_ipv6=0
ip -n host link add br0 type bridge
ip link add eth0 netns c1 type veth peer name v1 netns host
ip link add eth0 netns c2 type veth peer name v2 netns host
ip -n host link set v1 master br0
ip -n host link set v2 master br0
ip -n host link set br0 up
ip -n host link set v1 up
ip -n host link set v2 up
ip -n c1 link set eth0 up
ip -n c2 link set eth0 up
ip -n c1 addr add fd00::2/64 dev eth0
ip -n c2 addr add fd00::3/64 dev eth0
sleep 3
`;

describe("br_netfilter for IPv6", () => {
  it("a FORWARD rule with -i br0 -o br0 stops echo requests between two ports; the rest (ND) passes", () => {
    const { lines } = runLines(
      `${SETUP}
ip netns exec c2 ping -c 1 -W 1 fd00::2 || true
ip netns exec host ip6tables -A FORWARD -i br0 -o br0 -p icmpv6 --icmpv6-type echo-request -j DROP
ip netns exec host ip6tables -A FORWARD -m conntrack --ctstate NEW -j ACCEPT
ip netns exec c2 ping -c 1 -W 1 fd00::2 || true
ip netns exec host ip6tables -L FORWARD -n -v
ip netns exec host conntrack -L
`,
      tmp,
    );
    const stats = lines.filter((l) => l.includes("packets transmitted"));
    expect(stats[0]).toMatch(/1 received/);
    expect(stats[1]).toMatch(/0 received/);
    expect(lines.find((l) => l.includes("DROP") && !l.startsWith("$"))).toMatch(
      /^ +1 +104 DROP +58 +-- +br0 +br0 /,
    );
    // Neighbour discovery is untracked: the NEW rule saw nothing, conntrack holds nothing.
    expect(lines.find((l) => l.includes("ctstate NEW") && !l.startsWith("$"))).toMatch(/^ +0 +0 ACCEPT/);
    expect(lines.some((l) => l.startsWith("icmpv6"))).toBe(false);
  });

  it("with bridge-nf-call-ip6tables=0 the bridge does not consult ip6tables", () => {
    const { lines } = runLines(
      `${SETUP}
ip netns exec host sysctl -q -w net.bridge.bridge-nf-call-ip6tables=0
ip netns exec host ip6tables -A FORWARD -i br0 -o br0 -j DROP
ip netns exec c2 ping -c 1 -W 1 fd00::2 || true
`,
      tmp,
    );
    expect(lines.find((l) => l.includes("packets transmitted"))).toMatch(/1 received/);
  });
});
