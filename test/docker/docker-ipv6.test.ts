/**
 * IPv6 on the daemon's default bridge (`dockerd --ipv6 --fixed-cidr-v6`) and the IPv6 flags'
 * errors: addresses, inspect, ip6tables, and what Docker refuses.
 */

import { mkdtempSync, readFileSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, describe, expect, it } from "vitest";
import { readPcap } from "../../src/capture/pcap-reader.js";
import { decodeFrame } from "../../src/wire/frame.js";
import { outputsByCommand } from "../helpers/scenario.js";

const tmp = mkdtempSync(join(tmpdir(), "dockwire-docker6-"));
afterAll(() => rmSync(tmp, { recursive: true, force: true }));

/** Each command's output, keyed by the command (`|| true` kept). */
function run(name: string, lines: string[]): Map<string, string[]> {
  return outputsByCommand(lines, join(tmp, name), false);
}

describe("docker IPv6", () => {
  it("dockerd --ipv6 --fixed-cidr-v6: the default bridge's containers get ::2, ::3 and reach each other", () => {
    const r = run("default-bridge", [
      "dockerd --ipv6 --fixed-cidr-v6 fd00:17::/64",
      "docker run -d --name a alpine sleep 100",
      "docker run -d --name b alpine sleep 100",
      "docker exec a ip -6 addr show dev eth0",
      "docker exec a ping -c 1 fd00:17::3",
      "docker network inspect -f '{{.EnableIPv6}} {{json .IPAM.Config}}' bridge",
      "ip6tables -t nat -S POSTROUTING",
      "sysctl net.ipv6.conf.all.forwarding",
      "ip6tables -S FORWARD",
    ]);
    expect(r.get("docker exec a ip -6 addr show dev eth0")).toEqual([
      "2: eth0@if3: <BROADCAST,MULTICAST,UP,LOWER_UP> mtu 1500 qdisc noqueue state UP group default qlen 1000 link-netnsid 0",
      "    inet6 fd00:17::2/64 scope global nodad ",
      "       valid_lft forever preferred_lft forever",
      "    inet6 fe80::42:acff:fe11:2/64 scope link tentative ",
      "       valid_lft forever preferred_lft forever",
    ]);
    expect(r.get("docker exec a ping -c 1 fd00:17::3")).toContain(
      "64 bytes from fd00:17::3: seq=0 ttl=64 time=0.000 ms",
    );
    expect(r.get("docker network inspect -f '{{.EnableIPv6}} {{json .IPAM.Config}}' bridge")).toEqual([
      'true [{"Subnet":"172.17.0.0/16","Gateway":"172.17.0.1"},{"Subnet":"fd00:17::/64","Gateway":"fd00:17::1"}]',
    ]);
    expect(r.get("ip6tables -t nat -S POSTROUTING")).toEqual([
      "-P POSTROUTING ACCEPT",
      "-A POSTROUTING -s fd00:17::/64 ! -o docker0 -j MASQUERADE",
    ]);
    expect(r.get("sysctl net.ipv6.conf.all.forwarding")).toEqual(["net.ipv6.conf.all.forwarding = 1"]);
    expect(r.get("ip6tables -S FORWARD")?.[0]).toBe("-P FORWARD DROP");
  });

  it("IPv6 flags: --ip6 needs a user subnet, a bad --ip6 is the CLI's error, ip6tables off leaves ip6tables empty", () => {
    const r = run("errors", [
      "dockerd --ip6tables=false",
      "docker network create --ipv6 ula",
      "docker network create --ipv6 --subnet fd00:9::/64 v6",
      "docker run -d --name a --network ula --ip6 fd00::5 alpine sleep 1 || true",
      "docker run -d --name b --network v6 --ip6 nonsense alpine sleep 1 || true",
      "docker run -d --name c --network v6 --ip6 fd00:9::50 alpine sleep 100",
      "docker inspect -f '{{json .NetworkSettings.Networks.v6.IPAMConfig}}' c",
      "docker network create --ipv6 --subnet ff00::/64 mc || true",
      "docker network create --ipv6 --subnet fd00:9::1/64 hostbits || true",
      "ip6tables-save",
    ]);
    expect(r.get("docker run -d --name a --network ula --ip6 fd00::5 alpine sleep 1 || true")).toEqual([
      "docker: Error response from daemon: invalid endpoint settings:",
      "user specified IP address is supported only when connecting to networks with user configured subnets.",
      "See 'docker run --help'.",
    ]);
    expect(r.get("docker run -d --name b --network v6 --ip6 nonsense alpine sleep 1 || true")?.[0]).toContain(
      'invalid argument "nonsense" for "--ip6" flag',
    );
    expect(r.get("docker inspect -f '{{json .NetworkSettings.Networks.v6.IPAMConfig}}' c")).toEqual([
      '{"IPv6Address":"fd00:9::50"}',
    ]);
    expect(r.get("docker network create --ipv6 --subnet ff00::/64 mc || true")).toEqual([
      "Error response from daemon: multicast subnet 'ff00::/64' is not allowed",
    ]);
    expect(r.get("docker network create --ipv6 --subnet fd00:9::1/64 hostbits || true")).toEqual([
      "Error response from daemon: invalid network config:",
      "invalid subnet fd00:9::1/64: it should be fd00:9::/64",
    ]);
    expect(r.get("ip6tables-save")).toEqual([]);
  });
  it("macvlan with --ipv6: addresses from the IPv6 subnet, default via its gateway on the LAN, neighbours across the parent", () => {
    const r = run("macvlan", [
      "ip netns add lan",
      "ip -n lan link add sw type bridge",
      "ip -n lan link set sw up",
      "ip link add eth0 type veth peer name port1 netns lan",
      "ip -n lan link set port1 master sw",
      "ip -n lan link set port1 up",
      "ip link set eth0 up",
      "ip netns add pc",
      "ip link add eth0 netns pc type veth peer name port2 netns lan",
      "ip -n lan link set port2 master sw",
      "ip -n lan link set port2 up",
      "ip netns exec pc sysctl -q -w net.ipv6.conf.all.disable_ipv6=0",
      "ip -n pc addr add fd00:50::1/64 dev eth0 nodad",
      "ip -n pc link set eth0 up",
      "docker network create -d macvlan --ipv6 --subnet 192.168.50.0/24 --subnet fd00:50::/64 -o parent=eth0 mv",
      "docker run -d --name m1 --network mv alpine sleep 100",
      "docker run -d --name m2 --network mv alpine sleep 100",
      "docker exec m1 ip -6 route",
      "docker exec m1 ping -6 -c 1 m2",
      "docker exec m1 ping -c 1 fd00:50::1",
      "docker network create -d ipvlan --ipv6 -o parent=eth0 -o ipvlan_mode=l3 iv || true",
    ]);
    expect(r.get("docker exec m1 ip -6 route")).toEqual([
      "fd00:50::/64 dev eth0 proto kernel metric 256 pref medium",
      "fe80::/64 dev eth0 proto kernel metric 256 pref medium",
      "default via fd00:50::1 dev eth0 metric 1024 pref medium",
    ]);
    expect(r.get("docker exec m1 ping -6 -c 1 m2")).toContain(
      "64 bytes from fd00:50::3: seq=0 ttl=64 time=0.000 ms",
    );
    expect(r.get("docker exec m1 ping -c 1 fd00:50::1")).toContain(
      "64 bytes from fd00:50::1: seq=0 ttl=64 time=0.000 ms",
    );
    expect(
      r.get("docker network create -d ipvlan --ipv6 -o parent=eth0 -o ipvlan_mode=l3 iv || true"),
    ).toEqual(["dockwire: IPv6 on ipvlan networks is modelled in l2 mode only"]);
  });

  it("ipvlan l2 with --ipv6: children told apart by IPv6 destination, one MAC on the wire; l3 refused", () => {
    const r = run("ipvlan6", [
      "ip netns add lan",
      "ip -n lan link add sw type bridge",
      "ip -n lan link set sw up",
      "ip link add eth0 address 02:00:00:00:50:0a type veth peer name port1 netns lan",
      "ip -n lan link set port1 master sw",
      "ip -n lan link set port1 up",
      "ip link set eth0 up",
      "ip netns add pc",
      "ip link add eth0 netns pc address 02:00:00:00:50:01 type veth peer name port2 netns lan",
      "ip -n lan link set port2 master sw",
      "ip -n lan link set port2 up",
      "ip netns exec pc sysctl -q -w net.ipv6.conf.all.disable_ipv6=0",
      "ip -n pc addr add fd00:51::1/64 dev eth0 nodad",
      "ip -n pc link set eth0 up",
      "docker network create -d ipvlan --ipv6 --subnet 192.168.51.0/24 --subnet fd00:51::/64 -o parent=eth0 iv",
      "docker run -d --name i1 --network iv alpine sleep 100",
      "docker run -d --name i2 --network iv alpine sleep 100",
      "sleep 2",
      "docker exec i1 ping -6 -c 1 i2",
      "docker exec i1 ping -c 1 fd00:51::1",
      "ip netns exec pc ping -c 1 fd00:51::3",
      "ip -n pc -6 neigh",
    ]);
    expect(r.get("docker exec i1 ping -6 -c 1 i2")).toContain(
      "64 bytes from fd00:51::3: seq=0 ttl=64 time=0.000 ms",
    );
    expect(r.get("docker exec i1 ping -c 1 fd00:51::1")).toContain(
      "64 bytes from fd00:51::1: seq=0 ttl=64 time=0.000 ms",
    );
    expect(r.get("ip netns exec pc ping -c 1 fd00:51::3")).toContain(
      "64 bytes from fd00:51::3: icmp_seq=1 ttl=64 time=0.000 ms",
    );
    // Both children answer with the parent's MAC: ipvlan shares it.
    const neigh = r.get("ip -n pc -6 neigh") ?? [];
    expect(neigh.filter((l) => l.includes("lladdr 02:00:00:00:50:0a")).length).toBe(2);
  });

  it("--ipv4=false (28+): an IPv6-only network — no IPv4 address, route or iptables rule; names, ping and -p over IPv6", () => {
    const r = run("ipv6-only", [
      "dockerd --engine-version 28",
      "sysctl -q -w net.ipv6.conf.all.disable_ipv6=0",
      "docker network create --ipv4=false v4less || true",
      "docker network create --ipv4=maybe v4maybe || true",
      "docker network create --ipv4=false --ipv6 --subnet fd00:6::/64 v6only",
      "docker run -d --name web --network v6only -p 8080:80 nginx",
      "docker run -d --name client --network v6only alpine sleep 1000",
      "docker run -d --name x --network v6only --ip 172.20.0.5 alpine sleep 1 || true",
      "sleep 3",
      "docker exec client ip -4 addr show dev eth0",
      "docker exec client ip route",
      "docker exec client ip -6 route",
      "docker exec client cat /etc/hosts",
      "docker exec client ping -c 1 web",
      "docker exec client wget -qO- http://web/",
      "docker port web",
      "curl -s -g http://[::1]:8080/",
      "curl -s http://127.0.0.1:8080/",
      "iptables -S FORWARD",
      "ip6tables -t nat -S DOCKER",
    ]);
    expect(r.get("docker network create --ipv4=false v4less || true")).toEqual([
      "Error response from daemon: IPv4 or IPv6 must be enabled",
    ]);
    expect(r.get("docker network create --ipv4=maybe v4maybe || true")?.[0]).toBe(
      'invalid argument "maybe" for "--ipv4" flag: strconv.ParseBool: parsing "maybe": invalid syntax',
    );
    expect(r.get("docker run -d --name x --network v6only --ip 172.20.0.5 alpine sleep 1 || true")).toContain(
      "docker: Error response from daemon: no configured subnet or ip-range contain the IP address 172.20.0.5.",
    );
    expect(r.get("docker exec client ip -4 addr show dev eth0")).toEqual([]);
    expect(r.get("docker exec client ip route")).toEqual([]);
    expect(r.get("docker exec client ip -6 route")).toContain(
      "default via fd00:6::1 dev eth0 metric 1024 pref medium",
    );
    const hosts = r.get("docker exec client cat /etc/hosts") ?? [];
    expect(hosts.at(-1)).toMatch(/^fd00:6::3\t[0-9a-f]{12}$/);
    expect(hosts.some((l) => l.startsWith("172."))).toBe(false);
    expect(r.get("docker exec client ping -c 1 web")?.slice(0, 2)).toEqual([
      "PING web (fd00:6::2): 56 data bytes",
      "64 bytes from fd00:6::2: seq=0 ttl=64 time=0.000 ms",
    ]);
    const page = ["<html><body><h1>It works!</h1></body></html>"];
    expect(r.get("docker exec client wget -qO- http://web/")).toEqual(page);
    expect(r.get("docker port web")).toEqual(["80/tcp -> 0.0.0.0:8080", "80/tcp -> [::]:8080"]);
    // [::1] and 127.0.0.1 reach the host's docker-proxy, which forwards to the container's IPv6 address.
    expect(r.get("curl -s -g http://[::1]:8080/")).toEqual(page);
    expect(r.get("curl -s http://127.0.0.1:8080/")).toEqual(page);
    expect((r.get("iptables -S FORWARD") ?? []).some((l) => l.includes("br-"))).toBe(false);
    expect(r.get("ip6tables -t nat -S DOCKER")).toContain(
      "-A DOCKER ! -s fe80::/10 ! -i br-6e87e45afd5d -p tcp -m tcp --dport 8080 -j DNAT --to-destination [fd00:6::2]:80",
    );
  });

  it("--ipv4 is a 28+ flag: the 27 CLI does not know it", () => {
    const r = run("ipv4-flag-27", ["docker network create --ipv4=false --ipv6 n || true"]);
    expect(r.get("docker network create --ipv4=false --ipv6 n || true")).toEqual([
      "unknown flag: --ipv4",
      "See 'docker network create --help'.",
    ]);
  });

  it("28+: a new endpoint announces its IPv6 address too — three unsolicited NAs (override, its MAC) 1 s apart", () => {
    run("advertise6", [
      "dockerd --engine-version 28",
      "docker network create --ipv6 --subnet fd00:7::/64 -o com.docker.network.bridge.name=br7 n7",
      "tcpdump -n -i br7 -w na.pcap &",
      "docker run -d --name a --network n7 alpine sleep 100",
      "sleep 3",
    ]);
    const frames = readPcap(readFileSync(join(tmp, "advertise6", "na.pcap"))).records.map((r) => ({
      t: r.timeNs,
      f: decodeFrame(r.data),
    }));
    const nas = frames.filter((x) => x.f.icmpv6?.type === 136);
    expect(nas.map((x) => Number(x.t - (nas[0]?.t ?? 0n)) / 1e9)).toEqual([0, 1, 2]);
    for (const { f } of nas) {
      expect(Buffer.from(f.ipv6?.dst ?? []).toString("hex")).toBe("ff020000000000000000000000000001");
      expect(f.ipv6?.hopLimit).toBe(255);
      // Override, not solicited, not a router; the target fd00:7::2 and its link-layer address.
      expect(f.icmpv6?.rest).toBe(0x20000000);
      expect(Buffer.from(f.payload.subarray(0, 16)).toString("hex")).toBe("fd000007000000000000000000000002");
      expect(f.payload[16]).toBe(2);
      expect(
        Buffer.from(f.payload.subarray(18, 24)).equals(
          Buffer.from(f.eth.src.toString(16).padStart(12, "0"), "hex"),
        ),
      ).toBe(true);
    }
    // The gratuitous ARP requests go with them.
    expect(frames.filter((x) => x.f.arp).length).toBe(3);
  });

  it("ip6tables for internal and routed IPv6 networks: setupInternalNetworkRules' IPv6 forms, routed mode's icmpv6", () => {
    const r27 = run("internal6-27", [
      "docker network create --ipv6 --subnet fd00:9::/64 --internal -o com.docker.network.bridge.name=bri6 int6",
      "ip6tables -S DOCKER-ISOLATION-STAGE-1",
    ]);
    expect(r27.get("ip6tables -S DOCKER-ISOLATION-STAGE-1")).toEqual([
      "-N DOCKER-ISOLATION-STAGE-1",
      "-A DOCKER-ISOLATION-STAGE-1 ! -s fd00:9::/64 ! -i bri6 -o bri6 -j DROP",
      "-A DOCKER-ISOLATION-STAGE-1 ! -d fd00:9::/64 -i bri6 ! -o bri6 -j DROP",
      "-A DOCKER-ISOLATION-STAGE-1 -j RETURN",
    ]);
    const r29 = run("routed6-29", [
      "dockerd --engine-version 29",
      "docker network create --ipv6 --subnet fd00:9::/64 --internal -o com.docker.network.bridge.name=bri6 int6",
      "docker network create --ipv6 --subnet fd00:8::/64 -o com.docker.network.bridge.name=brr6 -o com.docker.network.bridge.gateway_mode_ipv6=routed r6",
      "ip6tables -S DOCKER-INTERNAL",
      "ip6tables -S DOCKER",
      "iptables -S DOCKER",
    ]);
    expect(r29.get("ip6tables -S DOCKER-INTERNAL")).toEqual([
      "-N DOCKER-INTERNAL",
      "-A DOCKER-INTERNAL ! -s fd00:9::/64 ! -i bri6 -o bri6 -j DROP",
      "-A DOCKER-INTERNAL ! -d fd00:9::/64 -i bri6 ! -o bri6 -j DROP",
    ]);
    expect(r29.get("ip6tables -S DOCKER")).toContain("-A DOCKER -o brr6 -p ipv6-icmp -j ACCEPT");
    // gateway_mode_ipv6 leaves the IPv4 side in nat mode: no ICMP opening there.
    expect((r29.get("iptables -S DOCKER") ?? []).some((l) => l.includes("-p icmp"))).toBe(false);
  });

  it("--sysctl: written in the container; IPv6 turned off gives its IPv6 address back and drops the hosts file's IPv6 lines", () => {
    const r = run("sysctl", [
      "docker network create --ipv6 --subnet fd00:db8:5::/64 v6n",
      "docker run -d --name a --network v6n --sysctl net.ipv6.conf.all.disable_ipv6=1 alpine sleep 100",
      "docker run -d --name b --network v6n --sysctl net.ipv4.ip_forward=1 alpine sleep 100",
      "docker exec a ip -6 addr",
      "docker exec a cat /etc/hosts",
      "docker exec b sysctl net.ipv4.ip_forward",
      "docker inspect -f '{{json .HostConfig.Sysctls}}' b",
      "docker network inspect -f '{{range .Containers}}{{.Name}} [{{.IPv6Address}}] {{end}}' v6n",
      "docker run --sysctl vm.swappiness=1 alpine true || true",
      "docker run --network host --sysctl net.ipv4.ip_forward=1 alpine true || true",
    ]);
    expect(r.get("docker exec a ip -6 addr")).toEqual([]);
    expect(r.get("docker exec a cat /etc/hosts")).toEqual([
      "127.0.0.1\tlocalhost",
      "172.18.0.2\tdc28ddf538d5",
    ]);
    expect(r.get("docker exec b sysctl net.ipv4.ip_forward")).toEqual(["net.ipv4.ip_forward = 1"]);
    expect(r.get("docker inspect -f '{{json .HostConfig.Sysctls}}' b")).toEqual([
      '{"net.ipv4.ip_forward":"1"}',
    ]);
    // a's IPv6 address went back to the pool: b, started next, has ::2.
    expect(
      r.get("docker network inspect -f '{{range .Containers}}{{.Name}} [{{.IPv6Address}}] {{end}}' v6n"),
    ).toEqual(["b [fd00:db8:5::2/64] a [] "]);
    expect(r.get("docker run --sysctl vm.swappiness=1 alpine true || true")).toEqual([
      `docker: invalid argument "vm.swappiness=1" for "--sysctl" flag: sysctl 'vm.swappiness=1' is not allowed.`,
      "See 'docker run --help'.",
    ]);
    expect(r.get("docker run --network host --sysctl net.ipv4.ip_forward=1 alpine true || true")?.[0]).toBe(
      "docker: Error response from daemon: --sysctl net.ipv4.ip_forward is not allowed in host network namespace.",
    );
  });

  it("busybox nslookup on an IPv6 network: the A answer, then the AAAA answer; an unknown name twice NXDOMAIN", () => {
    const r = run("nslookup6", [
      "docker network create --ipv6 --subnet fd00:db8:9::/64 n6",
      "docker run -d --name web --network n6 nginx",
      "docker run -d --name c --network n6 alpine sleep 100",
      "docker exec c nslookup web",
      "docker exec c nslookup nosuch.example || true",
    ]);
    expect(r.get("docker exec c nslookup web")).toEqual([
      "Server:\t\t127.0.0.11",
      "Address:\t127.0.0.11:53",
      "",
      "Non-authoritative answer:",
      "Name:\tweb",
      "Address: 172.18.0.2",
      "",
      "Non-authoritative answer:",
      "Name:\tweb",
      "Address: fd00:db8:9::2",
      "",
    ]);
    expect(r.get("docker exec c nslookup nosuch.example || true")?.slice(3, 7)).toEqual([
      "** server can't find nosuch.example: SERVFAIL",
      "",
      "** server can't find nosuch.example: SERVFAIL",
      "",
    ]);
  });
});
