import * as tf from '@tensorflow/tfjs-core';
import type { ConformanceCheck } from './conformance-check.js';
import type { Measurement } from './conformance-probe.js';
import { sizeOf, values } from './conformance-values.js';
import { knownDefectOf, throwsDefect } from './known-defects.js';
import { comparedWithCpu, stillShows, stillThrows, within } from './measurements.js';

export const POOLING_GROUP = 'having pooling kernels (MaxPool, AvgPool, 2D and 3D, and their gradients)';

interface PoolCase {
  name: string;
  x: number[];
  filter: number[];
  strides: number[];
  pad: 'same' | 'valid';
}
type Kind = 'max' | 'avg';

export const POOL_CASES: readonly PoolCase[] = [
  { name: '2D 2x2 stride 2 valid on odd 2x7x5x3', x: [2, 7, 5, 3], filter: [2, 2], strides: [2, 2], pad: 'valid' },
  { name: '2D 3x3 stride 2x1 same on 3x6x7x2', x: [3, 6, 7, 2], filter: [3, 3], strides: [2, 1], pad: 'same' },
  { name: '2D 3x2 stride 1 same on 1x5x6x4', x: [1, 5, 6, 4], filter: [3, 2], strides: [1, 1], pad: 'same' },
  { name: '3D 2x2x2 stride 2 valid on odd 2x5x6x7x2', x: [2, 5, 6, 7, 2], filter: [2, 2, 2], strides: [2, 2, 2], pad: 'valid' },
  { name: '3D 3x3x3 stride 1x2x1 same on 1x4x5x6x3', x: [1, 4, 5, 6, 3], filter: [3, 3, 3], strides: [1, 2, 1], pad: 'same' },
];

const forward = (c: PoolCase, kind: Kind, x: tf.Tensor) =>
  c.x.length === 4
    ? (kind === 'max' ? tf.maxPool : tf.avgPool)(x as tf.Tensor4D, c.filter as [number, number], c.strides as [number, number], c.pad)
    : (kind === 'max' ? tf.maxPool3d : tf.avgPool3d)(x as tf.Tensor5D, c.filter as [number, number, number], c.strides as [number, number, number], c.pad);
const forwardKernel = (c: PoolCase, kind: Kind) => (c.x.length === 4 ? (kind === 'max' ? tf.MaxPool : tf.AvgPool) : kind === 'max' ? tf.MaxPool3D : tf.AvgPool3D);
const gradKernel = (c: PoolCase, kind: Kind) => (c.x.length === 4 ? (kind === 'max' ? tf.MaxPoolGrad : tf.AvgPoolGrad) : kind === 'max' ? tf.MaxPool3DGrad : tf.AvgPool3DGrad);

/** The gradient kernel as tfjs's gradient calls it (max pooling also receives the forward output). */
function gradient(c: PoolCase, kind: Kind, x: tf.Tensor, dy: tf.Tensor): tf.Tensor {
  const inputs: tf.NamedTensorMap = kind === 'max' ? { dy, input: x, output: forward(c, kind, x) } : { dy, input: x };
  const attrs = { filterSize: c.filter, strides: c.strides, pad: c.pad, dimRoundingMode: undefined };
  return tf.engine().runKernel(gradKernel(c, kind), inputs, attrs as unknown as tf.NamedAttrMap) as tf.Tensor;
}

/**
 * The forward against cpu, the gradient kernel against cpu and against finite differences of the forward. Average
 * pooling is linear in x (any step is exact); max pooling is piecewise linear, and for these fixed inputs a step of
 * 1e-3 changes no window's maximum at the coordinates checked.
 */
function poolCheck(c: PoolCase, kind: Kind): ConformanceCheck {
  const grad = gradKernel(c, kind);
  return {
    group: POOLING_GROUP,
    id: `${forwardKernel(c, kind)} and ${grad} (${c.name})`,
    title: (backend) => `when ${backend} runs ${kind} pooling ${c.name} and its gradient kernel should match cpu${kind === 'avg' ? ' and finite differences' : ''}`,
    async measure(probe) {
      const x = values(sizeOf(c.x), 5);
      const forwardResult = await comparedWithCpu(probe, forwardKernel(c, kind), c.name, `${forwardKernel(c, kind)} ${c.name}`, 'pooling', () => forward(c, kind, tf.tensor(x, c.x)));
      const out: Measurement[] = [forwardResult.measurement];
      if (forwardResult.broken) return out;
      const yShape = await probe.shapeOnCpu(() => forward(c, kind, tf.tensor(x, c.x)));
      const dy = values(sizeOf(yShape), 6);
      const build = () => gradient(c, kind, tf.tensor(x, c.x), tf.tensor(dy, yShape));
      const loss = (v: Float32Array) => tf.sum(tf.mul(forward(c, kind, tf.tensor(v, c.x)), tf.tensor(dy, yShape))) as tf.Scalar;
      const what = `${grad} ${c.name}`;
      const defect = knownDefectOf(probe.backend, grad, c.name);
      if (throwsDefect(defect)) return [...out, await stillThrows(probe, what, defect, build)];
      const [dx] = await probe.run(build);
      const gradientError = await probe.errorAgainstCpu(build);
      if (defect?.defect === 'wrong values') return [...out, stillShows(probe, what, defect, gradientError)];
      if (defect?.defect === 'disagrees with finite differences') {
        // Consistent with cpu, inconsistent with its own forward.
        return [...out, stillShows(probe, what, defect, await probe.finiteDifferenceError(dx, x, loss, 0.5, 12), 'finite differences')];
      }
      if (defect?.defect !== 'cpu reference wrong') out.push(within(probe, what, gradientError, 'pooling'));
      const fd = await probe.finiteDifferenceError(dx, x, loss, kind === 'avg' ? 0.5 : 1e-3, 12);
      out.push(within(probe, `${what} against finite differences`, fd, kind === 'avg' ? 'finite-differences' : 'finite-differences-max-pool'));
      return out;
    },
  };
}

export const poolingChecks: readonly ConformanceCheck[] = POOL_CASES.flatMap((c) => (['max', 'avg'] as const).map((kind) => poolCheck(c, kind)));
