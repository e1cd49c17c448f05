import type * as tf from '@tensorflow/tfjs-core';
import { transposedConv2x2 } from '../../runtime/ops/transposed-conv-2x2.js';
import { transposedConv3d2x2x2 } from '../../runtime/ops/transposed-conv-3d-2x2x2.js';
import { upsample2x } from '../../runtime/ops/upsample-2x.js';
import { upsample3d2x } from '../../runtime/ops/upsample-3d-2x.js';
import type { ConvParameters, NetworkParameters } from '../network-parameters.js';
import { applyConvolution } from './convolution.js';

/** PyMIC's UpBlock upsampling: 1x1 conv then (bi/tri)linear or nearest x2, or a 2x2(x2) stride-2 transposed conv. */
export type UpSamplingMode = 'bilinear' | 'trilinear' | 'nearest' | 'transposed';

/**
 * The parameters of PyMIC's UpBlock upsampling from `inChannels` to `outChannels` in `spatialDims` (2 or 3)
 * dimensions, at `path`: a 1x1(x1) conv [1, 1, (1,) in, out] (fan_in = in) before interpolation, or a transposed conv
 * kernel [2, 2, (2,) out, in] with PyTorch's ConvTranspose fan_in = out x 2^dims.
 */
export function createUpSampling(
  parameters: NetworkParameters,
  path: string,
  inChannels: number,
  outChannels: number,
  mode: UpSamplingMode,
  spatialDims: 2 | 3,
): ConvParameters {
  const ones = new Array<number>(spatialDims).fill(1);
  if (mode === 'transposed') return parameters.conv(path, [...ones.map(() => 2), outChannels, inChannels], outChannels * 2 ** spatialDims, outChannels);
  return parameters.conv(path, [...ones, inChannels, outChannels], inChannels);
}

/**
 * Doubles the spatial size of an NHWC / NDHWC tensor as PyMIC's UpBlock: a stride-2 transposed conv (Long et al.,
 * "Fully Convolutional Networks", CVPR 2015), or a 1x1(x1) conv then linear (align_corners=True) / nearest x2.
 */
export function applyUpSampling<T extends tf.Tensor4D | tf.Tensor5D>(up: ConvParameters, x: T, mode: UpSamplingMode): T {
  const bias = up.bias as tf.Tensor1D;
  if (x.rank === 5) {
    if (mode === 'transposed') return transposedConv3d2x2x2(x as tf.Tensor5D, up.kernel as tf.Tensor5D, bias) as T;
    return upsample3d2x(applyConvolution(up, x as tf.Tensor5D), mode === 'nearest' ? 'nearest' : 'trilinear') as T;
  }
  if (mode === 'transposed') return transposedConv2x2(x as tf.Tensor4D, up.kernel as tf.Tensor4D, bias) as T;
  return upsample2x(applyConvolution(up, x as tf.Tensor4D), mode === 'nearest' ? 'nearest' : 'bilinear') as T;
}
