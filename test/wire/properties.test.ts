/**
 * Properties of every wire record and view, with fast-check:
 * - emit then parse gives the record back (computed fields filled in as parse reads them);
 * - random and truncated bytes never throw anything but ParseError;
 * - in-place rewrites (TTL, addresses, ports) keep every checksum equal to a full recompute.
 */

import fc from "fast-check";
import { describe, expect, it } from "vitest";
import { toHex } from "../../src/util/bytes.js";
import { checksum, onesSum, updateChecksum16, updateChecksum32 } from "../../src/util/checksum.js";
import { ParseError } from "../../src/util/errors.js";
import { type ArpPacket, emitArp, parseArp } from "../../src/wire/arp.js";
import {
  type EthernetHeader,
  emitEthernet,
  ethernetHeaderLength,
  parseEthernet,
} from "../../src/wire/ethernet.js";
import { decodeFrame, encodeFrame } from "../../src/wire/frame.js";
import { emitIcmp, type IcmpHeader, parseIcmp } from "../../src/wire/icmpv4.js";
import { emitIpv4, type Ipv4Header, Ipv4View, ipv4HeaderLength, parseIpv4 } from "../../src/wire/ipv4.js";
import { emitTcp, parseTcp, type TcpHeader, TcpView, tcpHeaderLength } from "../../src/wire/tcp.js";
import { type TcpOption, tcpOptionsLength } from "../../src/wire/tcp-options.js";
import { emitUdp, parseUdp, type UdpHeader, UdpView } from "../../src/wire/udp.js";
import { emitVxlan, parseVxlan, type VxlanHeader } from "../../src/wire/vxlan.js";
import { fixtureFrames, WIRE_FIXTURES } from "../helpers/fixtures.js";

const u8 = fc.integer({ min: 0, max: 0xff });
const u16 = fc.integer({ min: 0, max: 0xffff });
const u32 = fc.integer({ min: 0, max: 0xffffffff });
const mac48 = fc.integer({ min: 0, max: 2 ** 48 - 1 });

/** Only ParseError may escape a decoder. */
function onlyParseError(fn: () => unknown): void {
  try {
    fn();
  } catch (e) {
    expect(e).toBeInstanceOf(ParseError);
  }
}

const ethernet: fc.Arbitrary<EthernetHeader> = fc
  .record({
    dst: mac48,
    src: mac48,
    etherType: u16.filter((t) => t !== 0x8100),
    vlan: fc.option(
      fc.record({
        pcp: fc.integer({ min: 0, max: 7 }),
        dei: fc.boolean(),
        vid: fc.integer({ min: 0, max: 4095 }),
      }),
      {
        nil: undefined,
      },
    ),
  })
  .map(({ vlan, ...h }) => (vlan ? { ...h, vlan } : h));

const arp: fc.Arbitrary<ArpPacket> = fc.record({
  op: u16,
  senderMac: mac48,
  senderIp: u32,
  targetMac: mac48,
  targetIp: u32,
});

const ipv4: fc.Arbitrary<Ipv4Header> = fc.record({
  tos: u8,
  id: u16,
  df: fc.boolean(),
  mf: fc.boolean(),
  fragmentOffset: fc.integer({ min: 0, max: 0x1fff }),
  ttl: u8,
  protocol: u8,
  src: u32,
  dst: u32,
  options: fc
    .integer({ min: 0, max: 10 })
    .chain((words) => fc.uint8Array({ minLength: words * 4, maxLength: words * 4 })),
});

const icmp: fc.Arbitrary<IcmpHeader> = fc.record({ type: u8, code: u8, rest: u32 });

const tcpOption: fc.Arbitrary<TcpOption> = fc.oneof(
  fc.constant<TcpOption>({ kind: 1 }),
  u16.map<TcpOption>((mss) => ({ kind: 2, mss })),
  u8.map<TcpOption>((shift) => ({ kind: 3, shift })),
  fc.constant<TcpOption>({ kind: 4 }),
  fc
    .array(fc.record({ left: u32, right: u32 }), { minLength: 1, maxLength: 3 })
    .map<TcpOption>((blocks) => ({ kind: 5, blocks })),
  fc.record({ tsval: u32, tsecr: u32 }).map<TcpOption>((t) => ({ kind: 8, ...t })),
  fc
    .record({
      kind: fc.integer({ min: 6, max: 255 }).filter((k) => k !== 8),
      data: fc.uint8Array({ maxLength: 6 }),
    })
    .map<TcpOption>((o) => o),
);

/** Option lists that fill the header to a 4-byte boundary (with EOL + padding when needed), <= 40 bytes. */
const tcpOptions: fc.Arbitrary<TcpOption[]> = fc.array(tcpOption, { maxLength: 5 }).map((opts) => {
  const kept: TcpOption[] = [];
  for (const o of opts) if (tcpOptionsLength([...kept, o]) <= 36) kept.push(o);
  const pad = (4 - (tcpOptionsLength(kept) % 4)) % 4;
  if (pad > 0) kept.push({ kind: 0, after: new Uint8Array(pad - 1) });
  return kept;
});

const tcp: fc.Arbitrary<TcpHeader> = fc.record({
  srcPort: u16,
  dstPort: u16,
  seq: u32,
  ack: u32,
  flags: fc.integer({ min: 0, max: 0xfff }),
  window: u16,
  urgentPointer: u16,
  options: tcpOptions,
});

const udp: fc.Arbitrary<UdpHeader> = fc.record({ srcPort: u16, dstPort: u16 });
const vxlan: fc.Arbitrary<VxlanHeader> = fc.record({
  flags: u8,
  vni: fc.integer({ min: 0, max: 0xffffff }),
  reserved1: fc.integer({ min: 0, max: 0xffffff }),
  reserved2: u8,
});

describe("emit then parse gives the record back", () => {
  it("Ethernet (with and without 802.1Q)", () => {
    fc.assert(
      fc.property(ethernet, (h) => {
        const buf = new Uint8Array(18);
        expect(emitEthernet(h, buf, 0)).toBe(ethernetHeaderLength(h));
        expect(parseEthernet(buf, 0, ethernetHeaderLength(h))).toEqual(h);
      }),
    );
  });

  it("ARP", () => {
    fc.assert(
      fc.property(arp, (p) => {
        const buf = new Uint8Array(28);
        emitArp(p, buf, 0);
        expect(parseArp(buf)).toEqual(p);
      }),
    );
  });

  it("IPv4, with total length and checksum computed", () => {
    fc.assert(
      fc.property(ipv4, fc.integer({ min: 0, max: 100 }), (h, payload) => {
        const hl = ipv4HeaderLength(h);
        const buf = new Uint8Array(hl + payload);
        emitIpv4(h, buf, 0, payload);
        const back = parseIpv4(buf);
        expect(back).toEqual({ ...h, totalLength: hl + payload, checksum: back.checksum });
        expect(checksum(buf, 0, hl)).toBe(0);
        // And with those fields given, the same bytes again.
        const again = new Uint8Array(buf.length);
        emitIpv4(back, again, 0);
        expect(again).toEqual(buf);
      }),
    );
  });

  it("ICMP, with the checksum over the payload", () => {
    fc.assert(
      fc.property(icmp, fc.uint8Array({ maxLength: 64 }), (h, payload) => {
        const buf = new Uint8Array(8 + payload.length);
        buf.set(payload, 8);
        emitIcmp(h, buf, 0, payload.length);
        const back = parseIcmp(buf);
        expect(back).toEqual({ ...h, checksum: back.checksum });
        expect(checksum(buf, 0, buf.length)).toBe(0);
      }),
    );
  });

  it("UDP, with length and pseudo-header checksum computed (never 0)", () => {
    fc.assert(
      fc.property(udp, fc.uint8Array({ maxLength: 64 }), u32, u32, (h, payload, src, dst) => {
        const buf = new Uint8Array(8 + payload.length);
        buf.set(payload, 8);
        emitUdp(h, buf, 0, payload.length, src, dst);
        const back = parseUdp(buf);
        expect(back).toEqual({ ...h, length: 8 + payload.length, checksum: back.checksum });
        expect(back.checksum).not.toBe(0);
        expect(new UdpView().wrap(buf).checksumValid(src, dst)).toBe(true);
      }),
    );
  });

  it("TCP, every option kind including unknown ones and EOL padding", () => {
    fc.assert(
      fc.property(tcp, fc.uint8Array({ maxLength: 64 }), u32, u32, (h, payload, src, dst) => {
        const hl = tcpHeaderLength(h);
        const buf = new Uint8Array(hl + payload.length);
        buf.set(payload, hl);
        expect(emitTcp(h, buf, 0, payload.length, src, dst)).toBe(hl);
        const back = parseTcp(buf);
        expect(back).toEqual({ ...h, dataOffset: hl / 4, checksum: back.checksum });
        expect(new TcpView().wrap(buf).checksumValid(src, dst, buf.length)).toBe(true);
      }),
    );
  });

  it("VXLAN, reserved bits included", () => {
    fc.assert(
      fc.property(vxlan, (h) => {
        const buf = new Uint8Array(8);
        emitVxlan(h, buf, 0);
        expect(parseVxlan(buf)).toEqual(h);
      }),
    );
  });
});

describe("malformed input gives ParseError and nothing else", () => {
  const decoders: Array<[string, (b: Uint8Array) => unknown]> = [
    ["ethernet", (b) => parseEthernet(b)],
    ["arp", (b) => parseArp(b)],
    ["ipv4", (b) => parseIpv4(b)],
    ["icmp", (b) => parseIcmp(b)],
    ["udp", (b) => parseUdp(b)],
    ["tcp", (b) => parseTcp(b)],
    ["vxlan", (b) => parseVxlan(b)],
    ["frame", (b) => decodeFrame(b)],
  ];

  it.each(decoders)("%s: random bytes", (_name, decode) => {
    fc.assert(fc.property(fc.uint8Array({ maxLength: 120 }), (b) => onlyParseError(() => decode(b))));
  });

  it("every truncation and every single-byte corruption of every Linux fixture frame", () => {
    for (const name of WIRE_FIXTURES) {
      for (const frame of fixtureFrames(name)) {
        for (let cut = 0; cut < frame.length; cut++)
          onlyParseError(() => decodeFrame(frame.subarray(0, cut)));
        for (let i = 0; i < Math.min(frame.length, 80); i++) {
          const bad = frame.slice();
          bad[i] = (bad[i]! ^ 0xa5) & 0xff;
          // Whatever decodes must re-encode to exactly the bytes it came from.
          let decoded: ReturnType<typeof decodeFrame> | undefined;
          onlyParseError(() => {
            decoded = decodeFrame(bad);
          });
          if (decoded)
            expect(`${name}[${i}]:${toHex(encodeFrame(decoded))}`).toBe(`${name}[${i}]:${toHex(bad)}`);
        }
      }
    }
  });

  it("names the reason: truncated, bad length, bad version", () => {
    const ip = fixtureFrames("arp-icmp-echo")[2]!.subarray(14);
    const reason = (fn: () => unknown) => {
      try {
        fn();
      } catch (e) {
        return (e as ParseError).reason;
      }
      return "none";
    };
    expect(reason(() => parseIpv4(ip.subarray(0, 19)))).toBe("truncated");
    expect(reason(() => parseIpv4(ip.subarray(0, 83)))).toBe("truncated");
    const v6 = ip.slice();
    v6[0] = 0x65;
    expect(reason(() => parseIpv4(v6))).toBe("bad-version");
    const ihl4 = ip.slice();
    ihl4[0] = 0x44;
    expect(reason(() => parseIpv4(ihl4))).toBe("bad-length");
    const udp = new Uint8Array([0, 1, 0, 2, 0, 7, 0, 0]);
    expect(reason(() => parseUdp(udp))).toBe("bad-length");
    const tcpBadOpt = new Uint8Array(24);
    tcpBadOpt[12] = 0x60;
    tcpBadOpt[20] = 2;
    tcpBadOpt[21] = 9;
    expect(reason(() => parseTcp(tcpBadOpt))).toBe("bad-length");
    expect(new TcpView().wrap(tcpBadOpt).optionOffset(2)).toBe(-1);
  });
});

describe("incremental checksum updates equal a full recompute", () => {
  it("RFC 1624 16- and 32-bit updates on random buffers", () => {
    fc.assert(
      fc.property(
        fc.uint8Array({ minLength: 20, maxLength: 80 }).map((b) => (b.length % 2 ? b.subarray(1) : b)),
        fc.nat(),
        u16,
        u32,
        (buf, pos, v16, v32) => {
          const words = buf.length / 2;
          const at = (pos % (words - 3)) * 2 + 2; // not the checksum word (bytes 0-1)
          buf[0] = 0;
          buf[1] = 0;
          const c0 = checksum(buf, 0, buf.length);
          buf[0] = c0 >>> 8;
          buf[1] = c0 & 0xff;
          const old16 = (buf[at]! << 8) | buf[at + 1]!;
          const c1 = updateChecksum16(c0, old16, v16);
          buf[at] = v16 >>> 8;
          buf[at + 1] = v16 & 0xff;
          expect(fold16(c1)).toBe(fold16(recompute(buf)));
          buf[0] = c1 >>> 8;
          buf[1] = c1 & 0xff;
          expect(checksum(buf, 0, buf.length)).toBe(0);
          const old32 = ((buf[at]! << 24) | (buf[at + 1]! << 16) | (buf[at + 2]! << 8) | buf[at + 3]!) >>> 0;
          const c2 = updateChecksum32(c1, old32, v32);
          buf[at] = v32 >>> 24;
          buf[at + 1] = (v32 >>> 16) & 0xff;
          buf[at + 2] = (v32 >>> 8) & 0xff;
          buf[at + 3] = v32 & 0xff;
          expect(fold16(c2)).toBe(fold16(recompute(buf)));
        },
      ),
    );
    /** The checksum with the field zeroed, over everything else. */
    function recompute(buf: Uint8Array): number {
      const copy = buf.slice();
      copy[0] = 0;
      copy[1] = 0;
      return checksum(copy, 0, copy.length);
    }
    /** 0x0000 and 0xffff are the same one's-complement value (RFC 1624 section 3). */
    function fold16(c: number): number {
      return c === 0xffff ? 0 : c;
    }
    expect(onesSum(new Uint8Array([0xff, 0xff, 0x00, 0x01]), 0, 4)).toBe(0x10000);
  });

  it("IPv4 view: any sequence of TTL decrements and address rewrites keeps the header checksum valid", () => {
    const frames = WIRE_FIXTURES.flatMap((n) => fixtureFrames(n)).filter(
      (f) => f[12] === 0x08 && f[13] === 0x00,
    );
    fc.assert(
      fc.property(
        fc.integer({ min: 0, max: frames.length - 1 }),
        fc.array(
          fc.oneof(
            fc.constant<["ttl", number]>(["ttl", 0]),
            u32.map<["src", number]>((a) => ["src", a]),
            u32.map<["dst", number]>((a) => ["dst", a]),
          ),
          {
            maxLength: 10,
          },
        ),
        (k, ops) => {
          const buf = frames[k]!.slice();
          const v = new Ipv4View().wrap(buf, 14);
          for (const [op, a] of ops) {
            if (op === "ttl") {
              if (v.ttl > 0) v.decrementTtl();
            } else if (op === "src") v.setSrc(a);
            else v.setDst(a);
          }
          expect(v.checksumValid).toBe(true);
          const full = buf.slice();
          new Ipv4View().wrap(full, 14).fillChecksum();
          expect(v.checksum === 0xffff ? 0 : v.checksum).toBe(new Ipv4View().wrap(full, 14).checksum);
        },
      ),
    );
  });

  it("TCP and UDP views: NAT rewrites of ports and addresses keep the L4 checksum equal to a recompute", () => {
    const segments = [...fixtureFrames("tcp"), ...fixtureFrames("udp"), ...fixtureFrames("vxlan")].filter(
      (f) => f[23] === 6 || f[23] === 17,
    );
    fc.assert(
      fc.property(
        fc.integer({ min: 0, max: segments.length - 1 }),
        u32,
        u32,
        u16,
        u16,
        (k, src, dst, sport, dport) => {
          const buf = segments[k]!.slice();
          const ip = new Ipv4View().wrap(buf, 14);
          const l4 = ip.payloadOffset;
          const len = ip.payloadLength;
          const oldSrc = ip.src;
          const oldDst = ip.dst;
          ip.setSrc(src);
          ip.setDst(dst);
          if (ip.protocol === 6) {
            const t = new TcpView().wrap(buf, l4, l4 + len);
            t.addressChanged(oldSrc, src);
            t.addressChanged(oldDst, dst);
            t.setSrcPort(sport);
            t.setDstPort(dport);
            expect(t.checksumValid(src, dst, len)).toBe(true);
          } else {
            const u = new UdpView().wrap(buf, l4, l4 + len);
            u.addressChanged(oldSrc, src);
            u.addressChanged(oldDst, dst);
            u.setSrcPort(sport);
            u.setDstPort(dport);
            expect(u.checksum).not.toBe(0);
            expect(u.checksumValid(src, dst)).toBe(true);
          }
          expect(ip.checksumValid).toBe(true);
        },
      ),
    );
  });

  it("a UDP datagram without a checksum keeps none through NAT", () => {
    const buf = new Uint8Array([0x9c, 0x40, 0x13, 0x88, 0x00, 0x0a, 0x00, 0x00, 0x68, 0x69]);
    const u = new UdpView().wrap(buf);
    u.setSrcPort(1234);
    u.addressChanged(0x0a000001, 0xc0000201);
    expect(u.checksum).toBe(0);
    expect(u.checksumValid(1, 2)).toBe(true);
  });
});
