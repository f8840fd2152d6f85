/**
 * Builds outgoing TCP segments the way Linux lays them out (net/ipv4/tcp_output.c
 * tcp_options_write): SYN and SYN-ACK carry MSS, SACK_PERM, TS, NOP, WS in that order (NOP,NOP,
 * SACK_PERM or NOP,NOP,TS when only one of the two was agreed); every later segment carries
 * NOP,NOP,TS and, when data is missing, NOP,NOP,SACK with up to three blocks (four without TS).
 * The checksum is left 0: the address family's layer computes it with its pseudo-header.
 */

import { Packet } from "../../link/packet.js";
import type { ByteRing } from "../../util/byte-ring.js";
import { put16, put32 } from "../../util/bytes.js";
import { TCP_MIN_HEADER_LEN } from "../../wire/tcp.js";

export interface SegmentOptions {
  /** SYN options: the MSS to announce (0: not a SYN). */
  mss: number;
  sackPermitted: boolean;
  /** Our window scale on a SYN, -1 for none. */
  windowScale: number;
  timestamps: boolean;
  tsval: number;
  tsecr: number;
  /** SACK blocks as [start, end) sequence pairs (wire values). */
  sack: readonly number[];
}

/** Bytes of options a segment with these settings carries. */
export function optionsLength(o: SegmentOptions): number {
  let n = 0;
  if (o.mss > 0) {
    n += 4;
    if (o.timestamps) n += 12;
    else if (o.sackPermitted) n += 4;
    if (o.windowScale >= 0) n += 4;
  } else if (o.timestamps) n += 12;
  if (o.sack.length > 0) n += 4 + 4 * o.sack.length;
  return n;
}

/** Four option bytes at `p`; returns the offset after them. */
function put4(b: Uint8Array, p: number, a: number, c: number, d: number, e: number): number {
  b[p] = a;
  b[p + 1] = c;
  b[p + 2] = d;
  b[p + 3] = e;
  return p + 4;
}

/** The timestamp option (kind 8) behind two lead bytes (NOP,NOP or SACK_PERM). */
function putTimestamp(b: Uint8Array, p: number, lead1: number, lead2: number, o: SegmentOptions): number {
  p = put4(b, p, lead1, lead2, 8, 10);
  put32(b, p, o.tsval);
  put32(b, p + 4, o.tsecr);
  return p + 8;
}

function writeOptions(b: Uint8Array, p: number, o: SegmentOptions): number {
  if (o.mss > 0) {
    p = put4(b, p, 2, 4, o.mss >> 8, o.mss & 0xff);
    if (o.timestamps) p = o.sackPermitted ? putTimestamp(b, p, 4, 2, o) : putTimestamp(b, p, 1, 1, o);
    else if (o.sackPermitted) p = put4(b, p, 1, 1, 4, 2);
    if (o.windowScale >= 0) p = put4(b, p, 1, 3, 3, o.windowScale);
  } else if (o.timestamps) p = putTimestamp(b, p, 1, 1, o);
  if (o.sack.length > 0) {
    p = put4(b, p, 1, 1, 5, 2 + 4 * o.sack.length);
    for (const edge of o.sack) {
      put32(b, p, edge);
      p += 4;
    }
  }
  return p;
}

/**
 * A packet holding a TCP segment: header, options, and `dataLen` bytes copied from `data` at
 * stream offset `dataOffset`. Returns the packet with `head` at the TCP header.
 */
export function buildSegment(
  srcPort: number,
  dstPort: number,
  seq: number,
  ack: number,
  flags: number,
  window: number,
  opts: SegmentOptions,
  data: ByteRing | undefined,
  dataOffset: number,
  dataLen: number,
): Packet {
  const hlen = TCP_MIN_HEADER_LEN + optionsLength(opts);
  const pkt = Packet.alloc(hlen + dataLen);
  const b = pkt.buf;
  const o = pkt.head;
  put16(b, o, srcPort);
  put16(b, o + 2, dstPort);
  put32(b, o + 4, seq >>> 0);
  put32(b, o + 8, ack >>> 0);
  b[o + 12] = (hlen / 4) << 4;
  b[o + 13] = flags & 0xff;
  put16(b, o + 14, window);
  writeOptions(b, o + TCP_MIN_HEADER_LEN, opts);
  if (dataLen > 0 && data) data.copyOut(dataOffset, dataLen, b, o + hlen);
  return pkt;
}
