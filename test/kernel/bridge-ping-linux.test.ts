/**
 * scenarios/bridge-ping.dw against the same LAN on Linux (test/fixtures/linux/make-kernel-fixtures.sh):
 * every frame at all five capture points — c1's eth0, the two bridge ports, br0 (promiscuous, as
 * tcpdump leaves it) and c2's eth0 — in the same order and with the same bytes, once what Linux
 * chooses at random (IP IDs, ping's id and timestamps) is zeroed; then the state commands' text.
 */

import { mkdtempSync, readFileSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, describe, expect, it } from "vitest";
import { readPcap } from "../../src/capture/pcap-reader.js";
import { runScenario } from "../../src/scenario/runner.js";
import { toHex } from "../../src/util/bytes.js";

const tmp = mkdtempSync(join(tmpdir(), "dockwire-bridge-ping-"));
afterAll(() => rmSync(tmp, { recursive: true, force: true }));
const fixtures = new URL("../fixtures/linux/kernel/", import.meta.url);
const points = ["c1-eth0", "h-veth-c1", "h-veth-c2", "h-br0", "c2-eth0"];

/** IP ID and checksum; for echoes the ICMP checksum, id and the timeval ping puts in the data. */
function normalise(frame: Uint8Array): string {
  const f = frame.slice();
  if (f[12] === 0x08 && f[13] === 0x00) {
    f.fill(0, 18, 20);
    f.fill(0, 24, 26);
    if (f[23] === 1 && (f[34] === 0 || f[34] === 8)) {
      f.fill(0, 36, 40);
      f.fill(0, 42, 58);
    }
    if (f[23] === 1 && f[34] === 11) {
      // time exceeded: the ICMP checksum and the quoted datagram's ID, checksum, echo id and data
      f.fill(0, 36, 38);
      f.fill(0, 46, 48);
      f.fill(0, 52, 54);
      f.fill(0, 64, 68);
      f.fill(0, 70, 86);
    }
  }
  return toHex(f);
}

const frames = (bytes: Uint8Array) => readPcap(bytes).records.map((r) => normalise(r.data));

describe("a bridge LAN, frame by frame against Linux", () => {
  const lines: string[] = [];
  const script = readFileSync(new URL("../../scenarios/bridge-ping.dw", import.meta.url), "utf8");
  const result = runScenario(script, {
    seed: 1,
    outDir: tmp,
    pcapng: false,
    application: "test",
    print: (l) => lines.push(l),
  });

  it("runs to the end", () => {
    expect(result.exit).toBe(0);
  });

  it.each(points)("capture point %s: same frames, same order", (point) => {
    const linux = frames(new Uint8Array(readFileSync(new URL(`bridge-ping-${point}.pcap`, fixtures))));
    const ours = frames(new Uint8Array(readFileSync(join(tmp, `${point}.pcap`))));
    expect(linux).toHaveLength(12);
    expect(ours).toEqual(linux);
  });

  it("ip neigh, bridge fdb, bridge link, ip -br link and ip route print what Linux printed", () => {
    const linux = readFileSync(new URL("bridge-ping-state.txt", fixtures), "utf8")
      .replace(/\n$/, "")
      .split("\n");
    const start = lines.indexOf("$ ip -n c1 neigh show");
    const ours = lines.slice(start, lines.indexOf("$ ip -n c1 route show") + 2);
    const withoutPrompts = (l: string[]) => l.filter((x) => !x.startsWith("$ "));
    expect(withoutPrompts(ours)).toEqual(withoutPrompts(linux));
  });

  it("ping prints what iputils printed, apart from the measured times", () => {
    const linux = readFileSync(new URL("bridge-ping-ping.txt", fixtures), "utf8").trimEnd().split("\n");
    const times = (l: string) =>
      l.replace(/time[= ][0-9.]+ ?ms/g, "time T").replace(/= [0-9./]+ ms/, "= T ms");
    const from = lines.indexOf("$ ip netns exec c1 ping -c 3 10.1.0.3");
    const ping = lines.slice(from, lines.indexOf("$ ip -n c1 neigh show"));
    const ours = ping.filter((l) => !l.startsWith("$ ")).map(times);
    expect(ours).toEqual(linux.filter((l) => !l.startsWith("$ ")).map(times));
  });
});

describe("a routed hop between two bridges, frame by frame against Linux", () => {
  const lines: string[] = [];
  const out = join(tmp, "routed");
  const script = readFileSync(new URL("../../scenarios/routed-bridges.dw", import.meta.url), "utf8");
  const result = runScenario(script, {
    seed: 1,
    outDir: out,
    pcapng: false,
    application: "test",
    print: (l) => lines.push(l),
  });

  it("runs to the end", () => {
    expect(result.exit).toBe(0);
  });

  it.each(["a-eth0", "r-br1", "r-br2", "b-eth0"])("capture point %s: same frames, same order", (point) => {
    const linux = frames(new Uint8Array(readFileSync(new URL(`routed-${point}.pcap`, fixtures))));
    const ours = frames(new Uint8Array(readFileSync(join(out, `${point}.pcap`))));
    expect(linux.length).toBeGreaterThanOrEqual(6);
    expect(ours).toEqual(linux);
  });

  it("routes, route get and neighbour states print what Linux printed", () => {
    const linux = readFileSync(new URL("routed-state.txt", fixtures), "utf8").replace(/\n$/, "").split("\n");
    const ours = lines.slice(lines.indexOf("$ ip -n a route show"));
    // Blocks of output per command; `ip neigh` lists in hash order on Linux (it changes from run to
    // run), dockwire in creation order, so those blocks are compared as sets.
    const blocks = (l: string[]) => {
      const out: string[][] = [];
      for (const line of l) {
        if (line.startsWith("$ ")) out.push([line.includes("neigh") ? "neigh" : "other"]);
        else if (!/packets (captured|received|dropped)/.test(line)) out.at(-1)?.push(line);
      }
      return out.map(([kind, ...rest]) => (kind === "neigh" ? rest.sort() : rest));
    };
    expect(blocks(ours)).toEqual(blocks(linux));
  });
});
