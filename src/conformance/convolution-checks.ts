import * as tf from '@tensorflow/tfjs-core';
import type { ConformanceCheck } from './conformance-check.js';
import { input, type Measurement } from './conformance-probe.js';
import { sizeOf, values } from './conformance-values.js';
import { comparedWithCpu, within } from './measurements.js';

/** A convolution case: input and filter shapes, strides, padding and dilation (2D when x has rank 4, else 3D). */
export interface ConvCase {
  name: string;
  x: number[];
  filter: number[];
  strides: number[];
  pad: 'same' | 'valid' | number[][];
  dilations?: number[];
}

export const CONV2D_CASES: readonly ConvCase[] = [
  { name: 'batch 2, 7x5, 3x3, stride 1, same', x: [2, 7, 5, 3], filter: [3, 3, 3, 4], strides: [1, 1], pad: 'same' },
  { name: 'batch 3, 9x6, 3x2 kernel, stride 2x1, valid', x: [3, 9, 6, 3], filter: [3, 2, 3, 5], strides: [2, 1], pad: 'valid' },
  { name: 'batch 1, 8x7, stride 2, same', x: [1, 8, 7, 2], filter: [3, 3, 2, 3], strides: [2, 2], pad: 'same' },
  { name: 'batch 3, 6x6, 1x1 kernel', x: [3, 6, 6, 4], filter: [1, 1, 4, 2], strides: [1, 1], pad: 'valid' },
  { name: 'explicit asymmetric padding', x: [2, 5, 7, 2], filter: [3, 3, 2, 2], strides: [1, 1], pad: [[0, 0], [1, 0], [2, 1], [0, 0]] },
  { name: 'dilation 2, same', x: [1, 9, 8, 2], filter: [3, 3, 2, 2], strides: [1, 1], pad: 'same', dilations: [2, 2] },
  // Stride-1 input gradients run as forward convolutions on native: pads 0 and 1 (an even kernel), many channels, and
  // pads beyond the kernel's reach (which keep the backward-data primitive).
  { name: 'batch 2, 6x5, 2x2 kernel, stride 1, same', x: [2, 6, 5, 3], filter: [2, 2, 3, 4], strides: [1, 1], pad: 'same' },
  { name: 'batch 2, 10x9, 3x3, 16 to 32 channels, same', x: [2, 10, 9, 16], filter: [3, 3, 16, 32], strides: [1, 1], pad: 'same' },
  { name: 'explicit padding beyond the kernel', x: [1, 5, 4, 2], filter: [3, 3, 2, 3], strides: [1, 1], pad: [[0, 0], [3, 1], [0, 4], [0, 0]] },
];

export const CONV3D_CASES: readonly ConvCase[] = [
  { name: 'batch 2, 5x4x6, 3x3x3, same', x: [2, 5, 4, 6, 2], filter: [3, 3, 3, 2, 3], strides: [1, 1, 1], pad: 'same' },
  { name: 'batch 1, 6x5x7, 2x3x2 kernel, stride 2x1x2, valid', x: [1, 6, 5, 7, 2], filter: [2, 3, 2, 2, 2], strides: [2, 1, 2], pad: 'valid' },
  { name: 'batch 2, 4x5x3, 1x1x1 kernel', x: [2, 4, 5, 3, 3], filter: [1, 1, 1, 3, 2], strides: [1, 1, 1], pad: 'valid' },
  { name: 'batch 1, 4x5x3, 2x2x2 kernel, same', x: [1, 4, 5, 3, 2], filter: [2, 2, 2, 2, 3], strides: [1, 1, 1], pad: 'same' },
];

const is2D = (c: ConvCase) => c.x.length === 4;

function convForward(c: ConvCase, x: tf.Tensor, filter: tf.Tensor): tf.Tensor {
  if (is2D(c)) {
    return tf.conv2d(x as tf.Tensor4D, filter as tf.Tensor4D, c.strides as [number, number], c.pad as 'same', 'NHWC', (c.dilations ?? [1, 1]) as [number, number]);
  }
  return tf.conv3d(x as tf.Tensor5D, filter as tf.Tensor5D, c.strides as [number, number, number], c.pad as 'same', 'NDHWC', (c.dilations ?? [1, 1, 1]) as [number, number, number]);
}

/** The backward-data kernel for dy, as tfjs's gradient calls it. */
function convBackpropInput(c: ConvCase, dy: tf.Tensor, filter: tf.Tensor): tf.Tensor {
  const name = is2D(c) ? tf.Conv2DBackpropInput : tf.Conv3DBackpropInputV2;
  const attrs = { strides: c.strides, pad: c.pad, dataFormat: is2D(c) ? 'NHWC' : 'NDHWC', inputShape: c.x, dimRoundingMode: undefined };
  return tf.engine().runKernel(name, { dy, filter }, attrs as unknown as tf.NamedAttrMap) as tf.Tensor;
}

/** The backward-filter kernel, as tfjs's gradient calls it. */
function convBackpropFilter(c: ConvCase, x: tf.Tensor, dy: tf.Tensor): tf.Tensor {
  const name = is2D(c) ? tf.Conv2DBackpropFilter : tf.Conv3DBackpropFilterV2;
  const attrs = { strides: c.strides, pad: c.pad, dataFormat: is2D(c) ? 'NHWC' : 'NDHWC', filterShape: c.filter, dimRoundingMode: undefined };
  return tf.engine().runKernel(name, { x, dy }, attrs as unknown as tf.NamedAttrMap) as tf.Tensor;
}

export const CONVOLUTION_GROUP = 'having convolutions (Conv2D, Conv3D, FusedConv2D and their backprop kernels)';

function forwardCheck(c: ConvCase): ConformanceCheck {
  const rank = is2D(c) ? '2D' : '3D';
  const kernel = is2D(c) ? tf.Conv2D : tf.Conv3D;
  return {
    group: CONVOLUTION_GROUP,
    id: `${kernel} (${c.name})`,
    title: (backend) => `when ${backend} runs the ${rank} forward convolution (${c.name}) should match cpu`,
    async measure(probe) {
      const { measurement } = await comparedWithCpu(probe, kernel, c.name, `${kernel} ${c.name}`, 'convolution', () => convForward(c, input(c.x, 1), input(c.filter, 2)));
      return [measurement];
    },
  };
}

/** A backprop kernel against cpu, then (unless pinned as broken) against finite differences of the forward. */
function backpropCheck(c: ConvCase, argument: 'input' | 'filter'): ConformanceCheck {
  const kernel = argument === 'input' ? (is2D(c) ? tf.Conv2DBackpropInput : tf.Conv3DBackpropInputV2) : is2D(c) ? tf.Conv2DBackpropFilter : tf.Conv3DBackpropFilterV2;
  return {
    group: CONVOLUTION_GROUP,
    id: `${kernel} (${c.name})`,
    title: (backend) => `when ${backend} runs ${kernel} (${c.name}) should match cpu and finite differences of the forward`,
    async measure(probe) {
      const yShape = await probe.shapeOnCpu(() => convForward(c, input(c.x, 1), input(c.filter, 2)));
      const dy = values(sizeOf(yShape), 3);
      const x = values(sizeOf(c.x), 1);
      const filter = values(sizeOf(c.filter), 2);
      const build =
        argument === 'input'
          ? () => convBackpropInput(c, tf.tensor(dy, yShape), tf.tensor(filter, c.filter))
          : () => convBackpropFilter(c, tf.tensor(x, c.x), tf.tensor(dy, yShape));
      const { measurement, broken } = await comparedWithCpu(probe, kernel, c.name, `${kernel} ${c.name}`, 'convolution', build);
      if (broken) return [measurement];
      const [gradient] = await probe.run(build);
      const loss =
        argument === 'input'
          ? (v: Float32Array) => tf.sum(tf.mul(convForward(c, tf.tensor(v, c.x), tf.tensor(filter, c.filter)), tf.tensor(dy, yShape))) as tf.Scalar
          : (v: Float32Array) => tf.sum(tf.mul(convForward(c, tf.tensor(x, c.x), tf.tensor(v, c.filter)), tf.tensor(dy, yShape))) as tf.Scalar;
      const fd = await probe.finiteDifferenceError(gradient, argument === 'input' ? x : filter, loss, 0.5);
      return [measurement, within(probe, `${kernel} ${c.name} against finite differences`, fd, 'finite-differences')];
    },
  };
}

const FUSED_ACTIVATIONS = ['linear', 'relu', 'relu6', 'elu', 'leakyrelu', 'sigmoid'] as const;

const fusedCheck: ConformanceCheck = {
  group: CONVOLUTION_GROUP,
  id: 'FusedConv2D (bias, each activation)',
  title: (backend) => `when ${backend} runs FusedConv2D with bias and each activation should match cpu`,
  async measure(probe) {
    const out: Measurement[] = [];
    for (const activation of FUSED_ACTIVATIONS) {
      const build = () =>
        tf.fused.conv2d({
          x: input([2, 7, 6, 3], 1) as tf.Tensor4D, filter: input([3, 3, 3, 4], 2) as tf.Tensor4D, bias: input([4], 3),
          strides: [2, 1], pad: 'same', activation, leakyreluAlpha: 0.2,
        });
      out.push((await comparedWithCpu(probe, tf.FusedConv2D, activation, `FusedConv2D ${activation}`, 'convolution', build)).measurement);
    }
    return out;
  },
};

/** Per case: the forward, and (without dilation: tfjs's backprop kernels take none) both backprop kernels; then FusedConv2D. */
export const convolutionChecks: readonly ConformanceCheck[] = [
  ...[...CONV2D_CASES, ...CONV3D_CASES].flatMap((c) => (c.dilations ? [forwardCheck(c)] : [forwardCheck(c), backpropCheck(c, 'input'), backpropCheck(c, 'filter')])),
  fusedCheck,
];
