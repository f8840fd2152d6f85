import { mkdtempSync, readFileSync, rmSync, statSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import fc from "fast-check";
import { afterAll, describe, expect, it } from "vitest";
import { FileSink, MemorySink } from "../../src/capture/byte-sink.js";
import { DEFAULT_CAPTURE_EPOCH_SECONDS, splitNanoseconds64 } from "../../src/capture/capture-clock.js";
import { readPcap } from "../../src/capture/pcap-reader.js";
import { PcapWriter } from "../../src/capture/pcap-writer.js";
import { readPcapng } from "../../src/capture/pcapng-reader.js";
import { DIRECTION_INBOUND, DIRECTION_OUTBOUND, PcapngWriter } from "../../src/capture/pcapng-writer.js";
import { ParseError } from "../../src/util/errors.js";
import { fixtureFrames } from "../helpers/fixtures.js";
import { itWithTshark, tsharkReport, tsharkSummary } from "../helpers/tshark.js";

const tmp = mkdtempSync(join(tmpdir(), "dockwire-capture-"));
afterAll(() => rmSync(tmp, { recursive: true, force: true }));
const EPOCH_NS = BigInt(DEFAULT_CAPTURE_EPOCH_SECONDS) * 1_000_000_000n;
/** Real Linux frames: ARP request/reply and ICMP echoes, a TCP exchange, VXLAN. */
const frames = [...fixtureFrames("arp-icmp-echo"), ...fixtureFrames("tcp"), ...fixtureFrames("vxlan")];

describe("capture clock", () => {
  it("splits epoch + simulation ns into exact 64-bit halves", () => {
    const out = new Uint32Array(2);
    fc.assert(
      fc.property(fc.integer({ min: 0, max: 2 ** 32 - 1 - 2 ** 24 }), fc.maxSafeNat(), (epoch, t) => {
        splitNanoseconds64(epoch, t, out);
        const want = BigInt(epoch) * 1_000_000_000n + BigInt(t);
        expect((BigInt(out[0]!) << 32n) | BigInt(out[1]!)).toBe(want);
      }),
    );
  });
});

describe("pcap writer", () => {
  it("writes the nanosecond pcap header and records that read back exactly", () => {
    const sink = new MemorySink();
    const w = new PcapWriter(sink);
    const times = [0, 1, 999_999_999, 1_000_000_000, 2 ** 53 - 1];
    times.forEach((t, i) => {
      w.writePacket(t, frames[i]!);
    });
    const bytes = sink.bytes();
    expect(Buffer.from(bytes.subarray(0, 24)).toString("hex")).toBe(
      "4d3cb2a1" + "0200" + "0400" + "00000000" + "00000000" + "00000400" + "01000000",
    );
    const f = readPcap(bytes);
    expect(f).toMatchObject({
      nanosecond: true,
      versionMajor: 2,
      versionMinor: 4,
      snaplen: 262144,
      linkType: 1,
    });
    expect(f.records.map((r) => r.timeNs)).toEqual(times.map((t) => EPOCH_NS + BigInt(t)));
    f.records.forEach((r, i) => {
      expect(r.data).toEqual(frames[i]);
      expect(r.originalLength).toBe(frames[i]!.length);
    });
  });

  it("truncates frames beyond the snaplen, keeping the original length", () => {
    const sink = new MemorySink();
    const w = new PcapWriter(sink, { snaplen: 60 });
    w.writePacket(5, frames[2]!);
    const r = readPcap(sink.bytes()).records[0]!;
    expect(r.data).toEqual(frames[2]!.subarray(0, 60));
    expect(r.originalLength).toBe(98);
  });

  itWithTshark("produces a file tshark reads with valid checksums and no expert warnings", () => {
    const path = join(tmp, "frames.pcap");
    const w = new PcapWriter(new FileSink(path));
    frames.forEach((f, i) => {
      w.writePacket(i * 1000, f);
    });
    w.close();
    const r = tsharkReport(path);
    expect(r.packets).toBe(frames.length);
    expect(r.errors).toEqual([]);
    expect(r.warnings).toEqual([]);
    expect(r.protocols[0]).toBe("eth:ethertype:arp");
    expect(r.protocols.at(-1)).toBe("eth:ethertype:ip:udp:vxlan:eth:ethertype:ip:icmp:data");
  });
});

describe("pcapng writer", () => {
  function sample(): Uint8Array {
    const sink = new MemorySink();
    const w = new PcapngWriter(sink, { application: "dockwire 0.1.0", os: "simulated" });
    const a = w.addInterface({ name: "ns1/veth0" });
    w.writePacket(a, 10, frames[0]!, 0, frames[0]!.length, DIRECTION_OUTBOUND);
    const b = w.addInterface({ name: "ns2/veth1", description: "peer of ns1/veth0" });
    w.writePacket(b, 20, frames[0]!, 0, frames[0]!.length, DIRECTION_INBOUND, "ARP request arrives");
    const c = w.addInterface({ name: "br0", snaplen: 64 });
    w.writePacket(
      c,
      2 ** 53 - 1,
      frames[2]!,
      0,
      frames[2]!.length,
      DIRECTION_INBOUND,
      "é, a comment of odd length",
    );
    return sink.bytes();
  }

  it("reads back section, interfaces, packets, directions, comments and exact timestamps", () => {
    const f = readPcapng(sample());
    expect(f.application).toBe("dockwire 0.1.0");
    expect(f.os).toBe("simulated");
    expect(f.interfaces.map((i) => [i.name, i.unitsPerSecond, i.linkType, i.snaplen])).toEqual([
      ["ns1/veth0", 1_000_000_000n, 1, 262144],
      ["ns2/veth1", 1_000_000_000n, 1, 262144],
      ["br0", 1_000_000_000n, 1, 64],
    ]);
    expect(f.interfaces[1]!.description).toBe("peer of ns1/veth0");
    expect(f.packets.map((p) => [p.interfaceId, p.timeNs, p.flags, p.comments])).toEqual([
      [0, EPOCH_NS + 10n, DIRECTION_OUTBOUND, []],
      [1, EPOCH_NS + 20n, DIRECTION_INBOUND, ["ARP request arrives"]],
      [2, EPOCH_NS + 2n ** 53n - 1n, DIRECTION_INBOUND, ["é, a comment of odd length"]],
    ]);
    expect(f.packets[0]!.data).toEqual(frames[0]);
    expect(f.packets[2]!.data).toEqual(frames[2]!.subarray(0, 64));
    expect(f.packets[2]!.originalLength).toBe(98);
  });

  it("every block is 32-bit aligned and its two length fields agree", () => {
    const bytes = sample();
    const dv = new DataView(bytes.buffer);
    let off = 0;
    let blocks = 0;
    while (off < bytes.length) {
      const len = dv.getUint32(off + 4, true);
      expect(len % 4).toBe(0);
      expect(dv.getUint32(off + len - 4, true)).toBe(len);
      off += len;
      blocks++;
    }
    expect(off).toBe(bytes.length);
    expect(blocks).toBe(1 + 3 + 3);
  });

  it("the reader handles a big-endian section", () => {
    // SHB (big-endian) with no options, an IDB with if_tsresol 9, one EPB of 4 bytes.
    const shb = ["0a0d0d0a", "0000001c", "1a2b3c4d", "0001", "0000", "ffffffffffffffff", "0000001c"];
    const idb = [
      "00000001",
      "00000020",
      "0001",
      "0000",
      "00040000",
      "0009",
      "0001",
      "09000000",
      "00000000",
      "00000020",
    ];
    const epb = [
      "00000006",
      "00000024",
      "00000000",
      "00000000",
      "0000002a",
      "00000004",
      "00000004",
      "01020304",
      "00000024",
    ];
    const be = Buffer.from([...shb, ...idb, ...epb].join(""), "hex");
    const f = readPcapng(new Uint8Array(be));
    expect(f.interfaces[0]).toMatchObject({ linkType: 1, snaplen: 262144, unitsPerSecond: 1_000_000_000n });
    expect(f.packets[0]!.timeNs).toBe(42n);
    expect(Array.from(f.packets[0]!.data)).toEqual([1, 2, 3, 4]);
  });

  it("truncated or corrupted files give ParseError and nothing else", () => {
    const bytes = sample();
    const dv = new DataView(bytes.buffer);
    const boundaries = new Set<number>();
    for (let off = 0; off < bytes.length; off += dv.getUint32(off + 4, true)) boundaries.add(off);
    for (let cut = 1; cut < bytes.length; cut++) {
      // A cut between blocks is a shorter valid file; anywhere else it is an error.
      if (boundaries.has(cut)) expect(readPcapng(bytes.subarray(0, cut)).packets.length).toBeLessThan(3);
      else expect(() => readPcapng(bytes.subarray(0, cut))).toThrow(ParseError);
    }
    fc.assert(
      fc.property(fc.integer({ min: 0, max: bytes.length - 1 }), fc.integer({ min: 0, max: 255 }), (i, v) => {
        const copy = bytes.slice();
        copy[i] = v;
        try {
          readPcapng(copy);
        } catch (e) {
          expect(e).toBeInstanceOf(ParseError);
        }
      }),
    );
    fc.assert(
      fc.property(fc.uint8Array({ maxLength: 200 }), (junk) => {
        try {
          readPcap(junk);
        } catch (e) {
          expect(e).toBeInstanceOf(ParseError);
        }
      }),
    );
  });

  itWithTshark("tshark opens it with interface names, directions and comments, and no warnings", () => {
    const path = join(tmp, "three-interfaces.pcapng");
    const w = new PcapngWriter(new FileSink(path), { application: "dockwire test" });
    const ifs = ["ns1/veth0", "ns2/veth1", "host/br0"].map((name) => w.addInterface({ name }));
    frames.forEach((f, i) => {
      w.writePacket(
        ifs[i % 3]!,
        i * 1_000_000,
        f,
        0,
        f.length,
        i % 2 ? DIRECTION_INBOUND : DIRECTION_OUTBOUND,
        `frame ${i}`,
      );
    });
    w.close();
    const r = tsharkReport(path);
    expect(r.packets).toBe(frames.length);
    expect(r.errors).toEqual([]);
    expect(r.warnings).toEqual([]);
    expect(r.interfaceNames).toEqual(frames.map((_, i) => ["ns1/veth0", "ns2/veth1", "host/br0"][i % 3]));
    expect(r.directions).toEqual(frames.map((_, i) => (i % 2 ? 1 : 2)));
    expect(r.comments).toEqual(frames.map((_, i) => `frame ${i}`));
  });
});

describe("streaming", () => {
  it("a file sink (records written in place) gives the same bytes as the copying path", () => {
    const path = join(tmp, "in-place.pcapng");
    const write = (w: PcapngWriter) => {
      const ifs = ["a/eth0", "b/eth0"].map((name) => w.addInterface({ name }));
      frames.forEach((f, i) => {
        // Odd lengths need padding; a comment takes the copying path in both writers.
        const len = f.length - (i % 4);
        w.writePacket(ifs[i % 2]!, i * 1_234_567, f, 0, len, i % 3, i === 2 ? "note" : undefined);
      });
      w.close();
    };
    const memory = new MemorySink();
    write(new PcapngWriter(memory, { application: "dockwire test" }));
    write(new PcapngWriter(new FileSink(path), { application: "dockwire test" }));
    expect(Buffer.from(readFileSync(path)).equals(Buffer.from(memory.bytes()))).toBe(true);
  });

  const million = join(tmp, "million.pcapng");

  it("writes a million packets through a file sink in bounded memory", () => {
    const path = million;
    const w = new PcapngWriter(new FileSink(path), { application: "dockwire test" });
    const iface = w.addInterface({ name: "ns1/veth0" });
    const frame = frames[0]!; // 42-byte ARP: EPB = 28 + 44 + 8 + 4 + 4 = 88 bytes
    globalThis.gc?.();
    const before = process.memoryUsage().heapUsed + process.memoryUsage().arrayBuffers;
    for (let i = 0; i < 1_000_000; i++)
      w.writePacket(iface, i * 1000, frame, 0, frame.length, DIRECTION_OUTBOUND);
    const after = process.memoryUsage().heapUsed + process.memoryUsage().arrayBuffers;
    w.close();
    expect(after - before).toBeLessThan(16 * 1024 * 1024); // 88 MB of packets went to disk, not memory
    const headerBytes = readFileSync(path).subarray(0, 200);
    const shbLen = new DataView(headerBytes.buffer, headerBytes.byteOffset).getUint32(4, true);
    const idbLen = new DataView(headerBytes.buffer, headerBytes.byteOffset).getUint32(shbLen + 4, true);
    expect(statSync(path).size).toBe(shbLen + idbLen + 1_000_000 * 88);
  });

  itWithTshark("the million-packet file is whole: tshark counts every packet and flags nothing", () => {
    expect(tsharkSummary(million)).toEqual({ packets: 1_000_000, errors: 0, warnings: 0 });
    // The check does see problems: Linux's RST to a closed port is a tshark warning.
    const rst = new URL("../fixtures/linux/wire/tcp-rst.pcap", import.meta.url).pathname;
    expect(tsharkSummary(rst)).toEqual({ packets: 2, errors: 0, warnings: 1 });
  });
});
