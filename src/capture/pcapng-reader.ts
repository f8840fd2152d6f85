/**
 * Reader for pcapng files (either byte order): section headers, interface descriptions and
 * enhanced packet blocks with their options; other block types are skipped. Used by tests to
 * check what the writer produced. Reads a whole file held in memory.
 */

import { ParseError } from "../util/errors.js";
import { BLOCK_EPB, BLOCK_IDB, BLOCK_SHB, BYTE_ORDER_MAGIC } from "./pcapng-writer.js";

export interface PcapngReadInterface {
  linkType: number;
  snaplen: number;
  name?: string;
  description?: string;
  /** Timestamp units per second (10^tsresol, or 2^tsresol with the top bit set); default 10^6. */
  unitsPerSecond: bigint;
}

export interface PcapngReadPacket {
  interfaceId: number;
  /** Nanoseconds since 1970. */
  timeNs: bigint;
  originalLength: number;
  data: Uint8Array;
  /** epb_flags, if present. */
  flags?: number;
  comments: string[];
}

export interface PcapngFile {
  application?: string;
  hardware?: string;
  os?: string;
  interfaces: PcapngReadInterface[];
  packets: PcapngReadPacket[];
}

const decoder = new TextDecoder();

export function readPcapng(bytes: Uint8Array): PcapngFile {
  const dv = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength);
  const file: PcapngFile = { interfaces: [], packets: [] };
  let little = true;
  let off = 0;
  while (off < bytes.length) {
    if (bytes.length - off < 12) throw new ParseError("pcapng", "truncated", off, "block header cut short");
    const typeLE = dv.getUint32(off, true);
    if (typeLE === BLOCK_SHB) {
      if (bytes.length - off < 28)
        throw new ParseError("pcapng", "truncated", off, "section header cut short");
      const magicLE = dv.getUint32(off + 8, true);
      if (magicLE === BYTE_ORDER_MAGIC) little = true;
      else if (dv.getUint32(off + 8, false) === BYTE_ORDER_MAGIC) little = false;
      else throw new ParseError("pcapng", "bad-value", off + 8, "byte-order magic");
      file.interfaces = off === 0 ? file.interfaces : [];
    } else if (off === 0) {
      throw new ParseError("pcapng", "bad-value", 0, "file does not start with a section header block");
    }
    const type = dv.getUint32(off, little);
    const total = dv.getUint32(off + 4, little);
    if (total < 12 || total % 4 !== 0)
      throw new ParseError("pcapng", "bad-length", off + 4, `block length ${total}`);
    if (total > bytes.length - off)
      throw new ParseError("pcapng", "truncated", off, `block of ${total} bytes`);
    if (dv.getUint32(off + total - 4, little) !== total) {
      throw new ParseError("pcapng", "bad-length", off + total - 4, "trailing block length differs");
    }
    const end = off + total - 4;
    if (type === BLOCK_SHB) {
      for (const [code, value] of options(bytes, dv, off + 24, end, little)) {
        if (code === 2) file.hardware = decoder.decode(value);
        if (code === 3) file.os = decoder.decode(value);
        if (code === 4) file.application = decoder.decode(value);
      }
    } else if (type === BLOCK_IDB) {
      if (total < 20) throw new ParseError("pcapng", "bad-length", off, "interface block too short");
      const iface: PcapngReadInterface = {
        linkType: dv.getUint16(off + 8, little),
        snaplen: dv.getUint32(off + 12, little),
        unitsPerSecond: 1_000_000n,
      };
      for (const [code, value] of options(bytes, dv, off + 16, end, little)) {
        if (code === 2) iface.name = decoder.decode(value);
        if (code === 3) iface.description = decoder.decode(value);
        if (code === 9 && value.length >= 1) {
          const r = value[0] as number;
          iface.unitsPerSecond = r & 0x80 ? 2n ** BigInt(r & 0x7f) : 10n ** BigInt(r);
        }
      }
      file.interfaces.push(iface);
    } else if (type === BLOCK_EPB) {
      if (total < 32) throw new ParseError("pcapng", "bad-length", off, "packet block too short");
      const interfaceId = dv.getUint32(off + 8, little);
      const iface = file.interfaces[interfaceId];
      if (!iface) throw new ParseError("pcapng", "bad-value", off + 8, `no interface ${interfaceId}`);
      const units = (BigInt(dv.getUint32(off + 12, little)) << 32n) | BigInt(dv.getUint32(off + 16, little));
      const caplen = dv.getUint32(off + 20, little);
      const dataEnd = off + 28 + caplen;
      if (dataEnd > end) throw new ParseError("pcapng", "bad-length", off + 20, `captured length ${caplen}`);
      const packet: PcapngReadPacket = {
        interfaceId,
        timeNs: (units * 1_000_000_000n) / iface.unitsPerSecond,
        originalLength: dv.getUint32(off + 24, little),
        data: bytes.subarray(off + 28, dataEnd),
        comments: [],
      };
      for (const [code, value] of options(bytes, dv, off + 28 + ((caplen + 3) & ~3), end, little)) {
        if (code === 1) packet.comments.push(decoder.decode(value));
        if (code === 2 && value.length === 4) {
          packet.flags = new DataView(value.buffer, value.byteOffset, 4).getUint32(0, little);
        }
      }
      file.packets.push(packet);
    }
    off += total;
  }
  return file;
}

/** The options of a block between `off` and `end`, as [code, value] pairs. */
function options(
  bytes: Uint8Array,
  dv: DataView,
  off: number,
  end: number,
  little: boolean,
): Array<[number, Uint8Array]> {
  const out: Array<[number, Uint8Array]> = [];
  while (off + 4 <= end) {
    const code = dv.getUint16(off, little);
    const len = dv.getUint16(off + 2, little);
    if (code === 0) break;
    if (off + 4 + len > end)
      throw new ParseError("pcapng", "bad-length", off, `option ${code} of ${len} bytes`);
    out.push([code, bytes.subarray(off + 4, off + 4 + len)]);
    off += 4 + ((len + 3) & ~3);
  }
  return out;
}
