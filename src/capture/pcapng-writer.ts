/**
 * pcapng files (draft-ietf-opsawg-pcapng): one Section Header Block naming the writing
 * application, an Interface Description Block per interface (if_name, if_tsresol = 9, so
 * timestamps are nanoseconds), and Enhanced Packet Blocks with the direction in epb_flags and an
 * optional comment. Written little-endian to a ByteSink; no allocation per packet except for a
 * comment's text.
 */

import type { ByteSink } from "./byte-sink.js";
import { DEFAULT_CAPTURE_EPOCH_SECONDS, splitNanoseconds64 } from "./capture-clock.js";
import { DEFAULT_SNAPLEN, LINKTYPE_ETHERNET } from "./pcap-writer.js";

export const BLOCK_SHB = 0x0a0d0d0a;
export const BLOCK_IDB = 0x00000001;
export const BLOCK_EPB = 0x00000006;
export const BYTE_ORDER_MAGIC = 0x1a2b3c4d;

const OPT_END = 0;
const OPT_COMMENT = 1;
const SHB_HARDWARE = 2;
const SHB_OS = 3;
const SHB_USERAPPL = 4;
const IF_NAME = 2;
const IF_DESCRIPTION = 3;
const IF_TSRESOL = 9;
const EPB_FLAGS = 2;

/** epb_flags direction bits (0–1). */
export const DIRECTION_UNKNOWN = 0;
export const DIRECTION_INBOUND = 1;
export const DIRECTION_OUTBOUND = 2;

export interface PcapngWriterOptions {
  /** shb_userappl, e.g. "dockwire 0.1.0". */
  application: string;
  hardware?: string;
  os?: string;
  /** Wall-clock seconds of simulation time 0 (default 2026-01-01T00:00:00Z). */
  epochSeconds?: number;
}

export interface PcapngInterface {
  name: string;
  description?: string;
  linkType?: number;
  snaplen?: number;
}

const encoder = new TextEncoder();
const pad4 = (n: number) => (n + 3) & ~3;

/** Assembles one block with its options, then hands it to the sink. For the rare blocks (SHB, IDB). */
class BlockBuilder {
  private readonly parts: Array<{ code: number; value: Uint8Array }> = [];
  constructor(
    private readonly type: number,
    private readonly body: Uint8Array,
  ) {}
  option(code: number, value: Uint8Array | string | undefined): this {
    if (value !== undefined)
      this.parts.push({ code, value: typeof value === "string" ? encoder.encode(value) : value });
    return this;
  }
  bytes(): Uint8Array {
    let optLen = this.parts.length > 0 ? 4 : 0;
    for (const p of this.parts) optLen += 4 + pad4(p.value.length);
    const total = 12 + this.body.length + optLen;
    const out = new Uint8Array(total);
    const v = new DataView(out.buffer);
    v.setUint32(0, this.type, true);
    v.setUint32(4, total, true);
    out.set(this.body, 8);
    let p = 8 + this.body.length;
    for (const o of this.parts) {
      v.setUint16(p, o.code, true);
      v.setUint16(p + 2, o.value.length, true);
      out.set(o.value, p + 4);
      p += 4 + pad4(o.value.length);
    }
    if (this.parts.length > 0) v.setUint32(p, OPT_END, true);
    v.setUint32(total - 4, total, true);
    return out;
  }
}

export class PcapngWriter {
  private readonly epochSeconds: number;
  private readonly snaplens: number[] = [];
  /** EPB header (28 bytes) and trailer (options + length, up to 16 bytes) reused for every packet. */
  private readonly head = new Uint8Array(28);
  private readonly headView = new DataView(this.head.buffer);
  private readonly tail = new Uint8Array(16);
  private readonly tailView = new DataView(this.tail.buffer);
  private readonly zeros = new Uint8Array(4);
  private readonly ts = new Uint32Array(2);
  packets = 0;

  constructor(
    private readonly sink: ByteSink,
    options: PcapngWriterOptions,
  ) {
    this.epochSeconds = options.epochSeconds ?? DEFAULT_CAPTURE_EPOCH_SECONDS;
    const body = new Uint8Array(16);
    const v = new DataView(body.buffer);
    v.setUint32(0, BYTE_ORDER_MAGIC, true);
    v.setUint16(4, 1, true);
    v.setUint16(6, 0, true);
    v.setBigInt64(8, -1n, true); // section length not given
    const shb = new BlockBuilder(BLOCK_SHB, body)
      .option(SHB_HARDWARE, options.hardware)
      .option(SHB_OS, options.os)
      .option(SHB_USERAPPL, options.application)
      .bytes();
    sink.write(shb, 0, shb.length);
  }

  /** Describe an interface; returns its id for writePacket. May be called between packets. */
  addInterface(iface: PcapngInterface): number {
    const snaplen = iface.snaplen ?? DEFAULT_SNAPLEN;
    const body = new Uint8Array(8);
    const v = new DataView(body.buffer);
    v.setUint16(0, iface.linkType ?? LINKTYPE_ETHERNET, true);
    v.setUint32(4, snaplen, true);
    const idb = new BlockBuilder(BLOCK_IDB, body)
      .option(IF_NAME, iface.name)
      .option(IF_DESCRIPTION, iface.description)
      .option(IF_TSRESOL, Uint8Array.of(9))
      .bytes();
    this.sink.write(idb, 0, idb.length);
    this.snaplens.push(snaplen);
    return this.snaplens.length - 1;
  }

  /**
   * Record `len` bytes of `frame` from `off` on interface `iface` at simulation time `timeNs`,
   * with a direction (DIRECTION_*) and an optional comment.
   */
  writePacket(
    iface: number,
    timeNs: number,
    frame: Uint8Array,
    off = 0,
    len = frame.length - off,
    direction = DIRECTION_UNKNOWN,
    comment?: string,
  ): void {
    const snaplen = this.snaplens[iface];
    if (snaplen === undefined) throw new RangeError(`pcapng: no interface ${iface}`);
    const caplen = Math.min(len, snaplen);
    const padded = pad4(caplen);
    if (comment === undefined && this.sink.reserve && 28 + padded + 16 <= 1 << 16) {
      this.writeInPlace(iface, timeNs, frame, off, len, caplen, padded, direction);
      return;
    }
    const commentBytes = comment === undefined ? undefined : encoder.encode(comment);
    const commentLen = commentBytes === undefined ? 0 : 4 + pad4(commentBytes.length);
    const optLen = 8 + commentLen + 4; // flags option, comment option, end of options
    const total = 28 + padded + optLen + 4;
    splitNanoseconds64(this.epochSeconds, timeNs, this.ts);
    const h = this.headView;
    h.setUint32(0, BLOCK_EPB, true);
    h.setUint32(4, total, true);
    h.setUint32(8, iface, true);
    h.setUint32(12, this.ts[0] as number, true);
    h.setUint32(16, this.ts[1] as number, true);
    h.setUint32(20, caplen, true);
    h.setUint32(24, len, true);
    this.sink.write(this.head, 0, 28);
    this.sink.write(frame, off, caplen);
    if (padded > caplen) this.sink.write(this.zeros, 0, padded - caplen);
    const t = this.tailView;
    t.setUint16(0, EPB_FLAGS, true);
    t.setUint16(2, 4, true);
    t.setUint32(4, direction & 3, true);
    this.sink.write(this.tail, 0, 8);
    if (commentBytes !== undefined) {
      t.setUint16(0, OPT_COMMENT, true);
      t.setUint16(2, commentBytes.length, true);
      this.sink.write(this.tail, 0, 4);
      this.sink.write(commentBytes, 0, commentBytes.length);
      const pad = pad4(commentBytes.length) - commentBytes.length;
      if (pad > 0) this.sink.write(this.zeros, 0, pad);
    }
    t.setUint32(0, OPT_END, true);
    t.setUint32(4, total, true);
    this.sink.write(this.tail, 0, 8);
    this.packets++;
  }

  /** The common EPB (no comment) written straight into the sink's buffer: one copy, the frame's. */
  private writeInPlace(
    iface: number,
    timeNs: number,
    frame: Uint8Array,
    off: number,
    len: number,
    caplen: number,
    padded: number,
    direction: number,
  ): void {
    const total = 28 + padded + 16;
    const at = (this.sink.reserve as (n: number) => number)(total);
    const buf = this.sink.current as Uint8Array;
    if (buf !== this.placeBuf) {
      this.placeBuf = buf;
      this.placeView = new DataView(buf.buffer, buf.byteOffset, buf.byteLength);
    }
    const v = this.placeView as DataView;
    splitNanoseconds64(this.epochSeconds, timeNs, this.ts);
    v.setUint32(at, BLOCK_EPB, true);
    v.setUint32(at + 4, total, true);
    v.setUint32(at + 8, iface, true);
    v.setUint32(at + 12, this.ts[0] as number, true);
    v.setUint32(at + 16, this.ts[1] as number, true);
    v.setUint32(at + 20, caplen, true);
    v.setUint32(at + 24, len, true);
    buf.set(frame.subarray(off, off + caplen), at + 28);
    let p = at + 28 + caplen;
    while (p < at + 28 + padded) buf[p++] = 0;
    v.setUint16(p, EPB_FLAGS, true);
    v.setUint16(p + 2, 4, true);
    v.setUint32(p + 4, direction & 3, true);
    v.setUint32(p + 8, OPT_END, true);
    v.setUint32(p + 12, total, true);
    this.packets++;
  }

  private placeBuf: Uint8Array | undefined;
  private placeView: DataView | undefined;

  close(): void {
    this.sink.close();
  }
}
