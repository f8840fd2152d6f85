/**
 * Fidelity of the `docker` CLI and daemon outputs that differ between engines 27, 28 and 29
 * (shared/spec/docker-networking.md §1.3, §1.4, §10; moby's daemon/network.go, api/types and
 * docker/cli's network commands for what the spec leaves out): network and container inspect
 * JSON per API version, `network create`'s client-side IPAM checks, `network ls` and
 * `network prune` filters, and the IPAM plugin protocol.
 */

import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, describe, expect, it } from "vitest";
import { runLines } from "../helpers/scenario.js";

const tmp = mkdtempSync(join(tmpdir(), "dockwire-fidelity-"));
afterAll(() => rmSync(tmp, { recursive: true, force: true }));
let n = 0;

/** Run the commands (each may fail) and return what each printed, by command. */
function run(commands: string[]): Map<string, string[]> {
  const { lines } = runLines(commands.map((c) => `${c} || true`).join("\n"), join(tmp, `r${n++}`));
  const out = new Map<string, string[]>();
  let current = "";
  for (const l of lines) {
    if (l.startsWith("$ ")) {
      current = l.slice(2).replace(/ \|\| true$/, "");
      out.set(current, []);
    } else if (!l.startsWith("dockwire: line ")) out.get(current)?.push(l);
  }
  return out;
}

/** The exit status of the last command, after the others (which may fail). */
function exitOf(commands: string[]): number {
  const last = commands.at(-1) as string;
  const script = [...commands.slice(0, -1).map((c) => `${c} || true`), last].join("\n");
  return runLines(script, join(tmp, `e${n++}`)).result.exit;
}

/** The one object of an inspect command's JSON array. */
function inspected(r: Map<string, string[]>, cmd: string): Record<string, unknown> {
  return JSON.parse((r.get(cmd) ?? []).join("\n"))[0];
}

describe("network inspect per engine (§10)", () => {
  const keys27 = [
    "Name",
    "Id",
    "Created",
    "Scope",
    "Driver",
    "EnableIPv6",
    "IPAM",
    "Internal",
    "Attachable",
    "Ingress",
    "ConfigFrom",
    "ConfigOnly",
    "Containers",
    "Options",
    "Labels",
  ];

  it("28 adds EnableIPv4 after Driver (true on every network, host and none too); 27 has none", () => {
    const r = run(["dockerd --engine-version 28", "docker network inspect bridge host"]);
    const nets = JSON.parse((r.get("docker network inspect bridge host") ?? []).join("\n"));
    expect(nets.map((x: object) => Object.keys(x))).toEqual([
      ["Name", "Id", "Created", "Scope", "Driver", "EnableIPv4", ...keys27.slice(5)],
      ["Name", "Id", "Created", "Scope", "Driver", "EnableIPv4", ...keys27.slice(5)],
    ]);
    expect(nets.map((x: { EnableIPv4: boolean }) => x.EnableIPv4)).toEqual([true, true]);
    const r27 = run(["docker network inspect bridge"]);
    expect(Object.keys(inspected(r27, "docker network inspect bridge"))).toEqual(keys27);
  });

  it("IPAM.Config is null without a pool (host, none: a nil slice since 25); EnableIPv4/IPv6 follow --ipv4/--ipv6, in ls too", () => {
    const r27 = run(["docker network inspect -f '{{json .IPAM.Config}}' host none"]);
    expect(r27.get("docker network inspect -f '{{json .IPAM.Config}}' host none")).toEqual(["null", "null"]);
    const r = run([
      "dockerd --engine-version 28",
      "docker network create --ipv6 --ipv4=false v6only",
      "docker network create --ipv6 dual",
      "docker network inspect -f '{{.Name}} {{.EnableIPv4}} {{.EnableIPv6}}' v6only dual bridge none",
      "docker network ls --format '{{.Name}} {{.IPv4}} {{.IPv6}}'",
    ]);
    expect(
      r.get("docker network inspect -f '{{.Name}} {{.EnableIPv4}} {{.EnableIPv6}}' v6only dual bridge none"),
    ).toEqual(["v6only false true", "dual true true", "bridge true false", "none true false"]);
    expect(r.get("docker network ls --format '{{.Name}} {{.IPv4}} {{.IPv6}}'")).toEqual([
      "bridge true false",
      "dual true true",
      "host true false",
      "none true false",
      "v6only false true",
    ]);
  });

  it("29: Options and Labels before Containers, then the spec's Status block (the default bridge with one container)", () => {
    const r = run([
      "dockerd --engine-version 29",
      "docker run -d --name web nginx",
      "docker network inspect bridge",
      "docker network inspect host",
    ]);
    const bridge = inspected(r, "docker network inspect bridge");
    expect(Object.keys(bridge)).toEqual([
      "Name",
      "Id",
      "Created",
      "Scope",
      "Driver",
      "EnableIPv4",
      "EnableIPv6",
      "IPAM",
      "Internal",
      "Attachable",
      "Ingress",
      "ConfigFrom",
      "ConfigOnly",
      "Options",
      "Labels",
      "Containers",
      "Status",
    ]);
    expect(bridge.Status).toEqual({
      IPAM: { Subnets: { "172.17.0.0/16": { IPsInUse: 4, DynamicIPsAvailable: 65532 } } },
    });
    // The text as the CLI indents it: Status is the last field.
    expect((r.get("docker network inspect bridge") ?? []).slice(-13)).toEqual([
      "        },",
      '        "Status": {',
      '            "IPAM": {',
      '                "Subnets": {',
      '                    "172.17.0.0/16": {',
      '                        "IPsInUse": 4,',
      '                        "DynamicIPsAvailable": 65532',
      "                    }",
      "                }",
      "            }",
      "        }",
      "    }",
      "]",
    ]);
    // The host and null drivers assign no addresses: an empty IPAM status.
    expect(inspected(r, "docker network inspect host").Status).toEqual({ IPAM: {} });
  });

  it("29: an IPv6 subnet's status in full (2^64 - 3 left in a /64), the allocated gateways filled in", () => {
    const r = run([
      "dockerd --engine-version 29",
      "docker network create --ipv6 --subnet 10.5.0.0/24 --subnet fd00:1::/64 v6",
      "docker run -d --name c --network v6 alpine sleep infinity",
      "docker network inspect -f '{{json .IPAM.Config}}' v6",
      "docker network inspect v6",
    ]);
    expect(r.get("docker network inspect -f '{{json .IPAM.Config}}' v6")).toEqual([
      '[{"Subnet":"10.5.0.0/24","Gateway":"10.5.0.1"},{"Subnet":"fd00:1::/64","Gateway":"fd00:1::1"}]',
    ]);
    const text = (r.get("docker network inspect v6") ?? []).join("\n");
    expect(text).toContain(
      [
        '                    "fd00:1::/64": {',
        '                        "IPsInUse": 3,',
        '                        "DynamicIPsAvailable": 18446744073709551613',
        "                    }",
      ].join("\n"),
    );
    // 27 echoes the user's configuration: no gateway that was not asked for.
    const r27 = run([
      "docker network create --ipv6 --subnet 10.5.0.0/24 --subnet fd00:1::/64 v6",
      "docker network inspect -f '{{json .IPAM.Config}}' v6",
    ]);
    expect(r27.get("docker network inspect -f '{{json .IPAM.Config}}' v6")).toEqual([
      '[{"Subnet":"10.5.0.0/24"},{"Subnet":"fd00:1::/64"}]',
    ]);
  });

  it("29: a configuration-only network lists no allocated pool (Config null); 28 echoes its request", () => {
    const script = [
      "docker network create --config-only --subnet 192.168.7.0/24 conf",
      "docker network inspect -f '{{json .IPAM.Config}} {{json .Status}}' conf",
    ];
    expect(run(["dockerd --engine-version 29", ...script]).get(script[1] as string)).toEqual([
      'null {"IPAM":{}}',
    ]);
    expect(
      run([
        "dockerd --engine-version 28",
        ...script.slice(0, 1),
        "docker network inspect -f '{{json .IPAM.Config}}' conf",
      ]).get("docker network inspect -f '{{json .IPAM.Config}}' conf"),
    ).toEqual(['[{"Subnet":"192.168.7.0/24"}]']);
  });
});

describe("container inspect per engine", () => {
  it("an endpoint on an internal network has no Gateway (bridge Join sets none), on 27 as on 29", () => {
    for (const engine of [[], ["dockerd --engine-version 29"]]) {
      const r = run([
        ...engine,
        "docker network create --internal iso",
        "docker run -d --name c --network iso alpine sleep infinity",
        "docker inspect -f '{{.NetworkSettings.Networks.iso.Gateway}}|{{.NetworkSettings.Networks.iso.IPAddress}}' c",
      ]);
      expect(
        r.get(
          "docker inspect -f '{{.NetworkSettings.Networks.iso.Gateway}}|{{.NetworkSettings.Networks.iso.IPAddress}}' c",
        ),
      ).toEqual(["|172.18.0.2"]);
    }
  });

  it("29 (API 1.52): NetworkSettings without the deprecated fields, MacAddress after IPAddress, no empty OnBuild", () => {
    const r = run(["dockerd --engine-version 29", "docker run -d --name web nginx", "docker inspect web"]);
    const web = inspected(r, "docker inspect web") as {
      NetworkSettings: { Networks: { bridge: object } };
      Config: object;
    };
    expect(Object.keys(web.NetworkSettings)).toEqual(["SandboxID", "SandboxKey", "Ports", "Networks"]);
    expect(Object.keys(web.NetworkSettings.Networks.bridge)).toEqual([
      "IPAMConfig",
      "Links",
      "Aliases",
      "DriverOpts",
      "GwPriority",
      "NetworkID",
      "EndpointID",
      "Gateway",
      "IPAddress",
      "MacAddress",
      "IPPrefixLen",
      "IPv6Gateway",
      "GlobalIPv6Address",
      "GlobalIPv6PrefixLen",
      "DNSNames",
    ]);
    expect(Object.keys(web.Config)).not.toContain("OnBuild");
    // 28 keeps 27's shape, with GwPriority after DriverOpts.
    const r28 = run(["dockerd --engine-version 28", "docker run -d --name web nginx", "docker inspect web"]);
    const web28 = inspected(r28, "docker inspect web") as {
      NetworkSettings: { Networks: { bridge: object } };
      Config: { OnBuild: unknown };
    };
    expect(Object.keys(web28.NetworkSettings)).toEqual([
      "Bridge",
      "SandboxID",
      "SandboxKey",
      "Ports",
      "HairpinMode",
      "LinkLocalIPv6Address",
      "LinkLocalIPv6PrefixLen",
      "SecondaryIPAddresses",
      "SecondaryIPv6Addresses",
      "EndpointID",
      "Gateway",
      "GlobalIPv6Address",
      "GlobalIPv6PrefixLen",
      "IPAddress",
      "IPPrefixLen",
      "IPv6Gateway",
      "MacAddress",
      "Networks",
    ]);
    expect(Object.keys(web28.NetworkSettings.Networks.bridge).slice(3, 6)).toEqual([
      "MacAddress",
      "DriverOpts",
      "GwPriority",
    ]);
    expect(web28.Config.OnBuild).toBeNull();
  });
});
