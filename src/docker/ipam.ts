/**
 * Docker's default IPAM driver for IPv4 local-scope networks (libnetwork ipamutils/utils.go,
 * ipams/defaultipam/allocator.go and address_space.go, bitmap/sequence.go): pools come from an
 * explicit --subnet or from the lowest predefined subnet (172.17-19/16, 172.20-31/16 from three
 * /14s, then 192.168.0.0/16 in /20s, or --default-address-pool) that overlaps neither an allocated
 * pool nor a reserved prefix (the host's on-link routes); network and broadcast addresses are
 * taken at once (not for /31, /32); the gateway is --gateway or the first free address (of the
 * --ip-range when there is one); addresses are handed out lowest free first, from the range when
 * there is one, and reused as soon as released. Errors carry Docker's texts. ip-num parses and
 * compares prefixes at these edges; the used addresses are a Uint32Array bitmap.
 * Deviations: IPv4 and local scope only (no serial allocation for swarm, no IPv6 pools).
 */

import { Validator } from "ip-num";
import { ipv4ToString, parseIpv4 } from "../util/ipv4-address.js";
import { DockerError } from "./docker-error.js";

const LOCAL_POOLS = [
  { base: "172.17.0.0/16", size: 16 },
  { base: "172.18.0.0/16", size: 16 },
  { base: "172.19.0.0/16", size: 16 },
  { base: "172.20.0.0/14", size: 16 },
  { base: "172.24.0.0/14", size: 16 },
  { base: "172.28.0.0/14", size: 16 },
  { base: "192.168.0.0/16", size: 20 },
];

interface Prefix {
  addr: number;
  prefixLen: number;
}

const maskOf = (len: number) => (len === 0 ? 0 : (0xffffffff << (32 - len)) >>> 0);
const text = (p: Prefix) => `${ipv4ToString(p.addr)}/${p.prefixLen}`;
const lastOf = (p: Prefix) => (p.addr | ~maskOf(p.prefixLen)) >>> 0;
const overlaps = (a: Prefix, b: Prefix) => a.addr <= lastOf(b) && b.addr <= lastOf(a);
const inside = (addr: number, p: Prefix) => (addr & maskOf(p.prefixLen)) >>> 0 === p.addr;

/** A CIDR as ip-num reads it; `host` keeps the address as given (host bits and all). */
function parseCidr(cidr: string): { host: number; prefixLen: number } | undefined {
  if (!Validator.isValidIPv4CidrNotation(cidr)[0]) return undefined;
  const [a = "", len = ""] = cidr.split("/");
  const host = parseIpv4(a);
  return host === undefined ? undefined : { host, prefixLen: Number(len) };
}

export interface PoolRequest {
  subnet?: string | undefined;
  ipRange?: string | undefined;
  gateway?: string | undefined;
  auxAddresses?: [string, string][] | undefined;
}

/** One network's IPv4 pool: the subnet, the gateway, the addresses handed out. */
export class IpamPool {
  private readonly used: Uint32Array;

  constructor(
    readonly subnet: number,
    readonly prefixLen: number,
    readonly ipRange: Prefix | undefined,
    readonly userSubnet: boolean,
  ) {
    this.used = new Uint32Array(Math.ceil(2 ** (32 - prefixLen) / 32));
    if (prefixLen < 31) {
      this.mark(subnet);
      this.mark(lastOf({ addr: subnet, prefixLen }));
    }
  }

  gateway = 0;
  readonly auxAddresses = new Map<string, number>();

  private bit(addr: number): [number, number] {
    const i = (addr - this.subnet) >>> 0;
    return [i >>> 5, 1 << (i & 31)];
  }

  isUsed(addr: number): boolean {
    const [w, m] = this.bit(addr);
    return ((this.used[w] as number) & m) !== 0;
  }

  private mark(addr: number): void {
    const [w, m] = this.bit(addr);
    this.used[w] = (this.used[w] as number) | m;
  }

  contains(addr: number): boolean {
    return inside(addr, { addr: this.subnet, prefixLen: this.prefixLen });
  }

  /** The lowest free address of the range (or subnet), or undefined when all are taken. */
  private lowestFree(): number | undefined {
    const r = this.ipRange ?? { addr: this.subnet, prefixLen: this.prefixLen };
    for (let a = r.addr; a <= lastOf(r); a++) if (!this.isUsed(a)) return a;
    return undefined;
  }

  /**
   * Reserve `preferred` (--ip: anywhere in the subnet) or the lowest free address in the
   * ip-range (or subnet). `networkLabel` (`name (id)`) names the network when it is full.
   */
  allocate(preferred: number | undefined, networkLabel: string): number {
    if (preferred !== undefined) {
      if (!this.contains(preferred))
        throw new DockerError(
          `no configured subnet or ip-range contain the IP address ${ipv4ToString(preferred)}`,
          400,
        );
      if (this.isUsed(preferred)) throw new DockerError("Address already in use", 403);
      this.mark(preferred);
      return preferred;
    }
    const a = this.lowestFree();
    if (a === undefined)
      throw new DockerError(
        `no available IPv4 addresses on this network's address pools: ${networkLabel}`,
        503,
      );
    this.mark(a);
    return a;
  }

  release(addr: number): void {
    if (!this.contains(addr)) return;
    const [w, m] = this.bit(addr);
    this.used[w] = (this.used[w] as number) & ~m;
  }

  /** Set the gateway: `given`, else the lowest free address of the range (or subnet). */
  reserveGateway(given: number | undefined): void {
    const gw = given ?? this.lowestFree();
    if (gw === undefined) throw new DockerError("no available IPv4 addresses for the gateway", 503);
    this.mark(gw);
    this.gateway = gw;
  }

  reserveAux(name: string, addr: number): void {
    this.auxAddresses.set(name, addr);
    this.mark(addr);
  }

  /** inspect's IPAM.Config entry: Subnet, IPRange (if set), Gateway, AuxiliaryAddresses (if any). */
  config(): {
    Subnet: string;
    IPRange?: string;
    Gateway: string;
    AuxiliaryAddresses?: Record<string, string>;
  } {
    const c: {
      Subnet: string;
      IPRange?: string;
      Gateway: string;
      AuxiliaryAddresses?: Record<string, string>;
    } = {
      Subnet: text({ addr: this.subnet, prefixLen: this.prefixLen }),
      Gateway: "",
    };
    if (this.ipRange) c.IPRange = text(this.ipRange);
    c.Gateway = this.gateway === 0 ? "" : ipv4ToString(this.gateway);
    if (this.auxAddresses.size > 0)
      c.AuxiliaryAddresses = Object.fromEntries([...this.auxAddresses].map(([k, v]) => [k, ipv4ToString(v)]));
    return c;
  }
}

export class Ipam {
  private readonly pools: IpamPool[] = [];
  /** The predefined subnets, in the order they are tried. */
  private readonly predefined: Prefix[] = [];

  constructor(
    private readonly opts: {
      defaultPools?: { base: string; size: number }[] | undefined;
      reserved?: (() => string[]) | undefined;
    } = {},
  ) {
    for (const { base, size } of opts.defaultPools ?? LOCAL_POOLS) {
      const p = parseCidr(base);
      if (!p) throw new DockerError(`invalid base pool "${base}"`, 400, false);
      const start = (p.host & maskOf(p.prefixLen)) >>> 0;
      const step = 2 ** (32 - size);
      for (let a = start; a <= lastOf({ addr: start, prefixLen: p.prefixLen }); a += step)
        this.predefined.push({ addr: a >>> 0, prefixLen: size });
    }
  }

  private taken(p: Prefix): boolean {
    return this.pools.some((q) => overlaps(p, { addr: q.subnet, prefixLen: q.prefixLen }));
  }

  /** Allocate a pool with its gateway and aux addresses, or throw Docker's error (nothing kept). */
  requestPool(req: PoolRequest): IpamPool {
    let subnet: Prefix;
    let userSubnet = false;
    if (req.subnet !== undefined) {
      const p = parseCidr(req.subnet);
      if (!p) throw new DockerError(`invalid subnet: invalid CIDR address: ${req.subnet}`, 400, false);
      const net = (p.host & maskOf(p.prefixLen)) >>> 0;
      if (net !== p.host)
        throw new DockerError(
          `invalid network config:\ninvalid subnet ${req.subnet}: it should be ${ipv4ToString(net)}/${p.prefixLen}`,
          400,
        );
      subnet = { addr: net, prefixLen: p.prefixLen };
      if (this.taken(subnet))
        throw new DockerError(
          "invalid pool request: Pool overlaps with other one on this address space",
          403,
        );
      userSubnet = true;
    } else {
      const reserved = (this.opts.reserved?.() ?? [])
        .map(parseCidr)
        .filter((r): r is { host: number; prefixLen: number } => r !== undefined)
        .map((r) => ({ addr: (r.host & maskOf(r.prefixLen)) >>> 0, prefixLen: r.prefixLen }));
      const free = this.predefined.find((p) => !this.taken(p) && !reserved.some((r) => overlaps(p, r)));
      if (!free) throw new DockerError("all predefined address pools have been fully subnetted", 400);
      subnet = free;
    }
    const subnetText = text(subnet);
    let range: Prefix | undefined;
    if (req.ipRange !== undefined) {
      const r = parseCidr(req.ipRange);
      if (!r) throw new DockerError(`invalid ip-range: invalid CIDR address: ${req.ipRange}`, 400, false);
      const net = (r.host & maskOf(r.prefixLen)) >>> 0;
      if (r.prefixLen < subnet.prefixLen)
        throw new DockerError(
          `invalid network config:\ninvalid ip-range ${req.ipRange}: CIDR block is bigger than its parent subnet ${subnetText}`,
          400,
        );
      if (net !== r.host)
        throw new DockerError(
          `invalid network config:\ninvalid ip-range ${req.ipRange}: it should be ${ipv4ToString(net)}/${r.prefixLen}`,
          400,
        );
      range = { addr: net, prefixLen: r.prefixLen };
      if (!inside(net, subnet))
        throw new DockerError(
          `invalid network config:\ninvalid ip-range ${req.ipRange}: parent subnet ${subnetText} doesn't contain ip-range`,
          400,
        );
    }
    let gateway: number | undefined;
    if (req.gateway !== undefined) {
      gateway = parseIpv4(req.gateway);
      if (gateway === undefined) throw new DockerError(`invalid gateway address: ${req.gateway}`, 400, false);
      if (!inside(gateway, subnet))
        throw new DockerError(
          `invalid network config:\ninvalid gateway ${req.gateway}: parent subnet ${subnetText} doesn't contain this address`,
          400,
        );
    }
    const aux: [string, number][] = [];
    for (const [name, value] of req.auxAddresses ?? []) {
      const a = parseIpv4(value);
      if (a === undefined || !inside(a, subnet))
        throw new DockerError(
          `invalid network config:\ninvalid auxiliary address ${name}: parent subnet ${subnetText} doesn't contain this address`,
          400,
        );
      aux.push([name, a]);
    }
    const pool = new IpamPool(subnet.addr, subnet.prefixLen, range, userSubnet);
    pool.reserveGateway(gateway);
    for (const [name, a] of aux) pool.reserveAux(name, a);
    this.pools.push(pool);
    return pool;
  }

  releasePool(pool: IpamPool): void {
    const i = this.pools.indexOf(pool);
    if (i >= 0) this.pools.splice(i, 1);
  }
}
