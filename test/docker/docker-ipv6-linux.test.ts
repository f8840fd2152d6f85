/**
 * `docker network create --ipv6 --subnet fd00:db8:1::/64 net6` and `docker run -d --name web
 * --network net6 -p 8080:80 httpd` against the same setup built by hand on Linux 6.18
 * (test/fixtures/linux/make-docker-ipv6-fixtures.sh: the bridge with Docker's name and MAC, the
 * container's veth, Docker 27's ip6tables rules loaded with ip6tables-restore, IPv6 forwarding and
 * br_netfilter on). The same traffic — an outside host fetching the page through the published
 * port over IPv6 (DNAT), a closed port (the host's RST), the container's ping and UDP through
 * MASQUERADE, a UDP port unreachable carried back as RELATED — gives the same frames on the
 * outside host's eth0 and in the container once the random fields are normalised (flow labels,
 * TCP ISNs and timestamps, ephemeral ports, echo ids, the Date header), the same
 * `conntrack -L -f ipv6` entries and the same ip6tables rule counters.
 */

import { mkdtempSync, readFileSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, describe, expect, it } from "vitest";
import { normaliseCapture } from "../helpers/linux-frames.js";
import { runLines } from "../helpers/scenario.js";

const tmp = mkdtempSync(join(tmpdir(), "dockwire-docker6linux-"));
afterAll(() => rmSync(tmp, { recursive: true, force: true }));
const fixture = (name: string) =>
  readFileSync(new URL(`../fixtures/linux/docker-ipv6/${name}`, import.meta.url));

describe("docker run -p 8080:80 on an IPv6 network against Linux (make-docker-ipv6-fixtures.sh)", () => {
  const { lines } = runLines(
    `
sysctl -q -w net.ipv6.conf.all.disable_ipv6=0
ip netns add outside
ip netns exec outside sysctl -q -w net.ipv6.conf.all.disable_ipv6=0
ip netns exec outside sysctl -q -w net.ipv6.conf.all.router_solicitations=0
ip netns exec outside sysctl -q -w net.ipv6.conf.default.router_solicitations=0
ip link add eth0 netns outside address 02:00:00:00:0a:01 type veth peer name ext0 address 02:00:00:00:0a:02
ip addr add 2001:db8:a::1/64 dev ext0 nodad
ip link set ext0 up
ip -n outside link set lo up
ip -n outside addr add 2001:db8:a::10/64 dev eth0 nodad
ip -n outside link set eth0 up
docker network create --ipv6 --subnet fd00:db8:1::/64 net6
docker run -d --name web --network net6 -p 8080:80 httpd
ip netns exec outside echo -n hello | nc -6 -u -l -p 5353 &
sleep 3
ip netns exec outside tcpdump -n -i eth0 -w docker6-out.pcap &
docker exec web tcpdump -n -i eth0 -w docker6-web.pcap &
sleep 1
ip netns exec outside curl -s -g http://[2001:db8:a::1]:8080/
sleep 0.5
ip netns exec outside curl -s -g http://[2001:db8:a::1]:9/ || true
sleep 0.5
docker exec web ping -6 -c 1 2001:db8:a::10
sleep 0.5
docker exec web echo -n hello | nc -6 -u -p 40000 -w 1 2001:db8:a::10 5353
sleep 0.5
docker exec web echo -n hello | nc -6 -u -p 40001 -w 1 2001:db8:a::10 9
sleep 0.5
conntrack -L -f ipv6
ip6tables-save -c
`,
    tmp,
  );
  const linuxText = fixture("docker6.txt").toString("utf8").split("\n");

  it("the outside host gets the page over IPv6 and the container's ping comes back", () => {
    expect(lines).toContain("<html><body><h1>It works!</h1></body></html>");
    expect(lines.some((l) => /^64 bytes from 2001:db8:a::10: icmp_seq=1 ttl=63 /.test(l))).toBe(true);
  });

  it("the same frames on the outside host's eth0 and on the container's eth0", () => {
    const keep = [8080, 5353];
    // The fixture turned router solicitations off in the container; Docker leaves them on, so the
    // container's periodic RS (ICMPv6 type 133) is left out of dockwire's capture.
    const notRs = (hex: string) => !(hex.slice(40, 42) === "3a" && hex.slice(108, 110) === "85");
    const ours = (f: string) => normaliseCapture(readFileSync(join(tmp, f)), keep).filter(notRs);
    const linux = (f: string) => normaliseCapture(fixture(f), keep);
    expect(ours("docker6-out.pcap")).toEqual(linux("docker6-out.pcap"));
    expect(ours("docker6-web.pcap").sort()).toEqual(linux("docker6-web.pcap").sort());
  });

  it("the same conntrack entries (ports, ids and seconds aside)", () => {
    const mask = (l: string) =>
      l
        .replace(/(sport|dport|id)=(\d+)/g, (m, k, v) =>
          ["8080", "5353"].includes(v) || Number(v) < 1024 ? m : `${k}=N`,
        )
        .replace(/^(\w+ +\d+) \d+/, "$1 T");
    const entries = (ls: string[]) =>
      ls
        .filter((l) => /^(tcp|udp|icmpv6) /.test(l))
        .map(mask)
        .sort();
    expect(entries(lines)).toEqual(entries(linuxText));
  });

  it("the same counters on Docker's ip6tables rules", () => {
    const counted = (ls: string[]) => ls.filter((l) => /^\[\d+:\d+\] -A /.test(l));
    const linuxRules = linuxText.slice(linuxText.findIndex((l) => l.includes("ip6tables-save -c")));
    expect(counted(lines)).toEqual(counted(linuxRules));
  });
});
