/**
 * Docker's IPv6 address management for local networks (libnetwork ipams/defaultipam for IPv6,
 * daemon.go deriveULABaseNetwork, drivers/bridge validateIPv6Subnet): without --subnet, /64s
 * taken in order from the daemon's ULA pool `fdXX:XXXX:XXXX::/48`, whose 40-bit global ID is the
 * low 40 bits of the first 8 bytes of SHA-256(host ID); with --subnet, the given prefix (no
 * multicast, no overlap with fe80::/64 unless it is exactly that, no overlap with another
 * network's). The subnet-router anycast address (`::`) is never handed out; the gateway is the
 * given one or `::1`; endpoints get the lowest free address (of --ip-range when given), or the
 * --ip6 they asked for.
 *
 * Deviations: no --aux-address for IPv6; a pool is scanned for the lowest free address (Docker
 * keeps a bitmap), which gives the same addresses.
 */

import { createHash } from "node:crypto";
import { ipv6ToString, parseIpv6 } from "../util/ipv6-address.js";
import { DockerError } from "./docker-error.js";
import type { IpamConfigEntry } from "./ipam.js";

export interface Prefix6 {
  addr: Uint8Array;
  len: number;
}

/** `addr/len` as Go's netip.ParsePrefix takes an IPv6 prefix; undefined when it is not one. */
export function parsePrefix6(text: string): Prefix6 | undefined {
  const [a, l, extra] = text.split("/");
  const addr = parseIpv6(a ?? "");
  if (!addr || extra !== undefined || l === undefined || !/^\d{1,3}$/.test(l) || Number(l) > 128)
    return undefined;
  return { addr, len: Number(l) };
}

function masked(p: Prefix6): Uint8Array {
  const out = new Uint8Array(16);
  for (let i = 0; i < 16; i++) {
    const bits = Math.max(0, Math.min(8, p.len - 8 * i));
    out[i] = (p.addr[i] as number) & ((0xff << (8 - bits)) & 0xff);
  }
  return out;
}

function contains(p: Prefix6, a: Uint8Array): boolean {
  const m = masked(p);
  const am = masked({ addr: a, len: p.len });
  return m.every((b, i) => b === am[i]);
}

function overlaps(a: Prefix6, b: Prefix6): boolean {
  return a.len <= b.len ? contains(a, b.addr) : contains(b, a.addr);
}

export function cidr6(p: Prefix6): string {
  return `${ipv6ToString(masked(p))}/${p.len}`;
}

/** The address `offset` past the start of `p` (offsets below 2^53). */
function addressAt(p: Prefix6, offset: number): Uint8Array {
  const out = masked(p);
  let carry = offset;
  for (let i = 15; i >= 0 && carry > 0; i--) {
    const v = (out[i] as number) + (carry % 256);
    out[i] = v & 0xff;
    carry = Math.floor(carry / 256) + (v >> 8);
  }
  return out;
}

const LINK_LOCAL: Prefix6 = {
  addr: Uint8Array.of(0xfe, 0x80, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0),
  len: 64,
};

/** validateIPv6Subnet: Docker's errors for a subnet a bridge cannot take. */
function checkSubnet(p: Prefix6): void {
  const text = cidr6(p);
  if (p.addr[0] === 0xff) throw new DockerError(`multicast subnet '${text}' is not allowed`, 400);
  const isLinkLocal = p.len === 64 && contains(LINK_LOCAL, p.addr);
  if (!isLinkLocal && overlaps(LINK_LOCAL, p))
    throw new DockerError(`'${text}' clashes with the Link-Local prefix 'fe80::/64'`, 400);
}

export interface Pool6Request {
  subnet?: string;
  gateway?: string;
  ipRange?: string;
  /** The default bridge: its configuration names the gateway it picked (inspect shows it). */
  showGateway?: boolean;
}

/** One network's IPv6 pool. */
export class Ipv6Pool {
  readonly gateway: Uint8Array;
  private readonly used = new Set<string>();

  constructor(
    readonly prefix: Prefix6,
    gateway: Uint8Array | undefined,
    private readonly range: Prefix6 | undefined,
    /** True when the user gave the IPv6 --subnet (--ip6 is allowed only then). */
    readonly userSubnet: boolean,
    private readonly userGateway: boolean,
  ) {
    this.used.add(ipv6ToString(masked(prefix)));
    this.gateway = gateway ?? addressAt(range ?? prefix, range ? 0 : 1);
    if (range && !gateway && ipv6ToString(this.gateway) === ipv6ToString(masked(prefix)))
      this.gateway = addressAt(range, 1);
    this.used.add(ipv6ToString(this.gateway));
  }

  get subnet(): Uint8Array {
    return masked(this.prefix);
  }

  get prefixLen(): number {
    return this.prefix.len;
  }

  /** `preferred` (--ip6) or the lowest free address of the ip-range (or subnet). */
  allocate(preferred: Uint8Array | undefined, networkLabel: string): Uint8Array {
    if (preferred) {
      if (!contains(this.prefix, preferred))
        throw new DockerError(
          `no configured subnet or ip-range contain the IP address ${ipv6ToString(preferred)}`,
          400,
        );
      const key = ipv6ToString(preferred);
      if (this.used.has(key)) throw new DockerError("Address already in use", 403);
      this.used.add(key);
      return preferred;
    }
    const from = this.range ?? this.prefix;
    const size = 128 - from.len >= 53 ? Number.MAX_SAFE_INTEGER : 2 ** (128 - from.len);
    for (let i = 0; i < size; i++) {
      const a = addressAt(from, i);
      const key = ipv6ToString(a);
      if (this.used.has(key)) continue;
      this.used.add(key);
      return a;
    }
    throw new DockerError(
      `no available IPv6 addresses on this network's address pools: ${networkLabel}`,
      500,
    );
  }

  release(a: Uint8Array): void {
    this.used.delete(ipv6ToString(a));
  }

  /** inspect's IPAM.Config entry (what was asked, as for IPv4). */
  config(): IpamConfigEntry {
    const subnet = cidr6(this.prefix);
    if (!this.userSubnet) return { Subnet: subnet, Gateway: ipv6ToString(this.gateway) };
    const out: IpamConfigEntry = { Subnet: subnet };
    if (this.range) out.IPRange = cidr6(this.range);
    if (this.userGateway) out.Gateway = ipv6ToString(this.gateway);
    return out;
  }
}

/** The daemon's IPv6 subnets: the ULA pool split in /64s, and the subnets in use. */
export class Ipam6 {
  private readonly base: Prefix6;
  private readonly allocated: Prefix6[] = [];

  constructor(hostId: string) {
    const sha = createHash("sha256").update(hostId).digest();
    const addr = new Uint8Array(16);
    addr[0] = 0xfd;
    // BigEndian.Uint64(sha[:8]) & (1<<40 - 1): bytes 3..7, placed after fd.
    addr.set(sha.subarray(3, 8), 1);
    this.base = { addr, len: 48 };
  }

  /** The ULA /48 this daemon splits (`fdXX:XXXX:XXXX::/48`). */
  get ulaBase(): string {
    return cidr6(this.base);
  }

  requestPool(req: Pool6Request): Ipv6Pool {
    const parse = (what: string, text: string) => {
      const p = parsePrefix6(text);
      if (!p) throw new DockerError(`invalid ${what}: invalid CIDR address: ${text}`, 400, false);
      return p;
    };
    if (req.subnet === undefined) {
      for (let i = 0; i < 65536; i++) {
        const candidate: Prefix6 = { addr: addressAt({ addr: this.base.addr, len: 48 }, 0), len: 64 };
        candidate.addr[6] = i >> 8;
        candidate.addr[7] = i & 0xff;
        if (this.allocated.some((a) => overlaps(a, candidate))) continue;
        this.allocated.push(candidate);
        return new Ipv6Pool(candidate, undefined, undefined, false, false);
      }
      throw new DockerError(
        "could not find an available, non-overlapping IPv6 address pool among the defaults to assign to the network",
        403,
      );
    }
    const prefix = parse("subnet", req.subnet);
    if (cidr6(prefix) !== `${ipv6ToString(prefix.addr)}/${prefix.len}`)
      throw new DockerError(
        `invalid network config:\ninvalid subnet ${req.subnet}: it should be ${cidr6(prefix)}`,
        400,
      );
    checkSubnet(prefix);
    const range = req.ipRange === undefined ? undefined : parse("ip-range", req.ipRange);
    let gateway: Uint8Array | undefined;
    if (req.gateway !== undefined) {
      gateway = parseIpv6(req.gateway);
      if (!gateway) throw new DockerError(`invalid gateway: ${req.gateway}`, 400, false);
      if (!contains(prefix, gateway))
        throw new DockerError(
          `invalid network config:\ninvalid gateway ${req.gateway}: parent subnet ${cidr6(prefix)} doesn't contain this address`,
          400,
        );
    }
    if (this.allocated.some((a) => overlaps(a, prefix)))
      throw new DockerError("invalid pool request: Pool overlaps with other one on this address space", 403);
    this.allocated.push(prefix);
    return new Ipv6Pool(prefix, gateway, range, true, gateway !== undefined || req.showGateway === true);
  }

  releasePool(pool: Ipv6Pool): void {
    const i = this.allocated.findIndex((a) => cidr6(a) === cidr6(pool.prefix));
    if (i >= 0) this.allocated.splice(i, 1);
  }
}
