/**
 * A container's process environment (daemon/container CreateDaemonEnvironment and
 * daemon/links ToEnv): PATH and HOSTNAME first, then the legacy link variables, then the
 * container's own Config.Env (the image's, then `-e`), each replacing a variable of the same name
 * in place, and HOME=/root when nothing set it. Link variables describe each `--link`ed child
 * (ALIAS_PORT, ALIAS_PORT_<p>_<PROTO>[_ADDR|_PORT|_PROTO], _START/_END for runs of consecutive
 * ports, ALIAS_NAME=/parent/alias, ALIAS_ENV_<var> for the child's variables but HOME and PATH);
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

/** Ports by number, tcp first when numbers tie across protocols (links.withTCPPriority). */
function byTcpFirst(a: { proto: string; port: number }, b: { proto: string; port: number }): number {
  if (a.proto === b.proto) return a.port - b.port;
  if (a.proto === "tcp") return -1;
  if (b.proto === "tcp") return 1;
  return a.proto < b.proto ? -1 : 1;
}

/** The variables one link gives its parent (links.Link.ToEnv). */
export function linkEnv(link: LinkedChild): string[] {
  const alias = (link.name.split("/").at(-1) ?? "").toUpperCase().replaceAll("-", "_");
  const ports = [...link.ports].sort(byTcpFirst);
  const env: string[] = [];
  const url = (p: { proto: string; port: number }) => `${p.proto}://${link.ip}:${p.port}`;
  let start = ports[0];
  let end = ports[0];
  ports.forEach((p, i) => {
    if (i === 0) env.push(`${alias}_PORT=${url(p)}`);
    const prefix = `${alias}_PORT_${p.port}_${p.proto.toUpperCase()}`;
    env.push(
      `${prefix}=${url(p)}`,
      `${prefix}_ADDR=${link.ip}`,
      `${prefix}_PORT=${p.port}`,
      `${prefix}_PROTO=${p.proto}`,
    );
    if (end && p.port === end.port + 1 && p.proto === end.proto) {
      end = p;
      if (i < ports.length - 1) return;
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
  env.push(`${alias}_NAME=${link.name}`);
  for (const v of link.env) {
    const eq = v.indexOf("=");
    if (eq < 0) continue;
    const name = v.slice(0, eq);
    if (name !== "HOME" && name !== "PATH") env.push(`${alias}_ENV_${name}=${v.slice(eq + 1)}`);
  }
  return env;
}

/** Set each `NAME=value` of `values` in `env`: in place when NAME is there, else at the end. */
export function replaceOrAppend(env: string[], values: string[]): string[] {
  const out = [...env];
  for (const v of values) {
    const name = v.split("=", 1)[0] as string;
    const at = out.findIndex((e) => e.split("=", 1)[0] === name);
    if (at >= 0) out[at] = v;
    else out.push(v);
  }
  return out;
}

/** What the container's processes see. */
export function processEnvironment(hostname: string, links: string[], configEnv: string[]): string[] {
  const env = replaceOrAppend([DEFAULT_PATH, `HOSTNAME=${hostname}`, ...links], configEnv);
  if (!env.some((e) => e.startsWith("HOME="))) env.push("HOME=/root");
  return env;
}
