import type * as tf from '@tensorflow/tfjs-core';
import { MicflowError } from '../../errors/micflow-error.js';
import { applySeparableLinearMap, type AxisMatrix } from './separable-linear-map.js';

/** The [n / factor, n] matrix averaging consecutive blocks of `factor` samples. */
export function blockAverageMatrix(n: number, factor: number): AxisMatrix {
  const outSize = n / factor;
  const values = new Float32Array(outSize * n);
  for (let o = 0; o < outSize; o++) for (let k = 0; k < factor; k++) values[o * n + o * factor + k] = 1 / factor;
  return { values, outSize, inSize: n };
}

/**
 * Average pooling of a channels-last tensor [N, ...spatial, C] (2D or 3D) over non-overlapping blocks, the block size
 * along each spatial axis being `factors[i]`, which must divide that axis. Equals PyTorch's AdaptiveAvgPool to
 * spatial / factors (PyMIC's deep-supervision mode 2 for the ground truth) and, for factor 2, bilinear interpolation
 * with align_corners=False. Differentiable on every backend (see applySeparableLinearMap).
 */
export function averagePoolBlocks<T extends tf.Tensor>(x: T, factors: readonly number[]): T {
  const spatial = x.shape.slice(1, -1);
  if (factors.length !== spatial.length || factors.some((f, i) => !Number.isInteger(f) || f < 1 || spatial[i] % f !== 0)) {
    throw new MicflowError('invalid-shape', `averagePoolBlocks: factors [${factors}] must divide the spatial size of [${x.shape}]`);
  }
  return applySeparableLinearMap(x, spatial.map((n, i) => (factors[i] === 1 ? null : blockAverageMatrix(n, factors[i]))));
}
