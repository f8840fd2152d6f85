/**
 * `docker run -d --name web -p 8080:80 nginx` against Docker's setup built by hand on Linux 6.18
 * (test/fixtures/linux/make-docker-fixtures.sh: docker0, the container's veth, Docker 27's rules
 * loaded with iptables-restore, forwarding and br_netfilter on). The same traffic — an outside
 * host fetching the page through the published port, the container pinging the outside host —
 * gives the same frames on the outside host's eth0 and in the container, byte for byte once the
 * random fields are normalised (TCP ISNs and timestamps, IP IDs, ephemeral ports, echo ids, the
 * Date header), the same `conntrack -L` entries and the same rule counters.
 */

import { mkdtempSync, readFileSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, describe, expect, it } from "vitest";
import { normaliseCapture } from "../helpers/linux-frames.js";
import { runLines } from "../helpers/scenario.js";

const tmp = mkdtempSync(join(tmpdir(), "dockwire-dockerlinux-"));
afterAll(() => rmSync(tmp, { recursive: true, force: true }));
const fixture = (name: string) => readFileSync(new URL(`../fixtures/linux/docker/${name}`, import.meta.url));

describe("docker run -p 8080:80 against Linux (make-docker-fixtures.sh)", () => {
  const { lines } = runLines(
    `
ip netns add outside
ip link add eth0 netns outside address 02:00:00:00:0a:01 type veth peer name ext0 address 02:00:00:00:0a:02
ip addr add 192.0.2.1/24 dev ext0
ip link set ext0 up
ip -n outside addr add 192.0.2.10/24 dev eth0
ip -n outside link set eth0 up
docker run -d --name web -p 8080:80 nginx
ip netns exec outside tcpdump -n -i eth0 -w docker-out.pcap &
docker exec web tcpdump -n -i eth0 -w docker-web.pcap &
sleep 1
ip netns exec outside curl -s http://192.0.2.1:8080/
sleep 0.5
docker exec web ping -c 1 192.0.2.10
sleep 0.5
conntrack -L
iptables-save -c
`,
    tmp,
  );
  const linuxText = fixture("docker.txt").toString("utf8").split("\n");

  it("the outside host gets the page and the container's ping comes back", () => {
    expect(lines).toContain("<html><body><h1>It works!</h1></body></html>");
    expect(lines.some((l) => /^64 bytes from 192\.0\.2\.10: icmp_seq=1 ttl=63 /.test(l))).toBe(true);
  });

  it("the same frames on the outside host's eth0 and on the container's eth0", () => {
    // In order outside; as a set in the container, where the server's FIN and the client's ACK of
    // the page cross (the server program's close against the round trip: a race on Linux too).
    const keep = [8080];
    const ours = (f: string) => normaliseCapture(readFileSync(join(tmp, f)), keep);
    const linux = (f: string) => normaliseCapture(fixture(f), keep);
    expect(ours("docker-out.pcap")).toEqual(linux("docker-out.pcap"));
    expect(ours("docker-web.pcap").sort()).toEqual(linux("docker-web.pcap").sort());
  });

  it("the same conntrack entries (ports, ids and seconds aside; Linux's IGMP entry aside)", () => {
    const mask = (l: string) =>
      l
        .replace(/(sport|dport|id)=(\d+)/g, (m, k, v) => (v === "8080" || Number(v) < 1024 ? m : `${k}=N`))
        .replace(/^(\w+ +\d+) \d+/, "$1 T");
    const entries = (ls: string[]) =>
      ls
        .filter((l) => /^(tcp|icmp) /.test(l))
        .map(mask)
        .sort();
    expect(entries(lines)).toEqual(entries(linuxText));
  });

  it("the same counters on Docker's rules (Linux's host IGMP report in OUTPUT aside)", () => {
    const counted = (ls: string[]) => ls.filter((l) => /^\[\d+:\d+\] -A /.test(l));
    expect(counted(lines)).toEqual(counted(linuxText));
  });
});
