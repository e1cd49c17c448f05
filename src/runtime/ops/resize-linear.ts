import type * as tf from '@tensorflow/tfjs-core';
import { MicflowError } from '../../errors/micflow-error.js';
import { applySeparableLinearMap, type AxisMatrix } from './separable-linear-map.js';

/**
 * The [outSize, inSize] linear interpolation matrix of PyTorch's `F.interpolate(mode='linear'|'bilinear'|'trilinear',
 * align_corners=False)` along one axis: output o samples source position max(0, (o + 0.5) inSize / outSize - 0.5),
 * split between its two neighbouring samples (the last sample repeats past the edge).
 */
export function linearResizeMatrix(inSize: number, outSize: number): AxisMatrix {
  const values = new Float32Array(outSize * inSize);
  const scale = inSize / outSize;
  for (let o = 0; o < outSize; o++) {
    const source = Math.max(0, (o + 0.5) * scale - 0.5);
    const i0 = Math.min(Math.floor(source), inSize - 1);
    const i1 = Math.min(i0 + 1, inSize - 1);
    const frac = source - i0;
    values[o * inSize + i0] += 1 - frac;
    values[o * inSize + i1] += frac;
  }
  return { values, outSize, inSize };
}

/**
 * Resizes a channels-last tensor [N, ...spatial, C] (2D or 3D) to `outSpatial` by bilinear / trilinear interpolation
 * as PyTorch's F.interpolate(size=outSpatial, align_corners=False) — the resize PyMIC's deep supervision uses.
 * Differentiable on every backend (see applySeparableLinearMap).
 */
export function resizeLinear<T extends tf.Tensor>(x: T, outSpatial: readonly number[]): T {
  const spatial = x.shape.slice(1, -1);
  if (outSpatial.length !== spatial.length || outSpatial.some((s) => !Number.isInteger(s) || s < 1)) {
    throw new MicflowError('invalid-shape', `resizeLinear: target size [${outSpatial}] does not fit input [${x.shape}]`);
  }
  return applySeparableLinearMap(x, spatial.map((n, i) => (n === outSpatial[i] ? null : linearResizeMatrix(n, outSpatial[i]))));
}
