/**
 * A remote network driver (src/docker/remote-driver.ts): a plugin written in TypeScript gets the
 * plugin protocol's requests in Docker's order with Docker's bodies, makes its interfaces in the
 * docker host, and the container ends up with them; a reply's Err is Docker's `remote:` error.
 */

import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, describe, expect, it } from "vitest";
import type { NetworkDriverPlugin } from "../../src/docker/remote-driver.js";
import type { Bridge } from "../../src/link/bridge.js";
import { runScenario } from "../../src/scenario/runner.js";
import { parseIpv4 } from "../../src/util/ipv4-address.js";

const tmp = mkdtempSync(join(tmpdir(), "dockwire-remote-"));
afterAll(() => rmSync(tmp, { recursive: true, force: true }));

/** A plugin that puts every endpoint on a bridge of its own, like a small bridge driver. */
function bridgePlugin(log: string[]): NetworkDriverPlugin {
  let n = 0;
  return {
    call(method, req, { host, ns }) {
      log.push(`${method} ${JSON.stringify(req)}`);
      switch (method) {
        case "GetCapabilities":
          return { Scope: "local", ConnectivityScope: "local" };
        case "CreateNetwork": {
          if ((req.Options as Record<string, Record<string, string>>)["com.docker.network.generic"]?.fail)
            return { Err: "boom" };
          const br = host.addBridge(ns, "plbr0");
          const gw = ((req.IPv4Data as { Gateway: string }[])[0]?.Gateway ?? "").split("/");
          ns.addAddress(br, parseIpv4(gw[0] ?? "") ?? 0, Number(gw[1]));
          ns.setUp(br, true);
          return {};
        }
        case "Join": {
          const [outside] = host.addVeth(ns, `plv${n}`, ns, `tmp${n}`);
          ns.setMaster(outside, ns.device("plbr0") as Bridge);
          ns.setUp(outside, true);
          return { InterfaceName: { SrcName: `tmp${n++}`, DstPrefix: "eth" } };
        }
        default:
          return {};
      }
    },
  };
}

describe("remote network drivers", () => {
  it("are driven through the plugin protocol and give the container a working interface", () => {
    const log: string[] = [];
    const lines: string[] = [];
    runScenario(
      `
docker network create -d mynet-plugin --subnet 10.44.0.0/24 pnet
docker run -d --name a --network pnet alpine sleep infinity
docker exec a ip -br addr
docker exec a ip route
docker exec a ping -c 1 10.44.0.1
docker rm -f a
docker network rm pnet
docker network create -d mynet-plugin -o fail=1 bad || true
docker network create -d nosuchplugin x || true
`,
      {
        seed: 1,
        outDir: tmp,
        pcapng: false,
        application: "test",
        print: (l) => lines.push(l),
        plugins: { "mynet-plugin": bridgePlugin(log) },
      },
    );
    expect(log.map((l) => l.split(" ")[0])).toEqual([
      "GetCapabilities",
      "CreateNetwork",
      "CreateEndpoint",
      "Join",
      "Leave",
      "DeleteEndpoint",
      "DeleteNetwork",
      "GetCapabilities",
      "CreateNetwork",
    ]);
    expect(JSON.parse(log[1]?.slice("CreateNetwork ".length) ?? "{}").IPv4Data).toEqual([
      { AddressSpace: "LocalDefault", Pool: "10.44.0.0/24", Gateway: "10.44.0.1/24", AuxAddresses: {} },
    ]);
    expect(JSON.parse(log[2]?.slice("CreateEndpoint ".length) ?? "{}").Interface).toEqual({
      Address: "10.44.0.2/24",
      AddressIPv6: "",
      MacAddress: "02:42:0a:2c:00:02",
    });
    expect(lines).toContain("eth0@if5         UP             10.44.0.2/24 ");
    expect(lines).toContain("default via 10.44.0.1 dev eth0 ");
    expect(lines).toContain("1 packets transmitted, 1 packets received, 0% packet loss");
    expect(lines).toContain("Error response from daemon: remote: boom");
    expect(lines).toContain('Error response from daemon: plugin "nosuchplugin" not found');
  });
});
