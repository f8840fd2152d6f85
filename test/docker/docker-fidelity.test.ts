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
import type { NetworkDriverPlugin } from "../../src/docker/remote-driver.js";
import { runScenario } from "../../src/scenario/runner.js";
import { outputsByCommand, runLines } from "../helpers/scenario.js";

const tmp = mkdtempSync(join(tmpdir(), "dockwire-fidelity-"));
afterAll(() => rmSync(tmp, { recursive: true, force: true }));
let n = 0;

/** Run the commands (each may fail) and return what each printed, by command. */
function run(commands: string[]): Map<string, string[]> {
  return outputsByCommand(commands, join(tmp, `r${n++}`));
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

describe("docker inspect looks through every kind of object (system/inspect.go inspectAll)", () => {
  it("containers, then networks; --type keeps to one kind and its own error; a bad --type", () => {
    const r = run([
      "docker network create mynet",
      "docker run -d --name web nginx",
      "docker inspect -f '{{.Name}}' mynet web bridge",
      "docker inspect --type network -f '{{.Name}}' web",
      "docker inspect --type container -f '{{.Name}}' mynet",
      "docker inspect --type foo mynet",
      "docker inspect nope",
    ]);
    expect(r.get("docker inspect -f '{{.Name}}' mynet web bridge")).toEqual(["mynet", "/web", "bridge"]);
    expect(r.get("docker inspect --type network -f '{{.Name}}' web")).toEqual([
      "",
      "Error response from daemon: network web not found",
    ]);
    expect(r.get("docker inspect --type container -f '{{.Name}}' mynet")).toEqual([
      "",
      "Error response from daemon: No such container: mynet",
    ]);
    expect(r.get("docker inspect --type foo mynet")).toEqual(['"foo" is not a valid value for --type']);
    expect(r.get("docker inspect nope")).toEqual(["[]", "Error: No such object: nope"]);
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

describe("network create: the CLI's IPAM checks (§1.4), before any request", () => {
  const cases = (v: number) => [
    `dockerd --engine-version ${v}`,
    "docker network create --subnet 192.168.5.0/24 --gateway 10.9.9.1 a",
    "docker network create --subnet 10.5.0.0/24 --ip-range 10.6.0.0/24 b",
    "docker network create --subnet 10.5.0.0/24 --aux-address r=10.6.0.2 c",
    "docker network create --aux-address r=10.6.0.2 d",
    "docker network create --subnet 10.5.0.0/24 --subnet 10.0.0.0/33 e",
    "docker network create --subnet 10.0.0.0/33 --subnet 10.5.0.0/24 f",
    "docker network create --subnet 10.0.0.0/33 --gateway 10.0.0.1 g",
    "docker network create --subnet 10.1.0.0/16,10.1.2.0/24 h",
    "docker network create --subnet 10.5.0.0/24 --gateway 10.5.0.1 --gateway 10.5.0.2 --subnet 10.6.0.0/24 i",
    "docker network ls --format '{{.Name}}'",
  ];

  it("27: a single --subnet is matched too (no matching subnet for ...), subnetMatches' CIDR errors, comma lists", () => {
    const r = run(cases(27));
    const c = cases(27);
    expect(c.slice(1, 10).map((cmd) => r.get(cmd))).toEqual([
      ["no matching subnet for gateway 10.9.9.1"],
      ["no matching subnet for range 10.6.0.0/24"],
      ["no matching subnet for aux-address 10.6.0.2"],
      ["no matching subnet for aux-address 10.6.0.2"],
      ["invalid subnet: invalid CIDR address: 10.0.0.0/33"],
      // The first subnet is parsed only as the second one's data: net.ParseCIDR's own error.
      ["invalid CIDR address: 10.0.0.0/33"],
      ["invalid subnet: invalid CIDR address: 10.0.0.0/33"],
      ["multiple overlapping subnet configuration is not supported"],
      ["cannot configure multiple gateways (10.5.0.2, 10.5.0.1) for the same subnet (10.5.0.0/24)"],
    ]);
    expect(r.get("docker network ls --format '{{.Name}}'")).toEqual(["bridge", "host", "none"]);
    expect(exitOf(["docker network create --subnet 192.168.5.0/24 --gateway 10.9.9.1 a"])).toBe(1);
    // The arguments are counted before the IPAM flags are looked at.
    expect(
      run(["docker network create --subnet 10.0.0.0/33 --gateway 10.0.0.1"]).get(
        "docker network create --subnet 10.0.0.0/33 --gateway 10.0.0.1",
      )?.[0],
    ).toBe('"docker network create" requires exactly 1 argument.');
  });

  it("29: netip.ParsePrefix for the first subnet, pflag's IP and CIDR flags (exit 125), ranges masked", () => {
    const r = run([
      ...cases(29),
      "docker network create --subnet 10.5.0.0/24 --gateway nope k",
      "docker network create --subnet 10.5.0.0/24 --ip-range 10.5.0.7 l",
      "docker network create --subnet 10.5.0.0/24 --aux-address r=10.5.0.256 m",
      "docker network create --subnet 10.8.0.0/16 --ip-range 10.8.10.0/16 o",
      "docker network inspect -f '{{json .IPAM.Config}}' o",
    ]);
    expect(r.get("docker network create --subnet 10.0.0.0/33 --subnet 10.5.0.0/24 f")).toEqual([
      'netip.ParsePrefix("10.0.0.0/33"): prefix length out of range',
    ]);
    expect(r.get("docker network create --subnet 10.5.0.0/24 --subnet 10.0.0.0/33 e")).toEqual([
      "invalid subnet: invalid CIDR address: 10.0.0.0/33",
    ]);
    expect(r.get("docker network create --subnet 10.5.0.0/24 --gateway nope k")).toEqual([
      'invalid argument "nope" for "--gateway" flag: invalid string being converted to IP address: nope',
      "See 'docker network create --help'.",
    ]);
    expect(r.get("docker network create --subnet 10.5.0.0/24 --ip-range 10.5.0.7 l")).toEqual([
      'invalid argument "10.5.0.7" for "--ip-range" flag: invalid string being converted to CIDR: 10.5.0.7',
      "See 'docker network create --help'.",
    ]);
    expect(r.get("docker network create --subnet 10.5.0.0/24 --aux-address r=10.5.0.256 m")).toEqual([
      'ParseAddr("10.5.0.256"): IPv4 field has value >255',
    ]);
    // pflag's IPNet keeps the network: the daemon never sees the host bits.
    expect(r.get("docker network inspect -f '{{json .IPAM.Config}}' o")).toEqual([
      '[{"Subnet":"10.8.0.0/16","IPRange":"10.8.0.0/16","Gateway":"10.8.0.1"}]',
    ]);
    expect(
      exitOf(["dockerd --engine-version 29", "docker network create --subnet 10.5.0.0/24 --gateway nope k"]),
    ).toBe(125);
  });

  it("28: each ip-range is parsed as a CIDR first; --ipv4 and the other booleans take =value as pflag's ParseBool", () => {
    const r = run([
      "dockerd --engine-version 28",
      "docker network create --subnet 10.5.0.0/24 --ip-range 10.5.0.7 j",
      "docker network create --internal=nope m",
      "docker network create --ipv6=false --subnet fd00:9::/64 --internal=0 n",
      "docker network inspect -f '{{.EnableIPv6}} {{.Internal}} {{json .IPAM.Config}}' n",
    ]);
    expect(r.get("docker network create --subnet 10.5.0.0/24 --ip-range 10.5.0.7 j")).toEqual([
      "invalid CIDR address: 10.5.0.7",
    ]);
    expect(r.get("docker network create --internal=nope m")).toEqual([
      'invalid argument "nope" for "--internal" flag: strconv.ParseBool: parsing "nope": invalid syntax',
      "See 'docker network create --help'.",
    ]);
    // --ipv6=false: the IPv6 subnet is checked by the CLI, then left out by the daemon.
    expect(
      r.get("docker network inspect -f '{{.EnableIPv6}} {{.Internal}} {{json .IPAM.Config}}' n"),
    ).toEqual(['false false [{"Subnet":"172.18.0.0/16","Gateway":"172.18.0.1"}]']);
  });
});

describe("network ls filters (§1.3) as the daemon's filter.go has them", () => {
  it("natural sort, name/id as regular expressions, labels all required, dangling and type checked", () => {
    const r = run([
      "docker network create --label a=1 --label b=2 net10",
      "docker network create --label a=1 net2",
      "docker network create --label k=v=w net1",
      "docker network ls --format '{{.Name}}'",
      "docker network ls -f name=^net1 --format '{{.Name}}'",
      // A piece from the middle of net2's id (ids are the same for the same seed and commands).
      "docker network ls -f id=ddf538d57654 --format '{{.Name}}'",
      "docker network ls -f label=a -f label=b=2 --format '{{.Name}}'",
      "docker network ls -f label=k=v=w --format '{{.Name}}'",
      "docker network ls -f dangling=false --format '{{.Name}}'",
      "docker network ls -f dangling=maybe",
      "docker network ls -f dangling=true -f dangling=false",
      "docker network ls -f type=foo",
      "docker network ls -f foo",
    ]);
    expect(r.get("docker network ls --format '{{.Name}}'")).toEqual([
      "bridge",
      "host",
      "net1",
      "net2",
      "net10",
      "none",
    ]);
    expect(r.get("docker network ls -f name=^net1 --format '{{.Name}}'")).toEqual(["net1", "net10"]);
    expect(r.get("docker network ls -f id=ddf538d57654 --format '{{.Name}}'")).toEqual(["net2"]);
    expect(r.get("docker network ls -f label=a -f label=b=2 --format '{{.Name}}'")).toEqual(["net10"]);
    expect(r.get("docker network ls -f label=k=v=w --format '{{.Name}}'")).toEqual(["net1"]);
    expect(r.get("docker network ls -f dangling=false --format '{{.Name}}'")).toEqual([
      "bridge",
      "host",
      "none",
    ]);
    expect(r.get("docker network ls -f dangling=maybe")).toEqual([
      `Error response from daemon: invalid value for filter 'dangling', must be "true" (or "1"), or "false" (or "0")`,
    ]);
    expect(r.get("docker network ls -f dangling=true -f dangling=false")).toEqual([
      `Error response from daemon: got more than one value for filter key "dangling"`,
    ]);
    expect(r.get("docker network ls -f type=foo")).toEqual([
      "Error response from daemon: invalid filter: 'type'='foo'",
    ]);
    expect(r.get("docker network ls -f foo")).toEqual([
      'invalid argument "foo" for "-f, --filter" flag: bad format of filter (expected name=value)',
      "See 'docker network ls --help'.",
    ]);
    expect(exitOf(["docker network ls -f foo"])).toBe(125);
  });
});

describe("network prune filters (daemon/prune.go)", () => {
  it("until in whole seconds, created at it still goes; label all, label! leaves out only what matches all; one until", () => {
    const r = run([
      "docker network create --label a=1 --label b=2 net10",
      "docker network create --label a=1 net2",
      "docker network create --label k=v=w net1",
      "sleep 0.5",
      "docker network create late",
      "sleep 5.2",
      // now - 5s = 0.7 s, Unix seconds: 0; the networks made at 0 go, late (0.5 s) stays.
      "docker network prune -f --filter until=5s --filter label!=a=1 --filter label!=b",
      "docker network prune -f --filter until=1s --filter until=2s",
      "docker network prune -f --filter foo",
      "docker network prune -f --filter label=a --filter label=b",
      "docker network ls --format '{{.Name}}'",
    ]);
    expect(r.get("docker network prune -f --filter until=5s --filter label!=a=1 --filter label!=b")).toEqual([
      "Deleted Networks:",
      "net1",
      "net2",
      "",
    ]);
    expect(r.get("docker network prune -f --filter until=1s --filter until=2s")).toEqual([
      "Error response from daemon: more than one until filter specified",
    ]);
    expect(r.get("docker network prune -f --filter foo")).toEqual([
      'invalid argument "foo" for "--filter" flag: bad format of filter (expected name=value)',
      "See 'docker network prune --help'.",
    ]);
    expect(r.get("docker network prune -f --filter label=a --filter label=b")).toEqual([
      "Deleted Networks:",
      "net10",
      "",
    ]);
    expect(r.get("docker network ls --format '{{.Name}}'")).toEqual(["bridge", "host", "late", "none"]);
  });

  it("without -f: the prompt, then nothing (no answer cancels); the filters are the daemon's, so not checked", () => {
    const r = run([
      "docker network create a",
      "docker network prune --filter color=red",
      "docker network ls -q",
    ]);
    expect(r.get("docker network prune --filter color=red")).toEqual([
      "WARNING! This will remove all custom networks not used by at least one container.",
      "Are you sure you want to continue? [y/N] ",
    ]);
    expect(r.get("docker network ls -q")).toHaveLength(4);
  });
});

describe("IPAM plugins: the remote allocator's requests, replies and errors (§9)", () => {
  /** Run with an IPAM plugin `lab` (each command may fail); what the commands printed. */
  function withPlugin(plugin: NetworkDriverPlugin, commands: string[]): string[] {
    const lines: string[] = [];
    runScenario(commands.map((c) => `${c} || true`).join("\n"), {
      seed: 1,
      outDir: join(tmp, `p${n++}`),
      pcapng: false,
      application: "test",
      print: (l) => lines.push(l),
      plugins: { lab: plugin },
    });
    return lines.filter((l) => !l.startsWith("dockwire: line "));
  }

  it("replies' Error is `remote: ...`, an SDK's Err the plugin client's `IpamDriver.<Method>: ...`; Go's parse errors; cleanup as Docker's", () => {
    const log: string[] = [];
    const plugin: NetworkDriverPlugin = {
      implements: ["IpamDriver"],
      call(method, req) {
        log.push(`${method} ${JSON.stringify(req)}`);
        const mode = ((req.Options ?? {}) as Record<string, string>).mode;
        switch (method) {
          // Registration goes on without capabilities.
          case "GetCapabilities":
            return { Error: "not supported" };
          case "GetDefaultAddressSpaces":
            return mode === undefined && log.length > 40
              ? { Error: "gone" }
              : { LocalDefaultAddressSpace: "L" };
          case "RequestPool":
            if (mode === "err") return { Err: "boom" };
            if (mode === "error") return { Error: "no pool" };
            if (mode === "datagw")
              return {
                PoolID: "p1",
                Pool: "10.60.0.0/24",
                Data: { "com.docker.network.gateway": "10.60.0.254/24" },
              };
            if (mode === "badgw")
              return { PoolID: "p2", Pool: "10.61.0.0/24", Data: { "com.docker.network.gateway": "junk" } };
            if (mode === "badpool") return { PoolID: "p3", Pool: "10.62.0.0" };
            return { PoolID: `p/${req.Pool}`, Pool: req.Pool };
          case "RequestAddress":
            if (req.Address === "10.63.0.5") return { Error: "taken" };
            return { Address: `${req.Address || "10.63.0.1"}/24` };
          case "ReleasePool":
            return { Error: "cannot" };
          default:
            return {};
        }
      },
    };
    const lines = withPlugin(plugin, [
      "docker network create --ipam-driver lab --ipam-opt mode=err n1",
      "docker network create --ipam-driver lab --ipam-opt mode=error n1",
      "docker network create --ipam-driver lab --ipam-opt mode=datagw n2",
      "docker network inspect -f '{{json .IPAM.Config}}' n2",
      "docker network create --ipam-driver lab --ipam-opt mode=badgw n3",
      "docker network create --ipam-driver lab --ipam-opt mode=badpool n4",
      "docker network create --ipam-driver lab --subnet 10.63.0.0/24 --aux-address r=10.63.0.5 n5",
      "docker network rm n2",
      "docker network ls --format '{{.Name}}'",
    ]);
    expect(lines).toEqual([
      "$ docker network create --ipam-driver lab --ipam-opt mode=err n1 || true",
      "Error response from daemon: IpamDriver.RequestPool: boom",
      "$ docker network create --ipam-driver lab --ipam-opt mode=error n1 || true",
      "Error response from daemon: remote: no pool",
      "$ docker network create --ipam-driver lab --ipam-opt mode=datagw n2 || true",
      expect.stringMatching(/^[0-9a-f]{64}$/),
      "$ docker network inspect -f '{{json .IPAM.Config}}' n2 || true",
      '[{"Subnet":"10.60.0.0/24","Gateway":"10.60.0.254"}]',
      "$ docker network create --ipam-driver lab --ipam-opt mode=badgw n3 || true",
      "Error response from daemon: failed to parse gateway address (junk) returned by ipam driver: invalid CIDR address: junk",
      "$ docker network create --ipam-driver lab --ipam-opt mode=badpool n4 || true",
      `Error response from daemon: netip.ParsePrefix("10.62.0.0"): no '/'`,
      "$ docker network create --ipam-driver lab --subnet 10.63.0.0/24 --aux-address r=10.63.0.5 n5 || true",
      "Error response from daemon: failed to allocate secondary ip address (r:10.63.0.5): remote: taken",
      // The plugin's failure to release is only logged.
      "$ docker network rm n2 || true",
      "n2",
      "$ docker network ls --format '{{.Name}}' || true",
      "bridge",
      "host",
      "none",
    ]);
    const following = (prefix: string) => log.slice(log.findIndex((l) => l.startsWith(prefix)) + 1);
    // The pool the plugin named a gateway for: no gateway request.
    expect(
      following('RequestPool {"AddressSpace":"L","Pool":"","SubPool":"","Options":{"mode":"datagw"}')[0],
    ).toBe("GetDefaultAddressSpaces {}");
    // A bad gateway in Data: the pool released; a bad pool: nothing to release.
    expect(
      following('RequestPool {"AddressSpace":"L","Pool":"","SubPool":"","Options":{"mode":"badgw"}')[0],
    ).toBe('ReleasePool {"PoolID":"p2"}');
    expect(
      following('RequestPool {"AddressSpace":"L","Pool":"","SubPool":"","Options":{"mode":"badpool"}')[0],
    ).toBe("GetDefaultAddressSpaces {}");
    // A refused aux address: only the pool goes back (the gateway with it, by the plugin).
    expect(
      following('RequestAddress {"PoolID":"p/10.63.0.0/24","Address":"10.63.0.5","Options":null}'),
    ).toEqual([
      'ReleasePool {"PoolID":"p/10.63.0.0/24"}',
      'ReleaseAddress {"PoolID":"p1","Address":"10.60.0.254"}',
      'ReleasePool {"PoolID":"p1"}',
    ]);
  });

  it("a pool the plugin picks is held back when the host routes it or names a nameserver in it, not for a macvlan network's subnet", () => {
    const log: string[] = [];
    const pools = ["10.77.1.0/24", "10.77.3.0/24", "10.77.2.0/24"];
    const plugin: NetworkDriverPlugin = {
      implements: ["IpamDriver"],
      call(method, req, { ns }) {
        log.push(`${method} ${JSON.stringify(req)}`);
        switch (method) {
          case "GetCapabilities":
            // (The test's way to give the docker host a nameserver.)
            ns.files.set("/etc/resolv.conf", "nameserver 10.77.3.53\n");
            return {};
          case "GetDefaultAddressSpaces":
            return { LocalDefaultAddressSpace: "L" };
          case "RequestPool": {
            const pool = (req.Pool as string) || (pools.shift() as string);
            return { PoolID: pool, Pool: pool };
          }
          case "RequestAddress":
            return { Address: `${(req.PoolID as string).replace(/0\/24$/, "1")}/24` };
          default:
            return {};
        }
      },
    };
    const lines = withPlugin(plugin, [
      "ip link add eth0 type dummy",
      "ip addr add 10.77.1.1/24 dev eth0",
      "ip link set eth0 up",
      "docker network create -d macvlan -o parent=eth0 --subnet 10.77.2.0/24 mv",
      "docker network create --ipam-driver lab n",
      "docker network inspect -f '{{json .IPAM.Config}}' n",
    ]);
    expect(lines.at(-1)).toBe('[{"Subnet":"10.77.2.0/24","Gateway":"10.77.2.1"}]');
    expect(log.filter((l) => /^(RequestPool|ReleasePool)/.test(l))).toEqual([
      'RequestPool {"AddressSpace":"L","Pool":"","SubPool":"","Options":{},"V6":false}',
      'RequestPool {"AddressSpace":"L","Pool":"","SubPool":"","Options":{},"V6":false}',
      'RequestPool {"AddressSpace":"L","Pool":"","SubPool":"","Options":{},"V6":false}',
      'ReleasePool {"PoolID":"10.77.1.0/24"}',
      'ReleasePool {"PoolID":"10.77.3.0/24"}',
    ]);
  });

  it("a failed GetDefaultAddressSpaces is deriveAddressSpace's error", () => {
    const plugin: NetworkDriverPlugin = {
      implements: ["IpamDriver"],
      call: (method) => (method === "GetDefaultAddressSpaces" ? { Error: "gone" } : {}),
    };
    expect(withPlugin(plugin, ["docker network create --ipam-driver lab n"])).toEqual([
      "$ docker network create --ipam-driver lab n || true",
      "Error response from daemon: failed to get default address space: remote: gone",
    ]);
  });
});

describe("--config-only / --config-from (libnetwork validateConfiguration, applyConfigurationTo)", () => {
  const err = (v: string) =>
    `Error response from daemon: ${v} configurations are not supported if the network depends on a configuration network`;

  it("a configuration network keeps --ipv6 and its IPv6 subnet; a network made from it inherits both", () => {
    const r = run([
      "docker network create --config-only --ipv6 --subnet 192.168.50.0/24 --subnet fd00:50::/64 conf6",
      "docker network inspect -f '{{.EnableIPv6}} {{json .IPAM.Config}}' conf6",
      "docker network create --config-from conf6 n6",
      "docker network inspect -f '{{.EnableIPv6}} {{json .IPAM.Config}}' n6",
      "docker run -d --name c --network n6 alpine sleep 100",
      "docker inspect -f '{{range .NetworkSettings.Networks}}{{.IPAddress}} {{.GlobalIPv6Address}}{{end}}' c",
    ]);
    expect(r.get("docker network inspect -f '{{.EnableIPv6}} {{json .IPAM.Config}}' conf6")).toEqual([
      'true [{"Subnet":"192.168.50.0/24"},{"Subnet":"fd00:50::/64"}]',
    ]);
    expect(r.get("docker network inspect -f '{{.EnableIPv6}} {{json .IPAM.Config}}' n6")).toEqual([
      'true [{"Subnet":"192.168.50.0/24"},{"Subnet":"fd00:50::/64"}]',
    ]);
    expect(
      r.get(
        "docker inspect -f '{{range .NetworkSettings.Networks}}{{.IPAddress}} {{.GlobalIPv6Address}}{{end}}' c",
      ),
    ).toEqual(["192.168.50.2 fd00:50::2"]);
  });

  it("--ipv6, a non-default --ipam-driver (and 28's --ipv4=false) with --config-from are refused, in each version's words", () => {
    const r27 = run([
      "docker network create --config-only --subnet 192.168.60.0/24 conf",
      "docker network create --config-from conf --ipv6 a",
      "docker network create --config-from conf --ipam-driver other b",
    ]);
    expect(r27.get("docker network create --config-from conf --ipv6 a")).toEqual([err("user specified")]);
    expect(r27.get("docker network create --config-from conf --ipam-driver other b")).toEqual([
      err("user specified"),
    ]);
    const r28 = run([
      "dockerd --engine-version 28",
      "docker network create --config-only --subnet 192.168.60.0/24 conf",
      "docker network create --config-from conf --ipv4=false c",
      // validateConfiguration runs before the advertise options are looked at.
      "docker network create --config-from conf -o com.docker.network.advertise_addr_nmsgs=9 d",
    ]);
    expect(r28.get("docker network create --config-from conf --ipv4=false c")).toEqual([
      err("user specified"),
    ]);
    expect(
      r28.get("docker network create --config-from conf -o com.docker.network.advertise_addr_nmsgs=9 d"),
    ).toEqual([
      "Error response from daemon: network driver options are not supported if the network depends on a configuration network",
    ]);
    const r29 = run([
      "dockerd --engine-version 29",
      "docker network create --config-only --subnet 192.168.60.0/24 conf",
      "docker network create --config-from conf --ipv6 a",
    ]);
    expect(r29.get("docker network create --config-from conf --ipv6 a")).toEqual([err("user-specified")]);
  });
});

describe("built-in IPAM: reserved prefixes (§2.2)", () => {
  it("a predefined subnet holding one of the host's resolv.conf nameservers is skipped, as an on-link route is", () => {
    const r = run([
      "echo nameserver 172.18.0.53 > /etc/resolv.conf",
      "ip link add dummy0 type dummy",
      "ip addr add 172.19.5.1/24 dev dummy0",
      "ip link set dummy0 up",
      "docker network create a",
      "docker network inspect -f '{{json .IPAM.Config}}' a",
    ]);
    expect(r.get("docker network inspect -f '{{json .IPAM.Config}}' a")).toEqual([
      '[{"Subnet":"172.20.0.0/16","Gateway":"172.20.0.1"}]',
    ]);
  });
});

describe("flag errors (docker/cli's FlagErrorFunc)", () => {
  it("a bad flag on any command prints pflag's error and exits 125", () => {
    expect(exitOf(["docker rm --bogus x"])).toBe(125);
    expect(exitOf(["docker network rm --bogus x"])).toBe(125);
    expect(exitOf(["docker stop --bogus x"])).toBe(125);
    // A daemon error is still 1.
    expect(exitOf(["docker rm nosuch"])).toBe(1);
    // network rm -f skips a network that is not there.
    expect(exitOf(["docker network rm -f nosuch"])).toBe(0);
    const r = run(["docker network create a", "docker network rm -f nosuch a"]);
    expect(r.get("docker network rm -f nosuch a")).toEqual(["a"]);
  });
});
