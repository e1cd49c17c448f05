import * as tf from '@tensorflow/tfjs-core';
import { beforeAll, describe, expect, it } from 'vitest';
import { slidingMax3, slidingMin3 } from '../../../src/runtime/ops/sliding-max-3.js';
import { BACKENDS, expectClose, index, input, pseudoRandom, referenceGradient, size, tfValueAndGradients, useBackend } from './op-test-helpers.js';

/** Max over the 3^k window (clipped at the border, i.e. -infinity padding) of every voxel, by direct search. */
function referenceMax(shape: number[]) {
  const spatial = shape.slice(1, -1);
  return ([x]: Float64Array[]): Float64Array => {
    const y = new Float64Array(size(shape));
    const offsets: number[][] = [[]];
    for (let a = 0; a < spatial.length; a++) {
      const next: number[][] = [];
      for (const o of offsets) for (const d of [-1, 0, 1]) next.push([...o, d]);
      offsets.splice(0, offsets.length, ...next);
    }
    const positions: number[][] = [[]];
    for (const len of spatial) {
      const next: number[][] = [];
      for (const p of positions) for (let i = 0; i < len; i++) next.push([...p, i]);
      positions.splice(0, positions.length, ...next);
    }
    for (let n = 0; n < shape[0]; n++)
      for (const p of positions)
        for (let c = 0; c < shape[shape.length - 1]; c++) {
          let best = -Infinity;
          for (const o of offsets) {
            const q = p.map((v, a) => v + o[a]);
            if (q.some((v, a) => v < 0 || v >= spatial[a])) continue;
            best = Math.max(best, x[index(shape, n, ...q, c)]);
          }
          y[index(shape, n, ...p, c)] = best;
        }
    return y;
  };
}

const cases = [
  { name: 'a 2x4x5x2 image (2D: 3x3 windows, never across the batch)', shape: [2, 4, 5, 2] },
  { name: 'a 1x3x4x3x2 volume (3D: 3x3x3 windows)', shape: [1, 3, 4, 3, 2] },
];

describe('slidingMax3', () => {
  describe.each(BACKENDS)('having the %s backend', (backend) => {
    beforeAll(() => useBackend(backend));

    describe.each(cases)('having $name', ({ shape }) => {
      const x = input(shape, 61);
      const projection = pseudoRandom(size(shape), 67);
      it('should match the direct window search in value and gradient', () => {
        const { y, grads } = tfValueAndGradients((t) => slidingMax3(t), [x], projection);
        expectClose(y, referenceMax(shape)([Float64Array.from(x.values)]), 1e-6);
        expectClose(grads[0], referenceGradient(referenceMax(shape), [x], projection, 0), 1e-4);
      });
      it('when taking the minimum, should equal minus the maximum of minus the input', () => {
        const { y } = tfValueAndGradients((t) => slidingMin3(t), [x], projection);
        const negated = referenceMax(shape)([Float64Array.from(x.values, (v) => -v)]);
        expectClose(y, Array.from(negated, (v) => -v), 1e-6);
      });
      it('should leave no tensors behind', () => {
        const t = tf.tensor(x.values, shape);
        const before = tf.memory().numTensors;
        slidingMax3(t).dispose();
        expect(tf.memory().numTensors).toBe(before);
        t.dispose();
      });
    });
  });
});
