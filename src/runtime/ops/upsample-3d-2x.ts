import type * as tf from '@tensorflow/tfjs-core';
import { applySeparableLinearMap } from './separable-linear-map.js';
import { upsampleMatrix, type Upsample2xMode } from './upsample-2x.js';

export type Upsample3d2xMode = 'trilinear' | 'nearest';

/**
 * x2 upsampling of NDHWC volumes, as PyTorch's nn.Upsample(scale_factor=2, mode='trilinear', align_corners=True) (the
 * mode PyMIC's UNet3D uses) or mode='nearest'. Trilinear interpolation is separable: the align_corners=True linear
 * matrix of upsample2x along depth, height and width in turn, with an exact gradient on every backend (tfjs has no
 * trilinear resize kernel).
 */
export function upsample3d2x(x: tf.Tensor5D, mode: Upsample3d2xMode): tf.Tensor5D {
  const axisMode: Upsample2xMode = mode === 'trilinear' ? 'bilinear' : 'nearest';
  return applySeparableLinearMap(
    x,
    x.shape.slice(1, 4).map((n) => ({ values: upsampleMatrix(n, axisMode), outSize: 2 * n, inSize: n })),
  );
}
