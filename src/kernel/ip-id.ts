/**
 * IPv4 identification values as Linux picks them for packets not sent by a connected socket
 * (net/ipv4/route.c __ip_select_ident → ip_idents_reserve): a counter per (destination, source,
 * protocol) — Linux hashes these into 2048 shared buckets — that starts at a random value, and
 * that, when it was last used some jiffies ago, first jumps ahead by a random amount below the
 * number of jiffies elapsed. So IDs toward one peer grow by 1 in a burst and by a random step
 * after a pause, as in the Linux captures. Deviations: no bucket collisions between flows; a
 * jiffy is 4 ms (HZ=250, Debian's default).
 */

import type { Rng } from "../util/rng.js";

const JIFFY_NS = 4_000_000;

interface IdCounter {
  next: number;
  lastJiffy: number;
}

export class IpIdGenerator {
  /** protocol → (dst * 2^32 + src) → counter: two number-keyed maps, no strings. */
  private readonly counters = new Map<number, Map<number, IdCounter>>();

  constructor(private readonly rng: Rng) {}

  /** The ID for the next packet of `protocol` from `src` to `dst`, at simulation time `now`. */
  take(dst: number, src: number, protocol: number, now: number): number {
    let byProto = this.counters.get(protocol);
    if (!byProto) {
      byProto = new Map();
      this.counters.set(protocol, byProto);
    }
    const key = dst * 0x100000000 + src;
    const jiffy = Math.floor(now / JIFFY_NS);
    let c = byProto.get(key);
    if (!c) {
      c = { next: this.rng.int(0, 0xffff), lastJiffy: jiffy };
      byProto.set(key, c);
    } else if (c.lastJiffy !== jiffy) {
      c.next = (c.next + this.rng.int(0, jiffy - c.lastJiffy - 1)) & 0xffff;
      c.lastJiffy = jiffy;
    }
    const id = c.next;
    c.next = (c.next + 1) & 0xffff;
    return id;
  }
}
