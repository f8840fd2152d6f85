/**
 * A container's environment. Config.Env is the `-e` values, then the image's variables they do
 * not override (daemon merge). The process environment (container CreateDaemonEnvironment,
 * daemon/links ToEnv, runc): PATH and HOSTNAME first, then the legacy link variables, then
 * Config.Env, each replacing a variable of the same name in place; runc keeps only the last of
 * variables named twice, and adds HOME=/root when nothing set it. Link variables describe each `--link`ed child
 * (ALIAS_PORT, ALIAS_PORT_<p>_<PROTO>[_ADDR|_PORT|_PROTO], range variables, ALIAS_NAME=/parent/alias,
 * ALIAS_ENV_<var> for the child's variables but HOME and PATH). Docker 27 sorts the ports by
 * number and puts a block (_START, _ADDR, _PROTO, _PORT_START, _END, _PORT_END) for each run of
 * three or more adjacent ports ahead of the per-port variables; 28 sorts tcp first and follows a
 * run of two or more with _START/_PORT_START/_END/_PORT_END;
 * Docker 29 leaves them out (they come back only with DOCKER_KEEP_DEPRECATED_LEGACY_LINKS_ENV_VARS=1
 * in the daemon's environment, which dockwire does not model).
 */

/** oci.DefaultPathEnv for Linux. */
export const DEFAULT_PATH = "PATH=/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin";

export interface LinkedChild {
  /** `/parent/alias`. */
  name: string;
  ip: string;
  env: string[];
  /** The child's exposed ports (image EXPOSE and -p), any order. */
  ports: { proto: string; port: number }[];
}

type Port = { proto: string; port: number };

/** Ports by protocol (tcp first), then number (28+'s links.withTCPPriority). */
function byTcpFirst(a: Port, b: Port): number {
  if (a.proto === b.proto) return a.port - b.port;
  if (a.proto === "tcp") return -1;
  if (b.proto === "tcp") return 1;
  return a.proto < b.proto ? -1 : 1;
}

/** Ports by number, tcp first when numbers tie (27's nat.Sort with its less function). */
function byNumber(a: Port, b: Port): number {
  if (a.port !== b.port) return a.port - b.port;
  if (a.proto === b.proto) return 0;
  if (a.proto === "tcp") return -1;
  if (b.proto === "tcp") return 1;
  return a.proto < b.proto ? -1 : 1;
}

/**
 * 27's nextContiguous: the index of the last port of the run starting at `index`, counting each
 * following entry whose number is at most one above the running value (protocols not compared).
 */
function nextContiguous(ports: Port[], value: number, index: number): number {
  if (index + 1 === ports.length) return index;
  let v = value;
  for (let i = index + 1; i < ports.length; i++) {
    if ((ports[i] as Port).port > v + 1) return i - 1;
    v++;
  }
  return ports.length - 1;
}

/** The per-port variables of one port. */
function portVars(alias: string, ip: string, p: Port): string[] {
  const prefix = `${alias}_PORT_${p.port}_${p.proto.toUpperCase()}`;
  return [
    `${prefix}=${p.proto}://${ip}:${p.port}`,
    `${prefix}_ADDR=${ip}`,
    `${prefix}_PORT=${p.port}`,
    `${prefix}_PROTO=${p.proto}`,
  ];
}

/**
 * The port variables of Docker 27 (links.Link.ToEnv before 28): the first port by number as
 * ALIAS_PORT, then a block per run of three or more adjacent entries, then every port's own
 * variables.
 */
function classicPortEnv(alias: string, ip: string, ports: Port[]): string[] {
  const sorted = [...ports].sort(byNumber);
  const env: string[] = [];
  const first = sorted[0];
  if (first) env.push(`${alias}_PORT=${first.proto}://${ip}:${first.port}`);
  for (let i = 0; i < sorted.length; ) {
    const p = sorted[i] as Port;
    const j = nextContiguous(sorted, p.port, i);
    if (j <= i + 1) {
      i++;
      continue;
    }
    const q = sorted[j] as Port;
    const prefix = `${alias}_PORT_${p.port}_${p.proto.toUpperCase()}`;
    // The end variables carry the last port's protocol in their name.
    const endPrefix = `${alias}_PORT_${p.port}_${q.proto.toUpperCase()}`;
    env.push(
      `${prefix}_START=${p.proto}://${ip}:${p.port}`,
      `${prefix}_ADDR=${ip}`,
      `${prefix}_PROTO=${p.proto}`,
      `${prefix}_PORT_START=${p.port}`,
      `${endPrefix}_END=${q.proto}://${ip}:${q.port}`,
      `${endPrefix}_PORT_END=${q.port}`,
    );
    i = j + 1;
  }
  for (const p of sorted) env.push(...portVars(alias, ip, p));
  return env;
}

/**
 * The port variables of Docker 28+: ports by protocol then number, each port's variables, and
 * after the last port of a run of two or more consecutive ports of one protocol its _START/_END.
 */
function modernPortEnv(alias: string, ip: string, ports: Port[]): string[] {
  const sorted = [...ports].sort(byTcpFirst);
  const env: string[] = [];
  const url = (p: Port) => `${p.proto}://${ip}:${p.port}`;
  let start = sorted[0];
  let end = sorted[0];
  sorted.forEach((p, i) => {
    if (i === 0) env.push(`${alias}_PORT=${url(p)}`);
    env.push(...portVars(alias, ip, p));
    if (end && p.port === end.port + 1 && p.proto === end.proto) {
      end = p;
      if (i < sorted.length - 1) return;
    }
    if (start && end && end !== start) {
      const range = `${alias}_PORT_${start.port}_${start.proto.toUpperCase()}`;
      env.push(
        `${range}_START=${url(start)}`,
        `${range}_PORT_START=${start.port}`,
        `${range}_END=${url(end)}`,
        `${range}_PORT_END=${end.port}`,
      );
    }
    start = p;
    end = p;
  });
  return env;
}

/** The variables one link gives its parent (links.Link.ToEnv; `classic`: Docker 27's). */
export function linkEnv(link: LinkedChild, classic: boolean): string[] {
  const alias = (link.name.split("/").at(-1) ?? "").toUpperCase().replaceAll("-", "_");
  const env = classic
    ? classicPortEnv(alias, link.ip, link.ports)
    : modernPortEnv(alias, link.ip, link.ports);
  env.push(`${alias}_NAME=${link.name}`);
  for (const v of link.env) {
    const eq = v.indexOf("=");
    if (eq < 0) continue;
    const name = v.slice(0, eq);
    if (name !== "HOME" && name !== "PATH") env.push(`${alias}_ENV_${name}=${v.slice(eq + 1)}`);
  }
  return env;
}

/**
 * container.ReplaceOrAppendEnvValues: each `NAME=value` of `overrides` replaces the variable of
 * that name in `defaults` in place, or is appended; a bare `NAME` unsets it. Only names of
 * `defaults` are replaced, so an override repeated keeps both copies.
 */
export function replaceOrAppend(defaults: string[], overrides: string[]): string[] {
  const out: (string | undefined)[] = [...defaults];
  const index = new Map(defaults.map((e, i) => [e.split("=", 1)[0] as string, i]));
  for (const v of overrides) {
    const eq = v.indexOf("=");
    const at = index.get(eq < 0 ? v : v.slice(0, eq));
    if (eq < 0) {
      if (at !== undefined) out[at] = undefined;
    } else if (at !== undefined) out[at] = v;
    else out.push(v);
  }
  return out.filter((e): e is string => e !== undefined);
}

/**
 * Config.Env of a new container (the daemon's merge with the image config): the user's `-e`
 * values first, then each image variable whose name they do not set.
 */
export function mergeImageEnv(user: string[], image: string[]): string[] {
  if (user.length === 0) return [...image];
  const names = new Set(user.map((e) => e.split("=", 1)[0]));
  return [...user, ...image.filter((e) => !names.has(e.split("=", 1)[0]))];
}

/**
 * What the container's processes see: the daemon's environment (PATH, HOSTNAME, links) with
 * Config.Env replaced or appended, then runc's clean-up (1.2+: of variables named twice only the
 * last is kept, where it stands) and HOME=/root when nothing set it.
 */
export function processEnvironment(hostname: string, links: string[], configEnv: string[]): string[] {
  const merged = replaceOrAppend([DEFAULT_PATH, `HOSTNAME=${hostname}`, ...links], configEnv);
  const seen = new Set<string>();
  const env: string[] = [];
  for (let i = merged.length - 1; i >= 0; i--) {
    const e = merged[i] as string;
    const name = e.split("=", 1)[0] as string;
    if (seen.has(name)) continue;
    seen.add(name);
    env.unshift(e);
  }
  if (!seen.has("HOME")) env.push("HOME=/root");
  return env;
}
