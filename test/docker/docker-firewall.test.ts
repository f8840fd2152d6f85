/**
 * The rules Docker 27 writes (shared/spec/docker-networking.md §4.1): a fresh docker host,
 * `docker network create mynet`, then `docker run -d -p 8080:80 nginx` on the default bridge give
 * exactly the spec's iptables-save (the user bridge's id aside); --icc=false and
 * --userland-proxy=false change the lines the spec says; removing the network and the container
 * takes their lines away again.
 */

import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, describe, expect, it } from "vitest";
import { runLines } from "../helpers/scenario.js";

const tmp = mkdtempSync(join(tmpdir(), "dockwire-dockerfw-"));
afterAll(() => rmSync(tmp, { recursive: true, force: true }));

/** The spec's iptables-save, classic (Docker 20.10-27.x), per table. */
const SPEC_NAT = `*nat
:PREROUTING ACCEPT [0:0]
:INPUT ACCEPT [0:0]
:OUTPUT ACCEPT [0:0]
:POSTROUTING ACCEPT [0:0]
:DOCKER - [0:0]
-A PREROUTING -m addrtype --dst-type LOCAL -j DOCKER
-A OUTPUT ! -d 127.0.0.0/8 -m addrtype --dst-type LOCAL -j DOCKER
-A POSTROUTING -s 172.18.0.0/16 ! -o br-ID -j MASQUERADE
-A POSTROUTING -s 172.17.0.0/16 ! -o docker0 -j MASQUERADE
-A POSTROUTING -s 172.17.0.2/32 -d 172.17.0.2/32 -p tcp -m tcp --dport 80 -j MASQUERADE
-A DOCKER -i br-ID -j RETURN
-A DOCKER -i docker0 -j RETURN
-A DOCKER ! -i docker0 -p tcp -m tcp --dport 8080 -j DNAT --to-destination 172.17.0.2:80
COMMIT`;
const SPEC_FILTER = `*filter
:INPUT ACCEPT [0:0]
:FORWARD DROP [0:0]
:OUTPUT ACCEPT [0:0]
:DOCKER - [0:0]
:DOCKER-ISOLATION-STAGE-1 - [0:0]
:DOCKER-ISOLATION-STAGE-2 - [0:0]
:DOCKER-USER - [0:0]
-A FORWARD -j DOCKER-USER
-A FORWARD -j DOCKER-ISOLATION-STAGE-1
-A FORWARD -o br-ID -m conntrack --ctstate RELATED,ESTABLISHED -j ACCEPT
-A FORWARD -o br-ID -j DOCKER
-A FORWARD -i br-ID ! -o br-ID -j ACCEPT
-A FORWARD -i br-ID -o br-ID -j ACCEPT
-A FORWARD -o docker0 -m conntrack --ctstate RELATED,ESTABLISHED -j ACCEPT
-A FORWARD -o docker0 -j DOCKER
-A FORWARD -i docker0 ! -o docker0 -j ACCEPT
-A FORWARD -i docker0 -o docker0 -j ACCEPT
-A DOCKER -d 172.17.0.2/32 ! -i docker0 -o docker0 -p tcp -m tcp --dport 80 -j ACCEPT
-A DOCKER-ISOLATION-STAGE-1 -i br-ID ! -o br-ID -j DOCKER-ISOLATION-STAGE-2
-A DOCKER-ISOLATION-STAGE-1 -i docker0 ! -o docker0 -j DOCKER-ISOLATION-STAGE-2
-A DOCKER-ISOLATION-STAGE-1 -j RETURN
-A DOCKER-ISOLATION-STAGE-2 -o br-ID -j DROP
-A DOCKER-ISOLATION-STAGE-2 -o docker0 -j DROP
-A DOCKER-ISOLATION-STAGE-2 -j RETURN
-A DOCKER-USER -j RETURN
COMMIT`;

/** iptables-save's tables, comments dropped, bridge ids replaced, keyed by table name. */
function tables(lines: string[]): Map<string, string> {
  const out = new Map<string, string>();
  let current: string[] = [];
  for (const l of lines) {
    if (l.startsWith("#")) continue;
    const line = l.replace(/br-[0-9a-f]{12}/g, "br-ID");
    if (line.startsWith("*")) current = [line];
    else current.push(line);
    if (line === "COMMIT") out.set((current[0] as string).slice(1), current.join("\n"));
  }
  return out;
}

function saved(script: string, name: string): Map<string, string> {
  const { lines, result } = runLines(`${script}\niptables-save`, join(tmp, name));
  expect(result.exit).toBe(0);
  return tables(lines.slice(lines.lastIndexOf("$ iptables-save") + 1));
}

describe("Docker's classic rules on a fresh host", () => {
  it("docker network create mynet, docker run -d -p 8080:80 nginx: the spec's iptables-save", () => {
    const t = saved("docker network create mynet\ndocker run -d -p 8080:80 nginx", "spec");
    expect(t.get("nat")).toBe(SPEC_NAT);
    expect(t.get("filter")).toBe(SPEC_FILTER);
  });

  it("--icc=false: no ACCEPT between docker0's ports, and a DROP as FORWARD's last rule", () => {
    const t = saved(
      "dockerd --icc=false\ndocker network create mynet\ndocker run -d -p 8080:80 nginx",
      "icc",
    );
    const filter = (t.get("filter") ?? "").split("\n");
    expect(filter).not.toContain("-A FORWARD -i docker0 -o docker0 -j ACCEPT");
    expect(filter.filter((l) => l.startsWith("-A FORWARD")).at(-1)).toBe(
      "-A FORWARD -i docker0 -o docker0 -j DROP",
    );
  });

  it("--userland-proxy=false: OUTPUT without the loopback exclusion, the LOCAL MASQUERADE above each network's, no RETURN", () => {
    const t = saved(
      "dockerd --userland-proxy=false\ndocker network create mynet\ndocker run -d -p 8080:80 nginx",
      "proxy",
    );
    const nat = (t.get("nat") ?? "").split("\n");
    expect(nat).toContain("-A OUTPUT -m addrtype --dst-type LOCAL -j DOCKER");
    expect(nat.filter((l) => l.startsWith("-A POSTROUTING"))).toEqual([
      "-A POSTROUTING -o br-ID -m addrtype --src-type LOCAL -j MASQUERADE",
      "-A POSTROUTING -s 172.18.0.0/16 ! -o br-ID -j MASQUERADE",
      "-A POSTROUTING -o docker0 -m addrtype --src-type LOCAL -j MASQUERADE",
      "-A POSTROUTING -s 172.17.0.0/16 ! -o docker0 -j MASQUERADE",
      "-A POSTROUTING -s 172.17.0.2/32 -d 172.17.0.2/32 -p tcp -m tcp --dport 80 -j MASQUERADE",
    ]);
    expect(nat).toContain("-A DOCKER -p tcp -m tcp --dport 8080 -j DNAT --to-destination 172.17.0.2:80");
    expect(nat.some((l) => l.includes("-j RETURN"))).toBe(false);
  });

  it("removing the container and the network takes their rules away", () => {
    const t = saved(
      "docker network create mynet\ndocker run -d --name web -p 8080:80 nginx\ndocker rm -f web\ndocker network rm mynet",
      "rm",
    );
    const all = `${t.get("nat")}\n${t.get("filter")}`;
    expect(all).not.toContain("br-ID");
    expect(all).not.toContain("8080");
    expect(all).not.toContain("172.17.0.2");
    expect(all).toContain("-A POSTROUTING -s 172.17.0.0/16 ! -o docker0 -j MASQUERADE");
  });
});

/** The spec's iptables-save for Docker 29 (§4.3), same scenario. */
const SPEC_V29 = `*raw
:PREROUTING ACCEPT [0:0]
:OUTPUT ACCEPT [0:0]
-A PREROUTING -d 172.17.0.2/32 ! -i docker0 -j DROP
COMMIT
*filter
:INPUT ACCEPT [0:0]
:FORWARD DROP [0:0]
:OUTPUT ACCEPT [0:0]
:DOCKER - [0:0]
:DOCKER-BRIDGE - [0:0]
:DOCKER-CT - [0:0]
:DOCKER-FORWARD - [0:0]
:DOCKER-INTERNAL - [0:0]
:DOCKER-USER - [0:0]
-A FORWARD -j DOCKER-USER
-A FORWARD -j DOCKER-FORWARD
-A DOCKER -d 172.17.0.2/32 ! -i docker0 -o docker0 -p tcp -m tcp --dport 80 -j ACCEPT
-A DOCKER ! -i docker0 -o docker0 -j DROP
-A DOCKER ! -i br-ID -o br-ID -j DROP
-A DOCKER-BRIDGE -o docker0 -j DOCKER
-A DOCKER-BRIDGE -o br-ID -j DOCKER
-A DOCKER-CT -o docker0 -m conntrack --ctstate RELATED,ESTABLISHED -j ACCEPT
-A DOCKER-CT -o br-ID -m conntrack --ctstate RELATED,ESTABLISHED -j ACCEPT
-A DOCKER-FORWARD -j DOCKER-CT
-A DOCKER-FORWARD -j DOCKER-INTERNAL
-A DOCKER-FORWARD -j DOCKER-BRIDGE
-A DOCKER-FORWARD -i docker0 -j ACCEPT
-A DOCKER-FORWARD -i br-ID -j ACCEPT
COMMIT
*nat
:PREROUTING ACCEPT [0:0]
:INPUT ACCEPT [0:0]
:OUTPUT ACCEPT [0:0]
:POSTROUTING ACCEPT [0:0]
:DOCKER - [0:0]
-A PREROUTING -m addrtype --dst-type LOCAL -j DOCKER
-A OUTPUT ! -d 127.0.0.0/8 -m addrtype --dst-type LOCAL -j DOCKER
-A POSTROUTING -s 172.18.0.0/16 ! -o br-ID -j MASQUERADE
-A POSTROUTING -s 172.17.0.0/16 ! -o docker0 -j MASQUERADE
-A DOCKER ! -i docker0 -p tcp -m tcp --dport 8080 -j DNAT --to-destination 172.17.0.2:80
COMMIT`;

describe("Docker 29's rules (dockerd --engine-version 29)", () => {
  it("the same scenario gives the spec's v29 iptables-save", () => {
    const t = saved(
      "dockerd --engine-version 29\ndocker network create mynet\ndocker run -d -p 8080:80 nginx",
      "v29",
    );
    for (const table of ["raw", "filter", "nat"])
      expect(t.get(table)).toBe(
        SPEC_V29.split("\nCOMMIT")
          .find((b) => b.includes(`*${table}`))
          ?.trim()
          .concat("\nCOMMIT"),
      );
  });

  it("containers get random locally administered MACs and the 28+ /etc/hosts lines; the raw drop goes with the container", () => {
    const { lines } = runLines(
      "dockerd --engine-version 29\ndocker run -d --name a alpine sleep infinity\ndocker exec a ip link show eth0\ndocker exec a cat /etc/hosts\ndocker rm -f a\niptables -t raw -S PREROUTING",
      join(tmp, "v29-mac"),
    );
    const ether = lines.find((l) => l.includes("link/ether")) ?? "";
    expect(ether).not.toContain("02:42:ac:11:00:02");
    expect(Number.parseInt(ether.trim().split(" ")[1]?.slice(0, 2) ?? "", 16) & 3).toBe(2);
    expect(lines).toContain("fe00::\tip6-localnet");
    expect(lines.at(-1)).toBe("-P PREROUTING ACCEPT");
  });
});

describe("Docker 28's rules (dockerd --engine-version 28)", () => {
  it("v29's layout with the classic isolation chains instead of DOCKER-INTERNAL and nat RETURNs for the proxy", () => {
    const t = saved(
      "dockerd --engine-version 28\ndocker network create mynet\ndocker run -d -p 8080:80 nginx",
      "v28",
    );
    const filter = (t.get("filter") ?? "").split("\n");
    expect(filter).toContain(":DOCKER-ISOLATION-STAGE-1 - [0:0]");
    expect(filter).not.toContain(":DOCKER-INTERNAL - [0:0]");
    expect(filter.filter((l) => l.startsWith("-A DOCKER-FORWARD"))).toEqual([
      "-A DOCKER-FORWARD -j DOCKER-CT",
      "-A DOCKER-FORWARD -j DOCKER-ISOLATION-STAGE-1",
      "-A DOCKER-FORWARD -j DOCKER-BRIDGE",
      "-A DOCKER-FORWARD -i docker0 -j ACCEPT",
      "-A DOCKER-FORWARD -i br-ID -j ACCEPT",
    ]);
    expect(filter.filter((l) => l.startsWith("-A DOCKER-ISOLATION"))).toEqual([
      "-A DOCKER-ISOLATION-STAGE-1 -i br-ID ! -o br-ID -j DOCKER-ISOLATION-STAGE-2",
      "-A DOCKER-ISOLATION-STAGE-1 -i docker0 ! -o docker0 -j DOCKER-ISOLATION-STAGE-2",
      "-A DOCKER-ISOLATION-STAGE-1 -j RETURN",
      "-A DOCKER-ISOLATION-STAGE-2 -o br-ID -j DROP",
      "-A DOCKER-ISOLATION-STAGE-2 -o docker0 -j DROP",
      "-A DOCKER-ISOLATION-STAGE-2 -j RETURN",
    ]);
    expect((t.get("nat") ?? "").split("\n").filter((l) => l.startsWith("-A DOCKER"))).toEqual([
      "-A DOCKER -i br-ID -j RETURN",
      "-A DOCKER -i docker0 -j RETURN",
      "-A DOCKER ! -i docker0 -p tcp -m tcp --dport 8080 -j DNAT --to-destination 172.17.0.2:80",
    ]);
    expect(t.get("raw")).toContain("-A PREROUTING -d 172.17.0.2/32 ! -i docker0 -j DROP");
  });
});
