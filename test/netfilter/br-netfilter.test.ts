/**
 * br_netfilter (src/kernel/br-netfilter.ts): IPv4 frames crossing a bridge pass iptables with the
 * bridge as -i/-o when net.bridge.bridge-nf-call-iptables=1 — Docker's icc=false DROP between
 * containers, and a container reaching another container through the host's DNAT (bridged DNAT:
 * the reply goes straight back over the bridge, un-NATed) — and not at all when it is 0.
 */

import { mkdtempSync, readFileSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, describe, expect, it } from "vitest";
import { normaliseCapture } from "../helpers/linux-frames.js";
import { runLines } from "../helpers/scenario.js";

const tmp = mkdtempSync(join(tmpdir(), "dockwire-brnf-"));
afterAll(() => rmSync(tmp, { recursive: true, force: true }));

const SETUP = `
ip netns add host
ip netns add c1
ip netns add c2
ip -n host link add br0 type bridge
ip link add eth0 netns c1 type veth peer name v1 netns host
ip link add eth0 netns c2 type veth peer name v2 netns host
ip -n host link set v1 master br0
ip -n host link set v2 master br0
ip -n host addr add 172.17.0.1/16 dev br0
ip -n c1 addr add 172.17.0.2/16 dev eth0
ip -n c2 addr add 172.17.0.3/16 dev eth0
ip -n host link set br0 up
ip -n host link set v1 up
ip -n host link set v2 up
ip -n c1 link set eth0 up
ip -n c2 link set eth0 up
ip -n c1 route add default via 172.17.0.1
ip -n c2 route add default via 172.17.0.1
ip netns exec c1 httpd -p 80 &
`;

function run(extra: string): string[] {
  return runLines(SETUP + extra, tmp).lines;
}

describe("br_netfilter", () => {
  it("a FORWARD rule with -i br0 -o br0 stops traffic between two containers on the bridge (icc=false)", () => {
    const lines = run(`
ip netns exec c2 ping -c 1 -W 1 172.17.0.2 || true
ip netns exec host iptables -A FORWARD -i br0 -o br0 -j DROP
ip netns exec c2 ping -c 1 -W 1 172.17.0.2 || true
ip netns exec host iptables -L FORWARD -n -v
`);
    const stats = lines.filter((l) => l.includes("packets transmitted"));
    expect(stats[0]).toMatch(/1 received/);
    expect(stats[1]).toMatch(/0 received/);
    expect(lines.find((l) => l.includes("DROP") && !l.startsWith("$"))).toMatch(
      /^ +1 +84 DROP +0 +-- +br0 +br0 /,
    );
  });

  it("with bridge-nf-call-iptables=0 the bridge does not consult iptables", () => {
    const lines = run(`
ip netns exec host sysctl -w net.bridge.bridge-nf-call-iptables=0
ip netns exec host iptables -A FORWARD -i br0 -o br0 -j DROP
ip netns exec c2 ping -c 1 -W 1 172.17.0.2
`);
    expect(lines.find((l) => l.includes("packets transmitted"))).toMatch(/1 received/);
  });

  it("a container reaches another one through the host's DNAT, and the reply comes back un-NATed", () => {
    const lines = run(`
ip netns exec host sysctl -w net.ipv4.ip_forward=1
ip netns exec host iptables -t nat -A PREROUTING -d 172.17.0.1 -p tcp --dport 8080 -j DNAT --to-destination 172.17.0.2:80
ip netns exec c2 curl -s http://172.17.0.1:8080/
ip netns exec host conntrack -L
`);
    expect(lines).toContain("<html><body><h1>It works!</h1></body></html>");
    const ct = lines.find((l) => l.startsWith("tcp "));
    expect(ct).toMatch(
      /src=172\.17\.0\.3 dst=172\.17\.0\.1 sport=\d+ dport=8080 src=172\.17\.0\.2 dst=172\.17\.0\.3 sport=80 dport=\d+ \[ASSURED\]/,
    );
  });
});

describe("icc=false against Linux (make-icc-fixtures.sh)", () => {
  const linux = readFileSync(new URL("../fixtures/linux/netfilter/icc.txt", import.meta.url), "utf8");
  const section = (text: string, from: string) => {
    const ls = text.split("\n");
    const i = ls.findIndex((l) => l.startsWith(from));
    const j = ls.findIndex((l, k) => k > i && l.startsWith("$ "));
    return ls.slice(i + 1, j < 0 ? undefined : j).filter((l) => l !== "" && !l.startsWith("[exit"));
  };
  it.each(["DROP", "REJECT"])("with -j %s: the same ping output and counters", (target) => {
    const setup = `
ip netns add h
ip netns add c1
ip netns add c2
ip -n h link add docker0 address 02:42:ac:11:00:01 type bridge
ip link add eth0 netns c1 address 02:42:ac:11:00:02 type veth peer name v1 netns h
ip link add eth0 netns c2 address 02:42:ac:11:00:03 type veth peer name v2 netns h
ip -n h link set v1 master docker0
ip -n h link set v2 master docker0
ip -n h addr add 172.17.0.1/16 dev docker0
ip -n c1 addr add 172.17.0.2/16 dev eth0
ip -n c2 addr add 172.17.0.3/16 dev eth0
ip -n h link set docker0 up
ip -n h link set v1 up
ip -n h link set v2 up
ip -n c1 link set eth0 up
ip -n c2 link set eth0 up
ip netns exec h iptables -A FORWARD -i docker0 -o docker0 -j ${target}
ip netns exec c2 ping -c 1 -W 1 172.17.0.2 || true
ip netns exec h iptables -L FORWARD -n -v
`;
    const out = runLines(setup, join(tmp, `icc-${target}`)).lines.join("\n");
    const ping = `$ ip netns exec c2 ping -c 1 -W 1 172.17.0.2`;
    const linuxBlock = linux.split(`(FORWARD -i docker0 -o docker0 -j ${target})`)[1] as string;
    expect(section(out, ping).length).toBeGreaterThanOrEqual(3);
    expect(section(out, ping)).toEqual(section(`${ping}${linuxBlock}`, ping));
    expect(section(out, "$ ip netns exec h iptables -L FORWARD")).toEqual(
      section(linuxBlock, "$ ip netns exec h iptables -L FORWARD"),
    );
  });
});

describe("hairpin through the host's DNAT against Linux (make-hairpin-fixtures.sh)", () => {
  const dir = join(tmp, "hairpin");
  const fixture = (f: string) => readFileSync(new URL(`../fixtures/linux/netfilter/${f}`, import.meta.url));
  const { lines } = runLines(
    `
ip netns add h
ip netns add c1
ip netns add c2
ip -n h link add docker0 address 02:42:ac:11:00:01 type bridge
ip link add eth0 netns c1 address 02:42:ac:11:00:02 type veth peer name v1 netns h address 02:00:00:00:01:01
ip link add eth0 netns c2 address 02:42:ac:11:00:03 type veth peer name v2 netns h address 02:00:00:00:01:02
ip -n h link set v1 master docker0
ip -n h link set v2 master docker0
ip -n h addr add 172.17.0.1/16 dev docker0
ip -n c1 addr add 172.17.0.2/16 dev eth0
ip -n c2 addr add 172.17.0.3/16 dev eth0
ip -n h link set docker0 up
ip -n h link set v1 up
ip -n h link set v2 up
ip -n c1 link set eth0 up
ip -n c2 link set eth0 up
ip -n c1 route add default via 172.17.0.1
ip -n c2 route add default via 172.17.0.1
ip netns exec h sysctl -w net.ipv4.ip_forward=1
ip netns exec h iptables -t nat -A PREROUTING -d 172.17.0.1 -p tcp --dport 8080 -j DNAT --to-destination 172.17.0.2:80
ip netns exec c1 httpd -p 80 &
ip netns exec c1 tcpdump -n -i eth0 -w hairpin-c1.pcap &
ip netns exec c2 tcpdump -n -i eth0 -w hairpin-c2.pcap &
ip netns exec c2 curl -s -m 5 http://172.17.0.1:8080/
ip netns exec h conntrack -L
`,
    dir,
  );

  it("the same frames at both containers (Linux's IGMP report aside) and the same conntrack entry", () => {
    const keep = [80, 8080];
    const noIgmp = (hex: string[]) => hex.filter((h) => !h.startsWith("01005e"));
    for (const c of ["hairpin-c1", "hairpin-c2"]) {
      expect(normaliseCapture(readFileSync(join(dir, `${c}.pcap`)), keep).sort()).toEqual(
        noIgmp(normaliseCapture(fixture(`${c}.pcap`), keep)).sort(),
      );
    }
    const entries = (ls: string[]) =>
      ls
        .filter((l) => l.startsWith("tcp "))
        .map((l) => l.replace(/(sport|dport)=\d{5}/g, "$1=P").replace(/^(tcp +6) \d+/, "$1 T"));
    expect(entries(lines)).toEqual(entries(fixture("hairpin-transcript.txt").toString().split("\n")));
  });

  it("without forwarding on the host, Linux drops the DNATed frame; so does dockwire", () => {
    const out = runLines(
      `${SETUP}
ip netns exec host iptables -t nat -A PREROUTING -d 172.17.0.1 -p tcp --dport 8080 -j DNAT --to-destination 172.17.0.2:80
ip netns exec c2 curl -s -m 2 http://172.17.0.1:8080/ || true
`,
      join(tmp, "hairpin-noforward"),
    ).lines;
    expect(out).not.toContain("<html><body><h1>It works!</h1></body></html>");
  });
});
