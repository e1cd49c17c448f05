import * as tf from '@tensorflow/tfjs-core';
import '@tensorflow/tfjs-backend-cpu';
import { beforeAll, describe, expect, it } from 'vitest';
import type { StageContext } from '../../../src/graph/stage-context.js';
import type { StageClass, TensorInputs, TensorStage, TickContext } from '../../../src/graph/stage.js';
import { arsTverskyLoss } from '../../../src/losses/ars-tversky-loss.js';
import { binaryDiceLoss } from '../../../src/losses/binary-dice-loss.js';
import { crossEntropyLoss } from '../../../src/losses/cross-entropy-loss.js';
import { deepSupervisionLoss } from '../../../src/losses/deep-supervision-loss.js';
import { diceLoss } from '../../../src/losses/dice-loss.js';
import { entropyLoss } from '../../../src/losses/entropy-loss.js';
import { expLogLoss } from '../../../src/losses/exp-log-loss.js';
import { focalDiceLoss } from '../../../src/losses/focal-dice-loss.js';
import { gatedCrfLoss } from '../../../src/losses/gated-crf-loss.js';
import { generalizedCrossEntropyLoss } from '../../../src/losses/generalized-cross-entropy-loss.js';
import { groupDiceLoss } from '../../../src/losses/group-dice-loss.js';
import { meanAbsoluteErrorLoss } from '../../../src/losses/mean-absolute-error-loss.js';
import { meanSquaredErrorLoss } from '../../../src/losses/mean-squared-error-loss.js';
import { mumfordShahLoss } from '../../../src/losses/mumford-shah-loss.js';
import { noiseRobustDiceLoss } from '../../../src/losses/noise-robust-dice-loss.js';
import { oneHotLabels } from '../../../src/losses/one-hot.js';
import { spatialLabelSmoothingLoss } from '../../../src/losses/spatial-label-smoothing-loss.js';
import { totalVariationLoss } from '../../../src/losses/total-variation-loss.js';
import { SeededRandom } from '../../../src/runtime/seeded-random.js';
import { builtInStageClasses } from '../../../src/stages/built-in-stages.js';
import { CrossEntropyLoss } from '../../../src/stages/losses/cross-entropy-loss-stage.js';
import { DiceLoss } from '../../../src/stages/losses/dice-loss-stage.js';
import { ArsTverskyLoss } from '../../../src/stages/losses/ars-tversky-loss-stage.js';
import { BinaryDiceLoss } from '../../../src/stages/losses/binary-dice-loss-stage.js';
import { DeepSupervisionLoss } from '../../../src/stages/losses/deep-supervision-loss-stage.js';
import { EntropyLoss } from '../../../src/stages/losses/entropy-loss-stage.js';
import { ExpLogLoss } from '../../../src/stages/losses/exp-log-loss-stage.js';
import { FocalDiceLoss } from '../../../src/stages/losses/focal-dice-loss-stage.js';
import { GatedCRFLoss } from '../../../src/stages/losses/gated-crf-loss-stage.js';
import { GeneralizedCrossEntropyLoss } from '../../../src/stages/losses/generalized-cross-entropy-loss-stage.js';
import { GroupDiceLoss } from '../../../src/stages/losses/group-dice-loss-stage.js';
import { MAELoss } from '../../../src/stages/losses/mean-absolute-error-loss-stage.js';
import { MSELoss } from '../../../src/stages/losses/mean-squared-error-loss-stage.js';
import { MumfordShahLoss } from '../../../src/stages/losses/mumford-shah-loss-stage.js';
import { NoiseRobustDiceLoss } from '../../../src/stages/losses/noise-robust-dice-loss-stage.js';
import { SLSRLoss } from '../../../src/stages/losses/spatial-label-smoothing-loss-stage.js';
import { TotalVariationLoss } from '../../../src/stages/losses/total-variation-loss-stage.js';
import { pseudoRandom } from '../../losses/tensor-test-helpers.js';

const tick = { iteration: 0, iterations: 1, random: new SeededRandom(1) } as TickContext;

function run(stageClass: StageClass, params: unknown, inputs: TensorInputs): number {
  const parsed = stageClass.paramsSchema.parse(params);
  const stage = new stageClass({ nodeName: 'loss', params: parsed, random: new SeededRandom(0) } as StageContext<unknown>) as TensorStage;
  return tf.tidy(() => stage.compute(inputs, tick).loss.dataSync()[0]);
}

const logits = () => tf.tensor(pseudoRandom(2 * 4 * 4 * 3, 3), [2, 4, 4, 3]);
const labels = () => tf.tensor(Array.from({ length: 32 }, (_, i) => (i * 5) % 3), [2, 4, 4], 'int32');
const mask = () => tf.tensor(Array.from({ length: 32 }, (_, i) => (i % 3 === 0 ? 0 : 1)), [2, 4, 4]);
const image = () => tf.tensor(pseudoRandom(32, 9, 0, 1), [2, 4, 4, 1]);
const value = (t: tf.Scalar) => t.dataSync()[0];

describe('the loss stages', () => {
  beforeAll(async () => {
    await tf.setBackend('cpu');
  });

  describe('having logits, a label map and a mask of a 2x4x4 batch with 3 classes', () => {
    const y = () => oneHotLabels(labels(), 3);
    const options = () => ({ activation: 'softmax' as const, mask: mask() });
    const labelled = () => ({ prediction: logits(), label: labels(), mask: mask() });
    const cases: Array<[string, StageClass, unknown, () => number]> = [
      ['GeneralizedCrossEntropyLoss', GeneralizedCrossEntropyLoss, { q: 0.7 }, () => value(generalizedCrossEntropyLoss(logits(), y(), { ...options(), q: 0.7 }))],
      ['BinaryDiceLoss', BinaryDiceLoss, {}, () => value(binaryDiceLoss(logits(), y(), options()))],
      ['GroupDiceLoss', GroupDiceLoss, { groups: [[1], [2]] }, () => value(groupDiceLoss(logits(), y(), { ...options(), groups: [[1], [2]] }))],
      ['FocalDiceLoss', FocalDiceLoss, { beta: 3 }, () => value(focalDiceLoss(logits(), y(), { ...options(), beta: 3 }))],
      ['NoiseRobustDiceLoss', NoiseRobustDiceLoss, { gamma: 1.2 }, () => value(noiseRobustDiceLoss(logits(), y(), { ...options(), gamma: 1.2 }))],
      ['ArsTverskyLoss', ArsTverskyLoss, { patchSize: [2, 2] }, () => value(arsTverskyLoss(logits(), y(), { ...options(), patchSize: [2, 2] }))],
      ['ExpLogLoss', ExpLogLoss, {}, () => value(expLogLoss(logits(), y(), options()))],
      ['MAELoss', MAELoss, { classWeights: [1, 2, 3] }, () => value(meanAbsoluteErrorLoss(logits(), y(), { ...options(), classWeights: [1, 2, 3] }))],
      ['MSELoss', MSELoss, {}, () => value(meanSquaredErrorLoss(logits(), y(), options()))],
      ['SLSRLoss', SLSRLoss, { epsilon: 0.1 }, () => value(spatialLabelSmoothingLoss(logits(), y(), { ...options(), epsilon: 0.1 }))],
    ];
    it.each(cases)('%s should output its loss function of the activated prediction, with the mask', (_name, stageClass, params, expected) => {
      expect(run(stageClass, params, labelled())).toBeCloseTo(expected(), 6);
    });

    it('DiceLoss and CrossEntropyLoss should pass the mask and pixel weights on', () => {
      const pixelWeight = tf.tensor(pseudoRandom(32, 13, 0.5, 2), [2, 4, 4]);
      const dice = run(DiceLoss, { activation: 'softmax' }, { prediction: logits(), label: labels(), mask: mask(), pixelWeight });
      expect(dice).toBeCloseTo(value(diceLoss(tf.softmax(logits()), y(), { mask: mask(), pixelWeight })), 6);
      const probInput = run(DiceLoss, { activation: 'none' }, { prediction: tf.softmax(logits()), label: labels(), mask: mask() });
      expect(probInput).toBeCloseTo(value(diceLoss(tf.softmax(logits()), y(), { mask: mask() })), 6);
      const ce = run(CrossEntropyLoss, {}, { prediction: logits(), label: labels(), mask: mask() });
      expect(ce).toBeCloseTo(value(crossEntropyLoss(logits(), y(), { mask: mask() })), 6);
      expect(ce).not.toBeCloseTo(value(crossEntropyLoss(logits(), y())), 3);
    });

    it('EntropyLoss, TotalVariationLoss, GatedCRFLoss and MumfordShahLoss should output their regulariser', () => {
      const unlabelled = { prediction: logits(), mask: mask(), image: image() };
      expect(run(EntropyLoss, {}, unlabelled)).toBeCloseTo(value(entropyLoss(logits(), options())), 6);
      expect(run(TotalVariationLoss, {}, unlabelled)).toBeCloseTo(value(totalVariationLoss(logits(), options())), 6);
      const crf = { radius: 2, kernels: [{ weight: 1, xy: 2, image: 0.2 }] };
      expect(run(GatedCRFLoss, crf, unlabelled)).toBeCloseTo(value(gatedCrfLoss(logits(), image(), { ...options(), ...crf })), 6);
      expect(run(MumfordShahLoss, { lambda: 0.5 }, unlabelled)).toBeCloseTo(value(mumfordShahLoss(logits(), image(), { ...options(), lambda: 0.5 })), 6);
    });

    it('DeepSupervisionLoss should average (CE + Dice) / 2 over the scales with weights 1 and 1/2', () => {
      const coarse = tf.tensor(pseudoRandom(2 * 2 * 2 * 3, 5), [2, 2, 2, 3]);
      const base = (p: tf.Tensor, t: tf.Tensor, w: { mask?: tf.Tensor }) =>
        tf.div(tf.add(crossEntropyLoss(p, t, w), diceLoss(tf.softmax(p), t, w)), 2) as tf.Scalar;
      const expected = value(deepSupervisionLoss([logits(), coarse], y(), base, { mask: mask() }));
      expect(run(DeepSupervisionLoss, {}, { predictions: [logits(), coarse], label: labels(), mask: mask() })).toBeCloseTo(expected, 6);
      expect(DeepSupervisionLoss.checkWiring(DeepSupervisionLoss.paramsSchema.parse({ weights: [1] }), { predictions: 2 })).toMatch(/1 weights for 2/);
    });

    it('should reject a cross-entropy deep supervision with a sigmoid activation and unknown params', () => {
      expect(() => DeepSupervisionLoss.paramsSchema.parse({ baseLoss: 'crossEntropy', activation: 'sigmoid' })).toThrow(/softmax/);
      expect(() => FocalDiceLoss.paramsSchema.parse({ betta: 2 })).toThrow();
    });

    it('should reject a label map whose shape does not match the prediction, naming the node', () => {
      expect(() => run(BinaryDiceLoss, {}, { prediction: logits(), label: tf.zeros([2, 4, 3], 'int32') })).toThrow(/node "loss"/);
    });
  });

  describe('having the built-in stage list', () => {
    it('should register every loss stage once, by its class name', () => {
      const names = builtInStageClasses.map((s) => s.className);
      for (const stage of [GeneralizedCrossEntropyLoss, BinaryDiceLoss, GroupDiceLoss, FocalDiceLoss, NoiseRobustDiceLoss, ArsTverskyLoss, ExpLogLoss, MAELoss, MSELoss, SLSRLoss, DeepSupervisionLoss, EntropyLoss, TotalVariationLoss, GatedCRFLoss, MumfordShahLoss]) {
        expect(names.filter((n) => n === stage.className)).toHaveLength(1);
        expect(stage.reference).toBeTruthy();
      }
    });
  });
});
