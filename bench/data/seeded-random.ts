/**
 * A small seeded PRNG (sfc32, seeded through splitmix32) so every run draws the same keys in
 * the same order: a figure can then be compared across runs and across stores knowing that
 * each store saw exactly the same sequence of operations. The demo (examples/fraud-detection)
 * draws its event stream from it too: the same stream in the worker that sends it, the worker
 * that resumes after the crash, and the model that checks the result.
 */

/** Deterministic pseudo-random numbers from a 32-bit seed. */
export class SeededRandom {
  #a: number;
  #b: number;
  #c: number;
  #d: number;

  constructor(seed: number) {
    let state = seed >>> 0;
    const splitmix = (): number => {
      state = (state + 0x9e3779b9) >>> 0;
      let z = state;
      z = Math.imul(z ^ (z >>> 16), 0x85ebca6b);
      z = Math.imul(z ^ (z >>> 13), 0xc2b2ae35);
      return (z ^ (z >>> 16)) >>> 0;
    };
    this.#a = splitmix();
    this.#b = splitmix();
    this.#c = splitmix();
    this.#d = splitmix();
    // Discard the first outputs, as sfc32's authors recommend, to mix the seed in.
    for (let i = 0; i < 12; i++) this.nextUint32();
  }

  /** A generator whose seed mixes `seed` with `label`, so each workload has its own stream. */
  static derive(seed: number, label: string): SeededRandom {
    let hash = seed >>> 0;
    for (let i = 0; i < label.length; i++) hash = Math.imul(hash ^ label.charCodeAt(i), 0x01000193) >>> 0;
    return new SeededRandom(hash);
  }

  /** Uniform in [0, 2^32). */
  nextUint32(): number {
    const t = (((this.#a + this.#b) >>> 0) + this.#d) >>> 0;
    this.#d = (this.#d + 1) >>> 0;
    this.#a = this.#b ^ (this.#b >>> 9);
    this.#b = (this.#c + (this.#c << 3)) >>> 0;
    this.#c = ((this.#c << 21) | (this.#c >>> 11)) >>> 0;
    this.#c = (this.#c + t) >>> 0;
    return t;
  }

  /** Uniform in [0, 1). */
  nextFloat(): number {
    return this.nextUint32() / 0x1_0000_0000;
  }

  /** Uniform integer in [0, bound); `bound` at most 2^32. */
  nextInt(bound: number): number {
    return Math.floor(this.nextFloat() * bound);
  }

  /** Uniform integer in [min, max]. */
  between(min: number, max: number): number {
    return min + this.nextInt(max - min + 1);
  }
}
