/**
 * The main job (`npm start`, `dockwire run` with no file: scenarios/docker-web.dw with every
 * interface captured): the client reaches the web container by name, the outside host through the
 * published port, the transcript ends with Docker's network, rules, connections and FDB, and the
 * capture holds every interface — each interface's frames open in tshark without a warning.
 */

import { execFileSync } from "node:child_process";
import { mkdtempSync, readFileSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, describe, expect, it } from "vitest";
import { readPcapng } from "../../src/capture/pcapng-reader.js";
import { runScenarioFile } from "../../src/cli/run-scenario.js";
import { itWithTshark, tsharkReport } from "../helpers/tshark.js";

const tmp = mkdtempSync(join(tmpdir(), "dockwire-headline-"));
afterAll(() => rmSync(tmp, { recursive: true, force: true }));
const file = new URL("../../scenarios/docker-web.dw", import.meta.url).pathname;

function run(dir: string) {
  const lines: string[] = [];
  const code = runScenarioFile(file, {
    seed: 1,
    outDir: join(tmp, dir),
    pcapng: true,
    version: "test",
    print: (l) => lines.push(l),
  });
  return { code, lines, pcap: join(tmp, dir, "all.pcapng") };
}

describe("the headline scenario", () => {
  const first = run("a");
  const { lines } = first;

  it("runs to the end and says where the capture went", () => {
    expect(first.code).toBe(0);
    expect(lines.at(-1)).toBe(`wrote ${first.pcap}`);
  });

  it("the client pings and fetches the web container by name; the outside host through port 8080", () => {
    // The client is alpine: busybox's ping.
    expect(lines).toContain("PING web (172.18.0.2): 56 data bytes");
    expect(lines.filter((l) => l.startsWith("64 bytes from 172.18.0.2: seq="))).toHaveLength(3);
    expect(lines.filter((l) => l === "<html><body><h1>It works!</h1></body></html>")).toHaveLength(2);
  });

  it("shows the network with both containers, Docker's rules, the connections and the FDB", () => {
    const text = lines.join("\n");
    expect(text).toMatch(
      /"Name": "web",\n\s+"EndpointID": "[0-9a-f]{64}",\n\s+"MacAddress": "02:42:ac:12:00:02"/,
    );
    expect(
      lines.some((l) =>
        /^-A DOCKER ! -i br-[0-9a-f]{12} -p tcp -m tcp --dport 8080 -j DNAT --to-destination 172\.18\.0\.2:80$/.test(
          l,
        ),
      ),
    ).toBe(true);
    expect(
      lines.some((l) =>
        /^tcp +6 \d+ TIME_WAIT src=192\.0\.2\.10 dst=192\.0\.2\.1 sport=\d+ dport=8080 src=172\.18\.0\.2 dst=192\.0\.2\.10 sport=80/.test(
          l,
        ),
      ),
    ).toBe(true);
    expect(lines.some((l) => / dev veth[0-9a-f]{7} master br-[0-9a-f]{12} $/.test(l))).toBe(true);
  });

  it("is deterministic: the same seed gives the same bytes", () => {
    const again = run("b");
    expect(again.lines.slice(0, -1)).toEqual(lines.slice(0, -1));
    expect(readFileSync(again.pcap).equals(readFileSync(first.pcap))).toBe(true);
  });

  it("captures every interface: the host's, the outside host's and each container's", () => {
    const names = readPcapng(new Uint8Array(readFileSync(first.pcap))).interfaces.map((i) => i.name);
    for (const n of ["docker0", "eth1", "outside/eth0", "web/eth0", "client/eth0", "client/lo"])
      expect(names).toContain(n);
    expect(names.some((n) => /^br-[0-9a-f]{12}$/.test(n ?? ""))).toBe(true);
  });

  itWithTshark("each interface's frames open in tshark with valid checksums and no warnings", () => {
    for (const iface of ["web/eth0", "client/eth0", "client/lo", "outside/eth0", "eth1"]) {
      const one = join(tmp, `${iface.replace("/", "_")}.pcapng`) as string;
      execFileSync("tshark", ["-r", first.pcap, "-Y", `frame.interface_name == "${iface}"`, "-w", one], {
        stdio: "ignore",
      });
      const t = tsharkReport(one);
      expect(t.packets).toBeGreaterThan(0);
      expect(t.errors).toEqual([]);
      expect(t.warnings).toEqual([]);
    }
  });
});
