/**
 * The VXLAN header (RFC 7348) as drivers/net/vxlan builds it: flags 0x08 (VNI valid), 24 reserved
 * bits, the 24-bit VNI, 8 reserved bits; it follows a UDP header (destination port 4789 for
 * Docker's overlay) and carries an Ethernet frame. The reserved bits are kept so any header
 * round-trips; nothing else (GBP, GPE extensions) is modelled.
 *
 * Text: tcpdump 4.99 -n (print-vxlan.c): `VXLAN, flags [I] (0x08), vni 42`; the inner frame is
 * printed on the next line by the frame module.
 */

import { put32, u32 } from "../util/bytes.js";
import { ParseError } from "../util/errors.js";

export const VXLAN_HEADER_LEN = 8;
/** IANA port, used by Docker's overlay (the kernel's legacy default is 8472). */
export const VXLAN_PORT = 4789;
/** The I flag: the VNI is valid. */
export const VXLAN_FLAG_VNI = 0x08;
/** Outer Ethernet + IPv4 + UDP + VXLAN bytes added in front of the inner frame. */
export const VXLAN_OVERHEAD = 50;

export interface VxlanHeader {
  /** First byte: 0x08 when the VNI is valid. */
  flags: number;
  vni: number;
  /** The 24 bits after the flags byte; zero on the wire. */
  reserved1: number;
  /** The last byte; zero on the wire. */
  reserved2: number;
}

const EMPTY = new Uint8Array(0);

/** Zero-copy view. `wrap` checks the length once; after it no accessor throws. */
export class VxlanView {
  buf: Uint8Array = EMPTY;
  off = 0;

  wrap(buf: Uint8Array, off = 0, end = buf.length): this {
    if (end - off < VXLAN_HEADER_LEN) {
      throw new ParseError("vxlan", "truncated", off, `${end - off} bytes, header needs ${VXLAN_HEADER_LEN}`);
    }
    this.buf = buf;
    this.off = off;
    return this;
  }
  get flags(): number {
    return this.buf[this.off] as number;
  }
  set flags(v: number) {
    this.buf[this.off] = v;
  }
  /** The 24-bit VXLAN network identifier. */
  get vni(): number {
    return u32(this.buf, this.off + 4) >>> 8;
  }
  set vni(v: number) {
    put32(this.buf, this.off + 4, ((v & 0xffffff) << 8) | (this.buf[this.off + 7] as number));
  }
  /** Where the inner Ethernet frame starts. */
  get payloadOffset(): number {
    return this.off + VXLAN_HEADER_LEN;
  }
}

export function vxlanHeaderLength(_h: VxlanHeader): number {
  return VXLAN_HEADER_LEN;
}

export function parseVxlan(buf: Uint8Array, off = 0, end = buf.length): VxlanHeader {
  new VxlanView().wrap(buf, off, end);
  const w0 = u32(buf, off);
  const w1 = u32(buf, off + 4);
  return { flags: w0 >>> 24, vni: w1 >>> 8, reserved1: w0 & 0xffffff, reserved2: w1 & 0xff };
}

/** Writes the 8-byte header at `off`; returns 8. */
export function emitVxlan(h: VxlanHeader, buf: Uint8Array, off = 0): number {
  put32(buf, off, ((h.flags & 0xff) << 24) | (h.reserved1 & 0xffffff));
  put32(buf, off + 4, ((h.vni & 0xffffff) << 8) | (h.reserved2 & 0xff));
  return VXLAN_HEADER_LEN;
}

/** tcpdump -n text after `IP A.p > B.q: `: `VXLAN, flags [I] (0x08), vni 42`. */
export function summarizeVxlan(h: VxlanHeader): string {
  const i = h.flags & VXLAN_FLAG_VNI ? "I" : ".";
  return `VXLAN, flags [${i}] (0x${h.flags.toString(16).padStart(2, "0")}), vni ${h.vni}`;
}
