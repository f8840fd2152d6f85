import { mkdtempSync, readFileSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, describe, expect, it } from "vitest";
import { readPcapng } from "../../src/capture/pcapng-reader.js";
import { runDemo } from "../../src/cli/demo.js";
import { decodeFrame } from "../../src/wire/frame.js";
import { IcmpView } from "../../src/wire/icmpv4.js";
import { Ipv4View } from "../../src/wire/ipv4.js";
import { itWithTshark, tsharkReport } from "../helpers/tshark.js";

const tmp = mkdtempSync(join(tmpdir(), "dockwire-demo-"));
afterAll(() => rmSync(tmp, { recursive: true, force: true }));

function demo(seed: number, dir: string) {
  const lines: string[] = [];
  const r = runDemo({ outDir: join(tmp, dir), seed, version: "test", print: (l) => lines.push(l) });
  return { ...r, lines, bytes: new Uint8Array(readFileSync(r.file)) };
}

describe("dockwire demo", () => {
  const first = demo(1, "a");

  it("captures ARP, three pings and a UDP datagram on both ends of the veth", () => {
    const f = readPcapng(first.bytes);
    expect(f.application).toBe("dockwire test");
    expect(f.interfaces.map((i) => i.name)).toEqual(["ns1/veth0", "ns2/veth1"]);
    expect(f.packets).toHaveLength(18);
    expect(first.packets).toBe(18);
    // Each frame appears twice: sent on one interface, then received on the other 50 us later.
    for (let i = 0; i < f.packets.length; i += 2) {
      const out = f.packets[i]!;
      const inn = f.packets[i + 1]!;
      expect(out.flags).toBe(2);
      expect(inn.flags).toBe(1);
      expect(inn.interfaceId).not.toBe(out.interfaceId);
      expect(inn.timeNs - out.timeNs).toBe(50_000n);
      expect(inn.data).toEqual(out.data);
    }
    const kinds = f.packets.filter((p) => p.flags === 2).map((p) => decodeFrame(p.data));
    expect(kinds.map((k) => (k.arp ? `arp${k.arp.op}` : k.icmp ? `icmp${k.icmp.type}` : "udp"))).toEqual([
      "arp1",
      "arp2",
      "icmp8",
      "icmp0",
      "icmp8",
      "icmp0",
      "icmp8",
      "icmp0",
      "udp",
    ]);
  });

  it("sends Linux-shaped bytes: TTL 64, DF on requests, not on kernel replies, valid checksums", () => {
    const f = readPcapng(first.bytes);
    const ip = new Ipv4View();
    const icmp = new IcmpView();
    for (const p of f.packets) {
      if (p.data.length === 42) continue; // ARP
      ip.wrap(p.data, 14);
      expect(ip.ttl).toBe(64);
      expect(ip.checksumValid).toBe(true);
      if (ip.protocol === 1) {
        icmp.wrap(p.data, ip.payloadOffset, ip.payloadOffset + ip.payloadLength);
        expect(icmp.checksumValid).toBe(true);
        expect(ip.df).toBe(icmp.type === 8);
        expect(p.data.length).toBe(98);
      }
    }
  });

  it("prints each frame as tcpdump would, then where the file is", () => {
    expect(first.lines[1]).toBe(
      "0.000000000 ns1/veth0 Out ARP, Request who-has 10.0.0.2 tell 10.0.0.1, length 28",
    );
    expect(first.lines.filter((l) => l.includes("ICMP echo reply"))).toHaveLength(6);
    expect(first.lines.at(-2)).toBe(`\nwrote ${first.file} (18 packets on 2 interfaces, 12 events)`);
  });

  it("is deterministic: the same seed gives the same bytes, another seed different ones", () => {
    expect(demo(1, "b").bytes).toEqual(first.bytes);
    expect(demo(2, "c").bytes).not.toEqual(first.bytes);
  });

  itWithTshark("opens in tshark with valid checksums, no expert warnings, both interface names", () => {
    const r = tsharkReport(first.file);
    expect(r.packets).toBe(18);
    expect(r.errors).toEqual([]);
    expect(r.warnings).toEqual([]);
    expect(new Set(r.interfaceNames)).toEqual(new Set(["ns1/veth0", "ns2/veth1"]));
    expect(r.protocols.at(-1)).toBe("eth:ethertype:ip:udp:data");
  });
});
