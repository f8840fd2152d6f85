/**
 * IPv4 fragmentation and reassembly (net/ipv4/ip_output.c ip_fragment, ip_fragment.c ip_defrag).
 * A datagram without DF that is larger than the outgoing MTU is cut into fragments whose payloads
 * are multiples of 8 bytes, all with the original ID; the receiver keeps fragments per (source,
 * destination, ID, protocol) until the datagram is whole, or drops them after ipfrag_time (30 s),
 * answering "fragment reassembly time exceeded" when the first fragment had arrived.
 * Deviations: IP options are not copied into later fragments; overlapping fragments are not
 * policed beyond keeping the first copy of each byte range.
 */

import { Packet } from "../link/packet.js";
import type { Simulation } from "../sim/simulation.js";
import { SECOND } from "../sim/time.js";
import { put16, u16 } from "../util/bytes.js";
import { checksum } from "../util/checksum.js";
import { Ipv4View } from "../wire/ipv4.js";

const IP_MF = 0x2000;

/** Cut `pkt` (head at its IPv4 header) into fragments that fit `mtu`. */
export function fragment(pkt: Packet, mtu: number): Packet[] {
  const ip = new Ipv4View().wrap(pkt.buf, pkt.head, pkt.tail);
  const hl = ip.headerLength;
  const chunk = Math.floor((mtu - hl) / 8) * 8;
  const payload = pkt.buf.subarray(ip.payloadOffset, pkt.head + ip.totalLength);
  const baseOffset = ip.fragmentOffset;
  const originalMf = ip.mf;
  const out: Packet[] = [];
  for (let at = 0; at < payload.length; at += chunk) {
    const len = Math.min(chunk, payload.length - at);
    const f = Packet.alloc(hl + len);
    const b = f.buf;
    const o = f.head;
    b.set(pkt.buf.subarray(pkt.head, pkt.head + hl), o);
    b.set(payload.subarray(at, at + len), o + hl);
    const last = at + len >= payload.length;
    put16(b, o + 2, hl + len);
    put16(b, o + 6, (last && !originalMf ? 0 : IP_MF) | (baseOffset + at / 8));
    put16(b, o + 10, 0);
    put16(b, o + 10, checksum(b, o, hl));
    out.push(f);
  }
  return out;
}

interface Pending {
  /** Fragment payloads by byte offset. */
  parts: Map<number, Uint8Array>;
  /** Header of the first fragment (offset 0), once seen. */
  firstHeader: Uint8Array | undefined;
  /** Payload length, known once the last fragment (MF clear) arrived. */
  total: number;
  expiry: ReturnType<Simulation["scheduleAfter"]>;
}

export class Reassembler {
  private readonly pending = new Map<string, Pending>();

  /** `onTimeout(firstFragment)` is told when a datagram expires with its first fragment in hand. */
  constructor(
    private readonly sim: Simulation,
    private readonly onTimeout: (first: Packet) => void,
  ) {}

  /**
   * Take a fragment (head at its IPv4 header); returns the whole datagram once complete, else
   * undefined.
   */
  add(pkt: Packet): Packet | undefined {
    const ip = new Ipv4View().wrap(pkt.buf, pkt.head, pkt.tail);
    const key = `${ip.src}/${ip.dst}/${ip.id}/${ip.protocol}`;
    let p = this.pending.get(key);
    if (!p) {
      p = {
        parts: new Map(),
        firstHeader: undefined,
        total: -1,
        expiry: this.sim.scheduleAfter(30 * SECOND, () => this.expire(key)),
      };
      this.pending.set(key, p);
    }
    const offset = ip.fragmentOffset * 8;
    const data = pkt.buf.slice(ip.payloadOffset, pkt.head + ip.totalLength);
    if (!p.parts.has(offset)) p.parts.set(offset, data);
    if (offset === 0) p.firstHeader = pkt.buf.slice(pkt.head, ip.payloadOffset);
    if (!ip.mf) p.total = offset + data.length;
    return this.complete(key, p);
  }

  private complete(key: string, p: Pending): Packet | undefined {
    if (p.total < 0 || !p.firstHeader) return undefined;
    let covered = 0;
    for (const off of [...p.parts.keys()].sort((a, b) => a - b)) {
      if (off > covered) return undefined;
      covered = Math.max(covered, off + (p.parts.get(off) as Uint8Array).length);
    }
    if (covered < p.total) return undefined;
    this.sim.cancel(p.expiry);
    this.pending.delete(key);
    const hl = p.firstHeader.length;
    const whole = Packet.alloc(hl + p.total);
    const b = whole.buf;
    const o = whole.head;
    b.set(p.firstHeader, o);
    for (const [off, data] of p.parts)
      b.set(data.subarray(0, Math.max(0, Math.min(data.length, p.total - off))), o + hl + off);
    put16(b, o + 2, hl + p.total);
    put16(b, o + 6, u16(b, o + 6) & 0x4000);
    put16(b, o + 10, 0);
    put16(b, o + 10, checksum(b, o, hl));
    return whole;
  }

  private expire(key: string): void {
    const p = this.pending.get(key);
    this.pending.delete(key);
    if (!p?.firstHeader) return;
    const first = p.parts.get(0) as Uint8Array;
    const f = Packet.alloc(p.firstHeader.length + first.length);
    f.buf.set(p.firstHeader, f.head);
    f.buf.set(first, f.head + p.firstHeader.length);
    this.onTimeout(f);
  }
}
