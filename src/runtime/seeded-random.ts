/**
 * Deterministic pseudo-random numbers for everything in micflow that is random: weight initialisation, augmentation,
 * dropout masks, shuffling, noise. One generator is created from the run seed; every consumer derives its own
 * stream with {@link SeededRandom.derive} from a label (node name, iteration, sample index), so results do not depend
 * on the order in which concurrent consumers happen to draw numbers.
 *
 * Generator: xoshiro128** (Blackman & Vigna, "Scrambled linear pseudorandom number generators", ACM TOMS 2021),
 * seeded through splitmix32 so that nearby seeds give unrelated streams.
 */
export class SeededRandom {
  private readonly state: Uint32Array;
  private spareNormal: number | undefined;

  constructor(readonly seed: number) {
    if (!Number.isFinite(seed)) throw new RangeError(`seed must be a finite number, got ${seed}`);
    this.state = new Uint32Array(4);
    let s = seed >>> 0 ^ Math.floor(seed / 2 ** 32) >>> 0;
    for (let i = 0; i < 4; i++) {
      s = (s + 0x9e3779b9) >>> 0;
      let z = s;
      z = Math.imul(z ^ (z >>> 16), 0x85ebca6b) >>> 0;
      z = Math.imul(z ^ (z >>> 13), 0xc2b2ae35) >>> 0;
      this.state[i] = (z ^ (z >>> 16)) >>> 0;
    }
    if (this.state.every((v) => v === 0)) this.state[0] = 1;
  }

  /** Where this generator is in its stream: enough to continue it exactly (a checkpoint holds it). */
  position(): RandomPosition {
    return { seed: this.seed, state: Array.from(this.state), spareNormal: this.spareNormal ?? null };
  }

  /** Continues from a position taken by {@link position} of a generator with the same seed. */
  moveTo(position: RandomPosition): void {
    if (position.seed !== this.seed || position.state.length !== 4) {
      throw new RangeError(`a random position of seed ${position.seed} cannot continue a generator of seed ${this.seed}`);
    }
    this.state.set(position.state);
    this.spareNormal = position.spareNormal ?? undefined;
  }

  /** A new independent generator whose stream depends only on this generator's seed and the labels. */
  derive(...labels: Array<string | number>): SeededRandom {
    let h = hashString(String(this.seed));
    for (const label of labels) h = hashString(`${h}/${label}`);
    return new SeededRandom(h);
  }

  /** Next raw 32-bit unsigned integer. */
  nextUint32(): number {
    const s = this.state;
    const result = Math.imul(rotl(Math.imul(s[1], 5) >>> 0, 7), 9) >>> 0;
    const t = (s[1] << 9) >>> 0;
    s[2] ^= s[0];
    s[3] ^= s[1];
    s[1] ^= s[2];
    s[0] ^= s[3];
    s[2] ^= t;
    s[3] = rotl(s[3], 11);
    return result;
  }

  /**
   * Fills `out` with the next `out.length` raw 32-bit draws: the same numbers, in the same order, as that many
   * {@link nextUint32} calls, but with the xoshiro128** state in local variables (about ten times faster for the
   * millions of draws of a dropout mask). Returns `out`.
   */
  fillUint32(out: Uint32Array): Uint32Array {
    const s = this.state;
    let s0 = s[0] | 0;
    let s1 = s[1] | 0;
    let s2 = s[2] | 0;
    let s3 = s[3] | 0;
    for (let i = 0; i < out.length; i++) {
      const m = Math.imul(s1, 5);
      out[i] = Math.imul((m << 7) | (m >>> 25), 9);
      const t = s1 << 9;
      s2 ^= s0;
      s3 ^= s1;
      s1 ^= s2;
      s0 ^= s3;
      s2 ^= t;
      s3 = (s3 << 11) | (s3 >>> 21);
    }
    s[0] = s0;
    s[1] = s1;
    s[2] = s2;
    s[3] = s3;
    return out;
  }

  /**
   * Fills `out` with a scaled dropout keep mask from the next `out.length` draws: `out[i]` is 0 where the draw is below
   * `threshold` (a probability p as p · 2³², so a uniform below p) and `keepValue` elsewhere. The draws and their
   * order are {@link fillUint32}'s, so the mask and the generator's next state are the same whether the native addon
   * computes it (see {@link useNativeKeepMask}; a mask of millions of elements costs ~50 ms in JavaScript) or not.
   */
  fillKeepMask(out: Float32Array, threshold: number, keepValue: number): Float32Array {
    if (nativeKeepMask) {
      nativeKeepMask(this.state, out, threshold, keepValue);
      return out;
    }
    const draws = new Uint32Array(Math.min(out.length, 1 << 16));
    for (let start = 0; start < out.length; start += draws.length) {
      const chunk = Math.min(draws.length, out.length - start);
      this.fillUint32(chunk === draws.length ? draws : draws.subarray(0, chunk));
      for (let i = 0; i < chunk; i++) out[start + i] = draws[i] < threshold ? 0 : keepValue;
    }
    return out;
  }

  /**
   * Lets native code draw from this stream in place: `draw` gets the four xoshiro128** state words and must leave
   * them where that many {@link nextUint32} calls would (the addon's dropoutForward does: the same draws as
   * {@link fillKeepMask}). Returns what `draw` returns.
   */
  drawInPlace<T>(draw: (state: Uint32Array) => T): T {
    return draw(this.state);
  }

  /** Uniform in [0, 1) with 32 bits of resolution. */
  uniform(): number {
    return this.nextUint32() / 4294967296;
  }

  /** Uniform in [low, high). */
  uniformIn(low: number, high: number): number {
    return low + (high - low) * this.uniform();
  }

  /** Integer uniform in [0, n). */
  integer(n: number): number {
    return Math.floor(this.uniform() * n);
  }

  /** Standard normal by the Box–Muller transform. */
  normal(): number {
    if (this.spareNormal !== undefined) {
      const v = this.spareNormal;
      this.spareNormal = undefined;
      return v;
    }
    let u = 0;
    while (u === 0) u = this.uniform();
    const v = this.uniform();
    const r = Math.sqrt(-2 * Math.log(u));
    this.spareNormal = r * Math.sin(2 * Math.PI * v);
    return r * Math.cos(2 * Math.PI * v);
  }

  /** Fills a new Float32Array with normal(mean, std) draws. */
  normalArray(length: number, mean = 0, std = 1): Float32Array {
    const out = new Float32Array(length);
    for (let i = 0; i < length; i++) out[i] = mean + std * this.normal();
    return out;
  }

  /** Fills a new Float32Array with uniform [low, high) draws. */
  uniformArray(length: number, low = 0, high = 1): Float32Array {
    const out = new Float32Array(length);
    for (let i = 0; i < length; i++) out[i] = low + (high - low) * this.uniform();
    return out;
  }

  /** A shuffled copy (Fisher–Yates). */
  shuffle<T>(items: readonly T[]): T[] {
    const out = items.slice();
    for (let i = out.length - 1; i > 0; i--) {
      const j = this.integer(i + 1);
      [out[i], out[j]] = [out[j], out[i]];
    }
    return out;
  }
}

/**
 * A native computation of {@link SeededRandom.fillKeepMask}: the same xoshiro128** draws from `state` (four words,
 * advanced in place), thresholded into `out`.
 */
export type NativeKeepMask = (state: Uint32Array, out: Float32Array, threshold: number, keepValue: number) => void;

let nativeKeepMask: NativeKeepMask | undefined;

/**
 * Makes {@link SeededRandom.fillKeepMask} run in native code (the oneDNN addon registers its `keepMask` when the
 * native backend is registered); `undefined` goes back to JavaScript. Masks and streams are the same either way.
 */
export function useNativeKeepMask(implementation: NativeKeepMask | undefined): void {
  nativeKeepMask = implementation;
}

/** A generator's place in its stream, as plain JSON. */
export interface RandomPosition {
  readonly seed: number;
  /** The four xoshiro128** state words. */
  readonly state: readonly number[];
  /** A normal draw held back by Box–Muller, or null. */
  readonly spareNormal: number | null;
}

function rotl(x: number, k: number): number {
  return ((x << k) | (x >>> (32 - k))) >>> 0;
}

/** 32-bit FNV-1a followed by a murmur3 finaliser. */
export function hashString(text: string): number {
  let h = 0x811c9dc5;
  for (let i = 0; i < text.length; i++) {
    h ^= text.charCodeAt(i);
    h = Math.imul(h, 0x01000193) >>> 0;
  }
  h ^= h >>> 16;
  h = Math.imul(h, 0x85ebca6b) >>> 0;
  h ^= h >>> 13;
  h = Math.imul(h, 0xc2b2ae35) >>> 0;
  h ^= h >>> 16;
  return h >>> 0;
}
