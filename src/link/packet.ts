/**
 * A packet in flight: one Uint8Array region with headroom in front, the data between `head` and
 * `tail`, and metadata beside the bytes — the shape of the kernel's sk_buff. Headers are prepended
 * by moving `head` back (skb_push) and stripped by moving it forward (skb_pull), so encapsulation
 * (VXLAN adds 50 bytes) copies nothing. Deviation: no fragments/frag_list, no shared clones.
 */

/** Bytes reserved in front of a new packet's data for headers pushed later (Ethernet + VXLAN + ...). */
export const DEFAULT_HEADROOM = 128;

export class Packet {
  /** Index of the first data byte. */
  head: number;
  /** Index one past the last data byte. */
  tail: number;
  /** Netfilter mark (skb->mark). */
  mark = 0;
  /** ifindex of the device the packet arrived on, 0 when locally generated. */
  ingressIfindex = 0;

  constructor(
    readonly buf: Uint8Array,
    head: number,
    tail: number,
  ) {
    this.head = head;
    this.tail = tail;
  }

  /** A packet with `length` bytes of (zeroed) data after `headroom` bytes of room. */
  static alloc(length: number, headroom = DEFAULT_HEADROOM): Packet {
    return new Packet(new Uint8Array(headroom + length), headroom, headroom + length);
  }

  /** A packet holding a copy of `bytes`, with headroom in front. */
  static from(bytes: Uint8Array, headroom = DEFAULT_HEADROOM): Packet {
    const p = Packet.alloc(bytes.length, headroom);
    p.buf.set(bytes, headroom);
    return p;
  }

  get length(): number {
    return this.tail - this.head;
  }

  /** The data as a view (no copy). */
  data(): Uint8Array {
    return this.buf.subarray(this.head, this.tail);
  }

  /** Make room for an `n`-byte header in front of the data; returns its offset (skb_push). */
  push(n: number): number {
    if (n > this.head) throw new RangeError(`packet: ${n} bytes pushed with ${this.head} bytes of headroom`);
    this.head -= n;
    return this.head;
  }

  /** Strip `n` bytes from the front (skb_pull). */
  pull(n: number): void {
    if (n > this.length) throw new RangeError(`packet: ${n} bytes pulled from ${this.length}`);
    this.head += n;
  }

  /** An independent copy (for flooding to several ports), with the same headroom. */
  copy(): Packet {
    const p = new Packet(this.buf.slice(), this.head, this.tail);
    p.mark = this.mark;
    p.ingressIfindex = this.ingressIfindex;
    return p;
  }
}
