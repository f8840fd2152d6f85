/**
 * The whole-workload LAN benchmark (the shape of ns-3's bridge example): K namespaces on one
 * Linux bridge, each sending UDP datagrams to its neighbour at a fixed rate until N datagrams in
 * total were sent. Reports delivered packets per wall second, events per second and per packet,
 * and peak memory, as one JSON line. With --pcapng every interface is captured to one pcapng in a
 * new temporary folder under --dir (default: the OS temp dir), deleted afterwards; the line then
 * also gives the bytes written and the write rate, since a disk's write speed can be the limit.
 *
 * With --netfilter the bridge is docker0 and the host carries Docker's classic rule set, so every
 * datagram passes br_netfilter's PREROUTING/FORWARD/POSTROUTING with conntrack.
 *
 *   npm run bench -- lan --hosts 8 --payload 64 --packets 1000000 [--pcapng [--dir /dev/shm]] [--netfilter]
 */

import { mkdtempSync, rmSync, statSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { parseArgs } from "node:util";
import { FileSink } from "../src/capture/byte-sink.js";
import { DIRECTION_INBOUND, DIRECTION_OUTBOUND, PcapngWriter } from "../src/capture/pcapng-writer.js";
import { NetNamespace } from "../src/kernel/namespace.js";
import { Bridge } from "../src/link/bridge.js";
import type { NetDevice } from "../src/link/net-device.js";
import type { Packet } from "../src/link/packet.js";
import { createVethPair } from "../src/link/veth.js";
import { runIptablesRestore } from "../src/netfilter/iptables-command.js";
import { Simulation } from "../src/sim/simulation.js";
import { MICROSECOND } from "../src/sim/time.js";
import { DOCKER_CLASSIC } from "./docker-rules.js";
import { nowNs } from "./harness.js";

export interface LanOptions {
  hosts: number;
  payload: number;
  packets: number;
  pcapng: boolean;
  /** Where the pcapng's temporary folder goes (with pcapng). */
  dir: string;
  /** Docker's rule set, br_netfilter and conntrack in the host namespace. */
  netfilter: boolean;
}

export interface LanResult {
  workload: "lan";
  hosts: number;
  payload: number;
  packets: number;
  pcapng: boolean;
  delivered: number;
  wallSeconds: number;
  packetsPerSecond: number;
  events: number;
  eventsPerSecond: number;
  eventsPerPacket: number;
  simulatedSeconds: number;
  peakRssMiB: number;
  /** With --netfilter: packets Docker's `-i docker0 -o docker0 -j ACCEPT` rule let through. */
  iccAccepted?: number;
  captureDir?: string;
  captureMiB?: number;
  captureMiBPerSecond?: number;
}

export function runLan(opts: LanOptions): LanResult {
  const sim = new Simulation({ seed: 1 });
  const h = new NetNamespace("host", sim);
  const br = new Bridge(opts.netfilter ? "docker0" : "br0", h.allocIfindex(), 0x0242ac110001, sim);
  h.attach(br);
  h.setUp(br, true);
  if (opts.netfilter) runIptablesRestore(h.iptables, DOCKER_CLASSIC, false);
  const dir = opts.pcapng ? mkdtempSync(join(opts.dir, "dockwire-lan-")) : "";
  const pcap = opts.pcapng
    ? new PcapngWriter(new FileSink(join(dir, "lan.pcapng")), { application: "bench" })
    : undefined;
  const capture = (dev: NetDevice, name: string) => {
    if (!pcap) return;
    const id = pcap.addInterface({ name });
    dev.addTap((_d, p: Packet, d) =>
      pcap.writePacket(
        id,
        sim.now,
        p.buf,
        p.head,
        p.length,
        d === "in" ? DIRECTION_INBOUND : DIRECTION_OUTBOUND,
      ),
    );
  };
  capture(br, `host/${br.name}`);
  let delivered = 0;
  const payload = new Uint8Array(opts.payload);
  const hosts = Array.from({ length: opts.hosts }, (_, i) => {
    const ns = new NetNamespace(`c${i}`, sim);
    const [eth0, port] = createVethPair(
      sim,
      { name: "eth0", ifindex: ns.allocIfindex(), mac: 0x024200000000 + i + 2 },
      { name: `veth${i}`, ifindex: h.allocIfindex(), mac: 0x0a0000000000 + i },
    );
    ns.attach(eth0);
    h.attach(port);
    h.setMaster(port, br);
    h.setUp(port, true);
    ns.addAddress(eth0, (0xac110000 + i + 2) >>> 0, 16);
    ns.setUp(eth0, true);
    capture(eth0, `c${i}/eth0`);
    capture(port, `host/veth${i}`);
    const sock = ns.udp.socket().bind(0, 9000);
    sock.onMessage = () => delivered++;
    return { ns, sock };
  });
  // Each host sends to the next one every `interval`, staggered so sends do not all coincide.
  const interval = 10 * MICROSECOND * opts.hosts;
  let sent = 0;
  hosts.forEach((host, i) => {
    const dst = (0xac110000 + ((i + 1) % opts.hosts) + 2) >>> 0;
    const tick = () => {
      if (sent >= opts.packets) return;
      sent++;
      host.sock.send(payload, dst, 9000);
      sim.scheduleAfter(interval, tick);
    };
    sim.scheduleAt(i * 10 * MICROSECOND, tick);
  });
  const t0 = nowNs();
  sim.run();
  const wall = (nowNs() - t0) / 1e9;
  pcap?.close();
  const wallWithClose = (nowNs() - t0) / 1e9;
  let captureMiB: number | undefined;
  if (dir) {
    captureMiB = statSync(join(dir, "lan.pcapng")).size / 2 ** 20;
    rmSync(dir, { recursive: true, force: true });
  }
  const { dir: _dir, ...shown } = opts;
  return {
    workload: "lan",
    ...shown,
    delivered,
    wallSeconds: Number(wall.toFixed(3)),
    packetsPerSecond: Math.round(delivered / wall),
    events: sim.eventsExecuted,
    eventsPerSecond: Math.round(sim.eventsExecuted / wall),
    eventsPerPacket: Number((sim.eventsExecuted / delivered).toFixed(2)),
    simulatedSeconds: Number((sim.now / 1e9).toFixed(6)),
    peakRssMiB: Math.round(process.resourceUsage().maxRSS / 1024),
    ...(opts.netfilter
      ? {
          iccAccepted:
            h.iptables.tables
              .get("filter")
              ?.chains.get("FORWARD")
              ?.rules.find(
                (r) => r.inIface?.name === "docker0" && r.outIface?.name === "docker0" && !r.outIface.invert,
              )?.packets ?? 0,
        }
      : {}),
    ...(captureMiB === undefined
      ? {}
      : {
          captureDir: opts.dir,
          captureMiB: Math.round(captureMiB),
          captureMiBPerSecond: Math.round(captureMiB / wallWithClose),
        }),
  };
}

/** `npm run bench -- lan --hosts K --payload B --packets N [--pcapng]`: one JSON line. */
export function lanFromArgs(args: string[]): LanResult {
  const { values } = parseArgs({
    args,
    options: {
      hosts: { type: "string", default: "8" },
      payload: { type: "string", default: "64" },
      packets: { type: "string", default: "1000000" },
      pcapng: { type: "boolean", default: false },
      dir: { type: "string", default: tmpdir() },
      netfilter: { type: "boolean", default: false },
    },
  });
  return runLan({
    hosts: Number(values.hosts),
    payload: Number(values.payload),
    packets: Number(values.packets),
    pcapng: values.pcapng === true,
    dir: values.dir,
    netfilter: values.netfilter === true,
  });
}
