/**
 * Seeded pseudo-random numbers: xoshiro128** 1.1 (Blackman & Vigna), seeded through splitmix32.
 *
 * Every component draws from its own stream, derived from the simulation seed and the component's
 * name (`rng.stream("tcp-isn")`), so adding a component or a draw in one place never shifts the
 * numbers another component sees. This replaces the kernel's get_random_u32 / prandom for ISNs,
 * IP IDs, ephemeral and NAT ports, random MACs and timer jitter; values differ from Linux's (they are
 * random there too), the distributions do not.
 */

/** splitmix32 step: a good 32-bit mixer, used to expand seeds. */
function mix32(x: number): number {
  x = (x + 0x9e3779b9) | 0;
  x = Math.imul(x ^ (x >>> 16), 0x85ebca6b);
  x = Math.imul(x ^ (x >>> 13), 0xc2b2ae35);
  return (x ^ (x >>> 16)) >>> 0;
}

/** FNV-1a over the UTF-16 code units of a name. */
function hashName(name: string): number {
  let h = 0x811c9dc5;
  for (let i = 0; i < name.length; i++) h = Math.imul(h ^ name.charCodeAt(i), 0x01000193);
  return h >>> 0;
}

export class Rng {
  private s0: number;
  private s1: number;
  private s2: number;
  private s3: number;

  /** `seed` is any integer (taken modulo 2^32); `salt` separates streams of one seed. */
  constructor(
    readonly seed: number,
    private readonly salt = 0,
  ) {
    let x = mix32((seed >>> 0) ^ mix32(salt >>> 0));
    this.s0 = x = mix32(x);
    this.s1 = x = mix32(x);
    this.s2 = x = mix32(x);
    this.s3 = mix32(x);
    if ((this.s0 | this.s1 | this.s2 | this.s3) === 0) this.s0 = 1;
  }

  /** A generator at a given raw state (for checking against the reference test vectors). */
  static fromState(s0: number, s1: number, s2: number, s3: number): Rng {
    const r = new Rng(0);
    r.s0 = s0 | 0;
    r.s1 = s1 | 0;
    r.s2 = s2 | 0;
    r.s3 = s3 | 0;
    return r;
  }

  /** An independent stream for a named component: same seed and name, same numbers. */
  stream(name: string): Rng {
    return new Rng(this.seed, mix32(this.salt ^ hashName(name)));
  }

  /** Uniform unsigned 32-bit integer. */
  nextU32(): number {
    const result = Math.imul(rotl(Math.imul(this.s1, 5), 7), 9) >>> 0;
    const t = this.s1 << 9;
    this.s2 ^= this.s0;
    this.s3 ^= this.s1;
    this.s1 ^= this.s2;
    this.s0 ^= this.s3;
    this.s2 ^= t;
    this.s3 = rotl(this.s3, 11);
    return result;
  }

  /** Uniform float in [0, 1) with 53 random bits. */
  nextFloat(): number {
    const hi = this.nextU32() >>> 5;
    const lo = this.nextU32() >>> 6;
    return (hi * 67108864 + lo) / 9007199254740992;
  }

  /** Uniform integer in [min, max], both inclusive, without modulo bias. Range at most 2^32. */
  int(min: number, max: number): number {
    const span = max - min + 1;
    if (!Number.isInteger(min) || !Number.isInteger(max) || span < 1 || span > 0x100000000) {
      throw new RangeError(`bad range [${min}, ${max}]`);
    }
    if (span === 0x100000000) return min + this.nextU32();
    // Reject the top partial bucket so every value is equally likely.
    const limit = 0x100000000 - (0x100000000 % span);
    let r = this.nextU32();
    while (r >= limit) r = this.nextU32();
    return min + (r % span);
  }
}

function rotl(x: number, k: number): number {
  return (x << k) | (x >>> (32 - k));
}
