/**
 * Classic libpcap files, nanosecond variant (magic 0xa1b23c4d), version 2.4, link type 1
 * (Ethernet), snaplen 262144, written little-endian as libpcap does on x86. Streams to a ByteSink;
 * no allocation per packet.
 */

import { SECOND, wholeSeconds } from "../sim/time.js";
import type { ByteSink } from "./byte-sink.js";
import { DEFAULT_CAPTURE_EPOCH_SECONDS } from "./capture-clock.js";

export const PCAP_NS_MAGIC = 0xa1b23c4d;
export const LINKTYPE_ETHERNET = 1;
export const DEFAULT_SNAPLEN = 262144;

export interface PcapWriterOptions {
  /** Wall-clock seconds of simulation time 0 (default 2026-01-01T00:00:00Z). */
  epochSeconds?: number;
  snaplen?: number;
}

export class PcapWriter {
  private readonly scratch = new Uint8Array(16);
  private readonly view = new DataView(this.scratch.buffer);
  private readonly epochSeconds: number;
  private readonly snaplen: number;
  packets = 0;

  constructor(
    private readonly sink: ByteSink,
    options: PcapWriterOptions = {},
  ) {
    this.epochSeconds = options.epochSeconds ?? DEFAULT_CAPTURE_EPOCH_SECONDS;
    this.snaplen = options.snaplen ?? DEFAULT_SNAPLEN;
    const header = new Uint8Array(24);
    const h = new DataView(header.buffer);
    h.setUint32(0, PCAP_NS_MAGIC, true);
    h.setUint16(4, 2, true);
    h.setUint16(6, 4, true);
    h.setInt32(8, 0, true); // thiszone
    h.setUint32(12, 0, true); // sigfigs
    h.setUint32(16, this.snaplen, true);
    h.setUint32(20, LINKTYPE_ETHERNET, true);
    sink.write(header, 0, 24);
  }

  /** Record `len` bytes of `frame` from `off`, seen at simulation time `timeNs`. */
  writePacket(timeNs: number, frame: Uint8Array, off = 0, len = frame.length - off): void {
    const s = wholeSeconds(timeNs);
    const caplen = Math.min(len, this.snaplen);
    const v = this.view;
    v.setUint32(0, this.epochSeconds + s, true);
    v.setUint32(4, timeNs - s * SECOND, true);
    v.setUint32(8, caplen, true);
    v.setUint32(12, len, true);
    this.sink.write(this.scratch, 0, 16);
    this.sink.write(frame, off, caplen);
    this.packets++;
  }

  close(): void {
    this.sink.close();
  }
}
