import * as tf from '@tensorflow/tfjs-core';
import { beforeAll, describe, expect, it } from 'vitest';
import { nativeBackendCandidate } from '../../../src/runtime/backend-candidates.js';
import { sumOfSquares } from '../../../src/runtime/ops/sum-of-squares.js';
import { BACKENDS, pseudoRandom, useBackend } from './op-test-helpers.js';

const native = await nativeBackendCandidate.load(tf);
if (!native.available && process.env.MICFLOW_REQUIRE_NATIVE === '1') {
  throw new Error(`MICFLOW_REQUIRE_NATIVE=1 but the native backend is unavailable: ${native.reason}`);
}
const BACKENDS_HERE = [...BACKENDS, ...(native.available ? [native.backendName] : [])];

for (const backend of BACKENDS_HERE) {
  describe(`sumOfSquares on the ${backend} backend`, () => {
    beforeAll(() => useBackend(backend));

    it('having tensors [1, -2] and [[3]] when summed should be 14 by hand', () => {
      const parts = [tf.tensor1d([1, -2]), tf.tensor2d([[3]])];
      const result = sumOfSquares(parts);
      expect(result.shape).toEqual([]);
      expect(result.dataSync()[0]).toBe(14);
      tf.dispose([...parts, result]);
    });

    it('having no tensors when summed should be 0', () => {
      const result = sumOfSquares([]);
      expect(result.dataSync()[0]).toBe(0);
      result.dispose();
    });

    it("having a UNet's worth of gradients (one of 300k elements, split over threads) should equal a double-precision sum", () => {
      const sizes = [9 * 8 * 16, 16, 300_001, 3, 65_537];
      const arrays = sizes.map((n, i) => pseudoRandom(n, 40 + i, -0.5, 0.5));
      let expected = 0;
      for (const a of arrays) for (const v of a) expected += v * v;
      const parts = arrays.map((a) => tf.tensor1d(a));
      const before = tf.memory().numTensors;
      const result = sumOfSquares(parts);
      expect(tf.memory().numTensors).toBe(before + 1);
      // native accumulates in double (float blocks of 4096); cpu and wasm sum 300k floats in float (wasm ~6e-5 off).
      const tolerance = backend === 'cpu' || backend === 'wasm' ? 2e-4 : 1e-6;
      expect(Math.abs(result.dataSync()[0] - expected) / expected).toBeLessThan(tolerance);
      tf.dispose([...parts, result]);
    });

    it('having a NaN or an infinity in one gradient should not be finite (the tick refuses the step)', () => {
      for (const bad of [Number.NaN, Number.POSITIVE_INFINITY]) {
        const parts = [tf.tensor1d([1, 2]), tf.tensor1d([0, bad, 3])];
        const result = sumOfSquares(parts);
        expect(Number.isFinite(result.dataSync()[0])).toBe(false);
        tf.dispose([...parts, result]);
      }
    });
  });
}
