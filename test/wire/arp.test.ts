/**
 * ARP (src/wire/arp.ts): Linux's ARP frames from the wire fixtures decoded, rebuilt byte for byte
 * and printed as tcpdump printed them (-n, -e, -v); the opcodes and odd cases Linux does not send,
 * against text the real tcpdump 4.99.3 printed for the same bytes; properties over all records and
 * byte strings.
 */

import { execFileSync } from "node:child_process";
import { mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import fc from "fast-check";
import { describe, expect, it } from "vitest";
import { MemorySink } from "../../src/capture/byte-sink.js";
import { PcapWriter } from "../../src/capture/pcap-writer.js";
import { ParseError } from "../../src/util/errors.js";
import { ipv4 } from "../../src/util/ipv4-address.js";
import { mac } from "../../src/util/mac-address.js";
import {
  ARP_LEN,
  ARP_NAK,
  ARP_REPLY,
  ARP_REQUEST,
  ARP_RREPLY,
  ARP_RREQUEST,
  type ArpPacket,
  ArpView,
  arpHeaderLength,
  emitArp,
  parseArp,
  summarizeArp,
} from "../../src/wire/arp.js";
import {
  ETHERTYPE_ARP,
  EthernetView,
  emitEthernet,
  parseEthernet,
  summarizeEthernet,
} from "../../src/wire/ethernet.js";
import { fixtureFrames, fixtureText, WIRE_FIXTURES } from "../helpers/fixtures.js";

interface Found {
  /** Index of the tcpdump line: one per frame, two for a VXLAN frame (outer, inner). */
  line: number;
  bytes: Uint8Array;
  /** Start of the Ethernet header and of the ARP packet; end of the frame. */
  eth: number;
  arp: number;
  end: number;
}

/** Every ARP packet in a fixture, VXLAN-carried ones included, with the tcpdump line it printed as. */
function arpPackets(name: string): Found[] {
  const found: Found[] = [];
  let line = 0;
  for (const bytes of fixtureFrames(name)) {
    let off = 0;
    for (;;) {
      const eth = new EthernetView().wrap(bytes, off);
      const p = eth.payloadOffset;
      if (eth.etherType === ETHERTYPE_ARP) found.push({ line, bytes, eth: off, arp: p, end: bytes.length });
      line++;
      const udp = p + ((bytes[p] as number) & 15) * 4;
      const isVxlan =
        eth.etherType === 0x0800 && bytes[p + 9] === 17 && bytes[udp + 2] === 0x12 && bytes[udp + 3] === 0xb5;
      if (!isVxlan) break;
      off = udp + 16;
    }
  }
  return found;
}

describe("ARP in the Linux fixtures", () => {
  it("arp-icmp-echo: the broadcast request and the unicast reply, field by field", () => {
    const [req, rep] = arpPackets("arp-icmp-echo");
    expect(parseArp(req!.bytes, req!.arp)).toEqual({
      op: ARP_REQUEST,
      senderMac: mac("02:00:00:00:00:0a"),
      senderIp: ipv4("10.0.0.1"),
      targetMac: 0,
      targetIp: ipv4("10.0.0.2"),
    });
    expect(parseArp(rep!.bytes, rep!.arp)).toEqual({
      op: ARP_REPLY,
      senderMac: mac("02:00:00:00:00:0b"),
      senderIp: ipv4("10.0.0.2"),
      targetMac: mac("02:00:00:00:00:0a"),
      targetIp: ipv4("10.0.0.1"),
    });
    const v = new ArpView().wrap(rep!.bytes, rep!.arp);
    expect([v.op, v.senderMac, v.senderIp, v.targetMac, v.targetIp]).toEqual([
      2,
      mac("02:00:00:00:00:0b"),
      ipv4("10.0.0.2"),
      mac("02:00:00:00:00:0a"),
      ipv4("10.0.0.1"),
    ]);
  });

  const withArp = WIRE_FIXTURES.filter((n) => arpPackets(n).length > 0);

  it("the fixtures with ARP are the ones that should have it", () => {
    expect(withArp).toEqual(["arp-icmp-echo", "icmp-host-unreachable", "vlan", "vxlan"]);
  });

  it.each(withArp)("%s: decode, rebuild the same 28 bytes, print the -n, -e and -v lines", (name) => {
    const plain = fixtureText(name);
    const link = fixtureText(name, "-e");
    const verbose = fixtureText(name, "-v").filter((l) => !l.startsWith(" ") && !l.startsWith("\t"));
    for (const f of arpPackets(name)) {
      const p = parseArp(f.bytes, f.arp, f.end);
      const again = new Uint8Array(ARP_LEN);
      expect(emitArp(p, again, 0)).toBe(arpHeaderLength(p));
      expect(again).toEqual(f.bytes.subarray(f.arp, f.arp + ARP_LEN));
      expect(f.end - f.arp).toBe(ARP_LEN); // no padding on veth
      const length = f.end - f.arp;
      expect(`ARP, ${summarizeArp(p, length)}`).toBe(plain[f.line]);
      const eth = parseEthernet(f.bytes, f.eth, f.end);
      expect(summarizeEthernet(eth, f.end - f.eth) + summarizeArp(p, length)).toBe(link[f.line]);
      expect(`ARP, ${summarizeArp(p, length, { verbose: true })}`).toBe(verbose[f.line]);
    }
  });
});

const a = mac("02:00:00:00:00:0a");
const b = mac("02:00:00:00:00:0b");
const ip1 = ipv4("10.0.0.1");
const ip2 = ipv4("10.0.0.2");

/** An ARP frame from 02:00:00:00:01:fe to 02:00:00:00:01:0a with `padding` after the 28 bytes. */
function frame(p: ArpPacket, padding: number[] = []): Uint8Array {
  const f = new Uint8Array(14 + ARP_LEN + padding.length);
  emitEthernet(
    { dst: mac("02:00:00:00:01:0a"), src: mac("02:00:00:00:01:fe"), etherType: ETHERTYPE_ARP },
    f,
    0,
  );
  emitArp(p, f, 14);
  f.set(padding, 14 + ARP_LEN);
  return f;
}

/**
 * Frames Linux's fixtures do not contain, and the `tcpdump -n -t` text tcpdump 4.99.3 printed for
 * exactly these bytes (checked again below whenever tcpdump is installed).
 */
const cases: Array<[string, Uint8Array, string]> = [
  [
    "unicast re-probe: the target MAC Linux already knows is named",
    frame({ op: 1, senderMac: a, senderIp: ip1, targetMac: b, targetIp: ip2 }),
    "ARP, Request who-has 10.0.0.2 (02:00:00:00:00:0b) tell 10.0.0.1, length 28",
  ],
  [
    "any non-zero target MAC is named, broadcast too",
    frame({ op: 1, senderMac: a, senderIp: ip1, targetMac: mac("ff:ff:ff:ff:ff:ff"), targetIp: ip2 }),
    "ARP, Request who-has 10.0.0.2 (ff:ff:ff:ff:ff:ff) tell 10.0.0.1, length 28",
  ],
  [
    "address probe (RFC 5227) from 0.0.0.0",
    frame({ op: 1, senderMac: a, senderIp: 0, targetMac: 0, targetIp: ip2 }),
    "ARP, Request who-has 10.0.0.2 tell 0.0.0.0, length 28",
  ],
  [
    "padded to 60 bytes: the length counts the padding",
    frame({ op: 2, senderMac: b, senderIp: ip2, targetMac: a, targetIp: ip1 }, new Array(18).fill(0)),
    "ARP, Reply 10.0.0.2 is-at 02:00:00:00:00:0b, length 46",
  ],
  [
    "RARP request",
    frame({ op: ARP_RREQUEST, senderMac: a, senderIp: ip1, targetMac: b, targetIp: ip2 }),
    "ARP, Reverse Request who-is 02:00:00:00:00:0b tell 02:00:00:00:00:0a, length 28",
  ],
  [
    "RARP reply",
    frame({ op: ARP_RREPLY, senderMac: a, senderIp: ip1, targetMac: b, targetIp: ip2 }),
    "ARP, Reverse Reply 02:00:00:00:00:0b at 10.0.0.2, length 28",
  ],
  [
    "InARP request",
    frame({ op: 8, senderMac: a, senderIp: ip1, targetMac: b, targetIp: ip2 }),
    "ARP, Inverse Request who-is 02:00:00:00:00:0b tell 02:00:00:00:00:0a, length 28",
  ],
  [
    "InARP reply",
    frame({ op: 9, senderMac: a, senderIp: ip1, targetMac: b, targetIp: ip2 }),
    "ARP, Inverse Reply 02:00:00:00:00:0a at 10.0.0.1, length 28",
  ],
  [
    "an unknown opcode: a hex dump of the packet and its padding instead of a length",
    frame(
      { op: 5, senderMac: a, senderIp: ip1, targetMac: b, targetIp: ip2 },
      [0x41, 0x42, 0x20, 0x7e, 0x7f, 0x21, 0x30, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 1],
    ),
    "ARP, Unknown (5) \n" +
      "\t0x0000:  0001 0800 0604 0005 0200 0000 000a 0a00  ................\n" +
      "\t0x0010:  0001 0200 0000 000b 0a00 0002 4142 207e  ............AB.~\n" +
      "\t0x0020:  7f21 3000 0000 0000 0000 0000 0001       .!0...........",
  ],
  [
    "NAK (an odd byte of padding ends the dump)",
    frame({ op: ARP_NAK, senderMac: a, senderIp: ip1, targetMac: b, targetIp: ip2 }, [0x41]),
    "ARP, NACK Reply \n" +
      "\t0x0000:  0001 0800 0604 000a 0200 0000 000a 0a00  ................\n" +
      "\t0x0010:  0001 0200 0000 000b 0a00 0002 41         ............A",
  ],
  [
    "opcode 0",
    frame({ op: 0, senderMac: a, senderIp: ip1, targetMac: b, targetIp: ip2 }),
    "ARP, Unknown (0) \n" +
      "\t0x0000:  0001 0800 0604 0000 0200 0000 000a 0a00  ................\n" +
      "\t0x0010:  0001 0200 0000 000b 0a00 0002            ............",
  ],
];

function ourText(f: Uint8Array, verbose = false): string {
  const p = parseArp(f, 14);
  return `ARP, ${summarizeArp(p, f.length - 14, { verbose, trailer: f.subarray(14 + ARP_LEN) })}`;
}

function hasTcpdump(): boolean {
  try {
    execFileSync("tcpdump", ["--version"], { stdio: "ignore" });
    return true;
  } catch {
    return false;
  }
}

/** What the installed tcpdump prints for `frames` with `flags` (e.g. ["-n", "-t"]). */
function tcpdump(frames: Uint8Array[], flags: string[]): string {
  const sink = new MemorySink();
  const w = new PcapWriter(sink);
  frames.forEach((f, i) => {
    w.writePacket(i * 1000, f);
  });
  w.close();
  const dir = mkdtempSync(join(tmpdir(), "dw-arp-"));
  try {
    const file = join(dir, "arp.pcap");
    writeFileSync(file, sink.bytes());
    return execFileSync("tcpdump", [...flags, "-r", file], {
      encoding: "utf8",
      stdio: ["ignore", "pipe", "ignore"],
    });
  } finally {
    rmSync(dir, { recursive: true });
  }
}

describe("ARP text for what Linux does not send", () => {
  it.each(cases)("%s", (_what, f, text) => {
    expect(ourText(f)).toBe(text);
  });

  it("-v names the hardware and protocol types before the opcode", () => {
    expect(ourText(cases[0]![1], true)).toBe(
      "ARP, Ethernet (len 6), IPv4 (len 4), Request who-has 10.0.0.2 (02:00:00:00:00:0b) tell 10.0.0.1, length 28",
    );
  });

  it.skipIf(!hasTcpdump())("the installed tcpdump prints the same text for the same bytes (-n, -v)", () => {
    const frames = cases.map((c) => c[1]);
    expect(tcpdump(frames, ["-n", "-t"]).trimEnd()).toBe(frames.map((f) => ourText(f)).join("\n"));
    expect(tcpdump(frames, ["-v", "-n", "-t"]).trimEnd()).toBe(
      frames.map((f) => ourText(f, true)).join("\n"),
    );
  });
});

const arp: fc.Arbitrary<ArpPacket> = fc.record({
  op: fc.integer({ min: 0, max: 0xffff }),
  senderMac: fc.integer({ min: 0, max: 2 ** 48 - 1 }),
  senderIp: fc.integer({ min: 0, max: 0xffffffff }),
  targetMac: fc.integer({ min: 0, max: 2 ** 48 - 1 }),
  targetIp: fc.integer({ min: 0, max: 0xffffffff }),
});

function reason(fn: () => unknown): string {
  try {
    fn();
  } catch (e) {
    expect(e).toBeInstanceOf(ParseError);
    return (e as ParseError).reason;
  }
  return "none";
}

describe("ARP properties", () => {
  it("parse(emit(p)) = p at any offset, and the text never throws", () => {
    fc.assert(
      fc.property(arp, fc.integer({ min: 0, max: 8 }), (p, off) => {
        const buf = new Uint8Array(off + ARP_LEN);
        expect(emitArp(p, buf, off)).toBe(ARP_LEN);
        expect(parseArp(buf, off)).toEqual(p);
        expect(summarizeArp(p, ARP_LEN)).toMatch(/^[A-Z]/);
      }),
    );
  });

  it("any 28 bytes with the Ethernet/IPv4 header decode and re-encode to themselves", () => {
    fc.assert(
      fc.property(fc.uint8Array({ minLength: ARP_LEN, maxLength: ARP_LEN }), (bytes) => {
        bytes.set([0, 1, 8, 0, 6, 4]);
        const again = new Uint8Array(ARP_LEN);
        emitArp(parseArp(bytes), again, 0);
        expect(again).toEqual(bytes);
      }),
    );
  });

  it("setters write in place exactly what emit would write", () => {
    fc.assert(
      fc.property(arp, arp, (p, q) => {
        const buf = new Uint8Array(ARP_LEN);
        emitArp(p, buf, 0);
        const v = new ArpView().wrap(buf);
        v.op = q.op;
        v.senderMac = q.senderMac;
        v.senderIp = q.senderIp;
        v.targetMac = q.targetMac;
        v.targetIp = q.targetIp;
        const expected = new Uint8Array(ARP_LEN);
        emitArp(q, expected, 0);
        expect(buf).toEqual(expected);
      }),
    );
  });

  it("random bytes give ParseError and nothing else", () => {
    fc.assert(fc.property(fc.uint8Array({ maxLength: 64 }), (bytes) => void reason(() => parseArp(bytes))));
  });

  it("every truncation of every fixture ARP packet is 'truncated'", () => {
    for (const name of WIRE_FIXTURES)
      for (const f of arpPackets(name))
        for (let end = f.arp; end < f.arp + ARP_LEN; end++)
          expect(reason(() => parseArp(f.bytes, f.arp, end))).toBe("truncated");
  });

  it("another hardware type, protocol type or address length is 'unsupported' (arp_rcv drops it)", () => {
    fc.assert(
      fc.property(
        fc.integer({ min: 0, max: 5 }),
        fc.integer({ min: 1, max: 255 }),
        fc.uint8Array({ minLength: ARP_LEN, maxLength: ARP_LEN }),
        (field, delta, bytes) => {
          bytes.set([0, 1, 8, 0, 6, 4]);
          bytes[field] = ((bytes[field] as number) + delta) & 0xff;
          expect(reason(() => parseArp(bytes))).toBe("unsupported");
        },
      ),
    );
  });
});
