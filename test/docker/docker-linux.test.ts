/**
 * `docker run -d --name web -p 8080:80 nginx` against Docker's setup built by hand on Linux 6.18
 * (test/fixtures/linux/make-docker-fixtures.sh: docker0, the container's veth, Docker 27's rules
 * loaded with iptables-restore, forwarding and br_netfilter on). The same traffic — an outside
 * host fetching the page through the published port, the container pinging the outside host —
 * gives the same frames on the outside host's eth0 and in the container, byte for byte once the
 * random fields are normalised (TCP ISNs and timestamps, IP IDs, ephemeral ports, echo ids, the
 * Date header), the same `conntrack -L` entries and the same rule counters. And Docker's macvlan
 * network against the same network built by hand with Linux's macvlan (make-macvlan-fixtures.sh):
 * the same frames on the docker host's wire and at a LAN machine.
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

describe("macvlan against Linux (make-macvlan-fixtures.sh)", () => {
  // The same LAN, MACs and addresses as the fixture; Docker's macvlan driver makes the children.
  const { lines } = runLines(
    `
ip netns add lan
ip -n lan link add sw address 02:00:00:00:01:01 type bridge
ip -n lan link set sw up
ip -n lan addr add 192.168.1.1/24 dev sw
ip link add eth0 address 02:00:00:00:01:0a type veth peer name port1 netns lan address 02:00:00:00:01:f1
ip -n lan link set port1 master sw
ip -n lan link set port1 up
ip addr add 192.168.1.10/24 dev eth0
ip link set eth0 up
ip netns add pc
ip link add eth0 netns pc address 02:00:00:00:01:14 type veth peer name port2 netns lan address 02:00:00:00:01:f2
ip -n lan link set port2 master sw
ip -n lan link set port2 up
ip -n pc addr add 192.168.1.20/24 dev eth0
ip -n pc link set eth0 up
docker network create -d macvlan --subnet 192.168.1.0/24 --gateway 192.168.1.1 --ip-range 192.168.1.128/25 -o parent=eth0 lan
docker run -d --name m1 --network lan alpine sleep infinity
docker run -d --name m2 --network lan nginx
ip netns exec lan tcpdump -n -i port1 -w macvlan-wire.pcap &
ip netns exec pc tcpdump -n -i eth0 -w macvlan-pc.pcap &
sleep 1
docker exec m1 ping -c 1 192.168.1.20
sleep 0.5
docker exec m1 curl -s http://m2/
sleep 0.5
ip netns exec pc ping -c 1 192.168.1.128
sleep 0.5
ping -c 1 -W 1 192.168.1.128 || true
ip netns exec pc ip neigh
sleep 0.5
`,
    join(tmp, "macvlan"),
  );
  const linuxText = readFileSync(
    new URL("../fixtures/linux/macvlan/macvlan.txt", import.meta.url),
    "utf8",
  ).split("\n");
  const linux = (f: string) =>
    normaliseCapture(readFileSync(new URL(`../fixtures/linux/macvlan/${f}`, import.meta.url)), []);
  const ours = (f: string) => normaliseCapture(readFileSync(join(tmp, "macvlan", f)), []);

  it("the same frames, in the same order, on the docker host's wire and at the LAN machine", () => {
    // Sibling traffic stays inside the host (only m1's ARP broadcast leaves), the machine answers
    // m1 from the entry m1's request left, the host's ARP for its own child is never answered.
    expect(ours("macvlan-wire.pcap")).toEqual(linux("macvlan-wire.pcap"));
    expect(ours("macvlan-pc.pcap")).toEqual(linux("macvlan-pc.pcap"));
    expect(linux("macvlan-wire.pcap")).toHaveLength(9);
  });

  it("the alpine container's ping prints busybox's lines, as busybox 1.35 does on Linux", () => {
    const time = (l: string) => l.replace(/time=[\d.]+ ms/, "time=T ms");
    const twoLinesAfter = (ls: string[], cmd: string) =>
      ls.slice(ls.indexOf(cmd) + 1, ls.indexOf(cmd) + 3).map(time);
    const cmd = "$ docker exec m1 ping -c 1 192.168.1.20";
    expect(twoLinesAfter(lines, cmd)).toEqual(twoLinesAfter(linuxText, cmd));
    expect(twoLinesAfter(linuxText, cmd)[0]).toBe("PING 192.168.1.20 (192.168.1.20): 56 data bytes");
  });

  it("the same program output and the machine's neighbour entry", () => {
    expect(lines).toContain("<html><body><h1>It works!</h1></body></html>");
    expect(lines).toContain("1 packets transmitted, 0 received, 100% packet loss, time 0ms");
    expect(linuxText).toContain("1 packets transmitted, 0 received, 100% packet loss, time 0ms");
    const neigh = (ls: string[]) => ls.find((l) => l.startsWith("192.168.1.128 dev eth0 lladdr"));
    expect(neigh(lines)).toBe(neigh(linuxText));
  });
});
