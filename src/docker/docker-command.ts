/**
 * The `docker` command line (docker/cli 27–29: cli/command/network, container, inspect) against
 * one daemon: `network create|ls|inspect|connect|disconnect|rm|prune`,
 * `run|create|start|stop|restart|rm|exec|port|ps|logs|inspect`, with their flags, output (IDs,
 * tables laid out by Go's tabwriter, inspect JSON with four-space indentation) and errors
 * (`Error response from daemon: ...`, exit 1; `docker run`'s `docker: ...` and
 * `See 'docker run --help'.`, exit 125). A failed command changes nothing. `--format` goes the
 * CLI's ways: lists through formatter.Context (`json`, `table ...` with a header row), inspect
 * through the inspector (`json`, or a template run typed then on the raw JSON; parse errors exit
 * 64). Containers' programs run through `spawn` (the scenario's program table) in their sandbox;
 * `sh` ends at once (no terminal), `sleep N|infinity` waits.
 */

import type { RunningProcess } from "../apps/process.js";
import type { NetNamespace } from "../kernel/namespace.js";
import type { Simulation } from "../sim/simulation.js";
import { SECOND } from "../sim/time.js";
import { parseIpv6 } from "../util/ipv6-address.js";
import { parseMac } from "../util/mac-address.js";
import { type Container, joinHostPort, type PortRequest } from "./container.js";
import { mergeImageEnv, processEnvironment } from "./container-env.js";
import { containerResource, ports as portMap } from "./container-inspect.js";
import type { Daemon, NetworkCreate } from "./daemon.js";
import { Daemon as DaemonClass } from "./daemon.js";
import { DockerError } from "./docker-error.js";
import { goMap } from "./go-map.js";
import {
  GO_TYPE,
  goJsonEscaped,
  goJsonIndent,
  HEADER_FUNCS,
  inspectTemplate,
  MARSHAL_JSON,
  parseTemplate,
  runTemplate,
  type Template,
  TemplateError,
} from "./go-template.js";
import { findImage, missingImageText } from "./images.js";
import type { PoolRequest } from "./ipam.js";
import { type Network, parseGoBool } from "./network.js";
import {
  commaList,
  createIpamConfig,
  FilterArgs,
  FlagError,
  naturalLess,
  networkListFilter,
  networkPruneFilter,
  parseIpamFlags,
} from "./network-cli.js";
import { networkResource } from "./network-inspect.js";

export interface DockerIo {
  out(line: string): void;
  err(line: string): void;
  exit(status: number): void;
  /** Run `words` in `ns`; `done(status)` when the program ends; `output` takes its lines (default: the terminal). */
  spawn(
    words: string[],
    ns: NetNamespace,
    done: (status: number) => void,
    output?: (line: string) => void,
  ): RunningProcess | undefined;
  sim: Simulation;
}

/** Run `docker ARGS`; returns the running command when it does not finish at once. */
export function docker(daemon: Daemon, args: string[], terminal: DockerIo): RunningProcess | undefined {
  // Messages may span lines (`invalid network config:\n...`): the terminal gets them line by line.
  const io: DockerIo = {
    ...terminal,
    out: (text) => {
      for (const l of text.split("\n")) terminal.out(l);
    },
    err: (text) => {
      for (const l of text.split("\n")) terminal.err(l);
    },
  };
  const [group, ...rest] = args;
  try {
    switch (group) {
      case "network":
        networkCommand(daemon, rest, io);
        return undefined;
      case "run":
      case "create":
        return runCommand(daemon, rest, io, group === "run");
      case "stop":
      case "restart":
        return stopCommand(daemon, group, rest, io);
      case "start":
      case "rm":
        lifecycle(daemon, group, rest, io);
        return undefined;
      case "exec":
        return execCommand(daemon, rest, io);
      case "port":
        portCommand(daemon, rest, io);
        return undefined;
      case "ps":
        psCommand(daemon, rest, io);
        return undefined;
      case "logs": {
        const c = daemon.findContainer(rest.at(-1) ?? "");
        for (const l of c.logs) io.out(l);
        io.exit(0);
        return undefined;
      }
      case "inspect":
      case "container": {
        if (group === "container" && rest[0] !== "inspect") break;
        const { flags, rest: refs } = takeFlags(
          group === "container" ? rest.slice(1) : rest,
          {
            "-f": "value",
            "--format": "value",
            "-s": "bool",
            "--size": "bool",
            ...(group === "container" ? {} : { "--type": "value" as const }),
          },
          group === "container" ? "container inspect" : "inspect",
        );
        const format = flags.get("-f")?.at(-1) ?? flags.get("--format")?.at(-1);
        if (group === "container") {
          inspectCommand(io, format, refs, (ref) => containerResource(daemon.findContainer(ref), daemon));
          return undefined;
        }
        const type = flags.get("--type")?.at(-1) ?? "";
        if (!INSPECT_TYPES.includes(type))
          throw new DockerError(`${JSON.stringify(type)} is not a valid value for --type`, 400, false);
        inspectCommand(io, format, refs, (ref) => inspectAny(daemon, ref, type));
        return undefined;
      }
    }
    switch (group) {
      default:
        io.err(`docker: '${group ?? ""}' is not a docker command.`);
        io.err("See 'docker --help'");
        io.exit(1);
        return undefined;
    }
  } catch (e) {
    if (e instanceof TemplateError) io.err(`template parsing error: ${e.message}`);
    else if (e instanceof DockerError) io.err(e.text);
    else throw e;
    // docker/cli's FlagErrorFunc: a bad flag on any command exits 125.
    const flagError = e instanceof DockerError && !e.daemon && (e instanceof FlagError || isPflagError(e));
    io.exit(flagError ? 125 : 1);
    return undefined;
  }
}

// ==== flags =================================================================================

/** Split `--flag=value` and take flags with values; returns the remaining words. */
function takeFlags(
  args: string[],
  spec: Record<string, "value" | "bool">,
  command: string,
): { flags: Map<string, string[]>; rest: string[] } {
  const flags = new Map<string, string[]>();
  const rest: string[] = [];
  for (let i = 0; i < args.length; i++) {
    const word = args[i] as string;
    if (!word.startsWith("-") || word === "-" || rest.length > 0) {
      rest.push(...args.slice(i));
      break;
    }
    const eq = word.indexOf("=");
    const name = eq > 0 && word.startsWith("--") ? word.slice(0, eq) : word;
    const kind = spec[name];
    if (kind === undefined) {
      const shown = name.startsWith("--") ? name.slice(2) : name.slice(1);
      throw new DockerError(
        // pflag: `unknown flag: --name`, `unknown shorthand flag: 'x' in -x`.
        `${name.startsWith("--") ? `unknown flag: ${name}` : `unknown shorthand flag: '${shown}' in ${name}`}\nSee 'docker ${command} --help'.`,
        400,
        false,
      );
    }
    // A boolean flag is "true", or what `--flag=value` says (parseBoolFlag reads it as pflag does).
    let value = kind === "bool" && eq > 0 && word.startsWith("--") ? word.slice(eq + 1) : "true";
    if (kind === "value") {
      if (eq > 0 && word.startsWith("--")) value = word.slice(eq + 1);
      else {
        const next = args[++i];
        if (next === undefined)
          throw new DockerError(
            `flag needs an argument: ${name}\nSee 'docker ${command} --help'.`,
            400,
            false,
          );
        value = next;
      }
    }
    const list = flags.get(name) ?? [];
    list.push(value);
    flags.set(name, list);
  }
  return { flags, rest };
}

const first = (flags: Map<string, string[]>, ...names: string[]) => {
  for (const n of names) {
    const v = flags.get(n);
    if (v) return v[v.length - 1];
  }
  return undefined;
};
const all = (flags: Map<string, string[]>, ...names: string[]) => names.flatMap((n) => flags.get(n) ?? []);

function keyValues(list: string[]): Record<string, string> {
  const out: Record<string, string> = {};
  for (const kv of list) {
    const eq = kv.indexOf("=");
    out[eq < 0 ? kv : kv.slice(0, eq)] = eq < 0 ? "" : kv.slice(eq + 1);
  }
  return out;
}

/** `docker network ls`'s table headers (cli/command/network/formatter.go); 27's list has no IPv4. */
function networkHeader(version: number): Record<string, unknown> {
  const h: Record<string, string> = {
    ID: "NETWORK ID",
    Name: "NAME",
    Driver: "DRIVER",
    Scope: "SCOPE",
    IPv4: "IPV4",
    IPv6: "IPV6",
    Internal: "INTERNAL",
    Labels: "LABELS",
    CreatedAt: "CREATED AT",
  };
  if (version < 28) delete h.IPv4;
  const header = goMap<unknown>(h);
  // SubHeaderContext.Label: a label's header is its last dotted part, `-` and `_` as spaces.
  Object.defineProperty(header, "Label", {
    value: (name: unknown) => (String(name).split(".").at(-1) ?? "").replace(/[-_]/g, " "),
  });
  return header;
}

/** Go's Time.String of an RFC 3339 UTC time: `2026-01-01 00:00:00.5 +0000 UTC`. */
function goTimeString(rfc3339: string): string {
  return rfc3339.replace("T", " ").replace(/Z$/, " +0000 UTC");
}

/**
 * One network as `docker network ls --format` sees it (networkContext: its methods; IPv4 from
 * 28). `{{json .}}` gives its MarshalJSON: the methods without arguments, keys sorted, HTML
 * characters escaped (json.Marshal).
 */
function networkListRow(n: Network, id: string, version: number): Record<string, unknown> {
  const labels = n.spec.labels;
  const row: Record<string, unknown> = {
    ID: id,
    Name: n.name,
    Driver: n.driver,
    Scope: "local",
    // EnableIPv4 and EnableIPv6 (the host and none networks have libnetwork's default IPv4, true).
    ...(version >= 28 ? { IPv4: String(!n.spec.ipv4Disabled) } : {}),
    IPv6: String(n.pool6 !== undefined),
    Internal: String(n.spec.internal),
    Labels: Object.keys(labels)
      .sort()
      .map((k) => `${k}=${labels[k]}`)
      .join(","),
    CreatedAt: goTimeString(n.created),
  };
  return listRow(row, (k) => labels[k] ?? "", "*network.networkContext");
}

/**
 * A row of a `--format`ted list: its fields, `.Label "k"`, and `{{json .}}` as docker/cli's
 * context marshals it (sorted keys); `goType` names the context in template errors.
 */
function listRow(
  row: Record<string, unknown>,
  label: (k: string) => string,
  goType: string,
): Record<string, unknown> {
  const json = goJsonEscaped(JSON.stringify(goMap(row)));
  Object.defineProperty(row, "Label", { value: (k: unknown) => label(String(k)) });
  Object.defineProperty(row, MARSHAL_JSON, { value: () => json });
  Object.defineProperty(row, GO_TYPE, { value: goType });
  return row;
}

/** Write a program's output (lines ending in newlines) line by line. */
function writeText(out: (line: string) => void, text: string): void {
  if (text === "") return;
  for (const l of text.replace(/\n$/, "").split("\n")) out(l);
}

/**
 * A list through a `--format` template, as docker/cli's formatter.Context writes it: `json` is
 * `{{json .}}`; a format starting with `table` loses that word and is a table (a header row from
 * the header map, and the rows through a tabwriter); spaces around are trimmed and `\t`, `\n`
 * typed out become a tab and a newline. Each row ends in a newline. Errors (parse or execution)
 * are "template parsing error: ..." and print nothing else.
 */
function formatList(format: string, rows: unknown[], header: unknown): string {
  const isTable = format.startsWith("table");
  let text = format === "json" ? "{{json .}}" : isTable ? format.slice(5) : format;
  text = text
    .replace(/^ +| +$/g, "")
    .replace(/\\t/g, "\t")
    .replace(/\\n/g, "\n");
  const t = parseTemplate(text);
  const body = rows.map((r) => `${runTemplate(t, r)}\n`).join("");
  if (!isTable) return body;
  // The header runs with functions that leave the header text alone; its errors are ignored.
  const head: string[] = [];
  try {
    runTemplate(t, header, { typed: true, funcs: HEADER_FUNCS }, head);
  } catch (e) {
    if (!(e instanceof TemplateError)) throw e;
  }
  return tabwriter(`${head.join("")}\n${body}`);
}

/**
 * Go's text/tabwriter as docker/cli sets it up (min width 10, padding 3, spaces): the cells of
 * consecutive lines that have a cell in a column are padded to the column's widest plus 3; text
 * after a line's last tab is not a cell.
 */
function tabwriter(text: string): string {
  const lines = text.split("\n").map((l) => l.split("\t"));
  const widths: number[] = [];
  const out: string[] = [];
  const write = (from: number, to: number) => {
    for (let i = from; i < to; i++) {
      const cells = lines[i] as string[];
      out.push(
        cells
          .map((c, j) => (j < widths.length && j < cells.length - 1 ? c.padEnd(widths[j] as number) : c))
          .join(""),
      );
    }
  };
  const format = (line0: number, line1: number) => {
    const column = widths.length;
    let start = line0;
    for (let i = line0; i < line1; i++) {
      if (column >= (lines[i] as string[]).length - 1) continue;
      write(start, i);
      start = i;
      let width = 10;
      for (; i < line1; i++) {
        const cells = lines[i] as string[];
        if (column >= cells.length - 1) break;
        width = Math.max(width, [...(cells[column] as string)].length + 3);
      }
      widths.push(width);
      format(start, i);
      widths.pop();
      start = i;
      i--;
    }
    write(start, line1);
  };
  format(0, lines.length);
  return out.join("\n");
}

/**
 * docker/cli's inspect (cli/command/inspect): no format or `json`: the objects as a JSON array
 * (indented, or compact) — `[]` when none was found; otherwise a template, parsed first (a parse
 * error exits 64 before anything is looked up) and run on each object as TemplateInspector does
 * (typed, then the raw JSON with missingkey=error), a line per object, an empty line when none
 * printed. Then the errors, one per line (exit 1).
 */
function inspectCommand(
  io: DockerIo,
  format: string | undefined,
  refs: string[],
  get: (ref: string) => unknown,
): void {
  const template =
    format === undefined || format === "" || format === "json" ? undefined : parseOrExit(io, format);
  if (template === null) return;
  const found: unknown[] = [];
  const errors: string[] = [];
  const lines: string[] = [];
  for (const ref of refs) {
    let obj: unknown;
    try {
      obj = get(ref);
    } catch (e) {
      if (!(e instanceof DockerError)) throw e;
      errors.push(e.text);
      continue;
    }
    found.push(obj);
    if (!template) continue;
    try {
      lines.push(inspectTemplate(template, obj));
    } catch (e) {
      if (!(e instanceof TemplateError)) throw e;
      errors.push(`template parsing error: ${e.message}`);
    }
  }
  if (template) writeText(io.out, lines.length === 0 ? "\n" : `${lines.join("\n")}\n`);
  else if (found.length === 0) io.out("[]");
  else writeText(io.out, goJsonEscaped(goJsonIndent(found, format === "json" ? undefined : 4)));
  for (const e of errors) writeText(io.err, e);
  io.exit(errors.length > 0 ? 1 : 0);
}

/** `docker inspect --type` values (system/inspect.go runInspect). */
const INSPECT_TYPES = [
  "",
  "container",
  "image",
  "node",
  "network",
  "service",
  "volume",
  "task",
  "plugin",
  "secret",
];

/**
 * docker inspect's inspectAll: the first kind of object that has `ref` (containers, then
 * networks: images, volumes and swarm objects are not modelled), skipping "not found" errors;
 * with --type only that kind, and its own error.
 */
function inspectAny(daemon: Daemon, ref: string, type: string): unknown {
  const kinds: [string, () => unknown][] = [
    ["container", () => containerResource(daemon.findContainer(ref), daemon)],
    ["network", () => networkResource(daemon.findNetwork(ref), daemon)],
  ];
  for (const [kind, get] of kinds) {
    if (type !== "" && kind !== type) continue;
    try {
      return get();
    } catch (e) {
      if (!(e instanceof DockerError) || type !== "" || e.status !== 404) throw e;
    }
  }
  throw new DockerError(`Error: No such object: ${ref}`, 404, false);
}

/** Parse an inspect template; on a parse error say so and exit 64 (null). */
function parseOrExit(io: DockerIo, format: string): Template | null {
  try {
    return parseTemplate(format);
  } catch (e) {
    if (!(e instanceof TemplateError)) throw e;
    io.err(`template parsing error: ${e.message}`);
    io.exit(64);
    return null;
  }
}

// ==== docker network =========================================================================

function networkCommand(daemon: Daemon, args: string[], io: DockerIo): void {
  const [verb, ...rest] = args;
  switch (verb) {
    case "create": {
      const version = daemon.options.engineVersion;
      // Everything pflag parses, whose errors exit 125 before the arguments are counted.
      const parsed = flagsOr125(io, () => {
        const { flags, rest: names } = takeFlags(
          rest,
          {
            "-d": "value",
            "--driver": "value",
            "--subnet": "value",
            "--gateway": "value",
            "--ip-range": "value",
            "--aux-address": "value",
            "-o": "value",
            "--opt": "value",
            "--label": "value",
            "--internal": "bool",
            "--attachable": "bool",
            "--ipam-driver": "value",
            "--ipam-opt": "value",
            "--ipv6": "bool",
            // --ipv4 (API EnableIPv4) came with 28: the 27 CLI does not know it.
            ...(version >= 28 ? { "--ipv4": "bool" as const } : {}),
            "--scope": "value",
            "--ingress": "bool",
            "--config-only": "bool",
            "--config-from": "value",
          },
          "network create",
        );
        const bools = Object.fromEntries(
          ["--internal", "--attachable", "--ipv6", "--ipv4", "--ingress", "--config-only"].map((f) => [
            f,
            parseBoolFlag(flags, f),
          ]),
        );
        const ipamFlags = parseIpamFlags(version, {
          subnets: commaList(all(flags, "--subnet")),
          ranges: commaList(all(flags, "--ip-range")),
          gateways: commaList(all(flags, "--gateway")),
          aux: Object.entries(keyValues(all(flags, "--aux-address"))),
        });
        return { flags, names, bools, ipamFlags };
      });
      if (!parsed) return;
      const { flags, names, bools } = parsed;
      if (names.length !== 1)
        throw new DockerError(
          `"docker network create" requires exactly 1 argument.\nSee 'docker network create --help'.\n\nUsage:  docker network create [OPTIONS] NETWORK\n\nCreate a network`,
          400,
          false,
        );
      // createIPAMConfig: every subnet (both families) with its gateway, range and aux addresses;
      // the daemon (getIpamConfig) splits them: IPv6 subnets to the IPv6 pool, the rest to IPv4.
      const ipamReqs = createIpamConfig(version, parsed.ipamFlags);
      const isV6 = (r: PoolRequest) => (r.subnet ?? "").includes(":");
      const req: NetworkCreate = {
        name: names[0] as string,
        driver: first(flags, "-d", "--driver") ?? "bridge",
        internal: bools["--internal"] === true,
        attachable: bools["--attachable"] === true,
        options: keyValues(all(flags, "-o", "--opt")),
        labels: keyValues(all(flags, "--label")),
        ipamOptions: keyValues(all(flags, "--ipam-opt")),
        ipam: ipamReqs.filter((r) => !isV6(r)),
      };
      req.ipamDriver = first(flags, "--ipam-driver") ?? "default";
      if (bools["--ipv4"] === false) req.ipv4Disabled = true;
      // Without --ipv6 the daemon skips IPv6 subnets (ValidateIPAM).
      if (bools["--ipv6"]) {
        const v6 = ipamReqs.filter(isV6);
        if (v6.length > 1) throw new DockerError("bridge driver doesn't support multiple subnets", 403);
        const [r6] = v6;
        req.ipv6 = {
          ...(r6?.subnet === undefined ? {} : { subnet: r6.subnet }),
          ...(r6?.gateway === undefined ? {} : { gateway: r6.gateway }),
          ...(r6?.ipRange === undefined ? {} : { ipRange: r6.ipRange }),
        };
      }
      if (bools["--ingress"])
        throw new DockerError(
          'This node is not a swarm manager. Use "docker swarm init" or "docker swarm join" to connect this node to swarm and try again.',
          403,
        );
      const scope = first(flags, "--scope");
      if (scope !== undefined && scope !== "local" && !bools["--config-only"])
        throw new DockerError(`dockwire: only local scope networks are modelled, not ${scope}`, 400, false);
      req.scope = scope ?? "";
      req.configOnly = bools["--config-only"] === true;
      const configFrom = first(flags, "--config-from");
      if (configFrom !== undefined) req.configFrom = configFrom;
      io.out(daemon.createNetwork(req).id);
      io.exit(0);
      return;
    }
    case "ls":
    case "list": {
      const parsed = flagsOr125(io, () => {
        const { flags } = takeFlags(
          rest,
          {
            "-q": "bool",
            "--quiet": "bool",
            "--no-trunc": "bool",
            "-f": "value",
            "--filter": "value",
            "--format": "value",
          },
          "network ls",
        );
        return { flags, args: FilterArgs.parse(all(flags, "-f", "--filter"), "-f, --filter", "network ls") };
      });
      if (!parsed) return;
      const { flags, args } = parsed;
      const filter = networkListFilter(args);
      // runList: sortorder.NaturalLess by name.
      const nets = [...daemon.networks.values()]
        .filter(filter)
        .sort((a, b) => (naturalLess(a.name, b.name) ? -1 : naturalLess(b.name, a.name) ? 1 : 0));
      const id = (full: string) => (flags.has("--no-trunc") ? full : full.slice(0, 12));
      const quiet = flags.has("-q") || flags.has("--quiet");
      let format = flags.get("--format")?.at(-1) ?? "";
      if (format === "") format = "table";
      // newFormat: `table` and `raw` are the command's own formats (-q: the ids only).
      if (format === "table")
        format = quiet ? "{{.ID}}" : "table {{.ID}}\t{{.Name}}\t{{.Driver}}\t{{.Scope}}";
      else if (format === "raw")
        format = quiet
          ? "network_id: {{.ID}}"
          : "network_id: {{.ID}}\\nname: {{.Name}}\\ndriver: {{.Driver}}\\nscope: {{.Scope}}\\n";
      const version = daemon.options.engineVersion;
      writeText(
        io.out,
        formatList(
          format,
          nets.map((n) => networkListRow(n, id(n.id), version)),
          networkHeader(version),
        ),
      );
      io.exit(0);
      return;
    }
    case "inspect": {
      const { flags, rest: refs } = takeFlags(
        rest,
        { "-f": "value", "--format": "value", "-v": "bool", "--verbose": "bool" },
        "network inspect",
      );
      const format = flags.get("-f")?.at(-1) ?? flags.get("--format")?.at(-1);
      inspectCommand(io, format, refs, (ref) => networkResource(daemon.findNetwork(ref), daemon));
      return;
    }
    case "rm":
    case "remove": {
      // -f: a network that is not there is skipped without a word (runRemove).
      const { flags, rest: names } = takeFlags(rest, { "-f": "bool", "--force": "bool" }, "network rm");
      const force = flags.has("-f") || flags.has("--force");
      const present = force ? names.filter((ref) => daemon.hasNetwork(ref)) : names;
      if (force && present.length === 0) {
        io.exit(0);
        return;
      }
      eachRef(present, io, (ref) => daemon.removeNetwork(ref));
      return;
    }
    case "connect":
    case "disconnect": {
      const { flags, rest: words } = takeFlags(
        rest,
        verb === "connect"
          ? {
              "--ip": "value",
              "--ip6": "value",
              "--alias": "value",
              "--link": "value",
              "--driver-opt": "value",
              ...(daemon.options.engineVersion >= 28 ? { "--gw-priority": "value" } : {}),
            }
          : { "-f": "bool", "--force": "bool" },
        `network ${verb}`,
      );
      if (words.length !== 2)
        throw new DockerError(
          `"docker network ${verb}" requires exactly 2 arguments.\nSee 'docker network ${verb} --help'.\n\nUsage:  docker network ${verb} [OPTIONS] NETWORK CONTAINER\n\n${verb === "connect" ? "Connect a container to a network" : "Disconnect a container from a network"}`,
          400,
          false,
        );
      const n = daemon.findNetwork(words[0] as string);
      const c = daemon.findContainer(words[1] as string);
      if (verb === "connect") {
        const ipText = first(flags, "--ip");
        const ip6 = parseIp6Flag(first(flags, "--ip6"));
        const links = all(flags, "--link").map((l) => {
          const [name = "", alias] = l.split(":");
          return [name, alias ?? name] as [string, string];
        });
        const priority = first(flags, "--gw-priority");
        if (priority !== undefined && !/^-?\d+$/.test(priority))
          throw new DockerError(
            `invalid argument "${priority}" for "--gw-priority" flag: strconv.ParseInt: parsing ${JSON.stringify(priority)}: invalid syntax`,
            400,
            false,
          );
        daemon.connect(c, n, {
          ip: ipText === undefined ? 0 : DaemonClass.parseIp(ipText),
          ...(ip6 ? { ip6 } : {}),
          aliases: all(flags, "--alias"),
          ...(links.length > 0 ? { links } : {}),
          ...(flags.has("--driver-opt") ? { driverOpts: keyValues(all(flags, "--driver-opt")) } : {}),
          ...(priority !== undefined ? { gwPriority: Number(priority) } : {}),
        });
      } else daemon.disconnect(c, n);
      io.exit(0);
      return;
    }
    case "prune": {
      const parsed = flagsOr125(io, () => {
        const { flags } = takeFlags(
          rest,
          { "-f": "bool", "--force": "bool", "--filter": "value" },
          "network prune",
        );
        return { flags, args: FilterArgs.parse(all(flags, "--filter"), "--filter", "network prune") };
      });
      if (!parsed) return;
      const { flags, args } = parsed;
      if (!flags.has("-f") && !flags.has("--force")) {
        // The prompt reads no answer (no terminal): cancelled, which the CLI exits 0 on.
        io.out("WARNING! This will remove all custom networks not used by at least one container.");
        io.out("Are you sure you want to continue? [y/N] ");
        io.exit(0);
        return;
      }
      // The daemon checks the filters, then removes what matches.
      const prunable = networkPruneFilter(args, io.sim.now);
      const gone = [...daemon.networks.values()].filter(prunable);
      const deleted: string[] = [];
      for (const n of gone.sort((a, b) => (a.name < b.name ? -1 : 1))) {
        daemon.removeNetwork(n.id);
        deleted.push(n.name);
      }
      // "Deleted Networks:\n" and a line per name, printed with Fprintln: an empty line after.
      if (deleted.length > 0) for (const l of ["Deleted Networks:", ...deleted, ""]) io.out(l);
      io.exit(0);
      return;
    }
    default:
      throw new DockerError(
        `docker: '${verb ?? ""}' is not a docker command.\nSee 'docker --help'`,
        400,
        false,
      );
  }
}

/** docker/cli's FlagErrorFunc: a flag error (pflag's or a FlagError) prints and exits 125. */
function flagsOr125<T>(io: DockerIo, parse: () => T): T | undefined {
  try {
    return parse();
  } catch (e) {
    if (!(e instanceof DockerError) || e.daemon || !(e instanceof FlagError || isPflagError(e))) throw e;
    io.err(e.text);
    io.exit(125);
    return undefined;
  }
}

function isPflagError(e: DockerError): boolean {
  return /^(unknown flag|unknown shorthand flag|flag needs an argument)/.test(e.message);
}

/** A boolean flag's value as pflag's ParseBool reads `--flag=value`; undefined when not given. */
function parseBoolFlag(flags: Map<string, string[]>, name: string): boolean | undefined {
  const text = flags.get(name)?.at(-1);
  if (text === undefined) return undefined;
  const v = parseGoBool(text);
  if (v === undefined)
    throw new FlagError(
      `invalid argument "${text}" for "${name}" flag: strconv.ParseBool: parsing ${JSON.stringify(text)}: invalid syntax`,
      "network create",
    );
  return v;
}

/** --ip6: an IPv6 address, or the CLI's error. */
function parseIp6Flag(text: string | undefined): Uint8Array | undefined {
  if (text === undefined) return undefined;
  const a = parseIpv6(text);
  if (!a)
    throw new DockerError(
      `invalid argument "${text}" for "--ip6" flag: invalid string being converted to IP address: ${text}`,
      400,
      false,
    );
  return a;
}

// ==== docker run / create ==================================================================

const RUN_FLAGS: Record<string, "value" | "bool"> = {
  "-d": "bool",
  "--detach": "bool",
  "--name": "value",
  "--network": "value",
  "--net": "value",
  "-p": "value",
  "--publish": "value",
  "-P": "bool",
  "--publish-all": "bool",
  "--ip": "value",
  "--ip6": "value",
  "-h": "value",
  "--hostname": "value",
  "--mac-address": "value",
  "-e": "value",
  "--env": "value",
  "--network-alias": "value",
  "--rm": "bool",
  "--dns": "value",
  "--dns-search": "value",
  "--dns-opt": "value",
  "--dns-option": "value",
  "--add-host": "value",
  "--sysctl": "value",
  "--link": "value",
  "-i": "bool",
  "-t": "bool",
  "-it": "bool",
};

/**
 * One --sysctl KEY=VALUE as the CLI's opts.ValidateSysctl takes it: the namespaced kernel
 * settings only (net.*, kernel.msg*, kernel.sem*, kernel.shm*, fs.mqueue.*).
 */
function parseSysctlFlag(text: string): [string, string] {
  const at = text.indexOf("=");
  const key = at < 0 ? "" : text.slice(0, at);
  const allowed = ["net.", "fs.mqueue.", "kernel.msg", "kernel.sem", "kernel.shm"].some((p) =>
    key.startsWith(p),
  );
  if (!allowed)
    throw new DockerError(
      `invalid argument "${text}" for "--sysctl" flag: sysctl '${text}' is not allowed`,
      400,
      false,
    );
  return [key, text.slice(at + 1)];
}

/** One -p spec: [[ip:]hostPort[-end]:]containerPort[/proto]; an IPv6 ip in brackets. */
function parsePublish(spec: string): PortRequest {
  const [body = "", proto = "tcp"] = spec.split("/");
  if (proto !== "tcp" && proto !== "udp") throw new DockerError(`invalid proto: ${proto}`, 400, false);
  const bracketed = /^\[([^\]]*)\]:(.*)$/.exec(body);
  const parts = (bracketed ? (bracketed[2] as string) : body).split(":");
  const containerPort = Number(parts.pop());
  const hostPortText = parts.pop() ?? "";
  const hostIp = bracketed ? (bracketed[1] as string) : parts.join(":");
  const hostPort = hostPortText === "" ? 0 : Number(hostPortText);
  if (!Number.isInteger(containerPort) || containerPort < 1 || containerPort > 65535)
    throw new DockerError(`invalid containerPort: ${body.split(":").pop()}`, 400, false);
  if (!Number.isInteger(hostPort) || hostPort < 0 || hostPort > 65535)
    throw new DockerError(`invalid hostPort: ${hostPortText}`, 400, false);
  return { proto, containerPort, hostIp, hostPort };
}

function runCommand(
  daemon: Daemon,
  args: string[],
  io: DockerIo,
  start: boolean,
): RunningProcess | undefined {
  const command = start ? "run" : "create";
  let parsed: ReturnType<typeof takeFlags>;
  try {
    parsed = takeFlags(args, RUN_FLAGS, command);
  } catch (e) {
    if (!(e instanceof DockerError)) throw e;
    io.err(e.message);
    io.exit(125);
    return undefined;
  }
  const { flags, rest } = parsed;
  const [imageRef, ...cmd] = rest;
  const fail = (message: string, status = 125) => {
    io.err(`docker: ${message.replace(/\.$/, "")}.`);
    io.err(`See 'docker ${command} --help'.`);
    io.exit(status);
    return undefined;
  };
  if (imageRef === undefined) return fail(`"docker ${command}" requires at least 1 argument`);
  const image = findImage(imageRef);
  if (!image) {
    for (const l of missingImageText(imageRef)) io.err(l);
    io.exit(125);
    return undefined;
  }
  let c: Container;
  try {
    const ports = all(flags, "-p", "--publish").map(parsePublish);
    if (flags.has("-P") || flags.has("--publish-all"))
      for (const e of image.exposed)
        if (!ports.some((p) => p.containerPort === e.port && p.proto === e.proto))
          ports.push({ proto: e.proto, containerPort: e.port, hostIp: "", hostPort: 0 });
    const ipText = first(flags, "--ip");
    const macText = first(flags, "--mac-address");
    const mac = macText === undefined ? 0 : parseMac(macText);
    if (mac === undefined)
      throw new DockerError(`invalid argument "${macText}" for "--mac-address" flag`, 400, false);
    c = daemon.createContainer({
      name: first(flags, "--name"),
      image: imageRef,
      command: cmd.length > 0 ? cmd : image.command,
      hostname: first(flags, "-h", "--hostname"),
      network: first(flags, "--network", "--net") ?? "bridge",
      ip: ipText === undefined ? 0 : DaemonClass.parseIp(ipText),
      ...(flags.has("--ip6") ? { ip6: parseIp6Flag(first(flags, "--ip6")) as Uint8Array } : {}),
      aliases: all(flags, "--network-alias"),
      ports,
      macAddress: mac,
      options: {
        autoRemove: flags.has("--rm"),
        publishAll: flags.has("-P") || flags.has("--publish-all"),
        attach: !(flags.has("-d") || flags.has("--detach")),
      },
      // -e NAME=value, or -e NAME (from the CLI's environment: empty here, so NAME stays bare and
      // unsets the variable in the process).
      env: mergeImageEnv(all(flags, "-e", "--env"), image.env),
      sysctls: all(flags, "--sysctl").map(parseSysctlFlag),
      dns: {
        servers: all(flags, "--dns"),
        search: all(flags, "--dns-search"),
        options: all(flags, "--dns-opt", "--dns-option"),
        extraHosts: all(flags, "--add-host").map((h) => {
          const sep = h.includes("=") ? "=" : ":";
          const at = h.indexOf(sep);
          if (at < 0) throw new DockerError(`bad format for add-host: "${h}"`, 400, false);
          return [h.slice(0, at), h.slice(at + 1)] as [string, string];
        }),
        links: all(flags, "--link").map((l) => {
          const [name = "", alias] = l.split(":");
          return [name, alias ?? name] as [string, string];
        }),
      },
    });
  } catch (e) {
    if (!(e instanceof DockerError)) throw e;
    return fail(e.text);
  }
  if (c.networkMode === "host" && all(flags, "-p", "--publish").length + (flags.has("-P") ? 1 : 0) > 0)
    io.err("WARNING: Published ports are discarded when using host network mode");
  if (!start) {
    io.out(c.id);
    io.exit(0);
    return undefined;
  }
  const detach = flags.has("-d") || flags.has("--detach");
  const removeAfter = flags.has("--rm");
  try {
    startContainer(
      daemon,
      c,
      io,
      (status) => {
        if (removeAfter && daemon.containers.has(c.id)) daemon.removeContainer(c, true);
        if (!detach) io.exit(status);
      },
      !detach,
    );
  } catch (e) {
    if (!(e instanceof DockerError)) throw e;
    return fail(e.text);
  }
  if (detach) {
    io.out(c.id);
    io.exit(0);
    return undefined;
  }
  return { interrupt: () => daemon.stopContainer(c, 130) };
}

/**
 * Start the container and its main program; `ended(status)` when the program ends (the
 * container stops then).
 */
function startContainer(
  daemon: Daemon,
  c: Container,
  io: DockerIo,
  ended: (status: number) => void,
  attached = false,
): void {
  const ns = daemon.startContainer(c);
  const finish = (status: number) => {
    if (c.state === "running") daemon.stopContainer(c, status);
    ended(status);
  };
  // The main program's output goes to the container's log (`docker logs`), and to the terminal
  // too when `docker run` is attached.
  const log = (line: string) => {
    c.logs.push(line);
    if (attached) io.out(line);
  };
  c.process = containerProgram(c, c.command, ns, io, finish, log);
}

/** The programs a container runs: sh (ends at once), sleep, or anything the scenario knows. */
function containerProgram(
  c: Container,
  words: string[],
  ns: NetNamespace,
  io: DockerIo,
  done: (status: number) => void,
  output: (line: string) => void = io.out,
): RunningProcess | undefined {
  const [cmd, arg] = words;
  const files = c.files ?? ns.files;
  if (cmd === "hostname" || cmd === "cat") {
    // The container's own files (a --network host container has copies of the host's).
    let status = 0;
    if (cmd === "hostname") output(c.hostname);
    for (const path of cmd === "cat" ? words.slice(1) : []) {
      const content = files.get(path);
      if (content === undefined) {
        io.err(`cat: can't open '${path}': No such file or directory`);
        status = 1;
      } else for (const l of content.split("\n").slice(0, content.endsWith("\n") ? -1 : undefined)) output(l);
    }
    io.sim.scheduleAfter(0, () => done(status));
    return undefined;
  }
  if (cmd === "env" || cmd === "printenv") {
    // The container's process environment; printenv NAME prints one value (exit 1 when unset).
    const env = processEnvironment(c.hostname, c.linkEnv, c.env);
    const names = words.slice(1);
    const shown =
      cmd === "env" || names.length === 0
        ? env
        : names.flatMap((n) => env.filter((e) => e.startsWith(`${n}=`)).map((e) => e.slice(n.length + 1)));
    for (const l of shown) output(l);
    io.sim.scheduleAfter(0, () => done(cmd === "printenv" && names.length > shown.length ? 1 : 0));
    return undefined;
  }
  if (cmd === "sh" || cmd === "/bin/sh" || cmd === "true") {
    io.sim.scheduleAfter(0, () => done(0));
    return undefined;
  }
  if (cmd === "sleep") {
    const ev =
      arg === "infinity" ? undefined : io.sim.scheduleAfter(Math.round(Number(arg) * SECOND), () => done(0));
    return {
      interrupt: () => {
        if (ev) io.sim.cancel(ev);
      },
    };
  }
  // alpine and busybox: ping is busybox's applet (its own text; wget and nslookup are busybox's anyway).
  const applet = cmd === "ping" && findImage(c.image)?.busybox === true;
  return io.spawn(applet ? ["busybox", ...words] : words, ns, done, output);
}

function lifecycle(daemon: Daemon, verb: string, args: string[], io: DockerIo): void {
  const { flags, rest } = takeFlags(args, verb === "rm" ? { "-f": "bool", "--force": "bool" } : {}, verb);
  eachRef(rest, io, (ref) => {
    const c = daemon.findContainer(ref);
    if (verb === "start" && c.state !== "running") startContainer(daemon, c, io, () => {});
    if (verb === "rm") daemon.removeContainer(c, flags.has("-f") || flags.has("--force"));
  });
}

/**
 * `docker stop|restart [-t SECONDS] C…` (containerStop): the stop signal, then SIGKILL after the
 * timeout (10 s). A server that handles the signal (nginx, httpd) exits at once with 0; any
 * other main program runs as PID 1, which ignores a signal it has no handler for, so it is killed
 * when the time is up (exit 137) and the command waits that long. Each name is printed as its
 * container is done (restart: started again).
 */
function stopCommand(daemon: Daemon, verb: string, args: string[], io: DockerIo): RunningProcess | undefined {
  const { flags, rest } = takeFlags(args, { "-t": "value", "--time": "value", "--timeout": "value" }, verb);
  const timeText = first(flags, "-t", "--time", "--timeout");
  const timeout = timeText === undefined ? 10 : Number(timeText);
  if (!Number.isInteger(timeout))
    throw new DockerError(
      `invalid argument "${timeText}" for "-t, --time" flag: strconv.ParseInt: parsing "${timeText}": invalid syntax\nSee 'docker ${verb} --help'.`,
      400,
      false,
    );
  let status = 0;
  let pending = rest.length;
  const done = (ref: string, error?: string) => {
    if (error === undefined) io.out(ref);
    else {
      status = 1;
      io.err(error);
    }
    if (--pending === 0) io.exit(status);
  };
  const finish = (ref: string, c: Container) => {
    try {
      if (verb === "restart") startContainer(daemon, c, io, () => {});
      done(ref);
    } catch (e) {
      if (!(e instanceof DockerError)) throw e;
      done(ref, e.text);
    }
  };
  for (const ref of rest) {
    let c: Container;
    try {
      c = daemon.findContainer(ref);
    } catch (e) {
      if (!(e instanceof DockerError)) throw e;
      done(ref, e.text);
      continue;
    }
    if (c.state !== "running") finish(ref, c);
    else if (timeout >= 0 && daemon.handlesStopSignal(c)) {
      daemon.stopContainer(c, 0);
      finish(ref, c);
    } else {
      const wait = Math.max(0, timeout) * SECOND;
      const target = c;
      const kill = () => {
        daemon.stopContainer(target, 137);
        finish(ref, target);
      };
      if (wait === 0) kill();
      else io.sim.scheduleAfter(wait, kill);
    }
  }
  if (rest.length === 0) {
    io.err(`"docker ${verb}" requires at least 1 argument.\nSee 'docker ${verb} --help'.`);
    io.exit(1);
  }
  return pending > 0 ? { interrupt: () => {} } : undefined;
}

/**
 * Act on each name given (`docker rm a b`, `docker network rm n1 n2`): the name printed when it
 * worked, Docker's error when not, and on to the next; exit 1 if any failed.
 */
function eachRef(refs: string[], io: DockerIo, act: (ref: string) => void): void {
  let status = 0;
  for (const ref of refs) {
    try {
      act(ref);
      io.out(ref);
    } catch (e) {
      if (!(e instanceof DockerError)) throw e;
      status = 1;
      io.err(e.text);
    }
  }
  io.exit(status);
}

function execCommand(daemon: Daemon, args: string[], io: DockerIo): RunningProcess | undefined {
  const { rest } = takeFlags(args, { "-i": "bool", "-t": "bool", "-it": "bool", "-d": "bool" }, "exec");
  const [ref = "", ...words] = rest;
  const c = daemon.findContainer(ref);
  if (c.state !== "running" || !c.sandbox) throw new DockerError(`container ${c.id} is not running`, 409);
  if (words.length === 0)
    throw new DockerError(
      `"docker exec" requires at least 2 arguments.\nSee 'docker exec --help'.`,
      400,
      false,
    );
  const running = containerProgram(c, words, c.sandbox, io, (status) => io.exit(status));
  return running;
}

/**
 * `docker port C [PRIVATE_PORT[/PROTO]]` as docker/cli's runPort: every mapping as `80/tcp ->
 * 0.0.0.0:8080`, or for one port only the host side (`0.0.0.0:8080`, one line per binding), the
 * lines in natural order (sortorder.NaturalLess: 53/udp before 80/tcp before 443/tcp). The CLI's
 * own errors: `Error: No public port '81' published for web` as typed (29: `no public port …`),
 * and a port that is no number refused before any lookup.
 */
function portCommand(daemon: Daemon, args: string[], io: DockerIo): void {
  const [ref = "", filter] = args;
  const c = daemon.findContainer(ref);
  const v29 = daemon.options.engineVersion >= 29;
  const map = c.state === "running" ? portMap(c) : {};
  let lines: string[];
  if (filter !== undefined) {
    const cut = filter.indexOf("/");
    const port = cut < 0 ? filter : filter.slice(0, cut);
    const proto = cut < 0 || cut === filter.length - 1 ? "tcp" : filter.slice(cut + 1);
    if (!/^\d+$/.test(port) || Number(port) > 65535) {
      // v27/28: strconv.ParseUint's error wrapped; 29: network.ParsePort's.
      const why =
        port === "" && v29 ? "value is empty" : /^\d+$/.test(port) ? "value out of range" : "invalid syntax";
      throw new DockerError(
        v29
          ? `invalid port '${port}': ${why}`
          : `Error: invalid port (${port}): strconv.ParseUint: parsing ${JSON.stringify(port)}: ${why}`,
        400,
        false,
      );
    }
    // 29 parses the port (80/TCP is 80/tcp); before, the text is the map key as typed.
    const key = v29 ? `${Number(port)}/${proto.toLowerCase()}` : `${port}/${proto}`;
    const frontends = map[key] ?? [];
    if (frontends.length === 0)
      throw new DockerError(
        `${v29 ? "no" : "Error: No"} public port '${filter}' published for ${ref}`,
        404,
        false,
      );
    lines = frontends.map((f) => joinHostPort(f.HostIp, f.HostPort));
  } else {
    lines = Object.entries(map).flatMap(([key, frontends]) =>
      (frontends ?? []).map((f) => `${key} -> ${joinHostPort(f.HostIp, f.HostPort)}`),
    );
  }
  lines.sort((a, b) => (naturalLess(a, b) ? -1 : naturalLess(b, a) ? 1 : 0));
  for (const l of lines) io.out(l);
  io.exit(0);
}

/**
 * The PORTS column as docker/cli's formatter.DisplayablePorts writes it from the container list's
 * ports (one per binding, or the bare exposed port when nothing is published): sorted by private
 * port, IP, public port and protocol; a port published on the same host port grouped into ranges
 * (`0.0.0.0:80-81->80-81/tcp`, before 28 without brackets for IPv6: `:::80->80/tcp`), unpublished
 * ones too (`80/tcp`), then the mappings to other host ports. Stopped containers have none.
 */
function displayablePorts(c: Container, engineVersion: number): string {
  if (c.state !== "running") return "";
  type Port = { privatePort: number; publicPort: number; type: string; ip: string };
  const list: Port[] = [];
  for (const [key, bindings] of Object.entries(portMap(c))) {
    const [priv = "0", type = "tcp"] = key.split("/");
    if (bindings === null || bindings.length === 0)
      list.push({ privatePort: Number(priv), publicPort: 0, type, ip: "" });
    // nat.ParsePort("") is 0: a routed binding shows as host port 0.
    for (const b of bindings ?? [])
      list.push({ privatePort: Number(priv), publicPort: Number(b.HostPort || 0), type, ip: b.HostIp });
  }
  list.sort((i, j) =>
    i.privatePort !== j.privatePort
      ? i.privatePort - j.privatePort
      : i.ip !== j.ip
        ? i.ip < j.ip
          ? -1
          : 1
        : i.publicPort !== j.publicPort
          ? i.publicPort - j.publicPort
          : i.type < j.type
            ? -1
            : i.type > j.type
              ? 1
              : 0,
  );
  const groups = new Map<string, { first: number; last: number }>();
  const result: string[] = [];
  const hostMappings: string[] = [];
  const formGroup = (key: string, first: number, last: number): string => {
    const cut = key.lastIndexOf("/");
    const ip = cut < 0 ? "" : key.slice(0, cut);
    const type = key.slice(cut + 1);
    let group = first === last ? `${first}` : `${first}-${last}`;
    if (ip !== "") group = `${engineVersion >= 28 ? joinHostPort(ip, group) : `${ip}:${group}`}->${group}`;
    return `${group}/${type}`;
  };
  for (const p of list) {
    let key = p.type;
    if (p.ip !== "") {
      if (p.publicPort !== p.privatePort) {
        hostMappings.push(`${joinHostPort(p.ip, p.publicPort)}->${p.privatePort}/${p.type}`);
        continue;
      }
      key = `${p.ip}/${p.type}`;
    }
    const g = groups.get(key);
    if (!g) groups.set(key, { first: p.privatePort, last: p.privatePort });
    else if (p.privatePort === g.last + 1) g.last = p.privatePort;
    else {
      result.push(formGroup(key, g.first, g.last));
      // Go's map keeps the key's first insertion place; only its range starts again.
      g.first = p.privatePort;
      g.last = p.privatePort;
    }
  }
  for (const [key, g] of groups) result.push(formGroup(key, g.first, g.last));
  return [...result, ...hostMappings].join(", ");
}

/**
 * `docker ps [-a] [-q] [-n N] [-l] [--no-trunc] [-f KEY=VALUE]… [--format TEMPLATE|table …|json]`
 * as docker/cli's container list: newest first, the default table's columns, the container
 * context's fields for --format (ID, Image, Command, CreatedAt, RunningFor, Ports, State, Status,
 * Size, Names, Labels, Label, Mounts, Networks, LocalVolumes) and the daemon's filters name, id,
 * status, network, ancestor (with its `invalid filter` error). Deviation: sizes are 0B.
 */
function psCommand(daemon: Daemon, args: string[], io: DockerIo): void {
  const parsed = flagsOr125(io, () => {
    const { flags } = takeFlags(
      args,
      {
        "-a": "bool",
        "--all": "bool",
        "-q": "bool",
        "--quiet": "bool",
        "-l": "bool",
        "--latest": "bool",
        "-n": "value",
        "--last": "value",
        "--no-trunc": "bool",
        "-f": "value",
        "--filter": "value",
        "--format": "value",
      },
      "ps",
    );
    return { flags, filters: FilterArgs.parse(all(flags, "-f", "--filter"), "-f, --filter", "ps") };
  });
  if (!parsed) return;
  const { flags, filters } = parsed;
  filters.validate(["name", "id", "status", "network", "ancestor"]);
  const statuses = ["created", "restarting", "running", "removing", "paused", "exited", "dead"];
  for (const st of filters.get("status"))
    if (!statuses.includes(st)) throw new DockerError(`invalid filter 'status=${st}'`, 400);
  const last = Number(first(flags, "-n", "--last") ?? (flags.has("-l") || flags.has("--latest") ? 1 : -1));
  const everything = flags.has("-a") || flags.has("--all") || last > 0 || filters.contains("status");
  let list = [...daemon.containers.values()]
    .filter((c) => everything || c.state === "running")
    .filter(
      (c) =>
        filters.match("name", c.name) &&
        (filters.get("id").length === 0 || filters.get("id").some((p) => c.id.startsWith(p))) &&
        filters.exactMatch("status", c.state) &&
        filters.exactMatch("ancestor", c.image) &&
        (filters.get("network").length === 0 ||
          c.endpoints.some((e) =>
            filters.get("network").some((v) => v === e.network.name || e.network.id.startsWith(v)),
          )),
    )
    .reverse();
  if (last > 0) list = list.slice(0, last);
  const trunc = !flags.has("--no-trunc");
  const quiet = flags.has("-q") || flags.has("--quiet");
  let format = first(flags, "--format") ?? "";
  if (format === "" || format === "table")
    format = quiet
      ? "{{.ID}}"
      : "table {{.ID}}\t{{.Image}}\t{{.Command}}\t{{.RunningFor}}\t{{.Status}}\t{{.Ports}}\t{{.Names}}";
  const now = io.sim.now;
  const version = daemon.options.engineVersion;
  const rows = list.map((c) => containerListRow(c, now, trunc, version));
  writeText(io.out, formatList(format, rows, CONTAINER_HEADER));
  io.exit(0);
}

/** docker/cli's containerContext header names. */
const CONTAINER_HEADER = goMap<unknown>({
  ID: "CONTAINER ID",
  Image: "IMAGE",
  Command: "COMMAND",
  CreatedAt: "CREATED AT",
  RunningFor: "CREATED",
  Ports: "PORTS",
  State: "STATE",
  Status: "STATUS",
  Size: "SIZE",
  Names: "NAMES",
  Labels: "LABELS",
  Mounts: "MOUNTS",
  Networks: "NETWORKS",
  LocalVolumes: "LOCAL VOLUMES",
});

/** One container as docker/cli's containerContext shows it. */
function containerListRow(
  c: Container,
  now: number,
  trunc: boolean,
  version: number,
): Record<string, unknown> {
  const command = c.command.join(" ");
  const status =
    c.state === "running"
      ? `Up ${duration(now - instant(c.startedAt))}`
      : c.state === "created"
        ? "Created"
        : `Exited (${c.exitCode}) ${ago(now - instant(c.finishedAt))}`;
  const row: Record<string, unknown> = {
    Command: JSON.stringify(
      trunc && [...command].length > 20 ? `${[...command].slice(0, 19).join("")}…` : command,
    ),
    CreatedAt: goTimeString(c.created).replace(/\.\d+ /, " "),
    ID: trunc ? c.shortId : c.id,
    Image: c.image,
    Labels: "",
    LocalVolumes: "0",
    Mounts: "",
    Names: c.name,
    Networks:
      c.networkMode === "host" || c.networkMode === "none"
        ? c.networkMode
        : [...c.networks.keys()].sort().join(","),
    Ports: displayablePorts(c, version),
    RunningFor: ago(now - instant(c.created)),
    Size: "0B",
    State: c.state,
    Status: status,
  };
  return listRow(row, () => "", "*formatter.ContainerContext");
}

/** A time of the simulated day (RFC 3339) as simulated nanoseconds. */
function instant(rfc3339: string): number {
  const m = /T(\d\d):(\d\d):(\d\d)(?:\.(\d+))?Z$/.exec(rfc3339);
  if (!m) return 0;
  const [, h, mi, s, frac = ""] = m;
  return ((Number(h) * 60 + Number(mi)) * 60 + Number(s)) * SECOND + Number(frac.padEnd(9, "0"));
}

/** go-units HumanDuration. */
function duration(ns: number): string {
  const s = Math.floor(ns / SECOND);
  if (s < 1) return "Less than a second";
  if (s === 1) return "1 second";
  if (s < 60) return `${s} seconds`;
  const m = Math.floor(s / 60);
  if (m === 1) return "About a minute";
  if (m < 60) return `${m} minutes`;
  const h = Math.round(s / 3600);
  return h === 1 ? "About an hour" : `${h} hours`;
}

function ago(ns: number): string {
  return `${duration(ns)} ago`;
}
