/**
 * IPAM plugins (src/docker/remote-ipam.ts): `--ipam-driver NAME` sends the plugin protocol's
 * requests in libnetwork's order with its bodies; the network, its gateway and its containers get
 * the addresses the plugin hands out; everything is given back when they go; a pool the plugin
 * picks that overlaps a network the host routes (a bridge network's subnet) is held and another
 * asked for; a reply's Error is Docker's `remote:` error and leaves nothing behind.
 */

import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, describe, expect, it } from "vitest";
import type { NetworkDriverPlugin } from "../../src/docker/remote-driver.js";
import { runScenario } from "../../src/scenario/runner.js";

const tmp = mkdtempSync(join(tmpdir(), "dockwire-remote-ipam-"));
afterAll(() => rmSync(tmp, { recursive: true, force: true }));

/** A plugin handing out 172.18.0.0/24 (overlapping the first user bridge) then 10.77.N.0/24, addresses from .10 up. */
function ipamPlugin(log: string[]): NetworkDriverPlugin {
  const pools = ["172.18.0.0/24", "10.77.1.0/24", "10.77.2.0/24"];
  let nextPool = 0;
  const next = new Map<string, number>();
  return {
    implements: ["IpamDriver"],
    call(method, req) {
      log.push(`${method} ${JSON.stringify(req)}`);
      switch (method) {
        case "GetCapabilities":
          return { RequiresMACAddress: false };
        case "GetDefaultAddressSpaces":
          return { LocalDefaultAddressSpace: "lab-local", GlobalDefaultAddressSpace: "lab-global" };
        case "RequestPool": {
          if ((req.Options as Record<string, string>).fail) return { Error: "no pool for you" };
          const pool = (req.Pool as string) || (pools[nextPool++] as string);
          next.set(pool, 10);
          return { PoolID: `lab/${pool}`, Pool: pool, Data: {} };
        }
        case "RequestAddress": {
          const pool = (req.PoolID as string).slice(4);
          const prefix = pool.split(".").slice(0, 3).join(".");
          if (req.Address) return { Address: `${req.Address}/24` };
          if (
            (req.Options as Record<string, string> | null)?.RequestAddressType ===
            "com.docker.network.gateway"
          )
            return { Address: `${prefix}.254/24` };
          const n = next.get(pool) ?? 10;
          next.set(pool, n + 1);
          return { Address: `${prefix}.${n}/24` };
        }
        default:
          return {};
      }
    },
  };
}

describe("IPAM plugins", () => {
  it("allocate the pool, gateway and addresses through the protocol, avoid taken subnets, release everything", () => {
    const log: string[] = [];
    const lines: string[] = [];
    runScenario(
      `
docker network create mynet
docker network create --ipam-driver lab-ipam --ipam-opt zone=a labnet
docker run -d --name a --network labnet alpine sleep infinity
docker run -d --name b --network labnet alpine sleep infinity
docker exec a ip -br addr show eth0
docker exec a ip route
docker exec a ping -c 1 10.77.1.11
docker network create --ipam-driver lab-ipam --subnet 10.77.9.0/24 --gateway 10.77.9.1 fixed
docker run -d --name c --network fixed --ip 10.77.9.50 alpine sleep infinity
docker exec c ip -br addr show eth0
docker network inspect -f '{{.IPAM.Driver}} {{json .IPAM.Config}} {{json .IPAM.Options}}' labnet
docker rm -f a b
docker network rm labnet
docker network create --ipam-driver lab-ipam --ipam-opt fail=1 bad || true
docker network create --ipam-driver nosuch x || true
docker network ls --format '{{.Name}}'
`,
      {
        seed: 1,
        outDir: tmp,
        pcapng: false,
        application: "test",
        print: (l) => lines.push(l),
        plugins: { "lab-ipam": ipamPlugin(log) },
      },
    );
    const calls = log.map((l) => l.split(" ")[0]);
    expect(calls).toEqual([
      "GetCapabilities",
      // labnet: the network's address space, the allocator's own look at the spaces, then
      // 172.18.0.0/24 (mynet's bridge route: reserved) held, 10.77.1.0/24 taken, the held one released
      "GetDefaultAddressSpaces",
      "GetDefaultAddressSpaces",
      "RequestPool",
      "RequestPool",
      "ReleasePool",
      "RequestAddress",
      // a and b
      "RequestAddress",
      "RequestAddress",
      // fixed (the subnet and gateway asked for), c with --ip
      "GetDefaultAddressSpaces",
      "GetDefaultAddressSpaces",
      "RequestPool",
      "RequestAddress",
      "RequestAddress",
      // docker rm -f a b, docker network rm labnet
      "ReleaseAddress",
      "ReleaseAddress",
      "ReleaseAddress",
      "ReleasePool",
      // bad
      "GetDefaultAddressSpaces",
      "GetDefaultAddressSpaces",
      "RequestPool",
    ]);
    expect(JSON.parse(log[3]?.slice("RequestPool ".length) ?? "{}")).toEqual({
      AddressSpace: "lab-local",
      Pool: "",
      SubPool: "",
      Options: { zone: "a" },
      V6: false,
    });
    expect(log[5]).toBe('ReleasePool {"PoolID":"lab/172.18.0.0/24"}');
    expect(log[6]).toBe(
      'RequestAddress {"PoolID":"lab/10.77.1.0/24","Address":"","Options":{"RequestAddressType":"com.docker.network.gateway"}}',
    );
    // The daemon gives an endpoint no IPAM options: null.
    expect(log[7]).toBe('RequestAddress {"PoolID":"lab/10.77.1.0/24","Address":"","Options":null}');
    expect(log[11]).toBe(
      'RequestPool {"AddressSpace":"lab-local","Pool":"10.77.9.0/24","SubPool":"","Options":{},"V6":false}',
    );
    expect(log[12]).toBe(
      'RequestAddress {"PoolID":"lab/10.77.9.0/24","Address":"10.77.9.1","Options":{"RequestAddressType":"com.docker.network.gateway"}}',
    );
    expect(log[13]).toBe(
      'RequestAddress {"PoolID":"lab/10.77.9.0/24","Address":"10.77.9.50","Options":null}',
    );
    expect(log.slice(14, 18)).toEqual([
      'ReleaseAddress {"PoolID":"lab/10.77.1.0/24","Address":"10.77.1.10"}',
      'ReleaseAddress {"PoolID":"lab/10.77.1.0/24","Address":"10.77.1.11"}',
      'ReleaseAddress {"PoolID":"lab/10.77.1.0/24","Address":"10.77.1.254"}',
      'ReleasePool {"PoolID":"lab/10.77.1.0/24"}',
    ]);
    expect(lines).toContain("eth0@if5         UP             10.77.1.10/24 ");
    expect(lines).toContain("default via 10.77.1.254 dev eth0 ");
    expect(lines).toContain("1 packets transmitted, 1 packets received, 0% packet loss");
    expect(lines.some((l) => /^eth0@if\d+ +UP +10\.77\.9\.50\/24 $/.test(l))).toBe(true);
    expect(lines).toContain('lab-ipam [{"Subnet":"10.77.1.0/24","Gateway":"10.77.1.254"}] {"zone":"a"}');
    expect(lines).toContain("Error response from daemon: remote: no pool for you");
    expect(lines).toContain('Error response from daemon: plugin "nosuch" not found');
    expect(lines.slice(-5)).toEqual(["bridge", "fixed", "host", "mynet", "none"]);
  });

  it("GetDefaultAddressSpaces once for the network and once per pool; 28+'s ipvlan l3 asks for no gateway", () => {
    const log: string[] = [];
    runScenario(
      `
dockerd --engine-version 28
ip link add eth1 type dummy
docker network create -d macvlan -o parent=eth1 --ipam-driver lab-ipam --subnet 10.77.5.0/24 --subnet 10.77.6.0/24 two
docker network create -d ipvlan -o parent=eth1 -o ipvlan_mode=l3 --ipam-driver lab-ipam --subnet 10.77.7.0/24 l3net
`,
      {
        seed: 1,
        outDir: join(tmp, "spaces"),
        pcapng: false,
        application: "test",
        print: () => {},
        plugins: { "lab-ipam": ipamPlugin(log) },
      },
    );
    // `two`: once for the network and once in each of its two pools; `l3net`: once and once.
    expect(log.filter((l) => l.startsWith("GetDefaultAddressSpaces"))).toHaveLength(5);
    const l3 = log.slice(log.findIndex((l) => l.includes("10.77.7.0/24")));
    expect(l3.some((l) => l.includes("com.docker.network.gateway"))).toBe(false);
  });
});
