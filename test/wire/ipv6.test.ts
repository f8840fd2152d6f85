/**
 * IPv6 addresses, headers and ICMPv6 (src/util/ipv6-address.ts, src/wire/ipv6.ts, icmpv6.ts):
 * addresses print as inet_ntop and tcpdump print them; every header of the Linux fixture
 * (make-ipv6-fixtures.sh: MLDv2 with a Hop-by-Hop header, DAD, router solicitations, NS/NA,
 * echo, UDP, ICMPv6 port unreachable, TCP) decodes, re-encodes byte for byte with its checksum and
 * length recomputed, and prints as tcpdump -v printed its IPv6 header; malformed input throws only
 * ParseError.
 */

import fc from "fast-check";
import { describe, expect, it } from "vitest";
import { ParseError } from "../../src/util/errors.js";
import { ipv6, ipv6ToString, parseIpv6 as parseAddress } from "../../src/util/ipv6-address.js";
import { decodeFrame, encodeFrame } from "../../src/wire/frame.js";
import { parseIcmpv6, summarizeIcmpv6 } from "../../src/wire/icmpv6.js";
import { emitIpv6, ipv6HeaderLength, parseIpv6, summarizeIpv6Verbose } from "../../src/wire/ipv6.js";
import { fixtureFrames, fixtureText } from "../helpers/fixtures.js";

describe("IPv6 addresses", () => {
  it.each([
    ["fd00::a", "fd00::a"],
    ["FD00:0:0:0:0:0:0:A", "fd00::a"],
    ["::", "::"],
    ["::1", "::1"],
    ["fe80::ff:fe00:60b", "fe80::ff:fe00:60b"],
    ["ff02::1:ff00:b", "ff02::1:ff00:b"],
    ["2001:db8:0:0:1:0:0:1", "2001:db8::1:0:0:1"],
    ["2001:db8:0:1:1:1:1:1", "2001:db8:0:1:1:1:1:1"],
    ["1:0:0:2:0:0:0:3", "1:0:0:2::3"],
    ["::ffff:192.0.2.1", "::ffff:192.0.2.1"],
    ["::192.0.2.1", "::192.0.2.1"],
    ["fd00:1:2:3:4:5:6:7", "fd00:1:2:3:4:5:6:7"],
  ])("%s prints as %s", (text, printed) => {
    expect(ipv6ToString(ipv6(text))).toBe(printed);
  });

  it("refuses what is not an address", () => {
    for (const bad of [
      "",
      ":::",
      "1::2::3",
      "1:2:3:4:5:6:7",
      "1:2:3:4:5:6:7:8:9",
      "12345::",
      "::g",
      "1.2.3.4",
    ])
      expect(parseAddress(bad)).toBeUndefined();
  });

  it("text → bytes → text is stable for any address (property)", () => {
    fc.assert(
      fc.property(fc.uint8Array({ minLength: 16, maxLength: 16 }), (bytes) => {
        const text = ipv6ToString(bytes);
        expect(Array.from(parseAddress(text) ?? [])).toEqual(Array.from(bytes));
      }),
    );
  });
});

describe("IPv6 and ICMPv6 in the Linux fixture", () => {
  const frames = fixtureFrames("ipv6");
  const verbose = fixtureText("ipv6", "-v").filter((l) => l.startsWith("IP6 ("));

  it("every IPv6 header prints as tcpdump -v printed it, and re-encodes alone", () => {
    const ours = frames.map((b) => {
      const h = parseIpv6(b, 14);
      const out = new Uint8Array(ipv6HeaderLength(h));
      emitIpv6(h, out, 0);
      expect(Buffer.from(out).toString("hex")).toBe(
        Buffer.from(b.slice(14, 14 + out.length)).toString("hex"),
      );
      return `IP6 ${summarizeIpv6Verbose(h)}`;
    });
    expect(ours).toEqual(verbose.map((l) => /^IP6 \(.*?payload length: \d+\)/.exec(l)?.[0]));
  });

  it("holds the kinds of message the kernel sends: MLDv2 behind a Hop-by-Hop header, DAD from ::, RS, NS/NA, echo, port unreachable", () => {
    const texts = frames.map((b) => decodeFrame(b)).flatMap((f) => (f.icmpv6 ? [f.icmpv6.type] : []));
    for (const t of [143, 135, 133, 136, 128, 129, 1]) expect(texts).toContain(t);
    const mld = decodeFrame(frames[0] as Uint8Array);
    expect(Array.from(mld.ipv6?.hopByHop ?? [])).toEqual([5, 2, 0, 0, 1, 0]);
  });

  it("summarizes the messages tcpdump would not see whole with its truncation mark", () => {
    const ns = frames.find((b) => decodeFrame(b).icmpv6?.type === 135) as Uint8Array;
    const icmp = 14 + 40;
    expect(summarizeIcmpv6(ns, icmp, 20)).toBe("ICMP6, neighbor solicitation, who has [|icmp6], length 20");
    expect(parseIcmpv6(ns, icmp).type).toBe(135);
  });

  it("any truncation or single-byte change of a fixture frame throws only ParseError, and what decodes re-encodes", () => {
    for (const bytes of frames) {
      for (let n = 0; n < bytes.length; n++) {
        try {
          decodeFrame(bytes.slice(0, n));
        } catch (e) {
          expect(e).toBeInstanceOf(ParseError);
        }
      }
    }
    fc.assert(
      fc.property(
        fc.integer({ min: 0, max: frames.length - 1 }),
        fc.nat(),
        fc.integer({ min: 0, max: 255 }),
        (i, at, value) => {
          const b = Uint8Array.from(frames[i] as Uint8Array);
          b[at % b.length] = value;
          try {
            const f = decodeFrame(b);
            expect(Buffer.from(encodeFrame(f)).toString("hex")).toBe(Buffer.from(b).toString("hex"));
          } catch (e) {
            expect(e).toBeInstanceOf(ParseError);
          }
        },
      ),
    );
  });
});
