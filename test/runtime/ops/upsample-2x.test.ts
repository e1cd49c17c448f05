import * as tf from '@tensorflow/tfjs-core';
import { beforeAll, describe, expect, it } from 'vitest';
import { upsample2x, type Upsample2xMode } from '../../../src/runtime/ops/upsample-2x.js';
import {
  BACKENDS,
  expectClose,
  index,
  input,
  onCpu,
  pick,
  pseudoRandom,
  referenceGradient,
  sampleIndices,
  size,
  tfFiniteDifferences,
  tfValueAndGradients,
  useBackend,
} from './op-test-helpers.js';

/** Per-pixel x2 upsampling written from PyTorch's formulas (align_corners=True bilinear; nearest = floor(o / 2)). */
function referenceUpsample(shape: number[], mode: Upsample2xMode) {
  const [n, h, w, c] = shape;
  const source = (o: number, len: number) => (len === 1 ? 0 : (o * (len - 1)) / (2 * len - 1));
  return ([x]: Float64Array[]): Float64Array => {
    const y = new Float64Array(n * 4 * h * w * c);
    const at = (ni: number, i: number, j: number, ci: number) => x[index(shape, ni, i, j, ci)];
    for (let ni = 0; ni < n; ni++)
      for (let oh = 0; oh < 2 * h; oh++)
        for (let ow = 0; ow < 2 * w; ow++)
          for (let ci = 0; ci < c; ci++) {
            let v: number;
            if (mode === 'nearest') {
              v = at(ni, Math.floor(oh / 2), Math.floor(ow / 2), ci);
            } else {
              const sh = source(oh, h);
              const sw = source(ow, w);
              const h0 = Math.floor(sh);
              const w0 = Math.floor(sw);
              const h1 = Math.min(h0 + 1, h - 1);
              const w1 = Math.min(w0 + 1, w - 1);
              const fh = sh - h0;
              const fw = sw - w0;
              v =
                (1 - fh) * ((1 - fw) * at(ni, h0, w0, ci) + fw * at(ni, h0, w1, ci)) +
                fh * ((1 - fw) * at(ni, h1, w0, ci) + fw * at(ni, h1, w1, ci));
            }
            y[index([n, 2 * h, 2 * w, c], ni, oh, ow, ci)] = v;
          }
    return y;
  };
}

const cases = [
  { name: 'a 2x5x7x3 input', shape: [2, 5, 7, 3] },
  { name: 'a 1x1x3x2 input (one row)', shape: [1, 1, 3, 2] },
  { name: 'a 2x4x4x3 (square) input', shape: [2, 4, 4, 3] },
];

describe('upsample2x', () => {
  describe.each(BACKENDS)('having the %s backend', (backend) => {
    beforeAll(() => useBackend(backend));

    describe.each(['bilinear', 'nearest'] as const)("having mode '%s'", (mode) => {
      const op = (x: tf.Tensor) => upsample2x(x as tf.Tensor4D, mode);
      const builtInForward = (x: tf.Tensor4D, h: number, w: number) =>
        mode === 'bilinear' ? tf.image.resizeBilinear(x, [2 * h, 2 * w], true) : tf.image.resizeNearestNeighbor(x, [2 * h, 2 * w], false, false);

      describe.each(cases)('when given $name', ({ shape }) => {
        const [n, h, w, c] = shape;
        const x = input(shape, 51);
        const projection = pseudoRandom(n * 4 * h * w * c, 52);
        const reference = referenceUpsample(shape, mode);

        it("should match PyTorch's formula and tfjs's resize op on cpu", async () => {
          const { y, yShape } = tfValueAndGradients(op, [x], projection);
          expect(yShape).toEqual([n, 2 * h, 2 * w, c]);
          expectClose(y, reference([Float64Array.from(x.values)]));
          const builtIn = await onCpu(backend, () => tf.tidy(() => builtInForward(tf.tensor4d(x.values, shape as never), h, w).dataSync()));
          expectClose(y, builtIn);
        });

        it('should have the gradient of the reference formula', () => {
          const { grads } = tfValueAndGradients(op, [x], projection);
          expectClose(grads[0], referenceGradient(reference, [x], projection, 0), 1e-4);
        });

        it('should have a gradient that matches float32 central finite differences', () => {
          const { grads } = tfValueAndGradients(op, [x], projection);
          const at = sampleIndices(size(shape), 12);
          expectClose(pick(grads[0], at), tfFiniteDifferences(op, [x], projection, 0, at), 2e-3);
        });

        // The cpu backend's ResizeNearestNeighborGrad reads the wrong dy for every image after the first (batch > 1),
        // so the kernel is run one image at a time.
        it("should have the gradient of the cpu backend's resize gradient kernel, image by image", async () => {
          const { grads } = tfValueAndGradients(op, [x], projection);
          const builtIn = await onCpu(backend, () =>
            tf.tidy(() => {
              const images = tf.tensor4d(x.values, shape as never);
              const dy = tf.tensor4d(projection, [n, 2 * h, 2 * w, c]);
              const kernel = mode === 'bilinear' ? 'ResizeBilinearGrad' : 'ResizeNearestNeighborGrad';
              const perImage = Array.from({ length: n }, (_, i) =>
                tf.engine().runKernel(
                  kernel,
                  { images: tf.slice(images, [i, 0, 0, 0], [1, h, w, c]), dy: tf.slice(dy, [i, 0, 0, 0], [1, 2 * h, 2 * w, c]) },
                  { alignCorners: mode === 'bilinear' },
                ) as tf.Tensor,
              );
              return tf.concat(perImage, 0).dataSync();
            }),
          );
          expectClose(grads[0], builtIn);
        });
      });
    });
  });
});
