/**
 * `dockerd [OPTIONS]`: starts the Docker daemon of the namespace it runs in (that namespace becomes a
 * docker host) with the networking options of dockerd 27 (`--bip`, `--fixed-cidr`, `--mtu`,
 * `--icc`, `--ip-forward`, `--iptables`, `--ip-masq`, `--userland-proxy`, `--ip`,
 * `--default-address-pool base=CIDR,size=N`, `--dns`, `--default-gateway`), booleans as
 * `--flag=false`, and dockwire's
 * `--engine-version 27|28[.N]|29` (which Docker Engine to model: 27's classic rules and IP-derived MACs,
 * or 28's/29's DOCKER-FORWARD layout, raw drops, random MACs and lowest free eth<N>). It returns at once, as
 * if started in the background; a namespace whose daemon already runs (a `docker` command there
 * starts one with the defaults) refuses a second. Deviation: no log output, no daemon.json.
 */

import type { Host } from "../kernel/host.js";
import type { NetNamespace } from "../kernel/namespace.js";
import { DAEMON_DEFAULTS, Daemon, type DaemonOptions } from "./daemon.js";
import { DockerError } from "./docker-error.js";
import type { NetworkDriverPlugin } from "./remote-driver.js";

const BOOLS: Record<string, keyof DaemonOptions> = {
  "--icc": "icc",
  "--ip-forward": "ipForward",
  "--iptables": "iptables",
  "--ip6tables": "ip6tables",
  "--ip-masq": "ipMasq",
  "--userland-proxy": "userlandProxy",
  "--ipv6": "ipv6",
};

export function parseDaemonOptions(args: string[]): DaemonOptions {
  const o: DaemonOptions = { ...DAEMON_DEFAULTS };
  const pools: { base: string; size: number }[] = [];
  for (let i = 0; i < args.length; i++) {
    const word = args[i] as string;
    const eq = word.indexOf("=");
    const flag = eq > 0 ? word.slice(0, eq) : word;
    const inline = eq > 0 ? word.slice(eq + 1) : undefined;
    const bool = BOOLS[flag];
    if (bool) {
      if (inline !== undefined && inline !== "true" && inline !== "false")
        throw new DockerError(
          `invalid argument "${inline}" for "${flag}" flag: strconv.ParseBool: parsing "${inline}": invalid syntax`,
          400,
          false,
        );
      (o as unknown as Record<string, unknown>)[bool] = inline !== "false";
      continue;
    }
    const value = inline ?? args[++i];
    if (value === undefined) throw new DockerError(`flag needs an argument: ${flag}`, 400, false);
    if (flag === "--bip") o.bip = value;
    else if (flag === "--fixed-cidr") o.fixedCidr = value;
    else if (flag === "--mtu") o.mtu = Number(value);
    else if (flag === "--ip") o.ip = value;
    else if (flag === "--dns") o.dns = [...(o.dns ?? []), value];
    else if (flag === "--default-gateway") o.defaultGateway = value;
    else if (flag === "--fixed-cidr-v6") o.fixedCidrV6 = value;
    else if (flag === "--default-gateway-v6" || flag === "--bip6")
      throw new DockerError(`dockwire: ${flag} is not modelled`, 400, false);
    else if (flag === "--engine-version") {
      // MAJOR or MAJOR.MINOR[.PATCH]; within 28 the minor version matters (28 alone is 28.5).
      const m = /^(27|28|29)(?:\.(\d+)(?:\.\d+)?)?$/.exec(value);
      if (!m || (m[1] === "28" && Number(m[2] ?? 5) > 5))
        throw new DockerError(
          `--engine-version ${value}: dockwire models Docker Engine 27, 28.0–28.5 and 29`,
          400,
          false,
        );
      o.engineVersion = Number(m[1]);
      o.engineMinor = Number(m[2] ?? 5);
    } else if (flag === "--default-address-pool") {
      const kv = Object.fromEntries(value.split(",").map((p) => p.split("=")));
      pools.push({ base: kv.base ?? "", size: Number(kv.size) });
    } else throw new DockerError(`unknown flag: ${flag}`, 400, false);
  }
  if (pools.length > 0) o.defaultAddressPools = pools;
  return o;
}

export function startDaemon(
  host: Host,
  ns: NetNamespace,
  args: string[],
  daemons: Map<NetNamespace, Daemon>,
  plugins: Record<string, NetworkDriverPlugin>,
): { lines: string[]; exit: number } {
  try {
    if (daemons.has(ns))
      throw new DockerError(
        "failed to start daemon: pid file found, ensure docker is not running or delete /var/run/docker.pid",
        500,
        false,
      );
    const options = parseDaemonOptions(args);
    const daemon = new Daemon(host, ns, options, host.sim.random(`docker:${ns.name}`));
    for (const [name, plugin] of Object.entries(plugins)) daemon.registerPlugin(name, plugin);
    daemons.set(ns, daemon);
    return { lines: [], exit: 0 };
  } catch (e) {
    if (!(e instanceof DockerError)) throw e;
    return { lines: [e.message], exit: 1 };
  }
}
