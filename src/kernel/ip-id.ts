/**
 * IPv4 identification values as Linux picks them (net/ipv4/route.c ip_idents_reserve): packets
 * that are not from a connected socket take the next value of a counter chosen by hashing the
 * destination, each counter starting at a random value. Here each destination gets its own
 * counter with a seeded random start: the same sequence per destination Linux shows, without the
 * hash collisions between destinations.
 */

import type { Rng } from "../util/rng.js";

export class IpIdGenerator {
  private readonly next = new Map<number, number>();

  constructor(private readonly rng: Rng) {}

  /** The ID for the next packet to `dst`. */
  take(dst: number): number {
    const id = this.next.get(dst) ?? this.rng.int(0, 0xffff);
    this.next.set(dst, (id + 1) & 0xffff);
    return id;
  }
}
