/**
 * A packet in flight: one Uint8Array region with headroom in front, the data between `head` and
 * `tail`, and metadata beside the bytes — the shape of the kernel's sk_buff. Headers are prepended
 * by moving `head` back (skb_push) and stripped by moving it forward (skb_pull), so encapsulation
 * (VXLAN adds 50 bytes) copies nothing. Deviation: no fragments/frag_list, no shared clones.
 */

/** Bytes reserved in front of a new packet's data for headers pushed later (Ethernet + VXLAN + ...). */
export const DEFAULT_HEADROOM = 128;

/**
 * Packet buffers are carved from 256 KiB slabs (a bump allocator): a view onto a shared ArrayBuffer
 * costs far less than a fresh ArrayBuffer per packet, and fresh slab memory is already zeroed.
 * Nothing is reused, so a packet's bytes stay valid as long as anyone holds them; a slab is freed
 * by the garbage collector once no packet of it is left.
 */
const SLAB_SIZE = 1 << 18;
let slab = new Uint8Array(SLAB_SIZE);
let slabUsed = 0;

function takeBuffer(size: number): Uint8Array {
  if (size > SLAB_SIZE / 8) return new Uint8Array(size);
  if (slabUsed + size > SLAB_SIZE) {
    slab = new Uint8Array(SLAB_SIZE);
    slabUsed = 0;
  }
  const buf = slab.subarray(slabUsed, slabUsed + size);
  slabUsed += (size + 7) & ~7;
  return buf;
}

export class Packet {
  /** Index of the first data byte. */
  head: number;
  /** Index one past the last data byte. */
  tail: number;
  /** Netfilter mark (skb->mark). */
  mark = 0;
  /** ifindex of the device the packet arrived on, 0 when locally generated. */
  ingressIfindex = 0;
  /** br_netfilter ran PREROUTING on this frame in the bridge: the IP layer must not run it again. */
  bridgedNf = false;
  /**
   * The source MAC a bridged-and-DNATed frame keeps when it leaves after ARP (nf_bridge's saved
   * header); -1 when the sending device's own MAC applies.
   */
  bridgeSrcMac = -1;
  /**
   * Conntrack's verdict from PREROUTING/OUTPUT for the later hooks (skb->_nfct): the connection
   * (netfilter's entry; opaque here), its ctinfo and whether the packet is in the reply direction.
   */
  ct: unknown = undefined;
  ctInfo = 0;
  ctReply = false;
  /** br_netfilter's bridge ports (nf_bridge physindev/physoutdev), "" when not bridged. */
  physIn = "";
  physOut = "";

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
    return new Packet(takeBuffer(headroom + length), headroom, headroom + length);
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
    const buf = takeBuffer(this.buf.length);
    buf.set(this.buf);
    const p = new Packet(buf, this.head, this.tail);
    p.mark = this.mark;
    p.ingressIfindex = this.ingressIfindex;
    p.bridgedNf = this.bridgedNf;
    p.ct = this.ct;
    p.ctInfo = this.ctInfo;
    p.ctReply = this.ctReply;
    p.physIn = this.physIn;
    return p;
  }

  /**
   * What a namespace's netfilter and bridge attached goes when the packet crosses a veth
   * (skb_scrub_packet: conntrack, nf_bridge). Deviation: the mark stays.
   */
  scrub(): void {
    this.ct = undefined;
    this.bridgedNf = false;
    this.bridgeSrcMac = -1;
    this.physIn = "";
    this.physOut = "";
  }
}
