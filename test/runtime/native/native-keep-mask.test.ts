import { afterEach, describe, expect, it } from 'vitest';
import { loadNativeAddon } from '../../../src/runtime/native/native-addon.js';
import { dropoutMask } from '../../../src/runtime/ops/dropout.js';
import { SeededRandom, useNativeKeepMask } from '../../../src/runtime/seeded-random.js';

const addon = loadNativeAddon();
const requireNative = process.env.MICFLOW_REQUIRE_NATIVE === '1';

/** The mask written out from raw draws, one at a time: an independent statement of what fillKeepMask means. */
function maskFromDraws(random: SeededRandom, size: number, threshold: number, keepValue: number): Float32Array {
  const out = new Float32Array(size);
  for (let i = 0; i < size; i++) out[i] = random.nextUint32() < threshold ? 0 : keepValue;
  return out;
}

describe('dropout keep masks', () => {
  afterEach(() => useNativeKeepMask(undefined));

  describe('having the JavaScript generator only', () => {
    it('when filling a mask across several draw chunks should equal the mask made from single draws, and leave the same state', () => {
      useNativeKeepMask(undefined);
      const [a, b] = [new SeededRandom(11), new SeededRandom(11)];
      const threshold = 0.3 * 2 ** 32;
      const filled = a.fillKeepMask(new Float32Array(140_001), threshold, 1 / 0.7);
      expect(filled).toEqual(maskFromDraws(b, 140_001, threshold, 1 / 0.7));
      expect(a.nextUint32()).toBe(b.nextUint32());
      // About 30 % dropped: the threshold is a probability times 2^32.
      const dropped = filled.filter((v) => v === 0).length / filled.length;
      expect(Math.abs(dropped - 0.3)).toBeLessThan(0.01);
    });
  });

  describe.skipIf(!addon.loaded && !requireNative)('having the native addon', () => {
    for (const [size, p] of [[0, 0.5], [1, 0.5], [7, 0.05], [70_000, 0.3], [1_048_576, 0.1]] as const) {
      it(`when the addon fills a mask of ${size} with p ${p} should give the JavaScript mask and the same next draws`, () => {
        if (!addon.loaded) throw new Error(addon.reason);
        const [a, b] = [new SeededRandom(5), new SeededRandom(5)];
        a.uniform();
        b.uniform();
        useNativeKeepMask((state, out, threshold, keepValue) => addon.addon.keepMask(state, out, threshold, keepValue));
        const native = dropoutMask(size, p, a);
        useNativeKeepMask(undefined);
        const script = dropoutMask(size, p, b);
        expect(native).toEqual(script);
        expect([a.nextUint32(), a.uniform(), a.normal()]).toEqual([b.nextUint32(), b.uniform(), b.normal()]);
      });
    }

    it('when given a state that is not four words should refuse in one line', () => {
      if (!addon.loaded) throw new Error(addon.reason);
      expect(() => addon.addon.keepMask(new Uint32Array(3), new Float32Array(2), 1, 1)).toThrow(/4 words/);
    });
  });
});
