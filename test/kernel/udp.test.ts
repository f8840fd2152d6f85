import { describe, expect, it } from "vitest";
import { UdpError } from "../../src/kernel/udp.js";
import { Packet } from "../../src/link/packet.js";
import { SECOND } from "../../src/sim/time.js";
import { toHex } from "../../src/util/bytes.js";
import { ipv4 } from "../../src/util/ipv4-address.js";
import { IPPROTO_ICMP } from "../../src/wire/ipv4.js";
import { fixtureFrames } from "../helpers/fixtures.js";
import { twoHosts } from "../helpers/topologies.js";

const enc = (s: string) => new TextEncoder().encode(s);

function normalise(frame: Uint8Array): string {
  const f = frame.slice();
  f.fill(0, 18, 20);
  f.fill(0, 24, 26);
  if (f[23] === 1) {
    f.fill(0, 36, 38);
    f.fill(0, 46, 48);
    f.fill(0, 52, 54);
  }
  return toHex(f);
}

describe("UDP sockets", () => {
  it("a datagram to a listener and one to a closed port: the Linux frames, port unreachable included", () => {
    const linux = fixtureFrames("udp");
    const { sim, a, b, captured } = twoHosts();
    const got: string[] = [];
    b.udp.socket().bind(ipv4("10.0.0.2"), 5000).onMessage = (d) => got.push(new TextDecoder().decode(d.data));
    a.ipv4.send(Packet.from(new Uint8Array([8, 0, 0xf7, 0xff, 0, 0, 0, 0])), IPPROTO_ICMP, ipv4("10.0.0.2"));
    sim.run({ until: SECOND });
    captured.length = 0;
    const s = a.udp.socket().bind(ipv4("10.0.0.1"), 40000);
    s.send(enc("hello"), ipv4("10.0.0.2"), 5000);
    s.send(enc("anyone?"), ipv4("10.0.0.2"), 5001);
    sim.run({ until: 2 * SECOND });
    expect(got).toEqual(["hello"]);
    expect(captured.map(normalise)).toEqual(linux.map(normalise));
    expect(s.takeError()).toBeUndefined(); // unconnected: not told
  });

  it("a connected socket gets ECONNREFUSED from the port unreachable, once", () => {
    const { sim, a } = twoHosts();
    const s = a.udp.socket().connect(ipv4("10.0.0.2"), 9);
    s.send(enc("x"));
    sim.run({ until: SECOND });
    const e = s.takeError();
    expect(e).toBeInstanceOf(UdpError);
    expect(e?.errno).toBe("ECONNREFUSED");
    expect(s.takeError()).toBeUndefined();
  });

  it("binding: EADDRINUSE on a held port, ephemeral ports inside ip_local_port_range, EADDRNOTAVAIL", () => {
    const { a } = twoHosts();
    a.udp.socket().bind(0, 5353);
    expect(() => a.udp.socket().bind(ipv4("10.0.0.1"), 5353)).toThrow(/EADDRINUSE/);
    expect(() => a.udp.socket().bind(ipv4("10.9.9.9"), 1)).toThrow(/EADDRNOTAVAIL/);
    const ports = Array.from({ length: 50 }, () => a.udp.socket().bind().localPort);
    expect(new Set(ports).size).toBe(50);
    for (const p of ports) expect(p >= 32768 && p <= 60999).toBe(true);
  });

  it("no route: ENETUNREACH", () => {
    const { a } = twoHosts();
    expect(() => a.udp.socket().send(enc("x"), ipv4("192.0.2.1"), 53)).toThrow(/ENETUNREACH/);
  });

  it("connected datagrams number their IP IDs from a random start, one by one", () => {
    const { sim, a, captured } = twoHosts(7);
    const s = a.udp.socket().connect(ipv4("10.0.0.2"), 7);
    for (let i = 0; i < 3; i++) s.send(enc("x"));
    sim.run({ until: SECOND });
    const ids = captured.filter((f) => f[23] === 17).map((f) => (f[18]! << 8) | f[19]!);
    expect(ids).toHaveLength(3);
    expect(ids[1]).toBe((ids[0]! + 1) & 0xffff);
    expect(ids[2]).toBe((ids[0]! + 2) & 0xffff);
  });

  it("ICMP errors are rate-limited per destination as on Linux: a burst of 6, then one per second", () => {
    // Linux 6.18, same sequence: 10 datagrams to a closed port, 3 more 1.05 s later, 3 more 2.05 s
    // after that: 6, 1 and 2 port unreachables came back.
    const { sim, a, captured } = twoHosts();
    const s = a.udp.socket().bind();
    const burst = (n: number) => {
      for (let i = 0; i < n; i++) s.send(enc("x"), ipv4("10.0.0.2"), 9);
    };
    burst(1);
    sim.run({ until: SECOND });
    const unreachables = () => captured.filter((f) => f[23] === 1 && f[34] === 3).length;
    const before = unreachables(); // the first datagram (after ARP) got one
    sim.scheduleAt(10 * SECOND, () => burst(10));
    sim.scheduleAt(11_050_000_000, () => burst(3));
    sim.scheduleAt(13_100_000_000, () => burst(3));
    sim.run({ until: 10 * SECOND + 1 });
    expect(unreachables() - before).toBe(6);
    sim.run({ until: 11 * SECOND + 100_000_000 });
    expect(unreachables() - before).toBe(7);
    sim.run({ until: 14 * SECOND });
    expect(unreachables() - before).toBe(9);
  });

  it("broadcast needs SO_BROADCAST; then it goes out to ff:ff:ff:ff:ff:ff and loops back to the sender", () => {
    const { sim, a, b, captured } = twoHosts();
    const got: string[] = [];
    b.udp.socket().bind(0, 7000).onMessage = (d) => got.push(`b:${new TextDecoder().decode(d.data)}`);
    a.udp.socket().bind(0, 7000).onMessage = (d) => got.push(`a:${new TextDecoder().decode(d.data)}`);
    const s = a.udp.socket().bind();
    expect(() => s.send(enc("x"), ipv4("10.0.0.255"), 7000)).toThrow(/EACCES/);
    s.broadcast = true;
    s.send(enc("hi all"), ipv4("10.0.0.255"), 7000);
    sim.run({ until: SECOND });
    expect(got.sort()).toEqual(["a:hi all", "b:hi all"]);
    expect(toHex(captured[0]!.subarray(0, 6))).toBe("ffffffffffff");
  });
});
