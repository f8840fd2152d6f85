/**
 * The LOG target and dmesg against Linux (test/fixtures/linux/make-log-fixtures.sh): a host
 * namespace with a bridge logs INPUT, OUTPUT and FORWARD; a container pings the host and the
 * other container and tries a closed TCP and UDP port. The kernel log has Linux's lines field for
 * field (timestamps, IP and echo ids and ephemeral ports aside), nothing while
 * net.netfilter.nf_log_all_netns is 0, and the LOG rules count the same packets.
 */

import { mkdtempSync, readFileSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, describe, expect, it } from "vitest";
import { runLines } from "../helpers/scenario.js";

const tmp = mkdtempSync(join(tmpdir(), "dockwire-log-"));
afterAll(() => rmSync(tmp, { recursive: true, force: true }));
const fixture = (name: string) =>
  readFileSync(new URL(`../fixtures/linux/netfilter/${name}`, import.meta.url), "utf8").split("\n");

const SETUP = `
ip netns add dwlog-h
ip netns add dwlog-c1
ip netns add dwlog-c2
ip -n dwlog-h link add br0 address 02:00:00:00:07:01 type bridge
ip link add eth0 netns dwlog-c1 address 02:00:00:00:07:02 type veth peer name v1 netns dwlog-h address 02:00:00:00:07:12
ip link add eth0 netns dwlog-c2 address 02:00:00:00:07:03 type veth peer name v2 netns dwlog-h address 02:00:00:00:07:13
ip -n dwlog-h link set v1 master br0
ip -n dwlog-h link set v2 master br0
ip -n dwlog-h addr add 10.7.0.1/24 dev br0
ip -n dwlog-c1 addr add 10.7.0.2/24 dev eth0
ip -n dwlog-c2 addr add 10.7.0.3/24 dev eth0
ip -n dwlog-h link set br0 up
ip -n dwlog-h link set v1 up
ip -n dwlog-h link set v2 up
ip -n dwlog-c1 link set eth0 up
ip -n dwlog-c2 link set eth0 up
ip netns exec dwlog-h sysctl -w net.bridge.bridge-nf-call-iptables=1
ip netns exec dwlog-h iptables -A INPUT -j LOG --log-prefix "dwlog-in: "
ip netns exec dwlog-h iptables -A OUTPUT -j LOG --log-prefix "dwlog-out: " --log-level 6
ip netns exec dwlog-h iptables -A FORWARD -j LOG --log-prefix "dwlog-fwd: "
`;

describe("LOG and dmesg against Linux (make-log-fixtures.sh)", () => {
  const { lines } = runLines(
    `${SETUP}
ip netns exec dwlog-c1 ping -c 1 -W 1 10.7.0.1
dmesg
sysctl -w net.netfilter.nf_log_all_netns=1
ip netns exec dwlog-c1 ping -c 1 -W 1 10.7.0.1
ip netns exec dwlog-c1 ping -c 1 -W 1 10.7.0.3
ip netns exec dwlog-c1 nc -z -w 1 10.7.0.1 81 || true
echo hi | ip netns exec dwlog-c1 nc -u -w 1 10.7.0.1 9999 || true
dmesg
ip netns exec dwlog-h iptables-save -c
`,
    tmp,
  );
  const following = (prompt: string) => lines.slice(lines.lastIndexOf(prompt) + 1);
  const normal = (l: string) =>
    l
      .replace(/^\[ *\d+\.\d{6}\] /, "[T] ")
      .replace(/ ID=\d+/g, " ID=N")
      .replace(/ (SPT|DPT)=(\d+)/g, (m, k, p) => (Number(p) >= 32768 ? ` ${k}=E` : m));

  it("a namespace's LOG lines are dropped while nf_log_all_netns is 0", () => {
    expect(fixture("log-netns.txt")[0]).toBe("0");
    const firstDmesg = lines.indexOf("$ dmesg");
    expect(lines[firstDmesg + 1]).toMatch(/^\$ sysctl/);
  });

  it("the same lines as Linux's kernel log, field for field", () => {
    const kernel = (ls: string[]) => ls.filter((l) => /^\[ *\d+\.\d{6}\] /.test(l));
    const ours = kernel(following("$ dmesg"));
    expect(ours.map(normal)).toEqual(kernel(fixture("log.txt")).map(normal));
    for (const l of ours) expect(l).toMatch(/^\[ {4}\d\.\d{6}\] dwlog-.* $/);
  });

  it("the LOG rules count what Linux's count (its OUTPUT also saw an IGMP report dockwire does not send)", () => {
    const counted = (ls: string[]) => ls.filter((l) => /^\[\d+:\d+\] -A \w+ -j LOG/.test(l));
    const linux = counted(fixture("log.txt"));
    const ours = counted(following("$ ip netns exec dwlog-h iptables-save -c"));
    expect(ours).toEqual(linux.map((l) => l.replace("[5:307] -A OUTPUT", "[4:267] -A OUTPUT")));
  });
});
