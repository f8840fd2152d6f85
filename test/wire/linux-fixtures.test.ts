/**
 * Every frame Linux put on the wire in the fixtures: decoded by dockwire, rebuilt byte for byte
 * from the records (with the checksums recomputed from scratch), and printed as tcpdump printed it.
 */

import { describe, expect, it } from "vitest";
import { type DecodedFrame, decodeFrame, encodeFrame, summarizeFrame } from "../../src/wire/frame.js";
import { summarizeIpv4Verbose } from "../../src/wire/ipv4.js";
import { TcpSequenceTracker } from "../../src/wire/tcp.js";
import { fixtureFrames, fixtureText, WIRE_FIXTURES } from "../helpers/fixtures.js";

/** The same frame with every checksum and length field removed, so encodeFrame must compute them. */
function stripComputed(f: DecodedFrame): DecodedFrame {
  const g: DecodedFrame = { ...f };
  if (f.ipv4) {
    const { checksum: _c, totalLength: _t, ...rest } = f.ipv4;
    g.ipv4 = rest;
    // A fragment's transport checksum covers the whole datagram: it cannot be recomputed here.
    if (f.ipv4.mf) return g;
  }
  if (f.ipv6) {
    const { payloadLength: _p, ...rest } = f.ipv6;
    g.ipv6 = rest;
  }
  if (f.icmp) {
    const { checksum: _c, ...rest } = f.icmp;
    g.icmp = rest;
  }
  if (f.icmpv6) {
    const { checksum: _c, ...rest } = f.icmpv6;
    g.icmpv6 = rest;
  }
  if (f.udp) {
    const { checksum: _c, length: _l, ...rest } = f.udp;
    g.udp = rest;
  }
  if (f.tcp) {
    const { checksum: _c, dataOffset: _d, ...rest } = f.tcp;
    g.tcp = rest;
  }
  if (f.inner) g.inner = stripComputed(f.inner);
  return g;
}

/** tcpdump adds application text for well-known ports (`: HTTP: GET / HTTP/1.0`); dockwire does not. */
function withoutAppLayer(line: string): string {
  return line.replace(/(, length \d+): HTTP.*$/, "$1");
}

describe.each(WIRE_FIXTURES)("Linux fixture %s", (name) => {
  const frames = fixtureFrames(name);

  it("has frames", () => {
    expect(frames.length).toBeGreaterThan(0);
  });

  it("decodes every frame and re-encodes the same bytes, as captured and with checksums recomputed", () => {
    for (const bytes of frames) {
      const f = decodeFrame(bytes);
      expect(Buffer.from(encodeFrame(f)).toString("hex")).toBe(Buffer.from(bytes).toString("hex"));
      expect(Buffer.from(encodeFrame(stripComputed(f))).toString("hex")).toBe(
        Buffer.from(bytes).toString("hex"),
      );
    }
  });

  it("prints every frame exactly as tcpdump -n -t did", () => {
    const tracker = new TcpSequenceTracker();
    const ours = frames.flatMap((b) =>
      summarizeFrame(decodeFrame(b), b.length, { tcp: tracker }).split("\n"),
    );
    expect(ours).toEqual(fixtureText(name).map(withoutAppLayer));
  });

  it("prints every IPv4 header exactly as tcpdump -v did", () => {
    const headers: string[] = [];
    const collect = (f: DecodedFrame | undefined): void => {
      if (!f) return;
      if (f.ipv4) headers.push(`IP ${summarizeIpv4Verbose(f.ipv4)}`);
      collect(f.inner);
    };
    for (const b of frames) collect(decodeFrame(b));
    expect(headers).toEqual(fixtureText(name, "-v").filter((l) => l.startsWith("IP (")));
  });

  it("prints every frame exactly as tcpdump -e -n -t did", () => {
    const tracker = new TcpSequenceTracker();
    const ours = frames.flatMap((b) =>
      summarizeFrame(decodeFrame(b), b.length, { link: true, tcp: tracker }).split("\n"),
    );
    expect(ours).toEqual(fixtureText(name, "-e").map(withoutAppLayer));
  });
});
