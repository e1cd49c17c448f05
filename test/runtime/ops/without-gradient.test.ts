import * as tf from '@tensorflow/tfjs-core';
import { afterAll, describe, expect, it } from 'vitest';
import { stopGradient } from '../../../src/runtime/ops/stop-gradient.js';
import { withoutGradient } from '../../../src/runtime/ops/without-gradient.js';
import { BACKENDS, useBackend } from './op-test-helpers.js';

afterAll(async () => {
  await useBackend('cpu');
});

/** A selection built from kernels tfjs has no gradient for: TopK, Any, LogicalAnd, NotEqual. */
const select = (a: tf.Tensor, b: tf.Tensor) =>
  tf.cast(tf.logicalAnd(tf.notEqual(tf.topk(a, 4).values, 0.5), tf.any(tf.greater(tf.reshape(b, [4, 1]), 0), 1)), 'float32');

for (const backend of BACKENDS) {
  describe(`withoutGradient on the ${backend} backend`, () => {
    it('should compute the same values as the function itself', async () => {
      await useBackend(backend);
      const a = tf.tensor1d([1, -2, 3, 0.5]);
      const b = tf.tensor1d([1, -1, 2, -3]);
      expect(Array.from(withoutGradient([a, b], select).dataSync())).toEqual(Array.from(select(a, b).dataSync()));
      tf.dispose([a, b]);
    });

    it('should give zero gradients where stopGradient alone makes backpropagation fail', async () => {
      await useBackend(backend);
      const v = tf.variable(tf.tensor1d([1, -2, 3, 0.5]));
      const loss = (mask: (x: tf.Tensor) => tf.Tensor) => () => tf.sum(tf.mul(mask(tf.mul(v, 2)), v)) as tf.Scalar;
      expect(() => tf.variableGrads(loss((x) => select(stopGradient(x), stopGradient(x))), [v])).toThrow(/gradient function not found/);
      const before = tf.memory().numTensors;
      const { value, grads } = tf.variableGrads(loss((x) => withoutGradient([x, x], select)), [v]);
      // x = 2v = (2, −4, 6, 1): mask = (sorted 6, 2, 1, −4 ≠ 0.5) ∧ (x > 0) = (1, 0, 1, 1), and d/dv Σ mask · v = mask.
      expect(Array.from(grads[v.name].dataSync())).toEqual([1, 0, 1, 1]);
      expect(value.dataSync()[0]).toBe(4.5);
      value.dispose();
      tf.dispose(grads);
      expect(tf.memory().numTensors).toBe(before);
      v.dispose();
    });

    it('should leave what a consumer computes from the result off the tape too (a threshold on a mask)', async () => {
      await useBackend(backend);
      const v = tf.variable(tf.tensor1d([1, -2, 3, 0.5]));
      const { value, grads } = tf.variableGrads(() => {
        const mask = withoutGradient([tf.mul(v, 2)], (x) => tf.cast(tf.greater(x, 1.5), 'float32'));
        return tf.sum(tf.mul(tf.cast(tf.greater(mask, 0), 'float32'), v)) as tf.Scalar;
      }, [v]);
      expect(Array.from(grads[v.name].dataSync())).toEqual([1, 0, 1, 0]);
      value.dispose();
      tf.dispose(grads);
      v.dispose();
    });
  });
}
