/**
 * An IPv4 routing table with longest-prefix match (net/ipv4/fib_trie.c's result, not its trie).
 *
 * Routes are grouped by prefix length; a lookup tries only the prefix lengths in use, longest
 * first, each one Map lookup keyed by the masked destination (a number), and picks the lowest
 * metric among the routes there. Typical tables use 2–4 prefix lengths, so a lookup is a handful
 * of Map reads and no allocation; recent results are memoised until the table changes. The namespace keeps two tables, `local` (255) and `main`
 * (254), consulted in that order as Linux's default rules do. Deviations: no policy routing rules
 * beyond that, no multipath, no route cache semantics.
 */

export type RouteType = "unicast" | "local" | "broadcast" | "unreachable" | "blackhole" | "prohibit";

export interface Route {
  /** Destination network (masked), as a u32. */
  dst: number;
  prefixLen: number;
  type: RouteType;
  /** Next hop; 0 for a directly connected destination. */
  gateway: number;
  /** Output device ifindex; 0 for routes without a device (unreachable, blackhole, prohibit). */
  ifindex: number;
  metric: number;
  /** "kernel" for routes added with addresses, "boot" for `ip route add`, "static" with `proto static`. */
  protocol: "kernel" | "boot" | "static";
  scope: "host" | "link" | "universe";
  /** Preferred source address (`src`), 0 when unset. */
  prefsrc: number;
}

export function prefixMask(prefixLen: number): number {
  return prefixLen === 0 ? 0 : (0xffffffff << (32 - prefixLen)) >>> 0;
}

export class RouteTable {
  /** prefix length → masked destination → routes, lowest metric first. */
  private readonly byLength = new Map<number, Map<number, Route[]>>();
  /** Prefix lengths in use, longest first. */
  private lengths: number[] = [];
  /** Results of recent lookups (null: no route), dropped whenever the table changes. */
  private readonly cache = new Map<number, Route | null>();

  constructor(
    readonly id: number,
    readonly name: string,
  ) {}

  /** Longest-prefix match; undefined when nothing matches. */
  lookup(dst: number): Route | undefined {
    const cached = this.cache.get(dst);
    if (cached !== undefined) return cached ?? undefined;
    const route = this.match(dst);
    if (this.cache.size >= 4096) this.cache.clear();
    this.cache.set(dst, route ?? null);
    return route;
  }

  private match(dst: number): Route | undefined {
    const lengths = this.lengths;
    for (let i = 0; i < lengths.length; i++) {
      const len = lengths[i] as number;
      const routes = this.byLength.get(len)?.get((dst & prefixMask(len)) >>> 0);
      if (routes !== undefined) return routes[0];
    }
    return undefined;
  }

  /** Adds a route; false if one with the same destination, prefix, metric (and table) exists. */
  add(route: Route): boolean {
    this.cache.clear();
    let group = this.byLength.get(route.prefixLen);
    if (!group) {
      group = new Map();
      this.byLength.set(route.prefixLen, group);
      this.lengths = [...this.byLength.keys()].sort((a, b) => b - a);
    }
    const key = (route.dst & prefixMask(route.prefixLen)) >>> 0;
    const routes = group.get(key) ?? [];
    if (routes.some((r) => r.metric === route.metric)) return false;
    routes.push({ ...route, dst: key });
    routes.sort((a, b) => a.metric - b.metric);
    group.set(key, routes);
    return true;
  }

  /** Removes the first route matching every field given; returns it, or undefined. */
  remove(match: Partial<Route> & { dst: number; prefixLen: number }): Route | undefined {
    this.cache.clear();
    const group = this.byLength.get(match.prefixLen);
    const key = (match.dst & prefixMask(match.prefixLen)) >>> 0;
    const routes = group?.get(key);
    if (!group || !routes) return undefined;
    const i = routes.findIndex((r) =>
      (Object.keys(match) as Array<keyof Route>).every((k) => k === "dst" || match[k] === r[k]),
    );
    if (i < 0) return undefined;
    const [removed] = routes.splice(i, 1);
    if (routes.length === 0) group.delete(key);
    if (group.size === 0) {
      this.byLength.delete(match.prefixLen);
      this.lengths = this.lengths.filter((l) => l !== match.prefixLen);
    }
    return removed;
  }

  /** Removes every route for which `pred` holds (e.g. all routes through a device going down). */
  removeWhere(pred: (r: Route) => boolean): Route[] {
    const gone = this.routes().filter(pred);
    for (const r of gone) this.remove(r);
    return gone;
  }

  /** All routes, ordered as `ip route show` lists them: by destination, then prefix, then metric. */
  routes(): Route[] {
    const all: Route[] = [];
    for (const group of this.byLength.values()) for (const rs of group.values()) all.push(...rs);
    return all.sort((a, b) => a.dst - b.dst || a.prefixLen - b.prefixLen || a.metric - b.metric);
  }
}
