import { mkdtempSync, readFileSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, describe, expect, it } from "vitest";
import { readPcap } from "../../src/capture/pcap-reader.js";
import { readPcapng } from "../../src/capture/pcapng-reader.js";
import { runScenario } from "../../src/scenario/runner.js";
import { parseLine } from "../../src/scenario/words.js";
import { itWithTshark, tsharkReport } from "../helpers/tshark.js";

const tmp = mkdtempSync(join(tmpdir(), "dockwire-scenario-"));
afterAll(() => rmSync(tmp, { recursive: true, force: true }));
/** The text of one of the example scenarios in scenarios/. */
const scenario = (file: string) => readFileSync(new URL(`../../scenarios/${file}`, import.meta.url), "utf8");
const pingOverVeth = scenario("ping-over-veth.dw");
const routed = scenario("routed.dw");

function run(text: string, dir: string, seed = 1, pcapng = false) {
  const lines: string[] = [];
  const outDir = join(tmp, dir);
  const r = runScenario(text, {
    seed,
    outDir,
    pcapng,
    application: "dockwire test",
    print: (l) => lines.push(l),
  });
  return { ...r, lines, outDir };
}

describe("scenario words", () => {
  it("splits like a shell for the simple cases: quotes, comments, &, || true", () => {
    expect(parseLine("  # just a comment")).toBeUndefined();
    expect(parseLine("ping -c 1 10.0.0.2 # note")).toEqual({
      words: ["ping", "-c", "1", "10.0.0.2"],
      background: false,
      mayFail: false,
    });
    expect(parseLine("tcpdump -i eth0 -w 'a b.pcap' &")).toEqual({
      words: ["tcpdump", "-i", "eth0", "-w", "a b.pcap"],
      background: true,
      mayFail: false,
    });
    expect(parseLine("ip link set eth9 up || true")?.mayFail).toBe(true);
  });
});

describe("scenario runner", () => {
  it("runs ping-over-veth: the transcript reads like a terminal session", () => {
    const r = run(pingOverVeth, "a");
    expect(r.exit).toBe(0);
    const text = r.lines.join("\n");
    expect(text).toContain(
      [
        "$ ip netns exec red ping -c 3 10.0.0.2",
        "PING 10.0.0.2 (10.0.0.2) 56(84) bytes of data.",
        "64 bytes from 10.0.0.2: icmp_seq=1 ttl=64 time=0.000 ms",
        "64 bytes from 10.0.0.2: icmp_seq=2 ttl=64 time=0.000 ms",
        "64 bytes from 10.0.0.2: icmp_seq=3 ttl=64 time=0.000 ms",
        "",
        "--- 10.0.0.2 ping statistics ---",
        "3 packets transmitted, 3 received, 0% packet loss, time 2000ms",
        "rtt min/avg/max/mdev = 0.000/0.000/0.000/0.000 ms",
      ].join("\n"),
    );
    expect(text).toMatch(
      /\$ ip -n red neigh show\n10\.0\.0\.2 dev veth-red lladdr ([0-9a-f]{2}:){5}[0-9a-f]{2} REACHABLE \n/,
    );
    expect(text).toMatch(/\$ ip -n blue neigh show\n10\.0\.0\.1 dev veth-blue lladdr .* DELAY \n/);
    expect(text).toContain(
      "$ ip -n red route get 10.0.0.2\n10.0.0.2 dev veth-red src 10.0.0.1 uid 0 \n    cache ",
    );
    const pcap = readPcap(new Uint8Array(readFileSync(join(r.outDir, "red.pcap"))));
    expect(pcap.records).toHaveLength(8); // ARP request, reply, 3 × (request, reply)
  });

  it("the same seed gives the same bytes; another seed changes what Linux randomises", () => {
    const a = run(pingOverVeth, "b", 5, true);
    const b = run(pingOverVeth, "c", 5, true);
    const c = run(pingOverVeth, "d", 6, true);
    const bytes = (r: typeof a, f: string) => readFileSync(join(r.outDir, f));
    expect(bytes(a, "red.pcap").equals(bytes(b, "red.pcap"))).toBe(true);
    expect(bytes(a, "all.pcapng").equals(bytes(b, "all.pcapng"))).toBe(true);
    expect(bytes(a, "red.pcap").equals(bytes(c, "red.pcap"))).toBe(false);
    expect(a.lines).toEqual(b.lines);
  });

  it("--pcapng captures every interface of every namespace as ns/dev", () => {
    const r = run(pingOverVeth, "e", 1, true);
    const f = readPcapng(new Uint8Array(readFileSync(join(r.outDir, "all.pcapng"))));
    // Interfaces are described as they appear: both lo first (ip netns add), then the veth ends.
    expect(f.interfaces.map((i) => i.name)).toEqual([
      "lo",
      "red/lo",
      "blue/lo",
      "red/veth-red",
      "blue/veth-blue",
    ]);
    expect(f.packets).toHaveLength(16);
  });

  itWithTshark("its captures open in tshark without warnings", () => {
    const r = run(pingOverVeth, "f", 1, true);
    for (const file of ["red.pcap", "all.pcapng"]) {
      const t = tsharkReport(join(r.outDir, file));
      expect(t.errors).toEqual([]);
      expect(t.warnings).toEqual([]);
    }
  });

  it("a failing command stops the scenario with its line number; `|| true` lets it fail", () => {
    const r = run("ip netns add x\nip link set eth9 up || true\nip link set eth9 up\nip netns add y\n", "g");
    expect(r.exit).toBe(1);
    expect(r.stoppedAt).toBe(3);
    expect(r.lines).toEqual([
      "$ ip netns add x",
      "$ ip link set eth9 up || true",
      'Cannot find device "eth9"',
      "$ ip link set eth9 up",
      'Cannot find device "eth9"',
      "dockwire: line 3: 'ip link set eth9 up' exited with status 1",
    ]);
  });

  it("background jobs run while time passes; wait waits for them", () => {
    const script = [
      "ip netns add a",
      "ip netns add b",
      "ip link add va netns a type veth peer name vb netns b",
      "ip -n a addr add 10.9.0.1/24 dev va",
      "ip -n b addr add 10.9.0.2/24 dev vb",
      "ip -n a link set va up",
      "ip -n b link set vb up",
      "ip netns exec a ping -c 2 -i 0.5 10.9.0.2 &",
      "sleep 0.2",
      "ip -n a neigh show",
      "wait",
      "ip netns exec a ping -c 1 10.9.9.9",
    ].join("\n");
    const r = run(script, "h");
    const text = r.lines.join("\n");
    // The background ping's first reply prints while time passes, its second while waiting.
    expect(text).toMatch(
      /\$ sleep 0\.2\n64 bytes from 10\.9\.0\.2: icmp_seq=1 .*\n\$ ip -n a neigh show\n10\.9\.0\.2 dev va lladdr \S+ REACHABLE \n\$ wait\n64 bytes from 10\.9\.0\.2: icmp_seq=2/,
    );
    expect(r.lines.slice(-2)).toEqual([
      "ping: connect: Network is unreachable",
      "dockwire: line 12: 'ip netns exec a ping -c 1 10.9.9.9' exited with status 2",
    ]);
  });

  it("routed.dw: replies come back with TTL 63; TTL 1 and a dead host give iputils' error lines", () => {
    const r = run(routed, "i");
    expect(r.exit).toBe(0);
    const text = r.lines.join("\n");
    expect(text).toContain("64 bytes from 10.2.0.2: icmp_seq=1 ttl=63 time=0.000 ms");
    expect(text).toContain(
      [
        "$ ip netns exec a ping -c 1 -t 1 10.2.0.2 || true",
        "PING 10.2.0.2 (10.2.0.2) 56(84) bytes of data.",
        "From 10.1.0.1 icmp_seq=1 Time to live exceeded",
        "",
        "--- 10.2.0.2 ping statistics ---",
        "1 packets transmitted, 0 received, +1 errors, 100% packet loss, time 0ms",
      ].join("\n"),
    );
    expect(text).toContain("From 10.1.0.1 icmp_seq=1 Destination Host Unreachable");
    expect(text).toContain("1 packets transmitted, 0 received, +1 errors, 100% packet loss, time 3000ms");
    expect(text).toMatch(/10\.2\.0\.99 dev r-b FAILED \n?$/);
  });

  it("ipv6-router.dw: SLAAC-free IPv6 through a router, router flag, hop limit exceeded, an ip6tables REJECT; Wireshark-clean", () => {
    const r = run(scenario("ipv6-router.dw"), "ipv6");
    expect(r.exit).toBe(0);
    const text = r.lines.join("\n");
    expect(text).toContain("    inet6 fd00:1::a/64 scope global tentative ");
    expect(text).toContain("64 bytes from fd00:2::b: icmp_seq=2 ttl=63 time=0.000 ms");
    expect(text).toContain("From fd00:1::1 icmp_seq=1 Time exceeded: Hop limit");
    expect(text).toMatch(/^fd00:1::1 dev eth0 lladdr [0-9a-f:]{17} router REACHABLE $/m);
    expect(text).toContain("fd00:2::b from :: via fd00:1::1 dev eth0 src fd00:1::a metric 1024 pref medium");
    expect(text).toContain("From fd00:1::1 icmp_seq=1 Destination unreachable: Port unreachable");
    const frames = readPcap(readFileSync(join(r.outDir, "ipv6-router.pcap"))).records.length;
    expect(frames).toBeGreaterThan(15);
  });

  itWithTshark("ipv6-router.dw's capture opens in Wireshark without a warning", () => {
    const r = run(scenario("ipv6-router.dw"), "ipv6-tshark");
    const report = tsharkReport(join(r.outDir, "ipv6-router.pcap"));
    expect(report.errors).toEqual([]);
    expect(report.warnings).toEqual([]);
    expect(report.packets).toBeGreaterThan(15);
  });

  it("tcpdump -n prints each frame with the time of day, once per frame on lo, and its counts at the end", () => {
    const r = run("ip link set lo up\ntcpdump -n -i lo &\nping -c 1 127.0.0.1\nsleep 1.5\n", "j");
    expect(r.lines.filter((l) => /^\d\d:\d\d:\d\d\.\d{6} /.test(l))).toEqual([
      "00:00:00.000000 IP 127.0.0.1 > 127.0.0.1: ICMP echo request, id 64189, seq 1, length 64",
      "00:00:00.000000 IP 127.0.0.1 > 127.0.0.1: ICMP echo reply, id 64189, seq 1, length 64",
    ]);
    expect(r.lines.slice(-3)).toEqual([
      "2 packets captured",
      "2 packets received by filter",
      "0 packets dropped by kernel",
    ]);
    expect(run("tcpdump -i lo icmp", "k").lines.at(-2)).toMatch(/not supported yet/);
  });

  it("udp-nc.dw: nc -u delivers stdin; the listener keeps to its first peer; a closed port answers ICMP", () => {
    const r = run(scenario("udp-nc.dw"), "l");
    expect(r.exit).toBe(0);
    const text = r.lines.join("\n");
    expect(text).toContain(
      "$ echo hello from a | ip netns exec a nc -u -w 1 10.9.0.2 5000\nhello from a\n$ echo nobody home",
    );
    expect(text).not.toContain("nobody home\n$"); // nothing listens on 5001: nothing printed
    expect(text).toMatch(
      /00:00:02\.000000 IP 10\.9\.0\.1\.\d+ > 10\.9\.0\.2\.5000: UDP, length 6\n00:00:02\.000000 IP 10\.9\.0\.2 > 10\.9\.0\.1: ICMP 10\.9\.0\.2 udp port 5000 unreachable, length 42/,
    );
  });

  it("bridge-fdb.dw: bridge fdb / bridge link print what Linux printed for the same commands", () => {
    const text = run(scenario("bridge-fdb.dw"), "m").lines.join("\n");
    // Taken from Linux 6.18 / iproute2 6.1 with IPv6 disabled in the namespaces.
    expect(text).toContain(
      [
        "$ ip netns exec h bridge fdb show",
        "33:33:00:00:00:01 dev br0 self permanent",
        "01:00:5e:00:00:6a dev br0 self permanent",
        "33:33:00:00:00:6a dev br0 self permanent",
        "01:00:5e:00:00:01 dev br0 self permanent",
        "02:00:00:00:0b:01 dev br0 master br0 permanent",
        "02:00:00:00:0c:01 dev veth-c master br0 ",
        "02:00:00:00:0a:01 dev veth-c master br0 permanent",
        "33:33:00:00:00:01 dev veth-c self permanent",
        "01:00:5e:00:00:01 dev veth-c self permanent",
        "$ ip netns exec h bridge link show",
        "3: veth-c@br0: <BROADCAST,MULTICAST,UP,LOWER_UP> mtu 1500 master br0 state forwarding priority 32 cost 2 ",
      ].join("\n"),
    );
    expect(text).toContain(
      [
        "$ ip netns exec h bridge fdb show dev veth-c",
        "02:00:00:00:00:98 master br0 permanent",
        "02:00:00:00:0c:01 master br0 ",
        "02:00:00:00:0a:01 master br0 permanent",
        "02:00:00:00:00:97 self permanent",
        "33:33:00:00:00:01 self permanent",
        "01:00:5e:00:00:01 self permanent",
      ].join("\n"),
    );
    expect(text).toContain("02:00:00:00:00:99 master br0 static");
    expect(text).toContain("|| true\nRTNETLINK answers: File exists");
    expect(text).toContain('Object "foo" is unknown, try "bridge help".');
  });

  it("ping -s 2000 is fragmented and answered; with -M do it fails locally as on Linux", () => {
    const setup = [
      "ip netns add a",
      "ip netns add b",
      "ip link add va netns a type veth peer name vb netns b",
      "ip -n a addr add 10.9.0.1/24 dev va",
      "ip -n b addr add 10.9.0.2/24 dev vb",
      "ip -n a link set va up",
      "ip -n b link set vb up",
    ];
    const r = run(
      [
        ...setup,
        "ip netns exec a ping -c 1 -s 2000 10.9.0.2",
        "ip netns exec a ping -c 2 -M do -s 2000 10.9.0.2",
      ].join("\n"),
      "n",
    );
    const text = r.lines.join("\n");
    expect(text).toContain(
      "PING 10.9.0.2 (10.9.0.2) 2000(2028) bytes of data.\n2008 bytes from 10.9.0.2: icmp_seq=1 ttl=64 time=0.000 ms",
    );
    // Linux 6.18 / iputils: each send fails with EMSGSIZE; exit status 1.
    expect(r.lines.slice(-7)).toEqual([
      "PING 10.9.0.2 (10.9.0.2) 2000(2028) bytes of data.",
      "ping: local error: message too long, mtu=1500",
      "ping: local error: message too long, mtu=1500",
      "",
      "--- 10.9.0.2 ping statistics ---",
      "2 packets transmitted, 0 received, +2 errors, 100% packet loss, time 1000ms",
      "dockwire: line 9: 'ip netns exec a ping -c 2 -M do -s 2000 10.9.0.2' exited with status 1",
    ]);
  });

  it("ip-brief-stats.dw: ip -br and ip -s print what Linux printed (IPv6 disabled)", () => {
    const text = run(scenario("ip-brief-stats.dw"), "o").lines.join("\n");
    expect(text).toContain(
      [
        "$ ip -n a -br addr",
        "lo               UNKNOWN        127.0.0.1/8 ",
        "va@if2           UP             10.0.0.1/24 10.0.0.9/24 ",
        "d2@d1            DOWN           ",
        "d1@d2            DOWN           ",
        "$ ip -n a -br link",
        "lo               UNKNOWN        00:00:00:00:00:00 <LOOPBACK,UP,LOWER_UP> ",
        "va@if2           UP             02:00:00:00:00:0a <BROADCAST,MULTICAST,UP,LOWER_UP> ",
        "d2@d1            DOWN           02:2d:91:ad:ee:f2 <BROADCAST,MULTICAST,M-DOWN> ",
        "d1@d2            DOWN           92:fd:ae:b4:9e:ec <BROADCAST,MULTICAST,M-DOWN> ",
        "$ ip -n a -s link show va",
        "2: va@if2: <BROADCAST,MULTICAST,UP,LOWER_UP> mtu 1500 qdisc noqueue state UP mode DEFAULT group default qlen 1000",
        "    link/ether 02:00:00:00:00:0a brd ff:ff:ff:ff:ff:ff link-netns b",
        "    RX:  bytes packets errors dropped  missed   mcast           ",
        "           238       3      0       0       0       0 ",
        "    TX:  bytes packets errors dropped carrier collsns           ",
        "           238       3      0       0       0       0 ",
      ].join("\n"),
    );
  });

  it("arp_notify=1 announces the address with one gratuitous ARP when the link comes up (as Linux did)", () => {
    const script = [
      "ip netns add a",
      "ip netns add b",
      "ip link add va netns a type veth peer name vb netns b",
      "ip -n b link set vb up",
      "ip -n a addr add 10.0.0.1/24 dev va",
      "ip netns exec a sysctl -w net.ipv4.conf.va.arp_notify=1",
      "ip netns exec b tcpdump -n -i vb &",
      "ip -n a link set va up",
      "sleep 1",
    ].join("\n");
    const lines = run(script, "p").lines.filter((l) => l.includes(" ARP, "));
    expect(lines).toEqual(["00:00:00.000000 ARP, Request who-has 10.0.0.1 tell 10.0.0.1, length 28"]);
  });

  it("rp_filter: strict (1) drops a datagram whose source routes back through another interface; loose (2) keeps it", () => {
    const setup = [
      "ip netns add a",
      "ip netns add b",
      "ip link add va netns a type veth peer name vb netns b",
      "ip -n a addr add 10.0.0.1/24 dev va",
      "ip -n a addr add 192.0.2.1/32 dev va",
      "ip -n b addr add 10.0.0.2/24 dev vb",
      "ip -n a link set va up",
      "ip -n b link set vb up",
      "ip -n b link add d0 type dummy",
      "ip -n b link set d0 up",
      "ip -n b route add 192.0.2.0/24 dev d0",
    ];
    const received = (mode: number, dir: string) =>
      run(
        [
          ...setup,
          `ip netns exec b sysctl -w net.ipv4.conf.all.rp_filter=${mode}`,
          "ip netns exec b nc -u -l 9 &",
          "echo from-192.0.2.1 | ip netns exec a nc -u -w 1 -s 192.0.2.1 10.0.0.2 9",
        ].join("\n"),
        dir,
      ).lines.includes("from-192.0.2.1");
    expect(received(0, "q")).toBe(true);
    expect(received(1, "r")).toBe(false);
    expect(received(2, "s")).toBe(true);
  });

  it("ping through unreachable / blackhole / prohibit routes fails as iputils does", () => {
    const script = [
      "ip netns add u",
      "ip -n u route add unreachable 10.9.0.0/16",
      "ip -n u route add blackhole 10.8.0.0/16",
      "ip -n u route add prohibit 10.7.0.0/16",
      "ip netns exec u ping -c 1 10.9.0.1 || true",
      "ip netns exec u ping -c 1 10.8.0.1 || true",
      "ip netns exec u ping -c 1 10.7.0.1 || true",
    ].join("\n");
    expect(run(script, "t").lines.filter((l) => l.startsWith("ping: "))).toEqual([
      "ping: connect: No route to host",
      "ping: connect: Invalid argument",
      "ping: Do you want to ping broadcast? Then -b. If not, check your local firewall rules",
    ]);
  });
});
