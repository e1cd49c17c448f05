import * as tf from '@tensorflow/tfjs-core';
import '@tensorflow/tfjs-backend-cpu';
import { beforeAll, describe, expect, it } from 'vitest';
import '../../../src/runtime/register-gradients.js';
import { instantiateStage } from '../../../src/graph/instantiate-stage.js';
import type { TickContext } from '../../../src/graph/stage.js';
import { SeededRandom } from '../../../src/runtime/seeded-random.js';
import { ConfidentLearningMask } from '../../../src/stages/selection/confident-learning-mask.js';
import { pseudoRandom } from '../../runtime/ops/op-test-helpers.js';

beforeAll(async () => {
  await tf.setBackend('cpu');
});

const tickAt = (iteration: number): TickContext => ({ iteration, iterations: 10, random: new SeededRandom(1) });
const stageWith = (params: Record<string, unknown>) =>
  instantiateStage(ConfidentLearningMask, { nodeName: 'confident', params });

/** The stage's mask and flagged fraction for probabilities [pixels][classes] and labels of one image row. */
function flags(probs: number[][], labels: number[], params: Record<string, unknown> = {}, iteration = 1) {
  return tf.tidy(() => {
    const out = stageWith(params).compute({ prob: tf.tensor3d([probs]), label: tf.tensor2d([labels], [1, labels.length], 'int32') }, tickAt(iteration));
    return { mask: Array.from(out.mask.dataSync()), flagged: out.flagged.dataSync()[0] };
  });
}

/** Independent reference of the confident-joint off-diagonal rule, in plain loops. */
function referenceFlags(probs: number[][], labels: number[]): number[] {
  const classes = probs[0].length;
  const thresholds = Array.from({ length: classes }, (_, j) => {
    const own = probs.filter((_, i) => labels[i] === j).map((p) => p[j]);
    return own.length ? own.reduce((a, b) => a + b, 0) / own.length : Infinity;
  });
  return probs.map((p, i) => {
    let best = -1;
    for (let j = 0; j < classes; j++) if (p[j] >= thresholds[j] && (best < 0 || p[j] > p[best])) best = j;
    return best >= 0 && best !== labels[i] ? 1 : 0;
  });
}

describe('ConfidentLearningMask', () => {
  describe('having seven pixels of three classes with two confidently contradicted labels and one unsure pixel', () => {
    const probs = [
      [0.8, 0.1, 0.1], // label 0, agrees
      [0.2, 0.7, 0.1], // label 0, but class 1 is above its threshold 0.6
      [0.1, 0.8, 0.1], // label 1, agrees
      [0.1, 0.4, 0.5], // label 1, class 2 reaches its threshold 0.5
      [0.1, 0.1, 0.8], // label 2, agrees
      [0.6, 0.2, 0.2], // label 2, class 0 is above its threshold 0.4667
      [0.4, 0.3, 0.3], // label 0, no class reaches its threshold: not counted
    ];
    const labels = [0, 0, 1, 1, 2, 2, 0];

    it('should flag the pixels whose most probable confident class differs from the label (thresholds 0.4667, 0.6, 0.5)', () => {
      const { mask, flagged } = flags(probs, labels);
      expect(mask).toEqual([0, 1, 0, 1, 0, 1, 0]);
      expect(flagged).toBeCloseTo(3 / 7, 6);
    });

    it('should flag nothing before the start iteration', () => {
      expect(flags(probs, labels, { start: 5 }, 4).mask).toEqual([0, 0, 0, 0, 0, 0, 0]);
      expect(flags(probs, labels, { start: 5 }, 5).mask).toEqual([0, 1, 0, 1, 0, 1, 0]);
    });
  });

  describe('having a class that no pixel is labelled with', () => {
    it('should never make it a confident alternative', () => {
      expect(flags([[0.1, 0.1, 0.8], [0.9, 0.05, 0.05]], [0, 0]).mask).toEqual([0, 0]);
    });
  });

  describe('having random probabilities and labels', () => {
    it('should agree with a plain-loop implementation', () => {
      const pixels = 200;
      const classes = 4;
      const raw = pseudoRandom(pixels * classes, 7, 0.01, 1);
      const probs = Array.from({ length: pixels }, (_, i) => {
        const row = Array.from(raw.slice(i * classes, (i + 1) * classes));
        const sum = row.reduce((a, b) => a + b, 0);
        return row.map((v) => Math.fround(v / sum));
      });
      const labels = Array.from(pseudoRandom(pixels, 8, 0, classes), Math.floor);
      const expected = referenceFlags(probs, labels);
      expect(expected.some((v) => v === 1) && expected.some((v) => v === 0)).toBe(true);
      expect(flags(probs, labels).mask).toEqual(expected);
    });
  });

  describe('when differentiated', () => {
    it('should pass no gradient to the probabilities, without failing on the comparisons: only the explicit term of Σ mask + Σ p counts', () => {
      const stage = stageWith({});
      const g = tf.tidy(() =>
        Array.from(
          tf
            .grad((p: tf.Tensor) => tf.add(tf.sum(stage.compute({ prob: p, label: tf.tensor2d([[0, 1]], [1, 2], 'int32') }, tickAt(1)).mask), tf.sum(p)))(
              tf.tensor3d([[[0.3, 0.7], [0.6, 0.4]]]),
            )
            .dataSync(),
        ),
      );
      expect(g).toEqual([1, 1, 1, 1]);
    });
  });
});
