/**
 * VXLAN headers: hand-made bytes, the headers Linux's vxlan driver sent in the vxlan fixture (inside
 * UDP to port 4789), tcpdump's text, and fast-check properties.
 */

import fc from "fast-check";
import { describe, expect, it } from "vitest";
import { fromHex, toHex, u16 } from "../../src/util/bytes.js";
import { ParseError } from "../../src/util/errors.js";
import { ETHERTYPE_IPV4 } from "../../src/wire/ethernet.js";
import { IPPROTO_UDP } from "../../src/wire/ipv4.js";
import { UDP_HEADER_LEN, UdpView } from "../../src/wire/udp.js";
import {
  emitVxlan,
  parseVxlan,
  summarizeVxlan,
  VXLAN_FLAG_VNI,
  VXLAN_HEADER_LEN,
  VXLAN_OVERHEAD,
  VXLAN_PORT,
  type VxlanHeader,
  VxlanView,
  vxlanHeaderLength,
} from "../../src/wire/vxlan.js";
import { fixtureFrames, fixtureText } from "../helpers/fixtures.js";

function onlyParseError(fn: () => unknown): void {
  try {
    fn();
  } catch (e) {
    expect(e).toBeInstanceOf(ParseError);
  }
}

describe("VXLAN from hand-made bytes", () => {
  const VNI_42 = fromHex("08000000 00002a00");

  it("decodes flags, VNI and the reserved fields", () => {
    expect(parseVxlan(VNI_42)).toEqual({ flags: VXLAN_FLAG_VNI, vni: 42, reserved1: 0, reserved2: 0 });
    expect(parseVxlan(fromHex("0c123456 abcdef99"))).toEqual({
      flags: 0x0c,
      reserved1: 0x123456,
      vni: 0xabcdef,
      reserved2: 0x99,
    });
  });

  it("emits the same 8 bytes, reserved bits included", () => {
    const out = new Uint8Array(8);
    expect(emitVxlan({ flags: 8, vni: 42, reserved1: 0, reserved2: 0 }, out, 0)).toBe(VXLAN_HEADER_LEN);
    expect(toHex(out)).toBe(toHex(VNI_42));
    emitVxlan(parseVxlan(fromHex("0c123456abcdef99")), out, 0);
    expect(toHex(out)).toBe("0c123456abcdef99");
    expect(vxlanHeaderLength({ flags: 8, vni: 1, reserved1: 0, reserved2: 0 })).toBe(8);
  });

  it("the view reads and writes the VNI in place, keeping the byte after it", () => {
    const b = fromHex("ff 08000000 00002a77 ee");
    const v = new VxlanView().wrap(b, 1, 9);
    expect([v.flags, v.vni, v.payloadOffset]).toEqual([8, 42, 9]);
    v.vni = 0xfedcba;
    expect(toHex(b)).toBe("ff08000000fedcba77ee");
    v.vni = 0x1000001; // only 24 bits fit
    expect(v.vni).toBe(1);
    v.flags = 0;
    expect(toHex(b, 1, 2)).toBe("00");
  });

  it("fewer than 8 bytes is a ParseError", () => {
    for (let n = 0; n < 8; n++) {
      expect(() => parseVxlan(VNI_42.subarray(0, n))).toThrow(ParseError);
      expect(() => new VxlanView().wrap(VNI_42, 0, n)).toThrow(ParseError);
    }
  });

  it("prints as tcpdump does", () => {
    expect(summarizeVxlan(parseVxlan(VNI_42))).toBe("VXLAN, flags [I] (0x08), vni 42");
    expect(summarizeVxlan({ flags: 0, vni: 7, reserved1: 0, reserved2: 0 })).toBe(
      "VXLAN, flags [.] (0x00), vni 7",
    );
    expect(summarizeVxlan({ flags: 0x88, vni: 16777215, reserved1: 0, reserved2: 0 })).toBe(
      "VXLAN, flags [I] (0x88), vni 16777215",
    );
  });
});

describe("Linux fixture vxlan", () => {
  // Outer Ethernet 14 + IPv4 (IHL from the first byte) + UDP 8, then the VXLAN header.
  const outer = fixtureFrames("vxlan").map((frame) => {
    expect(u16(frame, 12)).toBe(ETHERTYPE_IPV4);
    expect(frame[23]).toBe(IPPROTO_UDP);
    const udp = 14 + ((frame[14] as number) & 0x0f) * 4;
    return { frame, udp, vxlan: udp + UDP_HEADER_LEN, end: 14 + u16(frame, 16) };
  });

  it("every frame is UDP to port 4789 carrying flags 0x08 and VNI 42, 50 bytes in front of the inner frame", () => {
    expect(outer.length).toBe(4);
    for (const o of outer) {
      const udp = new UdpView().wrap(o.frame, o.udp, o.end);
      expect(udp.dstPort).toBe(VXLAN_PORT);
      expect(parseVxlan(o.frame, o.vxlan, o.end)).toEqual({ flags: 8, vni: 42, reserved1: 0, reserved2: 0 });
      expect(o.vxlan + VXLAN_HEADER_LEN).toBe(VXLAN_OVERHEAD);
    }
  });

  it("rebuilds every header byte for byte", () => {
    for (const o of outer) {
      const copy = new Uint8Array(8).fill(0xa5);
      emitVxlan(parseVxlan(o.frame, o.vxlan, o.end), copy, 0);
      expect(toHex(copy)).toBe(toHex(o.frame, o.vxlan, o.vxlan + 8));
    }
  });

  it("prints the outer line of each frame as tcpdump -n did", () => {
    const ours = outer.map((o) => summarizeVxlan(parseVxlan(o.frame, o.vxlan, o.end)));
    const tcpdump = fixtureText("vxlan")
      .filter((l) => l.includes(": VXLAN"))
      .map((l) => l.replace(/^IP \S+ > \S+: /, ""));
    expect(ours).toEqual(tcpdump);
  });
});

const vxlanRecord: fc.Arbitrary<VxlanHeader> = fc.record({
  flags: fc.integer({ min: 0, max: 0xff }),
  vni: fc.integer({ min: 0, max: 0xffffff }),
  reserved1: fc.integer({ min: 0, max: 0xffffff }),
  reserved2: fc.integer({ min: 0, max: 0xff }),
});

describe("VXLAN properties", () => {
  it("parse(emit(x)) = x and emit(parse(b)) = b", () => {
    fc.assert(
      fc.property(vxlanRecord, fc.uint8Array({ minLength: 8, maxLength: 8 }), (h, bytes) => {
        const buf = new Uint8Array(8);
        emitVxlan(h, buf, 0);
        expect(parseVxlan(buf)).toEqual(h);
        const again = new Uint8Array(8);
        emitVxlan(parseVxlan(bytes), again, 0);
        expect(toHex(again)).toBe(toHex(bytes));
      }),
    );
  });

  it("setting the VNI changes only bytes 4-6", () => {
    fc.assert(
      fc.property(
        fc.uint8Array({ minLength: 8, maxLength: 8 }),
        fc.integer({ min: 0, max: 0xffffff }),
        (b, vni) => {
          const before = b.slice();
          const v = new VxlanView().wrap(b);
          v.vni = vni;
          expect(v.vni).toBe(vni);
          expect(parseVxlan(b)).toEqual({ ...parseVxlan(before), vni });
        },
      ),
    );
  });

  it("random bytes: only ParseError", () => {
    fc.assert(
      fc.property(fc.uint8Array({ maxLength: 12 }), (b) => {
        onlyParseError(() => summarizeVxlan(parseVxlan(b)));
      }),
    );
  });
});
