/**
 * Ethernet II and 802.1Q (src/wire/ethernet.ts): every frame of the Linux wire fixtures (VXLAN inner
 * frames included) decoded, rebuilt byte for byte and printed as `tcpdump -e -n -t` printed its link
 * part; then properties over all headers and all byte strings.
 */

import fc from "fast-check";
import { describe, expect, it } from "vitest";
import { ParseError } from "../../src/util/errors.js";
import { mac } from "../../src/util/mac-address.js";
import {
  ETH_HEADER_LEN,
  ETHERTYPE_ARP,
  ETHERTYPE_IPV4,
  ETHERTYPE_VLAN,
  type EthernetHeader,
  EthernetView,
  emitEthernet,
  ethernetHeaderLength,
  etherTypeName,
  parseEthernet,
  summarizeEthernet,
} from "../../src/wire/ethernet.js";
import { fixtureFrames, fixtureText, WIRE_FIXTURES } from "../helpers/fixtures.js";

/** A frame and, for VXLAN (UDP port 4789), the frame it carries: [bytes, start, end] each. */
function framesWithin(bytes: Uint8Array): Array<[Uint8Array, number, number]> {
  const out: Array<[Uint8Array, number, number]> = [[bytes, 0, bytes.length]];
  let off = 0;
  const end = bytes.length;
  for (;;) {
    const eth = new EthernetView().wrap(bytes, off, end);
    if (eth.etherType !== ETHERTYPE_IPV4) return out;
    const ip = eth.payloadOffset;
    const udp = ip + ((bytes[ip] as number) & 15) * 4;
    if (bytes[ip + 9] !== 17 || (((bytes[udp + 2] as number) << 8) | (bytes[udp + 3] as number)) !== 4789)
      return out;
    off = udp + 16;
    out.push([bytes, off, end]);
  }
}

function only(e: unknown): void {
  expect(e).toBeInstanceOf(ParseError);
}

describe("Ethernet in the Linux fixtures", () => {
  it("the ARP request of arp-icmp-echo: broadcast from A's MAC, EtherType ARP, 42 bytes", () => {
    const f = fixtureFrames("arp-icmp-echo")[0]!;
    expect(f.length).toBe(42);
    expect(parseEthernet(f)).toEqual({
      dst: mac("ff:ff:ff:ff:ff:ff"),
      src: mac("02:00:00:00:00:0a"),
      etherType: ETHERTYPE_ARP,
    });
  });

  it("the vlan case: an 802.1Q tag with VID 100, priority 0, 4 bytes after the MACs", () => {
    const frames = fixtureFrames("vlan");
    expect(frames.map((f) => parseEthernet(f))).toEqual([
      {
        dst: mac("ff:ff:ff:ff:ff:ff"),
        src: mac("02:00:00:00:00:0a"),
        vlan: { pcp: 0, dei: false, vid: 100 },
        etherType: ETHERTYPE_ARP,
      },
      {
        dst: mac("02:00:00:00:00:0a"),
        src: mac("02:00:00:00:00:0b"),
        vlan: { pcp: 0, dei: false, vid: 100 },
        etherType: ETHERTYPE_ARP,
      },
      {
        dst: mac("02:00:00:00:00:0b"),
        src: mac("02:00:00:00:00:0a"),
        vlan: { pcp: 0, dei: false, vid: 100 },
        etherType: ETHERTYPE_IPV4,
      },
      {
        dst: mac("02:00:00:00:00:0a"),
        src: mac("02:00:00:00:00:0b"),
        vlan: { pcp: 0, dei: false, vid: 100 },
        etherType: ETHERTYPE_IPV4,
      },
    ]);
    const v = new EthernetView().wrap(frames[2]!);
    expect([v.hasVlan, v.headerLength, v.tci, v.vid, v.payloadOffset]).toEqual([true, 18, 100, 100, 18]);
    expect([frames[0]!.length, frames[2]!.length]).toEqual([46, 102]);
  });

  it.each(WIRE_FIXTURES)(
    "%s: every header decodes, the view agrees, and emit rebuilds the same bytes",
    (name) => {
      for (const outer of fixtureFrames(name)) {
        for (const [bytes, off, end] of framesWithin(outer)) {
          const h = parseEthernet(bytes, off, end);
          const v = new EthernetView().wrap(bytes, off, end);
          expect([v.dst, v.src, v.etherType, v.hasVlan]).toEqual([
            h.dst,
            h.src,
            h.etherType,
            h.vlan !== undefined,
          ]);
          const again = new Uint8Array(ethernetHeaderLength(h));
          expect(emitEthernet(h, again, 0)).toBe(v.headerLength);
          expect(Buffer.from(again).toString("hex")).toBe(
            Buffer.from(bytes.subarray(off, off + v.headerLength)).toString("hex"),
          );
        }
      }
    },
  );

  it.each(WIRE_FIXTURES)("%s: the link part of every tcpdump -e line", (name) => {
    const lines = fixtureText(name, "-e");
    const ours: string[] = [];
    for (const outer of fixtureFrames(name))
      for (const [bytes, off, end] of framesWithin(outer))
        ours.push(summarizeEthernet(parseEthernet(bytes, off, end), end - off));
    expect(ours.length).toBe(lines.length);
    ours.forEach((prefix, i) => {
      expect(lines[i]!.startsWith(prefix), `${lines[i]}\n  does not start with\n${prefix}`).toBe(true);
    });
  });
});

const mac48 = fc.integer({ min: 0, max: 2 ** 48 - 1 });
const header: fc.Arbitrary<EthernetHeader> = fc
  .record({
    dst: mac48,
    src: mac48,
    etherType: fc.integer({ min: 0, max: 0xffff }).filter((t) => t !== ETHERTYPE_VLAN),
    vlan: fc.option(
      fc.record({
        pcp: fc.integer({ min: 0, max: 7 }),
        dei: fc.boolean(),
        vid: fc.integer({ min: 0, max: 4095 }),
      }),
      { nil: undefined },
    ),
  })
  .map(({ vlan, ...h }) => (vlan ? { ...h, vlan } : h));

describe("Ethernet properties", () => {
  it("parse(emit(h)) = h, and the view reads what emit wrote", () => {
    fc.assert(
      fc.property(header, (h) => {
        const buf = new Uint8Array(ethernetHeaderLength(h));
        expect(emitEthernet(h, buf, 0)).toBe(buf.length);
        expect(parseEthernet(buf)).toEqual(h);
        const v = new EthernetView().wrap(buf);
        expect([v.dst, v.src, v.etherType, v.vid]).toEqual([h.dst, h.src, h.etherType, h.vlan?.vid ?? 0]);
      }),
    );
  });

  it("any header that decodes re-encodes to the same bytes (QinQ outer tag included)", () => {
    fc.assert(
      fc.property(fc.uint8Array({ minLength: 18, maxLength: 18 }), fc.boolean(), (b, tagged) => {
        if (tagged) {
          b[12] = 0x81;
          b[13] = 0x00;
        }
        const h = parseEthernet(b);
        const again = new Uint8Array(18);
        const n = emitEthernet(h, again, 0);
        expect(again.subarray(0, n)).toEqual(b.subarray(0, n));
      }),
    );
  });

  it("setters write in place exactly what emit would write", () => {
    fc.assert(
      fc.property(header, header, (a, b) => {
        const buf = new Uint8Array(ethernetHeaderLength(a));
        emitEthernet(a, buf, 0);
        const v = new EthernetView().wrap(buf);
        v.dst = b.dst;
        v.src = b.src;
        v.etherType = b.etherType;
        const expected = new Uint8Array(buf.length);
        emitEthernet({ ...a, dst: b.dst, src: b.src, etherType: b.etherType }, expected, 0);
        expect(buf).toEqual(expected);
      }),
    );
  });

  it("random bytes and every truncation give ParseError and nothing else", () => {
    fc.assert(
      fc.property(fc.uint8Array({ maxLength: 40 }), (b) => {
        try {
          parseEthernet(b);
        } catch (e) {
          only(e);
        }
      }),
    );
    for (const name of WIRE_FIXTURES) {
      const f = fixtureFrames(name)[0]!;
      const hl = new EthernetView().wrap(f).headerLength;
      for (let cut = 0; cut < hl; cut++) {
        expect(() => parseEthernet(f.subarray(0, cut))).toThrow(ParseError);
        try {
          parseEthernet(f, 0, cut);
        } catch (e) {
          only(e);
          expect((e as ParseError).reason).toBe("truncated");
        }
      }
      expect(parseEthernet(f, 0, hl).etherType).toBe(new EthernetView().wrap(f).etherType);
    }
  });

  it("a 14-byte header is enough without a tag, a tagged one needs 18", () => {
    const b = new Uint8Array(18);
    b[12] = 0x08;
    expect(new EthernetView().wrap(b, 0, ETH_HEADER_LEN).headerLength).toBe(14);
    b[12] = 0x81;
    expect(() => new EthernetView().wrap(b, 0, 17)).toThrow(ParseError);
    expect(new EthernetView().wrap(b, 0, 18).headerLength).toBe(18);
  });

  it("EtherType names as tcpdump prints them", () => {
    // tcpdump -e prints "ethertype Unknown (0x1234)" for a type it has no name for.
    expect([0x0800, 0x0806, 0x8100, 0x86dd, 0x1234].map(etherTypeName)).toEqual([
      "IPv4",
      "ARP",
      "802.1Q",
      "IPv6",
      "Unknown",
    ]);
  });
});
