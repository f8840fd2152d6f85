/** scenarios/firewall.dw end to end: the rejections, the counters, iptables-save and conntrack -L. */

import { mkdtempSync, readFileSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, describe, expect, it } from "vitest";
import { runScenario } from "../../src/scenario/runner.js";

const tmp = mkdtempSync(join(tmpdir(), "dockwire-firewall-"));
afterAll(() => rmSync(tmp, { recursive: true, force: true }));
const text = readFileSync(new URL("../../scenarios/firewall.dw", import.meta.url), "utf8");

function run(seed: number): string[] {
  const lines: string[] = [];
  const r = runScenario(text, {
    seed,
    outDir: tmp,
    pcapng: false,
    application: "test",
    print: (l) => lines.push(l),
  });
  expect(r.exit).toBe(0);
  return lines;
}

describe("scenarios/firewall.dw", () => {
  const lines = run(1);

  it("lets the web request in and rejects ping and port 22 the way the rules say", () => {
    expect(lines).toContain("<html><body><h1>It works!</h1></body></html>");
    expect(lines).toContain("From 10.0.0.2 icmp_seq=1 Packet filtered");
    expect(lines).toContain("nc: connect to 10.0.0.2 port 22 (tcp) failed: Connection refused");
  });

  it("counts what each rule matched and saves the rules in canonical form", () => {
    expect(
      lines.filter((l) => /^\d +\d+ +\d+ /.test(l)).map((l) => l.split(/\s+/).slice(0, 4).join(" ")),
    ).toEqual(["1 4 280 ACCEPT", "2 1 60 ACCEPT", "3 1 84 REJECT", "4 1 60 REJECT"]);
    expect(lines).toContain(
      "-A INPUT -p icmp -m icmp --icmp-type 8 -j REJECT --reject-with icmp-admin-prohibited",
    );
  });

  it("conntrack holds only the accepted connection, in TIME_WAIT", () => {
    const ct = lines.filter((l) => /^(tcp|udp|icmp) /.test(l));
    expect(ct).toHaveLength(1);
    expect(ct[0]).toMatch(
      /^tcp +6 \d+ TIME_WAIT src=10\.0\.0\.1 dst=10\.0\.0\.2 sport=\d+ dport=80 .* \[ASSURED\] mark=0 use=1$/,
    );
  });

  it("same seed, same transcript", () => {
    expect(run(1)).toEqual(lines);
  });
});
