/** scenarios/log.dw end to end: LOG lines in dmesg, CONNMARK's marks in conntrack -L, iptables -C. */

import { mkdtempSync, readFileSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, describe, expect, it } from "vitest";
import { runLines } from "../helpers/scenario.js";

const tmp = mkdtempSync(join(tmpdir(), "dockwire-logscenario-"));
afterAll(() => rmSync(tmp, { recursive: true, force: true }));
const text = readFileSync(new URL("../../scenarios/log.dw", import.meta.url), "utf8");

describe("scenarios/log.dw", () => {
  const { lines, result } = runLines(text, tmp);

  it("runs to the end", () => {
    expect(result.exit).toBe(0);
    expect(lines.at(-1)).toBe("-A INPUT -m conntrack --ctstate NEW -j CONNMARK --set-xmark 0x7/0xffffffff");
  });

  it("logs the first packet of each connection, stamped with the simulated time, as the kernel writes it", () => {
    const logged = lines.filter((l) => l.includes("] new: "));
    expect(logged).toHaveLength(2);
    expect(logged[0]).toMatch(
      /^\[ {4}0\.\d{6}\] new: IN=br0 OUT= PHYSIN=v1 MAC=02:00:00:00:07:01:02:00:00:00:07:02:08:00 SRC=10\.7\.0\.2 DST=10\.7\.0\.1 LEN=60 TOS=0x00 PREC=0x00 TTL=64 ID=\d+ DF PROTO=TCP SPT=\d+ DPT=80 WINDOW=64240 RES=0x00 SYN URGP=0 $/,
    );
    expect(logged[1]).toMatch(/^\[ {4}1\.\d{6}\] new: .* PROTO=ICMP TYPE=8 CODE=0 ID=\d+ SEQ=1 $/);
  });

  it("marks both connections, and iptables -C finds the rule", () => {
    const entries = lines.filter((l) => /^(tcp|icmp) /.test(l));
    expect(entries).toHaveLength(2);
    for (const e of entries) expect(e).toMatch(/ mark=7 use=1$/);
    const check = lines.indexOf("$ iptables -C INPUT -m conntrack --ctstate NEW -j CONNMARK --set-mark 7");
    expect(lines[check + 1]).toBe("$ iptables -S INPUT");
  });
});
