/**
 * Go maps in Docker's JSON (inspect's Options, Labels, Containers, Networks, Ports, …). Go's
 * encoding/json writes a map's keys sorted (by their bytes); a JavaScript object keeps insertion
 * order, so maps go through goMap. goMap also marks the object as a map for the template engine:
 * a template reads a missing key of a map as `<no value>` (and `index` gives the element type's
 * zero value), where a missing field of a struct is an error.
 */

const GO_MAP = Symbol("go map");

export function goMap<T>(m: Readonly<Record<string, T>>, zero: unknown = ""): Record<string, T> {
  const out: Record<string, T> = {};
  for (const k of Object.keys(m).sort((a, b) => (a < b ? -1 : a > b ? 1 : 0))) out[k] = m[k] as T;
  // Not enumerable: JSON.stringify and spreads leave it out.
  Object.defineProperty(out, GO_MAP, { value: { zero } });
  return out;
}

/** Whether `v` came from goMap. */
export function isGoMap(v: unknown): boolean {
  return typeof v === "object" && v !== null && GO_MAP in v;
}

/** The zero value of a map's element type ("" for map[string]string, null for pointers). */
export function goMapZero(v: object): unknown {
  return (v as { [GO_MAP]?: { zero: unknown } })[GO_MAP]?.zero;
}
