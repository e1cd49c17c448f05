import * as tf from '@tensorflow/tfjs-core';
import '@tensorflow/tfjs-backend-cpu';
import { beforeAll, describe, expect, it } from 'vitest';
import '../../../src/runtime/register-gradients.js';
import { instantiateStage } from '../../../src/graph/instantiate-stage.js';
import type { TickContext } from '../../../src/graph/stage.js';
import { SeededRandom } from '../../../src/runtime/seeded-random.js';
import { DivergenceAwareSelection } from '../../../src/stages/selection/divergence-aware-selection.js';
import { pseudoRandom } from '../../runtime/ops/op-test-helpers.js';

beforeAll(async () => {
  await tf.setBackend('cpu');
});

const tickAt = (iteration: number): TickContext => ({ iteration, iterations: 100, random: new SeededRandom(1) });
const stageWith = (params: Record<string, unknown>) =>
  instantiateStage(DivergenceAwareSelection, { nodeName: 'select', params });

const PIXELS = 6;
const CLASSES = 3;

/** Probabilities [PIXELS][CLASSES] (rows normalised, float32 values) from a seed. */
function probabilities(seed: number, sharpness: number): number[][] {
  const raw = pseudoRandom(PIXELS * CLASSES, seed, 0, sharpness);
  return Array.from({ length: PIXELS }, (_, i) => {
    const e = Array.from(raw.slice(i * CLASSES, (i + 1) * CLASSES), Math.exp);
    const s = e.reduce((a, b) => a + b, 0);
    return e.map((v) => Math.fround(v / s));
  });
}

/** PyMIC's select_criterion in plain arithmetic: [loss_n (clean branch), loss_c (noisy branch)]. */
function referenceCriteria(clean: number[][], noisy: number[][], labels: number[]): [number, number] {
  const ce = (p: number[], y: number) => -Math.log(0.999 * p[y] + 5e-4);
  const kl = (q: number[], p: number[]) => q.reduce((s, qc, c) => s + qc * (Math.log(qc + 1e-16) - Math.log(p[c] + 1e-16)), 0);
  let n = 0;
  let c = 0;
  labels.forEach((y, i) => {
    const w = Math.exp(-16 * 0.5 * (kl(clean[i], noisy[i]) + kl(noisy[i], clean[i])));
    n += ce(clean[i], y) * w;
    c += ce(noisy[i], y) * w;
  });
  return [n / labels.length, c / labels.length];
}

/** PyMIC's Rank queue (pymic/net_run/noisy_label/nll_dast.py), with a stable sort: an older equal value counts as smaller. */
class ReferenceRank {
  private readonly values: number[] = [];
  constructor(private readonly length: number) {}
  add(value: number): number {
    if (this.values.length < this.length) {
      this.values.push(value);
      return -1;
    }
    this.values.shift();
    this.values.push(value);
    return this.values.slice(0, -1).filter((v) => v <= value).length;
  }
}

function run(stage: DivergenceAwareSelection, iteration: number, clean: number[][], noisy: number[][], labels: number[]) {
  return tf.tidy(() => {
    const out = stage.compute(
      { cleanBranchProb: tf.tensor3d([clean]), noisyBranchProb: tf.tensor3d([noisy]), label: tf.tensor2d([labels], [1, PIXELS], 'int32') },
      tickAt(iteration),
    );
    return Object.fromEntries(Object.entries(out).map(([k, v]) => [k, v.dataSync()[0]])) as Record<keyof typeof out, number>;
  });
}

const labels = [0, 1, 2, 0, 1, 2];
/** Tick t's branch outputs: alternately sharper clean or noisy branch, so both orders of the criteria occur. */
const branchesAt = (t: number) => ({ clean: probabilities(100 + t, t % 3 === 0 ? 1 : 4), noisy: probabilities(200 + t, t % 3 === 0 ? 4 : 1) });

describe('DivergenceAwareSelection', () => {
  describe('having two branch outputs and labels', () => {
    it("should give PyMIC's divergence-weighted criteria", () => {
      const stage = stageWith({});
      const { clean, noisy } = branchesAt(1);
      const out = run(stage, 1, clean, noisy, labels);
      const [lossN, lossC] = referenceCriteria(clean, noisy, labels);
      expect(out.cleanCriterion).toBeCloseTo(lossN, 5);
      expect(out.noisyCriterion).toBeCloseTo(lossC, 5);
      stage.dispose();
    });
  });

  describe('over 30 ticks with rank length 5 and select ratio 0.2', () => {
    it("should open the gates exactly when PyMIC's rank queues and rule would", () => {
      const stage = stageWith({ rankLength: 5, selectRatio: 0.2 });
      const cleanRank = new ReferenceRank(5);
      const noisyRank = new ReferenceRank(5);
      const seen = { consistency: [0, 0], selfTraining: [0, 0] };
      for (let t = 1; t <= 30; t++) {
        const { clean, noisy } = branchesAt(t);
        const out = run(stage, t, clean, noisy, labels);
        const rankN = cleanRank.add(out.cleanCriterion);
        const rankC = noisyRank.add(out.noisyCriterion);
        const cleanSmaller = out.cleanCriterion < out.noisyCriterion;
        const consistency = cleanSmaller && rankC >= 5 * 0.8 ? 1 : 0;
        const selfTraining = cleanSmaller && rankN <= 5 * 0.2 ? 1 : 0;
        expect(out.consistencyGate, `tick ${t}`).toBe(consistency);
        expect(out.selfTrainingGate, `tick ${t}`).toBe(selfTraining);
        seen.consistency[consistency]++;
        seen.selfTraining[selfTraining]++;
      }
      // The sequence exercises both states of both gates.
      expect(Math.min(...seen.consistency, ...seen.selfTraining)).toBeGreaterThan(0);
      stage.dispose();
    });
  });

  describe('having the same branch outputs every tick (equal criteria)', () => {
    it('should rank the newest value after its equal predecessors: consistency gate open, self-training gate closed', () => {
      const t = [1, 2, 3, 4, 5, 6].find((k) => {
        const { clean, noisy } = branchesAt(k);
        const [lossN, lossC] = referenceCriteria(clean, noisy, labels);
        return lossN < lossC;
      })!;
      const { clean, noisy } = branchesAt(t);
      const stage = stageWith({ rankLength: 5, selectRatio: 0.2 });
      for (let tick = 1; tick <= 8; tick++) {
        const out = run(stage, tick, clean, noisy, labels);
        // Ticks 1-5 fill the queue (rank −1); from tick 6 the new value ranks 4 of 0..4.
        expect([out.consistencyGate, out.selfTrainingGate], `tick ${tick}`).toEqual(tick <= 5 ? [0, 1] : [1, 0]);
      }
      stage.dispose();
    });
  });

  describe('while the queue is still filling', () => {
    it('should rank at −1: the consistency gate closed, the self-training gate open whenever the clean criterion is smaller', () => {
      const stage = stageWith({ rankLength: 20 });
      for (let t = 1; t <= 20; t++) {
        const { clean, noisy } = branchesAt(t);
        const out = run(stage, t, clean, noisy, labels);
        expect(out.consistencyGate).toBe(0);
        expect(out.selfTrainingGate).toBe(out.cleanCriterion < out.noisyCriterion ? 1 : 0);
      }
      stage.dispose();
    });
  });

  describe('when evaluated twice in one iteration', () => {
    it('should rank against the same history and push one value per iteration', () => {
      const once = stageWith({ rankLength: 3 });
      const twice = stageWith({ rankLength: 3 });
      for (let t = 1; t <= 12; t++) {
        const { clean, noisy } = branchesAt(t);
        const first = run(twice, t, clean, noisy, labels);
        expect(run(twice, t, clean, noisy, labels)).toEqual(first);
        expect(first).toEqual(run(once, t, clean, noisy, labels));
      }
      once.dispose();
      twice.dispose();
    });
  });

  describe('when run over many ticks', () => {
    it('should hold a constant number of tensors (its queue and the pending values) and release them on dispose', () => {
      const before = tf.memory().numTensors;
      const stage = stageWith({ rankLength: 4 });
      const live: number[] = [];
      for (let t = 1; t <= 10; t++) {
        const { clean, noisy } = branchesAt(t);
        run(stage, t, clean, noisy, labels);
        live.push(tf.memory().numTensors - before);
      }
      expect(new Set(live)).toEqual(new Set([2]));
      stage.dispose();
      expect(tf.memory().numTensors).toBe(before);
    });
  });

  describe('when differentiated', () => {
    it('should pass no gradient to either branch, without failing on the comparisons: only explicit terms count', () => {
      const stage = stageWith({ rankLength: 2 });
      const { clean, noisy } = branchesAt(1);
      const grads = tf.tidy(() =>
        tf
          .grads((c: tf.Tensor, n: tf.Tensor) => {
            const out = stage.compute({ cleanBranchProb: c, noisyBranchProb: n, label: tf.tensor2d([labels], [1, PIXELS], 'int32') }, tickAt(1));
            return tf.addN([out.consistencyGate, out.selfTrainingGate, out.cleanCriterion, out.noisyCriterion, tf.sum(c), tf.sum(n)]);
          })([tf.tensor3d([clean]), tf.tensor3d([noisy])])
          .map((g) => Array.from(g.dataSync())),
      );
      // Only the explicit Σ c + Σ n terms count.
      for (const g of grads) expect(g.every((v) => v === 1)).toBe(true);
      stage.dispose();
    });
  });
});
