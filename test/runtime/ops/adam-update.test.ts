import * as tf from '@tensorflow/tfjs-core';
import { beforeAll, describe, expect, it } from 'vitest';
import { nativeBackendCandidate } from '../../../src/runtime/backend-candidates.js';
import { NATIVE_ADAM_UPDATE } from '../../../src/runtime/native/native-kernels.js';
import { adamUpdate, type AdamMoments, type AdamStepSettings } from '../../../src/runtime/ops/adam-update.js';
import { BACKENDS, useBackend } from './op-test-helpers.js';

const native = await nativeBackendCandidate.load(tf);
if (!native.available && process.env.MICFLOW_REQUIRE_NATIVE === '1') {
  throw new Error(`MICFLOW_REQUIRE_NATIVE=1 but the native backend is unavailable: ${native.reason}`);
}
/** cpu and wasm run the composite ops; native (when built) its one-pass addon kernel. */
const nativeBackend = native.available ? native.backendName : undefined;
const BACKENDS_HERE = [...BACKENDS, ...(nativeBackend === undefined ? [] : [nativeBackend])];

function expectValues(tensor: tf.Tensor, expected: readonly number[]): void {
  const got = Array.from(tensor.dataSync());
  expect(got).toHaveLength(expected.length);
  got.forEach((value, i) => expect(value, `element ${i}`).toBeCloseTo(expected[i], 6));
}

for (const backend of BACKENDS_HERE) {
  describe(`adamUpdate on the ${backend} backend`, () => {
    beforeAll(() => useBackend(backend));

    let count = 0;
    const variables = (x: number[]) => {
      count += 1;
      const variable = tf.variable(tf.tensor1d(x), true, `adam_update_${backend}_${count}`);
      const moments: AdamMoments = { m: tf.variable(tf.zeros([x.length]), false), v: tf.variable(tf.zeros([x.length]), false) };
      return { variable, moments, dispose: () => tf.dispose([variable, moments.m, moments.v]) };
    };

    describe('having x = (1, -2), betas 0.5 and 0.5, eps 0.1, weight decay 0.1, lr 0.1', () => {
      // By hand: the decayed gradient g' = g + 0.1 x is kept at (0.6, -0.1) on both steps (step 2's g is chosen so).
      // Step 1: m = 0.5 g' = (0.3, -0.05), v = 0.5 g'^2 = (0.18, 0.005); corrections 1 - 0.5 = 0.5 both, so
      // m / 0.5 = g' and sqrt(v / 0.5) = |g'| = (0.6, 0.1): x -= 0.1 (0.6 / 0.7, -0.1 / 0.2) = (0.0857142857, -0.05).
      // Step 2: m = 0.5 m + 0.5 g' = (0.45, -0.075), v = 0.5 v + 0.5 g'^2 = (0.27, 0.0075); corrections 1 - 0.25 =
      // 0.75, so again m / 0.75 = g', sqrt(v / 0.75) = |g'| and x moves by the same (0.0857142857, -0.05).
      const settings = (step: number): AdamStepSettings => ({ lr: 0.1, beta1: 0.5, beta2: 0.5, eps: 0.1, weightDecay: 0.1, step });

      it('should update the moments and the variable as worked out by hand over two steps, leaving no tensor behind', () => {
        const { variable, moments, dispose } = variables([1, -2]);
        const before = tf.memory().numTensors;
        const first = tf.tensor1d([0.5, 0.1]);
        adamUpdate(variable, first, moments, settings(1));
        first.dispose();
        expect(tf.memory().numTensors).toBe(before);
        expectValues(moments.m, [0.3, -0.05]);
        expectValues(moments.v, [0.18, 0.005]);
        expectValues(variable, [1 - 0.6 / 7, -1.95]);

        const x1 = variable.dataSync();
        const second = tf.tensor1d([0.6 - 0.1 * x1[0], -0.1 - 0.1 * x1[1]]);
        adamUpdate(variable, second, moments, settings(2));
        second.dispose();
        expect(tf.memory().numTensors).toBe(before);
        expectValues(moments.m, [0.45, -0.075]);
        expectValues(moments.v, [0.27, 0.0075]);
        expectValues(variable, [1 - 1.2 / 7, -1.9]);
        dispose();
      });
    });

    describe('having no weight decay and eps 1e-8', () => {
      it('should move the variable by lr times the sign of the gradient on the first step', () => {
        const { variable, moments, dispose } = variables([1, -2, 0.5]);
        const gradient = tf.tensor1d([0.5, 0.1, -3]);
        adamUpdate(variable, gradient, moments, { lr: 0.1, beta1: 0.9, beta2: 0.999, eps: 1e-8, weightDecay: 0, step: 1 });
        // m = 0.1 g, v = 0.001 g^2; bias-corrected m / sqrt(v) = g / |g|.
        expectValues(moments.m, [0.05, 0.01, -0.3]);
        expectValues(moments.v, [0.00025, 0.00001, 0.009]);
        expectValues(variable, [0.9, -2.1, 0.6]);
        gradient.dispose();
        dispose();
      });
    });

    it(`should ${backend === nativeBackend ? '' : 'not '}run the native one-pass kernel`, async () => {
      const { variable, moments, dispose } = variables([1, 2]);
      const gradient = tf.tensor1d([0.5, 0.5]);
      const profile = await tf.profile(() => adamUpdate(variable, gradient, moments, { lr: 0.1, beta1: 0.9, beta2: 0.999, eps: 1e-8, weightDecay: 0.1, step: 1 }));
      expect(profile.kernelNames.includes(NATIVE_ADAM_UPDATE)).toBe(backend === nativeBackend);
      gradient.dispose();
      dispose();
    });
  });
}
