/**
 * Builds outgoing TCP segments the way Linux lays them out (net/ipv4/tcp_output.c
 * tcp_options_write): SYN and SYN-ACK carry MSS, SACK_PERM, TS, NOP, WS in that order (NOP,NOP,
 * SACK_PERM or NOP,NOP,TS when only one of the two was agreed); every later segment carries
 * NOP,NOP,TS and, when data is missing, NOP,NOP,SACK with up to three blocks (four without TS).
 * The checksum is computed once here, over header and data.
 */

import { Packet } from "../../link/packet.js";
import type { ByteRing } from "../../util/byte-ring.js";
import { put16, put32 } from "../../util/bytes.js";
import { TCP_MIN_HEADER_LEN, tcpChecksum } from "../../wire/tcp.js";

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

function writeOptions(b: Uint8Array, p: number, o: SegmentOptions): number {
  if (o.mss > 0) {
    b[p] = 2;
    b[p + 1] = 4;
    put16(b, p + 2, o.mss);
    p += 4;
    if (o.timestamps) {
      if (o.sackPermitted) {
        b[p] = 4;
        b[p + 1] = 2;
      } else {
        b[p] = 1;
        b[p + 1] = 1;
      }
      b[p + 2] = 8;
      b[p + 3] = 10;
      put32(b, p + 4, o.tsval);
      put32(b, p + 8, o.tsecr);
      p += 12;
    } else if (o.sackPermitted) {
      b[p] = 1;
      b[p + 1] = 1;
      b[p + 2] = 4;
      b[p + 3] = 2;
      p += 4;
    }
    if (o.windowScale >= 0) {
      b[p] = 1;
      b[p + 1] = 3;
      b[p + 2] = 3;
      b[p + 3] = o.windowScale;
      p += 4;
    }
  } else if (o.timestamps) {
    b[p] = 1;
    b[p + 1] = 1;
    b[p + 2] = 8;
    b[p + 3] = 10;
    put32(b, p + 4, o.tsval);
    put32(b, p + 8, o.tsecr);
    p += 12;
  }
  if (o.sack.length > 0) {
    b[p] = 1;
    b[p + 1] = 1;
    b[p + 2] = 5;
    b[p + 3] = 2 + 4 * o.sack.length;
    p += 4;
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
  srcAddr: number,
  dstAddr: number,
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
  put16(b, o + 16, tcpChecksum(b, o, hlen + dataLen, srcAddr, dstAddr));
  return pkt;
}
