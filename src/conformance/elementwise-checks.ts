import * as tf from '@tensorflow/tfjs-core';
import { batchNormTraining } from '../runtime/ops/batch-norm.js';
import type { ConformanceCheck } from './conformance-check.js';
import { input } from './conformance-probe.js';
import { knownDefectOf, throwsDefect } from './known-defects.js';
import { comparedWithCpu, stillShows, stillThrows, within } from './measurements.js';
import type { ToleranceClass } from './tolerances.js';

export const ELEMENTWISE_GROUP = 'having elementwise kernels, reductions and data movement';

const x = () => input([2, 3, 4, 5], 1);
const positive = () => tf.add(tf.abs(x()), 0.1);

/** name (also the case name the known defects use), tolerance class, builder. */
const FORWARD: ReadonlyArray<[string, ToleranceClass, () => tf.Tensor | tf.Tensor[]]> = [
  ['Add/Sub/Multiply/RealDiv broadcast against [5], [3, 1, 5], [2, 1, 1, 1] and a scalar', 'elementwise', () =>
    [[5], [3, 1, 5], [2, 1, 1, 1], []].flatMap((s, i) => {
      const other = tf.add(tf.abs(input(s, 10 + i)), 0.5);
      return [tf.add(x(), other), tf.sub(other, x()), tf.mul(x(), other), tf.div(x(), other), tf.div(other, x())];
    })],
  ['Maximum/Minimum/SquaredDifference', 'elementwise', () => [tf.maximum(x(), input([4, 5], 3)), tf.minimum(input([3, 1, 1], 4), x()), tf.squaredDifference(x(), input([5], 5))]],
  ['comparisons and Select', 'elementwise', () => {
    const y = input([2, 3, 4, 5], 6);
    return [tf.greater(x(), y), tf.greaterEqual(x(), 0), tf.less(x(), y), tf.lessEqual(x(), y), tf.equal(x(), x()), tf.notEqual(x(), y), tf.where(tf.greater(x(), y), x(), y)].map((t) => tf.cast(t, 'float32'));
  }],
  ['unary kernels', 'transcendental', () => [tf.leakyRelu(x(), 0.01), tf.relu(x()), tf.neg(x()), tf.square(x()), tf.rsqrt(positive()), tf.sqrt(positive()), tf.exp(x()), tf.log(positive()), tf.abs(x()), tf.sigmoid(x()), tf.tanh(x()), tf.sign(x())]],
  ['Sum/Mean/Max/Min over leading, trailing, middle and all axes', 'reduction', () =>
    [[0, 1, 2], [3], [1, 2], [0, 2], undefined].flatMap((axes) => [tf.sum(x(), axes), tf.mean(x(), axes, true), tf.max(x(), axes), tf.min(x(), axes)])],
  ['softmax and logSoftmax over the class axis', 'transcendental', () => [tf.softmax(x()), tf.logSoftmax(x())]],
  ['ArgMax over the last axis (ties to the first index; NaN first in a row wins, later never) and over a middle axis', 'elementwise', () => {
    const tied = tf.round(tf.mul(x(), 2));
    const withNaN = tf.tensor([Number.NaN, 1, 3, 3, 2, Number.NaN, 0, -1, Number.NaN, Number.NaN, Number.NaN, 5], [3, 4]);
    return [tf.argMax(x(), 3), tf.argMax(tied, 3), tf.argMax(tied, -1), tf.argMax(withNaN, 1), tf.argMax(tied, 1), tf.argMax(input([7], 2))].map((t) => tf.cast(t, 'float32'));
  }],
  ['batchNormTraining statistics (mean, variance, unbiased variance) on odd 4D and 5D', 'reduction', () =>
    [[3, 5, 7, 3], [2, 3, 3, 5, 4]].flatMap((shape, i) => {
      const channels = shape[shape.length - 1];
      const { statistics } = batchNormTraining(tf.add(input(shape, 12 + i), 3 * i), tf.ones([channels]) as tf.Tensor1D, tf.zeros([channels]) as tf.Tensor1D);
      return [statistics.mean, statistics.variance, statistics.unbiasedVariance];
    })],
  ['softmax of logits in the hundreds (overflows without the row maximum), of rank 1, 5 and of 2 classes', 'transcendental', () =>
    [tf.softmax(tf.mul(x(), 300)), tf.softmax(input([7], 9)), tf.softmax(input([2, 3, 2, 3, 3], 10)), tf.softmax(input([3, 5, 7, 2], 11))]],
  ['Slice, Transpose, Reverse, PadV2, Concat and SplitV', 'elementwise', () => [
    tf.slice(x(), [1, 0, 1, 2], [1, 3, 2, 3]),
    tf.transpose(x(), [0, 3, 1, 2]),
    tf.transpose(x(), [2, 0, 3, 1]),
    tf.reverse(x(), [1, 2]),
    tf.pad(x(), [[0, 1], [2, 0], [1, 1], [0, 0]], 0.5),
    tf.concat([x(), input([2, 3, 4, 2], 7)], 3),
    tf.concat([x(), input([2, 1, 4, 5], 8)], 1),
    ...tf.split(x(), [1, 3, 1], 3),
  ]],
  ['float32 operands stored as int32 (tfjs casts int32 to float32 without copying) and int32 stored as float32: comparisons, arithmetic, unary, data movement', 'transcendental', () => {
    const labels = tf.tensor(Array.from({ length: 120 }, (_, i) => (i * 7) % 5), [2, 3, 4, 5], 'int32');
    const asFloat = tf.cast(labels, 'float32');
    return [
      tf.cast(tf.equal(labels, 1), 'float32'),
      tf.cast(tf.greater(labels, 2), 'float32'),
      tf.mul(labels, 0.5),
      tf.add(asFloat, x()),
      tf.sub(x(), asFloat),
      tf.exp(tf.neg(asFloat)),
      tf.sum(asFloat, [1, 2]),
      tf.transpose(asFloat, [0, 3, 1, 2]),
      tf.concat([asFloat, x()], 3),
      // and int32 stored as float32 (tfjs's cpu OneHot output) through data movement
      tf.cast(tf.transpose(tf.oneHot(tf.tensor1d([0, 2, 1, 3], 'int32'), 4), [1, 0]), 'float32'),
      tf.cast(tf.slice(tf.oneHot(tf.tensor1d([0, 2, 1, 3], 'int32'), 4), [1, 0], [2, 4]), 'float32'),
    ];
  }],
  ['pooling in 2D', 'pooling', () => [tf.maxPool(input([2, 7, 6, 3], 1) as tf.Tensor4D, 2, 2, 'valid'), tf.avgPool(input([2, 7, 6, 3], 1) as tf.Tensor4D, 3, [2, 1], 'same')]],
];

/** Known defects of these checks are keyed by the check's name as both kernel and case. */
const forwardChecks: ConformanceCheck[] = FORWARD.map(([name, tolerance, build]) => ({
  group: ELEMENTWISE_GROUP,
  id: name,
  title: (backend) => `when ${backend} runs ${name} should match cpu`,
  async measure(probe) {
    return [(await comparedWithCpu(probe, name, name, name, tolerance, build)).measurement];
  },
}));

const MAX_POOL_3D_CASE = '2x2x2 stride 2 valid on 1x5x6x7x3, six inputs';

/** MaxPool3D over six inputs, the largest error counting: wasm's defect shows on some inputs only. */
const maxPool3dCheck: ConformanceCheck = {
  group: ELEMENTWISE_GROUP,
  id: `MaxPool3D (${MAX_POOL_3D_CASE})`,
  title: (backend) => `when ${backend} runs MaxPool3D should ${knownDefectOf(backend, tf.MaxPool3D, MAX_POOL_3D_CASE) ? `disagree with cpu (known ${backend} defect)` : 'match cpu'}`,
  async measure(probe) {
    const what = `MaxPool3D ${MAX_POOL_3D_CASE}`;
    const build = (seed: number) => () => tf.maxPool3d(input([1, 5, 6, 7, 3], seed) as tf.Tensor5D, 2, 2, 'valid');
    const defect = knownDefectOf(probe.backend, tf.MaxPool3D, MAX_POOL_3D_CASE);
    if (throwsDefect(defect)) return [await stillThrows(probe, what, defect, build(1))];
    let worst = 0;
    for (const seed of [1, 2, 3, 4, 5, 6]) worst = Math.max(worst, await probe.errorAgainstCpu(build(seed)));
    return [defect?.defect === 'wrong values' ? stillShows(probe, what, defect, worst) : within(probe, what, worst, 'pooling')];
  },
};

/**
 * Rank-5 PadV2, Reverse and Select, which micflow's 3D ops run inside their gradients (slice's gradient pads;
 * conv3dSame flips its kernel; the fused LeakyReLU gradient selects). Added for webgl, whose shaders stop at rank 4
 * for some kernels; the wasm and native runs reach them through the op checks instead.
 */
const x5 = () => input([2, 3, 4, 3, 2], 1);
const RANK_5: ReadonlyArray<[string, string, () => tf.Tensor]> = [
  [tf.PadV2, 'PadV2 of rank 5', () => tf.pad(x5(), [[0, 1], [1, 0], [0, 0], [1, 1], [0, 0]], 0.5)],
  [tf.Reverse, 'Reverse of rank 5 over the spatial axes', () => tf.reverse(x5(), [0, 1, 2])],
  [tf.Select, 'Select of rank 5', () => tf.where(tf.greater(x5(), input([2, 3, 4, 3, 2], 2)), x5(), 0.5)],
];
const rank5Checks: ConformanceCheck[] = RANK_5.map(([kernel, name, build]) => ({
  group: ELEMENTWISE_GROUP,
  id: name,
  backends: ['webgl'],
  title: (backend) => `when ${backend} runs ${name} should ${throwsDefect(knownDefectOf(backend, kernel, name)) ? `throw (known ${backend} defect)` : 'match cpu'}`,
  async measure(probe) {
    return [(await comparedWithCpu(probe, kernel, name, name, 'elementwise', build)).measurement];
  },
}));

export const elementwiseChecks: readonly ConformanceCheck[] = [...forwardChecks, maxPool3dCheck, ...rank5Checks];
