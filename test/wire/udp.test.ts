/**
 * UDP records, views and tcpdump text: hand-made datagrams, the datagrams Linux sent in the wire
 * fixtures (including the outer UDP of VXLAN), and fast-check properties.
 */

import fc from "fast-check";
import { describe, expect, it } from "vitest";
import { fromHex, toHex, u16, u32 } from "../../src/util/bytes.js";
import { ParseError } from "../../src/util/errors.js";
import { ipv4 } from "../../src/util/ipv4-address.js";
import { ETHERTYPE_IPV4 } from "../../src/wire/ethernet.js";
import { IPPROTO_UDP } from "../../src/wire/ipv4.js";
import {
  emitUdp,
  parseUdp,
  summarizeUdp,
  summarizeUdpChecksum,
  UDP_HEADER_LEN,
  type UdpHeader,
  UdpView,
  udpChecksum,
} from "../../src/wire/udp.js";
import { fixtureFrames, fixtureText } from "../helpers/fixtures.js";

const u16a = fc.integer({ min: 0, max: 0xffff });
const u32a = fc.integer({ min: 0, max: 0xffffffff });

function onlyParseError(fn: () => unknown): void {
  try {
    fn();
  } catch (e) {
    expect(e).toBeInstanceOf(ParseError);
  }
}

function reason(fn: () => unknown): string {
  try {
    fn();
  } catch (e) {
    if (e instanceof ParseError) return e.reason;
    throw e;
  }
  return "none";
}

interface Datagram {
  frame: Uint8Array;
  l4: number;
  end: number;
  src: number;
  dst: number;
}
/** The top-level UDP datagrams of a fixture, located by reading the Ethernet and IPv4 header bytes. */
function datagrams(name: string): Datagram[] {
  const out: Datagram[] = [];
  for (const frame of fixtureFrames(name)) {
    if (u16(frame, 12) !== ETHERTYPE_IPV4 || frame[14 + 9] !== IPPROTO_UDP) continue;
    const ihl = ((frame[14] as number) & 0x0f) * 4;
    out.push({ frame, l4: 14 + ihl, end: 14 + u16(frame, 16), src: u32(frame, 26), dst: u32(frame, 30) });
  }
  return out;
}

const A = ipv4("10.0.0.1");
const B = ipv4("10.0.0.2");

// 10.0.0.1.40000 > 10.0.0.2.5000, "hi\n": checksum 0xc9a3 as tcpdump -vv accepted it ([udp sum ok]).
const HELLO = fromHex("9c40 1388 000b c9a3 68690a");

describe("UDP from hand-made bytes", () => {
  it("decodes the record and the view", () => {
    expect(parseUdp(HELLO)).toEqual({ srcPort: 40000, dstPort: 5000, length: 11, checksum: 0xc9a3 });
    const v = new UdpView().wrap(HELLO);
    expect([v.srcPort, v.dstPort, v.length, v.checksum]).toEqual([40000, 5000, 11, 0xc9a3]);
    expect([v.payloadOffset, v.payloadLength, v.hasChecksum]).toEqual([8, 3, true]);
    expect(v.checksumValid(A, B)).toBe(true);
    expect(v.checksumValid(B, A + 1)).toBe(false);
  });

  it("emits the same bytes, and computes length and checksum when absent", () => {
    const buf = new Uint8Array(11);
    buf.set(HELLO.subarray(8), 8);
    expect(emitUdp({ srcPort: 40000, dstPort: 5000 }, buf, 0, 3, A, B)).toBe(UDP_HEADER_LEN);
    expect(toHex(buf)).toBe(toHex(HELLO));
    const again = HELLO.slice();
    again.fill(0xee, 0, 8);
    emitUdp(parseUdp(HELLO), again, 0, 3, A, B);
    expect(toHex(again)).toBe(toHex(HELLO));
  });

  it("a checksum that computes to 0 is sent as 0xffff; 0 on the wire means none", () => {
    // Pseudo-header (addresses 0, protocol 17, length 12) + header words 1, 2, 12 sum to 44; the last
    // payload word 0xffff - 44 makes the sum 0xffff, whose complement is 0.
    const buf = fromHex("0001 0002 000c 0000 0000 ffd3");
    expect(udpChecksum(buf, 0, 12, 0, 0)).toBe(0xffff);
    emitUdp({ srcPort: 1, dstPort: 2 }, buf, 0, 4, 0, 0);
    expect(u16(buf, 6)).toBe(0xffff);
    expect(new UdpView().wrap(buf).checksumValid(0, 0)).toBe(true);

    const none = HELLO.slice();
    none[6] = 0;
    none[7] = 0;
    const v = new UdpView().wrap(none);
    expect(v.hasChecksum).toBe(false);
    expect(v.checksumValid(1, 2)).toBe(true);
  });

  it("length field below 8 or beyond the bytes is a ParseError; shorter than the bytes is fine", () => {
    const short = HELLO.slice();
    short[5] = 7;
    expect(reason(() => parseUdp(short))).toBe("bad-length");
    const long = HELLO.slice();
    long[5] = 12;
    expect(reason(() => parseUdp(long))).toBe("truncated");
    expect(reason(() => new UdpView().wrap(long))).toBe("truncated");
    expect(reason(() => parseUdp(HELLO, 0, 7))).toBe("truncated");
    const padded = new Uint8Array(20);
    padded.set(HELLO);
    expect(new UdpView().wrap(padded).payloadLength).toBe(3);
  });

  it("plain setters write the field; NAT setters also update the checksum", () => {
    const b = HELLO.slice();
    const v = new UdpView().wrap(b);
    v.srcPort = 1;
    v.dstPort = 2;
    v.checksum = 0x1234;
    expect(toHex(b, 0, 8)).toBe("00010002000b1234");
    const n = HELLO.slice();
    const w = new UdpView().wrap(n);
    w.setSrcPort(1234);
    w.setDstPort(53);
    w.addressChanged(A, ipv4("192.0.2.1"));
    expect([w.srcPort, w.dstPort]).toEqual([1234, 53]);
    expect(w.checksum).toBe(udpChecksum(n, 0, 11, ipv4("192.0.2.1"), B));
  });

  it("NAT leaves a zero checksum alone, as udp_manip_pkt does", () => {
    const b = HELLO.slice();
    b[6] = 0;
    b[7] = 0;
    const v = new UdpView().wrap(b);
    v.setSrcPort(1234);
    v.setDstPort(80);
    v.addressChanged(A, ipv4("203.0.113.9"));
    expect(v.checksum).toBe(0);
    expect(toHex(b, 0, 4)).toBe("04d20050");
  });
});

describe("UDP text", () => {
  it("is `UDP, length N` with N from the length field", () => {
    expect(summarizeUdp(parseUdp(HELLO))).toBe("UDP, length 3");
    expect(summarizeUdp({ srcPort: 1, dstPort: 2, length: 8 })).toBe("UDP, length 0");
  });

  it("-vv checksum verdicts as tcpdump 4.99.3 printed them", () => {
    // From `tcpdump -vv` on HELLO, HELLO without a checksum, and HELLO with 0xcaa3 in the field.
    const v = new UdpView().wrap(HELLO);
    expect(summarizeUdpChecksum(v.checksum, v.checksumValid(A, B), udpChecksum(HELLO, 0, 11, A, B))).toBe(
      "[udp sum ok] ",
    );
    expect(summarizeUdpChecksum(0, true, 0xc9a3)).toBe("[no cksum] ");
    const bad = HELLO.slice();
    bad[6] = 0xca;
    const w = new UdpView().wrap(bad);
    expect(summarizeUdpChecksum(w.checksum, w.checksumValid(A, B), udpChecksum(bad, 0, 11, A, B))).toBe(
      "[bad udp cksum 0xcaa3 -> 0xc9a3!] ",
    );
  });
});

describe.each(["udp", "vxlan"])("Linux fixture %s", (name) => {
  // Whole datagrams only: a first fragment's length field describes the reassembled datagram.
  const grams = datagrams(name).filter((d) => (u16(d.frame, 20) & 0x3fff) === 0);

  it("holds UDP datagrams with valid checksums over the real pseudo-header", () => {
    expect(grams.length).toBeGreaterThan(0);
    for (const d of grams) {
      const v = new UdpView().wrap(d.frame, d.l4, d.end);
      expect(v.hasChecksum).toBe(true);
      expect(v.checksumValid(d.src, d.dst)).toBe(true);
      expect(v.length).toBe(d.end - d.l4);
    }
  });

  it("rebuilds every header byte for byte from its record, also with length and checksum recomputed", () => {
    for (const d of grams) {
      const want = toHex(d.frame, d.l4, d.end);
      const h = parseUdp(d.frame, d.l4, d.end);
      const copy = d.frame.slice(d.l4, d.end);
      copy.fill(0x5a, 0, 8);
      emitUdp(h, copy, 0, copy.length - 8, d.src, d.dst);
      expect(toHex(copy)).toBe(want);
      copy.fill(0x5a, 0, 8);
      emitUdp({ srcPort: h.srcPort, dstPort: h.dstPort }, copy, 0, copy.length - 8, d.src, d.dst);
      expect(toHex(copy)).toBe(want);
      expect(parseUdp(copy)).toEqual(h);
    }
  });

  it("every truncation is a ParseError", () => {
    for (const d of grams) {
      for (let cut = d.l4; cut < d.end; cut++) expect(() => parseUdp(d.frame, d.l4, cut)).toThrow(ParseError);
    }
  });
});

describe("Linux fixture udp: text", () => {
  it("prints every datagram as tcpdump -n did", () => {
    const ours = datagrams("udp").map((d) => summarizeUdp(parseUdp(d.frame, d.l4, d.end)));
    const tcpdump = fixtureText("udp")
      .filter((l) => l.includes(": UDP,"))
      .map((l) => l.replace(/^IP \S+ > \S+: /, ""));
    expect(ours).toEqual(tcpdump);
  });

  it("prints the -vv verdict tcpdump 4.99.3 printed (`[udp sum ok] UDP, length 5`)", () => {
    const ours = datagrams("udp").map((d) => {
      const v = new UdpView().wrap(d.frame, d.l4, d.end);
      const expected = udpChecksum(d.frame, d.l4, v.length, d.src, d.dst);
      return (
        summarizeUdpChecksum(v.checksum, v.checksumValid(d.src, d.dst), expected) +
        summarizeUdp(parseUdp(d.frame, d.l4, d.end))
      );
    });
    expect(ours).toEqual(["[udp sum ok] UDP, length 5", "[udp sum ok] UDP, length 7"]);
  });
});

// ---- properties ----

const udpRecord: fc.Arbitrary<UdpHeader> = fc.record({ srcPort: u16a, dstPort: u16a });

function emitted(h: UdpHeader, payload: Uint8Array, src: number, dst: number): Uint8Array {
  const buf = new Uint8Array(8 + payload.length);
  buf.set(payload, 8);
  emitUdp(h, buf, 0, payload.length, src, dst);
  return buf;
}

describe("UDP properties", () => {
  it("parse(emit(x)) = x with length and a non-zero valid checksum filled in", () => {
    fc.assert(
      fc.property(udpRecord, fc.uint8Array({ maxLength: 64 }), u32a, u32a, (h, payload, src, dst) => {
        const buf = emitted(h, payload, src, dst);
        const back = parseUdp(buf);
        expect(back).toEqual({
          ...h,
          length: 8 + payload.length,
          checksum: udpChecksum(buf, 0, buf.length, src, dst),
        });
        expect(back.checksum).not.toBe(0);
        expect(new UdpView().wrap(buf).checksumValid(src, dst)).toBe(true);
        const again = new Uint8Array(buf.length);
        again.set(payload, 8);
        emitUdp(back, again, 0, payload.length, src, dst);
        expect(toHex(again)).toBe(toHex(buf));
      }),
    );
  });

  it("random bytes and every truncation: only ParseError, and no accessor throws after wrap", () => {
    fc.assert(
      fc.property(fc.uint8Array({ maxLength: 40 }), u32a, u32a, (b, src, dst) => {
        for (let cut = 0; cut <= b.length; cut++) {
          const part = b.subarray(0, cut);
          onlyParseError(() => summarizeUdp(parseUdp(part)));
          let v: UdpView | undefined;
          onlyParseError(() => {
            v = new UdpView().wrap(part);
          });
          if (v) {
            void [v.srcPort, v.dstPort, v.length, v.checksum, v.payloadLength, v.hasChecksum];
            v.checksumValid(src, dst);
            expect(v.length).toBeLessThanOrEqual(cut);
          }
        }
      }),
    );
  });

  it("NAT rewrites keep the checksum equal to a full recompute, and a zero checksum zero", () => {
    fc.assert(
      fc.property(
        udpRecord,
        fc.uint8Array({ maxLength: 41 }),
        fc.boolean(),
        fc.tuple(u32a, u32a, u32a, u32a, u16a, u16a),
        (h, payload, noChecksum, [src, dst, newSrc, newDst, sport, dport]) => {
          const buf = emitted(noChecksum ? { ...h, checksum: 0 } : h, payload, src, dst);
          const v = new UdpView().wrap(buf);
          v.setSrcPort(sport);
          v.addressChanged(src, newSrc);
          v.setDstPort(dport);
          v.addressChanged(dst, newDst);
          expect([v.srcPort, v.dstPort]).toEqual([sport, dport]);
          expect(v.checksum).toBe(noChecksum ? 0 : udpChecksum(buf, 0, buf.length, newSrc, newDst));
          expect(v.checksumValid(newSrc, newDst)).toBe(true);
        },
      ),
      { numRuns: 500 },
    );
  });
});
