/**
 * The TCP example scenarios (scenarios/http.dw, scenarios/iperf-lossy.dw) run end to end: the
 * programs' text, the sockets `ss` shows, a capture tshark reads without complaint, and the same
 * transcript for the same seed.
 */

import { mkdtempSync, readFileSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, describe, expect, it } from "vitest";
import { runScenario } from "../../src/scenario/runner.js";
import { itWithTshark, tsharkReport } from "../helpers/tshark.js";

const tmp = mkdtempSync(join(tmpdir(), "dockwire-tcp-scenarios-"));
afterAll(() => rmSync(tmp, { recursive: true, force: true }));
const scenario = (file: string) => readFileSync(new URL(`../../scenarios/${file}`, import.meta.url), "utf8");

function run(file: string, dir: string, seed = 1) {
  const lines: string[] = [];
  const outDir = join(tmp, dir);
  const r = runScenario(scenario(file), {
    seed,
    outDir,
    pcapng: false,
    application: "dockwire test",
    print: (l) => lines.push(l),
  });
  return { ...r, lines, outDir };
}

/** The lines a command printed, up to the next prompt. */
function outputOf(lines: string[], command: string): string[] {
  const start = lines.indexOf(`$ ${command}`);
  expect(start, command).toBeGreaterThanOrEqual(0);
  const end = lines.findIndex((l, i) => i > start && l.startsWith("$ "));
  return lines.slice(start + 1, end < 0 ? undefined : end);
}

describe("scenarios/http.dw", () => {
  it("curl gets the page and the headers, nc -z succeeds, a closed port is curl's error 7", () => {
    const r = run("http.dw", "http");
    expect(r.exit).toBe(0);
    expect(outputOf(r.lines, "ip netns exec client curl -s http://10.0.0.2/")).toEqual([
      "<html><body><h1>It works!</h1></body></html>",
    ]);
    const head = outputOf(r.lines, "ip netns exec client curl -sI http://10.0.0.2/");
    expect(head[0]).toBe("HTTP/1.1 200 OK");
    expect(head).toContain("Content-Length: 45");
    expect(head.at(-1)).toBe("");
    expect(outputOf(r.lines, "ip netns exec client nc -zv 10.0.0.2 80")).toEqual([
      "Connection to 10.0.0.2 80 port [tcp/http] succeeded!",
    ]);
    expect(outputOf(r.lines, "ip netns exec client curl http://10.0.0.2:81/ || true")).toEqual([
      "curl: (7) Failed to connect to 10.0.0.2 port 81 after 0 ms: Couldn't connect to server",
    ]);
    // The server closed each connection first, so it holds them in TIME-WAIT.
    const ss = outputOf(r.lines, "ip netns exec web ss -tan");
    expect(ss[1]).toMatch(/^LISTEN +0 +511 +0\.0\.0\.0:80 +0\.0\.0\.0:\*/);
    expect(ss.filter((l) => l.startsWith("TIME-WAIT")).length).toBe(2);
  });

  itWithTshark("its capture shows clean TCP conversations in tshark", () => {
    const r = run("http.dw", "http-tshark");
    const t = tsharkReport(join(r.outDir, "http.pcap"));
    expect(t.errors).toEqual([]);
    // The one warning is the closed port's RST, which tshark flags in Linux's captures too.
    expect(t.warnings).toEqual([`frame ${t.packets}: Connection reset (RST)`]);
    expect(t.protocols.filter((p) => p.includes(":http")).length).toBe(4); // 2 requests, 2 responses
  });
});

describe("scenarios/iperf-lossy.dw", () => {
  it("the transfer retransmits, finishes and reports a goodput near what 0.5% loss allows", () => {
    const r = run("iperf-lossy.dw", "iperf");
    expect(r.exit).toBe(0);
    const sender = r.lines.find((l) => l.endsWith(" sender")) as string;
    const m = /sec +[\d.]+ MBytes +([\d.]+) Mbits\/sec +(\d+) +sender$/.exec(sender);
    expect(m).not.toBeNull();
    const [mbps, retr] = [Number(m?.[1]), Number(m?.[2])];
    // Mathis et al.: MSS/RTT · 1.22/√p = 1448·8 b / 10 ms · 17.3 ≈ 20 Mbit/s.
    expect(mbps).toBeGreaterThan(10);
    expect(mbps).toBeLessThan(60);
    expect(retr).toBeGreaterThan(0);
    expect(r.lines).toContain("iperf Done.");
    expect(r.lines).toContain("qdisc netem 8001: root refcnt 2 limit 1000 delay 5ms loss 0.5% rate 100Mbit");
  });

  it("same seed, same transcript; another seed, another run", () => {
    expect(run("iperf-lossy.dw", "i1", 3).lines).toEqual(run("iperf-lossy.dw", "i2", 3).lines);
    expect(run("iperf-lossy.dw", "i3", 4).lines).not.toEqual(run("iperf-lossy.dw", "i4", 3).lines);
  });
});
