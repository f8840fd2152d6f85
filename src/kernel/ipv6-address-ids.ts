/**
 * Small integer ids for IPv6 addresses, so that the parts of the kernel keyed by a number (the
 * neighbour table's NUD machine, shared with ARP) can hold IPv6 neighbours too. An address gets
 * its id the first time it is seen and keeps it; looking one up hashes its four 32-bit words and
 * allocates nothing. Ids start at 1; 0 is the unspecified address ::.
 */

import { u32 } from "../util/bytes.js";

/** `::`, shared by every namespace (never written). */
const UNSPECIFIED = new Uint8Array(16);
/** The words before the first id (a namespace without IPv6 never makes its own). */
const NO_WORDS = new Uint32Array(4);

export class Ipv6AddressIds {
  /** hash of the four words → ids with that hash. */
  private readonly byHash = new Map<number, number[]>();
  /** The words of id i at [4i, 4i+4). */
  private words: Uint32Array = NO_WORDS;
  private next = 1;
  /** bytes(id)'s arrays, made once per id (id 0's is UNSPECIFIED). */
  private readonly views: Uint8Array[] = [];

  /** The id of the 16 bytes at `off`, made when new. */
  idOf(buf: Uint8Array, off = 0): number {
    const w0 = u32(buf, off);
    const w1 = u32(buf, off + 4);
    const w2 = u32(buf, off + 8);
    const w3 = u32(buf, off + 12);
    if ((w0 | w1 | w2 | w3) === 0) return 0;
    const h = Math.imul(Math.imul(Math.imul(w0 ^ 0x9e3779b9, 31) ^ w1, 31) ^ w2, 31) ^ w3;
    const list = this.byHash.get(h);
    if (list !== undefined) {
      for (const id of list) {
        const at = id * 4;
        const w = this.words;
        if (w[at] === w0 && w[at + 1] === w1 && w[at + 2] === w2 && w[at + 3] === w3) return id;
      }
    }
    const id = this.next++;
    if (id * 4 + 4 > this.words.length) {
      const bigger = new Uint32Array(Math.max(64, this.words.length * 2));
      bigger.set(this.words);
      this.words = bigger;
    }
    this.words.set([w0, w1, w2, w3], id * 4);
    if (list) list.push(id);
    else this.byHash.set(h, [id]);
    return id;
  }

  /**
   * The address of `id` as 16 bytes kept for that id (id 0: the unspecified address), for the
   * packet path; callers must not write to them.
   */
  bytes(id: number): Uint8Array {
    if (id === 0) return UNSPECIFIED;
    let v = this.views[id];
    if (v === undefined) {
      v = this.address(id);
      this.views[id] = v;
    }
    return v;
  }

  /** The address of `id` as 16 new bytes. */
  address(id: number): Uint8Array {
    const out = new Uint8Array(16);
    const view = new DataView(out.buffer);
    for (let i = 0; i < 4; i++) view.setUint32(i * 4, this.words[id * 4 + i] as number);
    return out;
  }
}
