import * as tf from '@tensorflow/tfjs-core';
import '@tensorflow/tfjs-backend-cpu';
import { beforeAll, describe, expect, it } from 'vitest';
import { instantiateStage } from '../../src/graph/instantiate-stage.js';
import { pyramidConsistencyLoss } from '../../src/losses/pyramid-consistency-loss.js';
import { builtInStageClasses } from '../../src/stages/built-in-stages.js';
import { PyramidConsistencyLoss } from '../../src/stages/losses/pyramid-consistency-loss-stage.js';
import { expectGradientMatchesFiniteDifferences } from './loss-gradient-check.js';
import { pseudoRandom } from './tensor-test-helpers.js';

beforeAll(async () => {
  await tf.setBackend('cpu');
});

/**
 * A second implementation in plain JavaScript, loop by loop: probs[s][pixel][class]. Smoothing 0.99 p + 0.005, mean over
 * scales, v = KL(mean ‖ p_s) per pixel, w = exp(−v), loss_s = [Σ w (mean − p_s)² / (P C)] / [Σ w / P + 1e-8] + Σ v / P.
 */
function referenceLoss(probs: number[][][]): number {
  const scales = probs.length;
  const pixels = probs[0].length;
  const classes = probs[0][0].length;
  const smoothed = probs.map((s) => s.map((px) => px.map((p) => 0.99 * p + 0.005)));
  const mean = Array.from({ length: pixels }, (_, i) =>
    Array.from({ length: classes }, (_, c) => smoothed.reduce((sum, s) => sum + s[i][c], 0) / scales),
  );
  let total = 0;
  for (const s of smoothed) {
    let weightedSquares = 0;
    let weights = 0;
    let divergences = 0;
    for (let i = 0; i < pixels; i++) {
      let v = 0;
      for (let c = 0; c < classes; c++) v += mean[i][c] * (Math.log(mean[i][c]) - Math.log(s[i][c]));
      const w = Math.exp(-v);
      for (let c = 0; c < classes; c++) weightedSquares += w * (mean[i][c] - s[i][c]) ** 2;
      weights += w;
      divergences += v;
    }
    total += weightedSquares / (pixels * classes) / (weights / pixels + 1e-8) + divergences / pixels;
  }
  return total / scales;
}

const lossOf = (probs: number[][][]) =>
  tf.tidy(() => pyramidConsistencyLoss(probs.map((s) => tf.tensor2d(s))).dataSync()[0]);

describe('pyramidConsistencyLoss', () => {
  describe('having two scales that agree', () => {
    it('should be 0', () => {
      expect(lossOf([[[0.3, 0.7], [0.9, 0.1]], [[0.3, 0.7], [0.9, 0.1]]])).toBeCloseTo(0, 7);
    });
  });

  describe('having one pixel, two scales (0.2, 0.8) and (0.6, 0.4)', () => {
    it('should equal the value worked by hand', () => {
      // Smoothed: a = (0.203, 0.797), b = (0.599, 0.401); mean m = (0.401, 0.599).
      const a = [0.203, 0.797];
      const b = [0.599, 0.401];
      const m = [0.401, 0.599];
      const kl = (p: number[]) => m[0] * Math.log(m[0] / p[0]) + m[1] * Math.log(m[1] / p[1]);
      // One pixel: mean(w (m − p)²) / (mean(w) + 1e-8) = w · 0.198² / (w + 1e-8), the same for both scales.
      const term = (p: number[]) => {
        const w = Math.exp(-kl(p));
        return (w * 0.198 ** 2) / (w + 1e-8) + kl(p);
      };
      expect(lossOf([[[0.2, 0.8]], [[0.6, 0.4]]])).toBeCloseTo((term(a) + term(b)) / 2, 6);
    });
  });

  describe('having four scales of 6 pixels and 3 classes', () => {
    it('should equal the loop-by-loop reference', () => {
      const probs = [0, 1, 2, 3].map((s) =>
        Array.from({ length: 6 }, (_, i) => {
          const raw = pseudoRandom(3, 100 * s + i + 1, 0.05, 1);
          const total = raw.reduce((x, y) => x + y, 0);
          return Array.from(raw, (v) => v / total);
        }),
      );
      expect(lossOf(probs)).toBeCloseTo(referenceLoss(probs), 5);
    });
  });

  describe('when the scales disagree more', () => {
    it('should grow', () => {
      const close = lossOf([[[0.5, 0.5]], [[0.55, 0.45]], [[0.45, 0.55]]]);
      const far = lossOf([[[0.5, 0.5]], [[0.95, 0.05]], [[0.05, 0.95]]]);
      expect(far).toBeGreaterThan(close);
    });
  });

  describe('when differentiated with respect to the logits of every scale', () => {
    it('should match central finite differences', () => {
      // x holds 3 scales × 2 pixels × 3 classes of logits.
      expectGradientMatchesFiniteDifferences(
        (x) => tf.tidy(() => pyramidConsistencyLoss(tf.unstack(tf.softmax(x)))),
        [3, 2, 3],
        41,
        { lo: -1.5, hi: 1.5 },
      );
    });
  });

  describe('when given fewer than two maps or maps of different shapes', () => {
    it('should throw saying what is wrong', () => {
      expect(() => pyramidConsistencyLoss([tf.ones([1, 2])])).toThrow('needs at least 2 probability maps, got 1');
      expect(() => pyramidConsistencyLoss([tf.ones([1, 4, 4, 2]), tf.ones([1, 2, 2, 2])])).toThrow(
        'map 1 has shape [1,2,2,2] but map 0 has [1,4,4,2]; resize the scales to one resolution first',
      );
    });
  });
});

describe('the PyramidConsistencyLoss stage', () => {
  it('should give the loss of its wired probability maps', () => {
    const stage = instantiateStage(PyramidConsistencyLoss, { nodeName: 'pyramid' });
    const out = stage.compute({ probs: [tf.tensor2d([[0.2, 0.8]]), tf.tensor2d([[0.6, 0.4]])] });
    expect(out.loss.dataSync()[0]).toBeCloseTo(lossOf([[[0.2, 0.8]], [[0.6, 0.4]]]), 7);
  });

  it('should reject wiring of a single map', () => {
    expect(PyramidConsistencyLoss.checkWiring({}, { probs: 1 })).toContain('at least 2 scales');
    expect(PyramidConsistencyLoss.checkWiring({}, { probs: 4 })).toBeUndefined();
  });

  it('should be registered as a built-in stage', () => {
    expect(builtInStageClasses.filter((c) => c.className === 'PyramidConsistencyLoss')).toEqual([PyramidConsistencyLoss]);
  });
});
