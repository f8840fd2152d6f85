/**
 * Go's encoding/json writes a map's keys sorted (by their bytes); a JavaScript object keeps
 * insertion order. Maps in Docker's JSON (inspect's Options, Labels, Containers, Networks, Ports,
 * …) go through this so that `docker inspect` prints them as Docker does.
 */
export function goMap<T>(m: Readonly<Record<string, T>>): Record<string, T> {
  const out: Record<string, T> = {};
  for (const k of Object.keys(m).sort((a, b) => (a < b ? -1 : a > b ? 1 : 0))) out[k] = m[k] as T;
  return out;
}
