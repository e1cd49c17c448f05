import * as tf from '@tensorflow/tfjs-core';
import '@tensorflow/tfjs-backend-cpu';
import { beforeAll, describe, expect, it } from 'vitest';
import '../../../src/runtime/register-gradients.js';
import { instantiateStage } from '../../../src/graph/instantiate-stage.js';
import { CrossEntropyLoss } from '../../../src/stages/losses/index.js';
import { PartialLabelMask } from '../../../src/stages/weak-labels/partial-label-mask.js';

beforeAll(async () => {
  await tf.setBackend('cpu');
});

const partialLabelMask = (unannotatedValue: number) =>
  instantiateStage(PartialLabelMask, { nodeName: 'partial', params: { unannotatedValue } });
const partialCrossEntropy = instantiateStage(CrossEntropyLoss, { nodeName: 'pce' });

describe('PartialLabelMask', () => {
  describe('having a scribble map with unannotated value 5', () => {
    it('should set unannotated pixels to class 0 and mark only annotated pixels in the mask', () => {
      const out = partialLabelMask(5).compute({ label: tf.tensor3d([[[0, 5, 3], [5, 1, 5]]], [1, 2, 3], 'int32') });
      expect(out.label.dtype).toBe('int32');
      expect(Array.from(out.label.dataSync())).toEqual([0, 0, 3, 0, 1, 0]);
      expect(out.mask.dtype).toBe('float32');
      expect(Array.from(out.mask.dataSync())).toEqual([1, 0, 1, 0, 1, 0]);
      expect(out.annotatedFraction.dataSync()[0]).toBe(0.5);
    });
  });

  describe('having the unannotated value 255', () => {
    it('should treat 255 as unannotated and the class count as an ordinary value', () => {
      const out = partialLabelMask(255).compute({ label: tf.tensor2d([[255, 2]], [1, 2], 'int32') });
      expect(Array.from(out.label.dataSync())).toEqual([0, 2]);
      expect(Array.from(out.mask.dataSync())).toEqual([0, 1]);
    });
  });

  describe('when given a float label map', () => {
    it('should throw a MicflowError naming the node', () => {
      expect(() => partialLabelMask(5).compute({ label: tf.tensor2d([[1, 5]]) })).toThrow(/node "partial": label input must be an int32/);
    });
  });

  describe('when its outputs feed a cross-entropy (partial cross-entropy)', () => {
    // Three pixels, two classes: logits (0, 0), (5, -5), (0, ln 3); labels 1, unannotated, 1.
    // Annotated pixels: −ln ½ = ln 2 and −ln ¾ = ln(4/3); the unannotated one (which the placeholder class 0 would
    // otherwise score as −ln softmax(5, −5)_0 ≈ 4.5e−5, and class 1 as 10) does not count: (ln 2 + ln 4/3) / 2.
    const logits = () => tf.tensor4d([[[[0, 0], [5, -5], [0, Math.log(3)]]]]);
    const scribble = () => tf.tensor3d([[[1, 7, 1]]], [1, 1, 3], 'int32');

    it('should average −log p over the annotated pixels only', () => {
      const partial = partialLabelMask(7).compute({ label: scribble() });
      const loss = partialCrossEntropy.compute({ prediction: logits(), label: partial.label, mask: partial.mask }).loss;
      expect(loss.dataSync()[0]).toBeCloseTo((Math.log(2) + Math.log(4 / 3)) / 2, 6);
    });

    it('should give the unannotated pixel zero gradient and the annotated ones (p − y) / 2', () => {
      const partial = partialLabelMask(7).compute({ label: scribble() });
      const gradient = tf.grad((z: tf.Tensor) => partialCrossEntropy.compute({ prediction: z, label: partial.label, mask: partial.mask }).loss as tf.Scalar)(logits());
      const g = Array.from(gradient.dataSync());
      expect(Math.abs(g[2])).toBe(0);
      expect(Math.abs(g[3])).toBe(0);
      // pixel 0: p = (½, ½), y = (0, 1); pixel 2: p = (¼, ¾), y = (0, 1); each divided by the 2 annotated pixels.
      [0.25, -0.25, 0, 0, 0.125, -0.125].forEach((v, i) => expect(g[i]).toBeCloseTo(v, 6));
    });
  });
});
