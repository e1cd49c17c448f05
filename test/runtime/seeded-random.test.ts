import { describe, expect, it } from 'vitest';
import { hashString, SeededRandom } from '../../src/runtime/seeded-random.js';

describe('SeededRandom', () => {
  describe('having the same seed', () => {
    it('should produce the same stream, and a different seed a different one', () => {
      const a = new SeededRandom(42);
      const b = new SeededRandom(42);
      const c = new SeededRandom(43);
      const draws = (r: SeededRandom) => Array.from({ length: 8 }, () => r.nextUint32());
      const da = draws(a);
      expect(draws(b)).toEqual(da);
      expect(draws(c)).not.toEqual(da);
    });
  });

  describe('when filling an array with raw draws', () => {
    it('should give the same numbers as repeated nextUint32 and leave the stream where they would', () => {
      for (const seed of [0, 1, 42, 2 ** 31 + 5]) {
        const one = new SeededRandom(seed);
        const bulk = new SeededRandom(seed);
        const expected = Array.from({ length: 1000 }, () => one.nextUint32());
        const filled = bulk.fillUint32(new Uint32Array(1000));
        expect(Array.from(filled)).toEqual(expected);
        expect(Array.from(bulk.fillUint32(new Uint32Array(3)))).toEqual([one.nextUint32(), one.nextUint32(), one.nextUint32()]);
        expect(bulk.nextUint32()).toBe(one.nextUint32());
      }
    });
  });

  describe('when deriving by labels', () => {
    it('should depend on the labels and not on what the parent drew before', () => {
      const parent = new SeededRandom(1);
      const first = parent.derive('node', 'a').uniform();
      parent.uniform();
      expect(parent.derive('node', 'a').uniform()).toBe(first);
      expect(parent.derive('node', 'b').uniform()).not.toBe(first);
    });
  });

  describe('when drawing many uniforms and normals', () => {
    it('should have the moments of U(0,1) and N(0,1)', () => {
      const r = new SeededRandom(3);
      const n = 200_000;
      const u = Array.from({ length: n }, () => r.uniform());
      const z = Array.from({ length: n }, () => r.normal());
      const mean = (x: number[]) => x.reduce((a, b) => a + b, 0) / x.length;
      const variance = (x: number[]) => {
        const m = mean(x);
        return mean(x.map((v) => (v - m) ** 2));
      };
      expect(u.reduce((a, b) => Math.min(a, b))).toBeGreaterThanOrEqual(0);
      expect(u.reduce((a, b) => Math.max(a, b))).toBeLessThan(1);
      expect(mean(u)).toBeCloseTo(0.5, 2);
      expect(variance(u)).toBeCloseTo(1 / 12, 2);
      expect(mean(z)).toBeCloseTo(0, 2);
      expect(variance(z)).toBeCloseTo(1, 1);
    });
  });

  describe('when shuffling', () => {
    it('should return a permutation', () => {
      const items = Array.from({ length: 50 }, (_, i) => i);
      const shuffled = new SeededRandom(9).shuffle(items);
      expect([...shuffled].sort((a, b) => a - b)).toEqual(items);
      expect(shuffled).not.toEqual(items);
    });
  });

  describe('hashString', () => {
    it('should match FNV-1a with the murmur3 finaliser on a known input', () => {
      // FNV-1a("a") = 0xe40c292c; finalised by hand with the murmur3 fmix32 constants.
      let h = 0xe40c292c;
      h ^= h >>> 16;
      h = Math.imul(h, 0x85ebca6b) >>> 0;
      h ^= h >>> 13;
      h = Math.imul(h, 0xc2b2ae35) >>> 0;
      h ^= h >>> 16;
      expect(hashString('a')).toBe(h >>> 0);
    });
  });
  describe('when a generator continues from a saved position', () => {
    it('should draw exactly what the original draws next, the held-back normal included', () => {
      const original = new SeededRandom(11);
      original.uniform();
      original.normal(); // leaves a spare normal
      const saved = JSON.parse(JSON.stringify(original.position()));
      const continued = new SeededRandom(11);
      continued.moveTo(saved);
      const next = (r: SeededRandom) => [r.normal(), r.uniform(), r.nextUint32(), r.normal()];
      expect(next(continued)).toEqual(next(original));
    });

    it('should refuse a position of another seed', () => {
      expect(() => new SeededRandom(2).moveTo(new SeededRandom(3).position())).toThrow(/seed 3 cannot continue a generator of seed 2/);
    });
  });
});
