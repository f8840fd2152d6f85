/**
 * TCP records, views and tcpdump text: hand-made segments, segments Linux sent (the wire fixtures),
 * crafted option areas whose text the real tcpdump 4.99.3 printed, and fast-check properties.
 */

import { execFileSync } from "node:child_process";
import { mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import fc from "fast-check";
import { describe, expect, it } from "vitest";
import { MemorySink } from "../../src/capture/byte-sink.js";
import { PcapWriter } from "../../src/capture/pcap-writer.js";
import { fromHex, put16, put32, toHex, u16, u32 } from "../../src/util/bytes.js";
import { ParseError } from "../../src/util/errors.js";
import { ipv4 } from "../../src/util/ipv4-address.js";
import { ETHERTYPE_IPV4, emitEthernet } from "../../src/wire/ethernet.js";
import { emitIpv4, IPPROTO_TCP } from "../../src/wire/ipv4.js";
import {
  checkTcpChecksum,
  emitTcp,
  parseTcp,
  summarizeTcp,
  TCP_ACK,
  TCP_AE,
  TCP_CWR,
  TCP_ECE,
  TCP_FIN,
  TCP_PSH,
  TCP_RST,
  TCP_SYN,
  TCP_URG,
  type TcpHeader,
  TcpSequenceTracker,
  TcpView,
  tcpChecksum,
  tcpFlagsText,
  tcpHeaderLength,
} from "../../src/wire/tcp.js";
import {
  parseTcpOptions,
  summarizeTcpOptions,
  TCPOPT_MSS,
  TCPOPT_SACK,
  TCPOPT_TIMESTAMP,
  TCPOPT_WINDOW,
  type TcpOption,
  tcpOptionsLength,
  tcpOptionsText,
} from "../../src/wire/tcp-options.js";
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

/** The IPv4 datagrams of a fixture that carry `protocol`, located by reading the header bytes. */
interface Segment {
  frame: Uint8Array;
  l4: number;
  end: number;
  src: number;
  dst: number;
}
function segments(name: string, protocol: number): Segment[] {
  const out: Segment[] = [];
  for (const frame of fixtureFrames(name)) {
    if (u16(frame, 12) !== ETHERTYPE_IPV4 || frame[14 + 9] !== protocol) continue;
    const ihl = ((frame[14] as number) & 0x0f) * 4;
    out.push({ frame, l4: 14 + ihl, end: 14 + u16(frame, 16), src: u32(frame, 26), dst: u32(frame, 30) });
  }
  return out;
}

/** A tcpdump line without `IP A.p > B.q: ` (or -v's indented address part) and application text. */
function transportText(line: string): string {
  return line.replace(/^(IP |\s+)\S+ > \S+: /, "").replace(/(, length \d+): HTTP.*$/, "$1");
}

// A SYN as Linux sends it (linux-notes.md): window 64240, MSS 1460, SACK_PERM, TS, NOP, WS 7.
const SYN_HEX =
  "a028 1f90 c4c1 3c66 0000 0000 a002 faf0 0000 0000" + // ports 41000 > 8080, seq, ack 0, offset 10, SYN
  "0204 05b4 0402 080a 1768 f35a 0000 0000 0103 0307"; // mss 1460, sackOK, TS 392754010/0, nop, wscale 7
const A = ipv4("10.0.0.1");
const B = ipv4("10.0.0.2");

function synBytes(): Uint8Array {
  const b = fromHex(SYN_HEX);
  put16(b, 16, tcpChecksum(b, 0, b.length, A, B));
  return b;
}

describe("TCP header fields and options from hand-made bytes", () => {
  it("decodes a Linux-style SYN into the record", () => {
    const b = synBytes();
    expect(parseTcp(b)).toEqual({
      srcPort: 41000,
      dstPort: 8080,
      seq: 3300998246,
      ack: 0,
      dataOffset: 10,
      flags: TCP_SYN,
      window: 64240,
      checksum: u16(b, 16),
      urgentPointer: 0,
      options: [
        { kind: 2, mss: 1460 },
        { kind: 4 },
        { kind: 8, tsval: 392754010, tsecr: 0 },
        { kind: 1 },
        { kind: 3, shift: 7 },
      ],
    });
  });

  it("the view reads every field and finds option values without a record", () => {
    const b = synBytes();
    const v = new TcpView().wrap(b);
    expect([v.srcPort, v.dstPort, v.seq, v.ack, v.dataOffset, v.headerLength]).toEqual([
      41000, 8080, 3300998246, 0, 10, 40,
    ]);
    expect([v.flags, v.window, v.urgentPointer, v.payloadOffset]).toEqual([TCP_SYN, 64240, 0, 40]);
    expect(v.hasFlag(TCP_SYN)).toBe(true);
    expect(v.hasFlag(TCP_SYN | TCP_ACK)).toBe(false);
    expect(v.optionOffset(TCPOPT_MSS)).toBe(20);
    expect(v.optionOffset(TCPOPT_TIMESTAMP)).toBe(26);
    expect(v.optionOffset(TCPOPT_WINDOW)).toBe(37);
    expect(v.optionOffset(TCPOPT_SACK)).toBe(-1);
    expect([v.optionMss, v.optionWindowScale, v.optionTsval, v.optionTsecr]).toEqual([1460, 7, 392754010, 0]);
    expect(v.optionsValid).toBe(true);
    expect(v.checksumValid(A, B, b.length)).toBe(true);
    expect(v.checksumValid(A, B + 1, b.length)).toBe(false);
  });

  it("setters write their field only and keep the data offset", () => {
    const b = synBytes();
    const v = new TcpView().wrap(b);
    v.srcPort = 1;
    v.dstPort = 2;
    v.seq = 0xfffffffe;
    v.ack = 5;
    v.flags = TCP_SYN | TCP_ACK | TCP_AE;
    v.window = 65160;
    v.checksum = 0xbeef;
    v.urgentPointer = 9;
    expect(toHex(b, 0, 20)).toBe("00010002fffffffe00000005a112fe88beef0009");
    expect(v.dataOffset).toBe(10);
    expect(v.flags).toBe(0x112);
  });

  it("emits the same bytes from the record, and computes data offset and checksum when absent", () => {
    const b = synBytes();
    const h = parseTcp(b);
    const out = new Uint8Array(40);
    expect(emitTcp(h, out, 0, 0, A, B)).toBe(40);
    expect(toHex(out)).toBe(toHex(b));
    const { dataOffset: _d, checksum: _c, ...rest } = h;
    const again = new Uint8Array(40).fill(0xaa);
    expect(emitTcp(rest, again, 0, 0, A, B)).toBe(40);
    expect(toHex(again)).toBe(toHex(b));
    expect(tcpHeaderLength(rest)).toBe(40);
  });

  it("computes the checksum over the payload that follows the header", () => {
    const h: TcpHeader = {
      srcPort: 41000,
      dstPort: 8080,
      seq: 1,
      ack: 2,
      flags: TCP_PSH | TCP_ACK,
      window: 502,
      urgentPointer: 0,
      options: [{ kind: 1 }, { kind: 1 }, { kind: 8, tsval: 10, tsecr: 20 }],
    };
    const payload = new TextEncoder().encode("GET / HTTP/1.0\r\n\r\n");
    const buf = new Uint8Array(32 + payload.length);
    buf.set(payload, 32);
    expect(emitTcp(h, buf, 0, payload.length, A, B)).toBe(32);
    const v = new TcpView().wrap(buf);
    expect(v.checksumValid(A, B, buf.length)).toBe(true);
    // Over the header alone it would differ: the payload is covered.
    expect(tcpChecksum(buf, 0, 32, A, B)).not.toBe(v.checksum);
  });

  it("refuses to emit options that do not fill whole words or disagree with the data offset", () => {
    const base = { srcPort: 1, dstPort: 2, seq: 0, ack: 0, flags: 0, window: 0, urgentPointer: 0 };
    const buf = new Uint8Array(64);
    expect(() => emitTcp({ ...base, options: [{ kind: 1 }] }, buf, 0, 0, A, B)).toThrow(RangeError);
    const tooLong: TcpOption[] = Array.from(
      { length: 11 },
      () => ({ kind: 8, tsval: 1, tsecr: 2 }) as TcpOption,
    );
    expect(() => emitTcp({ ...base, options: tooLong }, buf, 0, 0, A, B)).toThrow(RangeError);
    expect(() => emitTcp({ ...base, dataOffset: 6, options: [] }, buf, 0, 0, A, B)).toThrow(RangeError);
  });
});

describe("TCP options", () => {
  const parse = (hex: string) => {
    const b = fromHex(hex);
    return parseTcpOptions(b, 0, b.length);
  };

  it("keeps unknown kinds, their data and the bytes after EOL", () => {
    expect(parse("1e0400011c04800300ab0000")).toEqual([
      { kind: 30, data: Uint8Array.of(0, 1) },
      { kind: 28, data: Uint8Array.of(0x80, 3) },
      { kind: 0, after: Uint8Array.of(0xab, 0, 0) },
    ]);
  });

  it("reads SACK blocks", () => {
    expect(parse("0101051200000010000000200000003000000040")).toEqual([
      { kind: 1 },
      { kind: 1 },
      {
        kind: 5,
        blocks: [
          { left: 16, right: 32 },
          { left: 48, right: 64 },
        ],
      },
    ]);
  });

  it("keeps a known kind with a length the kernel would not accept as raw data", () => {
    expect(parse("0203050101010101")).toEqual([
      { kind: 2, data: Uint8Array.of(5) },
      { kind: 1 },
      { kind: 1 },
      { kind: 1 },
      { kind: 1 },
      { kind: 1 },
    ]);
    expect(parse("04040000080800000001000001010101")[0]).toEqual({ kind: 4, data: Uint8Array.of(0, 0) });
    expect(parse("0506000000010101")[0]).toEqual({ kind: 5, data: Uint8Array.of(0, 0, 0, 1) });
    expect(parse("05020101")[0]).toEqual({ kind: 5, data: new Uint8Array(0) }); // no blocks: Linux ignores it
  });

  it("a length below 2 or past the header is a ParseError from parse; the view stops there like Linux", () => {
    for (const [hex, why] of [
      ["020405b4" + "08010000", "bad-length"], // TS claims 1 byte
      ["0101" + "020905b4" + "0000", "bad-length"], // MSS claims 9 bytes, 6 left
      ["01010103", "truncated"], // WS has no length byte
      ["020405b4" + "0800" + "0000", "bad-length"],
    ] as const) {
      const seg = new Uint8Array(20 + hex.length / 2);
      seg[12] = (seg.length / 4) << 4;
      seg.set(fromHex(hex), 20);
      expect(reason(() => parseTcp(seg))).toBe(why);
      const v = new TcpView().wrap(seg);
      expect(v.optionsValid).toBe(false);
      // Options before the bad one still count (tcp_parse_options keeps them).
      expect(v.optionMss).toBe(hex.startsWith("020405b4") ? 1460 : -1);
      expect([v.optionWindowScale, v.optionTsval, v.optionTsecr]).toEqual([-1, -1, -1]);
    }
  });

  it("the view skips options of the right kind but the wrong length, as tcp_parse_options does", () => {
    const seg = new Uint8Array(32);
    seg[12] = 8 << 4;
    seg.set(fromHex("0203ff" + "020405b4" + "030307" + "00"), 20);
    const v = new TcpView().wrap(seg);
    expect(v.optionOffset(TCPOPT_MSS)).toBe(23);
    expect(v.optionMss).toBe(1460);
    expect(v.optionWindowScale).toBe(7);
  });
});

/**
 * Crafted segments 10.0.0.1.1000 > 10.0.0.2.2000 and the lines tcpdump 4.99.3 printed for them
 * (`tcpdump -n -t` after `IP A.p > B.q: `, and `-v` where given). Each list was one pcap, read with
 * one relative-numbering state, so later ACK segments print relative to earlier ones.
 */
interface Crafted {
  flags: number;
  options: string;
  payload?: string;
  seq?: number;
  ack?: number;
  window?: number;
  urg?: number;
  /** Added to the correct checksum. */
  corrupt?: number;
  srcPort?: number;
  dstPort?: number;
  text: string;
  verbose?: string;
}

const OPTION_ZOO: Crafted[] = [
  {
    flags: 0x1ff,
    options: "",
    seq: 1,
    ack: 2,
    urg: 7,
    text: "Flags [FSRP.UEW], seq 1, ack 2, win 1000, urg 7, length 0",
  },
  { flags: 0, options: "", text: "Flags [none], win 1000, length 0" },
  { flags: TCP_AE, options: "", text: "Flags [none], win 1000, length 0" },
  {
    flags: TCP_SYN,
    options: "060600000009 070600000100 0b0600000001 0c0600000002 0d0600000003 0101",
    text: "Flags [S], seq 287454020, win 1000, options [echo 9,echoreply 256,cc 1,ccnew 2, 3,nop,nop], length 0",
  },
  {
    flags: TCP_SYN,
    options: "1404ab05 1c048003 1d040102 1d060304aabb 2202",
    text:
      "Flags [S], seq 287454020, win 1000, options [scps cap ab id 5,uto 0x8003 983100," +
      "tcp-ao keyid 1 rnextkeyid 2,tcp-ao keyid 3 rnextkeyid 4 mac 0xaabb,tfo  cookiereq], length 0",
  },
  {
    flags: TCP_SYN,
    options: "220a0102030405060708 fe041234 fe04f989 6302 6305010203 000000",
    text:
      "Flags [S], seq 287454020, win 1000, options [tfo  cookie 0102030405060708,exp-1234,exp-tfo cookiereq," +
      "unknown-99,unknown-99 0x010203,eol], length 0",
  },
  {
    flags: TCP_SYN,
    options: "1312000102030405060708090a0b0c0d0e0f 0101",
    text:
      "Flags [S], seq 287454020, win 1000, options [md5 shared secret not supplied with -M, can't check - " +
      "000102030405060708090a0b0c0d0e0f,nop,nop], length 0",
  },
  {
    flags: TCP_SYN,
    options: "02030501 01010101",
    text: "Flags [S], seq 287454020, win 1000, options [mss 1281[len 3],nop,nop,nop,nop], length 0",
  },
  {
    flags: TCP_SYN,
    options: "01010007",
    text: "Flags [S], seq 287454020, win 1000, options [nop,nop,eol], length 0",
  },
  {
    flags: TCP_ACK,
    options: "050600000001 0101",
    text: "Flags [.], ack 1432778631, win 1000, options [sack invalid sack,nop,nop], length 0",
  },
  { flags: TCP_SYN, options: "06020101", text: "Flags [S], seq 287454020, win 1000, options [echo[bad opt]" },
  {
    flags: TCP_SYN,
    options: "03040700",
    text: "Flags [S], seq 287454020, win 1000, options [wscale 7[len 4],eol], length 0",
  },
  {
    flags: TCP_SYN,
    options: "0d06000000030000",
    text: "Flags [S], seq 287454020, win 1000, options [ 3,eol], length 0",
  },
  {
    flags: TCP_SYN,
    options: "00000000",
    text: "Flags [S], seq 287454020, win 1000, options [eol], length 0",
  },
  {
    flags: TCP_SYN,
    options: "01010100",
    text: "Flags [S], seq 287454020, win 1000, options [nop,nop,nop,eol], length 0",
  },
];

const FLAGS_AND_NUMBERS: Crafted[] = [
  {
    flags: TCP_SYN | TCP_ECE | TCP_CWR,
    options: "020405b4 0402 080a0000000100000000 01 030307",
    text: "Flags [SEW], seq 287454020, win 1000, options [mss 1460,sackOK,TS val 1 ecr 0,nop,wscale 7], length 0",
    verbose:
      "Flags [SEW], cksum 0x1248 (correct), seq 287454020, win 1000, " +
      "options [mss 1460,sackOK,TS val 1 ecr 0,nop,wscale 7], length 0",
  },
  {
    flags: TCP_PSH | TCP_ACK,
    options: "",
    payload: "686921",
    seq: 100,
    ack: 200,
    window: 501,
    text: "Flags [P.], seq 100:103, ack 200, win 501, length 3",
    verbose: "Flags [P.], cksum 0x0385 (correct), seq 100:103, ack 200, win 501, length 3",
  },
  {
    flags: TCP_URG | TCP_PSH | TCP_ACK,
    options: "",
    payload: "01020304",
    seq: 100,
    ack: 200,
    window: 501,
    urg: 9,
    text: "Flags [P.U], seq 0:4, ack 1, win 501, urg 9, length 4",
    verbose: "Flags [P.U], cksum 0x88be (correct), seq 0:4, ack 1, win 501, urg 9, length 4",
  },
  {
    flags: TCP_ACK,
    options: "0101080a0000000500000006",
    seq: 1,
    ack: 2,
    window: 3,
    corrupt: 1,
    text: "Flags [.], ack 4294967099, win 3, options [nop,nop,TS val 5 ecr 6], length 0",
    verbose:
      "Flags [.], cksum 0x56f3 (incorrect -> 0x56f2), ack 4294967099, win 3, " +
      "options [nop,nop,TS val 5 ecr 6], length 0",
  },
  {
    flags: TCP_RST,
    options: "",
    seq: 7,
    ack: 0,
    window: 0,
    text: "Flags [R], seq 7, win 0, length 0",
    verbose: "Flags [R], cksum 0x901f (correct), seq 7, win 0, length 0",
  },
  {
    flags: TCP_SYN,
    options: "04040000",
    text: "Flags [S], seq 287454020, win 1000, options [sackOK[len 4],eol], length 0",
    verbose:
      "Flags [S], cksum 0x66e3 (correct), seq 287454020, win 1000, options [sackOK[len 4],eol], length 0",
  },
  {
    flags: TCP_SYN,
    options: "080800000001000001010101",
    text: "Flags [S], seq 287454020, win 1000, options [TS val 1 ecr 257[len 8],nop,nop], length 0",
    verbose:
      "Flags [S], cksum 0x40d4 (correct), seq 287454020, win 1000, options [TS val 1 ecr 257[len 8],nop,nop], length 0",
  },
  {
    flags: TCP_SYN,
    options: "03030e00",
    text: "Flags [S], seq 287454020, win 1000, options [wscale 14,eol], length 0",
    verbose: "Flags [S], cksum 0x59e4 (correct), seq 287454020, win 1000, options [wscale 14,eol], length 0",
  },
  {
    flags: TCP_ACK,
    options: "0101051200000010000000200000003000000040",
    text:
      "Flags [.], ack 1432778433, win 1000, options [nop,nop,sack 2 {4294967113:4294967129}{4294967145:4294967161}], " +
      "length 0",
    verbose:
      "Flags [.], cksum 0x2416 (correct), ack 1432778433, win 1000, " +
      "options [nop,nop,sack 2 {4294967113:4294967129}{4294967145:4294967161}], length 0",
  },
];

// The first ACK of a connection fixes the bases; its SACK edges are already relative.
const SACK_FIRST: Crafted[] = [1000, 2000, 2000].map((srcPort) => ({
  flags: TCP_ACK,
  options: "0101050a55667790556677a0",
  srcPort,
  dstPort: 3000 - srcPort,
  text: "",
}));
SACK_FIRST[0]!.text = "Flags [.], ack 1432778632, win 1000, options [nop,nop,sack 1 {9:25}], length 0";
SACK_FIRST[1]!.text = "Flags [.], ack 1432778632, win 1000, options [nop,nop,sack 1 {9:25}], length 0";
SACK_FIRST[2]!.text = "Flags [.], ack 1, win 1000, options [nop,nop,sack 1 {9:25}], length 0";

/** The TCP segment of a crafted case (10.0.0.1 > 10.0.0.2), checksum filled in (and corrupted if asked). */
function craftedSegment(c: Crafted): Uint8Array {
  const options = fromHex(c.options);
  const payload = fromHex(c.payload ?? "");
  const seg = new Uint8Array(20 + options.length + payload.length);
  put16(seg, 0, c.srcPort ?? 1000);
  put16(seg, 2, c.dstPort ?? 2000);
  put32(seg, 4, c.seq ?? 0x11223344);
  put32(seg, 8, c.ack ?? 0x55667788);
  put16(seg, 12, (((20 + options.length) / 4) << 12) | c.flags);
  put16(seg, 14, c.window ?? 1000);
  put16(seg, 18, c.urg ?? 0);
  seg.set(options, 20);
  seg.set(payload, 20 + options.length);
  put16(seg, 16, (tcpChecksum(seg, 0, seg.length, A, B) + (c.corrupt ?? 0)) & 0xffff);
  return seg;
}

/** Our text for each case in order, with one relative-numbering state as tcpdump keeps it. */
function ourLines(cases: Crafted[], verbose: boolean): string[] {
  const tracker = new TcpSequenceTracker();
  return cases.map((c) => {
    const seg = craftedSegment(c);
    const h = parseTcp(seg);
    const payload = seg.length - tcpHeaderLength(h);
    const [seqBase, ackBase, sackBase] = tracker.relate(A, h.srcPort, B, h.dstPort, h);
    const extras = verbose
      ? { sackBase, checksum: checkTcpChecksum(seg, 0, seg.length, A, B) }
      : { sackBase };
    return summarizeTcp(h, payload, seqBase, ackBase, extras);
  });
}

describe("TCP text as tcpdump 4.99.3 printed it for crafted segments", () => {
  it("every option kind tcpdump names, odd lengths, EOL with bytes after it, a bad option", () => {
    expect(ourLines(OPTION_ZOO, false)).toEqual(OPTION_ZOO.map((c) => c.text));
  });

  it("flags, urgent pointer, payload ranges, relative numbers and SACK edges", () => {
    expect(ourLines(FLAGS_AND_NUMBERS, false)).toEqual(FLAGS_AND_NUMBERS.map((c) => c.text));
  });

  it("SACK edges on the segment that fixes the bases, in either port order", () => {
    expect(ourLines(SACK_FIRST, false)).toEqual(SACK_FIRST.map((c) => c.text));
  });

  it("-v: the checksum and its verdict, with the value it should have when wrong", () => {
    expect(ourLines(FLAGS_AND_NUMBERS, true)).toEqual(FLAGS_AND_NUMBERS.map((c) => c.verbose));
  });

  it("-S: absolute numbers and SACK edges without a tracker", () => {
    const seg = craftedSegment(FLAGS_AND_NUMBERS[8]!);
    expect(summarizeTcp(parseTcp(seg), 0)).toBe(
      "Flags [.], ack 1432778632, win 1000, options [nop,nop,sack 2 {16:32}{48:64}], length 0",
    );
  });

  it("the record's text equals the text of the raw option bytes", () => {
    for (const c of [...OPTION_ZOO, ...FLAGS_AND_NUMBERS]) {
      const bytes = fromHex(c.options);
      const record = parseTcpOptions(bytes, 0, bytes.length);
      expect(tcpOptionsLength(record)).toBe(bytes.length);
      expect(summarizeTcpOptions(record, 7)).toEqual(tcpOptionsText(bytes, 0, bytes.length, 7));
    }
  });

  const tcpdumpInstalled = (() => {
    try {
      execFileSync("tcpdump", ["--version"], { stdio: "ignore" });
      return true;
    } catch {
      return false;
    }
  })();

  it.skipIf(!tcpdumpInstalled)(
    "the installed tcpdump prints the same for the same frames (skipped without tcpdump)",
    () => {
      const dir = mkdtempSync(join(tmpdir(), "dockwire-tcp-"));
      try {
        for (const cases of [OPTION_ZOO, FLAGS_AND_NUMBERS, SACK_FIRST]) {
          const sink = new MemorySink();
          const w = new PcapWriter(sink);
          for (const [i, c] of cases.entries()) {
            const seg = craftedSegment(c);
            const frame = new Uint8Array(34 + seg.length);
            emitEthernet({ dst: 0x020000000002, src: 0x020000000001, etherType: ETHERTYPE_IPV4 }, frame, 0);
            const ip = {
              tos: 0,
              id: 1,
              df: true,
              mf: false,
              fragmentOffset: 0,
              ttl: 64,
              protocol: IPPROTO_TCP,
            };
            emitIpv4({ ...ip, src: A, dst: B, options: new Uint8Array(0) }, frame, 14, seg.length);
            frame.set(seg, 34);
            w.writePacket(i * 1000, frame);
          }
          const file = join(dir, "crafted.pcap");
          writeFileSync(file, sink.bytes());
          const out = execFileSync("tcpdump", ["-n", "-t", "-r", file], {
            encoding: "utf8",
            stdio: ["ignore", "pipe", "ignore"],
          });
          expect(out.trimEnd().split("\n").map(transportText)).toEqual(ourLines(cases, false));
        }
      } finally {
        rmSync(dir, { recursive: true });
      }
    },
  );
});

describe.each(["tcp", "tcp-rst", "tcp-sack"])("Linux fixture %s", (name) => {
  const segs = segments(name, IPPROTO_TCP);

  it("holds TCP segments with valid checksums over the real pseudo-header", () => {
    expect(segs.length).toBe(fixtureFrames(name).length);
    for (const s of segs) {
      expect(new TcpView().wrap(s.frame, s.l4, s.end).checksumValid(s.src, s.dst, s.end - s.l4)).toBe(true);
    }
  });

  it("rebuilds every segment byte for byte from its record, also with data offset and checksum recomputed", () => {
    for (const s of segs) {
      const want = toHex(s.frame, s.l4, s.end);
      const h = parseTcp(s.frame, s.l4, s.end);
      const payload = s.end - s.l4 - tcpHeaderLength(h);
      const copy = s.frame.slice(s.l4, s.end);
      copy.fill(0x5a, 0, tcpHeaderLength(h));
      emitTcp(h, copy, 0, payload, s.src, s.dst);
      expect(toHex(copy)).toBe(want);
      const { checksum: _c, dataOffset: _d, ...computed } = h;
      copy.fill(0x5a, 0, tcpHeaderLength(h));
      expect(emitTcp(computed, copy, 0, payload, s.src, s.dst)).toBe(tcpHeaderLength(h));
      expect(toHex(copy)).toBe(want);
      expect(parseTcp(copy)).toEqual(h);
    }
  });

  it("prints every segment as tcpdump -n did, relative numbers across the whole capture", () => {
    const tracker = new TcpSequenceTracker();
    const ours = segs.map((s) => {
      const h = parseTcp(s.frame, s.l4, s.end);
      const [seqBase, ackBase, sackBase] = tracker.relate(s.src, h.srcPort, s.dst, h.dstPort, h);
      return summarizeTcp(h, s.end - s.l4 - tcpHeaderLength(h), seqBase, ackBase, { sackBase });
    });
    expect(ours).toEqual(fixtureText(name).map(transportText));
  });

  it("prints the checksum verdict as tcpdump -v did", () => {
    const tracker = new TcpSequenceTracker();
    const ours = segs.map((s) => {
      const h = parseTcp(s.frame, s.l4, s.end);
      const [seqBase, ackBase, sackBase] = tracker.relate(s.src, h.srcPort, s.dst, h.dstPort, h);
      const checksum = checkTcpChecksum(s.frame, s.l4, s.end - s.l4, s.src, s.dst);
      return summarizeTcp(h, s.end - s.l4 - tcpHeaderLength(h), seqBase, ackBase, { sackBase, checksum });
    });
    const tcpdump = fixtureText(name, "-v").filter((l) => l.includes(" Flags ["));
    expect(ours).toEqual(tcpdump.map(transportText));
  });

  it("every truncation is a ParseError, never another exception", () => {
    for (const s of segs) {
      for (let cut = s.l4; cut < s.l4 + tcpHeaderLength(parseTcp(s.frame, s.l4, s.end)); cut++) {
        expect(() => parseTcp(s.frame, s.l4, cut)).toThrow(ParseError);
        expect(() => new TcpView().wrap(s.frame, s.l4, cut)).toThrow(ParseError);
      }
    }
  });
});

describe("absolute numbers (tcpdump -S) for the tcp fixture", () => {
  // `tcpdump -S -n -t -r tcp.pcap`, application text removed.
  const TCPDUMP_S = [
    "Flags [S], seq 3300984422, win 64240, options [mss 1460,sackOK,TS val 392766810 ecr 0,nop,wscale 7], length 0",
    "Flags [S.], seq 3115592721, ack 3300984423, win 65160, options [mss 1460,sackOK,TS val 1016758843 ecr 392766810,nop,wscale 7], length 0",
    "Flags [.], ack 3115592722, win 502, options [nop,nop,TS val 392766810 ecr 1016758843], length 0",
    "Flags [P.], seq 3300984423:3300984441, ack 3115592722, win 502, options [nop,nop,TS val 392766810 ecr 1016758843], length 18",
    "Flags [.], ack 3300984441, win 509, options [nop,nop,TS val 1016758843 ecr 392766810], length 0",
    "Flags [P.], seq 3115592722:3115592751, ack 3300984441, win 509, options [nop,nop,TS val 1016758843 ecr 392766810], length 29",
    "Flags [.], ack 3115592751, win 502, options [nop,nop,TS val 392766810 ecr 1016758843], length 0",
    "Flags [F.], seq 3115592751, ack 3300984441, win 509, options [nop,nop,TS val 1016758843 ecr 392766810], length 0",
    "Flags [F.], seq 3300984441, ack 3115592752, win 502, options [nop,nop,TS val 392766810 ecr 1016758843], length 0",
    "Flags [.], ack 3300984442, win 509, options [nop,nop,TS val 1016758843 ecr 392766810], length 0",
  ];
  it("prints every segment without a tracker as tcpdump -S did", () => {
    const ours = segments("tcp", IPPROTO_TCP).map((s) => {
      const h = parseTcp(s.frame, s.l4, s.end);
      return summarizeTcp(h, s.end - s.l4 - tcpHeaderLength(h));
    });
    expect(ours).toEqual(TCPDUMP_S);
  });
});

describe("flag text", () => {
  it("uses tcpdump's letters and order, and none for no flags", () => {
    expect(tcpFlagsText(TCP_SYN)).toBe("S");
    expect(tcpFlagsText(TCP_SYN | TCP_ACK)).toBe("S.");
    expect(tcpFlagsText(TCP_RST | TCP_ACK)).toBe("R.");
    expect(tcpFlagsText(TCP_FIN | TCP_PSH | TCP_ACK)).toBe("FP.");
    expect(tcpFlagsText(TCP_AE)).toBe("none");
    expect(tcpFlagsText(0)).toBe("none");
  });
});

// ---- properties ----

/** Options with fields, in the forms parse gives back. */
const fieldOption: fc.Arbitrary<TcpOption> = fc.oneof(
  fc.constant<TcpOption>({ kind: 1 }),
  u16a.map<TcpOption>((mss) => ({ kind: 2, mss })),
  fc.integer({ min: 0, max: 255 }).map<TcpOption>((shift) => ({ kind: 3, shift })),
  fc.constant<TcpOption>({ kind: 4 }),
  fc
    .array(fc.record({ left: u32a, right: u32a }), { minLength: 1, maxLength: 4 })
    .map<TcpOption>((blocks) => ({ kind: 5, blocks })),
  fc.record({ tsval: u32a, tsecr: u32a }).map<TcpOption>((t) => ({ kind: 8, ...t })),
);

/** Raw options: unknown kinds, and known kinds with lengths the kernel does not accept. */
const rawOption: fc.Arbitrary<TcpOption> = fc
  .record({ kind: fc.integer({ min: 2, max: 255 }), data: fc.uint8Array({ maxLength: 10 }) })
  .filter(({ kind, data }) => {
    const n = data.length;
    if (kind === 2) return n !== 2;
    if (kind === 3) return n !== 1;
    if (kind === 4) return n !== 0;
    if (kind === 5) return n % 8 !== 0 || n === 0;
    if (kind === 8) return n !== 8;
    return true;
  });

/** Option lists that fill whole words (ending in EOL with arbitrary trailing bytes when needed), <= 40 bytes. */
const optionList: fc.Arbitrary<TcpOption[]> = fc
  .tuple(
    fc.array(fc.oneof(fieldOption, rawOption), { maxLength: 8 }),
    fc.uint8Array({ maxLength: 3 }),
    fc.boolean(),
  )
  .map(([opts, tail, eolAnyway]) => {
    const kept: TcpOption[] = [];
    for (const o of opts) if (tcpOptionsLength([...kept, o]) <= 36) kept.push(o);
    const pad = (4 - (tcpOptionsLength(kept) % 4)) % 4;
    if (pad > 0) kept.push({ kind: 0, after: Uint8Array.from({ length: pad - 1 }, (_, i) => tail[i] ?? 0) });
    else if (eolAnyway && tcpOptionsLength(kept) <= 36) kept.push({ kind: 0, after: Uint8Array.of(7, 7, 7) });
    return kept;
  });

const tcpRecord: fc.Arbitrary<TcpHeader> = fc.record({
  srcPort: u16a,
  dstPort: u16a,
  seq: u32a,
  ack: u32a,
  flags: fc.integer({ min: 0, max: 0xfff }),
  window: u16a,
  urgentPointer: u16a,
  options: optionList,
});

function emitted(h: TcpHeader, payload: Uint8Array, src: number, dst: number): Uint8Array {
  const hl = tcpHeaderLength(h);
  const buf = new Uint8Array(hl + payload.length);
  buf.set(payload, hl);
  emitTcp(h, buf, 0, payload.length, src, dst);
  return buf;
}

describe("TCP properties", () => {
  it("parse(emit(x)) = x with data offset and checksum filled in, for every option list", () => {
    fc.assert(
      fc.property(tcpRecord, fc.uint8Array({ maxLength: 40 }), u32a, u32a, (h, payload, src, dst) => {
        const buf = emitted(h, payload, src, dst);
        const back = parseTcp(buf);
        expect(back).toEqual({ ...h, dataOffset: tcpHeaderLength(h) / 4, checksum: back.checksum });
        expect(back.checksum).toBe(tcpChecksum(buf, 0, buf.length, src, dst));
        expect(new TcpView().wrap(buf).checksumValid(src, dst, buf.length)).toBe(true);
        // And emit(parse(bytes)) = bytes.
        const again = new Uint8Array(buf.length);
        again.set(payload, tcpHeaderLength(h));
        emitTcp(back, again, 0, payload.length, src, dst);
        expect(toHex(again)).toBe(toHex(buf));
      }),
      { numRuns: 300 },
    );
  });

  it("the view's option values agree with the record", () => {
    fc.assert(
      fc.property(tcpRecord, (h) => {
        const v = new TcpView().wrap(emitted(h, new Uint8Array(0), A, B));
        const beforeEol = h.options.slice(0, h.options.findIndex((o) => o.kind === 0) >>> 0);
        const find = <K extends string>(key: K) =>
          beforeEol.find((o) => key in o) as Record<K, number> | undefined;
        expect(v.optionMss).toBe(find("mss")?.mss ?? -1);
        expect(v.optionWindowScale).toBe(find("shift")?.shift ?? -1);
        expect(v.optionTsval).toBe(find("tsval")?.tsval ?? -1);
        expect(v.optionsValid).toBe(true);
      }),
    );
  });

  it("random bytes: only ParseError, and after a successful wrap no accessor throws", () => {
    fc.assert(
      fc.property(fc.uint8Array({ maxLength: 80 }), u32a, u32a, (b, src, dst) => {
        onlyParseError(() => {
          const h = parseTcp(b);
          summarizeTcp(h, b.length - tcpHeaderLength(h));
        });
        let v: TcpView | undefined;
        onlyParseError(() => {
          v = new TcpView().wrap(b);
        });
        if (v) {
          for (const k of [0, 1, 2, 3, 4, 5, 8, 30]) v.optionOffset(k);
          void [v.srcPort, v.dstPort, v.seq, v.ack, v.flags, v.window, v.checksum, v.urgentPointer];
          void [v.optionMss, v.optionWindowScale, v.optionTsval, v.optionTsecr, v.optionsValid];
          v.checksumValid(src, dst, b.length);
          tcpOptionsText(b, 20, v.payloadOffset);
        }
      }),
      { numRuns: 500 },
    );
  });

  it("every truncation of a valid segment is a ParseError or parses, nothing else", () => {
    fc.assert(
      fc.property(tcpRecord, fc.uint8Array({ maxLength: 16 }), (h, payload) => {
        const buf = emitted(h, payload, A, B);
        const hl = tcpHeaderLength(h);
        for (let cut = 0; cut <= buf.length; cut++) {
          if (cut < hl) expect(() => parseTcp(buf.subarray(0, cut))).toThrow(ParseError);
          else expect(parseTcp(buf.subarray(0, cut))).toEqual(parseTcp(buf));
        }
      }),
      { numRuns: 100 },
    );
  });

  it("NAT rewrites of ports and addresses keep the checksum equal to a full recompute", () => {
    fc.assert(
      fc.property(
        tcpRecord,
        fc.uint8Array({ maxLength: 41 }),
        fc.tuple(u32a, u32a, u32a, u32a, u16a, u16a),
        (h, payload, [src, dst, newSrc, newDst, sport, dport]) => {
          const buf = emitted(h, payload, src, dst);
          const v = new TcpView().wrap(buf);
          v.addressChanged(src, newSrc);
          v.addressChanged(dst, newDst);
          v.setSrcPort(sport);
          v.setDstPort(dport);
          expect([v.srcPort, v.dstPort]).toEqual([sport, dport]);
          expect(v.checksum).toBe(tcpChecksum(buf, 0, buf.length, newSrc, newDst));
          expect(v.checksumValid(newSrc, newDst, buf.length)).toBe(true);
        },
      ),
      { numRuns: 500 },
    );
  });

  it("relative numbering: both directions of a connection share bases set by its first ACK", () => {
    fc.assert(
      fc.property(u32a, u32a, u16a, u16a, u32a, u32a, (isnA, isnB, portA, portB, seq, ack) => {
        const t = new TcpSequenceTracker();
        const ipA = ipv4("10.0.0.1");
        const ipB = ipv4("10.0.0.2");
        // SYN-ACK from B: seq isnB, ack isnA + 1.
        const synAck = { flags: TCP_SYN | TCP_ACK, seq: isnB, ack: (isnA + 1) >>> 0 };
        expect(t.relate(ipB, portB, ipA, portA, synAck)).toEqual([0, 0, isnA]);
        const fromA = t.relate(ipA, portA, ipB, portB, { flags: TCP_ACK, seq, ack });
        const fromB = t.relate(ipB, portB, ipA, portA, { flags: TCP_ACK, seq, ack });
        expect(fromA).toEqual([isnA, isnB, isnB]);
        expect(fromB).toEqual([isnB, isnA, isnA]);
        // Without ACK nothing is relative, and nothing changes.
        expect(t.relate(ipA, portA, ipB, portB, { flags: TCP_SYN, seq, ack })).toEqual([0, 0, 0]);
        expect(t.relate(ipA, portA, ipB, portB, { flags: TCP_ACK | TCP_FIN, seq, ack })).toEqual(fromA);
      }),
    );
  });
});
