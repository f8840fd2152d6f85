/**
 * The Docker workload: one docker host with C containers (nginx) spread over three user-defined
 * networks, the first P of them publishing a port (8000, 8001, ...), and an outside host on the
 * host's uplink opening N short HTTP connections (connect, GET /, read the page, close), round
 * robin over the published ports, K at a time. Reports the wall time to start the containers,
 * the heap each idle container takes (namespace, veth pair, addresses, routes, files, DNS
 * resolver, iptables rules), connections per wall second, events per second and peak memory, as
 * one JSON line.
 *
 *   npm run bench -- docker [--containers 1000] [--published 100] [--connections 100000] [--parallel 100]
 */

import { parseArgs } from "node:util";
import { httpd } from "../src/apps/httpd.js";
import type { ProcessContext } from "../src/apps/process.js";
import { DAEMON_DEFAULTS, Daemon } from "../src/docker/daemon.js";
import { Host } from "../src/kernel/host.js";
import { Simulation } from "../src/sim/simulation.js";
import { parseIpv4 } from "../src/util/ipv4-address.js";
import { gc, nowNs } from "./harness.js";

export interface DockerBenchResult {
  workload: "docker";
  containers: number;
  published: number;
  connections: number;
  completed: number;
  startupSeconds: number;
  bytesPerIdleContainer: number;
  wallSeconds: number;
  connectionsPerSecond: number;
  events: number;
  eventsPerSecond: number;
  simulatedSeconds: number;
  peakRssMiB: number;
}

const GET = new TextEncoder().encode("GET / HTTP/1.1\r\nHost: bench\r\n\r\n");

export function runDockerBench(o: {
  containers: number;
  published: number;
  connections: number;
  parallel: number;
}): DockerBenchResult {
  const sim = new Simulation({ seed: 1 });
  const host = new Host(sim);
  const ns = host.root;
  // The outside client on the uplink.
  const outside = host.addNetns("outside");
  const [up, down] = host.addVeth(ns, "eth1", outside, "eth0");
  ns.addAddress(up, parseIpv4("192.0.2.1") as number, 24, parseIpv4("192.0.2.255") as number);
  ns.setUp(up, true);
  outside.addAddress(down, parseIpv4("192.0.2.10") as number, 24, parseIpv4("192.0.2.255") as number);
  outside.setUp(down, true);
  gc();
  const heap0 = process.memoryUsage().heapUsed;
  const t0 = nowNs();
  const daemon = new Daemon(host, ns, DAEMON_DEFAULTS, sim.random("docker"));
  const nets = ["red", "green", "blue"].map((name) =>
    daemon.createNetwork({
      name,
      driver: "bridge",
      internal: false,
      attachable: false,
      options: {},
      labels: {},
      ipam: [],
    }),
  );
  for (let i = 0; i < o.containers; i++) {
    const c = daemon.createContainer({
      name: `c${i}`,
      image: "nginx",
      command: ["httpd", "-p", "80"],
      hostname: undefined,
      network: (nets[i % 3] as (typeof nets)[0]).name,
      ip: 0,
      aliases: [],
      ports: i < o.published ? [{ proto: "tcp", containerPort: 80, hostIp: "", hostPort: 8000 + i }] : [],
      macAddress: 0,
    });
    const sandbox = daemon.startContainer(c);
    const ctx: ProcessContext = { host, ns: sandbox, out: () => {}, err: () => {}, exit: () => {} };
    c.process = httpd(["-p", "80"], ctx);
  }
  sim.run({ until: sim.now });
  const startupSeconds = (nowNs() - t0) / 1e9;
  gc();
  const perContainer = (process.memoryUsage().heapUsed - heap0) / o.containers;

  // N short connections, K at a time, round robin over the published ports.
  const server = parseIpv4("192.0.2.1") as number;
  let started = 0;
  let completed = 0;
  const open = () => {
    if (started >= o.connections) return;
    const port = 8000 + (started++ % o.published);
    const s = outside.tcp.socket();
    s.onConnect = () => s.write(GET);
    s.onData = () => {};
    s.onEnd = () => {
      s.close();
      completed++;
      open();
    };
    s.onError = () => open();
    s.connect(server, port);
  };
  const e0 = sim.eventsExecuted;
  const w0 = nowNs();
  for (let k = 0; k < o.parallel; k++) open();
  sim.run();
  const wallSeconds = (nowNs() - w0) / 1e9;
  const events = sim.eventsExecuted - e0;
  return {
    workload: "docker",
    containers: o.containers,
    published: o.published,
    connections: o.connections,
    completed,
    startupSeconds: Math.round(startupSeconds * 1000) / 1000,
    bytesPerIdleContainer: Math.round(perContainer),
    wallSeconds: Math.round(wallSeconds * 1000) / 1000,
    connectionsPerSecond: Math.round(completed / wallSeconds),
    events,
    eventsPerSecond: Math.round(events / wallSeconds),
    simulatedSeconds: sim.now / 1e9,
    peakRssMiB: Math.round(process.resourceUsage().maxRSS / 1024),
  };
}

export function dockerFromArgs(args: string[]): DockerBenchResult {
  const { values } = parseArgs({
    args,
    options: {
      containers: { type: "string", default: "1000" },
      published: { type: "string", default: "100" },
      connections: { type: "string", default: "100000" },
      parallel: { type: "string", default: "100" },
    },
  });
  return runDockerBench({
    containers: Number(values.containers),
    published: Number(values.published),
    connections: Number(values.connections),
    parallel: Number(values.parallel),
  });
}
