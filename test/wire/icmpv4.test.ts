/**
 * ICMPv4 (src/wire/icmpv4.ts): every ICMP message of the Linux wire fixtures decoded, rebuilt byte
 * for byte and printed as tcpdump printed it (the whole text after `IP A > B: `); every type and
 * code tcpdump words specially, and every truncation, against text tcpdump 4.99.3 printed for the
 * same bytes; properties over all records and byte strings.
 */

import { execFileSync } from "node:child_process";
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import fc from "fast-check";
import { describe, expect, it } from "vitest";
import { MemorySink } from "../../src/capture/byte-sink.js";
import { readPcap } from "../../src/capture/pcap-reader.js";
import { PcapWriter } from "../../src/capture/pcap-writer.js";
import { checksum } from "../../src/util/checksum.js";
import { ParseError } from "../../src/util/errors.js";
import { ipv4 } from "../../src/util/ipv4-address.js";
import { EthernetView, parseEthernet, summarizeEthernet } from "../../src/wire/ethernet.js";
import {
  echoIdOf,
  echoRest,
  echoSeqOf,
  emitIcmp,
  fragNeededRest,
  gatewayOf,
  ICMP_DEST_UNREACH,
  ICMP_ECHO_REPLY,
  ICMP_ECHO_REQUEST,
  ICMP_EXC_FRAGTIME,
  ICMP_EXC_TTL,
  ICMP_FRAG_NEEDED,
  ICMP_HEADER_LEN,
  ICMP_HOST_ANO,
  ICMP_HOST_ISOLATED,
  ICMP_HOST_UNKNOWN,
  ICMP_HOST_UNR_TOS,
  ICMP_HOST_UNREACH,
  ICMP_NET_ANO,
  ICMP_NET_UNKNOWN,
  ICMP_NET_UNR_TOS,
  ICMP_NET_UNREACH,
  ICMP_PARAMETER_PROBLEM,
  ICMP_PKT_FILTERED,
  ICMP_PORT_UNREACH,
  ICMP_PREC_CUTOFF,
  ICMP_PREC_VIOLATION,
  ICMP_PROT_UNREACH,
  ICMP_REDIRECT,
  ICMP_SOURCE_QUENCH,
  ICMP_SR_FAILED,
  ICMP_TIME_EXCEEDED,
  ICMP_TRUNCATED_TEXT,
  type IcmpHeader,
  IcmpView,
  isIcmpError,
  nextHopMtuOf,
  parameterProblemRest,
  parseIcmp,
  pointerOf,
  redirectRest,
  summarizeIcmp,
} from "../../src/wire/icmpv4.js";
import {
  emitIpv4,
  type Ipv4Header,
  Ipv4View,
  ipv4HeaderLength,
  summarizeAddresses,
} from "../../src/wire/ipv4.js";
import { fixtureFrames, fixtureText, WIRE_FIXTURES } from "../helpers/fixtures.js";

interface Message {
  line: number;
  bytes: Uint8Array;
  eth: number;
  ip: number;
  /** Start and end of the ICMP message (end = the IP total length). */
  off: number;
  end: number;
  /** Part of a fragmented datagram: its checksum covers bytes this frame does not carry. */
  fragment: boolean;
}

/** Every ICMP message (with a header) in a fixture, VXLAN-carried ones included. */
function messages(name: string): Message[] {
  const out: Message[] = [];
  let line = 0;
  for (const bytes of fixtureFrames(name)) {
    let off = 0;
    for (;;) {
      const eth = new EthernetView().wrap(bytes, off);
      line++;
      if (eth.etherType !== 0x0800) break;
      const ip = eth.payloadOffset;
      const v = new Ipv4View().wrap(bytes, ip);
      const l4 = v.payloadOffset;
      if (v.protocol === 1 && v.fragmentOffset === 0)
        out.push({ line: line - 1, bytes, eth: off, ip, off: l4, end: ip + v.totalLength, fragment: v.mf });
      const isVxlan = v.protocol === 17 && bytes[l4 + 2] === 0x12 && bytes[l4 + 3] === 0xb5;
      if (!isVxlan) break;
      off = l4 + 16;
    }
  }
  return out;
}

const hex = (b: Uint8Array) => Buffer.from(b).toString("hex");

describe("ICMP in the Linux fixtures", () => {
  it("echo request and reply: id and sequence in the rest-of-header word", () => {
    const [req, rep] = messages("arp-icmp-echo");
    expect(parseIcmp(req!.bytes, req!.off, req!.end)).toEqual({
      type: ICMP_ECHO_REQUEST,
      code: 0,
      checksum: new IcmpView().wrap(req!.bytes, req!.off, req!.end).checksum,
      rest: echoRest(3196, 1),
    });
    const v = new IcmpView().wrap(rep!.bytes, rep!.off, rep!.end);
    expect([v.type, v.code, v.id, v.seq, v.length, v.isError, v.checksumValid]).toEqual([
      ICMP_ECHO_REPLY,
      0,
      3196,
      1,
      64,
      false,
      true,
    ]);
  });

  it("errors Linux made: type, code, rest word, and the quoted datagram where quotedOffset points", () => {
    const err = (name: string) => messages(name).find((m) => isIcmpError(m.bytes[m.off] as number))!;
    const te = err("icmp-time-exceeded");
    expect(parseIcmp(te.bytes, te.off, te.end)).toMatchObject({
      type: ICMP_TIME_EXCEEDED,
      code: ICMP_EXC_TTL,
      rest: 0,
    });
    const fn = err("icmp-frag-needed");
    const fv = new IcmpView().wrap(fn.bytes, fn.off, fn.end);
    expect([fv.type, fv.code, fv.mtu, fv.rest, fv.length]).toEqual([
      ICMP_DEST_UNREACH,
      ICMP_FRAG_NEEDED,
      1280,
      fragNeededRest(1280),
      556,
    ]);
    const hu = err("icmp-host-unreachable");
    expect(parseIcmp(hu.bytes, hu.off, hu.end)).toMatchObject({
      type: ICMP_DEST_UNREACH,
      code: ICMP_HOST_UNREACH,
      rest: 0,
    });
    const pu = err("udp");
    const pv = new IcmpView().wrap(pu.bytes, pu.off, pu.end);
    expect([pv.type, pv.code, pv.isError, pv.quotedOffset - pu.off]).toEqual([
      ICMP_DEST_UNREACH,
      ICMP_PORT_UNREACH,
      true,
      8,
    ]);
    // The quote is the datagram that failed: 10.0.0.1:40000 → 10.0.0.2:5001, as sent (frame 2 of udp).
    const q = new Ipv4View().wrapQuoted(pu.bytes, pv.quotedOffset, pu.end);
    expect([q.src, q.dst, q.protocol]).toEqual([ipv4("10.0.0.1"), ipv4("10.0.0.2"), 17]);
    const sent = fixtureFrames("udp")[1]!;
    expect(hex(pu.bytes.subarray(pv.quotedOffset, pu.end))).toBe(hex(sent.subarray(14)));
    // Kernel errors quote at most 576 - 20 - 8 = 548 bytes of the offending datagram.
    expect(fn.end - new IcmpView().wrap(fn.bytes, fn.off, fn.end).quotedOffset).toBe(548);
  });

  it.each(WIRE_FIXTURES)(
    "%s: every message decodes, checks, re-encodes, and prints as tcpdump printed it",
    (name) => {
      const plain = fixtureText(name);
      const link = fixtureText(name, "-e");
      for (const m of messages(name)) {
        const h = parseIcmp(m.bytes, m.off, m.end);
        const v = new IcmpView().wrap(m.bytes, m.off, m.end);
        expect([v.type, v.code, v.checksum, v.rest]).toEqual([h.type, h.code, h.checksum, h.rest]);
        expect(v.checksumValid).toBe(!m.fragment);
        const length = m.end - m.off;
        // As parsed: the same 8 header bytes over the same payload.
        const again = m.bytes.slice(m.off, m.end);
        again.fill(0, 0, ICMP_HEADER_LEN);
        expect(emitIcmp(h, again, 0, length - ICMP_HEADER_LEN)).toBe(ICMP_HEADER_LEN);
        expect(hex(again)).toBe(hex(m.bytes.subarray(m.off, m.end)));
        if (!m.fragment) {
          // Without the checksum: computed over header and the payload already in place.
          const { checksum: _c, ...bare } = h;
          const fresh = m.bytes.slice(m.off, m.end);
          fresh.fill(0xee, 0, ICMP_HEADER_LEN);
          emitIcmp(bare, fresh, 0, length - ICMP_HEADER_LEN);
          expect(hex(fresh)).toBe(hex(m.bytes.subarray(m.off, m.end)));
        }
        const ip = new Ipv4View().wrap(m.bytes, m.ip);
        const text = `${summarizeAddresses(ip.src, ip.dst)}: ${summarizeIcmp(m.bytes, m.off, length)}`;
        expect(`IP ${text}`).toBe(plain[m.line]);
        const eth = parseEthernet(m.bytes, m.eth);
        expect(summarizeEthernet(eth, m.bytes.length - m.eth) + text).toBe(link[m.line]);
      }
    },
  );

  it("every destination-unreachable code, redirects, quench, parameter problem, echo: tcpdump's text", () => {
    // Frames built by test/fixtures/tcpdump/icmp-messages.ts, printed by the real tcpdump beside them.
    const dir = new URL("../fixtures/tcpdump/", import.meta.url);
    const frames = readPcap(new Uint8Array(readFileSync(new URL("icmp-messages.pcap", dir)))).records.map(
      (r) => r.data,
    );
    const lines = readFileSync(new URL("icmp-messages.txt", dir), "utf8").trimEnd().split("\n");
    expect(frames.length).toBe(lines.length);
    frames.forEach((f, i) => {
      const ip = new Ipv4View().wrap(f, 14);
      expect(
        `IP ${summarizeAddresses(ip.src, ip.dst)}: ${summarizeIcmp(f, ip.payloadOffset, ip.payloadLength)}`,
      ).toBe(lines[i]);
    });
  });
});

describe("named constants", () => {
  it("destination-unreachable codes 0-15 and time-exceeded codes have the values of RFC 792/1122/1812", () => {
    expect([
      ICMP_NET_UNREACH,
      ICMP_HOST_UNREACH,
      ICMP_PROT_UNREACH,
      ICMP_PORT_UNREACH,
      ICMP_FRAG_NEEDED,
      ICMP_SR_FAILED,
      ICMP_NET_UNKNOWN,
      ICMP_HOST_UNKNOWN,
      ICMP_HOST_ISOLATED,
      ICMP_NET_ANO,
      ICMP_HOST_ANO,
      ICMP_NET_UNR_TOS,
      ICMP_HOST_UNR_TOS,
      ICMP_PKT_FILTERED,
      ICMP_PREC_VIOLATION,
      ICMP_PREC_CUTOFF,
    ]).toEqual([0, 1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11, 12, 13, 14, 15]);
    expect([ICMP_EXC_TTL, ICMP_EXC_FRAGTIME]).toEqual([0, 1]);
  });

  it("the error types are the ones that quote a datagram", () => {
    const errors = [];
    for (let t = 0; t < 256; t++) if (isIcmpError(t)) errors.push(t);
    expect(errors).toEqual([
      ICMP_DEST_UNREACH,
      ICMP_SOURCE_QUENCH,
      ICMP_REDIRECT,
      ICMP_TIME_EXCEEDED,
      ICMP_PARAMETER_PROBLEM,
    ]);
  });
});

const router = ipv4("10.0.1.254");
const host = ipv4("10.0.1.1");

/** An Ethernet + IPv4 frame 10.0.1.254 → 10.0.1.1 carrying `icmp` as it is (any length). */
function frame(icmp: Uint8Array | number[]): Uint8Array {
  const body = Uint8Array.from(icmp);
  const ip: Ipv4Header = {
    tos: 0xc0,
    id: 1,
    df: false,
    mf: false,
    fragmentOffset: 0,
    ttl: 64,
    protocol: 1,
    src: router,
    dst: host,
    options: new Uint8Array(0),
  };
  const f = new Uint8Array(14 + 20 + body.length);
  f.set([2, 0, 0, 0, 1, 0x0a, 2, 0, 0, 0, 1, 0xfe, 8, 0]);
  emitIpv4(ip, f, 14, body.length);
  f.set(body, 34);
  return f;
}

/** An ICMP message with its checksum. */
function msg(type: number, code: number, rest: number, payload: Uint8Array | number[] = []): Uint8Array {
  const b = new Uint8Array(ICMP_HEADER_LEN + payload.length);
  b.set(payload, ICMP_HEADER_LEN);
  emitIcmp({ type, code, rest }, b, 0, payload.length);
  return b;
}

/** The datagram an error quotes: 10.0.1.1 → 10.0.2.1, TTL 1, DF, with `l4` (default a UDP header to 5001). */
function quoted(
  protocol = 17,
  l4: number[] = [0x9c, 0x40, 0x13, 0x89, 0, 8, 0, 0],
  options: number[] = [],
): Uint8Array {
  const h: Ipv4Header = {
    tos: 0,
    id: 1,
    df: true,
    mf: false,
    fragmentOffset: 0,
    ttl: 1,
    protocol,
    src: host,
    dst: ipv4("10.0.2.1"),
    options: Uint8Array.from(options),
  };
  const hl = ipv4HeaderLength(h);
  const b = new Uint8Array(hl + l4.length);
  emitIpv4(h, b, 0, l4.length);
  b.set(l4, hl);
  return b;
}

const gw = ipv4("10.0.1.253");
const entries = (n: number) =>
  Array.from({ length: n }, (_, i) => [10, 0, 1, i, 0xff, 0xff, 0xff, 0xff]).flat();
/** A quoted header written out by hand (checksum zero), for IHL corner cases. */
const rawQuote = (vihl: number, protocol: number, more: number[]) => [
  vihl,
  0,
  0,
  0,
  0,
  0,
  0,
  0,
  0,
  protocol,
  0,
  0,
  10,
  0,
  1,
  1,
  10,
  0,
  2,
  1,
  ...more,
];

/**
 * ICMP messages Linux's fixtures do not contain, and what tcpdump 4.99.3 printed for exactly these
 * bytes after `IP 10.0.1.254 > 10.0.1.1: ` (checked again below whenever tcpdump is installed).
 */
const cases: Array<[string, Uint8Array, string]> = [
  ["unreachable code 16 (unassigned)", msg(3, 16, 0, quoted()), "ICMP 10.0.2.1 unreachable - #16, length 36"],
  ["unreachable code 255", msg(3, 255, 0, quoted()), "ICMP 10.0.2.1 unreachable - #255, length 36"],
  [
    "redirect code 4 (unassigned)",
    msg(5, 4, redirectRest(gw), quoted()),
    "ICMP redirect-#4 10.0.2.1 to 10.0.1.253, length 36",
  ],
  ["time exceeded code 2", msg(11, 2, 0, quoted()), "ICMP time exceeded-#2, length 36"],
  [
    "parameter problem code 1: no pointer",
    msg(12, 1, parameterProblemRest(20), quoted()),
    "ICMP parameter problem - code 1, length 36",
  ],
  [
    "parameter problem code 2",
    msg(12, 2, parameterProblemRest(20), quoted()),
    "ICMP parameter problem - code 2, length 36",
  ],
  ["parameter problem pointer 0", msg(12, 0, 0, quoted()), "ICMP parameter problem - octet 0, length 36"],
  [
    "port unreachable for SCTP",
    msg(3, 3, 0, quoted(132)),
    "ICMP 10.0.2.1 protocol 132 port 5001 unreachable, length 36",
  ],
  [
    "port unreachable for DCCP",
    msg(3, 3, 0, quoted(33)),
    "ICMP 10.0.2.1 protocol 33 port 5001 unreachable, length 36",
  ],
  [
    "port unreachable for ICMP",
    msg(3, 3, 0, quoted(1)),
    "ICMP 10.0.2.1 protocol 1 port 5001 unreachable, length 36",
  ],
  [
    "port unreachable, quoted header with options",
    msg(3, 3, 0, quoted(17, undefined, [1, 1, 1, 0])),
    "ICMP 10.0.2.1 udp port 5001 unreachable, length 40",
  ],
  [
    "port unreachable quoting only the IP header",
    msg(3, 3, 0, quoted().subarray(0, 20)),
    ICMP_TRUNCATED_TEXT,
  ],
  ["port unreachable quoting 3 bytes of UDP", msg(3, 3, 0, quoted().subarray(0, 23)), ICMP_TRUNCATED_TEXT],
  [
    "port unreachable quoting 4 bytes of UDP",
    msg(3, 3, 0, quoted().subarray(0, 24)),
    "ICMP 10.0.2.1 udp port 5001 unreachable, length 32",
  ],
  ["host unreachable quoting nothing", msg(3, 1, 0), ICMP_TRUNCATED_TEXT],
  ["host unreachable quoting 19 bytes", msg(3, 1, 0, quoted().subarray(0, 19)), ICMP_TRUNCATED_TEXT],
  [
    "host unreachable quoting 20 bytes",
    msg(3, 1, 0, quoted().subarray(0, 20)),
    "ICMP host 10.0.2.1 unreachable, length 28",
  ],
  ["protocol unreachable quoting 10 bytes", msg(3, 2, 0, quoted().subarray(0, 10)), ICMP_TRUNCATED_TEXT],
  [
    "need to frag quoting 19 bytes",
    msg(3, 4, fragNeededRest(1280), quoted().subarray(0, 19)),
    ICMP_TRUNCATED_TEXT,
  ],
  ["time exceeded quoting nothing", msg(11, 0, 0), ICMP_TRUNCATED_TEXT],
  ["redirect quoting nothing", msg(5, 1, redirectRest(gw)), ICMP_TRUNCATED_TEXT],
  ["source quench quoting nothing", msg(4, 0, 0), "ICMP source quench, length 8"],
  ["parameter problem quoting nothing", msg(12, 0, 0), "ICMP parameter problem - octet 0, length 8"],
  ["echo request without data", msg(8, 0, echoRest(5, 1)), "ICMP echo request, id 5, seq 1, length 8"],
  ["echo request with code 3", msg(8, 3, echoRest(5, 1)), "ICMP echo request, id 5, seq 1, length 8"],
  ["echo reply with code 9", msg(0, 9, echoRest(5, 1)), "ICMP echo reply, id 5, seq 1, length 8"],
  ...[1, 2, 6, 7, 19, 30, 37, 40, 42, 43, 200, 255].map((t): [string, Uint8Array, string] => [
    `type ${t}`,
    msg(t, 0, echoRest(5, 1), new Uint8Array(12)),
    `ICMP type-#${t}, length 20`,
  ]),
  ["router solicitation", msg(10, 0, 0, new Uint8Array(12)), "ICMP router solicitation, length 20"],
  ["information request", msg(15, 0, 0, new Uint8Array(12)), "ICMP information request, length 20"],
  ["information reply", msg(16, 0, 0, new Uint8Array(12)), "ICMP information reply, length 20"],
  ["address mask request", msg(17, 0, 0, new Uint8Array(12)), "ICMP address mask request, length 20"],
  ["address mask reply", msg(18, 0, 0, [255, 255, 255, 0]), "ICMP address mask is 0xffffff00, length 12"],
  ["address mask reply cut short", msg(18, 0, 0, [255, 255, 255]), ICMP_TRUNCATED_TEXT],
  [
    "time stamp request",
    msg(13, 0, echoRest(1, 2), new Uint8Array(12)),
    "ICMP time stamp query id 1 seq 2, length 20",
  ],
  [
    "time stamp reply (ms since midnight; hours not wrapped)",
    msg(14, 0, echoRest(1, 2), [0xff, 0xff, 0xff, 0xff, 0x05, 0x26, 0x5c, 0x00, 0x05, 0x26, 0x5c, 0x01]),
    "ICMP time stamp reply id 1 seq 2: org 1193:02:47.295, recv 24:00:00.000, xmit 24:00:00.001, length 20",
  ],
  ["time stamp reply cut short", msg(14, 0, echoRest(1, 2), new Uint8Array(11)), ICMP_TRUNCATED_TEXT],
  [
    "router advertisement",
    msg(9, 0, 0x03020000, entries(3)),
    "ICMP router advertisement lifetime 0 3: {10.0.1.0 4294967295} {10.0.1.1 4294967295} {10.0.1.2 4294967295}, length 32",
  ],
  ["router advertisement missing an entry", msg(9, 0, 0x03020000, entries(2)), ICMP_TRUNCATED_TEXT],
  [
    "router advertisement too long for tcpdump's buffer: cut at 163 characters",
    msg(9, 0, 0x0802ffff, entries(8)),
    "ICMP router advertisement lifetime 18:12:15 8: {10.0.1.0 4294967295} {10.0.1.1 4294967295} {10.0.1.2 4294967295} " +
      "{10.0.1.3 4294967295} {10.0.1.4 4294967295} {10.0.1.5 4, length 72",
  ],
  [
    "router advertisement lifetime 59",
    msg(9, 0, 0x0002003b),
    "ICMP router advertisement lifetime 59 0:, length 8",
  ],
  [
    "router advertisement lifetime 60",
    msg(9, 0, 0x0002003c),
    "ICMP router advertisement lifetime 1:00 0:, length 8",
  ],
  [
    "router advertisement lifetime 3599",
    msg(9, 0, 0x00020e0f),
    "ICMP router advertisement lifetime 59:59 0:, length 8",
  ],
  [
    "router advertisement entry size 3",
    msg(9, 5, 0x00030000),
    "ICMP router advertisement lifetime 0 0: [size 3], length 8",
  ],
  ["one byte", Uint8Array.of(4), ICMP_TRUNCATED_TEXT],
  ["type and code only", Uint8Array.of(4, 0), "ICMP source quench, length 2"],
  ["parameter problem without its pointer", Uint8Array.of(12, 0, 0, 0), ICMP_TRUNCATED_TEXT],
  [
    "parameter problem, pointer and nothing more",
    Uint8Array.of(12, 0, 0, 0, 7),
    "ICMP parameter problem - octet 7, length 5",
  ],
  ["parameter problem code 1, two bytes", Uint8Array.of(12, 1), "ICMP parameter problem - code 1, length 2"],
  ["nothing at all", new Uint8Array(0), ICMP_TRUNCATED_TEXT],
  ["echo request of 4 bytes", Uint8Array.of(8, 0, 0, 0), ICMP_TRUNCATED_TEXT],
  [
    "quoted IHL 6: the port comes after the options",
    msg(3, 3, 0, rawQuote(0x46, 17, [1, 1, 1, 1, 0x9c, 0x40, 0x13, 0x89])),
    "ICMP 10.0.2.1 udp port 5001 unreachable, length 36",
  ],
  [
    "quoted IHL 6, one byte short",
    msg(3, 3, 0, rawQuote(0x46, 17, [1, 1, 1, 1, 0x9c, 0x40, 0x13])),
    ICMP_TRUNCATED_TEXT,
  ],
  [
    "quoted IHL 1: the port is read inside the IP header",
    msg(3, 3, 0, rawQuote(0x41, 17, [])),
    "ICMP 10.0.2.1 udp port 0 unreachable, length 28",
  ],
  ["quoted IHL 15 with only 20 bytes", msg(3, 3, 0, rawQuote(0x4f, 6, [])), ICMP_TRUNCATED_TEXT],
];

function ours(f: Uint8Array): string {
  const ip = new Ipv4View().wrap(f, 14);
  return `IP ${summarizeAddresses(ip.src, ip.dst)}: ${summarizeIcmp(f, ip.payloadOffset, ip.payloadLength)}`;
}

function hasTcpdump(): boolean {
  try {
    execFileSync("tcpdump", ["--version"], { stdio: "ignore" });
    return true;
  } catch {
    return false;
  }
}

function tcpdump(frames: Uint8Array[]): string {
  const sink = new MemorySink();
  const w = new PcapWriter(sink);
  frames.forEach((f, i) => {
    w.writePacket(i * 1000, f);
  });
  w.close();
  const dir = mkdtempSync(join(tmpdir(), "dw-icmp-"));
  try {
    const file = join(dir, "icmp.pcap");
    writeFileSync(file, sink.bytes());
    return execFileSync("tcpdump", ["-n", "-t", "-r", file], {
      encoding: "utf8",
      stdio: ["ignore", "pipe", "ignore"],
    });
  } finally {
    rmSync(dir, { recursive: true });
  }
}

describe("ICMP text for what Linux's fixtures do not show", () => {
  it.each(cases)("%s", (_what, icmp, text) => {
    expect(ours(frame(icmp))).toBe(`IP 10.0.1.254 > 10.0.1.1: ${text}`);
  });

  it.skipIf(!hasTcpdump())("the installed tcpdump prints the same lines for the same bytes", () => {
    const frames = cases.map((c) => frame(c[1]));
    expect(tcpdump(frames).trimEnd().split("\n")).toEqual(frames.map(ours));
  });
});

const u8 = fc.integer({ min: 0, max: 0xff });
const u16 = fc.integer({ min: 0, max: 0xffff });
const u32 = fc.integer({ min: 0, max: 0xffffffff });
const icmp: fc.Arbitrary<IcmpHeader> = fc.record({ type: u8, code: u8, rest: u32 });

function reason(fn: () => unknown): string {
  try {
    fn();
  } catch (e) {
    expect(e).toBeInstanceOf(ParseError);
    return (e as ParseError).reason;
  }
  return "none";
}

describe("ICMP properties", () => {
  it("parse(emit(h)) = h with the checksum over header and payload filled in", () => {
    fc.assert(
      fc.property(icmp, fc.uint8Array({ maxLength: 80 }), (h, payload) => {
        const buf = new Uint8Array(ICMP_HEADER_LEN + payload.length);
        buf.set(payload, ICMP_HEADER_LEN);
        expect(emitIcmp(h, buf, 0, payload.length)).toBe(ICMP_HEADER_LEN);
        const back = parseIcmp(buf);
        const zeroed = buf.slice();
        zeroed[2] = 0;
        zeroed[3] = 0;
        expect(back).toEqual({ ...h, checksum: checksum(zeroed, 0, zeroed.length) });
        expect(new IcmpView().wrap(buf).checksumValid).toBe(true);
      }),
    );
  });

  it("any message re-encodes from its record to the same bytes; fillChecksum makes it valid", () => {
    fc.assert(
      fc.property(fc.uint8Array({ minLength: 8, maxLength: 80 }), (b) => {
        const again = b.slice();
        again.fill(0, 0, ICMP_HEADER_LEN);
        emitIcmp(parseIcmp(b), again, 0, b.length - ICMP_HEADER_LEN);
        expect(again).toEqual(b);
        const v = new IcmpView().wrap(again);
        v.fillChecksum();
        expect(v.checksumValid).toBe(true);
      }),
    );
  });

  it("rest-of-header helpers write what the view and the readers get back", () => {
    fc.assert(
      fc.property(u16, u16, u32, u8, (id, seq, addr, ptr) => {
        expect([echoIdOf(echoRest(id, seq)), echoSeqOf(echoRest(id, seq))]).toEqual([id, seq]);
        expect(nextHopMtuOf(fragNeededRest(id))).toBe(id);
        expect(gatewayOf(redirectRest(addr))).toBe(addr);
        expect(pointerOf(parameterProblemRest(ptr))).toBe(ptr);
        const b = new Uint8Array(8);
        const v = new IcmpView();
        emitIcmp({ type: 8, code: 0, rest: echoRest(id, seq) }, b, 0);
        expect([v.wrap(b).id, v.seq]).toEqual([id, seq]);
        emitIcmp({ type: 3, code: 4, rest: fragNeededRest(seq) }, b, 0);
        expect(v.wrap(b).mtu).toBe(seq);
        emitIcmp({ type: 5, code: 1, rest: redirectRest(addr) }, b, 0);
        expect(v.wrap(b).gateway).toBe(addr);
        emitIcmp({ type: 12, code: 0, rest: parameterProblemRest(ptr) }, b, 0);
        expect(v.wrap(b).pointer).toBe(ptr);
      }),
    );
  });

  it("random bytes: parse gives ParseError only below 8 bytes; the text never throws", () => {
    fc.assert(
      fc.property(fc.uint8Array({ maxLength: 80 }), fc.nat(100), fc.nat(100), (b, off, len) => {
        expect(reason(() => parseIcmp(b))).toBe(b.length < ICMP_HEADER_LEN ? "truncated" : "none");
        const text = summarizeIcmp(b, off, len);
        expect(text === ICMP_TRUNCATED_TEXT || text.startsWith("ICMP ")).toBe(true);
        if (text !== ICMP_TRUNCATED_TEXT) expect(text.endsWith(`, length ${len}`)).toBe(true);
      }),
    );
  });

  it("every truncation of every Linux message: ParseError below 8 bytes, [|icmp] until the fields tcpdump reads are there", () => {
    for (const name of WIRE_FIXTURES) {
      for (const m of messages(name)) {
        const full = summarizeIcmp(m.bytes, m.off, m.end - m.off);
        const type = m.bytes[m.off] as number;
        const quotedHl = ((m.bytes[m.off + 8] as number) & 15) * 4;
        const code = m.bytes[m.off + 1] as number;
        // Echo: id and seq. Errors: the quoted destination (and for port unreachable the port).
        const needed = !isIcmpError(type)
          ? 8
          : type === 3 && code === 3
            ? Math.max(28, 8 + quotedHl + 4)
            : 28;
        for (let len = 0; len <= m.end - m.off; len++) {
          expect(reason(() => parseIcmp(m.bytes, m.off, m.off + len))).toBe(len < 8 ? "truncated" : "none");
          const text = summarizeIcmp(m.bytes, m.off, len);
          if (len < needed) expect(text).toBe(ICMP_TRUNCATED_TEXT);
          else expect(text).toBe(full.replace(/length \d+$/, `length ${len}`));
        }
      }
    }
  });

  it("quotedOffset and isError follow the type", () => {
    fc.assert(
      fc.property(icmp, fc.nat(16), (h, off) => {
        const b = new Uint8Array(off + 36);
        emitIcmp(h, b, off);
        const v = new IcmpView().wrap(b, off);
        expect(v.isError).toBe([3, 4, 5, 11, 12].includes(h.type));
        expect(v.quotedOffset).toBe(off + 8);
      }),
    );
  });
});
