import * as tf from '@tensorflow/tfjs-core';
import '@tensorflow/tfjs-backend-cpu';
import { describe, expect, it } from 'vitest';
import { instantiateStage } from '../../../src/graph/instantiate-stage.js';
import { nativeBackendCandidate } from '../../../src/runtime/backend-candidates.js';
import { SeededRandom } from '../../../src/runtime/seeded-random.js';
import { Adam, type AdamParams } from '../../../src/stages/optimisers/adam.js';

const native = await nativeBackendCandidate.load(tf);
if (!native.available && process.env.MICFLOW_REQUIRE_NATIVE === '1') {
  throw new Error(`MICFLOW_REQUIRE_NATIVE=1 but the native backend is unavailable: ${native.reason}`);
}
const BACKENDS = ['cpu', ...(native.available ? [native.backendName] : [])];

/** PyTorch's Adam (torch.optim.Adam, amsgrad off) on plain arrays in double precision, a second implementation. */
function referenceAdam(x0: Float32Array, gradients: Float32Array[], lrs: number[], p: AdamParams): Float64Array {
  const x = Float64Array.from(x0);
  const m = new Float64Array(x.length);
  const v = new Float64Array(x.length);
  const [b1, b2] = p.betas;
  gradients.forEach((g, k) => {
    const step = k + 1;
    for (let i = 0; i < x.length; i++) {
      const gi = g[i] + p.weightDecay * x[i];
      m[i] = b1 * m[i] + (1 - b1) * gi;
      v[i] = b2 * v[i] + (1 - b2) * gi * gi;
      const denominator = Math.sqrt(v[i]) / Math.sqrt(1 - b2 ** step) + p.eps;
      x[i] -= (lrs[k] / (1 - b1 ** step)) * (m[i] / denominator);
    }
  });
  return x;
}

function adam(params: Partial<AdamParams>): Adam {
  return instantiateStage(Adam, { nodeName: 'adam', params });
}

describe('Adam', () => {
  for (const backend of BACKENDS) {
    describe(`having a variable and four gradients on ${backend}`, () => {
      it('when stepping with weight decay and a milestone should follow PyTorch\'s rule, hold two moments and leave nothing behind when disposed', async () => {
        await tf.setBackend(backend);
        const random = new SeededRandom(3);
        const x0 = random.normalArray(37);
        const gradients = Array.from({ length: 4 }, () => random.normalArray(37));
        const params = Adam.paramsSchema.parse({ lr: 0.05, betas: [0.8, 0.95], eps: 1e-6, weightDecay: 0.1, milestones: [3], gamma: 0.5 });
        const stage = adam(params);
        const variable = tf.tidy(() => tf.variable(tf.tensor(x0, [37]), true, `adam_test_${backend}`));
        const before = tf.memory().numTensors;
        let live = 0;
        gradients.forEach((g, k) => {
          const gradient = tf.tensor(g, [37]);
          stage.apply({ [variable.name]: gradient }, [variable], k + 1);
          gradient.dispose();
          if (k === 0) live = tf.memory().numTensors; // the first step creates the moments
          else expect(tf.memory().numTensors).toBe(live);
        });
        const expected = referenceAdam(x0, gradients, [1, 2, 3, 4].map((i) => stage.learningRate(i)), params);
        expect([1, 2, 3, 4].map((i) => stage.learningRate(i))).toEqual([0.05, 0.05, 0.025, 0.025]);
        const got = variable.dataSync();
        got.forEach((value, i) => expect(value).toBeCloseTo(expected[i], 5));
        expect(live).toBe(before + 2); // the two moments
        stage.dispose();
        expect(tf.memory().numTensors).toBe(before);
        variable.dispose();
      });
    });
  }

  describe.skipIf(!native.available)('having the native backend', () => {
    it('when stepping a conv kernel without weight decay should give the cpu backend\'s values', async () => {
      const random = new SeededRandom(8);
      const x0 = random.normalArray(3 * 3 * 4 * 5);
      const gradients = Array.from({ length: 3 }, () => random.normalArray(x0.length));
      const run = async (backend: string) => {
        await tf.setBackend(backend);
        const stage = adam({ lr: 1e-3, weightDecay: 0 });
        const variable = tf.variable(tf.tensor(x0, [3, 3, 4, 5]), true, `adam_kernel_${backend}`);
        gradients.forEach((g, k) => tf.tidy(() => stage.apply({ [variable.name]: tf.tensor(g, [3, 3, 4, 5]) }, [variable], k + 1)));
        const values = variable.dataSync().slice();
        stage.dispose();
        variable.dispose();
        return values;
      };
      const expected = await run('cpu');
      const actual = await run(native.available ? native.backendName : 'cpu');
      actual.forEach((value, i) => expect(Math.abs(value - expected[i])).toBeLessThanOrEqual(1e-6 * Math.max(1, Math.abs(expected[i]))));
    });
  });

  describe('having clipGradientNorm 1 and two variables whose gradients have global norm 13', () => {
    it('should step as PyTorch does after clip_grad_norm_ (gradients scaled by 1 / (13 + 1e-6)), and not scale gradients already within the bound', async () => {
      await tf.setBackend('cpu');
      // |(3, 4)| = 5 and |(12)| = 12: the global norm is sqrt(25 + 144) = 13.
      const g1 = Float32Array.from([3, 4]);
      const g2 = Float32Array.from([12]);
      const step = (clipGradientNorm: number | null, scale: number) => {
        const params = Adam.paramsSchema.parse({ lr: 0.1, weightDecay: 0, clipGradientNorm });
        const stage = adam(params);
        const a = tf.variable(tf.tensor([1, -1]), true, `clip_a_${clipGradientNorm}_${scale}`);
        const b = tf.variable(tf.tensor([2]), true, `clip_b_${clipGradientNorm}_${scale}`);
        const before = tf.memory().numTensors;
        tf.tidy(() => stage.apply({ [a.name]: tf.mul(tf.tensor(g1), scale), [b.name]: tf.mul(tf.tensor(g2), scale) }, [a, b], 1));
        expect(tf.memory().numTensors).toBe(before + 4); // two moments per variable, no scaled gradient left behind
        const got = [...a.dataSync(), ...b.dataSync()];
        const scaledBy = clipGradientNorm !== null && 13 * scale > clipGradientNorm ? clipGradientNorm / (13 * scale + 1e-6) : 1;
        const expected = [
          ...referenceAdam(Float32Array.from([1, -1]), [g1.map((g) => g * scale * scaledBy)], [0.1], params),
          ...referenceAdam(Float32Array.from([2]), [g2.map((g) => g * scale * scaledBy)], [0.1], params),
        ];
        stage.dispose();
        tf.dispose([a, b]);
        return { got, expected, scaledBy };
      };
      const clipped = step(1, 1);
      expect(clipped.scaledBy).toBeCloseTo(1 / 13, 7);
      clipped.got.forEach((value, i) => expect(value).toBeCloseTo(clipped.expected[i], 6));
      // Adam's first step is lr · sign(g) whatever the scale (m̂ / sqrt(v̂) = g / |g|), so compare with eps making scale visible:
      const tinyEps = (clip: number | null, scale: number) => {
        const params = Adam.paramsSchema.parse({ lr: 0.1, weightDecay: 0, eps: 1, clipGradientNorm: clip });
        const stage = adam(params);
        const a = tf.variable(tf.tensor([0, 0]), true, `clip_eps_${clip}_${scale}`);
        const b = tf.variable(tf.tensor([0]), true, `clip_eps_b_${clip}_${scale}`);
        tf.tidy(() => stage.apply({ [a.name]: tf.mul(tf.tensor(g1), scale), [b.name]: tf.mul(tf.tensor(g2), scale) }, [a, b], 1));
        const got = [...a.dataSync(), ...b.dataSync()];
        stage.dispose();
        tf.dispose([a, b]);
        return got;
      };
      // With eps = 1 the step is lr · g / (|g| + 1): clipping to norm 1 gives lr · (g/13) / (|g|/13 + 1).
      const clippedEps = tinyEps(1, 1);
      const byHand = [3, 4, 12].map((g) => (-0.1 * (g / (13 + 1e-6))) / (Math.abs(g / (13 + 1e-6)) + 1));
      clippedEps.forEach((value, i) => expect(value).toBeCloseTo(byHand[i], 6));
      // Within the bound (norm 0.65 < 1) nothing is scaled: the same as no clipping at all.
      expect(tinyEps(1, 0.05)).toEqual(tinyEps(null, 0.05));
      expect(tinyEps(1, 1)).not.toEqual(tinyEps(null, 1));
    });
  });

  describe('having taken two steps and saved its state', () => {
    it('when a fresh Adam restores that state should take the third step exactly as the original does', async () => {
      await tf.setBackend('cpu');
      const random = new SeededRandom(11);
      const x0 = random.normalArray(9);
      const gradients = Array.from({ length: 3 }, () => random.normalArray(9));
      const original = adam({ lr: 0.01 });
      const a = tf.variable(tf.tensor(x0), true, 'state_a');
      gradients.slice(0, 2).forEach((g, k) => tf.tidy(() => original.apply({ [a.name]: tf.tensor(g) }, [a], k + 1)));
      const state = await original.saveState();
      expect(state.values).toEqual({ steps: { state_a: 2 } });
      const b = tf.variable(a.clone(), true, 'state_b');
      const restored = adam({ lr: 0.01 });
      // The copy's variable has another name: map the saved moments onto it.
      restored.restoreState({
        values: { steps: { state_b: 2 } },
        tensors: { 'm/state_b': state.tensors!['m/state_a'], 'v/state_b': state.tensors!['v/state_a'] },
      });
      tf.tidy(() => original.apply({ [a.name]: tf.tensor(gradients[2]) }, [a], 3));
      tf.tidy(() => restored.apply({ [b.name]: tf.tensor(gradients[2]) }, [b], 3));
      expect(Array.from(b.dataSync())).toEqual(Array.from(a.dataSync()));
      // A fresh Adam without the state takes a different (first) step.
      const fresh = adam({ lr: 0.01 });
      const c = tf.variable(tf.tensor(x0), true, 'state_c');
      gradients.slice(0, 2).forEach((g, k) => tf.tidy(() => fresh.apply({ [c.name]: tf.tensor(g) }, [c], k + 1)));
      expect(Array.from(c.dataSync())).not.toEqual(Array.from(a.dataSync()));
      expect(() => adam({}).restoreState({ values: { steps: { missing: 1 } }, tensors: {} })).toThrow(
        'optimiser "adam": the checkpoint has no moments for variable missing',
      );
      for (const stage of [original, restored, fresh]) stage.dispose();
      tf.dispose([a, b, c]);
    });
  });
});
