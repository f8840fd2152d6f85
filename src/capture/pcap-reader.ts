/**
 * Reader for classic libpcap files (microsecond 0xa1b2c3d4 and nanosecond 0xa1b23c4d magic, either
 * byte order). Used by tests to read Linux fixtures and dockwire's own output; it reads a whole
 * file held in memory.
 */

import { ParseError } from "../util/errors.js";

export interface PcapRecord {
  /** Capture time in integer nanoseconds (bigint: seconds since 1970 exceed 2^53 ns). */
  timeNs: bigint;
  /** Length on the wire. */
  originalLength: number;
  data: Uint8Array;
}

export interface PcapFile {
  nanosecond: boolean;
  versionMajor: number;
  versionMinor: number;
  snaplen: number;
  linkType: number;
  records: PcapRecord[];
}

export function readPcap(bytes: Uint8Array): PcapFile {
  if (bytes.length < 24) throw new ParseError("pcap", "truncated", 0, "file shorter than the global header");
  const dv = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength);
  const magicBE = dv.getUint32(0, false);
  let little: boolean;
  let nanosecond: boolean;
  if (magicBE === 0xa1b2c3d4 || magicBE === 0xa1b23c4d) {
    little = false;
    nanosecond = magicBE === 0xa1b23c4d;
  } else {
    const magicLE = dv.getUint32(0, true);
    if (magicLE !== 0xa1b2c3d4 && magicLE !== 0xa1b23c4d) {
      throw new ParseError("pcap", "bad-value", 0, `magic 0x${magicBE.toString(16)}`);
    }
    little = true;
    nanosecond = magicLE === 0xa1b23c4d;
  }
  const file: PcapFile = {
    nanosecond,
    versionMajor: dv.getUint16(4, little),
    versionMinor: dv.getUint16(6, little),
    snaplen: dv.getUint32(16, little),
    linkType: dv.getUint32(20, little) & 0x0fffffff,
    records: [],
  };
  let off = 24;
  while (off < bytes.length) {
    if (bytes.length - off < 16) throw new ParseError("pcap", "truncated", off, "record header cut short");
    const sec = dv.getUint32(off, little);
    const frac = dv.getUint32(off + 4, little);
    const caplen = dv.getUint32(off + 8, little);
    const origlen = dv.getUint32(off + 12, little);
    if (bytes.length - off - 16 < caplen)
      throw new ParseError("pcap", "truncated", off, "record data cut short");
    file.records.push({
      timeNs: BigInt(sec) * 1_000_000_000n + BigInt(nanosecond ? frac : frac * 1000),
      originalLength: origlen,
      data: bytes.subarray(off + 16, off + 16 + caplen),
    });
    off += 16 + caplen;
  }
  return file;
}
