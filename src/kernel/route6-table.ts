/**
 * An IPv6 routing table (net/ipv6/route.c, ip6_fib.c as `ip -6 route` shows it): routes with a
 * destination prefix, a type (unicast, local, multicast, unreachable, blackhole, prohibit), an
 * optional gateway, a device and a metric; a lookup takes the longest matching prefix, then the
 * lowest metric, and for a link-local destination (or one given with a device) the route through
 * that device. IPv6 routes of the same prefix and metric may coexist on different devices (every
 * device has its own `fe80::/64`). The namespace keeps a `local` (255) and a `main` (254) table.
 *
 * Deviations: a sorted list scanned in order rather than fib6's radix tree (tables here hold a
 * handful of routes); no `pref` other than medium, no expiry, no multipath.
 */

export type Route6Type = "unicast" | "local" | "multicast" | "unreachable" | "blackhole" | "prohibit";

export interface Route6 {
  /** Destination prefix, masked (16 bytes). */
  dst: Uint8Array;
  prefixLen: number;
  type: Route6Type;
  /** Next hop; undefined for a directly connected destination. */
  gateway: Uint8Array | undefined;
  /** Output device; 0 for unreachable, blackhole and prohibit routes. */
  ifindex: number;
  metric: number;
  /** "kernel" for routes added with addresses, "boot" for `ip -6 route add`, "static" with `proto static`. */
  protocol: "kernel" | "boot" | "static";
  /** Preferred source (`src`), undefined when unset. */
  prefsrc: Uint8Array | undefined;
}

/** Do the first `len` bits of the 16 bytes at `a`/`aOff` and of `b` agree? */
export function prefixMatches(a: Uint8Array, aOff: number, b: Uint8Array, len: number): boolean {
  const full = len >>> 3;
  for (let i = 0; i < full; i++) if (a[aOff + i] !== b[i]) return false;
  const bits = len & 7;
  if (bits === 0) return true;
  const mask = (0xff << (8 - bits)) & 0xff;
  return (((a[aOff + full] as number) ^ (b[full] as number)) & mask) === 0;
}

/** The first `len` bits of `a`, the rest zero. */
export function maskPrefix(a: Uint8Array, len: number): Uint8Array {
  const out = new Uint8Array(16);
  const full = len >>> 3;
  out.set(a.subarray(0, full));
  if (len & 7 && full < 16) out[full] = (a[full] as number) & (0xff << (8 - (len & 7)));
  return out;
}

export function sameAddress(a: Uint8Array | undefined, b: Uint8Array | undefined): boolean {
  if (a === undefined || b === undefined) return a === b;
  for (let i = 0; i < 16; i++) if (a[i] !== b[i]) return false;
  return true;
}

function compareBytes(a: Uint8Array, b: Uint8Array): number {
  for (let i = 0; i < 16; i++) if (a[i] !== b[i]) return (a[i] as number) - (b[i] as number);
  return 0;
}

export class Route6Table {
  /** Longest prefix first, then lowest metric; insertion order among equals. */
  private readonly byMatch: Route6[] = [];

  constructor(
    readonly id: number,
    readonly name: string,
  ) {}

  /**
   * The route for the 16 bytes at `buf`/`off`: longest prefix, lowest metric; with `oif`, only
   * routes through that device (or without one).
   */
  lookup(buf: Uint8Array, off = 0, oif = 0): Route6 | undefined {
    for (const r of this.byMatch) {
      if (oif !== 0 && r.ifindex !== 0 && r.ifindex !== oif) continue;
      if (prefixMatches(buf, off, r.dst, r.prefixLen)) return r;
    }
    return undefined;
  }

  /** Adds a route; false when one with the same prefix, metric, device and gateway exists. */
  add(route: Route6): boolean {
    const dst = maskPrefix(route.dst, route.prefixLen);
    const clash = this.byMatch.some(
      (r) =>
        r.prefixLen === route.prefixLen &&
        r.metric === route.metric &&
        r.ifindex === route.ifindex &&
        sameAddress(r.dst, dst) &&
        sameAddress(r.gateway, route.gateway),
    );
    if (clash) return false;
    const added = { ...route, dst };
    let i = 0;
    while (
      i < this.byMatch.length &&
      ((this.byMatch[i] as Route6).prefixLen > added.prefixLen ||
        ((this.byMatch[i] as Route6).prefixLen === added.prefixLen &&
          (this.byMatch[i] as Route6).metric <= added.metric))
    )
      i++;
    this.byMatch.splice(i, 0, added);
    return true;
  }

  /** Removes every route for which `pred` holds; returns them. */
  removeWhere(pred: (r: Route6) => boolean): Route6[] {
    const gone = this.byMatch.filter(pred);
    for (const r of gone) this.byMatch.splice(this.byMatch.indexOf(r), 1);
    return gone;
  }

  /** As `ip -6 route show` lists them: by destination, the default route last, then metric. */
  routes(): Route6[] {
    return [...this.byMatch].sort(
      (a, b) =>
        (a.prefixLen === 0 ? 1 : 0) - (b.prefixLen === 0 ? 1 : 0) ||
        compareBytes(a.dst, b.dst) ||
        a.prefixLen - b.prefixLen ||
        a.metric - b.metric,
    );
  }
}
