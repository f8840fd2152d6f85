/**
 * NAT (src/netfilter/nat.ts): scenarios/nat.dw end to end — MASQUERADE of containers behind a
 * router, DNAT of a published port, two containers with the same source port — and properties:
 * every rewrite leaves checksums equal to a full recompute, and reply tuples stay unique.
 */

import { mkdtempSync, readFileSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import fc from "fast-check";
import { afterAll, describe, expect, it } from "vitest";
import { readPcap } from "../../src/capture/pcap-reader.js";
import { Packet } from "../../src/link/packet.js";
import { ConntrackEntry } from "../../src/netfilter/conntrack.js";
import { bind, MANIP_DST, MANIP_SRC, rewrite } from "../../src/netfilter/nat.js";
import { runScenario } from "../../src/scenario/runner.js";
import { put16, put32 } from "../../src/util/bytes.js";
import { checksum, pseudoHeaderSum } from "../../src/util/checksum.js";
import { decodeFrame } from "../../src/wire/frame.js";
import { normaliseCapture } from "../helpers/linux-frames.js";
import { runLines } from "../helpers/scenario.js";
import { itWithTshark, tsharkReport } from "../helpers/tshark.js";

const tmp = mkdtempSync(join(tmpdir(), "dockwire-nat-"));
afterAll(() => rmSync(tmp, { recursive: true, force: true }));
const text = readFileSync(new URL("../../scenarios/nat.dw", import.meta.url), "utf8");
const lines: string[] = [];
const result = runScenario(text, {
  seed: 1,
  outDir: tmp,
  pcapng: false,
  application: "test",
  print: (l) => lines.push(l),
});
const frames = (file: string) =>
  readPcap(readFileSync(join(tmp, file))).records.map((r) => decodeFrame(r.data));
const ip = (a: string) => a.split(".").reduce((n, x) => n * 256 + Number(x), 0);

describe("scenarios/nat.dw", () => {
  it("runs; the container reaches the outside, the outside reaches the published port", () => {
    expect(result.exit).toBe(0);
    expect(lines.filter((l) => l === "<html><body><h1>It works!</h1></body></html>")).toHaveLength(2);
    expect(lines).toContain("1 packets transmitted, 1 received, 0% packet loss, time 0ms");
  });

  it("outside, every packet from the containers carries the router's address (MASQUERADE)", () => {
    const out = frames("outside.pcap").filter((f) => f.ipv4);
    expect(out.some((f) => f.ipv4?.src === ip("172.17.0.2") || f.ipv4?.dst === ip("172.17.0.2"))).toBe(false);
    expect(out.filter((f) => f.ipv4?.src === ip("192.0.2.1")).length).toBeGreaterThan(10);
  });

  it("inside, the published port's connection arrives from the client at the container's port 80 (DNAT)", () => {
    // (Packets from 192.0.2.10's port 80 are answers to the container's own fetch.)
    const inside = frames("c1.pcap").filter(
      (f) => f.tcp && f.ipv4?.src === ip("192.0.2.10") && f.tcp.srcPort !== 80,
    );
    expect(inside.length).toBeGreaterThan(0);
    for (const f of inside) {
      expect(f.ipv4?.dst).toBe(ip("172.17.0.2"));
      expect(f.tcp?.dstPort).toBe(80);
    }
  });

  it("two containers with the same source port: the second is given another port outside", () => {
    const ct = lines.filter((l) => /sport=40000 dport=80/.test(l));
    expect(ct).toHaveLength(2);
    const outsidePorts = ct.map((l) => /dport=(\d+) \[ASSURED\]/.exec(l)?.[1]);
    expect(outsidePorts[0]).toBe("40000");
    expect(outsidePorts[1]).not.toBe("40000");
  });

  itWithTshark("both captures have valid checksums everywhere and no warnings", () => {
    for (const f of ["outside.pcap", "c1.pcap"]) {
      const r = tsharkReport(join(tmp, f));
      expect(r.errors).toEqual([]);
      expect(r.warnings).toEqual([]);
    }
  });
});

/** A packet with a valid IPv4 header and TCP, UDP or ICMP echo payload, head at the IP header. */
function makePacket(
  protocol: number,
  src: number,
  dst: number,
  sport: number,
  dport: number,
  payload: number[],
): Packet {
  const l4len = protocol === 1 ? 8 : protocol === 6 ? 20 : 8;
  const p = Packet.alloc(20 + l4len + payload.length);
  const b = p.buf;
  const o = p.head;
  b[o] = 0x45;
  put16(b, o + 2, p.length);
  b[o + 8] = 64;
  b[o + 9] = protocol;
  put32(b, o + 12, src);
  put32(b, o + 16, dst);
  put16(b, o + 10, checksum(b, o, 20));
  const l4 = o + 20;
  payload.forEach((x, i) => {
    b[l4 + l4len + i] = x;
  });
  const len = l4len + payload.length;
  if (protocol === 1) {
    b[l4] = 8;
    put16(b, l4 + 4, sport);
    put16(b, l4 + 2, checksum(b, l4, len));
  } else {
    put16(b, l4, sport);
    put16(b, l4 + 2, dport);
    if (protocol === 6) b[l4 + 12] = 0x50;
    else put16(b, l4 + 4, len);
    const at = l4 + (protocol === 6 ? 16 : 6);
    put16(b, at, checksum(b, l4, len, pseudoHeaderSum(src, dst, protocol, len)) || 0xffff);
  }
  return p;
}

function checksumsValid(p: Packet): boolean {
  const b = p.buf;
  const o = p.head;
  if (checksum(b, o, 20) !== 0) return false;
  const protocol = b[o + 9] as number;
  const len = p.length - 20;
  const src =
    ((b[o + 12] as number) * 2 ** 24 +
      ((b[o + 13] as number) << 16) +
      ((b[o + 14] as number) << 8) +
      (b[o + 15] as number)) >>>
    0;
  const dst =
    ((b[o + 16] as number) * 2 ** 24 +
      ((b[o + 17] as number) << 16) +
      ((b[o + 18] as number) << 8) +
      (b[o + 19] as number)) >>>
    0;
  if (protocol === 1) return checksum(b, o + 20, len) === 0;
  return checksum(b, o + 20, len, pseudoHeaderSum(src, dst, protocol, len)) === 0;
}

describe("NAT properties", () => {
  const u32 = fc.integer({ min: 1, max: 0xfffffffe });
  const port = fc.integer({ min: 1, max: 65535 });

  it("every rewrite, both directions, leaves IP/TCP/UDP/ICMP checksums equal to a full recompute", () => {
    fc.assert(
      fc.property(
        fc.constantFrom(1, 6, 17),
        u32,
        u32,
        port,
        port,
        u32,
        port,
        fc.boolean(),
        fc.uint8Array({ maxLength: 40 }),
        (protocol, src, dst, sport, dport, natAddr, natPort, snat, payload) => {
          const dportT = protocol === 1 ? 8 << 8 : dport;
          const e = new ConntrackEntry(
            1,
            protocol,
            { src, dst, sport, dport: dportT },
            {
              src: dst,
              dst: src,
              sport: protocol === 1 ? sport : dport,
              dport: protocol === 1 ? 0 : sport,
            },
          );
          bind(
            e,
            snat ? MANIP_SRC : MANIP_DST,
            natAddr,
            protocol === 1 ? 0 : natPort,
            protocol === 1 ? 0 : natPort,
            () => true,
            (n) => n - 1,
          );
          const out = makePacket(protocol, src, dst, sport, dport, [...payload]);
          rewrite(out, e, false, snat ? MANIP_SRC : MANIP_DST);
          expect(checksumsValid(out)).toBe(true);
          // The reply, as the other side sends it, maps back to the original addresses.
          const r = e.reply;
          const back = makePacket(protocol, r.src, r.dst, protocol === 1 ? r.sport : r.sport, r.dport, [
            ...payload,
          ]);
          if (protocol === 1) back.buf[back.head + 20] = 0;
          if (protocol === 1) {
            put16(back.buf, back.head + 22, 0);
            put16(back.buf, back.head + 22, checksum(back.buf, back.head + 20, back.length - 20));
          }
          rewrite(back, e, true, snat ? MANIP_DST : MANIP_SRC);
          expect(checksumsValid(back)).toBe(true);
          const b = back.buf;
          const o = back.head;
          const addrAt = snat ? 16 : 12;
          const got =
            ((b[o + addrAt] as number) * 2 ** 24 +
              ((b[o + addrAt + 1] as number) << 16) +
              ((b[o + addrAt + 2] as number) << 8) +
              (b[o + addrAt + 3] as number)) >>>
            0;
          expect(got).toBe(snat ? src : dst);
        },
      ),
    );
  });

  it("MASQUERADE keeps reply tuples unique however many connections share a source port", () => {
    fc.assert(
      fc.property(fc.array(fc.integer({ min: 0, max: 3 }), { minLength: 1, maxLength: 40 }), (hosts) => {
        const used = new Set<string>();
        hosts.forEach((h, i) => {
          const e = new ConntrackEntry(
            i,
            6,
            { src: 0xac110002 + h, dst: 0xc000020a, sport: 40000, dport: 80 },
            { src: 0xc000020a, dst: 0xac110002 + h, sport: 80, dport: 40000 },
          );
          let seed = i * 7919;
          bind(
            e,
            MANIP_SRC,
            0xc0000201,
            0,
            0,
            (t) => used.has(`${t.src}:${t.sport}:${t.dst}:${t.dport}`),
            (n) => (seed = (seed * 31 + 7) % n),
          );
          const k = `${e.reply.src}:${e.reply.sport}:${e.reply.dst}:${e.reply.dport}`;
          expect(used.has(k)).toBe(false);
          used.add(k);
        });
      }),
    );
  });

  it("MASQUERADE --random picks a port from 1024-65535 even when the container's own port is free", () => {
    const masquerade = (randomPort: boolean) => {
      const e = new ConntrackEntry(
        1,
        6,
        { src: 0xac110002, dst: 0xc000020a, sport: 40000, dport: 80 },
        { src: 0xc000020a, dst: 0xac110002, sport: 80, dport: 40000 },
      );
      bind(
        e,
        MANIP_SRC,
        0xc0000201,
        0,
        0,
        () => false,
        (span) => 1234 % span,
        randomPort,
      );
      return e.reply.dport;
    };
    expect(masquerade(false)).toBe(40000);
    expect(masquerade(true)).toBe(1024 + 1234);
  });
});

describe("scenarios/nat.dw against Linux (make-nat-fixtures.sh)", () => {
  const linuxText = readFileSync(
    new URL("../fixtures/linux/netfilter/nat-transcript.txt", import.meta.url),
    "utf8",
  ).split("\n");
  const linuxPcap = (f: string) => readFileSync(new URL(`../fixtures/linux/netfilter/${f}`, import.meta.url));
  const section = (ls: string[], cmd: string) => {
    const i = ls.indexOf(`$ ${cmd}`);
    const j = ls.findIndex((l, k) => k > i && l.startsWith("$ "));
    return ls
      .slice(i + 1, j < 0 ? undefined : j)
      .filter((l) => l !== "" && !/packets (captured|received|dropped)|^wrote /.test(l));
  };

  it("the same frames outside and in the container, byte for byte", () => {
    // Compared as sets: which of a server's FIN and the client's ACK crosses the router first is
    // a race on Linux (the server program's close against the round trip), not NAT's business.
    const keep = [8080, 40000];
    const ours = (f: string) => normaliseCapture(readFileSync(join(tmp, f)), keep).sort();
    const linux = (f: string) => normaliseCapture(linuxPcap(f), keep).sort();
    expect(ours("outside.pcap")).toEqual(linux("nat-outside.pcap"));
    expect(ours("c1.pcap")).toEqual(linux("nat-c1.pcap"));
  });

  it("the same conntrack entries (ports and seconds aside; Linux's IGMP entry aside) and nat counters", () => {
    const mask = (l: string) =>
      l
        .replace(/(sport|dport|id)=(\d+)/g, (m, k, v) =>
          v === "40000" || v === "8080" || Number(v) < 1024 ? m : `${k}=P`,
        )
        .replace(/^(\w+ +\d+) \d+/, "$1 T");
    const entries = (ls: string[]) =>
      ls
        .filter((l) => /^(tcp|udp|icmp) /.test(l))
        .map(mask)
        .sort();
    expect(entries(section(lines, "ip netns exec router conntrack -L"))).toEqual(
      entries(section(linuxText, "ip netns exec router conntrack -L")),
    );
    expect(section(lines, "ip netns exec router iptables -t nat -L -n -v")).toEqual(
      section(linuxText, "ip netns exec router iptables -t nat -L -n -v"),
    );
  });
});

describe("ICMP errors through NAT", () => {
  const scenario = readFileSync(new URL("../../scenarios/nat.dw", import.meta.url), "utf8")
    .split("\n")
    .filter((l) => !/curl|ping|nc -zv|conntrack|iptables -t nat -L|tcpdump|httpd/.test(l))
    .concat([
      "ip netns exec c1 tcpdump -n -i eth0 -w c1-icmp.pcap &",
      "echo hi | ip netns exec c1 nc -u -w 1 192.0.2.10 9999",
    ])
    .join("\n");
  const dir = join(tmp, "icmp");
  runScenario(scenario, { seed: 1, outDir: dir, pcapng: false, application: "test", print: () => {} });

  it("a port unreachable for a masqueraded datagram reaches the container, quoting the datagram as the container sent it", () => {
    const fs = readPcap(readFileSync(join(dir, "c1-icmp.pcap"))).records.map((r) => decodeFrame(r.data));
    const udp = fs.find((f) => f.udp);
    const err = fs.find((f) => f.icmp?.type === 3);
    expect(err?.ipv4?.dst).toBe(ip("172.17.0.2"));
    const quoted = decodeFrame(
      Uint8Array.from([...new Uint8Array(14), ...(err?.payload ?? [])])
        .fill(0x08, 12, 13)
        .fill(0, 13, 14),
    );
    expect(quoted.ipv4?.src).toBe(ip("172.17.0.2"));
    expect(quoted.udp?.srcPort).toBe(udp?.udp?.srcPort);
    // The quoted IP header and UDP datagram carry checksums valid for what they now say.
    const inner = err?.payload as Uint8Array;
    expect(checksum(inner, 0, 20)).toBe(0);
    expect(
      checksum(
        inner,
        20,
        inner.length - 20,
        pseudoHeaderSum(ip("172.17.0.2"), ip("192.0.2.10"), 17, inner.length - 20),
      ),
    ).toBe(0);
  });

  itWithTshark("with every checksum, outer and quoted, valid", () => {
    const r = tsharkReport(join(dir, "c1-icmp.pcap"));
    expect(r.errors).toEqual([]);
    expect(r.warnings).toEqual([]);
  });
});

describe("SNAT, REDIRECT and conntrack's original-tuple matches", () => {
  it("SNAT --to-source, REDIRECT --to-ports, and a FORWARD policy DROP that lets DNATed connections in by --ctorigdstport", () => {
    const base = readFileSync(new URL("../../scenarios/nat.dw", import.meta.url), "utf8")
      .split("\n")
      .filter((l) => !/curl|ping|nc -zv|conntrack|iptables -t nat|tcpdump/.test(l));
    const extra = [
      "ip netns exec router iptables -t nat -A POSTROUTING -s 172.17.0.0/16 -o ext0 -j SNAT --to-source 192.0.2.1",
      "ip netns exec router iptables -t nat -A PREROUTING -p tcp --dport 8080 -j DNAT --to-destination 172.17.0.2:80",
      "ip netns exec router iptables -P FORWARD DROP",
      "ip netns exec router iptables -A FORWARD -m conntrack --ctstate RELATED,ESTABLISHED -j ACCEPT",
      "ip netns exec router iptables -A FORWARD -m conntrack --ctstate NEW --ctorigdstport 8080 -j ACCEPT",
      "ip netns exec router iptables -A FORWARD -i br0 -m conntrack --ctstate NEW -j ACCEPT",
      "ip netns exec outside iptables -t nat -A PREROUTING -p tcp --dport 8081 -j REDIRECT --to-ports 80",
      "ip netns exec outside tcpdump -n -i eth0 -w snat.pcap &",
      "ip netns exec c1 curl -s http://192.0.2.10:8081/",
      "ip netns exec outside curl -s http://192.0.2.1:8080/",
      "ip netns exec outside curl -s --connect-timeout 1 http://192.0.2.1:9090/ || true",
      "ip netns exec router iptables -L FORWARD -n -v",
    ];
    const out: string[] = [];
    const dir = join(tmp, "snat");
    runScenario([...base, ...extra].join("\n"), {
      seed: 2,
      outDir: dir,
      pcapng: false,
      application: "test",
      print: (l) => out.push(l),
    });
    // c1 reached the outside's httpd through REDIRECT (8081 → 80), with the router's address.
    expect(out.filter((l) => l === "<html><body><h1>It works!</h1></body></html>")).toHaveLength(2);
    const outside = readPcap(readFileSync(join(dir, "snat.pcap"))).records.map((r) => decodeFrame(r.data));
    expect(outside.some((f) => f.ipv4?.src === ip("192.0.2.1") && f.tcp?.dstPort === 8081)).toBe(true);
    // The DNATed connection was let in by its original destination port; 9090 was not.
    const rule = out.find((l) => l.includes("ctorigdstport 8080") && !l.startsWith("$"));
    expect(rule).toMatch(/^ +1 +60 ACCEPT/);
  });
});

describe("ICMP errors through NAT against Linux (make-nat-icmp-fixtures.sh)", () => {
  const dir = join(tmp, "nat-icmp");
  const { lines: out } = runLines(
    `
ip netns add c
ip netns add r1
ip netns add r2
ip netns add out
ip -n r1 link add br0 address 02:00:00:00:0e:01 type bridge
ip link add eth0 netns c address 02:00:00:00:0e:02 type veth peer name v1 netns r1 address 02:00:00:00:0e:03
ip link add up0 netns r1 address 02:00:00:00:0e:04 type veth peer name down0 netns r2 address 02:00:00:00:0e:05
ip link add eth0 netns out address 02:00:00:00:0e:06 type veth peer name out0 netns r2 address 02:00:00:00:0e:07
ip -n r1 link set v1 master br0
ip -n r1 addr add 172.17.0.1/16 dev br0
ip -n r1 addr add 198.51.100.1/24 dev up0
ip -n r2 addr add 198.51.100.2/24 dev down0
ip -n r2 addr add 192.0.2.1/24 dev out0
ip -n c addr add 172.17.0.2/16 dev eth0
ip -n out addr add 192.0.2.10/24 dev eth0
ip -n r1 link set br0 up
ip -n r1 link set v1 up
ip -n r1 link set up0 up
ip -n r2 link set down0 up
ip -n r2 link set out0 up
ip -n c link set eth0 up
ip -n out link set eth0 up
ip -n c route add default via 172.17.0.1
ip -n r1 route add default via 198.51.100.2
ip -n out route add default via 192.0.2.1
ip netns exec r1 sysctl -w net.ipv4.ip_forward=1
ip netns exec r2 sysctl -w net.ipv4.ip_forward=1
ip netns exec r1 iptables -t nat -A POSTROUTING -s 172.17.0.0/16 ! -o br0 -j MASQUERADE
ip netns exec c tcpdump -n -i eth0 -w nat-icmp-c.pcap &
ip netns exec r2 tcpdump -n -i down0 -w nat-icmp-up.pcap &
echo hi | ip netns exec c nc -u -w 1 192.0.2.10 9999
ip netns exec c ping -c 1 -t 2 -W 1 192.0.2.10 || true
`,
    dir,
  );
  const linux = (f: string) => readFileSync(new URL(`../fixtures/linux/netfilter/${f}`, import.meta.url));

  it("ping reports the time exceeded from the router beyond the NAT", () => {
    expect(out).toContain("From 198.51.100.2 icmp_seq=1 Time to live exceeded");
  });

  it("the same frames in the container and on the uplink, quoted packets included", () => {
    const noIgmp = (hex: string[]) => hex.filter((h) => !h.startsWith("01005e"));
    for (const f of ["nat-icmp-c.pcap", "nat-icmp-up.pcap"]) {
      expect(normaliseCapture(readFileSync(join(dir, f)), [9999]).sort()).toEqual(
        noIgmp(normaliseCapture(linux(f), [9999])).sort(),
      );
    }
  });
});
