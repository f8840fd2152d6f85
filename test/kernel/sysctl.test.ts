/** sysctl against a transcript from Linux 6.18 / procps-ng in a fresh namespace. */

import { describe, expect, it } from "vitest";
import { Host } from "../../src/kernel/host.js";
import { runIp } from "../../src/kernel/ip-command.js";
import type { NetNamespace } from "../../src/kernel/namespace.js";
import { runSysctl } from "../../src/kernel/sysctl-command.js";
import { Simulation } from "../../src/sim/simulation.js";

function fresh() {
  const host = new Host(new Simulation());
  const ns = host.addNetns("dwq-s") as NetNamespace;
  const sysctl = (line: string) => {
    const r = runSysctl(ns, line.split(" ").slice(1));
    return `${r.stdout}${r.stderr}[exit ${r.exit}]`;
  };
  return { host, ns, sysctl };
}

describe("sysctl", () => {
  it("defaults of a new namespace", () => {
    const { sysctl } = fresh();
    expect(
      sysctl(
        "sysctl net.ipv4.ip_forward net.ipv4.conf.all.rp_filter net.ipv4.conf.default.rp_filter net.ipv4.ip_local_port_range net.bridge.bridge-nf-call-iptables net.ipv4.conf.all.arp_ignore net.ipv4.neigh.lo.base_reachable_time_ms net.ipv4.neigh.lo.delay_first_probe_time net.ipv4.icmp_ratemask net.ipv4.tcp_syn_linear_timeouts",
      ),
    ).toBe(
      [
        "net.ipv4.ip_forward = 0",
        "net.ipv4.conf.all.rp_filter = 0",
        "net.ipv4.conf.default.rp_filter = 0",
        "net.ipv4.ip_local_port_range = 32768\t60999",
        "net.bridge.bridge-nf-call-iptables = 1",
        "net.ipv4.conf.all.arp_ignore = 0",
        "net.ipv4.neigh.lo.base_reachable_time_ms = 30000",
        "net.ipv4.neigh.lo.delay_first_probe_time = 5",
        "net.ipv4.icmp_ratemask = 6168",
        "net.ipv4.tcp_syn_linear_timeouts = 4",
        "[exit 0]",
      ].join("\n"),
    );
  });

  it("writes, errors and exit codes as procps prints them; failed writes change nothing", () => {
    const { ns, sysctl } = fresh();
    expect(sysctl("sysctl -w net.ipv4.ip_forward=2")).toBe("net.ipv4.ip_forward = 2\n[exit 0]");
    expect(ns.ipForward).toBe(true);
    expect(sysctl("sysctl -w net.ipv4.ip_forward=abc")).toBe(
      'sysctl: setting key "net.ipv4.ip_forward": Invalid argument\n[exit 1]',
    );
    expect(sysctl("sysctl -w net.ipv4.ip_forward=1 net.ipv4.conf.all.forwarding")).toBe(
      "net.ipv4.ip_forward = 1\nsysctl: command line(0): invalid syntax, continuing...\n[exit 1]",
    );
    expect(sysctl("sysctl net.ipv4.conf.all.forwarding net.ipv4.conf.lo.forwarding")).toBe(
      "net.ipv4.conf.all.forwarding = 1\nnet.ipv4.conf.lo.forwarding = 1\n[exit 0]",
    );
    expect(
      sysctl("sysctl -w net.ipv4.ip_local_port_range=1000 2000".replace("=1000 2000", "=1000\t2000")),
    ).toBe('sysctl: setting key "net.ipv4.ip_local_port_range": Invalid argument\n[exit 1]');
    expect(sysctl("sysctl -n net.ipv4.ip_local_port_range")).toBe("32768\t60999\n[exit 0]");
    expect(sysctl("sysctl net.ipv4.nope")).toBe(
      "sysctl: cannot stat /proc/sys/net/ipv4/nope: No such file or directory\n[exit 1]",
    );
    expect(sysctl("sysctl -w net.ipv4.ip_forward=0")).toBe("net.ipv4.ip_forward = 0\n[exit 0]");
    expect(ns.ipForward).toBe(false);
  });

  it("devices bring their conf and neigh keys; renaming moves them; deleting removes them", () => {
    const { host, ns, sysctl } = fresh();
    runIp(host, ns, ["link", "add", "v0", "type", "veth", "peer", "name", "v1"]);
    expect(sysctl("sysctl -w net.ipv4.conf.v0.rp_filter=2")).toBe("net.ipv4.conf.v0.rp_filter = 2\n[exit 0]");
    expect(sysctl("sysctl -w net.ipv4.conf.v0.rp_filter=3")).toBe(
      'sysctl: setting key "net.ipv4.conf.v0.rp_filter": Invalid argument\n[exit 1]',
    );
    runIp(host, ns, ["link", "set", "v0", "name", "eth0"]);
    expect(sysctl("sysctl -n net.ipv4.conf.eth0.rp_filter")).toBe("2\n[exit 0]");
    runIp(host, ns, ["link", "del", "eth0"]);
    expect(sysctl("sysctl net.ipv4.conf.v1.rp_filter")).toMatch(/cannot stat/);
  });

  it("the UDP stack takes ephemeral ports from ip_local_port_range", () => {
    const { ns, sysctl } = fresh();
    sysctl("sysctl -w net.ipv4.ip_local_port_range=40000\t40003");
    const ports = Array.from({ length: 4 }, () => ns.udp.socket().bind().localPort).sort();
    expect(ports).toEqual([40000, 40001, 40002, 40003]);
    expect(() => ns.udp.socket().bind()).toThrow(/EADDRINUSE/);
  });
});
