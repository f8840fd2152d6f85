/**
 * Ethernet II frames with an optional IEEE 802.1Q tag.
 *
 * Models what the kernel's eth_type_trans / vlan_get_protocol see on a veth or bridge: no preamble,
 * no FCS and no padding (captures on Linux virtual devices carry none). A double tag (QinQ) is read
 * as one tag whose inner EtherType is 0x8100; nothing deeper is modelled.
 */

import { put16, put48, u16, u48 } from "../util/bytes.js";
import { ParseError } from "../util/errors.js";
import { macToString } from "../util/mac-address.js";

export const ETH_HEADER_LEN = 14;
export const VLAN_TAG_LEN = 4;
export const ETHERTYPE_IPV4 = 0x0800;
export const ETHERTYPE_ARP = 0x0806;
export const ETHERTYPE_VLAN = 0x8100;
export const ETHERTYPE_IPV6 = 0x86dd;

export interface VlanTag {
  /** Priority code point, 0–7. */
  pcp: number;
  /** Drop eligible indicator. */
  dei: boolean;
  /** VLAN id, 0–4095. */
  vid: number;
}

export interface EthernetHeader {
  dst: number;
  src: number;
  /** Present when the frame carries an 802.1Q tag. */
  vlan?: VlanTag;
  /** EtherType of the payload (after the tag, if any). */
  etherType: number;
}

const EMPTY = new Uint8Array(0);

/** Zero-copy view. `wrap` checks lengths once; after it no accessor throws. */
export class EthernetView {
  buf: Uint8Array = EMPTY;
  off = 0;
  /** 14, or 18 with a VLAN tag. */
  headerLength = ETH_HEADER_LEN;

  wrap(buf: Uint8Array, off = 0, end = buf.length): this {
    if (end - off < ETH_HEADER_LEN) {
      throw new ParseError(
        "ethernet",
        "truncated",
        off,
        `${end - off} bytes, header needs ${ETH_HEADER_LEN}`,
      );
    }
    let hl = ETH_HEADER_LEN;
    if (u16(buf, off + 12) === ETHERTYPE_VLAN) {
      hl += VLAN_TAG_LEN;
      if (end - off < hl) throw new ParseError("ethernet", "truncated", off, "802.1Q tag cut short");
    }
    this.buf = buf;
    this.off = off;
    this.headerLength = hl;
    return this;
  }

  get dst(): number {
    return u48(this.buf, this.off);
  }
  set dst(v: number) {
    put48(this.buf, this.off, v);
  }
  get src(): number {
    return u48(this.buf, this.off + 6);
  }
  set src(v: number) {
    put48(this.buf, this.off + 6, v);
  }
  get hasVlan(): boolean {
    return this.headerLength !== ETH_HEADER_LEN;
  }
  /** 802.1Q tag control information (PCP, DEI, VID); 0 without a tag. */
  get tci(): number {
    return this.hasVlan ? u16(this.buf, this.off + 14) : 0;
  }
  get vid(): number {
    return this.tci & 0x0fff;
  }
  /** EtherType of the payload (after the tag, if any). */
  get etherType(): number {
    return u16(this.buf, this.off + this.headerLength - 2);
  }
  set etherType(v: number) {
    put16(this.buf, this.off + this.headerLength - 2, v);
  }
  get payloadOffset(): number {
    return this.off + this.headerLength;
  }
}

export function ethernetHeaderLength(h: EthernetHeader): number {
  return h.vlan ? ETH_HEADER_LEN + VLAN_TAG_LEN : ETH_HEADER_LEN;
}

export function parseEthernet(buf: Uint8Array, off = 0, end = buf.length): EthernetHeader {
  const v = new EthernetView().wrap(buf, off, end);
  const h: EthernetHeader = { dst: v.dst, src: v.src, etherType: v.etherType };
  if (v.hasVlan) {
    const tci = v.tci;
    h.vlan = { pcp: tci >>> 13, dei: (tci & 0x1000) !== 0, vid: tci & 0x0fff };
  }
  return h;
}

/** Writes the header at `off`; returns the number of bytes written. */
export function emitEthernet(h: EthernetHeader, buf: Uint8Array, off = 0): number {
  put48(buf, off, h.dst);
  put48(buf, off + 6, h.src);
  if (h.vlan) {
    put16(buf, off + 12, ETHERTYPE_VLAN);
    put16(buf, off + 14, ((h.vlan.pcp & 7) << 13) | (h.vlan.dei ? 0x1000 : 0) | (h.vlan.vid & 0x0fff));
    put16(buf, off + 16, h.etherType);
    return ETH_HEADER_LEN + VLAN_TAG_LEN;
  }
  put16(buf, off + 12, h.etherType);
  return ETH_HEADER_LEN;
}

const ETHERTYPE_NAMES: Record<number, string> = {
  [ETHERTYPE_IPV4]: "IPv4",
  [ETHERTYPE_ARP]: "ARP",
  [ETHERTYPE_VLAN]: "802.1Q",
  [ETHERTYPE_IPV6]: "IPv6",
};

export function etherTypeName(t: number): string {
  return ETHERTYPE_NAMES[t] ?? "Unknown";
}

/**
 * The link-level part of a `tcpdump -e -n` line for a frame of `frameLength` bytes, e.g.
 * `02:42:ac:11:00:02 > ff:ff:ff:ff:ff:ff, ethertype ARP (0x0806), length 42: `.
 */
export function summarizeEthernet(h: EthernetHeader, frameLength: number): string {
  const hex = (t: number) => `0x${t.toString(16).padStart(4, "0")}`;
  const head = `${macToString(h.src)} > ${macToString(h.dst)}, `;
  if (h.vlan) {
    return (
      `${head}ethertype 802.1Q (0x8100), length ${frameLength}: vlan ${h.vlan.vid}, p ${h.vlan.pcp}, ` +
      `ethertype ${etherTypeName(h.etherType)} (${hex(h.etherType)}), `
    );
  }
  return `${head}ethertype ${etherTypeName(h.etherType)} (${hex(h.etherType)}), length ${frameLength}: `;
}
