import { describe, expect, it } from "vitest";
import { type ArpIo, NEIGH_DEFAULTS, NeighbourTable } from "../../src/kernel/neighbour.js";
import { Simulation } from "../../src/sim/simulation.js";
import { MILLISECOND, SECOND } from "../../src/sim/time.js";
import { ipv4 } from "../../src/util/ipv4-address.js";
import { mac } from "../../src/util/mac-address.js";

const PEER = ipv4("10.0.0.2");
const PEER_MAC = mac("02:00:00:00:00:0b");

function setup(seed = 1) {
  const sim = new Simulation({ seed });
  const log: string[] = [];
  const t = (s: string) => log.push(`${sim.now / MILLISECOND}ms ${s}`);
  const io: ArpIo<string> = {
    sendRequest: (_i, target, uni) =>
      t(`request ${target === PEER ? "peer" : target} ${uni === undefined ? "broadcast" : "unicast"}`),
    transmit: (_i, pkt, m) => t(`send ${pkt} to ${m === PEER_MAC ? "peer-mac" : m}`),
    unreachable: (_i, pkt) => t(`unreachable ${pkt}`),
    size: () => 100,
  };
  const table = new NeighbourTable<string>(sim, sim.random("neigh"), io);
  const state = () => table.get(2, PEER)?.state;
  return { sim, log, table, state };
}

describe("neighbour table (ARP NUD states)", () => {
  it("queues behind a broadcast request, then sends everything on the reply", () => {
    const { sim, log, table, state } = setup();
    table.output(2, PEER, "p1");
    table.output(2, PEER, "p2");
    expect(state()).toBe("INCOMPLETE");
    sim.scheduleAt(50 * MILLISECOND, () => table.confirm(2, PEER, PEER_MAC));
    sim.run({ until: SECOND / 2 });
    expect(log).toEqual([
      "0ms request peer broadcast",
      "50ms send p1 to peer-mac",
      "50ms send p2 to peer-mac",
    ]);
    expect(state()).toBe("REACHABLE");
  });

  it("fails after three broadcast requests one second apart and reports every queued packet", () => {
    const { sim, log, table, state } = setup();
    table.output(2, PEER, "p1");
    table.output(2, PEER, "p2");
    sim.run();
    expect(log).toEqual([
      "0ms request peer broadcast",
      "1000ms request peer broadcast",
      "2000ms request peer broadcast",
      "3000ms unreachable p1",
      "3000ms unreachable p2",
    ]);
    expect(state()).toBe("FAILED");
  });

  it("REACHABLE lasts a random 15-45 s, then STALE; using it goes DELAY, then a unicast probe after 5 s", () => {
    const { sim, log, table, state } = setup(3);
    table.output(2, PEER, "p1");
    sim.scheduleAt(1 * MILLISECOND, () => table.confirm(2, PEER, PEER_MAC));
    let staleAt = 0;
    for (let s = 1; s <= 60; s++) {
      sim.run({ until: s * SECOND });
      if (staleAt === 0 && state() === "STALE") staleAt = s;
    }
    expect(staleAt).toBeGreaterThanOrEqual(15);
    expect(staleAt).toBeLessThanOrEqual(46);
    log.length = 0;
    table.output(2, PEER, "p2");
    expect(state()).toBe("DELAY");
    sim.run({ until: 65 * SECOND + MILLISECOND });
    expect(state()).toBe("PROBE");
    sim.scheduleAt(65 * SECOND + 2 * MILLISECOND, () => table.confirm(2, PEER, PEER_MAC));
    sim.run({ until: 67 * SECOND });
    expect(log).toEqual(["60000ms send p2 to peer-mac", "65000ms request peer unicast"]);
    expect(state()).toBe("REACHABLE");
  });

  it("a confirmation during DELAY makes the entry REACHABLE without a probe", () => {
    const { sim, log, table, state } = setup();
    table.heardRequest(2, PEER, PEER_MAC); // the peer asked for us: STALE
    expect(state()).toBe("STALE");
    table.output(2, PEER, "p1");
    expect(state()).toBe("DELAY");
    sim.scheduleAt(2 * SECOND, () => table.confirm(2, PEER, PEER_MAC));
    sim.run({ until: 10 * SECOND });
    expect(state()).toBe("REACHABLE");
    expect(log).toEqual(["0ms send p1 to peer-mac"]);
  });

  it("unicast probes that go unanswered end in FAILED after ucast_solicit tries", () => {
    const { sim, log, table, state } = setup();
    table.heardRequest(2, PEER, PEER_MAC);
    table.output(2, PEER, "p1");
    sim.run({ until: 20 * SECOND });
    expect(log).toEqual([
      "0ms send p1 to peer-mac",
      "5000ms request peer unicast",
      "6000ms request peer unicast",
      "7000ms request peer unicast",
    ]);
    expect(state()).toBe("FAILED");
  });

  it("hearing a request keeps a REACHABLE entry with the same MAC; a new MAC makes it STALE", () => {
    const { sim, table, state } = setup();
    table.output(2, PEER, "p1");
    table.confirm(2, PEER, PEER_MAC);
    table.heardRequest(2, PEER, PEER_MAC);
    expect(state()).toBe("REACHABLE");
    table.heardRequest(2, PEER, mac("02:00:00:00:00:0c"));
    expect(state()).toBe("STALE");
    expect(table.get(2, PEER)?.mac).toBe(mac("02:00:00:00:00:0c"));
    sim.run();
  });

  it("unsolicited replies create nothing; permanent entries ignore replies and requests", () => {
    const { table, state } = setup();
    table.confirm(2, PEER, PEER_MAC);
    expect(state()).toBeUndefined();
    table.addPermanent(2, PEER, PEER_MAC);
    table.confirm(2, PEER, mac("02:00:00:00:00:0c"));
    table.heardRequest(2, PEER, mac("02:00:00:00:00:0c"));
    expect(state()).toBe("PERMANENT");
    expect(table.get(2, PEER)?.mac).toBe(PEER_MAC);
  });

  it("the waiting queue is bounded by bytes; the oldest packets go first", () => {
    const { table } = setup();
    table.paramsFor = () => ({ ...NEIGH_DEFAULTS, unresQlenBytes: 250 });
    for (const p of ["a", "b", "c", "d"]) table.output(2, PEER, p);
    expect(table.get(2, PEER)?.queue).toEqual(["c", "d"]);
  });
});
