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
    // setINC appends the stage-1 jump (docker0 first) and inserts the stage-2 DROP; no RETURNs.
    expect(filter.filter((l) => l.startsWith("-A DOCKER-ISOLATION"))).toEqual([
      "-A DOCKER-ISOLATION-STAGE-1 -i docker0 ! -o docker0 -j DOCKER-ISOLATION-STAGE-2",
      "-A DOCKER-ISOLATION-STAGE-1 -i br-ID ! -o br-ID -j DOCKER-ISOLATION-STAGE-2",
      "-A DOCKER-ISOLATION-STAGE-2 -o br-ID -j DROP",
      "-A DOCKER-ISOLATION-STAGE-2 -o docker0 -j DROP",
    ]);
    expect((t.get("nat") ?? "").split("\n").filter((l) => l.startsWith("-A DOCKER"))).toEqual([
      "-A DOCKER -i br-ID -j RETURN",
      "-A DOCKER -i docker0 -j RETURN",
      "-A DOCKER ! -i docker0 -p tcp -m tcp --dport 8080 -j DNAT --to-destination 172.17.0.2:80",
    ]);
    expect(t.get("raw")).toContain("-A PREROUTING -d 172.17.0.2/32 ! -i docker0 -j DROP");
  });
});

describe("Docker 28's internal networks", () => {
  it("moby v28.5's usernet-internal rules: both DROPs inserted at the top of stage 1, no RETURNs", () => {
    const t = saved(
      [
        "dockerd --engine-version 28",
        "docker network create -o com.docker.network.bridge.name=bridgeICC --internal --subnet 192.0.2.0/24 --gateway 192.0.2.1 n1",
        "docker run -d --network n1 --name c1 alpine sleep infinity",
        "docker network create -o com.docker.network.bridge.name=bridgeNoICC -o com.docker.network.bridge.enable_icc=false --internal --subnet 198.51.100.0/24 --gateway 198.51.100.1 n2",
        "docker run -d --network n2 --name c2 alpine sleep infinity",
      ].join("\n"),
      "v28-internal",
    );
    expect((t.get("filter") ?? "").split("\n").filter((l) => l.startsWith("-A "))).toEqual([
      "-A FORWARD -j DOCKER-USER",
      "-A FORWARD -j DOCKER-FORWARD",
      "-A DOCKER ! -i docker0 -o docker0 -j DROP",
      "-A DOCKER-BRIDGE -o docker0 -j DOCKER",
      "-A DOCKER-CT -o docker0 -m conntrack --ctstate RELATED,ESTABLISHED -j ACCEPT",
      "-A DOCKER-FORWARD -j DOCKER-CT",
      "-A DOCKER-FORWARD -j DOCKER-ISOLATION-STAGE-1",
      "-A DOCKER-FORWARD -j DOCKER-BRIDGE",
      "-A DOCKER-FORWARD -i docker0 -j ACCEPT",
      "-A DOCKER-FORWARD -i bridgeICC -o bridgeICC -j ACCEPT",
      "-A DOCKER-FORWARD -i bridgeNoICC -o bridgeNoICC -j DROP",
      "-A DOCKER-ISOLATION-STAGE-1 ! -s 198.51.100.0/24 -o bridgeNoICC -j DROP",
      "-A DOCKER-ISOLATION-STAGE-1 ! -d 198.51.100.0/24 -i bridgeNoICC -j DROP",
      "-A DOCKER-ISOLATION-STAGE-1 ! -s 192.0.2.0/24 -o bridgeICC -j DROP",
      "-A DOCKER-ISOLATION-STAGE-1 ! -d 192.0.2.0/24 -i bridgeICC -j DROP",
      "-A DOCKER-ISOLATION-STAGE-1 -i docker0 ! -o docker0 -j DOCKER-ISOLATION-STAGE-2",
      "-A DOCKER-ISOLATION-STAGE-2 -o docker0 -j DROP",
    ]);
  });
});

/**
 * moby's generated iptables docs (integration/network/bridge/iptablesdoc/generated,
 * usernet-portmap-routed.md and usernet-portmap-natunprot.md): `docker network create -o
 * com.docker.network.bridge.name=bridge1 -o ...gateway_mode_ipv4=MODE --subnet 192.0.2.0/24
 * --gateway 192.0.2.1 bridge1` and `docker run --network bridge1 -p 8080:80 --name c1 ...`.
 */
function gatewayModeRules(mode: string, version = 29): { filter: string[]; nat: string[]; raw: string[] } {
  const t = saved(
    `dockerd --engine-version ${version}\ndocker network create -o com.docker.network.bridge.name=bridge1 -o com.docker.network.bridge.gateway_mode_ipv4=${mode} --subnet 192.0.2.0/24 --gateway 192.0.2.1 bridge1\ndocker run -d --network bridge1 -p 8080:80 --name c1 nginx`,
    `gw-${mode}-${version}`,
  );
  const rules = (table: string) => (t.get(table) ?? "").split("\n").filter((l) => l.startsWith("-A "));
  return { filter: rules("filter"), nat: rules("nat"), raw: rules("raw") };
}

describe("Gateway modes (com.docker.network.bridge.gateway_mode_ipv4)", () => {
  it("routed: moby's rules (the port's ACCEPT, ICMP ahead of the network's DROP, no MASQUERADE, no DNAT, no raw drop)", () => {
    const r = gatewayModeRules("routed");
    expect(r.filter).toEqual([
      "-A FORWARD -j DOCKER-USER",
      "-A FORWARD -j DOCKER-FORWARD",
      "-A DOCKER -d 192.0.2.2/32 ! -i bridge1 -o bridge1 -p tcp -m tcp --dport 80 -j ACCEPT",
      "-A DOCKER ! -i docker0 -o docker0 -j DROP",
      "-A DOCKER -o bridge1 -p icmp -j ACCEPT",
      "-A DOCKER ! -i bridge1 -o bridge1 -j DROP",
      "-A DOCKER-BRIDGE -o docker0 -j DOCKER",
      "-A DOCKER-BRIDGE -o bridge1 -j DOCKER",
      "-A DOCKER-CT -o docker0 -m conntrack --ctstate RELATED,ESTABLISHED -j ACCEPT",
      "-A DOCKER-CT -o bridge1 -m conntrack --ctstate RELATED,ESTABLISHED -j ACCEPT",
      "-A DOCKER-FORWARD -j DOCKER-CT",
      "-A DOCKER-FORWARD -j DOCKER-INTERNAL",
      "-A DOCKER-FORWARD -j DOCKER-BRIDGE",
      "-A DOCKER-FORWARD -i docker0 -j ACCEPT",
      "-A DOCKER-FORWARD -i bridge1 -j ACCEPT",
    ]);
    expect(r.nat).toEqual([
      "-A PREROUTING -m addrtype --dst-type LOCAL -j DOCKER",
      "-A OUTPUT ! -d 127.0.0.0/8 -m addrtype --dst-type LOCAL -j DOCKER",
      "-A POSTROUTING -s 172.17.0.0/16 ! -o docker0 -j MASQUERADE",
    ]);
    expect(r.raw).toEqual([]);
  });

  it("nat-unprotected: moby's rules (ACCEPT instead of the network's DROP, no per-port ACCEPT, the DNAT kept)", () => {
    const r = gatewayModeRules("nat-unprotected");
    expect(r.filter.filter((l) => l.startsWith("-A DOCKER "))).toEqual([
      "-A DOCKER ! -i docker0 -o docker0 -j DROP",
      "-A DOCKER ! -i bridge1 -o bridge1 -j ACCEPT",
    ]);
    expect(r.nat).toEqual([
      "-A PREROUTING -m addrtype --dst-type LOCAL -j DOCKER",
      "-A OUTPUT ! -d 127.0.0.0/8 -m addrtype --dst-type LOCAL -j DOCKER",
      "-A POSTROUTING -s 192.0.2.0/24 ! -o bridge1 -j MASQUERADE",
      "-A POSTROUTING -s 172.17.0.0/16 ! -o docker0 -j MASQUERADE",
      "-A DOCKER ! -i bridge1 -p tcp -m tcp --dport 8080 -j DNAT --to-destination 192.0.2.2:80",
    ]);
  });

  it("routed on 28: moby's usernet-portmap-routed rules (isolation lets replies out and anything routed in through; the nat RETURN stays)", () => {
    const r = gatewayModeRules("routed", 28);
    expect(r.filter.filter((l) => l.startsWith("-A DOCKER-ISOLATION"))).toEqual([
      "-A DOCKER-ISOLATION-STAGE-1 -i bridge1 -m conntrack --ctstate RELATED,ESTABLISHED -j ACCEPT",
      "-A DOCKER-ISOLATION-STAGE-1 -o bridge1 -j RETURN",
      "-A DOCKER-ISOLATION-STAGE-1 -i docker0 ! -o docker0 -j DOCKER-ISOLATION-STAGE-2",
      "-A DOCKER-ISOLATION-STAGE-1 -i bridge1 ! -o bridge1 -j DOCKER-ISOLATION-STAGE-2",
      "-A DOCKER-ISOLATION-STAGE-2 -o bridge1 -j DROP",
      "-A DOCKER-ISOLATION-STAGE-2 -o docker0 -j DROP",
    ]);
    expect(r.nat).toEqual([
      "-A PREROUTING -m addrtype --dst-type LOCAL -j DOCKER",
      "-A OUTPUT ! -d 127.0.0.0/8 -m addrtype --dst-type LOCAL -j DOCKER",
      "-A POSTROUTING -s 172.17.0.0/16 ! -o docker0 -j MASQUERADE",
      "-A DOCKER -i bridge1 -j RETURN",
      "-A DOCKER -i docker0 -j RETURN",
    ]);
  });

  it("com.docker.network.host_ipv4: SNAT to that address instead of MASQUERADE", () => {
    const t = saved(
      "docker network create -o com.docker.network.host_ipv4=10.0.0.5 --subnet 192.0.2.0/24 snatnet",
      "snat",
    );
    expect(t.get("nat")).toContain("-A POSTROUTING -s 192.0.2.0/24 ! -o br-ID -j SNAT --to-source 10.0.0.5");
  });

  it("bad options get the driver's parse errors and create nothing; engine 27 refuses gateway modes", () => {
    const { lines } = runLines(
      [
        "dockerd --engine-version 29",
        "docker network create -o com.docker.network.bridge.gateway_mode_ipv4=bogus n1 || true",
        "docker network create -o com.docker.network.bridge.enable_icc=maybe n2 || true",
        "docker network create -o com.docker.network.driver.mtu=big n3 || true",
        "docker network create -o com.docker.network.host_ipv4=nowhere n4 || true",
        "docker network ls --format '{{.Name}}'",
      ].join("\n"),
      join(tmp, "gw-errors"),
    );
    expect(lines).toContain(
      "Error response from daemon: failed to parse com.docker.network.bridge.gateway_mode_ipv4 value: bogus (unknown gateway mode bogus)",
    );
    expect(lines).toContain(
      'Error response from daemon: failed to parse com.docker.network.bridge.enable_icc value: maybe (strconv.ParseBool: parsing "maybe": invalid syntax)',
    );
    expect(lines).toContain(
      'Error response from daemon: failed to parse com.docker.network.driver.mtu value: big (strconv.Atoi: parsing "big": invalid syntax)',
    );
    expect(lines).toContain(
      "Error response from daemon: failed to parse com.docker.network.host_ipv4 value: nowhere (nil ip)",
    );
    expect(lines.slice(lines.indexOf("$ docker network ls --format '{{.Name}}'") + 1)).toEqual([
      "bridge",
      "host",
      "none",
    ]);
    const v27 = runLines(
      "docker network create -o com.docker.network.bridge.gateway_mode_ipv4=routed n1 || true",
      join(tmp, "gw-27"),
    ).lines;
    expect(v27.at(-1)).toMatch(
      /^Error response from daemon: gateway modes are modelled with Docker 28's and 29's rules only/,
    );
  });
});

describe("Docker 28's releases and raw-table details", () => {
  const raw = (version: string, extra = "docker run -d -p 8080:80 nginx") =>
    saved(`dockerd --engine-version ${version}\n${extra}`, `v${version}-${extra.length}`);

  it("28.0–28.2 end DOCKER-USER with RETURN; 28.0–28.1 drop per published port in raw, 28.2+ per container", () => {
    const v281 = raw("28.1");
    const v282 = raw("28.2");
    const v283 = raw("28.3");
    expect(v281.get("filter")).toContain("-A DOCKER-USER -j RETURN");
    expect(v282.get("filter")).toContain("-A DOCKER-USER -j RETURN");
    expect(v283.get("filter")).not.toContain("-A DOCKER-USER -j RETURN");
    const rawRules = (t: Map<string, string>) =>
      (t.get("raw") ?? "").split("\n").filter((l) => l.startsWith("-A"));
    expect(rawRules(v281)).toEqual([
      "-A PREROUTING -d 172.17.0.2/32 ! -i docker0 -p tcp -m tcp --dport 80 -j DROP",
    ]);
    expect(rawRules(v282)).toEqual(["-A PREROUTING -d 172.17.0.2/32 ! -i docker0 -j DROP"]);
  });

  it("a port published on 127.0.0.1 gets moby's raw drop for other interfaces; trusted_host_interfaces are let in first", () => {
    const t = raw(
      "29",
      "docker network create -o com.docker.network.bridge.name=bridge1 -o com.docker.network.bridge.trusted_host_interfaces=eth9:wg0 --subnet 192.0.2.0/24 bridge1\ndocker run -d --network bridge1 -p 127.0.0.1:8080:80 --name c1 nginx",
    );
    expect((t.get("raw") ?? "").split("\n").filter((l) => l.startsWith("-A"))).toEqual([
      "-A PREROUTING -d 192.0.2.2/32 -i eth9 -j ACCEPT",
      "-A PREROUTING -d 192.0.2.2/32 -i wg0 -j ACCEPT",
      "-A PREROUTING -d 192.0.2.2/32 ! -i bridge1 -j DROP",
      "-A PREROUTING -d 127.0.0.1/32 ! -i lo -p tcp -m tcp --dport 8080 -j DROP",
    ]);
    expect(t.get("nat")).toContain(
      "-A DOCKER -d 127.0.0.1/32 ! -i bridge1 -p tcp -m tcp --dport 8080 -j DNAT --to-destination 192.0.2.2:80",
    );
  });

  it("removing a network with containers: 28.1+ names the endpoints, earlier releases give the id", () => {
    const rm = (version: string) =>
      runLines(
        `dockerd --engine-version ${version}\ndocker network create mynet\ndocker run -d --name c1 --network mynet alpine sleep infinity\ndocker network rm mynet || true`,
        join(tmp, `rm-${version}`),
      ).lines.at(-1) ?? "";
    expect(rm("28.0")).toMatch(
      /^Error response from daemon: error while removing network: network mynet id [0-9a-f]{64} has active endpoints$/,
    );
    expect(rm("28.1")).toMatch(
      /^Error response from daemon: error while removing network: network mynet has active endpoints \(name:"c1" id:"[0-9a-f]{12}"\)$/,
    );
    expect(runLines("dockerd --engine-version 28.6 || true", join(tmp, "v286")).lines).toContain(
      "--engine-version 28.6: dockwire models Docker Engine 27, 28.0–28.5 and 29",
    );
  });
});
