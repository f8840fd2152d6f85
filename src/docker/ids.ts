/**
 * Docker's random identifiers from the simulation's seeded RNG: 64-hex IDs for networks,
 * containers, endpoints and sandboxes (stringid.GenerateRandomID), host-side veth names (`veth` +
 * 7 hex, netutils.GenerateIfaceName) and `02:42` + 4 random bytes for a bridge's MAC (classic).
 * Deviation: stringid re-draws IDs that are all digits when cut to 12 characters; so do we.
 */

import type { Rng } from "../util/rng.js";

const hex8 = (rng: Rng) => rng.nextU32().toString(16).padStart(8, "0");

export function randomId(rng: Rng): string {
  for (;;) {
    let id = "";
    for (let i = 0; i < 8; i++) id += hex8(rng);
    if (!/^\d{12}/.test(id)) return id;
  }
}

export function vethName(rng: Rng): string {
  return `veth${hex8(rng).slice(0, 7)}`;
}

/** 02:42 and four random bytes (a classic bridge device's MAC), as a 48-bit number. */
export function bridgeMac(rng: Rng): number {
  return 0x0242 * 0x100000000 + rng.nextU32();
}
