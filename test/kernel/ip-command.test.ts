/**
 * `ip` against transcripts taken from Linux 6.18 / iproute2 6.1 in a namespace (the same
 * commands, the same output and exit codes). MACs Linux chose at random are set explicitly here.
 */

import { describe, expect, it } from "vitest";
import { Host } from "../../src/kernel/host.js";
import { runIp } from "../../src/kernel/ip-command.js";
import type { NetNamespace } from "../../src/kernel/namespace.js";
import { Simulation } from "../../src/sim/simulation.js";

function session() {
  const host = new Host(new Simulation({ seed: 1 }));
  host.addNetns("dwq-a");
  const ns = host.netns.get("dwq-a") as NetNamespace;
  const ip = (line: string) => {
    const r = runIp(host, ns, line.split(" ").slice(1));
    return `${r.stdout}${r.stderr}[exit ${r.exit}]`;
  };
  return { host, ns, ip };
}

describe("ip, as iproute2 prints it", () => {
  it("errors and their exit codes, and nothing changes when a command fails", () => {
    const { ip } = session();
    expect(ip("ip link add v0 type veth peer name v1")).toBe("[exit 0]");
    ip("ip link set v1 address 6a:75:41:71:5e:b6");
    ip("ip link set v0 address 6a:75:41:71:5e:b7");
    const before = ip("ip link show");
    expect(ip("ip link add v0 type veth peer name v1")).toBe("RTNETLINK answers: File exists\n[exit 2]");
    expect(ip("ip addr add 300.1.1.1/24 dev v0")).toBe(
      'Error: any valid prefix is expected rather than "300.1.1.1/24".\n[exit 1]',
    );
    expect(ip("ip route add 10.5.0.0/16 via 10.0.0.99")).toBe(
      "Error: Nexthop has invalid gateway.\n[exit 2]",
    );
    expect(ip("ip route del 10.6.0.0/16")).toBe("RTNETLINK answers: No such process\n[exit 2]");
    expect(ip("ip link set v0 mtu 70000")).toBe("Error: mtu greater than device maximum.\n[exit 2]");
    expect(ip("ip link set v9 up")).toBe('Cannot find device "v9"\n[exit 1]');
    expect(ip("ip link set v0 up mtu 70000")).toBe("Error: mtu greater than device maximum.\n[exit 2]");
    expect(ip("ip link show")).toBe(before); // the failed "up mtu 70000" did not bring v0 up
    expect(ip("ip addr add 10.0.0.1/24 dev v0")).toBe("[exit 0]");
    expect(ip("ip addr add 10.0.0.5/24 dev v0")).toBe("[exit 0]");
    expect(ip("ip addr add 10.0.0.5/24 dev v0")).toBe("Error: ipv4: Address already assigned.\n[exit 2]");
    expect(ip("ip addr del 10.0.0.9/24 dev v0")).toBe("Error: ipv4: Address not found.\n[exit 2]");
    expect(ip("ip route add 10.7.0.0/16 dev v0")).toBe("Error: Device for nexthop is not up.\n[exit 2]");
    expect(ip("ip link set v0 up")).toBe("[exit 0]");
    expect(ip("ip route add 10.7.0.0/16 dev v0")).toBe("[exit 0]");
    expect(ip("ip route add 10.8.0.0/16 via 10.0.0.3")).toBe("[exit 0]");
    expect(ip("ip route")).toBe(
      "10.0.0.0/24 dev v0 proto kernel scope link src 10.0.0.1 linkdown \n" +
        "10.7.0.0/16 dev v0 scope link linkdown \n" +
        "10.8.0.0/16 via 10.0.0.3 dev v0 linkdown \n[exit 0]",
    );
    expect(ip("ip addr show v0")).toBe(
      "3: v0@v1: <NO-CARRIER,BROADCAST,MULTICAST,UP,M-DOWN> mtu 1500 qdisc noqueue state LOWERLAYERDOWN group default qlen 1000\n" +
        "    link/ether 6a:75:41:71:5e:b7 brd ff:ff:ff:ff:ff:ff\n" +
        "    inet 10.0.0.1/24 scope global v0\n" +
        "       valid_lft forever preferred_lft forever\n" +
        "    inet 10.0.0.5/24 scope global secondary v0\n" +
        "       valid_lft forever preferred_lft forever\n[exit 0]",
    );
    expect(ip("ip neigh add 10.0.0.3 lladdr 02:00:00:00:00:03 dev v0")).toBe("[exit 0]");
    expect(ip("ip neigh show")).toBe("10.0.0.3 dev v0 lladdr 02:00:00:00:00:03 PERMANENT \n[exit 0]");
    expect(ip("ip route get 10.99.0.1")).toBe("RTNETLINK answers: Network is unreachable\n[exit 2]");
    expect(ip("ip route get 10.8.1.1")).toBe(
      "10.8.1.1 via 10.0.0.3 dev v0 src 10.0.0.1 uid 0 \n    cache \n[exit 0]",
    );
    expect(ip("ip link add br0 type bridge")).toBe("[exit 0]");
    expect(ip("ip link set v0 master br0")).toBe("[exit 0]");
    expect(ip("ip link show v0")).toBe(
      "3: v0@v1: <NO-CARRIER,BROADCAST,MULTICAST,UP,M-DOWN> mtu 1500 qdisc noqueue master br0 state LOWERLAYERDOWN mode DEFAULT group default qlen 1000\n" +
        "    link/ether 6a:75:41:71:5e:b7 brd ff:ff:ff:ff:ff:ff\n[exit 0]",
    );
    expect(ip("ip link del v1")).toBe("[exit 0]");
    expect(ip("ip link show")).toBe(
      "1: lo: <LOOPBACK> mtu 65536 qdisc noop state DOWN mode DEFAULT group default qlen 1000\n" +
        "    link/loopback 00:00:00:00:00:00 brd 00:00:00:00:00:00\n" +
        "4: br0: <BROADCAST,MULTICAST> mtu 1500 qdisc noop state DOWN mode DEFAULT group default qlen 1000\n" +
        "    link/ether 00:00:00:00:00:00 brd ff:ff:ff:ff:ff:ff\n[exit 0]",
    );
    expect(ip("ip addr shw")).toBe('Command "shw" is unknown, try "ip address help".\n[exit 255]');
    expect(ip("ip foo")).toBe('Object "foo" is unknown, try "ip help".\n[exit 1]');
    expect(ip("ip link set v0 address zz")).toBe('Cannot find device "v0"\n[exit 1]');
  });

  it("two namespaces joined by a veth: addresses, routes, local table, neighbours after a ping", () => {
    const { host, ip } = session();
    host.addNetns("dwq-b");
    const b = host.netns.get("dwq-b") as NetNamespace;
    const ipb = (line: string) => runIp(host, b, line.split(" ").slice(1));
    expect(ip("ip link add veth-a type veth peer name veth-b netns dwq-b")).toBe("[exit 0]");
    ip("ip link set veth-a address 02:00:00:00:00:0a");
    ipb("ip link set veth-b address 7e:64:12:f0:01:74");
    ip("ip addr add 10.0.0.1/24 dev veth-a");
    ipb("ip addr add 10.0.0.2/24 dev veth-b");
    ip("ip link set veth-a up");
    ip("ip link set lo up");
    ipb("ip link set veth-b up");
    expect(ip("ip addr show")).toBe(
      "1: lo: <LOOPBACK,UP,LOWER_UP> mtu 65536 qdisc noqueue state UNKNOWN group default qlen 1000\n" +
        "    link/loopback 00:00:00:00:00:00 brd 00:00:00:00:00:00\n" +
        "    inet 127.0.0.1/8 scope host lo\n" +
        "       valid_lft forever preferred_lft forever\n" +
        "2: veth-a@if2: <BROADCAST,MULTICAST,UP,LOWER_UP> mtu 1500 qdisc noqueue state UP group default qlen 1000\n" +
        "    link/ether 02:00:00:00:00:0a brd ff:ff:ff:ff:ff:ff link-netns dwq-b\n" +
        "    inet 10.0.0.1/24 scope global veth-a\n" +
        "       valid_lft forever preferred_lft forever\n[exit 0]",
    );
    expect(ip("ip route show")).toBe(
      "10.0.0.0/24 dev veth-a proto kernel scope link src 10.0.0.1 \n[exit 0]",
    );
    expect(ip("ip route show table local")).toBe(
      "local 10.0.0.1 dev veth-a proto kernel scope host src 10.0.0.1 \n" +
        "broadcast 10.0.0.255 dev veth-a proto kernel scope link src 10.0.0.1 \n" +
        "local 127.0.0.0/8 dev lo proto kernel scope host src 127.0.0.1 \n" +
        "local 127.0.0.1 dev lo proto kernel scope host src 127.0.0.1 \n" +
        "broadcast 127.255.255.255 dev lo proto kernel scope link src 127.0.0.1 \n[exit 0]",
    );
    expect(ip("ip route get 10.0.0.2")).toBe("10.0.0.2 dev veth-a src 10.0.0.1 uid 0 \n    cache \n[exit 0]");
    expect(ip("ip route get 127.0.0.1")).toBe(
      "local 127.0.0.1 dev lo src 127.0.0.1 uid 0 \n    cache <local> \n[exit 0]",
    );
    expect(ip("ip netns list")).toBe("dwq-a\ndwq-b\n[exit 0]");
  });

  it("a bridge takes its port's MAC, is UNKNOWN while up without ports, and shows brd when given", () => {
    const { ip } = session();
    ip("ip link add br0 type bridge");
    ip("ip link set br0 up");
    expect(ip("ip link show br0")).toMatch(
      /^\d+: br0: <BROADCAST,MULTICAST,UP,LOWER_UP> mtu 1500 qdisc noqueue state UNKNOWN mode DEFAULT/,
    );
    ip("ip link add vx0 type veth peer name vx1");
    ip("ip link set vx0 address c6:6b:5b:a1:5a:4a");
    ip("ip link set vx0 master br0");
    ip("ip link set vx0 up");
    ip("ip link set vx1 up");
    ip("ip addr add 10.1.0.1/24 brd + dev br0");
    ip("ip addr add 10.2.0.1/16 dev br0");
    ip("ip route add 10.9.0.0/16 via 10.1.0.7");
    ip("ip route add default via 10.1.0.254 metric 100");
    expect(ip("ip addr show br0")).toBe(
      "2: br0: <BROADCAST,MULTICAST,UP,LOWER_UP> mtu 1500 qdisc noqueue state UP group default qlen 1000\n" +
        "    link/ether c6:6b:5b:a1:5a:4a brd ff:ff:ff:ff:ff:ff\n" +
        "    inet 10.1.0.1/24 brd 10.1.0.255 scope global br0\n" +
        "       valid_lft forever preferred_lft forever\n" +
        "    inet 10.2.0.1/16 scope global br0\n" +
        "       valid_lft forever preferred_lft forever\n[exit 0]",
    );
    expect(ip("ip route")).toBe(
      "default via 10.1.0.254 dev br0 metric 100 \n" +
        "10.1.0.0/24 dev br0 proto kernel scope link src 10.1.0.1 \n" +
        "10.2.0.0/16 dev br0 proto kernel scope link src 10.2.0.1 \n" +
        "10.9.0.0/16 via 10.1.0.7 dev br0 \n[exit 0]",
    );
    expect(ip("ip route get 8.8.8.8")).toBe(
      "8.8.8.8 via 10.1.0.254 dev br0 src 10.1.0.1 uid 0 \n    cache \n[exit 0]",
    );
    expect(ip("ip link show vx1")).toMatch(
      /^3: vx1@vx0: <BROADCAST,MULTICAST,UP,LOWER_UP> .* state UP mode DEFAULT/,
    );
  });

  it("dummy devices: NOARP, UNKNOWN when up, and routes through them swallow packets", () => {
    const { ip, ns } = session();
    expect(ip("ip link add d0 type dummy")).toBe("[exit 0]");
    ip("ip link set d0 address 46:0b:fa:4e:3f:11");
    ip("ip link set d0 up");
    ip("ip addr add 192.0.2.1/24 dev d0");
    expect(ip("ip link show d0")).toBe(
      "2: d0: <BROADCAST,NOARP,UP,LOWER_UP> mtu 1500 qdisc noqueue state UNKNOWN mode DEFAULT group default qlen 1000\n" +
        "    link/ether 46:0b:fa:4e:3f:11 brd ff:ff:ff:ff:ff:ff\n[exit 0]",
    );
    expect(ip("ip route")).toBe("192.0.2.0/24 dev d0 proto kernel scope link src 192.0.2.1 \n[exit 0]");
    const udp = ns.udp.socket();
    udp.send(new Uint8Array(4), 0xc0000263, 9);
    expect(ns.neigh.list()).toEqual([]); // no ARP on a NOARP device
  });

  it("unreachable, blackhole and prohibit routes: listed, and refused with Linux's errors", () => {
    const { ip } = session();
    ip("ip link set lo up");
    expect(ip("ip route add unreachable 10.9.0.0/16")).toBe("[exit 0]");
    expect(ip("ip route add blackhole 10.8.0.0/16")).toBe("[exit 0]");
    expect(ip("ip route add prohibit 10.7.0.0/16")).toBe("[exit 0]");
    expect(ip("ip route")).toBe(
      "prohibit 10.7.0.0/16 \nblackhole 10.8.0.0/16 \nunreachable 10.9.0.0/16 \n[exit 0]",
    );
    expect(ip("ip route get 10.9.0.1")).toBe("RTNETLINK answers: No route to host\n[exit 2]");
    expect(ip("ip route get 10.8.0.1")).toBe("RTNETLINK answers: Invalid argument\n[exit 2]");
  });
});
