/**
 * TCP against Linux (test/fixtures/linux/make-http-fixtures.sh): the same exchanges in dockwire
 * and in real namespaces, compared frame by frame on the client's eth0 — an HTTP fetch with a
 * server-side close, a connect to a closed port, and a SYN to a silent host (its retransmission
 * times). What Linux picks at random is normalised on both sides: ISNs (sequence numbers become
 * relative), TCP timestamps, IP IDs, the client's ephemeral port and the response's Date.
 */

import { mkdtempSync, readFileSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, describe, expect, it } from "vitest";
import { readPcap } from "../../src/capture/pcap-reader.js";
import { runScenario } from "../../src/scenario/runner.js";
import { SECOND } from "../../src/sim/time.js";
import { normaliseCapture } from "../helpers/linux-frames.js";
import { itWithTshark, tsharkCount, tsharkReport } from "../helpers/tshark.js";

const tmp = mkdtempSync(join(tmpdir(), "dockwire-tcp-linux-"));
afterAll(() => rmSync(tmp, { recursive: true, force: true }));
const fixture = (name: string) => new URL(`../fixtures/linux/http/${name}`, import.meta.url);
const DATE = /Date: [A-Z][a-z]{2}, \d\d [A-Z][a-z]{2} \d{4} \d\d:\d\d:\d\d GMT/;

function normaliseAll(pcap: Uint8Array): string[] {
  return normaliseCapture(pcap);
}

/** The fixture's topology in dockwire, then `commands` run in dwhx-a with a capture on eth0. */
function scenario(commands: string[], server = true, capture = "-n -i eth0 -w a.pcap"): string {
  return [
    "ip netns add dwhx-a",
    "ip netns add dwhx-b",
    "ip link add eth0 netns dwhx-a address 02:00:00:00:00:01 type veth peer name eth0 netns dwhx-b address 02:00:00:00:00:02",
    "ip -n dwhx-a addr add 10.0.0.1/24 dev eth0",
    "ip -n dwhx-b addr add 10.0.0.2/24 dev eth0",
    "ip -n dwhx-a link set eth0 up",
    "ip -n dwhx-b link set eth0 up",
    ...(server ? ["ip netns exec dwhx-b httpd -p 80 &"] : []),
    `ip netns exec dwhx-a tcpdump ${capture} &`,
    ...commands,
  ].join("\n");
}

function run(text: string, dir: string) {
  const lines: string[] = [];
  const outDir = join(tmp, dir);
  const r = runScenario(text, {
    seed: 1,
    outDir,
    pcapng: false,
    application: "test",
    print: (l) => lines.push(l),
  });
  return { ...r, lines, pcap: readFileSync(join(outDir, "a.pcap")), outDir };
}

describe("an HTTP fetch with a server-side close, against Linux", () => {
  const r = run(
    scenario(["ip netns exec dwhx-a curl -s http://10.0.0.2/", "ip netns exec dwhx-b ss -tan"]),
    "http",
  );

  it("every frame on the client's eth0 is Linux's, in Linux's order", () => {
    expect(normaliseAll(r.pcap)).toEqual(normaliseAll(readFileSync(fixture("http.pcap"))));
  });

  it("curl prints the page; the server holds the connection in TIME-WAIT", () => {
    const linux = readFileSync(fixture("http-transcript.txt"), "utf8").split("\n");
    const page = linux[linux.indexOf("$ ns dwhx-a curl -s http://10.0.0.2/") + 1];
    expect(r.lines[r.lines.indexOf("$ ip netns exec dwhx-a curl -s http://10.0.0.2/") + 1]).toBe(page);
    const ss = r.lines.slice(r.lines.indexOf("$ ip netns exec dwhx-b ss -tan") + 1);
    const linuxSs = linux.slice(linux.indexOf("$ ns dwhx-b ss -tan") + 1).filter((l) => l !== "");
    // Same header and the same TIME-WAIT row once the client's port is masked; the listener's
    // backlog differs (the fixture's server asked for 511 like httpd does).
    const mask = (l: string) => l.replace(/:\d{5}\b/, ":PORT");
    expect(ss[0]).toBe(linuxSs[0]);
    expect(ss.filter((l) => l.startsWith("TIME-WAIT")).map(mask)).toEqual(
      linuxSs.filter((l) => l.startsWith("TIME-WAIT")).map(mask),
    );
  });

  itWithTshark("tshark finds nothing to warn about, as in Linux's capture", () => {
    const ours = tsharkReport(join(r.outDir, "a.pcap"));
    const linux = tsharkReport(new URL(fixture("http.pcap")).pathname);
    expect(ours.errors).toEqual(linux.errors);
    expect(ours.warnings).toEqual(linux.warnings);
  });
});

describe("curl -v, against Linux", () => {
  it("prints curl 7.88's connection, request and response lines (the Date aside)", () => {
    const r = run(scenario(["ip netns exec dwhx-a curl -v http://10.0.0.2/"]), "curl-v");
    const start = r.lines.indexOf("$ ip netns exec dwhx-a curl -v http://10.0.0.2/");
    const ours = r.lines
      .slice(start + 1)
      .filter((l) => !/packets (captured|received|dropped)|^wrote |^$/.test(l));
    // The fixture's stdout was a file, so curl drew its progress meter and put "{ [45 bytes data]"
    // where a terminal shows the body; a dockwire transcript is a terminal.
    const linux = readFileSync(fixture("http-curl-v.txt"), "utf8")
      .split("\n")
      .map((l) => l.replace(/^[\s\S]*--:--:--\s+\d+(?=\*)/, "").replace(/\r$/, ""))
      .filter((l) => l !== "" && !/% Total|Dload|^\{ \[|--:--:--/.test(l));
    const date = (l: string) => l.replace(DATE, "Date: *");
    expect(ours.map(date)).toEqual(
      [...linux.slice(0, -2), linux.at(-1), linux.at(-2)].map((l) => date(l as string)),
    );
  });
});

describe("a connect to a closed port, against Linux", () => {
  const r = run(
    scenario(
      [
        "ip netns exec dwhx-a curl http://10.0.0.2:81/ || true",
        "ip netns exec dwhx-a nc -v 10.0.0.2 81 || true",
        "ip netns exec dwhx-a nc -zv 10.0.0.2 81 || true",
      ],
      false,
    ),
    "closed",
  );

  it("SYN, RST,ACK three times, frame for frame", () => {
    expect(normaliseAll(r.pcap)).toEqual(normaliseAll(readFileSync(fixture("closed-port.pcap"))));
  });

  it("curl's and nc's error text", () => {
    // curl's progress meter went to the fixture's file (stdout was not a terminal); on a terminal,
    // as in a dockwire transcript, curl does not draw it.
    const linux = readFileSync(fixture("closed-port-transcript.txt"), "utf8")
      .split("\n")
      .filter((l) => l !== "" && !l.startsWith("[exit") && !/% Total|Dload|--:--:--/.test(l));
    const ours = r.lines
      .slice(r.lines.findIndex((l) => l.includes("curl http://10.0.0.2:81/")))
      .filter((l) => !/packets (captured|received|dropped)|^wrote /.test(l) && l !== "")
      .map((l) => l.replace(/^\$ ip netns exec dwhx-a /, "$ ").replace(/ \|\| true$/, ""));
    expect(ours).toEqual(linux.map((l) => l.replace(/^\$ ns dwhx-a /, "$ ")));
  });
});

describe("a SYN to a silent host, against Linux", () => {
  it("the same SYNs at the same times (within Linux's timer slack), then connect() times out", () => {
    const r = run(
      scenario(
        [
          "ip -n dwhx-a neigh add 10.0.0.9 lladdr 02:00:00:00:00:99 dev eth0 nud permanent",
          "ip netns exec dwhx-a nc -v 10.0.0.9 80 || true",
        ],
        false,
      ),
      "silent",
    );
    const ours = readPcap(r.pcap).records;
    const linux = readPcap(readFileSync(fixture("syn-silent.pcap"))).records;
    expect(normaliseAll(r.pcap).map((h) => h.slice(0, 108))).toEqual(
      normaliseAll(readFileSync(fixture("syn-silent.pcap"))).map((h) => h.slice(0, 108)),
    );
    const t0 = (rs: typeof ours) => rs.map((x) => Number(x.timeNs - (rs[0]?.timeNs ?? 0n)) / SECOND);
    const ourTimes = t0(ours);
    const linuxTimes = t0(linux);
    expect(ourTimes.length).toBe(linuxTimes.length);
    // Linux's timer wheel (HZ 250) never fires early but up to one granule late: 32 ms for
    // timeouts under 2 s, 256 ms under 16 s, 2 s beyond; the lateness adds up over the retries.
    let slack = 0;
    ourTimes.forEach((t, i) => {
      const interval = t - (ourTimes[i - 1] ?? 0);
      if (i > 0) slack += interval < 2.04 ? 0.032 : interval < 16.3 ? 0.256 : 2.048;
      const late = (linuxTimes[i] as number) - t;
      expect(late).toBeGreaterThanOrEqual(0);
      expect(late).toBeLessThanOrEqual(slack);
    });
    expect(r.lines).toContain("nc: connect to 10.0.0.9 port 80 (tcp) failed: Connection timed out");
  });
});

describe("a bulk transfer with 1% loss, against Linux (behaviour, not bytes)", () => {
  // Linux: iperf3 -n 20M over a veth, 1% of the data segments dropped at random by nft.
  const linuxExpert = readFileSync(fixture("bulk-loss-expert.txt"), "utf8");
  const linuxSegments = Number(/data segments: (\d+)/.exec(linuxExpert)?.[1]);
  const linuxRetrans = Number(/retransmissions: (\d+)/.exec(linuxExpert)?.[1]);
  const linuxWarnings = new Set(
    [...(/Warns \(\d+\)[\s\S]*?\n\n/.exec(linuxExpert)?.[0] ?? "").matchAll(/TCP {2}(.+)$/gm)].map(
      (m) => m[1],
    ),
  );
  const r = run(
    scenario(
      [
        "ip netns exec dwhx-a tc qdisc add dev eth0 root netem delay 10us rate 10gbit loss 1%",
        "ip netns exec dwhx-b tc qdisc add dev eth0 root netem delay 10us rate 10gbit",
        "ip netns exec dwhx-b iperf3 -s -1 &",
        "ip netns exec dwhx-a iperf3 -c 10.0.0.2 -n 20M",
        "wait",
      ],
      false,
      "-n -s 96 -i eth0 -w a.pcap",
    ),
    "bulk",
  );

  it("completes, with iperf3's report", () => {
    expect(r.exit).toBe(0);
    expect(r.lines).toContain("iperf Done.");
    expect(r.lines.find((l) => l.endsWith(" receiver"))).toMatch(/20\.0 MBytes/);
  });

  itWithTshark(
    "retransmits about as often as Linux, and tshark warns about nothing Linux's capture lacks",
    () => {
      const file = join(r.outDir, "a.pcap");
      const segments = tsharkCount(file, "ip.src==10.0.0.1 && tcp.len>0");
      const retrans = tsharkCount(file, "tcp.analysis.retransmission || tcp.analysis.fast_retransmission");
      const ours = retrans / segments;
      const linux = linuxRetrans / linuxSegments;
      expect(linux).toBeGreaterThan(0.005);
      // The same loss rate gives a retransmission rate within a factor of two of Linux's.
      expect(ours).toBeGreaterThan(linux / 2);
      expect(ours).toBeLessThan(linux * 2);
      const t = tsharkReport(file);
      expect(t.errors).toEqual([]);
      for (const w of t.warnings) expect(linuxWarnings).toContain(w.replace(/^frame \d+: /, ""));
    },
  );
});
