/**
 * `ip6tables` and `ip6tables-save` against ip6tables 1.8.9 (nf_tables) on Linux 6.18
 * (test/fixtures/linux/ip6tables, made by make-ip6tables-fixtures.sh): the router's rules, the
 * errors, `-S`, `-L -n [-v]` and `ip6tables-save` print what Linux printed; the state stays apart
 * from iptables'.
 */

import { readFileSync } from "node:fs";
import { describe, expect, it } from "vitest";
import { runIptables, runIptablesRestore, runIptablesSave } from "../../src/netfilter/iptables-command.js";
import { IptablesState } from "../../src/netfilter/tables.js";
import { ip6Steps } from "../helpers/ip6tables-transcript.js";

const transcript = readFileSync(
  new URL("../fixtures/linux/ip6tables/transcript.txt", import.meta.url),
  "utf8",
);

/** Shell words, double quotes kept together. */
function words(command: string): string[] {
  return [...command.matchAll(/"([^"]*)"|(\S+)/g)].map((m) => (m[1] ?? m[2]) as string);
}

const STAMP = "Mon Nov 23 01:53:23 2026";

describe("ip6tables against Linux", () => {
  const steps = ip6Steps(transcript);
  const firstPing = steps.findIndex((s) => s.command.startsWith("ping"));
  const rules = steps.slice(0, firstPing).filter((s) => /^ip6tables(-save)? /.test(`${s.command} `));

  it("has the router's commands", () => {
    expect(rules.length).toBeGreaterThan(25);
  });

  it("prints what ip6tables 1.8.9 printed, with the same exit codes", () => {
    const state = new IptablesState(6);
    const v4 = new IptablesState(4);
    for (const s of rules) {
      const [cmd, ...args] = words(s.command);
      const r = cmd === "ip6tables-save" ? runIptablesSave(state, args, STAMP) : runIptables(state, args);
      expect({
        command: s.command,
        out: `${r.stdout}${r.stderr}`.split("\n").slice(0, -1),
        exit: r.exit,
      }).toEqual({
        command: s.command,
        out: s.output,
        exit: s.exit,
      });
    }
    // iptables-save in the same namespace printed nothing: the IPv4 state is untouched.
    expect(runIptablesSave(v4, [], STAMP).stdout).toBe("");
  });

  it("lists without -n with names (anywhere, ipv6-icmp echo-request)", () => {
    const state = new IptablesState(6);
    runIptables(state, words("-A INPUT -s fd00::/8 -p icmpv6 --icmpv6-type ping -j ACCEPT"));
    runIptables(state, words("-A INPUT -p icmpv6 ! --icmpv6-type 1/0 -j DROP"));
    expect(runIptables(state, ["-L", "INPUT"]).stdout.split("\n").slice(2, 4)).toEqual([
      "ACCEPT     ipv6-icmp--  fd00::/8             anywhere             ipv6-icmp echo-request",
      "DROP       ipv6-icmp--  anywhere             anywhere             ipv6-icmp !no-route",
    ]);
    expect(runIptables(state, ["-S", "INPUT"]).stdout).toBe(
      "-P INPUT ACCEPT\n-A INPUT -s fd00::/8 -p ipv6-icmp -m icmp6 --icmpv6-type 128 -j ACCEPT\n-A INPUT -p ipv6-icmp -m icmp6 ! --icmpv6-type 1/0 -j DROP\n",
    );
  });

  it("restores a saved IPv6 rule set and names itself in errors", () => {
    const state = new IptablesState(6);
    const text = "*filter\n:FORWARD DROP [0:0]\n-A FORWARD -s fd00:1::/64 -j ACCEPT\nCOMMIT\n";
    expect(runIptablesRestore(state, text, false).exit).toBe(0);
    expect(runIptables(state, ["-S", "FORWARD"]).stdout).toBe(
      "-P FORWARD DROP\n-A FORWARD -s fd00:1::/64 -j ACCEPT\n",
    );
    const bad = runIptablesRestore(state, "*filter\n-A FORWARD -s 10.0.0.1 -j ACCEPT\nCOMMIT\n", false);
    expect(bad.stderr).toBe(
      "ip6tables-restore v1.8.9 (nf_tables): host/network `10.0.0.1' not found\nError occurred at line: 2\nTry `ip6tables-restore -h' or 'ip6tables-restore --help' for more information.\n",
    );
    expect(runIptables(state, ["-X", "NOPE"]).stderr).toBe(
      "ip6tables: No chain/target/match by that name.\n",
    );
  });
});
