/**
 * 48-bit MAC addresses as numbers (exact in a double). Printing and parsing are for the edges;
 * frames are read and written with u48/put48 from bytes.ts.
 */

export const MAC_BROADCAST = 0xffffffffffff;
export const MAC_ZERO = 0;

export function macToString(mac: number): string {
  let s = "";
  for (let shift = 40; shift >= 0; shift -= 8) {
    const byte = Math.floor(mac / 2 ** shift) & 0xff;
    s += (shift === 40 ? "" : ":") + byte.toString(16).padStart(2, "0");
  }
  return s;
}

/** "02:42:ac:11:00:02" (case-insensitive) → number; undefined if malformed. */
export function parseMac(text: string): number | undefined {
  const parts = text.split(":");
  if (parts.length !== 6) return undefined;
  let v = 0;
  for (const p of parts) {
    if (!/^[0-9a-fA-F]{1,2}$/.test(p)) return undefined;
    v = v * 256 + Number.parseInt(p, 16);
  }
  return v;
}

export function mac(text: string): number {
  const v = parseMac(text);
  if (v === undefined) throw new Error(`not a MAC address: ${text}`);
  return v;
}

/** Group bit (I/G) set: broadcast or multicast. */
export function isMulticastMac(mac: number): boolean {
  return (Math.floor(mac / 2 ** 40) & 1) === 1;
}
