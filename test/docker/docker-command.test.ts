/**
 * `docker` against shared/spec/docker-networking.md: tables, IPAM sequences seen through the
 * commands (§2.4), the daemon's and the CLI's error texts with their exit codes (§1.4) — a failed
 * command changes nothing — the files a container gets (§5.3, §5.4), and name resolution on a
 * user-defined network.
 */

import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, describe, expect, it } from "vitest";
import { linkEnv } from "../../src/docker/container-env.js";
import { outputsByCommand, runLines } from "../helpers/scenario.js";

const tmp = mkdtempSync(join(tmpdir(), "dockwire-dockercmd-"));
afterAll(() => rmSync(tmp, { recursive: true, force: true }));
let n = 0;

/** Run the commands (each may fail) and return what each printed, by command. */
function run(commands: string[]): Map<string, string[]> {
  return outputsByCommand(commands, join(tmp, `r${n++}`));
}

describe("docker ps", () => {
  it("--format fields and table, -f name/status/bogus, -l with json, -q, --no-trunc", () => {
    const r = run([
      "docker network create mynet",
      "docker run -d --name web --network mynet -p 8080:80 nginx",
      "docker run -d --name c alpine sleep 1000",
      "docker create --name idle alpine true",
      "docker ps --format '{{.Names}} {{.Networks}} {{.State}}'",
      "docker ps --format 'table {{.Names}}\\t{{.Ports}}'",
      "docker ps -a -f status=created --format '{{.Names}}'",
      "docker ps -f name=we -q",
      "docker ps -l --format json",
      "docker ps -f bogus=1",
      "docker ps --no-trunc --format '{{.ID}} {{.Command}}'",
    ]);
    expect(r.get("docker ps --format '{{.Names}} {{.Networks}} {{.State}}'")).toEqual([
      "c bridge running",
      "web mynet running",
    ]);
    expect(r.get("docker ps --format 'table {{.Names}}\\t{{.Ports}}'")).toEqual([
      "NAMES     PORTS",
      "c         ",
      "web       0.0.0.0:8080->80/tcp",
    ]);
    expect(r.get("docker ps -a -f status=created --format '{{.Names}}'")).toEqual(["idle"]);
    expect(r.get("docker ps -f name=we -q")).toEqual(["dc28ddf538d5"]);
    expect(r.get("docker ps -l --format json")).toEqual([
      '{"Command":"\\"true\\"","CreatedAt":"2026-01-01 00:00:00 +0000 UTC","ID":"988ededda058","Image":"alpine","Labels":"","LocalVolumes":"0","Mounts":"","Names":"idle","Networks":"bridge","Ports":"","RunningFor":"Less than a second ago","Size":"0B","State":"created","Status":"Created"}',
    ]);
    expect(r.get("docker ps -f bogus=1")).toEqual(["Error response from daemon: invalid filter 'bogus'"]);
    expect(r.get("docker ps --no-trunc --format '{{.ID}} {{.Command}}'")?.[1]).toBe(
      'dc28ddf538d57654b95b4a4b110242ca3d7aab93d15263ef9bb84ee2d7a04074 "nginx -g daemon off;"',
    );
  });
});

describe("docker stop / restart", () => {
  it("servers stop at once with 0; PID 1 without a handler is killed after -t (10 s) with 137; ps counts from the events", () => {
    const r = run([
      "docker run -d --name web nginx",
      "docker run -d --name s alpine sleep infinity",
      "docker stop web",
      "docker stop s",
      "docker ps -a --format '{{.Names}} {{.Status}}'",
      "docker start s",
      "sleep 5",
      "docker ps --format '{{.Names}} {{.Status}}'",
      "docker stop -t 0 s",
      "docker inspect -f '{{.State.ExitCode}}' s",
      "docker stop -t x s",
      "docker stop nope",
    ]);
    expect(r.get("docker stop web")).toEqual(["web"]);
    // The 10 s of `docker stop s` passed in simulated time: web stopped 10 s before s.
    expect(r.get("docker ps -a --format '{{.Names}} {{.Status}}'")).toEqual([
      "s Exited (137) Less than a second ago",
      "web Exited (0) 10 seconds ago",
    ]);
    expect(r.get("docker ps --format '{{.Names}} {{.Status}}'")).toEqual(["s Up 5 seconds"]);
    expect(r.get("docker inspect -f '{{.State.ExitCode}}' s")).toEqual(["137"]);
    expect(r.get("docker stop -t x s")?.[0]).toBe(
      'invalid argument "x" for "-t, --time" flag: strconv.ParseInt: parsing "x": invalid syntax',
    );
    expect(r.get("docker stop nope")).toEqual(["Error response from daemon: No such container: nope"]);
  });
});

describe("docker network", () => {
  it("connect: a default-bridge container joining its first user-defined network gets the embedded resolver", () => {
    const r = run([
      "docker network create mynet",
      "docker run -d --name web --network mynet nginx",
      "docker run -d --name other alpine sleep infinity",
      "docker exec other ping -c 1 -W 1 web",
      "docker network connect mynet other",
      "docker exec other cat /etc/resolv.conf",
      "docker exec other ping -c 1 web",
    ]);
    // On the default bridge the name is unknown (legacy resolv.conf: the host's servers).
    expect(r.get("docker exec other ping -c 1 -W 1 web")).toEqual(["ping: bad address 'web'"]);
    expect(r.get("docker exec other cat /etc/resolv.conf")).toContain("nameserver 127.0.0.11");
    expect(r.get("docker exec other ping -c 1 web")?.slice(0, 2)).toEqual([
      "PING web (172.18.0.2): 56 data bytes",
      "64 bytes from 172.18.0.2: seq=0 ttl=64 time=0.000 ms",
    ]);
  });

  it("ls: Docker's table, sorted by name, twelve-character ids", () => {
    const r = run(["docker network create mynet", "docker network ls"]);
    const table = (r.get("docker network ls") ?? []).map((l) => l.replace(/^[0-9a-f]{12}/, "ID"));
    expect(table).toEqual([
      "NETWORK ID     NAME      DRIVER    SCOPE",
      "ID   bridge    bridge    local",
      "ID   host      host      local",
      "ID   mynet     bridge    local",
      "ID   none      null      local",
    ]);
    expect(r.get("docker network create mynet")?.[0]).toMatch(/^[0-9a-f]{64}$/);
  });

  it("subnets: 172.18, 172.19, and a removed network's subnet comes back first", () => {
    const subnet = (r: Map<string, string[]>, cmd: string) =>
      (r.get(cmd) ?? []).find((l) => l.includes('"Subnet"'))?.trim();
    const r = run([
      "docker network create a",
      "docker network create b",
      "docker network rm a",
      "docker network create c",
      "docker network inspect b",
      "docker network inspect c",
    ]);
    expect(subnet(r, "docker network inspect b")).toBe('"Subnet": "172.19.0.0/16",');
    expect(subnet(r, "docker network inspect c")).toBe('"Subnet": "172.18.0.0/16",');
    expect(r.get("docker network rm a")).toEqual(["a"]);
  });

  it("errors, each with Docker's text, and nothing changed", () => {
    const r = run([
      "docker network create mynet",
      "docker network create --label again=yes mynet",
      "docker network create bridge",
      "docker network create --subnet 172.18.5.0/24 other",
      "docker network create --subnet 10.1.2.3/16 bad",
      "docker network create --gateway 10.9.9.1 nosub",
      "docker network rm bridge",
      "docker network rm nope",
      "docker run -d --name c1 --network mynet alpine sleep infinity",
      "docker network rm mynet",
      "docker network ls -q",
    ]);
    expect(r.get("docker network create --label again=yes mynet")).toEqual([
      "Error response from daemon: network with name mynet already exists",
    ]);
    expect(r.get("docker network create bridge")).toEqual([
      "Error response from daemon: operation is not permitted on predefined bridge network ",
    ]);
    expect(r.get("docker network create --subnet 172.18.5.0/24 other")).toEqual([
      "Error response from daemon: invalid pool request: Pool overlaps with other one on this address space",
    ]);
    expect(r.get("docker network create --subnet 10.1.2.3/16 bad")).toEqual([
      "Error response from daemon: invalid network config:",
      "invalid subnet 10.1.2.3/16: it should be 10.1.0.0/16",
    ]);
    expect(r.get("docker network create --gateway 10.9.9.1 nosub")).toEqual([
      "every ip-range or gateway must have a corresponding subnet",
    ]);
    expect(r.get("docker network rm bridge")).toEqual([
      "Error response from daemon: bridge is a pre-defined network and cannot be removed",
    ]);
    expect(r.get("docker network rm nope")).toEqual(["Error response from daemon: network nope not found"]);
    expect(r.get("docker network rm mynet")?.[0]).toMatch(
      /^Error response from daemon: error while removing network: network mynet id [0-9a-f]{64} has active endpoints$/,
    );
    expect(r.get("docker network ls -q")).toHaveLength(4);
  });
});

describe("docker run", () => {
  it("addresses: lowest free, the gateway .1, a stopped container's address reused", () => {
    const r = run([
      "docker network create --subnet 10.5.0.0/24 --aux-address r=10.5.0.2 net",
      "docker run -d --name a --network net alpine sleep infinity",
      "docker run -d --name b --network net alpine sleep infinity",
      "docker rm -f a",
      "docker run -d --name c --network net alpine sleep infinity",
      "docker exec b cat /etc/hosts",
      "docker exec c ip -br addr",
    ]);
    expect(r.get("docker exec b cat /etc/hosts")?.at(-1)).toMatch(/^10\.5\.0\.4\t[0-9a-f]{12}$/);
    expect(r.get("docker exec c ip -br addr")?.find((l) => l.startsWith("eth0"))).toMatch(/10\.5\.0\.3\/24/);
  });

  it("errors: an unknown image, a taken name, a taken host port, --ip on the default bridge", () => {
    const r = run([
      "docker run -d nosuchimage",
      "docker run -d --name web -p 8080:80 nginx",
      "docker run -d --name web nginx",
      "docker run -d --name web2 -p 8080:80 nginx",
      "docker run -d --ip 172.17.0.9 alpine",
      "docker ps -a -q",
    ]);
    expect(r.get("docker run -d nosuchimage")).toEqual([
      "Unable to find image 'nosuchimage:latest' locally",
      "docker: Error response from daemon: pull access denied for nosuchimage, repository does not exist or may require 'docker login': denied: requested access to the resource is denied.",
      "See 'docker run --help'.",
    ]);
    expect(r.get("docker run -d --name web nginx")?.[0]).toMatch(
      /^docker: Error response from daemon: Conflict\. The container name "\/web" is already in use by container "[0-9a-f]{64}"\. You have to remove \(or rename\) that container to be able to reuse that name\.$/,
    );
    expect(r.get("docker run -d --name web2 -p 8080:80 nginx")?.[0]).toMatch(
      /^docker: Error response from daemon: driver failed programming external connectivity on endpoint web2 \([0-9a-f]{64}\): Bind for 0\.0\.0\.0:8080 failed: port is already allocated\.$/,
    );
    expect(r.get("docker run -d --ip 172.17.0.9 alpine")).toEqual([
      "docker: Error response from daemon: invalid endpoint settings:",
      "user specified IP address is supported on user defined networks only.",
      "See 'docker run --help'.",
    ]);
  });

  it("files: the default bridge gets the legacy resolv.conf, a user network the internal resolver", () => {
    const r = run([
      "docker run -d --name a alpine sleep infinity",
      "docker exec a cat /etc/resolv.conf",
      "docker network create n",
      "docker run -d --name b --network n alpine sleep infinity",
      "docker exec b cat /etc/resolv.conf",
    ]);
    expect(r.get("docker exec a cat /etc/resolv.conf")).toEqual([
      "# Generated by Docker Engine.",
      "# This file can be edited; Docker Engine will not make further changes once it",
      "# has been modified.",
      "",
      "nameserver 8.8.8.8",
      "nameserver 8.8.4.4",
      "",
      "# Based on host file: '/etc/resolv.conf' (legacy)",
      "# Used default nameservers.",
    ]);
    expect(r.get("docker exec b cat /etc/resolv.conf")?.slice(4, 6)).toEqual([
      "nameserver 127.0.0.11",
      "options ndots:0",
    ]);
  });

  it("names: container name, alias and short id answer; other networks' names do not", () => {
    const r = run([
      "docker network create n1",
      "docker network create n2",
      "docker run -d --name web --network n1 --network-alias www nginx",
      "docker run -d --name far --network n2 nginx",
      "docker run -d --name cli --network n1 alpine sleep infinity",
      "docker exec cli ping -c 1 www",
      "docker exec cli ping -c 1 web.n1",
      "docker exec cli ping -c 1 far",
    ]);
    expect(r.get("docker exec cli ping -c 1 www")?.slice(0, 2)).toEqual([
      "PING www (172.18.0.2): 56 data bytes",
      "64 bytes from 172.18.0.2: seq=0 ttl=64 time=0.000 ms",
    ]);
    expect(r.get("docker exec cli ping -c 1 web.n1")?.[0]).toBe("PING web.n1 (172.18.0.2): 56 data bytes");
    expect(r.get("docker exec cli ping -c 1 far")).toEqual(["ping: bad address 'far'"]);
  });

  it("port and ps show the published ports as docker/cli sorts and groups them", () => {
    const r = run([
      "docker run -d --name web -p 8080:80 -p 5353:53/udp -p 8443:443 nginx",
      "docker run -d --name same -p 80:80 -p 81:81 -p 82:82/udp nginx",
      "docker run -d --name plain nginx",
      "docker port web",
      "docker port web 53/udp",
      "docker port web 443",
      "docker port web 80/udp",
      "docker port web 81",
      "docker port web http",
      "docker ps",
      "docker stop same",
      "docker ps -a",
    ]);
    // runPort: the lines in natural order; with a port, only the host side.
    expect(r.get("docker port web")).toEqual([
      "53/udp -> 0.0.0.0:5353",
      "80/tcp -> 0.0.0.0:8080",
      "443/tcp -> 0.0.0.0:8443",
    ]);
    expect(r.get("docker port web 53/udp")).toEqual(["0.0.0.0:5353"]);
    expect(r.get("docker port web 443")).toEqual(["0.0.0.0:8443"]);
    // The CLI's own errors, the port as typed (no "Error response from daemon").
    expect(r.get("docker port web 80/udp")).toEqual(["Error: No public port '80/udp' published for web"]);
    expect(r.get("docker port web 81")).toEqual(["Error: No public port '81' published for web"]);
    expect(r.get("docker port web http")).toEqual([
      'Error: invalid port (http): strconv.ParseUint: parsing "http": invalid syntax',
    ]);
    const ps = r.get("docker ps") ?? [];
    expect(ps[0]).toBe(
      "CONTAINER ID   IMAGE     COMMAND                  CREATED                  STATUS                  PORTS                                                               NAMES",
    );
    // DisplayablePorts: sorted by private port; same host port grouped; an unpublished EXPOSE bare.
    expect(ps[1]).toMatch(/ {3}80\/tcp {62}plain$/);
    expect(ps[2]).toContain("   0.0.0.0:80-81->80-81/tcp, 0.0.0.0:82->82/udp   ");
    expect(ps[3]).toContain("   0.0.0.0:5353->53/udp, 0.0.0.0:8080->80/tcp, 0.0.0.0:8443->443/tcp   web");
    // A stopped container publishes nothing.
    expect(r.get("docker ps -a")?.find((l) => l.endsWith(" same"))).toMatch(/Exited \(0\) .* {3}same$/);
    expect(r.get("docker ps -a")?.find((l) => l.endsWith(" same"))).not.toContain("->");
  });

  it("port: Docker 29's CLI words its errors in lower case and parses the port", () => {
    const r = run([
      "dockerd --engine-version 29",
      "docker run -d --name web -p 8080:80 nginx",
      "docker port web 80/TCP",
      "docker port web 81",
      "docker port web 70000",
    ]);
    expect(r.get("docker port web 80/TCP")).toEqual(["0.0.0.0:8080"]);
    expect(r.get("docker port web 81")).toEqual(["no public port '81' published for web"]);
    expect(r.get("docker port web 70000")).toEqual(["invalid port '70000': value out of range"]);
  });

  it("run: --network container:X refuses its own ports, hostname, DNS, hosts and links (validateNetMode); nothing is made", () => {
    const r = run([
      "docker network create mynet",
      "docker run -d --name web --network mynet nginx",
      "docker run -d --name k1 --network container:web -p 81:81 alpine sleep 1",
      "docker run -d --name k2 --network container:web -P nginx",
      "docker run -d --name k3 --network container:web -h foo alpine sleep 1",
      "docker run -d --name k4 --network container:web --dns 1.1.1.1 alpine sleep 1",
      "docker run -d --name k5 --network container:web --add-host db:10.0.0.5 alpine sleep 1",
      "docker run -d --name k6 --network container:web --link web alpine sleep 1",
      "docker run -d --name k7 --network host --link web alpine sleep 1",
      "docker run -d --name h --network host -p 80:80 nginx",
      "docker run -d --name n --network none nginx",
      "docker run -d --name s --network container:web nginx",
      "docker ps -a",
      "docker inspect -f '{{json .NetworkSettings.Ports}}' h n s web",
    ]);
    const err = (what: string) => [
      `docker: Error response from daemon: conflicting options: ${what}.`,
      "See 'docker run --help'.",
    ];
    const port = err("port publishing and the container type network mode");
    expect(r.get("docker run -d --name k1 --network container:web -p 81:81 alpine sleep 1")).toEqual(port);
    expect(r.get("docker run -d --name k2 --network container:web -P nginx")).toEqual(port);
    expect(r.get("docker run -d --name k3 --network container:web -h foo alpine sleep 1")).toEqual(
      err("hostname and the network mode"),
    );
    expect(r.get("docker run -d --name k4 --network container:web --dns 1.1.1.1 alpine sleep 1")).toEqual(
      err("dns and the network mode"),
    );
    expect(
      r.get("docker run -d --name k5 --network container:web --add-host db:10.0.0.5 alpine sleep 1"),
    ).toEqual(err("custom host-to-IP mapping and the network mode"));
    expect(r.get("docker run -d --name k6 --network container:web --link web alpine sleep 1")).toEqual(
      err("container type network can't be used with links. This would result in undefined behavior"),
    );
    expect(r.get("docker run -d --name k7 --network host --link web alpine sleep 1")).toEqual(
      err("host type networking can't be used with links. This would result in undefined behavior"),
    );
    const ps = r.get("docker ps -a") ?? [];
    expect(ps.map((l) => l.split(/ +/).pop())).toEqual(["NAMES", "s", "n", "h", "web"]);
    // Only a bridge endpoint reports the image's exposed ports (getPortMapInfo).
    expect(ps.find((l) => l.endsWith(" web"))).toContain("   80/tcp    web");
    for (const name of ["s", "n", "h"])
      expect(ps.find((l) => l.endsWith(` ${name}`))).not.toContain("80/tcp");
    expect(r.get("docker inspect -f '{{json .NetworkSettings.Ports}}' h n s web")).toEqual([
      "{}",
      "{}",
      "{}",
      '{"80/tcp":null}',
    ]);
  });

  it("restart and stop/start: the container's names resolve again (a new sandbox, a new embedded resolver)", () => {
    const r = run([
      "docker network create front",
      "docker network create back",
      "docker run -d --name web --network front nginx",
      "docker run -d --name a --network front alpine sleep infinity",
      "docker restart a",
      "docker exec a ping -c 1 -W 1 web",
      "docker stop web",
      "docker start web",
      "docker network connect back web",
      "docker network connect --alias api back a",
      "docker exec web ping -c 1 -W 1 api.back",
    ]);
    expect(r.get("docker exec a ping -c 1 -W 1 web")?.[1]).toBe(
      "64 bytes from 172.18.0.2: seq=0 ttl=64 time=0.000 ms",
    );
    // web is nginx (Debian: iputils' ping, names from PTR records), a is alpine (busybox).
    expect(r.get("docker exec web ping -c 1 -W 1 api.back")?.[1]).toBe(
      "64 bytes from a.back (172.19.0.3): icmp_seq=1 ttl=64 time=0.000 ms",
    );
  });

  it("network connect moves the published ports to a new gateway network after they served a connection", () => {
    // The old docker-proxy's connection sits in TIME_WAIT on host port 8080; the new proxy binds
    // anyway, as Go's listeners set SO_REUSEADDR.
    const r = run([
      "docker network create front",
      "docker network create back",
      "docker run -d --name web --network front -p 8080:80 nginx",
      "curl -s http://127.0.0.1:8080/",
      "docker network connect back web",
      "docker exec web ip route",
      "docker port web",
      "curl -s http://127.0.0.1:8080/",
      "iptables -t nat -S DOCKER",
    ]);
    expect(r.get("docker network connect back web")).toEqual([]);
    expect(r.get("docker exec web ip route")?.[0]).toBe("default via 172.19.0.1 dev eth1 ");
    expect(r.get("docker port web")).toEqual(["80/tcp -> 0.0.0.0:8080"]);
    expect(r.get("curl -s http://127.0.0.1:8080/")).toEqual(["<html><body><h1>It works!</h1></body></html>"]);
    expect(r.get("iptables -t nat -S DOCKER")).toContain(
      "-A DOCKER ! -i br-dc28ddf538d5 -p tcp -m tcp --dport 8080 -j DNAT --to-destination 172.19.0.2:80",
    );
  });

  it("network connect adds eth1, the address in /etc/hosts and names of the new network; disconnect takes them away", () => {
    const r = run([
      "docker network create front",
      "docker network create back",
      "docker run -d --name web --network front nginx",
      "docker run -d --name db --network back alpine sleep infinity",
      "docker network connect front db",
      "docker exec db ip -br addr",
      "docker exec db ip route",
      "docker exec db ping -c 1 web",
      "docker network connect front db",
      "docker network disconnect front db",
      "docker exec db ip -br addr show eth1",
      "docker network disconnect -f front db",
      "docker run -d --name h --network host alpine sleep infinity",
      "docker network connect front h",
    ]);
    expect(r.get("docker exec db ip -br addr")?.slice(1)).toEqual([
      "eth0@if6         UP             172.19.0.2/16 ",
      "eth1@if7         UP             172.18.0.3/16 ",
    ]);
    // The gateway endpoint is the first network by name: back.
    expect(r.get("docker exec db ip route")?.[0]).toBe("default via 172.19.0.1 dev eth0 ");
    expect(r.get("docker exec db ping -c 1 web")?.[1]).toBe(
      "64 bytes from 172.18.0.2: seq=0 ttl=64 time=0.000 ms",
    );
    expect(r.get("docker network connect front db")).toEqual([
      "Error response from daemon: endpoint with name db already exists in network front",
    ]);
    expect(r.get("docker exec db ip -br addr show eth1")).toEqual(['Device "eth1" does not exist.']);
    expect(r.get("docker network disconnect front db")).toEqual([]);
    expect(r.get("docker network disconnect -f front db")?.[0]).toMatch(
      /^Error response from daemon: container [0-9a-f]{64} is not connected to network front$/,
    );
    expect(r.get("docker network connect front h")).toEqual([
      "Error response from daemon: container sharing network namespace with another container or host cannot be connected to any other network",
    ]);
  });

  it("inspect: the container's network settings; host-mode containers listed by the host network", () => {
    const r = run([
      "docker network create mynet",
      "docker run -d --name web --network mynet --network-alias www -p 8080:80 nginx",
      "docker inspect web",
      "docker inspect nope",
      "docker run -d --name h --network host alpine sleep infinity",
      "docker network inspect host",
    ]);
    const web = JSON.parse((r.get("docker inspect web") ?? []).join("\n"))[0];
    expect(web.Name).toBe("/web");
    expect(web.NetworkSettings.Ports).toEqual({ "80/tcp": [{ HostIp: "0.0.0.0", HostPort: "8080" }] });
    expect(web.NetworkSettings.Networks.mynet).toMatchObject({
      Aliases: ["www"],
      MacAddress: "02:42:ac:12:00:02",
      Gateway: "172.18.0.1",
      IPAddress: "172.18.0.2",
      IPPrefixLen: 16,
    });
    // docker/cli's inspector prints the (empty) array, then the error.
    expect(r.get("docker inspect nope")).toEqual(["[]", "Error: No such object: nope"]);
    const host = JSON.parse((r.get("docker network inspect host") ?? []).join("\n"))[0];
    expect(Object.values(host.Containers)).toEqual([
      {
        Name: "h",
        EndpointID: expect.stringMatching(/^[0-9a-f]{64}$/),
        MacAddress: "",
        IPv4Address: "",
        IPv6Address: "",
      },
    ]);
  });

  it("busybox's wget and nslookup in a container, by name", () => {
    const r = run([
      "docker network create mynet",
      "docker run -d --name web --network mynet nginx",
      "docker run -d --name c --network mynet alpine sleep infinity",
      "docker exec c wget -qO- http://web/",
      "docker exec c wget -O- http://web/",
      "docker exec c wget -qO- http://nosuch/",
      "docker exec c nslookup web",
    ]);
    expect(r.get("docker exec c wget -qO- http://web/")).toEqual([
      "<html><body><h1>It works!</h1></body></html>",
    ]);
    expect(r.get("docker exec c wget -O- http://web/")).toEqual([
      "Connecting to web (172.18.0.2:80)",
      "writing to stdout",
      "<html><body><h1>It works!</h1></body></html>",
      "written to stdout",
    ]);
    expect(r.get("docker exec c wget -qO- http://nosuch/")).toEqual(["wget: bad address 'nosuch'"]);
    expect(r.get("docker exec c nslookup web")).toEqual([
      "Server:\t\t127.0.0.11",
      "Address:\t127.0.0.11:53",
      "",
      "Non-authoritative answer:",
      "Name:\tweb",
      "Address: 172.18.0.2",
      "",
      // busybox asks AAAA too; the name has no IPv6 address on this network.
      "Non-authoritative answer:",
      "*** Can't find web: No answer",
      "",
    ]);
  });

  it("dockerd --default-gateway and --dns: the default bridge's containers route and resolve through them", () => {
    const r = run([
      "dockerd --default-gateway 172.17.0.254 --dns 9.9.9.9",
      "docker run -d --name a alpine sleep infinity",
      "docker exec a ip route",
      "docker exec a cat /etc/resolv.conf",
    ]);
    expect(r.get("docker exec a ip route")?.[0]).toBe("default via 172.17.0.254 dev eth0 ");
    expect(r.get("docker exec a cat /etc/resolv.conf")).toContain("nameserver 9.9.9.9");
  });

  it("macvlan without a parent: a dummy dm-<id> of its own, no default route, the containers still talk", () => {
    const r = run([
      "docker network create -d macvlan --subnet 10.77.0.0/24 island",
      "ip -br link",
      "docker run -d --name a --network island alpine sleep infinity",
      "docker run -d --name b --network island nginx",
      "docker exec a ip route",
      "docker exec a curl -s http://b/",
      "docker rm -f a b",
      "docker network rm island",
    ]);
    const id = r.get("docker network create -d macvlan --subnet 10.77.0.0/24 island")?.[0] ?? "";
    expect(r.get("ip -br link")?.some((l) => l.startsWith(`dm-${id.slice(0, 12)} `))).toBe(true);
    expect(r.get("docker exec a ip route")).toEqual([
      "10.77.0.0/24 dev eth0 proto kernel scope link src 10.77.0.2 ",
    ]);
    expect(r.get("docker exec a curl -s http://b/")).toEqual([
      "<html><body><h1>It works!</h1></body></html>",
    ]);
  });

  it("network ls filters: driver, name, type, label; values of one key are alternatives", () => {
    const r = run([
      "docker network create --label team=web front",
      "docker network create back",
      "docker network ls -q -f type=custom",
      "docker network ls -f name=ba -f name=fr",
      "docker network ls -f label=team=web -f type=custom",
      "docker network ls -f colour=red",
    ]);
    const names = (cmd: string) => (r.get(cmd) ?? []).slice(1).map((l) => l.split(/\s+/)[1]);
    expect(r.get("docker network ls -q -f type=custom")).toHaveLength(2);
    expect(names("docker network ls -f name=ba -f name=fr")).toEqual(["back", "front"]);
    expect(names("docker network ls -f label=team=web -f type=custom")).toEqual(["front"]);
    expect(r.get("docker network ls -f colour=red")).toEqual([
      "Error response from daemon: invalid filter 'colour'",
    ]);
  });

  it("a published UDP port goes through docker-proxy; a detached container's output is in docker logs", () => {
    const r = run([
      "docker run -d --name u -p 5353:53/udp alpine nc -u -l -p 53",
      "echo hello | nc -u -w 1 127.0.0.1 5353",
      "docker logs u",
      "docker run --rm alpine cat /etc/hostname-does-not-exist",
    ]);
    expect(r.get("echo hello | nc -u -w 1 127.0.0.1 5353")).toEqual([]);
    expect(r.get("docker logs u")).toEqual(["hello"]);
    expect(r.get("docker run --rm alpine cat /etc/hostname-does-not-exist")).toEqual([
      "cat: can't open '/etc/hostname-does-not-exist': No such file or directory",
    ]);
  });

  it("bridge options and daemon switches: interface prefix, no bridge address, no rules, no masquerade", () => {
    const r = run([
      "docker network create -o com.docker.network.container_iface_prefix=ens -o com.docker.network.bridge.inhibit_ipv4=true --ipam-opt x=y n",
      "docker run -d --name a --network n alpine sleep infinity",
      "docker exec a ip -br link",
      "docker network inspect n",
      "docker network create --ipv6 six",
      "docker network create --ipam-driver other o",
    ]);
    expect(r.get("docker exec a ip -br link")?.[1]).toMatch(/^ens0@if\d+ /);
    expect((r.get("docker network inspect n") ?? []).join("\n")).toMatch(/"Options": \{\n\s+"x": "y"\n\s+\}/);
    expect(r.get("docker network create --ipv6 six")?.[0]).toMatch(/^[0-9a-f]{64}$/);
    expect(r.get("docker network create --ipam-driver other o")).toEqual([
      'Error response from daemon: plugin "other" not found',
    ]);
    const off = run([
      "dockerd --iptables=false --ip-masq=false",
      "docker run -d -p 8080:80 nginx",
      "iptables-save",
    ]);
    expect(off.get("iptables-save")).toEqual([]);
    const noMasq = run(["dockerd --ip-masq=false", "iptables -t nat -S POSTROUTING"]);
    expect(noMasq.get("iptables -t nat -S POSTROUTING")).toEqual(["-P POSTROUTING ACCEPT"]);
  });

  it("network inspect of the default bridge: the spec's fields in the spec's order (API 1.47: no EnableIPv4)", () => {
    const r = run(["docker run -d --name web nginx", "docker network inspect bridge"]);
    const [bridge] = JSON.parse((r.get("docker network inspect bridge") ?? []).join("\n"));
    expect(Object.keys(bridge)).toEqual([
      "Name",
      "Id",
      "Created",
      "Scope",
      "Driver",
      "EnableIPv6",
      "IPAM",
      "Internal",
      "Attachable",
      "Ingress",
      "ConfigFrom",
      "ConfigOnly",
      "Containers",
      "Options",
      "Labels",
    ]);
    expect(bridge.IPAM).toEqual({
      Driver: "default",
      Options: null,
      Config: [{ Subnet: "172.17.0.0/16", Gateway: "172.17.0.1" }],
    });
    expect(Object.values(bridge.Containers)).toEqual([
      {
        Name: "web",
        EndpointID: expect.stringMatching(/^[0-9a-f]{64}$/),
        MacAddress: "02:42:ac:11:00:02",
        IPv4Address: "172.17.0.2/16",
        IPv6Address: "",
      },
    ]);
    expect(bridge.Options).toEqual({
      "com.docker.network.bridge.default_bridge": "true",
      "com.docker.network.bridge.enable_icc": "true",
      "com.docker.network.bridge.enable_ip_masquerade": "true",
      "com.docker.network.bridge.host_binding_ipv4": "0.0.0.0",
      "com.docker.network.bridge.name": "docker0",
      "com.docker.network.driver.mtu": "1500",
    });
    expect(bridge.Created).toMatch(/^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d(\.\d+)?Z$/);
  });
});

describe("--format / -f templates", () => {
  it("network ls --format (plain and table), network inspect -f, inspect -f with the usual one-liners", () => {
    const r = run([
      "docker network create --label tier=web --subnet 10.9.0.0/24 mynet",
      "docker run -d --name web --network mynet nginx",
      "docker network ls --format '{{.Name}}:{{.Driver}}'",
      "docker network ls --format 'table {{.Name}}\\t{{.Internal}}\\t{{.Label \"tier\"}}'",
      "docker network inspect -f '{{range .IPAM.Config}}{{.Subnet}}{{end}} {{json .Labels}}' mynet",
      "docker inspect -f '{{range .NetworkSettings.Networks}}{{.IPAddress}}{{end}}' web",
      "docker inspect --format '{{(index .NetworkSettings.Networks \"mynet\").Gateway}}' web",
      "docker inspect -f '{{.Name' web",
    ]);
    expect(r.get("docker network ls --format '{{.Name}}:{{.Driver}}'")).toEqual([
      "bridge:bridge",
      "host:host",
      "mynet:bridge",
      "none:null",
    ]);
    expect(
      r.get("docker network ls --format 'table {{.Name}}\\t{{.Internal}}\\t{{.Label \"tier\"}}'"),
    ).toEqual([
      "NAME      INTERNAL   tier",
      "bridge    false      ",
      "host      false      ",
      "mynet     false      web",
      "none      false      ",
    ]);
    expect(
      r.get("docker network inspect -f '{{range .IPAM.Config}}{{.Subnet}}{{end}} {{json .Labels}}' mynet"),
    ).toEqual(['10.9.0.0/24 {"tier":"web"}']);
    expect(r.get("docker inspect -f '{{range .NetworkSettings.Networks}}{{.IPAddress}}{{end}}' web")).toEqual(
      ["10.9.0.2"],
    );
    expect(
      r.get("docker inspect --format '{{(index .NetworkSettings.Networks \"mynet\").Gateway}}' web"),
    ).toEqual(["10.9.0.1"]);
    expect(r.get("docker inspect -f '{{.Name' web")).toEqual([
      "template parsing error: template: :1: unclosed action",
    ]);
  });
});

/** The exit status of the last command, after the others (which may fail). */
function exitOf(commands: string[]): number {
  const last = commands.at(-1) as string;
  const script = [...commands.slice(0, -1).map((c) => `${c} || true`), last].join("\n");
  return runLines(script, join(tmp, `e${n++}`)).result.exit;
}

describe("--format as docker/cli has it", () => {
  const setup = [
    "docker network create --label com.example.tier=web --label 'note=a<b&c' --subnet 10.9.0.0/24 mynet",
    "docker run -d --name web --network mynet nginx",
  ];

  it("network ls: json (networkContext's MarshalJSON: keys sorted, HTML escaped), table headers, CreatedAt as Go's time.String, IPv4 only from 28", () => {
    const r = run([
      ...setup,
      "docker network ls --filter name=mynet --format json",
      "docker network ls --format 'table {{.Name}}\\t{{.Label \"com.example.tier\"}}\\t{{.Labels}}'",
      "docker network ls --filter name=mynet --format '{{.CreatedAt}}'",
      "docker network ls --filter name=mynet --format '{{.IPv4}}'",
      "docker network ls --filter name=mynet --format 'table'",
      "docker network ls --filter name=mynet -q --format '{{.Name}}'",
    ]);
    expect(
      r
        .get("docker network ls --filter name=mynet --format json")
        ?.map((l) => l.replace(/"ID":"[0-9a-f]{12}"/, '"ID":"ID"')),
    ).toEqual([
      '{"CreatedAt":"2026-01-01 00:00:00 +0000 UTC","Driver":"bridge","ID":"ID","IPv6":"false","Internal":"false","Labels":"com.example.tier=web,note=a\\u003cb\\u0026c","Name":"mynet","Scope":"local"}',
    ]);
    expect(
      r.get("docker network ls --format 'table {{.Name}}\\t{{.Label \"com.example.tier\"}}\\t{{.Labels}}'"),
    ).toEqual([
      "NAME      tier      LABELS",
      "bridge              ",
      "host                ",
      "mynet     web       com.example.tier=web,note=a<b&c",
      "none                ",
    ]);
    expect(r.get("docker network ls --filter name=mynet --format '{{.CreatedAt}}'")).toEqual([
      "2026-01-01 00:00:00 +0000 UTC",
    ]);
    // Engine 27's CLI has no IPv4 column.
    expect(r.get("docker network ls --filter name=mynet --format '{{.IPv4}}'")).toEqual([
      'template parsing error: template: :1:2: executing "" at <.IPv4>: can\'t evaluate field IPv4 in type *network.networkContext',
    ]);
    expect(
      run([
        "dockerd --engine-version 28",
        ...setup,
        "docker network ls --filter name=mynet --format '{{.IPv4}}'",
      ]).get("docker network ls --filter name=mynet --format '{{.IPv4}}'"),
    ).toEqual(["true"]);
    expect(
      r
        .get("docker network ls --filter name=mynet --format 'table'")
        ?.map((l) => l.replace(/^[0-9a-f]{12}/, "ID")),
    ).toEqual(["NETWORK ID     NAME      DRIVER    SCOPE", "ID   mynet     bridge    local"]);
    expect(r.get("docker network ls --filter name=mynet -q --format '{{.Name}}'")).toEqual(["mynet"]);
  });

  it("network ls: parse and execution errors are 'template parsing error: ...', exit 1, nothing else printed", () => {
    const r = run([
      "docker network ls --format '{{.Name'",
      "docker network ls --format '{{.Foo}}'",
      "docker network ls --format '{{nope .Name}}'",
    ]);
    expect(r.get("docker network ls --format '{{.Name'")).toEqual([
      "template parsing error: template: :1: unclosed action",
    ]);
    expect(r.get("docker network ls --format '{{.Foo}}'")).toEqual([
      'template parsing error: template: :1:2: executing "" at <.Foo>: can\'t evaluate field Foo in type *network.networkContext',
    ]);
    expect(r.get("docker network ls --format '{{nope .Name}}'")).toEqual([
      'template parsing error: template: :1: function "nope" not defined',
    ]);
    expect(exitOf(["docker network ls --format '{{.Name'"])).toBe(1);
    expect(exitOf(["docker network ls --format '{{.Foo}}'"])).toBe(1);
  });

  it("inspect: json is the compact array; the template runs typed, then on the raw JSON with missingkey=error; parse errors exit 64, execution errors 1", () => {
    const r = run([
      ...setup,
      "docker network inspect --format json mynet",
      "docker network inspect -f '{{json .Labels}} {{index .Labels \"nope\"}}|{{.Labels.nope}}' mynet",
      "docker network inspect mynet",
      "docker inspect -f '{{.Foo}}' web",
      "docker inspect -f '{{.Name}} {{.Config.Foo}}' web",
      "docker inspect -f '{{.Name}}' web nope",
      "docker inspect -f 'table {{.Name}}' web",
      "docker inspect -f '{{if eq .State.Status \"running\"}}{{pad .Name 1 0}}{{end}}' web",
      "docker network inspect -f '{{.Name' mynet nope",
    ]);
    const compact = r.get("docker network inspect --format json mynet") ?? [];
    expect(compact).toHaveLength(1);
    expect(compact[0]).toMatch(
      /^\[\{"Name":"mynet","Id":"[0-9a-f]{64}",.*"Labels":\{"com.example.tier":"web","note":"a\\u003cb\\u0026c"\}\}\]$/,
    );
    expect(
      r.get("docker network inspect -f '{{json .Labels}} {{index .Labels \"nope\"}}|{{.Labels.nope}}' mynet"),
    ).toEqual(['{"com.example.tier":"web","note":"a<b&c"} |<no value>']);
    expect(r.get("docker network inspect mynet")).toContain('            "note": "a\\u003cb\\u0026c"');
    expect(r.get("docker inspect -f '{{.Foo}}' web")).toEqual([
      "",
      'template parsing error: template: :1:2: executing "" at <.Foo>: map has no entry for key "Foo"',
    ]);
    expect(r.get("docker inspect -f '{{.Name}} {{.Config.Foo}}' web")).toEqual([
      "",
      'template parsing error: template: :1:19: executing "" at <.Config.Foo>: map has no entry for key "Foo"',
    ]);
    expect(r.get("docker inspect -f '{{.Name}}' web nope")).toEqual(["/web", "Error: No such object: nope"]);
    expect(r.get("docker inspect -f 'table {{.Name}}' web")).toEqual(["table /web"]);
    expect(
      r.get("docker inspect -f '{{if eq .State.Status \"running\"}}{{pad .Name 1 0}}{{end}}' web"),
    ).toEqual([" /web"]);
    // A parse error stops before any lookup.
    expect(r.get("docker network inspect -f '{{.Name' mynet nope")).toEqual([
      "template parsing error: template: :1: unclosed action",
    ]);
    expect(exitOf([...setup, "docker inspect -f '{{.Name' web"])).toBe(64);
    expect(exitOf([...setup, "docker inspect -f '{{.Foo}}' web"])).toBe(1);
  });
});

describe("configuration-only networks (--config-only / --config-from)", () => {
  it("hold IPAM, options and labels for a --config-from network, refuse endpoints and removal while used, and libnetwork's errors", () => {
    const r = run([
      "ip link add eth0 type dummy",
      "ip link set eth0 up",
      "docker network create --config-only --subnet 192.168.1.0/24 --gateway 192.168.1.1 --ip-range 192.168.1.128/25 -o parent=eth0 --label site=lab lanconf",
      "docker network create --config-only --internal x",
      "docker network create --config-from lanconf --subnet 10.0.0.0/8 bad1",
      "docker network create --config-from lanconf -o parent=eth1 bad2",
      "docker network create -d macvlan --config-from nope bad3",
      "docker network create -d macvlan --config-from lanconf lan",
      "docker network ls --format '{{.Name}} {{.Driver}}'",
      "docker run -d --name c1 --network lanconf alpine sleep infinity",
      "docker run -d --name c2 --network lan alpine sleep infinity",
      "docker exec c2 ip -br addr show eth0",
      "docker network inspect -f '{{.Driver}} {{.ConfigOnly}} {{json .IPAM.Config}}' lanconf",
      "docker network inspect -f '{{.ConfigFrom.Network}} {{json .IPAM.Config}} {{json .Options}} {{json .Labels}}' lan",
      "docker network rm lanconf",
      "docker network prune -f",
      "docker network ls --format '{{.Name}}'",
    ]);
    const errors = [
      "configuration network can only contain network specific fields. Network operator fields like [ ingress | internal | attachable | scope ] are not supported.",
      "user specified configurations are not supported if the network depends on a configuration network",
      "network driver options are not supported if the network depends on a configuration network",
      'configuration network "nope" does not exist',
    ];
    expect(
      [
        "docker network create --config-only --internal x",
        "docker network create --config-from lanconf --subnet 10.0.0.0/8 bad1",
        "docker network create --config-from lanconf -o parent=eth1 bad2",
        "docker network create -d macvlan --config-from nope bad3",
      ].map((c) => r.get(c)?.[0]),
    ).toEqual(errors.map((e) => `Error response from daemon: ${e}`));
    expect(r.get("docker network ls --format '{{.Name}} {{.Driver}}'")).toEqual([
      "bridge bridge",
      "host host",
      "lan macvlan",
      "lanconf null",
      "none null",
    ]);
    expect(r.get("docker run -d --name c1 --network lanconf alpine sleep infinity")?.[0]).toBe(
      "docker: Error response from daemon: cannot create endpoint on configuration-only network.",
    );
    expect(r.get("docker exec c2 ip -br addr show eth0")?.[0]).toMatch(
      /^eth0@if\d+ +UP +192\.168\.1\.128\/24 $/,
    );
    expect(
      r.get("docker network inspect -f '{{.Driver}} {{.ConfigOnly}} {{json .IPAM.Config}}' lanconf"),
    ).toEqual([
      'null true [{"Subnet":"192.168.1.0/24","IPRange":"192.168.1.128/25","Gateway":"192.168.1.1"}]',
    ]);
    expect(
      r.get(
        "docker network inspect -f '{{.ConfigFrom.Network}} {{json .IPAM.Config}} {{json .Options}} {{json .Labels}}' lan",
      ),
    ).toEqual([
      'lanconf [{"Subnet":"192.168.1.0/24","IPRange":"192.168.1.128/25","Gateway":"192.168.1.1"}] {"parent":"eth0"} {"site":"lab"}',
    ]);
    expect(r.get("docker network rm lanconf")).toEqual([
      'Error response from daemon: configuration network "lanconf" is in use',
    ]);
    expect(r.get("docker network ls --format '{{.Name}}'")).toEqual([
      "bridge",
      "host",
      "lan",
      "lanconf",
      "none",
    ]);
  });
});

describe("container environment", () => {
  const script = [
    "docker run -d --name db -e POSTGRES_PASSWORD=secret -e HOME=/x -p 5432:5432 -p 5433:5433/tcp -p 5434:5434 -p 53:53/udp alpine sleep infinity",
    "docker run -d --name web -h web1 --link db:my-db -e APP=1 alpine sleep infinity",
    "docker exec web env",
    "docker exec web printenv MY_DB_NAME APP",
    "docker inspect -f '{{json .Config.Env}}' web",
  ];
  const perPort = (port: number, proto: string) => {
    const p = `MY_DB_PORT_${port}_${proto.toUpperCase()}`;
    return [
      `${p}=${proto}://172.17.0.2:${port}`,
      `${p}_ADDR=172.17.0.2`,
      `${p}_PORT=${port}`,
      `${p}_PROTO=${proto}`,
    ];
  };

  it("Docker 27: ports by number, the range block of three adjacent ports first (runc keeps the later copy of its _ADDR/_PROTO), then every port", () => {
    const r = run(script);
    expect(r.get("docker exec web env")).toEqual([
      "PATH=/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin",
      "HOSTNAME=web1",
      "MY_DB_PORT=udp://172.17.0.2:53",
      "MY_DB_PORT_5432_TCP_START=tcp://172.17.0.2:5432",
      "MY_DB_PORT_5432_TCP_PORT_START=5432",
      "MY_DB_PORT_5432_TCP_END=tcp://172.17.0.2:5434",
      "MY_DB_PORT_5432_TCP_PORT_END=5434",
      ...perPort(53, "udp"),
      ...perPort(5432, "tcp"),
      ...perPort(5433, "tcp"),
      ...perPort(5434, "tcp"),
      "MY_DB_NAME=/web/my-db",
      "MY_DB_ENV_POSTGRES_PASSWORD=secret",
      "APP=1",
      "HOME=/root",
    ]);
    expect(r.get("docker exec web printenv MY_DB_NAME APP")).toEqual(["/web/my-db", "1"]);
  });

  it("Docker 27's links.ToEnv list as the daemon hands it over (before runc drops the repeated names)", () => {
    const child = {
      name: "/web/db",
      ip: "172.17.0.3",
      env: [],
      ports: [
        { proto: "udp", port: 81 },
        { proto: "tcp", port: 82 },
        { proto: "tcp", port: 80 },
        { proto: "tcp", port: 81 },
        { proto: "tcp", port: 90 },
      ],
    };
    expect(linkEnv(child, true)).toEqual([
      "DB_PORT=tcp://172.17.0.3:80",
      "DB_PORT_80_TCP_START=tcp://172.17.0.3:80",
      "DB_PORT_80_TCP_ADDR=172.17.0.3",
      "DB_PORT_80_TCP_PROTO=tcp",
      "DB_PORT_80_TCP_PORT_START=80",
      "DB_PORT_80_TCP_END=tcp://172.17.0.3:82",
      "DB_PORT_80_TCP_PORT_END=82",
      ...["80/tcp", "81/tcp", "81/udp", "82/tcp", "90/tcp"].flatMap((pp) => {
        const [port, proto] = pp.split("/") as [string, string];
        const p = `DB_PORT_${port}_${proto.toUpperCase()}`;
        return [
          `${p}=${proto}://172.17.0.3:${port}`,
          `${p}_ADDR=172.17.0.3`,
          `${p}_PORT=${port}`,
          `${p}_PROTO=${proto}`,
        ];
      }),
      "DB_NAME=/web/db",
    ]);
  });

  it("Docker 28: tcp ports first, each range's _START/_END after its last port; 29 leaves links out", () => {
    const r = run(["dockerd --engine-version 28", ...script]);
    expect(r.get("docker exec web env")).toEqual([
      "PATH=/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin",
      "HOSTNAME=web1",
      "MY_DB_PORT=tcp://172.17.0.2:5432",
      ...perPort(5432, "tcp"),
      ...perPort(5433, "tcp"),
      ...perPort(5434, "tcp"),
      ...perPort(53, "udp"),
      "MY_DB_PORT_5432_TCP_START=tcp://172.17.0.2:5432",
      "MY_DB_PORT_5432_TCP_PORT_START=5432",
      "MY_DB_PORT_5432_TCP_END=tcp://172.17.0.2:5434",
      "MY_DB_PORT_5432_TCP_PORT_END=5434",
      "MY_DB_NAME=/web/my-db",
      "MY_DB_ENV_POSTGRES_PASSWORD=secret",
      "APP=1",
      "HOME=/root",
    ]);
    const v29 = run(["dockerd --engine-version 29", ...script]);
    expect(v29.get("docker exec web env")).toEqual([
      "PATH=/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin",
      "HOSTNAME=web1",
      "APP=1",
      "HOME=/root",
    ]);
  });

  it("Config.Env: the -e values first, then the image's variables they leave alone; a bare -e NAME unsets it", () => {
    const r = run([
      "docker run -d --name a -e APP=1 alpine sleep infinity",
      "docker run -d --name b -e APP=1 -e PATH=/opt/bin alpine sleep infinity",
      "docker run -d --name c -e PATH alpine sleep infinity",
      "docker inspect -f '{{json .Config.Env}}' a b c",
      "docker exec c env",
    ]);
    expect(r.get("docker inspect -f '{{json .Config.Env}}' a b c")).toEqual([
      '["APP=1","PATH=/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin"]',
      '["APP=1","PATH=/opt/bin"]',
      '["PATH"]',
    ]);
    const env = r.get("docker exec c env") ?? [];
    expect(env.map((l) => l.replace(/^HOSTNAME=[0-9a-f]{12}$/, "HOSTNAME=ID"))).toEqual([
      "HOSTNAME=ID",
      "HOME=/root",
    ]);
  });
});

describe("docker inspect (container)", () => {
  it("Engine 27's fields in the API's order, the default bridge's top-level address, state times and run flags", () => {
    const r = run([
      "docker network create mynet",
      "docker run -d --name a -P nginx",
      "docker run -d --name b --network mynet alpine sleep infinity",
      "docker inspect a",
      "docker inspect -f '{{.NetworkSettings.IPAddress}}|{{.NetworkSettings.Gateway}}|{{.NetworkSettings.MacAddress}}|{{.State.Pid}}|{{.HostConfig.PublishAllPorts}}|{{.Config.AttachStdout}}' a",
      "docker inspect -f '{{.NetworkSettings.IPAddress}}|{{.NetworkSettings.Networks.mynet.IPAddress}}|{{.State.Pid}}' b",
      "docker stop b",
      "docker inspect -f '{{.State.Status}} {{.State.Pid}} {{.State.FinishedAt}}' b",
    ]);
    const json = JSON.parse((r.get("docker inspect a") ?? []).join("\n"));
    expect(Object.keys(json[0])).toEqual([
      "Id",
      "Created",
      "Path",
      "Args",
      "State",
      "Image",
      "ResolvConfPath",
      "HostnamePath",
      "HostsPath",
      "LogPath",
      "Name",
      "RestartCount",
      "Driver",
      "Platform",
      "MountLabel",
      "ProcessLabel",
      "AppArmorProfile",
      "ExecIDs",
      "HostConfig",
      "GraphDriver",
      "Mounts",
      "Config",
      "NetworkSettings",
    ]);
    expect(Object.keys(json[0].NetworkSettings)).toEqual([
      "Bridge",
      "SandboxID",
      "SandboxKey",
      "Ports",
      "HairpinMode",
      "LinkLocalIPv6Address",
      "LinkLocalIPv6PrefixLen",
      "SecondaryIPAddresses",
      "SecondaryIPv6Addresses",
      "EndpointID",
      "Gateway",
      "GlobalIPv6Address",
      "GlobalIPv6PrefixLen",
      "IPAddress",
      "IPPrefixLen",
      "IPv6Gateway",
      "MacAddress",
      "Networks",
    ]);
    expect(Object.keys(json[0].NetworkSettings.Networks.bridge)).toEqual([
      "IPAMConfig",
      "Links",
      "Aliases",
      "MacAddress",
      "DriverOpts",
      "NetworkID",
      "EndpointID",
      "Gateway",
      "IPAddress",
      "IPPrefixLen",
      "IPv6Gateway",
      "GlobalIPv6Address",
      "GlobalIPv6PrefixLen",
      "DNSNames",
    ]);
    expect(json[0].Image).toMatch(/^sha256:[0-9a-f]{64}$/);
    expect(json[0].HostsPath).toBe(`/var/lib/docker/containers/${json[0].Id}/hosts`);
    expect(json[0].Config.ExposedPorts).toEqual({ "80/tcp": {} });
    expect(
      r.get(
        "docker inspect -f '{{.NetworkSettings.IPAddress}}|{{.NetworkSettings.Gateway}}|{{.NetworkSettings.MacAddress}}|{{.State.Pid}}|{{.HostConfig.PublishAllPorts}}|{{.Config.AttachStdout}}' a",
      ),
    ).toEqual(["172.17.0.2|172.17.0.1|02:42:ac:11:00:02|1000|true|false"]);
    expect(
      r.get(
        "docker inspect -f '{{.NetworkSettings.IPAddress}}|{{.NetworkSettings.Networks.mynet.IPAddress}}|{{.State.Pid}}' b",
      ),
    ).toEqual(["|172.18.0.2|1001"]);
    expect(
      r.get("docker inspect -f '{{.State.Status}} {{.State.Pid}} {{.State.FinishedAt}}' b")?.[0],
    ).toMatch(/^exited 0 \d{4}-\d\d-\d\dT[\d:.]+Z$/);
  });
});

describe("unsolicited ARP (28+)", () => {
  it("a new interface announces its address three times a second apart; advertise_addr_* options are checked and obeyed", () => {
    const r = run([
      "dockerd --engine-version 29",
      "tcpdump -n -i docker0 &",
      "docker run -d --name a alpine sleep infinity",
      "sleep 3",
      "docker network create -o com.docker.network.advertise_addr_nmsgs=5 -o com.docker.network.advertise_addr_ms=x bad",
      "docker network create -o com.docker.network.advertise_addr_nmsgs=2 -o com.docker.network.advertise_addr_ms=200 -o com.docker.network.bridge.name=two0 two",
      "tcpdump -n -i two0 &",
      "docker run -d --name b --network two alpine sleep infinity",
      "sleep 1",
    ]);
    expect(r.get("docker run -d --name a alpine sleep infinity")?.slice(1)).toEqual([
      "00:00:00.000000 ARP, Request who-has 172.17.0.2 tell 172.17.0.2, length 28",
    ]);
    expect(r.get("sleep 3")).toEqual([
      "00:00:01.000000 ARP, Request who-has 172.17.0.2 tell 172.17.0.2, length 28",
      "00:00:02.000000 ARP, Request who-has 172.17.0.2 tell 172.17.0.2, length 28",
    ]);
    expect(
      r.get(
        "docker network create -o com.docker.network.advertise_addr_nmsgs=5 -o com.docker.network.advertise_addr_ms=x bad",
      ),
    ).toEqual([
      "Error response from daemon: com.docker.network.advertise_addr_nmsgs must be in the range 0 to 3",
      'value for option com.docker.network.advertise_addr_ms "x" must be integer milliseconds',
    ]);
    const two = [
      ...(r.get("docker run -d --name b --network two alpine sleep infinity") ?? []),
      ...(r.get("sleep 1") ?? []),
    ].filter((l) => l.includes("ARP"));
    expect(two.map((l) => l.replace(/^\d\d:\d\d:\d\d\.\d+ /, ""))).toEqual([
      "ARP, Request who-has 172.18.0.2 tell 172.18.0.2, length 28",
      "ARP, Request who-has 172.18.0.2 tell 172.18.0.2, length 28",
    ]);
  });
});

describe("unsolicited ARP per driver (28+)", () => {
  it("macvlan endpoints announce their address, ipvlan ones (no MAC of their own) do not", () => {
    const r = run([
      "dockerd --engine-version 28",
      "ip link add eth0 type dummy",
      "ip link set eth0 up",
      "docker network create -d macvlan -o parent=eth0 --subnet 10.1.0.0/24 mv",
      "docker network create -d ipvlan -o parent=eth0 --subnet 10.2.0.0/24 iv",
      "tcpdump -n -i eth0 &",
      "docker run -d --name m --network mv alpine sleep infinity",
      "sleep 3",
      "docker run -d --name i --network iv alpine sleep infinity",
      "sleep 4",
    ]);
    const arp = (cmd: string) =>
      (r.get(cmd) ?? []).filter((l) => l.includes("ARP")).map((l) => l.replace(/^\d\d:\d\d:\d\d\.\d+ /, ""));
    expect([...arp("docker run -d --name m --network mv alpine sleep infinity"), ...arp("sleep 3")]).toEqual([
      "ARP, Request who-has 10.1.0.2 tell 10.1.0.2, length 28",
      "ARP, Request who-has 10.1.0.2 tell 10.1.0.2, length 28",
      "ARP, Request who-has 10.1.0.2 tell 10.1.0.2, length 28",
    ]);
    expect([...arp("docker run -d --name i --network iv alpine sleep infinity"), ...arp("sleep 4")]).toEqual(
      [],
    );
  });
});

describe("files and hostname per network mode", () => {
  it("host mode: copies of the host's files with --add-host lines, the host's hostname; container: mode: the target's", () => {
    const r = run([
      "docker run -d --name h --network host --add-host x:1.2.3.4 alpine sleep infinity",
      "docker exec h cat /etc/hosts",
      "docker exec h hostname",
      "cat /etc/hosts",
      "docker run -d --name w -h web nginx",
      "docker run -d --name c --network container:w alpine sleep infinity",
      "docker exec c hostname",
      "docker exec c cat /etc/hostname",
    ]);
    expect(r.get("docker exec h cat /etc/hosts")).toEqual([
      "127.0.0.1\tlocalhost",
      "::1\tlocalhost ip6-localhost ip6-loopback",
      "1.2.3.4\tx",
    ]);
    expect(r.get("docker exec h hostname")).toEqual(["localhost"]);
    expect(r.get("cat /etc/hosts")).toEqual([
      "127.0.0.1\tlocalhost",
      "::1\tlocalhost ip6-localhost ip6-loopback",
    ]);
    expect(r.get("docker exec c hostname")).toEqual(["web"]);
    expect(r.get("docker exec c cat /etc/hostname")).toEqual(["web"]);
  });
});

describe("inspect maps", () => {
  it("print their keys sorted, as Go's encoding/json does", () => {
    const r = run([
      "docker network create -o com.docker.network.driver.mtu=1400 -o com.docker.network.bridge.enable_icc=true --label z=1 --label a=2 mynet",
      "docker network inspect -f '{{json .Options}} {{json .Labels}}' mynet",
      "docker run -d --name w -p 9000:9000 -p 80:80 --network mynet nginx",
      "docker network connect bridge w",
      "docker inspect -f '{{json .HostConfig.PortBindings}} {{range $k, $v := .NetworkSettings.Networks}}{{$k}} {{end}}' w",
    ]);
    expect(r.get("docker network inspect -f '{{json .Options}} {{json .Labels}}' mynet")).toEqual([
      '{"com.docker.network.bridge.enable_icc":"true","com.docker.network.driver.mtu":"1400"} {"a":"2","z":"1"}',
    ]);
    const json = (
      JSON.parse(
        runLines(
          "docker network create -o com.docker.network.driver.mtu=1400 -o com.docker.network.bridge.enable_icc=true n\ndocker network inspect n",
          join(tmp, "maps"),
        )
          .lines.slice(3)
          .join("\n"),
      ) as { Options: Record<string, string> }[]
    )[0];
    expect(Object.keys(json?.Options ?? {})).toEqual([
      "com.docker.network.bridge.enable_icc",
      "com.docker.network.driver.mtu",
    ]);
    expect(
      r.get(
        "docker inspect -f '{{json .HostConfig.PortBindings}} {{range $k, $v := .NetworkSettings.Networks}}{{$k}} {{end}}' w",
      ),
    ).toEqual([
      '{"80/tcp":[{"HostIp":"","HostPort":"80"}],"9000/tcp":[{"HostIp":"","HostPort":"9000"}]} bridge mynet ',
    ]);
  });
});

describe("networks that need no gateway (28+)", () => {
  it("isolated bridges and ipvlan l3 reserve none: the first container gets the first address; 27 still reserves one", () => {
    const script = [
      "ip link add eth0 type dummy",
      "ip link set eth0 up",
      "docker network create --internal -o com.docker.network.bridge.gateway_mode_ipv4=isolated --subnet 10.20.0.0/24 iso",
      "docker network create -d ipvlan -o ipvlan_mode=l3 -o parent=eth0 --subnet 10.30.0.0/24 l3net",
      "docker run -d --name a --network l3net alpine sleep infinity",
      "docker network inspect -f '{{json .IPAM.Config}}' iso l3net",
      "docker inspect -f '{{.NetworkSettings.Networks.l3net.IPAddress}}' a",
    ];
    const r = run(["dockerd --engine-version 29", ...script]);
    expect(r.get("docker network inspect -f '{{json .IPAM.Config}}' iso l3net")).toEqual([
      '[{"Subnet":"10.20.0.0/24"}]',
      '[{"Subnet":"10.30.0.0/24"}]',
    ]);
    expect(r.get("docker inspect -f '{{.NetworkSettings.Networks.l3net.IPAddress}}' a")).toEqual([
      "10.30.0.1",
    ]);
    const v27 = run(script.filter((l) => !l.includes("isolated")));
    expect(v27.get("docker inspect -f '{{.NetworkSettings.Networks.l3net.IPAddress}}' a")).toEqual([
      "10.30.0.2",
    ]);
  });
});

describe("network prune filters", () => {
  it("until (a duration back from now) and label / label! choose what goes; bad filters are refused", () => {
    const r = run([
      "docker network create --label keep=yes a",
      "sleep 10",
      "docker network create b",
      "docker network create --label keep=no c",
      "docker network prune -f --filter until=5s",
      "docker network prune -f --filter label!=keep=no",
      "docker network ls --format '{{.Name}}'",
      "docker network prune -f --filter until=junk",
      "docker network prune -f --filter color=red",
    ]);
    // The CLI prints the list with Fprintln: an empty line after it.
    expect(r.get("docker network prune -f --filter until=5s")).toEqual(["Deleted Networks:", "a", ""]);
    expect(r.get("docker network prune -f --filter label!=keep=no")).toEqual(["Deleted Networks:", "b", ""]);
    expect(r.get("docker network ls --format '{{.Name}}'")).toEqual(["bridge", "c", "host", "none"]);
    expect(r.get("docker network prune -f --filter until=junk")).toEqual([
      'Error response from daemon: failed to parse value as time or duration: "junk"',
    ]);
    expect(r.get("docker network prune -f --filter color=red")).toEqual([
      "Error response from daemon: invalid filter 'color'",
    ]);
  });
});

describe("network connect options", () => {
  it("--link on a user-defined network is an alias only the linking container resolves; --driver-opt shows in inspect", () => {
    const r = run([
      "docker network create back",
      "docker run -d --name db --network back nginx",
      "docker run -d --name app --network back --link db:database alpine sleep infinity",
      "docker exec app nslookup database",
      "docker run -d --name other --network back alpine sleep infinity",
      "docker exec other nslookup database",
      "docker network create front",
      "docker network connect --driver-opt com.example.x=1 --link db:d2 front app",
      "docker inspect -f '{{json .NetworkSettings.Networks.front.DriverOpts}} {{json .NetworkSettings.Networks.back.Links}} {{json .NetworkSettings.Networks.front.Links}}' app",
      "docker network connect --gw-priority 1 front other",
    ]);
    expect(r.get("docker exec app nslookup database")).toContain("Address: 172.18.0.2");
    expect(r.get("docker exec other nslookup database")).toContain("** server can't find database: SERVFAIL");
    expect(
      r.get(
        "docker inspect -f '{{json .NetworkSettings.Networks.front.DriverOpts}} {{json .NetworkSettings.Networks.back.Links}} {{json .NetworkSettings.Networks.front.Links}}' app",
      ),
    ).toEqual(['{"com.example.x":"1"} ["db:database"] ["db:d2"]']);
    // --gw-priority is Docker 28's: Engine 27's CLI does not know it.
    expect(r.get("docker network connect --gw-priority 1 front other")?.[0]).toBe(
      "unknown flag: --gw-priority",
    );
  });

  it("--gw-priority (28+) moves the default route and the published ports to the new network", () => {
    const r = run([
      "dockerd --engine-version 29",
      "docker network create a-net",
      "docker network create z-net",
      "docker run -d --name web --network a-net -p 8080:80 nginx",
      "docker network connect --gw-priority 5 z-net web",
      "docker exec web ip route",
      "iptables -t nat -S DOCKER",
      "docker inspect -f '{{(index .NetworkSettings.Networks \"z-net\").GwPriority}}' web",
    ]);
    expect(r.get("docker exec web ip route")?.[0]).toBe("default via 172.19.0.1 dev eth1 ");
    expect(r.get("iptables -t nat -S DOCKER")?.map((l) => l.replace(/br-[0-9a-f]{12}/, "br-ID"))).toEqual([
      "-N DOCKER",
      "-A DOCKER ! -i br-ID -p tcp -m tcp --dport 8080 -j DNAT --to-destination 172.19.0.2:80",
    ]);
    expect(
      r.get("docker inspect -f '{{(index .NetworkSettings.Networks \"z-net\").GwPriority}}' web"),
    ).toEqual(["5"]);
  });
});

describe("gateway election", () => {
  it("an endpoint whose network gives no gateway (macvlan without a parent, internal) is passed over: the default route and the ports go to the next", () => {
    const r = run([
      "docker network create -d macvlan --subnet 10.9.0.0/24 a-lan",
      "docker network create --internal b-int",
      "docker network create z-net",
      "docker run -d --name web --network a-lan -p 8080:80 nginx",
      "docker exec web ip route",
      "docker network connect b-int web",
      "docker network connect z-net web",
      "docker exec web ip route",
      "iptables -t nat -S DOCKER",
    ]);
    expect(r.get("docker exec web ip route")).toEqual([
      "default via 172.19.0.1 dev eth2 ",
      "10.9.0.0/24 dev eth0 proto kernel scope link src 10.9.0.2 ",
      "172.18.0.0/16 dev eth1 proto kernel scope link src 172.18.0.2 ",
      "172.19.0.0/16 dev eth2 proto kernel scope link src 172.19.0.2 ",
    ]);
    expect(r.get("iptables -t nat -S DOCKER")?.map((l) => l.replace(/br-[0-9a-f]{12}/g, "br-ID"))).toEqual([
      "-N DOCKER",
      "-A DOCKER -i br-ID -j RETURN",
      "-A DOCKER -i docker0 -j RETURN",
      "-A DOCKER ! -i br-ID -p tcp -m tcp --dport 8080 -j DNAT --to-destination 172.19.0.2:80",
    ]);
  });
});

describe("several subnets", () => {
  it("the CLI splits --gateway/--ip-range/--aux-address by subnet; bridges refuse them; macvlan fills them in order", () => {
    const r = run([
      "ip link add eth0 type dummy",
      "ip link set eth0 up",
      "docker network create --subnet 10.1.0.0/24 --subnet 10.2.0.0/24 b2",
      "docker network create --subnet 10.1.0.0/16 --subnet 10.1.2.0/24 bad",
      "docker network create --subnet 10.1.0.0/24 --subnet 10.2.0.0/24 --gateway 10.3.0.1 bad2",
      "docker network create --subnet 10.1.0.0/24 --subnet 10.2.0.0/24 --ip-range 10.1.0.0/25 --ip-range 10.1.0.128/25 bad3",
      "docker network create -d macvlan -o parent=eth0 --subnet 10.1.0.0/30 --subnet 10.2.0.0/24 --gateway 10.2.0.254 --ip-range 10.2.0.128/25 mv",
      "docker network inspect -f '{{json .IPAM.Config}}' mv",
      "docker run -d --name a --network mv alpine sleep infinity",
      "docker run -d --name b --network mv alpine sleep infinity",
      "docker run -d --name c --network mv --ip 10.2.0.7 alpine sleep infinity",
      "docker exec b ip route",
      "docker inspect -f '{{.NetworkSettings.Networks.mv.IPAddress}}/{{.NetworkSettings.Networks.mv.IPPrefixLen}} via {{.NetworkSettings.Networks.mv.Gateway}}' a b c",
      "docker network ls --format '{{.Name}}'",
    ]);
    expect(r.get("docker network create --subnet 10.1.0.0/24 --subnet 10.2.0.0/24 b2")).toEqual([
      "Error response from daemon: bridge driver doesn't support multiple subnets",
    ]);
    expect(r.get("docker network create --subnet 10.1.0.0/16 --subnet 10.1.2.0/24 bad")).toEqual([
      "multiple overlapping subnet configuration is not supported",
    ]);
    expect(
      r.get("docker network create --subnet 10.1.0.0/24 --subnet 10.2.0.0/24 --gateway 10.3.0.1 bad2"),
    ).toEqual(["no matching subnet for gateway 10.3.0.1"]);
    expect(
      r.get(
        "docker network create --subnet 10.1.0.0/24 --subnet 10.2.0.0/24 --ip-range 10.1.0.0/25 --ip-range 10.1.0.128/25 bad3",
      ),
    ).toEqual([
      "cannot configure multiple ranges (10.1.0.128/25, 10.1.0.0/25) on the same subnet (10.1.0.0/24)",
    ]);
    expect(r.get("docker network inspect -f '{{json .IPAM.Config}}' mv")).toEqual([
      '[{"Subnet":"10.1.0.0/30"},{"Subnet":"10.2.0.0/24","IPRange":"10.2.0.128/25","Gateway":"10.2.0.254"}]',
    ]);
    expect(r.get("docker exec b ip route")).toEqual([
      "default via 10.2.0.254 dev eth0 ",
      "10.2.0.0/24 dev eth0 proto kernel scope link src 10.2.0.128 ",
    ]);
    expect(
      r.get(
        "docker inspect -f '{{.NetworkSettings.Networks.mv.IPAddress}}/{{.NetworkSettings.Networks.mv.IPPrefixLen}} via {{.NetworkSettings.Networks.mv.Gateway}}' a b c",
      ),
    ).toEqual(["10.1.0.2/30 via 10.1.0.1", "10.2.0.128/24 via 10.2.0.254", "10.2.0.7/24 via 10.2.0.254"]);
    expect(r.get("docker network ls --format '{{.Name}}'")).toEqual(["bridge", "host", "mv", "none"]);
  });
});
