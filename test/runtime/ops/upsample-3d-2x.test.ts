import * as tf from '@tensorflow/tfjs-core';
import { beforeAll, describe, expect, it } from 'vitest';
import { upsample3d2x, type Upsample3d2xMode } from '../../../src/runtime/ops/upsample-3d-2x.js';
import { BACKENDS, expectClose, index, input, pseudoRandom, referenceGradient, tfValueAndGradients, useBackend } from './op-test-helpers.js';

/** x2 upsampling per output voxel: trilinear with align_corners=True (source o (n - 1) / (2n - 1)) or nearest floor(o / 2). */
function referenceUpsample(shape: number[], mode: Upsample3d2xMode) {
  const [n, d, h, w, c] = shape;
  const out = [n, 2 * d, 2 * h, 2 * w, c];
  const taps = (o: number, len: number) => {
    if (mode === 'nearest') return [{ i: Math.floor(o / 2), f: 1 }];
    const s = len === 1 ? 0 : (o * (len - 1)) / (2 * len - 1);
    const i0 = Math.floor(s);
    const i1 = Math.min(i0 + 1, len - 1);
    return [
      { i: i0, f: 1 - (s - i0) },
      { i: i1, f: s - i0 },
    ];
  };
  return ([x]: Float64Array[]): Float64Array => {
    const y = new Float64Array(out.reduce((a, b) => a * b, 1));
    for (let ni = 0; ni < n; ni++)
      for (let z = 0; z < 2 * d; z++)
        for (let r = 0; r < 2 * h; r++)
          for (let col = 0; col < 2 * w; col++)
            for (let ci = 0; ci < c; ci++) {
              let v = 0;
              for (const tz of taps(z, d)) for (const tr of taps(r, h)) for (const tc of taps(col, w)) v += tz.f * tr.f * tc.f * x[index(shape, ni, tz.i, tr.i, tc.i, ci)];
              y[index(out, ni, z, r, col, ci)] = v;
            }
    return y;
  };
}

describe('upsample3d2x', () => {
  describe.each(BACKENDS)('having the %s backend', (backend) => {
    beforeAll(() => useBackend(backend));

    describe.each(['trilinear', 'nearest'] as const)("having mode '%s' and a 1x2x3x2x2 volume", (mode) => {
      const shape = [1, 2, 3, 2, 2];
      const x = input(shape, 11);
      const projection = pseudoRandom(8 * 24, 12);
      it('should match the per-voxel reference in value and gradient', () => {
        const { y, yShape, grads } = tfValueAndGradients((t) => upsample3d2x(t as tf.Tensor5D, mode), [x], projection);
        expect(yShape).toEqual([1, 4, 6, 4, 2]);
        expectClose(y, referenceUpsample(shape, mode)([Float64Array.from(x.values)]), 1e-5);
        expectClose(grads[0], referenceGradient(referenceUpsample(shape, mode), [x], projection, 0), 1e-4);
      });
    });
  });
});
