import * as tf from '@tensorflow/tfjs-core';
import { beforeAll, describe, expect, it } from 'vitest';
import { resizeLinear } from '../../../src/runtime/ops/resize-linear.js';
import { BACKENDS, expectClose, index, input, pseudoRandom, referenceGradient, size, tfValueAndGradients, useBackend } from './op-test-helpers.js';

/**
 * Trilinear / bilinear resize written per output voxel from PyTorch's align_corners=False rule: output o samples
 * source max(0, (o + 0.5) in / out - 0.5), interpolating its two neighbours (the last one repeating past the edge).
 */
function referenceResize(shape: number[], outSpatial: number[]) {
  const spatial = shape.slice(1, -1);
  const n = shape[0];
  const c = shape[shape.length - 1];
  const outShape = [n, ...outSpatial, c];
  return ([x]: Float64Array[]): Float64Array => {
    const y = new Float64Array(size(outShape));
    const corners = 1 << spatial.length;
    const visit = (ni: number, out: number[], ci: number) => {
      const taps = spatial.map((len, a) => {
        const s = Math.max(0, ((out[a] + 0.5) * len) / outSpatial[a] - 0.5);
        const i0 = Math.min(Math.floor(s), len - 1);
        return { i0, i1: Math.min(i0 + 1, len - 1), f: s - i0 };
      });
      let v = 0;
      for (let corner = 0; corner < corners; corner++) {
        let weight = 1;
        const at = taps.map((t, a) => {
          const high = (corner >> a) & 1;
          weight *= high ? t.f : 1 - t.f;
          return high ? t.i1 : t.i0;
        });
        v += weight * x[index(shape, ni, ...at, ci)];
      }
      y[index(outShape, ni, ...out, ci)] = v;
    };
    const loop = (ni: number, prefix: number[]) => {
      if (prefix.length === outSpatial.length) {
        for (let ci = 0; ci < c; ci++) visit(ni, prefix, ci);
        return;
      }
      for (let o = 0; o < outSpatial[prefix.length]; o++) loop(ni, [...prefix, o]);
    };
    for (let ni = 0; ni < n; ni++) loop(ni, []);
    return y;
  };
}

const cases = [
  { name: 'a 1x2x3x2 image upsampled to 4x6', shape: [1, 2, 3, 2], out: [4, 6] },
  { name: 'a 2x3x5x1 image resized to 7x2 (up and down)', shape: [2, 3, 5, 1], out: [7, 2] },
  { name: 'a 1x2x3x2x2 volume upsampled to 4x5x4 (trilinear)', shape: [1, 2, 3, 2, 2], out: [4, 5, 4] },
];

describe('resizeLinear', () => {
  describe.each(BACKENDS)('having the %s backend', (backend) => {
    beforeAll(() => useBackend(backend));

    it('having [0, 1] along one axis resized to 4, should give PyTorch align_corners=False values [0, 0.25, 0.75, 1]', () => {
      const y = tf.tidy(() => resizeLinear(tf.tensor4d([0, 1], [1, 1, 2, 1]), [1, 4]).dataSync());
      expectClose(y, [0, 0.25, 0.75, 1], 1e-6);
    });

    describe.each(cases)('having $name', ({ shape, out }) => {
      const x = input(shape, 41);
      const projection = pseudoRandom(shape[0] * out.reduce((a, b) => a * b, 1) * shape[shape.length - 1], 43);
      it('should match the per-voxel reference in value and gradient', () => {
        const { y, yShape, grads } = tfValueAndGradients((t) => resizeLinear(t, out), [x], projection);
        expect(yShape).toEqual([shape[0], ...out, shape[shape.length - 1]]);
        expectClose(y, referenceResize(shape, out)([Float64Array.from(x.values)]), 1e-5);
        expectClose(grads[0], referenceGradient(referenceResize(shape, out), [x], projection, 0), 1e-4);
      });
      it('should leave no tensors behind', () => {
        const t = tf.tensor(x.values, shape);
        const before = tf.memory().numTensors;
        resizeLinear(t, out).dispose();
        expect(tf.memory().numTensors).toBe(before);
        t.dispose();
      });
    });
  });
});
