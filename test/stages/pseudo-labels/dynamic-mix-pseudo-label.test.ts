import * as tf from '@tensorflow/tfjs-core';
import '@tensorflow/tfjs-backend-cpu';
import { beforeAll, describe, expect, it } from 'vitest';
import '../../../src/runtime/register-gradients.js';
import { instantiateStage } from '../../../src/graph/instantiate-stage.js';
import type { TickContext } from '../../../src/graph/stage.js';
import { SeededRandom } from '../../../src/runtime/seeded-random.js';
import { DynamicMixPseudoLabel } from '../../../src/stages/pseudo-labels/dynamic-mix-pseudo-label.js';

beforeAll(async () => {
  await tf.setBackend('cpu');
});

const stageWith = (params: unknown) =>
  instantiateStage(DynamicMixPseudoLabel, { nodeName: 'mix', params });
const tickAt = (iteration: number): TickContext => ({ iteration, iterations: 10, random: new SeededRandom(7).derive('tick', iteration) });
// Two pixels, two classes.
const first = () => tf.tensor3d([[[0.7, 0.3], [0.2, 0.8]]]);
const second = () => tf.tensor3d([[[0.1, 0.9], [0.6, 0.4]]]);

describe('DynamicMixPseudoLabel', () => {
  describe('having α = 0.75', () => {
    it('should mix to (0.55, 0.45) and (0.3, 0.7) and label the pixels 0 and 1', () => {
      const out = stageWith({ alpha: 0.75 }).compute({ first: first(), second: second() }, tickAt(1));
      expect(out.label.dtype).toBe('int32');
      expect(Array.from(out.label.dataSync())).toEqual([0, 1]);
      [0.55, 0.45, 0.3, 0.7].forEach((v, i) => expect(out.prob.dataSync()[i]).toBeCloseTo(v, 6));
      expect(out.alpha.dataSync()[0]).toBe(0.75);
    });

    it('should differ from either branch alone, whose argmaxes are (0, 1) and (1, 0)', () => {
      // α = 0.25: (0.25, 0.75) → 1 and (0.5, 0.5) → tie, argmax takes the first class; α = 0.4: (0.34, 0.66), (0.44, 0.56).
      const out = stageWith({ alpha: 0.4 }).compute({ first: first(), second: second() }, tickAt(1));
      expect(Array.from(out.label.dataSync())).toEqual([1, 1]);
    });
  });

  describe('without a fixed α', () => {
    it('should draw α uniformly from the tick randomness: the same within a tick, different across ticks', () => {
      const stage = stageWith({});
      const alphas = [1, 1, 2, 3].map((it) => stage.compute({ first: first(), second: second() }, tickAt(it)).alpha.dataSync()[0]);
      expect(alphas[0]).toBe(alphas[1]);
      expect(new Set(alphas.slice(1)).size).toBe(3);
      for (const a of alphas) expect(a >= 0 && a < 1).toBe(true);
      expect(alphas[0]).toBeCloseTo(new SeededRandom(7).derive('tick', 1).uniform(), 6);
    });

    it('should mix with the α it reports', () => {
      const out = stageWith({}).compute({ first: first(), second: second() }, tickAt(5));
      const a = out.alpha.dataSync()[0];
      const expected = [0.7 * a + 0.1 * (1 - a), 0.3 * a + 0.9 * (1 - a), 0.2 * a + 0.6 * (1 - a), 0.8 * a + 0.4 * (1 - a)];
      expected.forEach((v, i) => expect(out.prob.dataSync()[i]).toBeCloseTo(v, 6));
      expect(Array.from(out.label.dataSync())).toEqual([expected[0] > expected[1] ? 0 : 1, expected[2] > expected[3] ? 0 : 1]);
    });
  });

  describe('when differentiated', () => {
    it('should pass no gradient back to either branch', () => {
      const stage = stageWith({ alpha: 0.3 });
      const weights = tf.tensor3d([[[1, 2], [3, 4]]]);
      const [g1, g2] = tf.grads((a: tf.Tensor, b: tf.Tensor) => tf.sum(tf.mul(stage.compute({ first: a, second: b }, tickAt(1)).prob, weights)))([
        first(),
        second(),
      ]);
      expect(Array.from(g1.dataSync())).toEqual([0, 0, 0, 0]);
      expect(Array.from(g2.dataSync())).toEqual([0, 0, 0, 0]);
    });
  });

  describe('when the branches differ in shape', () => {
    it('should throw a MicflowError naming the node', () => {
      expect(() => stageWith({}).compute({ first: first(), second: tf.zeros([1, 2, 3]) }, tickAt(1))).toThrow(/node "mix": first \[1,2,2\] and second \[1,2,3\]/);
    });
  });
});
