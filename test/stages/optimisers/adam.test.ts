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
});
