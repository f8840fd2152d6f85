/**
 * Conntrack's timeouts and limits through their sysctls (net.netfilter.nf_conntrack_*): entries
 * live as long as the protocol's timeout says and disappear at its end; a full table drops the
 * packet that would add an entry and says so in the kernel log.
 */

import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import fc from "fast-check";
import { afterAll, describe, expect, it } from "vitest";
import { Conntrack, type ConntrackEntry } from "../../src/netfilter/conntrack.js";
import { runLines } from "../helpers/scenario.js";

const tmp = mkdtempSync(join(tmpdir(), "dockwire-ct-"));
afterAll(() => rmSync(tmp, { recursive: true, force: true }));

const SETUP = `
ip netns add a
ip netns add b
ip link add eth0 netns a type veth peer name eth0 netns b
ip -n a addr add 10.0.0.1/24 dev eth0
ip -n b addr add 10.0.0.2/24 dev eth0
ip -n a link set eth0 up
ip -n b link set eth0 up
ip netns exec b iptables -A INPUT -m conntrack --ctstate INVALID -j DROP
`;

function run(extra: string): string[] {
  return runLines(SETUP + extra, tmp).lines;
}

describe("conntrack settings", () => {
  it("an unreplied UDP entry lives nf_conntrack_udp_timeout seconds, then is gone", () => {
    const lines = run(`
ip netns exec b sysctl -w net.netfilter.nf_conntrack_udp_timeout=5
echo hi | ip netns exec a nc -u -w 0 10.0.0.2 9999
ip netns exec b conntrack -L
sleep 4
ip netns exec b conntrack -L
sleep 2
ip netns exec b conntrack -L
`);
    const lists = lines.filter((l) => l.startsWith("udp ") || l.includes("flow entries"));
    expect(lists[0]).toMatch(/^udp +17 5 src=10\.0\.0\.1 dst=10\.0\.0\.2 sport=\d+ dport=9999 \[UNREPLIED\]/);
    expect(lists[2]).toMatch(/^udp +17 1 /);
    expect(lists.at(-1)).toBe("conntrack v1.4.7 (conntrack-tools): 0 flow entries have been shown.");
  });

  it("an established TCP connection gets nf_conntrack_tcp_timeout_established (432000 s)", () => {
    const lines = run(`
ip netns exec b nc -l 7 &
ip netns exec a nc 10.0.0.2 7 &
sleep 1
ip netns exec b conntrack -L
`);
    expect(lines.find((l) => l.startsWith("tcp "))).toMatch(
      /^tcp +6 431999 ESTABLISHED src=10\.0\.0\.1 dst=10\.0\.0\.2 .* \[ASSURED\]/,
    );
  });

  it("with nf_conntrack_max reached, a new connection's packet is dropped", () => {
    const lines = run(`
ip netns exec b sysctl -w net.netfilter.nf_conntrack_max=1
ip netns exec b nc -l 7 &
ip netns exec a ping -c 1 -W 1 10.0.0.2
ip netns exec a nc -zv -w 1 10.0.0.2 7 || true
ip netns exec b conntrack -C
`);
    expect(lines.find((l) => l.includes("packets transmitted"))).toMatch(/1 received/);
    expect(lines).toContain("nc: connect to 10.0.0.2 port 7 (tcp) timed out: Operation now in progress");
    expect(lines.at(-1)).toBe("1");
  });
});

describe("conntrack properties", () => {
  const TIMEOUTS: Record<string, number> = {
    nf_conntrack_max: 1e9,
    nf_conntrack_tcp_timeout_syn_sent: 120,
    nf_conntrack_tcp_timeout_syn_recv: 60,
    nf_conntrack_tcp_timeout_established: 432000,
    nf_conntrack_tcp_timeout_fin_wait: 120,
    nf_conntrack_tcp_timeout_close_wait: 60,
    nf_conntrack_tcp_timeout_last_ack: 30,
    nf_conntrack_tcp_timeout_time_wait: 120,
    nf_conntrack_tcp_timeout_close: 10,
    nf_conntrack_udp_timeout: 30,
    nf_conntrack_udp_timeout_stream: 120,
    nf_conntrack_icmp_timeout: 30,
    nf_conntrack_generic_timeout: 600,
  };
  const STATE_TIMEOUT: Record<string, number> = {
    SYN_SENT: 120,
    SYN_RECV: 60,
    ESTABLISHED: 432000,
    FIN_WAIT: 120,
    CLOSE_WAIT: 60,
    LAST_ACK: 30,
    TIME_WAIT: 120,
    CLOSE: 10,
    SYN_SENT2: 120,
  };
  const orig = { src: 0x0a000001, dst: 0x0a000002, sport: 40000, dport: 80 };
  const reply = { src: 0x0a000002, dst: 0x0a000001, sport: 80, dport: 40000 };
  const FLAGS = [0x02, 0x12, 0x11, 0x10, 0x04, 0x14, 0x18, 0x00];

  it("for any segment sequence: the state stays one of the kernel's, a RST closes (or, before any answer, removes), the entry lives exactly its state's timeout", () => {
    fc.assert(
      fc.property(
        fc.array(fc.tuple(fc.boolean(), fc.constantFrom(...FLAGS), fc.integer({ min: 0, max: 5000 })), {
          maxLength: 30,
        }),
        (steps) => {
          let now = 0;
          const ct = new Conntrack({ now: () => now * 1e6, setting: (n) => TIMEOUTS[n] ?? 0, log: () => {} });
          ct.confirm(ct.lookup(6, orig.src, orig.dst, orig.sport, orig.dport, 0x02) as ConntrackEntry);
          let lastMs = 0;
          for (const [isReply, flags, gapMs] of steps) {
            now += gapMs;
            const before = ct.list(false)[0];
            if (!before) break; // expired meanwhile
            const state = /^tcp +6 \d+ (\w+)/.exec(before)?.[1] as string;
            const t = isReply ? reply : orig;
            const unreplied = before.includes("[UNREPLIED]");
            ct.lookup(6, t.src, t.dst, t.sport, t.dport, flags);
            const now0 = ct.list(false)[0];
            if (now0 === undefined) {
              // A RST while nothing has answered yet: the entry is forgotten at once (tcp_packet).
              expect(flags & 0x04 && unreplied && ct.info !== 3).toBeTruthy();
              return;
            }
            const after = /^tcp +6 \d+ (\w+)/.exec(now0)?.[1] as string;
            expect(Object.keys(STATE_TIMEOUT)).toContain(after);
            if (ct.info === 3)
              expect(after).toBe(state); // INVALID changes nothing
            else lastMs = now;
            if (flags & 0x04 && ct.info !== 3) expect(after).toBe("CLOSE");
          }
          const line = ct.list(false)[0];
          if (!line) return;
          const state = /^tcp +6 \d+ (\w+)/.exec(line)?.[1] as string;
          const life = (STATE_TIMEOUT[state] as number) * 1000;
          now = lastMs + life - 1;
          expect(ct.list(false)).toHaveLength(1);
          now = lastMs + life;
          expect(ct.list(false)).toHaveLength(0);
        },
      ),
    );
  });
});
