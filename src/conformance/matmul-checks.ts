import * as tf from '@tensorflow/tfjs-core';
import type { ConformanceCheck } from './conformance-check.js';
import { input } from './conformance-probe.js';
import { comparedWithCpu } from './measurements.js';

export const MATMUL_GROUP = 'having matrix products (BatchMatMul)';

/** name, a's shape, b's shape, transpose a, transpose b. */
const CASES: ReadonlyArray<[string, number[], number[], boolean, boolean]> = [
  ['batched 3x4x5 by 3x5x2', [3, 4, 5], [3, 5, 2], false, false],
  ['transposed a', [3, 5, 4], [3, 5, 2], true, false],
  ['transposed b', [3, 4, 5], [3, 2, 5], false, true],
  ['both transposed', [2, 5, 4], [2, 2, 5], true, true],
  ['a broadcast over the batch', [1, 4, 5], [3, 5, 2], false, false],
  ['rank 4 by rank 2', [2, 3, 4, 5], [5, 6], false, false],
  ['2D with a long inner axis', [7, 301], [301, 3], false, false],
];

export const matmulChecks: readonly ConformanceCheck[] = CASES.map(([name, a, b, ta, tb]) => ({
  group: MATMUL_GROUP,
  id: `BatchMatMul (${name})`,
  title: (backend) => `when ${backend} multiplies ${name} should match cpu`,
  async measure(probe) {
    const { measurement } = await comparedWithCpu(probe, tf.BatchMatMul, name, `BatchMatMul ${name}`, 'matmul', () => tf.matMul(input(a, 1), input(b, 2), ta, tb));
    return [measurement];
  },
}));
