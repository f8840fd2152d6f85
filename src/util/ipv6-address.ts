/**
 * IPv6 addresses as 16 bytes: parsing the text forms (RFC 4291 §2.2: groups, `::`, a trailing
 * dotted IPv4) and printing as inet_ntop and tcpdump print them (RFC 5952: lowercase, no leading
 * zeros, the longest run of two or more zero groups — the first if tied — as `::`, and
 * `::a.b.c.d` / `::ffff:a.b.c.d` for IPv4-compatible and IPv4-mapped addresses).
 */

/** The 16 bytes of `text`, or undefined when it is not an IPv6 address. */
export function parseIpv6(text: string): Uint8Array | undefined {
  const halves = text.split("::");
  if (halves.length > 2) return undefined;
  const groups = (part: string): number[] | undefined => {
    if (part === "") return [];
    const out: number[] = [];
    const items = part.split(":");
    for (let i = 0; i < items.length; i++) {
      const item = items[i] as string;
      if (i === items.length - 1 && item.includes(".")) {
        const v4 = item.split(".");
        if (v4.length !== 4 || v4.some((o) => !/^\d{1,3}$/.test(o) || Number(o) > 255)) return undefined;
        const [a, b, c, d] = v4.map(Number) as [number, number, number, number];
        out.push((a << 8) | b, (c << 8) | d);
      } else if (/^[0-9a-fA-F]{1,4}$/.test(item)) out.push(Number.parseInt(item, 16));
      else return undefined;
    }
    return out;
  };
  const head = groups(halves[0] as string);
  const tail = halves.length === 2 ? groups(halves[1] as string) : [];
  if (!head || !tail) return undefined;
  const missing = 8 - head.length - tail.length;
  if (halves.length === 2 ? missing < 1 : missing !== 0) return undefined;
  const all = [...head, ...new Array<number>(missing).fill(0), ...tail];
  const out = new Uint8Array(16);
  all.forEach((g, i) => {
    out[2 * i] = g >>> 8;
    out[2 * i + 1] = g & 0xff;
  });
  return out;
}

/** inet_ntop's text for the 16 bytes at `off`. */
export function ipv6ToString(buf: Uint8Array, off = 0): string {
  const g: number[] = [];
  for (let i = 0; i < 8; i++) g.push(((buf[off + 2 * i] as number) << 8) | (buf[off + 2 * i + 1] as number));
  // The longest run of zero groups (two or more), the first of equals.
  let best = -1;
  let bestLen = 0;
  for (let i = 0; i < 8; ) {
    if (g[i] !== 0) {
      i++;
      continue;
    }
    let j = i;
    while (j < 8 && g[j] === 0) j++;
    if (j - i > bestLen) {
      best = i;
      bestLen = j - i;
    }
    i = j;
  }
  if (bestLen < 2) best = -1;
  const v4 = (i: number) => `${buf[off + i]}.${buf[off + i + 1]}.${buf[off + i + 2]}.${buf[off + i + 3]}`;
  // IPv4-compatible (::a.b.c.d) and IPv4-mapped (::ffff:a.b.c.d), as inet_ntop prints them.
  if (best === 0 && (bestLen === 6 || (bestLen === 5 && g[5] === 0xffff)))
    return bestLen === 6 ? `::${v4(12)}` : `::ffff:${v4(12)}`;
  let text = "";
  for (let i = 0; i < 8; i++) {
    if (i === best) {
      text += "::";
      i += bestLen - 1;
      continue;
    }
    if (text !== "" && !text.endsWith("::")) text += ":";
    text += (g[i] as number).toString(16);
  }
  return text;
}

/** The 16 bytes of a text address known to be valid (tests, scenarios). */
export function ipv6(text: string): Uint8Array {
  const a = parseIpv6(text);
  if (!a) throw new RangeError(`not an IPv6 address: ${text}`);
  return a;
}
