/**
 * Big-endian (network order) reads and writes on a Uint8Array, plus hex helpers for tests and text.
 *
 * Models the kernel's get_unaligned_be16/32 and put_unaligned_be16/32. Callers check bounds once
 * (a view's length check) and then use these without further checks: an out-of-range read yields 0
 * rather than throwing, so a missed check can never crash, only mis-read.
 */

export function u8(buf: Uint8Array, off: number): number {
  return (buf[off] as number) | 0;
}

export function u16(buf: Uint8Array, off: number): number {
  return (((buf[off] as number) << 8) | (buf[off + 1] as number)) & 0xffff;
}

export function u32(buf: Uint8Array, off: number): number {
  return (
    (((buf[off] as number) << 24) |
      ((buf[off + 1] as number) << 16) |
      ((buf[off + 2] as number) << 8) |
      (buf[off + 3] as number)) >>>
    0
  );
}

/** 48-bit big-endian value (a MAC address) as a number. */
export function u48(buf: Uint8Array, off: number): number {
  return u16(buf, off) * 0x100000000 + u32(buf, off + 2);
}

export function put8(buf: Uint8Array, off: number, v: number): void {
  buf[off] = v;
}

export function put16(buf: Uint8Array, off: number, v: number): void {
  buf[off] = v >>> 8;
  buf[off + 1] = v;
}

export function put32(buf: Uint8Array, off: number, v: number): void {
  buf[off] = v >>> 24;
  buf[off + 1] = v >>> 16;
  buf[off + 2] = v >>> 8;
  buf[off + 3] = v;
}

export function put48(buf: Uint8Array, off: number, v: number): void {
  put16(buf, off, Math.floor(v / 0x100000000));
  put32(buf, off + 2, v >>> 0);
}

/** "00 1a ff" / "001aff" / "00:1a:ff" → bytes. Whitespace and colons are ignored. */
export function fromHex(hex: string): Uint8Array {
  const clean = hex.replace(/[\s:]/g, "");
  if (clean.length % 2 !== 0 || /[^0-9a-fA-F]/.test(clean)) throw new Error(`bad hex string: ${hex}`);
  const out = new Uint8Array(clean.length / 2);
  for (let i = 0; i < out.length; i++) out[i] = Number.parseInt(clean.slice(i * 2, i * 2 + 2), 16);
  return out;
}

export function toHex(buf: Uint8Array, off = 0, end = buf.length): string {
  let s = "";
  for (let i = off; i < end; i++) s += (buf[i] as number).toString(16).padStart(2, "0");
  return s;
}
