/**
 * The virtual kernel against the Linux fixture `arp-icmp-echo`: two namespaces on a veth, one
 * pings the other. The frames on the sender's veth must equal Linux's byte for byte, apart from
 * what Linux picks at random (IP IDs, and so the IP header checksum).
 */

import { describe, expect, it } from "vitest";
import { SEND_NO_ROUTE } from "../../src/kernel/ipv4-stack.js";
import { Packet } from "../../src/link/packet.js";
import { MILLISECOND } from "../../src/sim/time.js";
import { toHex } from "../../src/util/bytes.js";
import { ipv4 } from "../../src/util/ipv4-address.js";
import { IPPROTO_ICMP, Ipv4View } from "../../src/wire/ipv4.js";
import { fixtureFrames } from "../helpers/fixtures.js";
import { twoHosts } from "../helpers/topologies.js";

/** IP ID and header checksum zeroed: the fields Linux chooses at random. */
function normalise(frame: Uint8Array): string {
  const f = frame.slice();
  if (f[12] === 0x08 && f[13] === 0x00) {
    f[18] = f[19] = 0; // id
    f[24] = f[25] = 0; // header checksum
  }
  return toHex(f);
}

describe("IPv4 stack: ping across a veth, as Linux does it", () => {
  it("ARP request, reply, then echo requests answered by the kernel: same bytes as the Linux capture", () => {
    const linux = fixtureFrames("arp-icmp-echo");
    const { sim, a, captured } = twoHosts();
    // The echo requests carry exactly the ICMP message Linux's ping sent (id, seq, timestamp, data).
    const requests = linux.filter((f) => f.length === 98 && f[34] === 8);
    requests.forEach((req, i) => {
      sim.scheduleAt(i * 200 * MILLISECOND, () => {
        const icmp = Packet.from(req.subarray(34));
        a.ipv4.send(icmp, IPPROTO_ICMP, ipv4("10.0.0.2"));
      });
    });
    sim.run({ until: 1000 * MILLISECOND });
    expect(captured.map(normalise)).toEqual(linux.map(normalise));
    // Later, b's entry for a (learned from a's request, used for the replies) is re-probed with a
    // unicast request 5 s after first use; a answers.
    sim.run({ until: 6000 * MILLISECOND });
    expect(captured.slice(linux.length).map((f) => toHex(f.subarray(0, 22)))).toEqual([
      "02000000000a02000000000b08060001080006040001",
      "02000000000b02000000000a08060001080006040002",
    ]);
  });

  it("kernel replies have DF clear, TTL 64 and IDs from a per-destination counter", () => {
    const { sim, a, captured } = twoHosts();
    for (let i = 0; i < 3; i++) {
      sim.scheduleAt(i * MILLISECOND, () => {
        const p = Packet.from(new Uint8Array([8, 0, 0xf7, 0xfe, 0, 1, 0, 0]));
        a.ipv4.send(p, IPPROTO_ICMP, ipv4("10.0.0.2"));
      });
    }
    sim.run();
    const replies = captured
      .filter((f) => f[12] === 0x08 && f[13] === 0 && f[34] === 0)
      .map((f) => new Ipv4View().wrap(f, 14));
    expect(replies).toHaveLength(3);
    expect(replies.map((r) => [r.df, r.ttl, r.checksumValid])).toEqual([
      [false, 64, true],
      [false, 64, true],
      [false, 64, true],
    ]);
    expect(replies[1]!.id).toBe((replies[0]!.id + 1) & 0xffff);
    expect(replies[2]!.id).toBe((replies[0]!.id + 2) & 0xffff);
  });

  it("the peer learns the asker from its request (STALE) and the asker is REACHABLE after the reply", () => {
    const { sim, a, b, va, vb } = twoHosts();
    a.ipv4.send(Packet.from(new Uint8Array([8, 0, 0xf7, 0xfe, 0, 1, 0, 0])), IPPROTO_ICMP, ipv4("10.0.0.2"));
    sim.run({ until: MILLISECOND });
    expect(a.neigh.get(va.ifindex, ipv4("10.0.0.2"))?.state).toBe("REACHABLE");
    // b heard a's request (STALE), then used the entry for its echo reply: DELAY.
    expect(b.neigh.get(vb.ifindex, ipv4("10.0.0.1"))?.state).toBe("DELAY");
  });

  it("no route: send refuses; an address on a down device has no connected route", () => {
    const { a, va } = twoHosts();
    expect(a.ipv4.send(Packet.alloc(8), IPPROTO_ICMP, ipv4("192.0.2.1"))).toBe(SEND_NO_ROUTE);
    a.setUp(va, false);
    expect(a.main.routes()).toEqual([]);
    a.setUp(va, true);
    expect(a.main.routes().map((r) => [r.dst, r.prefixLen])).toEqual([[ipv4("10.0.0.0"), 24]]);
  });

  it("net.ipv4.neigh.DEV.delay_first_probe_time moves the unicast re-probe", () => {
    const { sim, a, b, captured } = twoHosts();
    b.sysctl.set("net.ipv4.neigh.veth-b.delay_first_probe_time", "2");
    a.ipv4.send(Packet.from(new Uint8Array([8, 0, 0xf7, 0xfe, 0, 1, 0, 0])), IPPROTO_ICMP, ipv4("10.0.0.2"));
    sim.run({ until: 3000 * MILLISECOND });
    const arpTimes = captured.filter((f) => f[12] === 0x08 && f[13] === 0x06).length;
    expect(arpTimes).toBe(4); // request + reply, then b's unicast probe at 2 s + a's reply
  });

  it("fragments a 2008-byte ping and its reply, and a 3000-byte UDP datagram, as Linux did", () => {
    const linux = fixtureFrames("ip-fragments");
    const { sim, a, captured } = twoHosts();
    a.ipv4.send(Packet.from(new Uint8Array([8, 0, 0xf7, 0xfe, 0, 1, 0, 0])), IPPROTO_ICMP, ipv4("10.0.0.2"));
    sim.run({ until: 1000 * MILLISECOND });
    captured.length = 0;
    // The ICMP message Linux's ping sent, put back together from its two fragments.
    const echo = new Uint8Array([...linux[0]!.subarray(34), ...linux[1]!.subarray(34)]);
    a.ipv4.send(Packet.from(echo), IPPROTO_ICMP, ipv4("10.0.0.2"));
    sim.run({ until: 2000 * MILLISECOND });
    const s = a.udp.socket().bind(ipv4("10.0.0.1"), 41936);
    s.send(new Uint8Array(3000).fill(0x75), ipv4("10.0.0.2"), 9);
    sim.run({ until: 3000 * MILLISECOND });
    const norm = (f: Uint8Array) => {
      const g = f.slice();
      g.fill(0, 18, 20);
      g.fill(0, 24, 26);
      if (g[23] === 1 && g[34] === 3) {
        g.fill(0, 36, 38); // ICMP checksum
        g.fill(0, 46, 48); // quoted IP ID
        g.fill(0, 52, 54); // quoted IP checksum
      }
      return toHex(g);
    };
    expect(captured.map(norm)).toEqual(linux.map(norm));
  });

  it("echo requests to a broadcast address go unanswered (icmp_echo_ignore_broadcasts=1), and all with icmp_echo_ignore_all", () => {
    const { sim, a, b, captured } = twoHosts();
    const echo = () => Packet.from(new Uint8Array([8, 0, 0xf7, 0xfe, 0, 1, 0, 0]));
    a.ipv4.send(echo(), IPPROTO_ICMP, ipv4("10.0.0.2"));
    sim.run({ until: 100 * MILLISECOND });
    const replies = () => captured.filter((f) => f[23] === 1 && f[34] === 0).length;
    expect(replies()).toBe(1);
    b.sysctl.set("net.ipv4.icmp_echo_ignore_all", "1");
    a.ipv4.send(echo(), IPPROTO_ICMP, ipv4("10.0.0.2"));
    sim.run({ until: 200 * MILLISECOND });
    expect(replies()).toBe(1);
  });
});
