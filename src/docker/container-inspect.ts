/**
 * `docker inspect CONTAINER` (API 1.47, daemon/inspect.go, container/view.go): the JSON array the
 * CLI prints, four-space indentation, with the fields that concern networking in the API's order —
 * Id, Created, Path, Args, State, Image, Name, HostConfig (NetworkMode, PortBindings, Dns, DnsSearch,
 * ExtraHosts, Links), Config (Hostname, ExposedPorts, Image, Cmd) and NetworkSettings (SandboxID,
 * SandboxKey, Ports, and one entry per network with its endpoint, gateway, address and MAC).
 * Deviation: the many other fields of a real inspect (mounts, resources, log config, ...) are
 * left out; the image's digest is not modelled (`Image` is the name).
 */

import { ipv4ToString } from "../util/ipv4-address.js";
import { macToString } from "../util/mac-address.js";
import type { Container } from "./container.js";
import type { Daemon } from "./daemon.js";
import { findImage } from "./images.js";

function ports(c: Container): Record<string, { HostIp: string; HostPort: string }[] | null> {
  const out: Record<string, { HostIp: string; HostPort: string }[] | null> = {};
  for (const e of findImage(c.image)?.exposed ?? []) out[`${e.port}/${e.proto}`] = null;
  for (const b of c.bindings) {
    const key = `${b.containerPort}/${b.proto}`;
    out[key] = [...(out[key] ?? []), { HostIp: b.hostIp, HostPort: String(b.hostPort) }];
  }
  return out;
}

/** The object `docker inspect` prints (and `-f` templates read). */
export function containerResource(c: Container, daemon: Daemon): unknown {
  const networks: Record<string, unknown> = {};
  for (const [name, req] of c.networks) {
    const n = daemon.findNetwork(name);
    const ep = c.endpoints.find((e) => e.network === n);
    networks[name] = {
      IPAMConfig: req.ip === 0 ? null : { IPv4Address: ipv4ToString(req.ip) },
      Links: c.dns.links.length > 0 ? c.dns.links.map(([k, a]) => `${k}:${a}`) : null,
      Aliases: req.aliases.length > 0 ? req.aliases : null,
      MacAddress: ep && ep.mac !== 0 ? macToString(ep.mac) : "",
      NetworkID: n.id,
      EndpointID: ep?.id ?? "",
      Gateway: ep && n.pool ? ipv4ToString(ep.gateway ?? n.pool.gateway) : "",
      IPAddress: ep && ep.address !== 0 ? ipv4ToString(ep.address) : "",
      IPPrefixLen: ep && n.pool ? n.pool.prefixLen : 0,
      IPv6Gateway: "",
      GlobalIPv6Address: "",
      GlobalIPv6PrefixLen: 0,
      DNSNames: ep && !n.predefined ? [c.name, ...req.aliases, c.shortId] : null,
    };
  }
  const running = c.state === "running";
  return {
    Id: c.id,
    Created: c.created,
    Path: c.command[0] ?? "",
    Args: c.command.slice(1),
    State: {
      Status: c.state,
      Running: running,
      Paused: false,
      Restarting: false,
      OOMKilled: false,
      Dead: false,
      ExitCode: running ? 0 : c.exitCode,
    },
    Image: c.image,
    Name: `/${c.name}`,
    HostConfig: {
      NetworkMode: c.networkMode,
      PortBindings: Object.fromEntries(
        c.ports.map((p) => [
          `${p.containerPort}/${p.proto}`,
          [{ HostIp: p.hostIp, HostPort: p.hostPort === 0 ? "" : String(p.hostPort) }],
        ]),
      ),
      Dns: c.dns.servers,
      DnsSearch: c.dns.search,
      ExtraHosts: c.dns.extraHosts.length > 0 ? c.dns.extraHosts.map(([h, ip]) => `${h}:${ip}`) : null,
      Links: c.dns.links.length > 0 ? c.dns.links.map(([k, a]) => `/${k}:/${c.name}/${a}`) : null,
    },
    Config: {
      Hostname: c.hostname,
      ExposedPorts: Object.fromEntries(c.exposedPorts().map((e) => [`${e.port}/${e.proto}`, {}])),
      Env: c.env,
      Image: c.image,
      Cmd: c.command,
    },
    NetworkSettings: {
      SandboxID: running ? c.sandboxId : "",
      SandboxKey: running && c.sandboxId ? `/var/run/docker/netns/${c.sandboxId.slice(0, 12)}` : "",
      Ports: running ? ports(c) : {},
      Networks: networks,
    },
  };
}

export function containerInspect(containers: Container[], daemon: Daemon): string {
  return JSON.stringify(
    containers.map((c) => containerResource(c, daemon)),
    null,
    4,
  );
}
