/**
 * Runs a scenario: the commands a user would type on a Linux host, one per line, in simulated time.
 * Each command is echoed as `$ CMD` with its output, like a terminal session. `sleep S` lets
 * simulated time pass; `CMD &` runs a program in the background and `wait` waits for all of them;
 * `ip netns exec NS CMD` runs CMD in a namespace. A command that fails stops the scenario with its
 * line number, unless the line ends in `|| true`. `tcpdump -i DEV [-w FILE]` captures until the
 * end; with `pcapng`, every interface of every namespace is captured into one file (`ns/dev`).
 */

import { mkdirSync, readFileSync } from "node:fs";
import { dirname, join } from "node:path";
import { conntrackEvents } from "../apps/conntrack-events.js";
import { curl } from "../apps/curl.js";
import { httpd } from "../apps/httpd.js";
import { iperf3 } from "../apps/iperf3.js";
import { nc } from "../apps/nc.js";
import { nslookup } from "../apps/nslookup.js";
import { ping } from "../apps/ping.js";
import { BUSYBOX } from "../apps/ping-busybox.js";
import type { ProcessContext, RunningProcess } from "../apps/process.js";
import { ctime } from "../apps/wall-clock.js";
import { wget } from "../apps/wget.js";
import { FileSink } from "../capture/byte-sink.js";
import { PcapWriter } from "../capture/pcap-writer.js";
import { DIRECTION_INBOUND, DIRECTION_OUTBOUND, PcapngWriter } from "../capture/pcapng-writer.js";
import { DAEMON_DEFAULTS, Daemon } from "../docker/daemon.js";
import { docker } from "../docker/docker-command.js";
import { startDaemon } from "../docker/dockerd-command.js";
import type { NetworkDriverPlugin } from "../docker/remote-driver.js";
import { runBridge } from "../kernel/bridge-command.js";
import { Host } from "../kernel/host.js";
import { type CommandResult, runIp } from "../kernel/ip-command.js";
import type { NetNamespace } from "../kernel/namespace.js";
import { runSs } from "../kernel/ss-command.js";
import { runSysctl } from "../kernel/sysctl-command.js";
import { runTc } from "../kernel/tc-command.js";
import type { NetDevice } from "../link/net-device.js";
import { runConntrack } from "../netfilter/conntrack-command.js";
import { runIptables, runIptablesRestore, runIptablesSave } from "../netfilter/iptables-command.js";
import { Simulation } from "../sim/simulation.js";
import { seconds } from "../sim/time.js";
import { decodeFrame, summarizeFrame } from "../wire/frame.js";
import { TcpSequenceTracker } from "../wire/tcp.js";
import { parseLine } from "./words.js";

export interface ScenarioOptions {
  seed: number;
  /** Folder for capture files; relative names in the scenario land here. */
  outDir: string;
  /** One pcapng with every interface of every namespace. */
  pcapng: boolean;
  /** The application name written into pcapng files. */
  application: string;
  print: (line: string) => void;
  /** Network driver plugins every docker daemon knows (`docker network create -d NAME`). */
  plugins?: Record<string, NetworkDriverPlugin>;
  /** Called every 250,000 events with the simulated time and events so far (a progress line). */
  progress?: (simNs: number, events: number) => void;
}

export interface ScenarioResult {
  /** 0, or the exit status of the command that stopped the scenario. */
  exit: number;
  /** 1-based line that stopped the scenario. */
  stoppedAt?: number;
  /** Capture files written. */
  files: string[];
}

interface Job {
  running: RunningProcess | undefined;
  done: boolean;
  status: number;
}

type StateCommand = (ns: NetNamespace, args: string[]) => CommandResult;
const STATE_COMMANDS: Record<string, StateCommand> = {
  bridge: runBridge,
  iptables: (ns, args) => runIptables(ns.iptables, args),
  ip6tables: (ns, args) => runIptables(ns.ip6tables, args),
  conntrack: (ns, args) => runConntrack(ns.netfilter.conntrack, args, (b) => ns.ipv6.ids.idOf(b, 0)),
  dmesg: (ns, args) => ns.kernelLog.dmesg(args),
  sysctl: runSysctl,
  ss: runSs,
  tc: runTc,
};

export function runScenario(text: string, opts: ScenarioOptions): ScenarioResult {
  const sim = new Simulation({ seed: opts.seed });
  // Run the simulation, in slices when someone watches the progress.
  const advance = (until?: number) => {
    for (;;) {
      const r = sim.run({
        ...(until === undefined ? {} : { until }),
        ...(opts.progress ? { maxEvents: 250_000 } : {}),
      });
      if (r.end !== "max-events") return r;
      opts.progress?.(sim.now, sim.eventsExecuted);
    }
  };
  const host = new Host(sim);
  const files: string[] = [];
  const jobs: Job[] = [];
  const finishers: Array<() => void> = [];
  const all = opts.pcapng ? allInterfacesCapture(host, opts, files) : undefined;
  let foreground: Job | undefined;

  // One Docker daemon per namespace that runs `docker` (or `dockerd`): each is a docker host.
  const daemons = new Map<NetNamespace, Daemon>();
  const daemonOf = (ns: NetNamespace) => {
    let d = daemons.get(ns);
    if (!d) {
      d = new Daemon(host, ns, DAEMON_DEFAULTS, sim.random(`docker:${ns.name}`));
      for (const [name, plugin] of Object.entries(opts.plugins ?? {})) d.registerPlugin(name, plugin);
      daemons.set(ns, d);
    }
    return d;
  };

  /** Start `words` in `ns`; `onExit` hears the status too (a program started by another). */
  const start = (
    words: string[],
    ns: NetNamespace,
    stdin = "",
    onExit?: (status: number) => void,
    output: (line: string) => void = opts.print,
  ): Job => {
    const job: Job = { running: undefined, done: false, status: 0 };
    const ctx: ProcessContext = {
      host,
      ns,
      out: output,
      err: output,
      exit: (status) => {
        if (job.done) return;
        job.done = true;
        job.status = status;
        if (foreground === job) sim.stop();
        onExit?.(status);
      },
    };
    const [cmd, ...args] = words;
    if (cmd === "ip" && args[0] === "netns" && args[1] === "exec") {
      const target = host.netns.get(args[2] ?? "");
      if (!target) {
        ctx.err(`Cannot open network namespace "${args[2]}": No such file or directory`);
        ctx.exit(255);
      } else return start(args.slice(3), target, stdin, onExit, output);
    } else if (cmd === "ip") {
      const r = runIp(host, ns, args);
      for (const l of `${r.stdout}${r.stderr}`.split("\n").slice(0, -1)) opts.print(l);
      ctx.exit(r.exit);
    } else if (cmd === "echo" && args.includes("|")) {
      // `echo [-n] WORDS | CMD`: the words (and a newline, without -n) become CMD's standard input.
      const bar = args.indexOf("|");
      const noNewline = args[0] === "-n";
      const words = args.slice(noNewline ? 1 : 0, bar).join(" ");
      return start(args.slice(bar + 1), ns, `${words}${noNewline ? "" : "\n"}`, onExit, output);
    } else if (cmd === "echo" && (args.includes(">") || args.includes(">>"))) {
      // `echo [-n] WORDS > FILE` (or >>): the namespace's files (/etc/hosts, /etc/resolv.conf).
      const at = args.findIndex((a) => a === ">" || a === ">>");
      const path = args[at + 1];
      const noNewline = args[0] === "-n";
      const text = `${args.slice(noNewline ? 1 : 0, at).join(" ")}${noNewline ? "" : "\n"}`;
      if (path === undefined || !ns.files.has(path)) {
        ctx.err(`bash: ${path ?? ""}: No such file or directory`);
        ctx.exit(1);
      } else {
        ns.files.set(path, args[at] === ">>" ? `${ns.files.get(path) ?? ""}${text}` : text);
        ctx.exit(0);
      }
    } else if (cmd === "ping") {
      job.running = ping(args, ctx);
    } else if (cmd === "busybox" && args[0] === "ping") {
      job.running = ping(args.slice(1), ctx, BUSYBOX);
    } else if (cmd === "nc") {
      job.running = nc(args, ctx, stdin);
    } else if (cmd === "curl") {
      job.running = curl(args, ctx);
    } else if (cmd === "wget") {
      job.running = wget(args, ctx);
    } else if (cmd === "nslookup") {
      job.running = nslookup(args, ctx);
    } else if (cmd === "httpd") {
      job.running = httpd(args, ctx);
    } else if (cmd === "nginx") {
      // The nginx image's `nginx -g 'daemon off;'`: its default site on 80, IPv4 and IPv6 apart.
      job.running = httpd(["-p", "80", "--ipv6only"], ctx);
    } else if (cmd === "iperf3") {
      job.running = iperf3(args, ctx);
    } else if (cmd === "docker") {
      job.running = docker(daemonOf(ns), args, {
        out: ctx.out,
        err: ctx.err,
        exit: ctx.exit,
        spawn: (w, where, done, output) => start(w, where, "", done, output).running,
        sim,
      });
    } else if (cmd === "dockerd") {
      const r = startDaemon(host, ns, args, daemons, opts.plugins ?? {});
      for (const l of r.lines) ctx.err(l);
      ctx.exit(r.exit);
    } else if (cmd === "host" && args[0] === "add" && args[1] !== undefined) {
      // `host add NAME`: another machine — a namespace with its loopback up, ready to be a docker
      // host of its own (`ip netns exec NAME docker ...`); the underlay is made with `ip`.
      if (host.netns.has(args[1])) {
        ctx.err(`host: ${args[1]}: already exists`);
        ctx.exit(1);
      } else {
        const machine = host.addNetns(args[1]);
        machine.setUp(machine.lo, true);
        ctx.exit(0);
      }
    } else if (cmd === "cat") {
      let status = 0;
      for (const path of args) {
        const content = ns.files.get(path);
        if (content === undefined) {
          ctx.err(`cat: ${path}: No such file or directory`);
          status = 1;
        } else
          for (const l of content.split("\n").slice(0, content.endsWith("\n") ? -1 : undefined)) ctx.out(l);
      }
      ctx.exit(status);
    } else if (cmd === "tcpdump") {
      tcpdump(args, ctx, opts, files, finishers);
    } else if (cmd === "conntrack" && (args[0] === "-E" || args[0] === "--event")) {
      job.running = conntrackEvents(ctx);
    } else if (cmd === "iptables-save" || cmd === "ip6tables-save") {
      const r = runIptablesSave(cmd === "iptables-save" ? ns.iptables : ns.ip6tables, args, ctime(sim.now));
      for (const l of r.stdout.split("\n").slice(0, -1)) ctx.out(l);
      for (const l of r.stderr.split("\n").slice(0, -1)) ctx.err(l);
      ctx.exit(r.exit);
    } else if (cmd === "iptables-restore" || cmd === "ip6tables-restore") {
      // iptables-restore [--noflush] FILE, or the rules piped in with `echo ... |` as stdin.
      const noflush = args.includes("--noflush") || args.includes("-n");
      const file = args.find((a) => !a.startsWith("-"));
      let text = stdin;
      if (file !== undefined) {
        try {
          text = readFileSync(file, "utf8");
        } catch {
          ctx.err(`${cmd} v1.8.9 (nf_tables): Can't open ${file}: No such file or directory`);
          ctx.exit(1);
          return job;
        }
      }
      const r = runIptablesRestore(cmd === "iptables-restore" ? ns.iptables : ns.ip6tables, text, noflush);
      for (const l of `${r.stdout}${r.stderr}`.split("\n").slice(0, -1)) opts.print(l);
      ctx.exit(r.exit);
    } else if (cmd !== undefined && cmd in STATE_COMMANDS) {
      // Commands that act on the namespace at once and print: bridge, sysctl, ss, tc, dmesg, ...
      const r = (STATE_COMMANDS[cmd] as StateCommand)(ns, args);
      for (const l of `${r.stdout}${r.stderr}`.split("\n").slice(0, -1)) opts.print(l);
      ctx.exit(r.exit);
    } else {
      ctx.err(`bash: ${cmd}: command not found`);
      ctx.exit(127);
    }
    return job;
  };

  const lines = text.split("\n");
  let result: ScenarioResult = { exit: 0, files };
  for (let n = 0; n < lines.length; n++) {
    const parsed = parseLine(lines[n] as string);
    if (!parsed) continue;
    opts.print(`$ ${(lines[n] as string).trim()}`);
    const [cmd, arg] = parsed.words;
    if (cmd === "sleep") {
      advance(sim.now + seconds(Number(arg)));
      continue;
    }
    if (cmd === "wait") {
      for (const j of jobs)
        runUntilDone(
          advance,
          () => sim.now,
          j,
          (f) => (foreground = f),
        );
      continue;
    }
    const job = start(parsed.words, host.root);
    all?.refresh();
    if (parsed.background) {
      jobs.push(job);
      continue;
    }
    runUntilDone(
      advance,
      () => sim.now,
      job,
      (f) => (foreground = f),
    );
    all?.refresh();
    if (job.status !== 0 && !parsed.mayFail) {
      opts.print(
        `dockwire: line ${n + 1}: '${(lines[n] as string).trim()}' exited with status ${job.status}`,
      );
      result = { exit: job.status, stoppedAt: n + 1, files };
      break;
    }
  }
  for (const j of jobs) if (!j.done) j.running?.interrupt();
  for (const f of finishers) f();
  all?.close();
  return result;
}

function runUntilDone(
  advance: (until?: number) => { end: string },
  now: () => number,
  job: Job,
  setForeground: (j: Job | undefined) => void,
): void {
  setForeground(job);
  while (!job.done) {
    if (advance().end === "empty" && !job.done) {
      job.running?.interrupt();
      break;
    }
  }
  setForeground(undefined);
  // What the exit set off at the same instant (a last ACK, a FIN) happens before the next prompt.
  advance(now());
}

/** A capture file, its folder created on first use. */
function fileSink(path: string): FileSink {
  mkdirSync(dirname(path), { recursive: true });
  return new FileSink(path);
}

function namedDevices(host: Host): Array<[string, NetDevice]> {
  const out: Array<[string, NetDevice]> = [];
  for (const d of host.root.devices.values()) out.push([d.name, d]);
  for (const [name, ns] of [...host.netns, ...host.unnamed])
    for (const d of ns.devices.values()) out.push([`${name}/${d.name}`, d]);
  return out;
}

/** --pcapng: every interface, including those created later, into one file. */
function allInterfacesCapture(host: Host, opts: ScenarioOptions, files: string[]) {
  const file = join(opts.outDir, "all.pcapng");
  files.push(file);
  const w = new PcapngWriter(fileSink(file), { application: opts.application });
  const seen = new Set<NetDevice>();
  return {
    refresh(): void {
      for (const [name, dev] of namedDevices(host)) {
        if (seen.has(dev)) continue;
        seen.add(dev);
        const id = w.addInterface({ name });
        dev.addTap((_d, p, dir) =>
          w.writePacket(
            id,
            host.sim.now,
            p.buf,
            p.head,
            p.length,
            dir === "in" ? DIRECTION_INBOUND : DIRECTION_OUTBOUND,
          ),
        );
      }
    },
    close: () => w.close(),
  };
}

/** tcpdump's time of day for a simulation time (the capture epoch is midnight): HH:MM:SS.uuuuuu. */
function timeOfDay(ns: number): string {
  const us = Math.floor(ns / 1000);
  const day = us % 86_400_000_000;
  const two = (n: number) => String(n).padStart(2, "0");
  const s = Math.floor(day / 1_000_000);
  return `${two(Math.floor(s / 3600))}:${two(Math.floor(s / 60) % 60)}:${two(s % 60)}.${String(day % 1_000_000).padStart(6, "0")}`;
}

/**
 * `tcpdump -i DEV [-n] [-p] [-w FILE]`: captures until the end of the scenario, printing tcpdump -n
 * lines (with the time of day) or writing a pcap; the closing counts come at the end. Like
 * tcpdump, it puts the device in promiscuous mode unless -p is given.
 * Deviation: no filter expressions yet (refused rather than ignored).
 */
function tcpdump(
  args: string[],
  ctx: ProcessContext,
  opts: ScenarioOptions,
  files: string[],
  finishers: Array<() => void>,
): void {
  let devName = "";
  let file = "";
  let promisc = true;
  let link = false;
  let snaplen = 262144;
  for (let i = 0; i < args.length; i++) {
    const a = args[i] as string;
    if (a === "-i") devName = args[++i] ?? "";
    else if (a === "-s") {
      const v = args[++i] ?? "";
      if (!/^\d+$/.test(v)) {
        ctx.err(`tcpdump: invalid snaplen ${v}`);
        ctx.exit(1);
        return;
      }
      snaplen = Number(v) === 0 ? 262144 : Number(v);
    } else if (a === "-w") file = args[++i] ?? "";
    else if (a === "-p") promisc = false;
    else if (a === "-e") link = true;
    else if (a === "-n" || a === "-nn" || a === "-U" || a === "-l") continue;
    else {
      ctx.err(
        `dockwire: tcpdump: '${a}' is not supported yet (only -i DEV, -n, -e, -p, -s LEN, -w FILE; no filter expressions)`,
      );
      ctx.exit(1);
      return;
    }
  }
  const dev = ctx.ns.device(devName);
  if (!dev) {
    ctx.err(`tcpdump: ${devName}: No such device exists`);
    ctx.err("(SIOCGIFHWADDR: No such device)");
    ctx.exit(1);
    return;
  }
  const listening = `listening on ${devName}, link-type EN10MB (Ethernet), snapshot length ${snaplen} bytes`;
  if (promisc) dev.promiscuity++;
  let count = 0;
  const sim = ctx.host.sim;
  let close = () => {};
  if (file) {
    ctx.err(`tcpdump: ${listening}`);
    const path = file.startsWith("/") ? file : join(opts.outDir, file);
    files.push(path);
    const w = new PcapWriter(fileSink(path), { snaplen });
    dev.addTap((_d, p) => {
      count++;
      w.writePacket(sim.now, p.buf, p.head, p.length);
    });
    close = () => w.close();
  } else {
    ctx.err("tcpdump: verbose output suppressed, use -v[v]... for full protocol decode");
    ctx.err(listening);
    const tracker = new TcpSequenceTracker();
    dev.addTap((_d, p) => {
      count++;
      const f = p.data();
      ctx.out(`${timeOfDay(sim.now)} ${summarizeFrame(decodeFrame(f), f.length, { tcp: tracker, link })}`);
    });
  }
  finishers.push(() => {
    close();
    ctx.err(`${count} packets captured`);
    ctx.err(`${count} packets received by filter`);
    ctx.err("0 packets dropped by kernel");
  });
  ctx.exit(0);
}
