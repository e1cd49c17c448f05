import * as tf from '@tensorflow/tfjs-core';
import { afterAll, describe, expect, it } from 'vitest';
import { pixelNeighbourhood } from '../../../src/runtime/ops/pixel-neighbourhood.js';
import { weightedNeighbourDisagreement } from '../../../src/runtime/ops/weighted-neighbour-disagreement.js';
import { BACKENDS, pseudoRandom, useBackend } from './op-test-helpers.js';

afterAll(async () => {
  await useBackend('cpu');
});

/** Direct loops over the (dy, dx) offsets in their documented order and the pixels. */
function disagreementByLoops(p: Float32Array, weights: Float32Array, [n, h, w, c]: number[], r: number): number {
  let total = 0;
  for (let b = 0; b < n; b++)
    for (let dy = -r, s = 0; dy <= r; dy++)
      for (let dx = -r; dx <= r; dx++) {
        if (!dy && !dx) continue;
        for (let y = 0; y < h; y++)
          for (let x = 0; x < w; x++) {
            // weights are [N, S, H·W], offsets in (dy, dx) order
            const weight = weights[((b * ((2 * r + 1) ** 2 - 1) + s) * h + y) * w + x];
            const yy = y + dy;
            const xx = x + dx;
            if (yy < 0 || yy >= h || xx < 0 || xx >= w) continue;
            let agreement = 0;
            for (let ch = 0; ch < c; ch++) agreement += p[((b * h + y) * w + x) * c + ch] * p[((b * h + yy) * w + xx) * c + ch];
            total += weight * (1 - agreement);
          }
        s++;
      }
  return total;
}

for (const backend of BACKENDS) {
  describe(`weightedNeighbourDisagreement on the ${backend} backend`, () => {
    for (const [shape, r] of [[[2, 3, 4, 2], 1], [[1, 2, 3, 3], 2], [[2, 5, 4, 1], 3]] as Array<[number[], number]>) {
      const [n, h, w, c] = shape;
      const s = (2 * r + 1) ** 2 - 1;
      describe(`having a ${n}×${h}×${w}×${c} input, radius ${r} and asymmetric pair weights`, () => {
        const values = pseudoRandom(n * h * w * c, 11 + r, 0, 1);
        const weights = pseudoRandom(n * h * w * s, 17 + r, 0, 2);

        it('should equal the sum computed by direct loops and leave no tensors behind', async () => {
          await useBackend(backend);
          const p = tf.tensor4d(values, shape as [number, number, number, number]);
          const before = tf.memory().numTensors;
          const value = weightedNeighbourDisagreement(p, weights, pixelNeighbourhood(h, w, r));
          expect(value.dataSync()[0]).toBeCloseTo(disagreementByLoops(values, weights, shape, r), 3);
          value.dispose();
          expect(tf.memory().numTensors).toBe(before);
          p.dispose();
        });

        it('when differentiated, should match central finite differences of the loops', async () => {
          await useBackend(backend);
          const p = tf.variable(tf.tensor4d(values, shape as [number, number, number, number]));
          const { grads, value } = tf.variableGrads(() => weightedNeighbourDisagreement(p, weights, pixelNeighbourhood(h, w, r)), [p]);
          const analytic = grads[p.name].dataSync();
          const eps = 1e-3;
          for (let k = 0; k < values.length; k++) {
            const plus = Float64Array.from(values) as unknown as Float32Array;
            const minus = Float64Array.from(values) as unknown as Float32Array;
            plus[k] += eps;
            minus[k] -= eps;
            const numeric = (disagreementByLoops(plus, weights, shape, r) - disagreementByLoops(minus, weights, shape, r)) / (2 * eps);
            expect(analytic[k]).toBeCloseTo(numeric, 3);
          }
          tf.dispose([value, ...Object.values(grads), p]);
        });
      });
    }

    describe('when the weights do not have N·H·W·S entries', () => {
      it('should throw naming both counts', async () => {
        await useBackend(backend);
        const p = tf.zeros([1, 2, 3, 2]) as tf.Tensor4D;
        expect(() => weightedNeighbourDisagreement(p, new Float32Array(5), pixelNeighbourhood(2, 3, 1))).toThrow(/5 pair weights, expected N·S·H·W = 48/);
        p.dispose();
      });
    });
  });
}
