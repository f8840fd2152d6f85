/**
 * Docker's default IPAM (shared/spec/docker-networking.md §2 and the §1.4 error table): the
 * worked allocation examples of §2.4 (IPv4, local scope), every IPAM error text with its HTTP
 * status, inspect's IPAM.Config entry, Docker's --ip-range quirks, and a property check of
 * lowest-free allocation against a simple model.
 */

import fc from "fast-check";
import { describe, expect, it } from "vitest";
import { DockerError } from "../../src/docker/docker-error.js";
import { Ipam, type IpamPool, type PoolRequest } from "../../src/docker/ipam.js";
import { ipv4, ipv4ToString } from "../../src/util/ipv4-address.js";

const subnetOf = (p: IpamPool) => `${ipv4ToString(p.subnet)}/${p.prefixLen}`;
const next = (p: IpamPool) => ipv4ToString(p.allocate(undefined, "n (0123456789ab)"));

/** The DockerError `fn` throws, as { message, status, daemon }. */
function failure(fn: () => unknown): { message: string; status: number; daemon: boolean } {
  try {
    fn();
  } catch (e) {
    if (e instanceof DockerError) return { message: e.message, status: e.status, daemon: e.daemon };
    throw e;
  }
  throw new Error("expected a DockerError");
}

function request(ipam: Ipam, req: PoolRequest) {
  return failure(() => ipam.requestPool(req));
}

describe("subnet selection (§2.4)", () => {
  it("gives the default bridge 172.17.0.0/16, then 172.18 and 172.19, and reuses a freed subnet at once", () => {
    const ipam = new Ipam();
    const bridge = ipam.requestPool({});
    expect(subnetOf(bridge)).toBe("172.17.0.0/16");
    expect(ipv4ToString(bridge.gateway)).toBe("172.17.0.1");
    expect(bridge.userSubnet).toBe(false);
    const a = ipam.requestPool({});
    expect([subnetOf(a), ipv4ToString(a.gateway)]).toEqual(["172.18.0.0/16", "172.18.0.1"]);
    const b = ipam.requestPool({});
    expect([subnetOf(b), ipv4ToString(b.gateway)]).toEqual(["172.19.0.0/16", "172.19.0.1"]);
    ipam.releasePool(a);
    const c = ipam.requestPool({});
    expect([subnetOf(c), ipv4ToString(c.gateway)]).toEqual(["172.18.0.0/16", "172.18.0.1"]);
    expect(subnetOf(ipam.requestPool({}))).toBe("172.20.0.0/16");
  });

  it("skips a host route (172.20.0.0/16 on eth1): the next two are 172.21 and 172.22", () => {
    const ipam = new Ipam({ reserved: () => ["172.20.0.0/16"] });
    for (const want of ["172.17.0.0/16", "172.18.0.0/16", "172.19.0.0/16", "172.21.0.0/16", "172.22.0.0/16"])
      expect(subnetOf(ipam.requestPool({}))).toBe(want);
  });

  it("asks reserved() at each request; a bare nameserver address counts as a /32", () => {
    let reserved: string[] = [];
    const ipam = new Ipam({ reserved: () => reserved });
    expect(subnetOf(ipam.requestPool({}))).toBe("172.17.0.0/16");
    reserved = ["172.18.0.53", "172.19.0.0/24"];
    expect(subnetOf(ipam.requestPool({}))).toBe("172.20.0.0/16");
    reserved = [];
    expect(subnetOf(ipam.requestPool({}))).toBe("172.18.0.0/16");
  });

  it("after 172.31.0.0/16 comes 192.168.0.0/20, then 192.168.16.0/20, and after 31 subnets none is left", () => {
    const ipam = new Ipam();
    const got: string[] = [];
    for (let i = 0; i < 15; i++) got.push(subnetOf(ipam.requestPool({})));
    expect(got).toEqual(Array.from({ length: 15 }, (_, i) => `172.${17 + i}.0.0/16`));
    const p = ipam.requestPool({});
    expect([subnetOf(p), ipv4ToString(p.gateway)]).toEqual(["192.168.0.0/20", "192.168.0.1"]);
    expect(subnetOf(ipam.requestPool({}))).toBe("192.168.16.0/20");
    for (let i = 2; i < 16; i++) expect(subnetOf(ipam.requestPool({}))).toBe(`192.168.${i * 16}.0/20`);
    expect(request(ipam, {})).toEqual({
      message: "all predefined address pools have been fully subnetted",
      status: 400,
      daemon: true,
    });
  });

  it("skips a predefined subnet that a user subnet partly overlaps", () => {
    const ipam = new Ipam();
    ipam.requestPool({ subnet: "172.18.5.0/24" });
    expect(subnetOf(ipam.requestPool({}))).toBe("172.17.0.0/16");
    expect(subnetOf(ipam.requestPool({}))).toBe("172.19.0.0/16");
  });

  it("uses --default-address-pool entries instead, sorted by base", () => {
    const ipam = new Ipam({
      defaultPools: [
        { base: "10.20.0.0/16", size: 24 },
        { base: "10.10.0.0/16", size: 24 },
      ],
    });
    expect(subnetOf(ipam.requestPool({}))).toBe("10.10.0.0/24");
    const p = ipam.requestPool({});
    expect([subnetOf(p), ipv4ToString(p.gateway)]).toEqual(["10.10.1.0/24", "10.10.1.1"]);
  });
});

describe("addresses within a subnet (§2.3, §2.4)", () => {
  it("hands out .2, .3, .4 on network b and gives the freed .2 to the next container", () => {
    const ipam = new Ipam();
    ipam.requestPool({});
    ipam.requestPool({});
    const b = ipam.requestPool({});
    expect(subnetOf(b)).toBe("172.19.0.0/16");
    expect([next(b), next(b), next(b)]).toEqual(["172.19.0.2", "172.19.0.3", "172.19.0.4"]);
    b.release(ipv4("172.19.0.2"));
    expect(next(b)).toBe("172.19.0.2");
    expect(next(b)).toBe("172.19.0.5");
  });

  it("--subnet 10.5.0.0/24 --ip-range 10.5.0.128/25 --gateway 10.5.0.1: containers from 10.5.0.128", () => {
    const ipam = new Ipam();
    const p = ipam.requestPool({ subnet: "10.5.0.0/24", ipRange: "10.5.0.128/25", gateway: "10.5.0.1" });
    expect(p.userSubnet).toBe(true);
    expect(ipv4ToString(p.gateway)).toBe("10.5.0.1");
    expect(p.ipRange).toEqual({ addr: ipv4("10.5.0.128"), prefixLen: 25 });
    expect([next(p), next(p)]).toEqual(["10.5.0.128", "10.5.0.129"]);
    // --ip may be anywhere in the subnet, outside the range too.
    expect(ipv4ToString(p.allocate(ipv4("10.5.0.7"), "n (0123456789ab)"))).toBe("10.5.0.7");
    // The range holds .128-.254 (.255 is the broadcast address): 125 more, then none.
    for (let i = 130; i <= 254; i++) expect(next(p)).toBe(`10.5.0.${i}`);
    expect(failure(() => next(p))).toEqual({
      message: "no available IPv4 addresses on this network's address pools: n (0123456789ab)",
      status: 500,
      daemon: true,
    });
  });

  it("with --ip-range and no --gateway the gateway is the range's first address", () => {
    const ipam = new Ipam();
    const p = ipam.requestPool({ subnet: "172.28.0.0/16", ipRange: "172.28.30.0/24" });
    expect(ipv4ToString(p.gateway)).toBe("172.28.30.0");
    expect([next(p), next(p)]).toEqual(["172.28.30.1", "172.28.30.2"]);
  });

  it("--subnet 10.5.0.0/24 --aux-address r=10.5.0.2: containers start at 10.5.0.3", () => {
    const ipam = new Ipam();
    const p = ipam.requestPool({ subnet: "10.5.0.0/24", auxAddresses: [["r", "10.5.0.2"]] });
    expect(ipv4ToString(p.gateway)).toBe("10.5.0.1");
    expect([...p.auxAddresses]).toEqual([["r", ipv4("10.5.0.2")]]);
    expect([next(p), next(p)]).toEqual(["10.5.0.3", "10.5.0.4"]);
  });

  it("keeps the network and broadcast addresses out, except on /31 and /32", () => {
    const ipam = new Ipam();
    const p30 = ipam.requestPool({ subnet: "10.0.0.0/30" });
    expect([ipv4ToString(p30.gateway), next(p30)]).toEqual(["10.0.0.1", "10.0.0.2"]);
    expect(failure(() => next(p30)).message).toBe(
      "no available IPv4 addresses on this network's address pools: n (0123456789ab)",
    );
    const p31 = ipam.requestPool({ subnet: "10.0.1.0/31" });
    expect([ipv4ToString(p31.gateway), next(p31)]).toEqual(["10.0.1.0", "10.0.1.1"]);
    const p32 = ipam.requestPool({ subnet: "10.0.2.7/32" });
    expect(ipv4ToString(p32.gateway)).toBe("10.0.2.7");
    expect(failure(() => next(p32)).status).toBe(500);
  });

  it("crosses 65536-address bitmap chunks in a /15", () => {
    const ipam = new Ipam();
    const p = ipam.requestPool({ subnet: "10.0.0.0/15" });
    for (let i = 2; i < 65536; i++) p.allocate(ipv4("10.0.0.0") + i, "n");
    expect(next(p)).toBe("10.1.0.0");
    p.release(ipv4("10.0.200.7"));
    expect(next(p)).toBe("10.0.200.7");
    expect(next(p)).toBe("10.1.0.1");
    expect(ipv4ToString(p.allocate(ipv4("10.1.255.254"), "n"))).toBe("10.1.255.254");
  });

  it("frees the gateway and aux addresses with the pool, so the same request succeeds again", () => {
    const ipam = new Ipam();
    const req: PoolRequest = {
      subnet: "10.5.0.0/24",
      gateway: "10.5.0.9",
      auxAddresses: [["r", "10.5.0.2"]],
    };
    ipam.releasePool(ipam.requestPool(req));
    const p = ipam.requestPool(req);
    expect([ipv4ToString(p.gateway), next(p)]).toEqual(["10.5.0.9", "10.5.0.1"]);
  });

  it("reports API 1.52 Status: every set bit, and what is left of the dynamic range", () => {
    const ipam = new Ipam();
    const bridge = ipam.requestPool({});
    next(bridge);
    expect(bridge.status()).toEqual({ IPsInUse: 4, DynamicIPsAvailable: 65532 });
    const r = ipam.requestPool({ subnet: "10.5.0.0/24", ipRange: "10.5.0.128/25", gateway: "10.5.0.1" });
    next(r);
    expect(r.status()).toEqual({ IPsInUse: 4, DynamicIPsAvailable: 126 });
  });
});

describe("inspect's IPAM.Config entry", () => {
  it("shows the allocated Subnet and Gateway for an automatic subnet", () => {
    const p = new Ipam().requestPool({});
    expect(JSON.stringify(p.config())).toBe('{"Subnet":"172.17.0.0/16","Gateway":"172.17.0.1"}');
  });

  it("echoes what the user configured, keys in API order, aux addresses sorted by name", () => {
    const ipam = new Ipam();
    const p = ipam.requestPool({
      subnet: "10.5.0.0/24",
      ipRange: "10.5.0.128/25",
      gateway: "10.5.0.1",
      auxAddresses: [
        ["z", "10.5.0.9"],
        ["a", "10.5.0.8"],
      ],
    });
    expect(JSON.stringify(p.config())).toBe(
      '{"Subnet":"10.5.0.0/24","IPRange":"10.5.0.128/25","Gateway":"10.5.0.1",' +
        '"AuxiliaryAddresses":{"a":"10.5.0.8","z":"10.5.0.9"}}',
    );
    expect([...p.auxAddresses.keys()]).toEqual(["z", "a"]);
    // No --gateway: the user's IpamConf has none, so inspect shows none.
    expect(JSON.stringify(ipam.requestPool({ subnet: "10.6.0.0/24" }).config())).toBe(
      '{"Subnet":"10.6.0.0/24"}',
    );
  });
});

describe("--subnet overlaps and Docker's --ip-range quirk (moby#46756)", () => {
  it("refuses a subnet that overlaps an allocated one", () => {
    const ipam = new Ipam();
    ipam.requestPool({});
    ipam.requestPool({});
    const overlap = {
      message: "invalid pool request: Pool overlaps with other one on this address space",
      status: 403,
      daemon: true,
    };
    expect(request(ipam, { subnet: "172.18.0.0/16" })).toEqual(overlap);
    expect(request(ipam, { subnet: "172.16.0.0/12" })).toEqual(overlap);
    expect(request(ipam, { subnet: "172.17.3.0/24" })).toEqual(overlap);
    ipam.requestPool({ subnet: "10.1.0.0/16" });
    expect(request(ipam, { subnet: "10.1.0.0/16" })).toEqual(overlap);
  });

  it("with --ip-range skips the overlap check and shares the subnet's addresses", () => {
    const ipam = new Ipam();
    const a = ipam.requestPool({});
    const b = ipam.requestPool({ subnet: "172.17.0.0/16", ipRange: "172.17.5.0/24" });
    expect(ipv4ToString(b.gateway)).toBe("172.17.5.0");
    expect(next(a)).toBe("172.17.0.2");
    expect(next(b)).toBe("172.17.5.1");
    expect(failure(() => b.allocate(ipv4("172.17.0.2"), "b"))).toEqual({
      message: "Address already in use",
      status: 403,
      daemon: true,
    });
    expect(request(ipam, { subnet: "172.17.0.0/16", ipRange: "172.17.5.0/24" }).message).toBe(
      "invalid pool request: Pool overlaps with other one on this address space",
    );
    ipam.requestPool({ subnet: "172.16.0.0/12", ipRange: "172.16.0.0/24" });
    ipam.releasePool(a);
    // b still holds 172.17.0.0/16 and 172.16.0.0/12 covers the rest of 172.16-31.
    expect(subnetOf(ipam.requestPool({}))).toBe("192.168.0.0/20");
    ipam.releasePool(b);
    expect(subnetOf(ipam.requestPool({}))).toBe("192.168.16.0/20");
  });
});

describe("error texts (§1.4)", () => {
  const invalid = (message: string) => ({
    message: `invalid network config:\n${message}`,
    status: 400,
    daemon: true,
  });

  it("subnet with host bits", () => {
    expect(request(new Ipam(), { subnet: "10.1.2.3/16" })).toEqual(
      invalid("invalid subnet 10.1.2.3/16: it should be 10.1.0.0/16"),
    );
  });

  it("gateway outside the subnet", () => {
    expect(request(new Ipam(), { subnet: "192.168.5.0/24", gateway: "10.9.9.1" })).toEqual(
      invalid("invalid gateway 10.9.9.1: parent subnet 192.168.5.0/24 doesn't contain this address"),
    );
    expect(request(new Ipam(), { subnet: "192.168.5.0/24", gateway: "10.9.9" })).toEqual(
      invalid("invalid gateway 10.9.9: invalid address"),
    );
  });

  it("ip-range outside, bigger than, or not aligned to its subnet", () => {
    expect(request(new Ipam(), { subnet: "10.1.0.0/16", ipRange: "10.2.0.0/24" })).toEqual(
      invalid("invalid ip-range 10.2.0.0/24: parent subnet 10.1.0.0/16 doesn't contain ip-range"),
    );
    expect(request(new Ipam(), { subnet: "10.10.10.0/24", ipRange: "10.0.0.0/8" })).toEqual(
      invalid("invalid ip-range 10.0.0.0/8: CIDR block is bigger than its parent subnet 10.10.10.0/24"),
    );
    expect(request(new Ipam(), { subnet: "10.0.0.0/8", ipRange: "10.10.10.0/16" })).toEqual(
      invalid("invalid ip-range 10.10.10.0/16: it should be 10.10.0.0/16"),
    );
  });

  it("aux address outside the subnet", () => {
    expect(request(new Ipam(), { subnet: "10.5.0.0/24", auxAddresses: [["r", "10.6.0.2"]] })).toEqual(
      invalid("invalid auxiliary address r: parent subnet 10.5.0.0/24 doesn't contain this address"),
    );
  });

  it("joins several problems as Go's joinError does", () => {
    expect(
      request(new Ipam(), {
        subnet: "10.0.0.0/8",
        ipRange: "192.168.0.1/24",
        gateway: "192.168.0.1",
        auxAddresses: [["DefaultGatewayIPv4", "192.168.0.1"]],
      }),
    ).toEqual(
      invalid(
        "* invalid ip-range 192.168.0.1/24: it should be 192.168.0.0/24\n" +
          "* invalid ip-range 192.168.0.1/24: parent subnet 10.0.0.0/8 doesn't contain ip-range\n" +
          "* invalid gateway 192.168.0.1: parent subnet 10.0.0.0/8 doesn't contain this address\n" +
          "* invalid auxiliary address DefaultGatewayIPv4: parent subnet 10.0.0.0/8 doesn't contain this address",
      ),
    );
  });

  it("unparsable CIDRs are the CLI's errors", () => {
    expect(request(new Ipam(), { subnet: "10.0.0.0/33" })).toEqual({
      message: "invalid subnet: invalid CIDR address: 10.0.0.0/33",
      status: 400,
      daemon: false,
    });
    expect(request(new Ipam(), { subnet: "10.0.0.0/8", ipRange: "10.1.0.0" })).toEqual({
      message: "invalid CIDR address: 10.1.0.0",
      status: 400,
      daemon: false,
    });
    expect(request(new Ipam(), { gateway: "10.0.0.1" })).toEqual({
      message: "every ip-range or gateway must have a corresponding subnet",
      status: 400,
      daemon: false,
    });
  });

  it("--ip already taken, outside the subnet, and a full pool", () => {
    const p = new Ipam().requestPool({ subnet: "10.9.0.0/30" });
    const taken = { message: "Address already in use", status: 403, daemon: true };
    expect(failure(() => p.allocate(ipv4("10.9.0.1"), "mynet (3f2a1b4c5d6e)"))).toEqual(taken);
    expect(failure(() => p.allocate(ipv4("10.9.0.0"), "mynet (3f2a1b4c5d6e)"))).toEqual(taken);
    expect(failure(() => p.allocate(ipv4("10.9.9.9"), "mynet (3f2a1b4c5d6e)"))).toEqual({
      message: "no configured subnet or ip-range contain the IP address 10.9.9.9",
      status: 400,
      daemon: true,
    });
    expect(ipv4ToString(p.allocate(undefined, "mynet (3f2a1b4c5d6e)"))).toBe("10.9.0.2");
    expect(failure(() => p.allocate(undefined, "mynet (3f2a1b4c5d6e)"))).toEqual({
      message: "no available IPv4 addresses on this network's address pools: mynet (3f2a1b4c5d6e)",
      status: 500,
      daemon: true,
    });
  });

  it("a taken gateway or aux address fails the request and gives the subnet back", () => {
    const ipam = new Ipam();
    expect(request(ipam, { subnet: "10.5.0.0/24", gateway: "10.5.0.0" })).toEqual({
      message: "failed to allocate gateway (10.5.0.0): Address already in use",
      status: 500,
      daemon: true,
    });
    expect(request(ipam, { subnet: "10.5.0.0/24", auxAddresses: [["r", "10.5.0.1"]] })).toEqual({
      message: "failed to allocate secondary ip address (r:10.5.0.1): Address already in use",
      status: 500,
      daemon: true,
    });
    const p = ipam.requestPool({ subnet: "10.5.0.0/24" });
    expect([ipv4ToString(p.gateway), next(p)]).toEqual(["10.5.0.1", "10.5.0.2"]);
  });
});

describe("property: lowest free first", () => {
  it("allocations are unique, inside the range, and always the lowest free address", () => {
    fc.assert(
      fc.property(
        fc.integer({ min: 22, max: 30 }),
        fc.option(fc.record({ extra: fc.integer({ min: 0, max: 6 }), index: fc.nat() }), { nil: undefined }),
        fc.array(fc.oneof(fc.constant(-1), fc.nat(10_000)), { maxLength: 300 }),
        (len, range, ops) => {
          const base = ipv4("10.7.0.0");
          const size = 2 ** (32 - len);
          let lo = base;
          let hi = base + size - 1;
          let ipRange: string | undefined;
          if (range) {
            const rlen = Math.min(32, len + range.extra);
            const rsize = 2 ** (32 - rlen);
            lo = base + (range.index % (size / rsize)) * rsize;
            hi = lo + rsize - 1;
            ipRange = `${ipv4ToString(lo)}/${rlen}`;
          }
          const used = new Set<number>([base, base + size - 1]);
          const held: number[] = [];
          const lowestFree = () => {
            for (let a = lo; a <= hi; a++) if (!used.has(a)) return a;
            return undefined;
          };
          // The gateway is the lowest free address of the range too; a range holding nothing but
          // the network or broadcast address leaves none for it.
          const gateway = lowestFree();
          const ipam = new Ipam();
          if (gateway === undefined) {
            expect(request(ipam, { subnet: `10.7.0.0/${len}`, ipRange }).message).toBe(
              "failed to allocate gateway (): No available addresses on this pool",
            );
            return;
          }
          const pool = ipam.requestPool({ subnet: `10.7.0.0/${len}`, ipRange });
          expect(pool.gateway).toBe(gateway);
          used.add(gateway);
          for (const op of ops) {
            if (op < 0 || held.length === 0) {
              const want = lowestFree();
              if (want === undefined) {
                expect(() => pool.allocate(undefined, "n (x)")).toThrow(DockerError);
                continue;
              }
              const got = pool.allocate(undefined, "n (x)");
              expect(got).toBe(want);
              expect(got >= lo && got <= hi).toBe(true);
              used.add(got);
              held.push(got);
            } else {
              const [addr] = held.splice(op % held.length, 1) as [number];
              pool.release(addr);
              used.delete(addr);
            }
          }
          expect(new Set(held).size).toBe(held.length);
        },
      ),
      { numRuns: 200 },
    );
  });
});
