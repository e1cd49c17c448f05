import * as tf from '@tensorflow/tfjs-core';
import { crossEntropyLoss } from '../losses/cross-entropy-loss.js';
import { diceLoss } from '../losses/dice-loss.js';
import { averagePoolBlocks } from '../runtime/ops/average-pool-blocks.js';
import { batchNormInference, batchNormTraining } from '../runtime/ops/batch-norm.js';
import { conv2dSame } from '../runtime/ops/conv2d-same.js';
import { conv3dSame } from '../runtime/ops/conv3d-same.js';
import { maxPool2x2 } from '../runtime/ops/max-pool-2x2.js';
import { maxPool3d2x2x2 } from '../runtime/ops/max-pool-3d-2x2x2.js';
import { padVolume } from '../runtime/ops/pad-volume.js';
import { resizeLinear } from '../runtime/ops/resize-linear.js';
import { transposedConv2x2 } from '../runtime/ops/transposed-conv-2x2.js';
import { transposedConv3d2x2x2 } from '../runtime/ops/transposed-conv-3d-2x2x2.js';
import { upsample2x } from '../runtime/ops/upsample-2x.js';
import { upsample3d2x } from '../runtime/ops/upsample-3d-2x.js';
import type { ConformanceCheck } from './conformance-check.js';
import { input, type BackendUnderTest } from './conformance-probe.js';
import { sizeOf, values } from './conformance-values.js';
import { knownDefectInCase, throwsDefect } from './known-defects.js';
import { stillShows, stillThrows, within } from './measurements.js';
import type { ToleranceClass } from './tolerances.js';

export const OP_GRADIENT_GROUP = 'having the differentiable ops and losses the networks train through';

/**
 * micflow's own differentiable ops (src/runtime/ops) and losses: value and every input's gradient against cpu. They
 * are what the networks train through, built so that their gradients use only kernels that conform on every backend.
 */
const OP_CASES: ReadonlyArray<[string, number[][], (...t: tf.Tensor[]) => tf.Tensor]> = [
  ['conv2dSame 3x3 on 2x7x6x3', [[2, 7, 6, 3], [3, 3, 3, 4], [4]], (x, k, b) => conv2dSame(x as tf.Tensor4D, k as tf.Tensor4D, b as tf.Tensor1D)],
  ['conv3dSame 3x3x3 on 2x3x5x4x2', [[2, 3, 5, 4, 2], [3, 3, 3, 2, 3], [3]], (x, k, b) => conv3dSame(x as tf.Tensor5D, k as tf.Tensor5D, b as tf.Tensor1D)],
  ['conv3dSame 3x1x3 on 1x4x3x5x3', [[1, 4, 3, 5, 3], [3, 1, 3, 3, 2], [2]], (x, k, b) => conv3dSame(x as tf.Tensor5D, k as tf.Tensor5D, b as tf.Tensor1D)],
  ['conv3dSame 1x1x1 on 2x3x2x4x3', [[2, 3, 2, 4, 3], [1, 1, 1, 3, 2], [2]], (x, k, b) => conv3dSame(x as tf.Tensor5D, k as tf.Tensor5D, b as tf.Tensor1D)],
  ['batchNormTraining on 4D', [[3, 5, 4, 2], [2], [2]], (x, g, b) => batchNormTraining(x, g as tf.Tensor1D, b as tf.Tensor1D).y],
  ['batchNormTraining on 5D', [[2, 3, 4, 3, 2], [2], [2]], (x, g, b) => batchNormTraining(x, g as tf.Tensor1D, b as tf.Tensor1D).y],
  ['batchNormTraining on odd 4D with 5 channels', [[3, 5, 7, 5], [5], [5]], (x, g, b) => batchNormTraining(x, g as tf.Tensor1D, b as tf.Tensor1D).y],
  ['batchNormTraining on odd 5D far from zero (mean 50)', [[1, 3, 5, 3, 3], [3], [3]], (x, g, b) => batchNormTraining(tf.add(x, 50), g as tf.Tensor1D, b as tf.Tensor1D).y],
  ['batchNormTraining with fused LeakyReLU(0.01) on odd 4D', [[3, 5, 7, 3], [3], [3]], (x, g, b) =>
    batchNormTraining(x, g as tf.Tensor1D, b as tf.Tensor1D, 1e-5, { leakyReluAlpha: 0.01 }).y],
  ['batchNormTraining with fused LeakyReLU(0.3) on 5D', [[2, 3, 4, 3, 2], [2], [2]], (x, g, b) =>
    batchNormTraining(x, g as tf.Tensor1D, b as tf.Tensor1D, 1e-5, { leakyReluAlpha: 0.3 }).y],
  ['batchNormTraining with fused ReLU on odd 4D', [[2, 5, 3, 4], [4], [4]], (x, g, b) =>
    batchNormTraining(x, g as tf.Tensor1D, b as tf.Tensor1D, 1e-5, { leakyReluAlpha: 0 }).y],
  // Large enough that the native kernels split rows over threads and sum them in many 64-row float blocks.
  ['batchNormTraining with fused LeakyReLU(0.01) on 2x40x48x24 (threads, row blocks)', [[2, 40, 48, 24], [24], [24]], (x, g, b) =>
    batchNormTraining(x, g as tf.Tensor1D, b as tf.Tensor1D, 1e-5, { leakyReluAlpha: 0.01 }).y],
  ['batchNormTraining on 3x33x35x16 (threads, row blocks, no activation)', [[3, 33, 35, 16], [16], [16]], (x, g, b) =>
    batchNormTraining(x, g as tf.Tensor1D, b as tf.Tensor1D).y],
  ['batchNormInference on odd 4D (running mean and variance differentiated too)', [[3, 5, 7, 3], [3], [3], [3], [3]], (x, g, b, m, v) =>
    batchNormInference(x, g as tf.Tensor1D, b as tf.Tensor1D, m as tf.Tensor1D, tf.add(tf.abs(v), 0.5) as tf.Tensor1D)],
  ['maxPool2x2 on odd 2x7x5x3', [[2, 7, 5, 3]], (x) => maxPool2x2(x as tf.Tensor4D)],
  ['maxPool3d2x2x2 on odd 2x5x4x3x2', [[2, 5, 4, 3, 2]], (x) => maxPool3d2x2x2(x as tf.Tensor5D)],
  ['upsample2x bilinear on 2x3x5x2', [[2, 3, 5, 2]], (x) => upsample2x(x as tf.Tensor4D, 'bilinear')],
  ['upsample2x nearest on 1x4x3x3', [[1, 4, 3, 3]], (x) => upsample2x(x as tf.Tensor4D, 'nearest')],
  ['upsample3d2x trilinear on 2x2x3x4x2', [[2, 2, 3, 4, 2]], (x) => upsample3d2x(x as tf.Tensor5D, 'trilinear')],
  ['upsample3d2x nearest on 1x3x2x3x3', [[1, 3, 2, 3, 3]], (x) => upsample3d2x(x as tf.Tensor5D, 'nearest')],
  ['resizeLinear 2D 2x9x7x3 down to 4x3', [[2, 9, 7, 3]], (x) => resizeLinear(x, [4, 3])],
  ['averagePoolBlocks 2x3 on 2x6x9x2', [[2, 6, 9, 2]], (x) => averagePoolBlocks(x, [2, 3])],
  ['transposedConv2x2 on 2x3x4x3', [[2, 3, 4, 3], [2, 2, 2, 3], [2]], (x, k, b) => transposedConv2x2(x as tf.Tensor4D, k as tf.Tensor4D, b as tf.Tensor1D)],
  ['padVolume of 2x3x4x3x2, every axis, constant -0.5', [[2, 3, 4, 3, 2]], (x) => padVolume(x, [[1, 0], [0, 2], [2, 1], [0, 1], [1, 2]], -0.5)],
  ['transposedConv3d2x2x2 on 2x2x3x2x3', [[2, 2, 3, 2, 3], [2, 2, 2, 2, 3], [2]], (x, k, b) => transposedConv3d2x2x2(x as tf.Tensor5D, k as tf.Tensor5D, b as tf.Tensor1D)],
  ['resizeLinear 3D 2x3x4x5x2 to 5x7x4', [[2, 3, 4, 5, 2]], (x) => resizeLinear(x, [5, 7, 4])],
  ['leakyRelu, softmax, crossEntropyLoss and diceLoss', [[2, 5, 3, 3]], (x) => {
    const oneHot = tf.oneHot(tf.tensor1d([0, 1, 2, 1, 0, 2, 2, 1, 0, 1, 2, 0, 1, 1, 0, 2, 0, 1, 2, 2, 1, 0, 0, 1, 2, 1, 0, 2, 1, 0], 'int32'), 3);
    const target = tf.reshape(tf.cast(oneHot, 'float32'), [2, 5, 3, 3]);
    const logits = tf.leakyRelu(x, 0.01);
    return tf.add(crossEntropyLoss(logits, target), diceLoss(tf.softmax(logits), target));
  }],
];

/**
 * The cases whose gradients are also checked against central differences of the op's own forward pass, on the backend
 * under test, for each of `inputs` (default every input; 5 coordinates each): the 3D ops whose gradients avoid webgl's
 * rank-5 PadV2, Reverse and Select (a flipped kernel reshaped to rank 3, padVolume, a crop of a rank-4 view,
 * LeakyRelu's gradient on flat views), so that they are checked against more than cpu running the same code. The
 * convolutions are linear in each argument (a large step is exact up to rounding), max pooling piecewise linear. Batch
 * norm with a leaky ReLU is checked in x only: a step of γ or β moves every value of a channel, so some cross the
 * ReLU's kink and the difference quotient is off by 0.02 to 0.1 (measured at steps 1e-3 and 1e-2) where float32 still
 * resolves; x's gradient runs through the same LeakyRelu gradient.
 */
const FINITE_DIFFERENCES: Readonly<Record<string, { step: number; tolerance: ToleranceClass; inputs?: readonly number[] }>> = {
  'conv3dSame 3x3x3 on 2x3x5x4x2': { step: 0.5, tolerance: 'finite-differences' },
  'conv3dSame 3x1x3 on 1x4x3x5x3': { step: 0.5, tolerance: 'finite-differences' },
  'conv3dSame 1x1x1 on 2x3x2x4x3': { step: 0.5, tolerance: 'finite-differences' },
  'maxPool3d2x2x2 on odd 2x5x4x3x2': { step: 1e-3, tolerance: 'finite-differences-max-pool' },
  'batchNormTraining with fused LeakyReLU(0.3) on 5D': { step: 1e-2, tolerance: 'finite-differences', inputs: [0] },
};

const TIED_POOLS: ReadonlyArray<[string, number[], (x: tf.Tensor) => tf.Tensor]> = [
  ['maxPool2x2', [2, 6, 5, 3], (x) => maxPool2x2(x as tf.Tensor4D)],
  ['maxPool3d2x2x2', [1, 4, 5, 4, 2], (x) => maxPool3d2x2x2(x as tf.Tensor5D)],
];

/** How a title says that a case is pinned as a known defect of `backend`. */
function pinned(backend: BackendUnderTest, caseName: string): string | undefined {
  const defect = knownDefectInCase(backend, caseName);
  return defect && `${throwsDefect(defect) ? 'throw' : 'disagree with cpu'} (known ${backend} defect of ${defect.kernel})`;
}

const tiedChecks: ConformanceCheck[] = TIED_POOLS.map(([name, shape, pool]) => ({
  group: OP_GRADIENT_GROUP,
  id: `${name} over tied windows`,
  title: (backend) =>
    `when ${backend} differentiates ${name} over windows of tied values should ${pinned(backend, `${name} over tied windows`) ?? "route each window's gradient to the same element as cpu"}`,
  async measure(probe) {
    // Values from {-1, 0, 1}: most windows hold several equal maxima; PyTorch (and cpu here) pick the first.
    const tied = Float32Array.from(values(sizeOf(shape), 7), (v) => Math.round(v));
    const build = () => {
      const loss = (v: tf.Tensor) => {
        const y = pool(v);
        return tf.sum(tf.mul(y, tf.tensor(values(y.size, 98), y.shape))) as tf.Scalar;
      };
      return tf.grad(loss)(tf.tensor(tied, shape));
    };
    const defect = knownDefectInCase(probe.backend, `${name} over tied windows`);
    if (throwsDefect(defect)) return [await stillThrows(probe, `${name} gradient over tied windows`, defect, build)];
    const error = await probe.errorAgainstCpu(build);
    return [defect ? stillShows(probe, `${name} gradient over tied windows`, defect, error) : within(probe, `${name} gradient over tied windows`, error, 'tied-gradient')];
  },
}));

const opChecks: ConformanceCheck[] = OP_CASES.map(([name, shapes, op]) => ({
  group: OP_GRADIENT_GROUP,
  id: name,
  title: (backend) =>
    `when ${backend} differentiates ${name} should ${pinned(backend, name) ?? `give cpu's values and gradients${FINITE_DIFFERENCES[name] ? ', and gradients that match finite differences' : ''}`}`,
  async measure(probe) {
    const loss = (...t: tf.Tensor[]) => {
      const y = op(...t);
      return tf.sum(tf.mul(y, tf.tensor(values(y.size, 99), y.shape))) as tf.Scalar;
    };
    const build = () => {
      const { value, grads } = tf.valueAndGrads(loss)(shapes.map((s, i) => input(s, 20 + i)));
      return [value, ...grads];
    };
    const defect = knownDefectInCase(probe.backend, name);
    if (throwsDefect(defect)) return [await stillThrows(probe, `${name} value and gradients`, defect, build)];
    const error = await probe.errorAgainstCpu(build);
    if (defect) return [stillShows(probe, `${name} value and gradients`, defect, error)];
    const measurements = [within(probe, `${name} value and gradients`, error, 'op-gradient')];
    const differences = FINITE_DIFFERENCES[name];
    if (differences) {
      const [, ...gradients] = await probe.run(build);
      for (const [i, shape] of shapes.entries()) {
        if (differences.inputs && !differences.inputs.includes(i)) continue;
        const point = values(sizeOf(shape), 20 + i);
        const at = (v: Float32Array) => loss(...shapes.map((s, j) => (j === i ? tf.tensor(v, s) : input(s, 20 + j))));
        const fd = await probe.finiteDifferenceError(gradients[i], point, at, differences.step);
        measurements.push(within(probe, `${name} gradient of input ${i} against finite differences`, fd, differences.tolerance));
      }
    }
    return measurements;
  },
}));

export const opGradientChecks: readonly ConformanceCheck[] = [...tiedChecks, ...opChecks];
