import { describe, expect, it } from 'vitest';
import { DecodedCaseCache } from '../../../src/stages/datasets/decoded-case-cache.js';

const settle = () => new Promise((r) => setTimeout(r, 0));

describe('DecodedCaseCache', () => {
  describe('having a budget of 10 bytes and entries of 4 bytes', () => {
    it('should keep the two most recently used and drop the least recently used', async () => {
      const loads: number[] = [];
      const cache = new DecodedCaseCache<number>(10, () => 4);
      const get = (k: number) => cache.get(k, async () => (loads.push(k), k));
      await get(1);
      await get(2);
      await settle();
      await get(1); // 1 is now the most recent
      await get(3);
      await settle();
      expect(cache.keys).toEqual([1, 3]);
      expect(cache.bytes).toBe(8);
      await get(2);
      expect(loads).toEqual([1, 2, 3, 2]);
    });
  });
  describe('when two reads of one key overlap', () => {
    it('should decode once', async () => {
      let loads = 0;
      const cache = new DecodedCaseCache<number>(100, () => 1);
      const [a, b] = await Promise.all([cache.get(5, async () => ++loads), cache.get(5, async () => ++loads)]);
      expect([a, b, loads]).toEqual([1, 1, 1]);
    });
  });
  describe('when a decode fails or the budget is 0', () => {
    it('should keep nothing', async () => {
      const cache = new DecodedCaseCache<number>(100, () => 1);
      await expect(cache.get(1, () => Promise.reject(new Error('bad')))).rejects.toThrow('bad');
      await settle();
      expect(cache.keys).toEqual([]);
      const none = new DecodedCaseCache<number>(0, () => 1);
      await none.get(1, async () => 1);
      expect(none.keys).toEqual([]);
    });
  });
  describe('having an entry larger than the budget', () => {
    it('should not cache it', async () => {
      const cache = new DecodedCaseCache<number>(3, () => 4);
      await cache.get(1, async () => 1);
      await settle();
      expect(cache.keys).toEqual([]);
      expect(cache.bytes).toBe(0);
    });
  });
});
