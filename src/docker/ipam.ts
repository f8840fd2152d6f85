/**
 * Docker's default IPAM driver for IPv4 in the local address space (libnetwork
 * ipams/defaultipam: allocator.go RequestPool/ReleasePool/RequestAddress, address_space.go
 * allocateSubnet/allocatePredefinedPool/releaseSubnet, internal/addrset; ipamutils/utils.go for
 * the default pools), together with the daemon-side steps around it: the API's ValidateIPAM
 * (api/types/network/ipam.go, "invalid network config:" and its joined errors), the gateway and
 * auxiliary-address reservations and their release of network.go ipamAllocateVersion /
 * ipamReleaseVersion, and the endpoint checks of a preferred address (--ip) and of a full pool.
 *
 * What it does, as Docker does it:
 * - Without --subnet, the lowest subnet of the predefined pools (sorted, later overlapping ones
 *   dropped) that overlaps neither an allocated subnet nor a reserved prefix (the host's on-link
 *   routes and resolv.conf nameservers, asked at each request); freed subnets come back at once.
 * - With --subnet and no --ip-range the subnet must overlap no allocated one. With --ip-range
 *   Docker checks only that the same subnet with the same range is not taken (moby#46756): an
 *   overlapping subnet is accepted, and two networks with the same subnet and different ranges
 *   share one address set. Both quirks are kept.
 * - Network and broadcast addresses are marked used (not on /31 and /32); addresses are handed out
 *   lowest free first, from the ip-range when there is one; a released address is reused at once.
 *   The gateway is the given one or the first free address (of the ip-range when given);
 *   auxiliary addresses are reserved wherever they fall in the subnet.
 *
 * Deviations: IPv4 only (no IPv6 pools, no ULA); local scope only (no global 10.0.0.0/8 pool, no
 * serial allocation for swarm networks); the allocator walks candidates rather than running
 * Docker's merge-cursor, which gives the same lowest free subnet; `--subnet 0.0.0.0/N` (v29) is
 * taken literally, as before v29; a failed request gives back every address it reserved (Docker
 * can leave the gateway set in a pool shared through --ip-range); unparsable CIDRs get the CLI's
 * texts (the CLI parses them before any request is sent).
 */

import { ipv4ToString, parseIpv4 } from "../util/ipv4-address.js";
import { DockerError } from "./docker-error.js";

export interface Prefix {
  /** The address as written (may carry host bits until validated). */
  addr: number;
  len: number;
}

/** Strict `a.b.c.d/n` (what Go's net.ParseCIDR / netip.ParsePrefix accept for IPv4). */
export function parsePrefix(text: string): Prefix | undefined {
  const slash = text.indexOf("/");
  if (slash < 0) return undefined;
  const addr = parseIpv4(text.slice(0, slash));
  const bits = text.slice(slash + 1);
  if (addr === undefined || !/^(0|[1-9][0-9]?)$/.test(bits)) return undefined;
  const len = Number(bits);
  return len > 32 ? undefined : { addr, len };
}

function maskOf(len: number): number {
  return len === 0 ? 0 : (0xffffffff << (32 - len)) >>> 0;
}

function networkOf(p: Prefix): number {
  return (p.addr & maskOf(p.len)) >>> 0;
}

function lastOf(p: Prefix): number {
  return (p.addr | ~maskOf(p.len)) >>> 0;
}

function sizeOf(len: number): number {
  return 2 ** (32 - len);
}

export function contains(p: Prefix, addr: number): boolean {
  return ((p.addr ^ addr) & maskOf(p.len)) === 0;
}

export function overlaps(a: Prefix, b: Prefix): boolean {
  const m = maskOf(Math.min(a.len, b.len));
  return ((a.addr ^ b.addr) & m) === 0;
}

function cidr(p: Prefix): string {
  return `${ipv4ToString(p.addr)}/${p.len}`;
}

/** Go's joinError text (api/types/network/ipam.go errJoin). */
function joinErrors(errs: string[]): string {
  if (errs.length === 1) return (errs[0] as string).trim();
  return `* ${errs.map((e) => e.replaceAll("\n", "\n\t")).join("\n* ")}`;
}

/** Addresses per bitmap chunk: one chunk covers a /16; larger subnets get chunks on first use. */
const CHUNK = 1 << 16;

/**
 * The used addresses of one subnet (internal/addrset): a bitmap of host ids, kept as Uint32Array
 * chunks of up to 65536 bits that are made on first use, so a /8 costs nothing until used.
 */
class AddrSet {
  private readonly chunkSize: number;
  private readonly chunks: (Uint32Array | undefined)[];
  private readonly counts: Uint32Array;
  /** Set bits in all. */
  used = 0;

  constructor(readonly size: number) {
    this.chunkSize = Math.min(size, CHUNK);
    const n = Math.ceil(size / this.chunkSize);
    this.chunks = new Array<Uint32Array | undefined>(n).fill(undefined);
    this.counts = new Uint32Array(n);
  }

  has(i: number): boolean {
    const words = this.chunks[Math.floor(i / this.chunkSize)];
    const off = i % this.chunkSize;
    return words !== undefined && ((words[off >>> 5] as number) & (1 << (off & 31))) !== 0;
  }

  /** Sets bit i; false when it was set already. */
  add(i: number): boolean {
    const c = Math.floor(i / this.chunkSize);
    let words = this.chunks[c];
    if (!words) {
      words = new Uint32Array(Math.ceil(this.chunkSize / 32));
      this.chunks[c] = words;
    }
    const off = i % this.chunkSize;
    const bit = 1 << (off & 31);
    const w = words[off >>> 5] as number;
    if ((w & bit) !== 0) return false;
    words[off >>> 5] = w | bit;
    this.counts[c] = (this.counts[c] as number) + 1;
    this.used++;
    return true;
  }

  remove(i: number): void {
    const c = Math.floor(i / this.chunkSize);
    const words = this.chunks[c];
    if (!words) return;
    const off = i % this.chunkSize;
    const bit = 1 << (off & 31);
    const w = words[off >>> 5] as number;
    if ((w & bit) === 0) return;
    words[off >>> 5] = w & ~bit;
    this.counts[c] = (this.counts[c] as number) - 1;
    this.used--;
  }

  /** The lowest clear bit in [lo, hi], or -1. */
  firstClear(lo: number, hi: number): number {
    let i = lo;
    while (i <= hi) {
      const c = Math.floor(i / this.chunkSize);
      const base = c * this.chunkSize;
      const words = this.chunks[c];
      if (!words) return i;
      if (this.counts[c] === this.chunkSize) {
        i = base + this.chunkSize;
        continue;
      }
      const end = Math.min(base + this.chunkSize - 1, hi) - base;
      let off = i - base;
      while (off <= end) {
        const w = off >>> 5;
        const free = ~(words[w] as number) & (0xffffffff << (off & 31));
        if (free !== 0) {
          const pos = w * 32 + (31 - Math.clz32(free & -free));
          return pos <= end ? base + pos : -1;
        }
        off = (w + 1) * 32;
      }
      i = base + end + 1;
    }
    return -1;
  }

  /** Set bits in [lo, hi]. */
  countIn(lo: number, hi: number): number {
    let n = 0;
    for (let i = lo; i <= hi; ) {
      const c = Math.floor(i / this.chunkSize);
      const base = c * this.chunkSize;
      const end = Math.min(base + this.chunkSize - 1, hi);
      const words = this.chunks[c];
      if (words && i === base && end === base + this.chunkSize - 1) n += this.counts[c] as number;
      else if (words) for (let j = i; j <= end; j++) if (this.has(j)) n++;
      i = end + 1;
    }
    return n;
  }
}

/** One allocated subnet of the address space (defaultipam PoolData), shared by its networks. */
class PoolData {
  readonly addrs: AddrSet;
  /** ip-ranges (as `addr/len`) of the networks using this subnet with --ip-range. */
  readonly children = new Set<string>();
  /** Set once the subnet's own (range-less) user is gone, or when it was made for a range. */
  autoRelease = false;

  constructor(readonly prefix: Prefix) {
    this.addrs = new AddrSet(sizeOf(prefix.len));
    // Network and broadcast addresses, except on /31 (RFC 3021) and /32.
    if (prefix.len < 31) {
      this.addrs.add(0);
      this.addrs.add(this.addrs.size - 1);
    }
  }
}

/** One IPAM.Config entry of `docker network inspect`. */
export interface IpamConfigEntry {
  Subnet: string;
  IPRange?: string;
  Gateway?: string;
  AuxiliaryAddresses?: Record<string, string>;
}

/** What a network needs of its IPv4 pool, whichever IPAM driver gave it. */
export interface AddressPool {
  readonly subnet: number;
  readonly prefixLen: number;
  readonly gateway: number;
  readonly ipRange: { addr: number; prefixLen: number } | undefined;
  readonly auxAddresses: ReadonlyMap<string, number>;
  /** True when the user gave --subnet (Docker allows --ip only then). */
  readonly userSubnet: boolean;
  /** An endpoint's address: `preferred` (--ip) or the next free one. */
  allocate(preferred: number | undefined, networkLabel: string): number;
  release(addr: number): void;
  /** inspect's IPAM.Config entry. */
  config(): IpamConfigEntry;
  /** API 1.52 Status.IPAM.Subnets entry. */
  status(): { IPsInUse: number; DynamicIPsAvailable: number };
}

/** One network's IPv4 pool: the subnet, the gateway, the addresses handed out. */
export class IpamPool implements AddressPool {
  readonly subnet: number;
  readonly prefixLen: number;
  readonly gateway: number;
  readonly ipRange: { addr: number; prefixLen: number } | undefined;
  readonly auxAddresses: ReadonlyMap<string, number>;
  /** True when the user gave --subnet (Docker allows --ip only then). */
  readonly userSubnet: boolean;
  /** What the user asked for, echoed by inspect (IpamConf). */
  private readonly userGateway: boolean;
  /** @internal */
  released = false;

  /** @internal: made by Ipam.requestPool. */
  constructor(
    /** @internal */
    readonly data: PoolData,
    init: {
      gateway: number;
      ipRange: Prefix | undefined;
      aux: Map<string, number>;
      userSubnet: boolean;
      userGateway: boolean;
    },
  ) {
    this.subnet = data.prefix.addr;
    this.prefixLen = data.prefix.len;
    this.gateway = init.gateway;
    this.ipRange = init.ipRange && { addr: init.ipRange.addr, prefixLen: init.ipRange.len };
    this.auxAddresses = init.aux;
    this.userSubnet = init.userSubnet;
    this.userGateway = init.userGateway;
  }

  /** The host ids dynamic allocations come from: the ip-range, else the whole subnet. */
  private dynamicBounds(): [number, number] {
    if (!this.ipRange) return [0, this.data.addrs.size - 1];
    const lo = this.ipRange.addr - this.subnet;
    return [lo, lo + sizeOf(this.ipRange.prefixLen) - 1];
  }

  /**
   * Reserve an address: `preferred` (from --ip, anywhere in the subnet) or the lowest free one in
   * the ip-range (or subnet). `networkLabel` is `name (id)` for the "no available IPv4 addresses"
   * message.
   */
  allocate(preferred: number | undefined, networkLabel: string): number {
    if (preferred !== undefined) {
      if (!contains(this.data.prefix, preferred))
        throw new DockerError(
          `no configured subnet or ip-range contain the IP address ${ipv4ToString(preferred)}`,
          400,
        );
      if (!this.data.addrs.add(preferred - this.subnet)) throw new DockerError("Address already in use", 403);
      return preferred;
    }
    const [lo, hi] = this.dynamicBounds();
    const id = this.data.addrs.firstClear(lo, hi);
    if (id < 0)
      throw new DockerError(
        `no available IPv4 addresses on this network's address pools: ${networkLabel}`,
        500,
      );
    this.data.addrs.add(id);
    return (this.subnet + id) >>> 0;
  }

  release(addr: number): void {
    if (contains(this.data.prefix, addr)) this.data.addrs.remove(addr - this.subnet);
  }

  /**
   * How `docker network inspect` shows it: IPAM.Config entry, keys in this order: Subnet,
   * IPRange (only if set), Gateway, AuxiliaryAddresses (only if set). A user-configured subnet
   * echoes what was asked (buildIPAMResources shows the IpamConf), so Gateway is absent when
   * --subnet came without --gateway; AuxiliaryAddresses come sorted by name (a Go map in JSON).
   */
  config(): IpamConfigEntry {
    const subnet = cidr(this.data.prefix);
    if (!this.userSubnet)
      return this.gateway === 0
        ? { Subnet: subnet }
        : { Subnet: subnet, Gateway: ipv4ToString(this.gateway) };
    const out: IpamConfigEntry = { Subnet: subnet };
    if (this.ipRange) out.IPRange = cidr({ addr: this.ipRange.addr, len: this.ipRange.prefixLen });
    if (this.userGateway) out.Gateway = ipv4ToString(this.gateway);
    if (this.auxAddresses.size > 0) {
      const aux: Record<string, string> = {};
      for (const name of [...this.auxAddresses.keys()].sort())
        aux[name] = ipv4ToString(this.auxAddresses.get(name) as number);
      out.AuxiliaryAddresses = aux;
    }
    return out;
  }

  /** API 1.52 `Status.IPAM.Subnets[cidr]`: every set bit, and what is left in the dynamic range. */
  status(): { IPsInUse: number; DynamicIPsAvailable: number } {
    const [lo, hi] = this.dynamicBounds();
    return {
      IPsInUse: this.data.addrs.used,
      DynamicIPsAvailable: hi - lo + 1 - this.data.addrs.countIn(lo, hi),
    };
  }
}

export interface PoolRequest {
  /** The driver needs no gateway (GwAllocChecker, Docker 28+): none is reserved unless given. */
  skipGateway?: boolean;
  subnet?: string | undefined;
  ipRange?: string | undefined;
  gateway?: string | undefined;
  auxAddresses?: [string, string][] | undefined;
}

/** ipamutils localScopeDefaultNetworks. */
const LOCAL_DEFAULT_POOLS: { base: string; size: number }[] = [
  { base: "172.17.0.0/16", size: 16 },
  { base: "172.18.0.0/16", size: 16 },
  { base: "172.19.0.0/16", size: 16 },
  { base: "172.20.0.0/14", size: 16 },
  { base: "172.24.0.0/14", size: 16 },
  { base: "172.28.0.0/14", size: 16 },
  { base: "192.168.0.0/16", size: 20 },
];

interface Predefined {
  base: Prefix;
  size: number;
}

export class Ipam {
  private readonly predefined: Predefined[];
  private readonly reserved: () => string[];
  /** Allocated subnets (masked) in address order. */
  private readonly allocated: Prefix[] = [];
  private readonly subnets = new Map<string, PoolData>();

  /**
   * `defaultPools`: --default-address-pool entries (base CIDR, size), replacing Docker's local
   * list. `reserved()` returns CIDR strings (or bare addresses, taken as /32) to avoid, asked at
   * each request.
   */
  constructor(
    opts: {
      defaultPools?: { base: string; size: number }[] | undefined;
      reserved?: (() => string[]) | undefined;
    } = {},
  ) {
    this.reserved = opts.reserved ?? (() => []);
    const pools = (opts.defaultPools ?? LOCAL_DEFAULT_POOLS).map((p, i) => {
      const base = parsePrefix(p.base);
      if (!base) throw new Error(`invalid default address pool base ${p.base}`);
      if (!Number.isInteger(p.size) || p.size > 32 || base.len > p.size)
        throw new Error(
          `could not construct local address space: network at index ${i} (${p.base}) has a smaller prefix (/${base.len}) than the target size of that pool (/${p.size})`,
        );
      return { base: { addr: networkOf(base), len: base.len }, size: p.size };
    });
    // newAddrSpace: sort by base (address, then length) and drop later ones that overlap.
    pools.sort((a, b) => a.base.addr - b.base.addr || a.base.len - b.base.len);
    this.predefined = [];
    for (const p of pools) {
      const last = this.predefined[this.predefined.length - 1];
      if (last && overlaps(last.base, p.base)) continue;
      this.predefined.push(p);
    }
  }

  /**
   * Allocate a pool (explicit --subnet or the lowest free predefined subnet), reserve the gateway
   * (explicit, else the first free address of the ip-range if given, else of the subnet) and the
   * aux addresses. Throws DockerError with Docker's exact texts.
   */
  requestPool(req: PoolRequest): IpamPool {
    const checked = this.checkRequest(req);
    const skip = req.skipGateway === true;
    if (!checked) {
      const data = this.allocatePredefined();
      return this.reserveAddresses(data, undefined, undefined, new Map(), false, skip);
    }
    const { masked, range, gateway, auxMap, gatewayText } = checked;
    const data = this.allocateSubnet(masked, range);
    return this.reserveAddresses(
      data,
      range,
      gateway,
      auxMap,
      true,
      skip,
      gatewayText,
      req.auxAddresses ?? [],
    );
  }

  /**
   * The request's checks (the CLI's and the API's ValidateIPAM) without allocating anything;
   * undefined when it asks for a predefined subnet.
   */
  checkRequest(req: PoolRequest) {
    const aux = req.auxAddresses ?? [];
    const gatewayText = req.gateway || undefined;
    const rangeText = req.ipRange || undefined;
    if (!req.subnet) {
      // The CLI's consolidateIpam: nothing to attach these to.
      if (gatewayText !== undefined || rangeText !== undefined)
        throw new DockerError("every ip-range or gateway must have a corresponding subnet", 400, false);
      const first = aux[0];
      if (first) throw new DockerError(`no matching subnet for aux-address ${first[1]}`, 400, false);
      return undefined;
    }

    const subnet = parsePrefix(req.subnet);
    if (!subnet) throw new DockerError(`invalid subnet: invalid CIDR address: ${req.subnet}`, 400, false);
    let range: Prefix | undefined;
    if (rangeText !== undefined) {
      range = parsePrefix(rangeText);
      if (!range) throw new DockerError(`invalid CIDR address: ${rangeText}`, 400, false);
    }

    // ValidateIPAM (API): every problem, joined.
    const errs: string[] = [];
    const masked = { addr: networkOf(subnet), len: subnet.len };
    if (masked.addr !== subnet.addr)
      errs.push(`invalid subnet ${cidr(subnet)}: it should be ${cidr(masked)}`);
    if (range) {
      if (range.len < subnet.len)
        errs.push(
          `invalid ip-range ${rangeText}: CIDR block is bigger than its parent subnet ${cidr(subnet)}`,
        );
      const rangeMasked = { addr: networkOf(range), len: range.len };
      if (rangeMasked.addr !== range.addr)
        errs.push(`invalid ip-range ${cidr(range)}: it should be ${cidr(rangeMasked)}`);
      if (!overlaps(subnet, range))
        errs.push(`invalid ip-range ${rangeText}: parent subnet ${cidr(subnet)} doesn't contain ip-range`);
    }
    const checkAddress = (text: string): [number | undefined, string | undefined] => {
      const a = parseIpv4(text);
      if (a === undefined) return [undefined, "invalid address"];
      if (!contains(subnet, a)) return [a, `parent subnet ${cidr(subnet)} doesn't contain this address`];
      return [a, undefined];
    };
    let gateway: number | undefined;
    if (gatewayText !== undefined) {
      const [a, err] = checkAddress(gatewayText);
      if (err) errs.push(`invalid gateway ${gatewayText}: ${err}`);
      gateway = a;
    }
    const auxMap = new Map<string, number>();
    for (const [name, text] of aux) {
      const [a, err] = checkAddress(text);
      if (err) errs.push(`invalid auxiliary address ${name}: ${err}`);
      else auxMap.set(name, a as number);
    }
    if (errs.length > 0) throw new DockerError(`invalid network config:\n${joinErrors(errs)}`, 400);

    return { masked, range, gateway, auxMap, gatewayText };
  }

  releasePool(pool: IpamPool): void {
    if (pool.released) return;
    pool.released = true;
    // ipamReleaseVersion: the gateway, the aux addresses, then the pool.
    if (pool.gateway !== 0) pool.release(pool.gateway);
    for (const a of pool.auxAddresses.values()) pool.release(a);
    this.releaseSubnet(pool.data, pool.ipRange && { addr: pool.ipRange.addr, len: pool.ipRange.prefixLen });
  }

  /** Gateway then aux addresses (ipamAllocateVersion); a failure gives everything back. */
  private reserveAddresses(
    data: PoolData,
    range: Prefix | undefined,
    gateway: number | undefined,
    aux: Map<string, number>,
    userSubnet: boolean,
    skipGateway: boolean,
    gatewayText = "",
    auxTexts: [string, string][] = [],
  ): IpamPool {
    const base = data.prefix.addr;
    const taken: number[] = [];
    try {
      let gw = 0;
      if (gateway === undefined && skipGateway) {
        // No gateway: nothing reserved, inspect shows none.
      } else if (gateway !== undefined) {
        if (!data.addrs.add(gateway - base))
          throw new DockerError(`failed to allocate gateway (${gatewayText}): Address already in use`, 500);
        gw = gateway;
      } else {
        const lo = range ? range.addr - base : 0;
        const hi = range ? lo + sizeOf(range.len) - 1 : data.addrs.size - 1;
        const id = data.addrs.firstClear(lo, hi);
        if (id < 0)
          throw new DockerError(
            `failed to allocate gateway (${gatewayText}): No available addresses on this pool`,
            500,
          );
        data.addrs.add(id);
        gw = (base + id) >>> 0;
      }
      if (gw !== 0) taken.push(gw - base);
      for (const [name, text] of auxTexts) {
        const a = aux.get(name) as number;
        if (!data.addrs.add(a - base))
          throw new DockerError(
            `failed to allocate secondary ip address (${name}:${text}): Address already in use`,
            500,
          );
        taken.push(a - base);
      }
      return new IpamPool(data, {
        gateway: gw,
        ipRange: range,
        aux,
        userSubnet,
        userGateway: gateway !== undefined,
      });
    } catch (e) {
      for (const id of taken) data.addrs.remove(id);
      this.releaseSubnet(data, range);
      throw e;
    }
  }

  private addPool(nw: Prefix): PoolData {
    const data = new PoolData(nw);
    let i = 0;
    while (i < this.allocated.length && (this.allocated[i] as Prefix).addr <= nw.addr) i++;
    this.allocated.splice(i, 0, nw);
    this.subnets.set(cidr(nw), data);
    return data;
  }

  /** address_space.go allocateSubnet / allocateSubnetL. */
  private allocateSubnet(nw: Prefix, range: Prefix | undefined): PoolData {
    const overlap = () =>
      new DockerError("invalid pool request: Pool overlaps with other one on this address space", 403);
    const existing = this.subnets.get(cidr(nw));
    if (!range) {
      if (existing || this.allocated.some((a) => overlaps(a, nw))) throw overlap();
      return this.addPool(nw);
    }
    const child = cidr(range);
    if (existing?.children.has(child)) throw overlap();
    // With an ip-range the parent is not checked against other subnets (moby#46756).
    let data = existing;
    if (!data) {
      data = this.addPool(nw);
      data.autoRelease = true;
    }
    data.children.add(child);
    return data;
  }

  /** address_space.go releaseSubnet. */
  private releaseSubnet(data: PoolData, range: Prefix | undefined): void {
    if (range) data.children.delete(cidr(range));
    else data.autoRelease = true;
    if (data.children.size > 0 || !data.autoRelease) return;
    const key = cidr(data.prefix);
    if (this.subnets.get(key) !== data) return;
    this.subnets.delete(key);
    const i = this.allocated.findIndex((a) => a.addr === data.prefix.addr && a.len === data.prefix.len);
    if (i >= 0) this.allocated.splice(i, 1);
  }

  /** The lowest predefined subnet overlapping no allocated subnet and no reserved prefix. */
  private allocatePredefined(): PoolData {
    const blocks: [number, number][] = [];
    for (const a of this.allocated) blocks.push([a.addr, lastOf(a)]);
    for (const text of this.reserved()) {
      // A nameserver comes as a bare address: a /32. IPv6 entries parse as nothing and are skipped.
      const p = parsePrefix(text.includes("/") ? text : `${text}/32`);
      if (p) blocks.push([networkOf(p), lastOf(p)]);
    }
    blocks.sort((a, b) => a[0] - b[0]);
    for (const pdf of this.predefined) {
      const step = sizeOf(pdf.size);
      const end = lastOf(pdf.base);
      let cand = pdf.base.addr;
      next: while (cand <= end) {
        const candLast = cand + step - 1;
        for (const [first, last] of blocks) {
          if (first > candLast) break;
          if (last >= cand) {
            cand = Math.ceil((last + 1) / step) * step;
            continue next;
          }
        }
        return this.addPool({ addr: cand, len: pdf.size });
      }
    }
    throw new DockerError("all predefined address pools have been fully subnetted", 400);
  }
}
