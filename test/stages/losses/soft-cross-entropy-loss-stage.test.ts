import * as tf from '@tensorflow/tfjs-core';
import '@tensorflow/tfjs-backend-cpu';
import { beforeAll, describe, expect, it } from 'vitest';
import '../../../src/runtime/register-gradients.js';
import { instantiateStage } from '../../../src/graph/instantiate-stage.js';
import type { InputsOf } from '../../../src/graph/stage.js';
import { SoftCrossEntropyLoss } from '../../../src/stages/losses/soft-cross-entropy-loss-stage.js';
import { analyticAndNumericGradient, pseudoRandom } from '../../losses/tensor-test-helpers.js';

beforeAll(async () => {
  await tf.setBackend('cpu');
});

const stage = instantiateStage(SoftCrossEntropyLoss, { nodeName: 'soft' });
const loss = (inputs: InputsOf<typeof SoftCrossEntropyLoss.inputs>) => stage.compute(inputs).loss as tf.Scalar;

describe('SoftCrossEntropyLoss', () => {
  describe('having logits (0, ln 3) and (2, 0) and targets (½, ½) and (1, 0)', () => {
    // softmax: (¼, ¾) and (e²/(e²+1), 1/(e²+1)); −½ ln ¼ − ½ ln ¾ = ½ ln(16/3); −ln(e²/(e²+1)) = ln(1 + e⁻²).
    const logits = () => tf.tensor4d([[[[0, Math.log(3)], [2, 0]]]]);
    const target = () => tf.tensor4d([[[[0.5, 0.5], [1, 0]]]]);
    const first = 0.5 * Math.log(16 / 3);
    const second = Math.log(1 + Math.exp(-2));

    it('should give the mean over pixels of −Σ q log p', () => {
      expect(loss({ prediction: logits(), target: target() }).dataSync()[0]).toBeCloseTo((first + second) / 2, 6);
    });

    it('should count only the pixels of a mask', () => {
      expect(loss({ prediction: logits(), target: target(), mask: tf.tensor3d([[[1, 0]]]) }).dataSync()[0]).toBeCloseTo(first, 6);
    });

    it('should have gradient (p − q) / pixels with respect to the logits', () => {
      const gz = tf.grad((z: tf.Tensor) => loss({ prediction: z, target: target() }))(logits());
      const s = Math.exp(2) / (Math.exp(2) + 1);
      [(0.25 - 0.5) / 2, (0.75 - 0.5) / 2, (s - 1) / 2, (1 - s) / 2].forEach((v, i) => expect(gz.dataSync()[i]).toBeCloseTo(v, 6));
    });
  });

  describe('when the target is computed from the same logits (a pseudo label of the network)', () => {
    it('should pass no gradient through the target: d/dz = (softmax(z) − q) / pixels with q = softmax(2z) held fixed', () => {
      const z0 = tf.tensor4d([[[[0.3, -1], [2, 0.5]]]]);
      const gz = tf.grad((z: tf.Tensor) => loss({ prediction: z, target: tf.softmax(tf.mul(z, 2)) }))(z0);
      const expected = tf.div(tf.sub(tf.softmax(z0), tf.softmax(tf.mul(z0, 2))), 2).dataSync();
      expected.forEach((v, i) => expect(gz.dataSync()[i]).toBeCloseTo(v, 6));
    });
  });

  describe('having random logits and a random soft target', () => {
    it('should have an analytic gradient matching central finite differences', () => {
      const raw = pseudoRandom(2 * 3 * 3 * 4, 11, 0.1, 1);
      const target = tf.tidy(() => {
        const t = tf.tensor(raw, [2, 3, 3, 4]);
        return tf.div(t, tf.sum(t, -1, true));
      });
      const mask = tf.tensor(Array.from({ length: 18 }, (_, i) => (i % 4 === 0 ? 0 : 1)), [2, 3, 3]);
      const { analytic, numeric } = analyticAndNumericGradient((z) => loss({ prediction: z, target, mask }), pseudoRandom(72, 5), [2, 3, 3, 4], 1e-2);
      analytic.forEach((v, i) => expect(v).toBeCloseTo(numeric[i], 3));
    });
  });

  describe('when prediction and target differ in shape', () => {
    it('should throw a MicflowError naming the node', () => {
      expect(() => loss({ prediction: tf.zeros([1, 2, 2, 3]), target: tf.zeros([1, 2, 2, 2]) })).toThrow(/node "soft": prediction \[1,2,2,3\] and target \[1,2,2,2\]/);
    });
  });
});
