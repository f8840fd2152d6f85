/**
 * Docker's embedded DNS server over TCP: a question sent with nc to 127.0.0.11:53 over TCP is
 * answered through the container's nat rules (DNAT to the resolver's TCP port and back), length
 * prefixed, with the same records as over UDP.
 */

import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, describe, expect, it } from "vitest";
import { DAEMON_DEFAULTS, Daemon } from "../../src/docker/daemon.js";
import { Host } from "../../src/kernel/host.js";
import { Simulation } from "../../src/sim/simulation.js";
import { SECOND } from "../../src/sim/time.js";
import { aAddress, CLASS_IN, emitDns, FLAG_RD, parseDns, TYPE_A } from "../../src/wire/dns.js";

const tmp = mkdtempSync(join(tmpdir(), "dockwire-edns-"));
afterAll(() => rmSync(tmp, { recursive: true, force: true }));

describe("the embedded DNS server over TCP", () => {
  it("answers a length-prefixed question for a container name", () => {
    const sim = new Simulation({ seed: 1 });
    const host = new Host(sim);
    const daemon = new Daemon(host, host.root, DAEMON_DEFAULTS, sim.random("docker"));
    daemon.createNetwork({
      name: "n",
      driver: "bridge",
      internal: false,
      attachable: false,
      options: {},
      labels: {},
      ipam: [],
    });
    const start = (name: string) =>
      daemon.startContainer(
        daemon.createContainer({
          name,
          image: "alpine",
          command: ["sleep", "infinity"],
          hostname: undefined,
          network: "n",
          ip: 0,
          aliases: [],
          ports: [],
          macAddress: 0,
        }),
      );
    start("web");
    const client = start("c");
    const query = emitDns({
      id: 7,
      flags: FLAG_RD,
      questions: [{ name: "web", type: TYPE_A, class: CLASS_IN }],
      answers: [],
      authorities: [],
      additionals: [],
    });
    const framed = new Uint8Array(2 + query.length);
    framed[1] = query.length;
    framed.set(query, 2);
    const s = client.tcp.socket();
    const got: number[] = [];
    s.onConnect = () => s.write(framed);
    s.onData = (d) => got.push(...d);
    s.connect(0x7f00000b, 53);
    sim.run({ until: sim.now + SECOND });
    const len = ((got[0] ?? 0) << 8) | (got[1] ?? 0);
    expect(got.length).toBe(2 + len);
    const answer = parseDns(Uint8Array.from(got.slice(2)));
    expect(answer.id).toBe(7);
    expect(answer.answers.map((r) => aAddress(r))).toEqual([0xac120002]);
  });
});
