/**
 * The one seeded PRNG: xoshiro128** seeded through splitmix32. Every random draw of a run
 * (initial weights, epoch permutations, train/test splits) comes from an instance of this, so a
 * seed fully determines a run. The state is four uint32 words and can be saved and restored
 * (checkpoints), and `Rng.derive(seed, stream)` gives an independent generator for a named purpose so that
 * adding draws to one purpose does not shift another.
 */

function splitmix32(seed: number): () => number {
  let s = seed >>> 0;
  return () => {
    s = (s + 0x9e3779b9) >>> 0;
    let z = s;
    z = Math.imul(z ^ (z >>> 16), 0x85ebca6b) >>> 0;
    z = Math.imul(z ^ (z >>> 13), 0xc2b2ae35) >>> 0;
    return (z ^ (z >>> 16)) >>> 0;
  };
}

function rotl(x: number, k: number): number {
  return ((x << k) | (x >>> (32 - k))) >>> 0;
}

export class Rng {
  private readonly s = new Uint32Array(4);

  /**
   * @param seed any integer; only its low 32 bits are used
   * @throws TypeError if seed is not a finite integer
   */
  constructor(seed: number) {
    if (!Number.isInteger(seed)) throw new TypeError(`seed must be an integer, got ${seed}`);
    const next = splitmix32(seed);
    for (let i = 0; i < 4; i++) this.s[i] = next();
    if ((this.s[0] | this.s[1] | this.s[2] | this.s[3]) === 0) this.s[0] = 1;
  }

  /** A new generator seeded from this one's seed material and a stream number. */
  static derive(seed: number, stream: number): Rng {
    const mix = splitmix32((seed ^ Math.imul(stream + 1, 0x27d4eb2d)) >>> 0);
    return new Rng(mix());
  }

  /** The next uniformly distributed uint32. */
  nextUint32(): number {
    const s = this.s;
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

  /** A double uniformly distributed in [0, 1) with 53 random bits. */
  nextFloat(): number {
    const hi = this.nextUint32() >>> 5; // 27 bits
    const lo = this.nextUint32() >>> 6; // 26 bits
    return (hi * 67108864 + lo) / 9007199254740992;
  }

  /** A double uniformly distributed in [low, high). */
  uniform(low: number, high: number): number {
    return low + (high - low) * this.nextFloat();
  }

  /** An integer uniformly distributed in [0, n), without modulo bias. @throws RangeError if n < 1 */
  nextInt(n: number): number {
    if (!(n >= 1 && n <= 0x100000000)) throw new RangeError(`n must be in [1, 2^32], got ${n}`);
    const limit = 0x100000000 - (0x100000000 % n);
    for (;;) {
      const x = this.nextUint32();
      if (x < limit) return x % n;
    }
  }

  /** A random permutation of 0 … n−1 (Fisher–Yates, drawn from this generator). */
  permutation(n: number): Uint32Array {
    const p = new Uint32Array(n);
    for (let i = 0; i < n; i++) p[i] = i;
    for (let i = n - 1; i > 0; i--) {
      const j = this.nextInt(i + 1);
      const tmp = p[i];
      p[i] = p[j];
      p[j] = tmp;
    }
    return p;
  }

  /** The four state words, to save in a checkpoint. */
  getState(): [number, number, number, number] {
    return [this.s[0], this.s[1], this.s[2], this.s[3]];
  }

  /** Restores a state returned by {@link getState}. @throws RangeError if the state is all zero or malformed */
  setState(state: readonly number[]): void {
    if (state.length !== 4 || state.some((w) => !Number.isInteger(w) || w < 0 || w > 0xffffffff)) {
      throw new RangeError('state must be four uint32 words');
    }
    if (state.every((w) => w === 0)) throw new RangeError('state must not be all zero');
    for (let i = 0; i < 4; i++) this.s[i] = state[i];
  }
}
