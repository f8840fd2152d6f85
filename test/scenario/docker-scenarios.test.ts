/**
 * The docker scenarios in scenarios/ run to the end and show what each is about: the default
 * bridge, host, none and container: modes, publishing, the userland proxy off, icc=false, an
 * internal network, two isolated networks, a custom --bip/--mtu daemon.
 */

import { mkdtempSync, readFileSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, describe, expect, it } from "vitest";
import { runLines } from "../helpers/scenario.js";
import { itWithTshark, tsharkReport } from "../helpers/tshark.js";

const tmp = mkdtempSync(join(tmpdir(), "dockwire-dockersc-"));
afterAll(() => rmSync(tmp, { recursive: true, force: true }));

function scenario(name: string): string[] {
  const text = readFileSync(new URL(`../../scenarios/docker-${name}.dw`, import.meta.url), "utf8");
  const { lines, result } = runLines(text, join(tmp, name));
  expect(result.exit).toBe(0);
  return lines;
}

/** What the command printed (up to the next prompt). */
function outputOf(lines: string[], command: string): string[] {
  const i = lines.indexOf(`$ ${command}`);
  expect(i).toBeGreaterThanOrEqual(0);
  const next = lines.findIndex((l, k) => k > i && l.startsWith("$ "));
  return lines.slice(i + 1, next < 0 ? undefined : next);
}

const IT_WORKS = "<html><body><h1>It works!</h1></body></html>";

describe("docker scenarios", () => {
  it("default bridge: addresses in order, by address yes, by name no, legacy resolv.conf, port from the host", () => {
    const l = scenario("default-bridge");
    expect(outputOf(l, "docker exec a ip -br addr")).toContain(
      "eth0@if3         UP             172.17.0.2/16 ",
    );
    expect(outputOf(l, "docker exec a ip route")).toContain("default via 172.17.0.1 dev eth0 ");
    expect(outputOf(l, "docker exec a ping -c 1 172.17.0.3")).toContain(
      "1 packets transmitted, 1 packets received, 0% packet loss",
    );
    expect(outputOf(l, "docker exec a ping -c 1 -W 1 b || true")).toEqual(["ping: bad address 'b'"]);
    expect(outputOf(l, "docker exec a cat /etc/resolv.conf")).toContain("nameserver 8.8.8.8");
    expect(outputOf(l, "curl -s http://127.0.0.1:8080/")).toEqual([IT_WORKS]);
    expect(l).toContain('                "MacAddress": "02:42:ac:11:00:03",');
  });

  it("host mode: the host's interfaces, ports discarded with a warning, no DNAT", () => {
    const l = scenario("host-mode");
    expect(l).toContain("WARNING: Published ports are discarded when using host network mode");
    expect(outputOf(l, "docker exec h ip -br addr").map((x) => x.split(/\s+/)[0])).toEqual(["lo", "docker0"]);
    expect(outputOf(l, "curl -s http://127.0.0.1:80/")).toEqual([IT_WORKS]);
    expect(outputOf(l, "iptables -t nat -S DOCKER")).toEqual(["-N DOCKER", "-A DOCKER -i docker0 -j RETURN"]);
  });

  it("none: only the loopback interface, nothing reachable", () => {
    const l = scenario("none");
    expect(outputOf(l, "docker exec lonely ip -br addr")).toEqual([
      "lo               UNKNOWN        127.0.0.1/8 ",
    ]);
    expect(outputOf(l, "docker exec lonely ping -c 1 -W 1 172.17.0.1 || true")).toEqual([
      "ping: connect: Network is unreachable",
    ]);
    // The none network has no pool: a nil IPAM.Config (Engine 25+ prints null, not []).
    expect(l).toContain('            "Config": null');
  });

  it("container mode: the same eth0 and address, the server on localhost", () => {
    const l = scenario("container-mode");
    expect(outputOf(l, "docker exec side ip -br addr")).toContain(
      "eth0@if3         UP             172.17.0.2/16 ",
    );
    expect(outputOf(l, "docker exec side curl -s http://127.0.0.1/")).toEqual([IT_WORKS]);
  });

  it("publishing: fixed, address-bound, random and -P ports, their DNAT rules, reachable", () => {
    const l = scenario("publish");
    expect(outputOf(l, "docker port a")).toEqual(["80/tcp -> 0.0.0.0:8080"]);
    expect(outputOf(l, "docker port b")).toEqual(["80/tcp -> 127.0.0.1:9090"]);
    expect(outputOf(l, "docker port c")).toEqual(["80/tcp -> 0.0.0.0:32768"]);
    expect(outputOf(l, "docker port d")).toEqual(["80/tcp -> 0.0.0.0:32769"]);
    expect(outputOf(l, "iptables -t nat -S DOCKER")).toContain(
      "-A DOCKER -d 127.0.0.1/32 ! -i docker0 -p tcp -m tcp --dport 9090 -j DNAT --to-destination 172.17.0.3:80",
    );
    expect(outputOf(l, "curl -s http://127.0.0.1:32769/")).toEqual([IT_WORKS]);
  });

  it("userland proxy off: the rules of §4.1 without the proxy, and the outside still gets in", () => {
    const l = scenario("proxy-off");
    const nat = outputOf(l, "iptables -t nat -S");
    expect(nat).toContain("-A OUTPUT -m addrtype --dst-type LOCAL -j DOCKER");
    expect(nat).toContain("-A POSTROUTING -o docker0 -m addrtype --src-type LOCAL -j MASQUERADE");
    expect(nat).toContain("-A DOCKER -p tcp -m tcp --dport 8080 -j DNAT --to-destination 172.17.0.2:80");
    expect(outputOf(l, "ip netns exec outside curl -s http://192.0.2.1:8080/")).toEqual([IT_WORKS]);
    expect(outputOf(l, "sysctl net.ipv4.conf.docker0.route_localnet")).toEqual([
      "net.ipv4.conf.docker0.route_localnet = 1",
    ]);
    expect(outputOf(l, "docker exec client curl -s http://192.0.2.1:8080/")).toEqual([IT_WORKS]);
    expect(outputOf(l, "curl -s http://127.0.0.1:8080/")).toEqual([IT_WORKS]);
    // Its own published port: out of its bridge port and back in (hairpin), source MASQUERADEd.
    expect(outputOf(l, "docker exec web curl -s http://192.0.2.1:8080/")).toEqual([IT_WORKS]);
  });

  it("icc=false: containers cannot reach each other, the host can", () => {
    const l = scenario("icc");
    expect(outputOf(l, "docker exec a ping -c 1 -W 1 172.17.0.3 || true")).toContain(
      "1 packets transmitted, 0 packets received, 100% packet loss",
    );
    expect(outputOf(l, "ping -c 1 172.17.0.3")).toContain(
      "1 packets transmitted, 1 received, 0% packet loss, time 0ms",
    );
    expect(outputOf(l, "iptables -S FORWARD").at(-1)).toBe("-A FORWARD -i docker0 -o docker0 -j DROP");
  });

  it("internal network: no default route, the neighbour by name, the outside unreachable", () => {
    const l = scenario("internal");
    expect(outputOf(l, "docker exec a ip route")).toEqual([
      "172.18.0.0/16 dev eth0 proto kernel scope link src 172.18.0.2 ",
    ]);
    expect(outputOf(l, "docker exec a curl -s http://b/")).toEqual([IT_WORKS]);
    expect(outputOf(l, "docker exec a ping -c 1 -W 1 192.0.2.1 || true")).toEqual([
      "ping: connect: Network is unreachable",
    ]);
  });

  it("isolation: the other network's container is dropped in DOCKER-ISOLATION-STAGE-2 and its name is unknown", () => {
    const l = scenario("isolation");
    expect(outputOf(l, "docker exec r ping -c 1 -W 1 172.19.0.2 || true")).toContain(
      "1 packets transmitted, 0 packets received, 100% packet loss",
    );
    expect(outputOf(l, "docker exec r ping -c 1 -W 1 b || true")).toEqual(["ping: bad address 'b'"]);
    expect(outputOf(l, "iptables -L DOCKER-ISOLATION-STAGE-2 -n -v")[2]).toMatch(
      /^ +1 +84 DROP +0 +-- +\* +br-[0-9a-f]{12} /,
    );
  });

  it("--bip and --mtu: docker0 on 10.99.0.0/24, containers at MTU 1400", () => {
    const l = scenario("bip-mtu");
    expect(outputOf(l, "ip -br addr show docker0")).toEqual([
      "docker0          UP             10.99.0.1/24 ",
    ]);
    const eth0 = outputOf(l, "docker exec a ip addr show eth0");
    expect(eth0[0]).toContain("mtu 1400");
    expect(eth0[1]).toContain("link/ether 02:42:0a:63:00:02");
    expect(eth0[2]).toBe("    inet 10.99.0.2/24 brd 10.99.0.255 scope global eth0");
  });

  it("--link with icc=false: the alias line in /etc/hosts, the child's port open and nothing else, rules gone on stop", () => {
    const l = scenario("link");
    const hosts = outputOf(l, "docker exec web cat /etc/hosts");
    expect(hosts.slice(6)).toEqual([
      "172.17.0.1\tgw",
      expect.stringMatching(/^172\.17\.0\.2\tmydb [0-9a-f]{12} db$/),
      expect.stringMatching(/^172\.17\.0\.3\t[0-9a-f]{12}$/),
    ]);
    const resolv = outputOf(l, "docker exec web cat /etc/resolv.conf");
    expect(resolv.slice(4, 6)).toEqual(["nameserver 9.9.9.9", "search example.com"]);
    expect(resolv.at(-1)).toBe("# Overrides: [nameservers search]");
    expect(outputOf(l, "docker exec web curl -s http://mydb/")).toEqual([IT_WORKS]);
    expect(outputOf(l, "docker exec web ping -c 1 -W 1 db || true")).toContain(
      "1 packets transmitted, 0 packets received, 100% packet loss",
    );
    const rulesWhileRunning = l.indexOf("$ iptables -S DOCKER");
    expect(l.slice(rulesWhileRunning + 1, rulesWhileRunning + 4)).toEqual([
      "-N DOCKER",
      "-A DOCKER -s 172.17.0.3/32 -d 172.17.0.2/32 -i docker0 -o docker0 -p tcp -m tcp --dport 80 -j ACCEPT",
      "-A DOCKER -s 172.17.0.2/32 -d 172.17.0.3/32 -i docker0 -o docker0 -p tcp -m tcp --sport 80 -j ACCEPT",
    ]);
    expect(l.at(-1)).toBe("-N DOCKER");
  });

  it("two docker hosts: each its own daemon and containers; one reaches the other's published port", () => {
    const l = scenario("two-hosts");
    expect(outputOf(l, "ip netns exec host2 docker exec client curl -s http://10.10.0.1:8080/")).toEqual([
      IT_WORKS,
    ]);
    expect(outputOf(l, "ip netns exec host1 conntrack -L")[0]).toMatch(
      /^tcp +6 \d+ TIME_WAIT src=10\.10\.0\.2 dst=10\.10\.0\.1 sport=\d+ dport=8080 src=172\.17\.0\.2 dst=10\.10\.0\.2 sport=80 /,
    );
    expect(outputOf(l, "ip netns exec host2 conntrack -L")[0]).toMatch(
      /^tcp +6 \d+ TIME_WAIT src=172\.17\.0\.3 dst=10\.10\.0\.1 sport=(\d+) dport=8080 src=10\.10\.0\.1 dst=10\.10\.0\.2 sport=8080 /,
    );
  });

  it("macvlan: containers on the host's LAN with their own MACs; the LAN reaches them, the host does not", () => {
    const l = scenario("macvlan");
    expect(outputOf(l, "docker exec m1 ip -br addr")).toContain(
      "eth0@if2         UP             192.168.1.128/24 ",
    );
    expect(outputOf(l, "docker exec m1 ip route")).toContain("default via 192.168.1.1 dev eth0 ");
    expect(outputOf(l, "docker exec m1 ping -c 1 192.168.1.20")).toContain(
      "1 packets transmitted, 1 packets received, 0% packet loss",
    );
    expect(outputOf(l, "docker exec m1 curl -s http://m2/")).toEqual([IT_WORKS]);
    expect(outputOf(l, "ip netns exec pc ip neigh")).toEqual([
      "192.168.1.128 dev eth0 lladdr 02:42:c0:a8:01:80 DELAY ",
    ]);
    expect(outputOf(l, "ping -c 1 -W 1 192.168.1.128 || true")).toContain(
      "1 packets transmitted, 0 received, 100% packet loss, time 0ms",
    );
    expect(l).toContain('        "Driver": "macvlan",');
  });

  it("ipvlan: the same LAN, but every container answers with the parent's MAC", () => {
    const l = scenario("ipvlan");
    const hostMac = /lladdr ([0-9a-f:]{17})/.exec(outputOf(l, "ip netns exec pc ip neigh")[0] ?? "")?.[1];
    expect(hostMac).toBeDefined();
    expect(hostMac).not.toMatch(/^02:42:/);
    expect(outputOf(l, "docker exec i1 ping -c 1 192.168.1.20")).toContain(
      "1 packets transmitted, 1 packets received, 0% packet loss",
    );
    expect(outputOf(l, "docker exec i1 curl -s http://i2/")).toEqual([IT_WORKS]);
    expect(l).toContain(`                "MacAddress": "${hostMac}",`);
    expect(outputOf(l, "ping -c 1 -W 1 192.168.1.128 || true")).toContain(
      "1 packets transmitted, 0 received, 100% packet loss, time 0ms",
    );
  });

  it("macvlan on eth0.50: Docker makes the VLAN sub-interface, frames leave tagged, and it goes with the network", () => {
    const l = scenario("macvlan-vlan");
    expect(outputOf(l, "ip -br link show eth0.50")[0]).toMatch(/^eth0\.50@eth0 +UP /);
    const ping = outputOf(l, "docker exec m1 ping -c 1 192.168.50.20");
    expect(ping).toContain("1 packets transmitted, 1 packets received, 0% packet loss");
    const tagged = ping.filter((x) => x.includes("ethertype 802.1Q (0x8100)") && x.includes("vlan 50, p 0"));
    expect(tagged).toHaveLength(4);
    expect(outputOf(l, "ip link show eth0.50 || true")[0]).toBe('Device "eth0.50" does not exist.');
  });

  it("gateway modes: a routed network's containers are reached by address (ICMP and published ports only), a nat network's are not", () => {
    const l = scenario("gateway-modes");
    expect(outputOf(l, "docker port web")).toEqual(["80/tcp -> 0.0.0.0:"]);
    expect(outputOf(l, "ip netns exec outside ping -c 1 198.51.100.2")).toContain(
      "64 bytes from 198.51.100.2: icmp_seq=1 ttl=63 time=0.000 ms",
    );
    expect(outputOf(l, "ip netns exec outside curl -s http://198.51.100.2/")).toEqual([IT_WORKS]);
    const timedOut = ["curl: (28) Operation timed out after 2000 milliseconds with 0 bytes received"];
    expect(outputOf(l, "ip netns exec outside curl -sS -m 2 http://198.51.100.2:81/ || true")).toEqual(
      timedOut,
    );
    expect(outputOf(l, "ip netns exec outside curl -sS -m 2 http://172.18.0.2/ || true")).toEqual(timedOut);
    expect(outputOf(l, "ip netns exec outside curl -sS -m 2 http://192.0.2.1:8080/ || true")).toEqual([
      "curl: (7) Failed to connect to 192.0.2.1 port 8080 after 0 ms: Couldn't connect to server",
    ]);
    expect(l).toContain(
      "Error response from daemon: gateway mode 'isolated' can only be used for an internal network",
    );
    expect(outputOf(l, "ip addr show dev quiet0").some((x) => x.includes("inet "))).toBe(false);
    expect(l).toContain("-A DOCKER -o br-6e87e45afd5d -p icmp -j ACCEPT");
  });

  it("ipvlan l3: NOARP children with `default dev eth0`, routed by the docker host with its MAC, unreachable from it", () => {
    const l = scenario("ipvlan-l3");
    const link = outputOf(l, "docker exec c1 ip link");
    expect(link[2]).toMatch(
      /^\d+: eth0@if2: <BROADCAST,MULTICAST,NOARP,UP,LOWER_UP> mtu 1500 qdisc noqueue state UNKNOWN mode DEFAULT /,
    );
    const parentMac = /link\/ether ([0-9a-f:]{17}) /.exec(link[3] ?? "")?.[1];
    expect(parentMac).toBeDefined();
    expect(outputOf(l, "docker exec c1 ip route")).toEqual([
      "default dev eth0 scope link ",
      "10.10.0.0/24 dev eth0 proto kernel scope link src 10.10.0.2 ",
    ]);
    expect(
      outputOf(
        l,
        "docker inspect -f '{{range .NetworkSettings.Networks}}{{.IPAddress}} gateway {{json .Gateway}}{{end}}' c1",
      ),
    ).toEqual(['10.10.0.2 gateway ""']);
    expect(outputOf(l, "docker exec c1 ping -c 1 c2")).toContain(
      "64 bytes from 10.10.0.3: seq=0 ttl=64 time=0.000 ms",
    );
    expect(outputOf(l, "docker exec c1 ping -c 1 192.168.1.20")).toContain(
      "64 bytes from 192.168.1.20: seq=0 ttl=64 time=0.000 ms",
    );
    expect(outputOf(l, "ip netns exec pc curl -s http://10.10.0.3/")).toEqual([IT_WORKS]);
    // On the LAN the container is the docker host: its MAC both ways, and no forwarding hop (TTL 64).
    const ping = outputOf(l, "ip netns exec pc ping -c 1 10.10.0.2");
    expect(
      ping.filter(
        (x) => x.includes(`${parentMac} > `) && x.includes("10.10.0.2 > 192.168.1.20: ICMP echo reply"),
      ),
    ).toHaveLength(1);
    expect(
      ping.filter(
        (x) => x.includes(` > ${parentMac}, `) && x.includes("192.168.1.20 > 10.10.0.2: ICMP echo request"),
      ),
    ).toHaveLength(1);
    expect(ping).toContain("64 bytes from 10.10.0.2: icmp_seq=1 ttl=64 time=0.000 ms");
    expect(outputOf(l, "ip netns exec pc ip neigh")).toEqual([
      `192.168.1.10 dev eth0 lladdr ${parentMac} DELAY `,
    ]);
    // The docker host's own ARP leaves on the wire and nobody answers it.
    const fromHost = outputOf(l, "ping -c 1 -W 1 10.10.0.2 || true");
    expect(fromHost).toContain("1 packets transmitted, 0 received, 100% packet loss, time 0ms");
    expect(fromHost.some((x) => x.includes("Request who-has 10.10.0.2 tell 192.168.1.10"))).toBe(true);
    expect(fromHost.some((x) => x.includes("Reply 10.10.0.2"))).toBe(false);
    expect(
      outputOf(l, "docker network inspect -f '{{.Driver}} {{json .IPAM.Config}} {{json .Options}}' l3net")[0],
    ).toBe('ipvlan [{"Subnet":"10.10.0.0/24"}] {"ipvlan_mode":"l3","parent":"eth0"}');
  });
  it("IPv6 network: addresses without DAD, default via the gateway, AAAA names, inspect, ULA pool, errors", () => {
    const l = scenario("ipv6");
    expect(outputOf(l, "docker exec client ip -6 addr")).toEqual([
      "1: lo: <LOOPBACK,UP,LOWER_UP> mtu 65536 state UNKNOWN qlen 1000",
      "    inet6 ::1/128 scope host ",
      "       valid_lft forever preferred_lft forever",
      "2: eth0@if6: <BROADCAST,MULTICAST,UP,LOWER_UP> mtu 1500 state UP qlen 1000",
      "    inet6 fd00:db8:1::99/64 scope global nodad ",
      "       valid_lft forever preferred_lft forever",
      "    inet6 fe80::42:acff:fe1e:3/64 scope link ",
      "       valid_lft forever preferred_lft forever",
    ]);
    expect(outputOf(l, "docker exec client ip -6 route")).toEqual([
      "fd00:db8:1::/64 dev eth0 proto kernel metric 256 pref medium",
      "fe80::/64 dev eth0 proto kernel metric 256 pref medium",
      "default via fd00:db8:1::1 dev eth0 metric 1024 pref medium",
    ]);
    expect(outputOf(l, "docker exec client cat /etc/hosts").slice(-2)).toEqual([
      expect.stringMatching(/^172\.30\.0\.3\t[0-9a-f]{12}$/),
      expect.stringMatching(/^fd00:db8:1::99\t[0-9a-f]{12}$/),
    ]);
    const ping = outputOf(l, "docker exec client ping -6 -c 2 web");
    expect(ping[0]).toBe("PING web (fd00:db8:1::2): 56 data bytes");
    expect(ping).toContain("64 bytes from fd00:db8:1::2: seq=1 ttl=64 time=0.000 ms");
    expect(outputOf(l, "docker exec client ip -6 neigh")).toEqual([
      "fd00:db8:1::2 dev eth0 lladdr 02:42:ac:1e:00:02 REACHABLE ",
    ]);
    const hostAddrs = outputOf(l, "ip -6 addr");
    expect(hostAddrs.slice(0, 3)).toEqual([
      expect.stringMatching(/^\d+: br-v6: <BROADCAST,MULTICAST,UP,LOWER_UP> mtu 1500 state UP qlen 1000$/),
      "    inet6 fd00:db8:1::1/64 scope global nodad ",
      "       valid_lft forever preferred_lft forever",
    ]);
    expect(outputOf(l, "sysctl net.ipv6.conf.all.forwarding")).toEqual(["net.ipv6.conf.all.forwarding = 1"]);
    const inspect = JSON.parse(outputOf(l, "docker network inspect v6net").join("\n"))[0];
    expect(inspect.EnableIPv6).toBe(true);
    expect(inspect.IPAM.Config).toEqual([{ Subnet: "172.30.0.0/16" }, { Subnet: "fd00:db8:1::/64" }]);
    const byName = Object.fromEntries(
      Object.values(inspect.Containers as Record<string, { Name: string; IPv6Address: string }>).map((c) => [
        c.Name,
        c.IPv6Address,
      ]),
    );
    expect(byName).toEqual({ web: "fd00:db8:1::2/64", client: "fd00:db8:1::99/64" });
    // The ULA pool: fdXX:XXXX:XXXX::/48 from the host ID, its first /64.
    expect(outputOf(l, "docker network inspect -f '{{range .IPAM.Config}}{{.Subnet}} {{end}}' ula")).toEqual([
      expect.stringMatching(/^172\.18\.0\.0\/16 fd[0-9a-f]{2}:[0-9a-f]{1,4}:[0-9a-f]{1,4}::\/64 $/),
    ]);
    expect(
      outputOf(
        l,
        "docker inspect -f '{{range .NetworkSettings.Networks}}{{.GlobalIPv6Address}}/{{.GlobalIPv6PrefixLen}} via {{.IPv6Gateway}}{{end}}' client",
      ),
    ).toEqual(["fd00:db8:1::99/64 via fd00:db8:1::1"]);
    expect(outputOf(l, "docker network create --ipv6 --subnet fe80::/60 bad || true")).toEqual([
      "Error response from daemon: 'fe80::/60' clashes with the Link-Local prefix 'fe80::/64'",
    ]);
    // ip6tables: the IPv4 block per IPv6 network, masquerade to the outside, isolation between networks.
    expect(outputOf(l, "docker exec c2 ping -6 -c 1 2001:db8:ff::2")).toContain(
      "64 bytes from 2001:db8:ff::2: seq=0 ttl=63 time=0.000 ms",
    );
    expect(outputOf(l, "docker exec c2 ping -6 -c 1 -W 1 fd00:db8:1::2 || true")).toContain(
      "1 packets transmitted, 0 packets received, 100% packet loss",
    );
    const save = outputOf(l, "ip6tables-save");
    expect(save).toContain(":FORWARD DROP [0:0]");
    for (const rule of [
      "-A FORWARD -o br-v6b -m conntrack --ctstate RELATED,ESTABLISHED -j ACCEPT",
      "-A FORWARD -i br-v6b ! -o br-v6b -j ACCEPT",
      "-A DOCKER-ISOLATION-STAGE-1 -i br-v6b ! -o br-v6b -j DOCKER-ISOLATION-STAGE-2",
      "-A DOCKER-ISOLATION-STAGE-2 -o br-v6 -j DROP",
      "-A OUTPUT ! -d ::1/128 -m addrtype --dst-type LOCAL -j DOCKER",
      "-A POSTROUTING -s fd00:db8:2::/64 ! -o br-v6b -j MASQUERADE",
      "-A DOCKER -i br-v6b -j RETURN",
    ])
      expect(save).toContain(rule);
    expect(outputOf(l, "ip6tables -v -n -L DOCKER-ISOLATION-STAGE-2")).toContain(
      "    1   104 DROP       0    --  *      br-v6   ::/0                 ::/0                ",
    );
    expect(outputOf(l, "conntrack -L -f ipv6")).toContain(
      "icmpv6   58 29 src=fd00:db8:2::2 dst=2001:db8:ff::2 type=128 code=0 id=42010 src=2001:db8:ff::2 dst=2001:db8:ff::1 type=129 code=0 id=42010 mark=0 use=1",
    );
    expect(outputOf(l, "docker network create --ipv6 --subnet fd00:db8::/32 overlapping || true")[0]).toEqual(
      "Error response from daemon: invalid pool request: Pool overlaps with other one on this address space",
    );
  });

  it("docker-ipv6.dw: -p binds [::] too once the host runs IPv6 — ip6tables DNAT to an IPv6 container, docker-proxy to an IPv4-only one", () => {
    const l = scenario("ipv6");
    expect(outputOf(l, "docker port pub")).toEqual(["80/tcp -> 0.0.0.0:8080", "80/tcp -> [::]:8080"]);
    expect(outputOf(l, "docker ps").find((r) => r.endsWith(" pub"))).toContain(
      "0.0.0.0:8080->80/tcp, [::]:8080->80/tcp",
    );
    const page = ["<html><body><h1>It works!</h1></body></html>"];
    expect(outputOf(l, "ip netns exec outside curl -s -g http://[2001:db8:ff::1]:8080/")).toEqual(page);
    expect(outputOf(l, "ip netns exec outside curl -s -g http://[2001:db8:ff::1]:8081/")).toEqual(page);
    expect(outputOf(l, "ip6tables -t nat -S DOCKER")).toContain(
      "-A DOCKER ! -s fe80::/10 ! -i br-v6b -p tcp -m tcp --dport 8080 -j DNAT --to-destination [fd00:db8:2::3]:80",
    );
    // No ip6tables rule for the IPv4-only container: its [::]:8081 is docker-proxy's alone.
    expect(outputOf(l, "ip6tables -t nat -S DOCKER").some((r) => r.includes("8081"))).toBe(false);
    expect(outputOf(l, "ss -tln")).toEqual([
      "State  Recv-Q Send-Q Local Address:Port Peer Address:PortProcess",
      "LISTEN 0      4096         0.0.0.0:8080      0.0.0.0:*          ",
      "LISTEN 0      4096         0.0.0.0:8081      0.0.0.0:*          ",
      "LISTEN 0      4096            [::]:8080         [::]:*          ",
      "LISTEN 0      4096            [::]:8081         [::]:*          ",
    ]);
    expect(outputOf(l, "docker exec pub ss -tan").slice(2)).toEqual([
      "LISTEN    0      511                  *:80                   *:*           ",
      "TIME-WAIT 0      0      [fd00:db8:2::3]:80    [2001:db8:ff::2]:44568       ",
    ]);
    const tcp = outputOf(l, "conntrack -L -f ipv6 -p tcp");
    // Through the DNAT the reply comes from the container; through the proxy from the host.
    expect(tcp[0]).toMatch(/dport=8080 src=fd00:db8:2::3 dst=2001:db8:ff::2 sport=80 /);
    expect(tcp[1]).toMatch(/dport=8081 src=2001:db8:ff::1 dst=2001:db8:ff::2 sport=8081 /);
  });

  it("docker-ipv6-only.dw: no IPv4 anywhere on the network; names, ping, wget over IPv6; the port on both families", () => {
    const l = scenario("ipv6-only");
    expect(outputOf(l, "docker exec client ip route")).toEqual([]);
    expect(outputOf(l, "docker exec client ip addr show eth0").some((x) => x.includes(" inet "))).toBe(false);
    expect(outputOf(l, "docker exec client ping -c 1 web")[1]).toBe(
      "64 bytes from fd00:6::2: seq=0 ttl=64 time=0.000 ms",
    );
    expect(outputOf(l, "docker exec client wget -qO- http://web/")).toEqual([IT_WORKS]);
    expect(outputOf(l, "docker port web")).toEqual(["80/tcp -> 0.0.0.0:8080", "80/tcp -> [::]:8080"]);
    expect(outputOf(l, "curl -s -g http://[::1]:8080/")).toEqual([IT_WORKS]);
    expect(outputOf(l, "curl -s http://127.0.0.1:8080/")).toEqual([IT_WORKS]);
    expect(
      outputOf(l, "docker network inspect -f '{{.EnableIPv4}} {{.EnableIPv6}} {{json .IPAM.Config}}' v6only"),
    ).toEqual(['false true [{"Subnet":"fd00:6::/64"}]']);
    expect(outputOf(l, "docker network create --ipv4=false v4less || true")[0]).toBe(
      "Error response from daemon: IPv4 or IPv6 must be enabled",
    );
  });

  itWithTshark(
    "docker-ipv6-only.dw's capture (ND, MLD, the announcements, HTTP over IPv6) opens without a warning",
    () => {
      scenario("ipv6-only");
      const report = tsharkReport(join(tmp, "ipv6-only", "docker-ipv6-only.pcap"));
      expect(report.errors).toEqual([]);
      expect(report.warnings).toEqual([]);
      expect(report.packets).toBeGreaterThan(30);
    },
  );
});
