import * as tf from '@tensorflow/tfjs-core';
import '@tensorflow/tfjs-backend-cpu';
import { beforeAll, describe, expect, it } from 'vitest';
import { instantiateStage } from '../../../src/graph/instantiate-stage.js';
import type { StageContext } from '../../../src/graph/stage-context.js';
import type { StageClass, TickContext } from '../../../src/graph/stage.js';
import { arsTverskyLoss, arsTverskyLossParams, arsTverskyLossUnit } from '../../../src/losses/ars-tversky-loss.js';
import { binaryDiceLoss, binaryDiceLossParams, binaryDiceLossUnit } from '../../../src/losses/binary-dice-loss.js';
import { crossEntropyFromProbabilities, crossEntropyLoss, crossEntropyLossUnit } from '../../../src/losses/cross-entropy-loss.js';
import { deepSupervisionLoss, deepSupervisionLossParams } from '../../../src/losses/deep-supervision-loss.js';
import { diceLoss, diceLossUnit } from '../../../src/losses/dice-loss.js';
import { entropyLoss, entropyLossParams, entropyLossUnit } from '../../../src/losses/entropy-loss.js';
import { expLogLoss, expLogLossParams, expLogLossUnit } from '../../../src/losses/exp-log-loss.js';
import { focalDiceLoss, focalDiceLossParams, focalDiceLossUnit } from '../../../src/losses/focal-dice-loss.js';
import { gatedCrfLoss, gatedCrfLossParams } from '../../../src/losses/gated-crf-loss.js';
import { generalizedCrossEntropyLoss, generalizedCrossEntropyLossParams, generalizedCrossEntropyLossUnit } from '../../../src/losses/generalized-cross-entropy-loss.js';
import { groupDiceLoss, groupDiceLossParams, groupDiceLossUnit } from '../../../src/losses/group-dice-loss.js';
import { meanAbsoluteErrorLoss, meanAbsoluteErrorLossUnit } from '../../../src/losses/mean-absolute-error-loss.js';
import { meanSquaredErrorLoss, meanSquaredErrorLossUnit } from '../../../src/losses/mean-squared-error-loss.js';
import { mumfordShahLoss, mumfordShahLossParams } from '../../../src/losses/mumford-shah-loss.js';
import { noiseRobustDiceLoss, noiseRobustDiceLossParams, noiseRobustDiceLossUnit } from '../../../src/losses/noise-robust-dice-loss.js';
import { oneHotLabels } from '../../../src/losses/one-hot.js';
import { predictionErrorLossParams } from '../../../src/losses/prediction-error-loss.js';
import { spatialLabelSmoothingLoss, spatialLabelSmoothingLossParams } from '../../../src/losses/spatial-label-smoothing-loss.js';
import { totalVariationLoss, totalVariationLossParams, totalVariationLossUnit } from '../../../src/losses/total-variation-loss.js';
import { SeededRandom } from '../../../src/runtime/seeded-random.js';
import { builtInStageClasses, stageFamilies } from '../../../src/stages/built-in-stages.js';
import {
  ArsTverskyLoss,
  BinaryDiceLoss,
  CrossEntropyLoss,
  DeepSupervisionLoss,
  DiceLoss,
  EntropyLoss,
  ExpLogLoss,
  FocalDiceLoss,
  GatedCRFLoss,
  GeneralizedCrossEntropyLoss,
  GroupDiceLoss,
  MAELoss,
  MSELoss,
  MumfordShahLoss,
  NoiseRobustDiceLoss,
  SLSRLoss,
  TotalVariationLoss,
} from '../../../src/stages/losses/index.js';
import { labelledLossInputs, lossOutputs, unlabelledLossInputs } from '../../../src/stages/losses/loss-stage-ports.js';
import { lossOptions, pseudoRandom } from '../../losses/tensor-test-helpers.js';

const tick: TickContext = { iteration: 0, iterations: 1, random: new SeededRandom(1) };

/** What the tests call on a loss stage: its compute over inputs of type I. */
interface LossStage<I> {
  compute(inputs: I, tick: TickContext): Record<string, tf.Tensor>;
}

/** The loss a stage built by instantiateStage (params through its schema) computes from `inputs`. */
function run<I>(stageClass: StageClass & (new (context: StageContext<never>) => LossStage<I>), params: unknown, inputs: I): number {
  const stage: LossStage<I> = instantiateStage(stageClass, { nodeName: 'loss', params });
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
    /** A loss function's options: its params schema's defaults with the softmax activation (the stages' default), and the mask. */
    const options = <S extends Parameters<typeof lossOptions>[0]>(schema: S, params: Readonly<Record<string, unknown>> = {}) =>
      lossOptions(schema, { activation: 'softmax', ...params }, { mask: mask() });
    const labelled = () => ({ prediction: logits(), label: labels(), mask: mask() });
    type LabelledLossStageClass = StageClass & (new (context: StageContext<never>) => LossStage<ReturnType<typeof labelled>>);
    const cases: Array<[string, LabelledLossStageClass, unknown, () => number]> = [
      ['GeneralizedCrossEntropyLoss', GeneralizedCrossEntropyLoss, { q: 0.7 }, () => value(generalizedCrossEntropyLoss(logits(), y(), options(generalizedCrossEntropyLossParams, { q: 0.7 })))],
      ['BinaryDiceLoss', BinaryDiceLoss, {}, () => value(binaryDiceLoss(logits(), y(), options(binaryDiceLossParams)))],
      ['GroupDiceLoss', GroupDiceLoss, { groups: [[1], [2]] }, () => value(groupDiceLoss(logits(), y(), options(groupDiceLossParams, { groups: [[1], [2]] })))],
      ['FocalDiceLoss', FocalDiceLoss, { beta: 3 }, () => value(focalDiceLoss(logits(), y(), options(focalDiceLossParams, { beta: 3 })))],
      ['NoiseRobustDiceLoss', NoiseRobustDiceLoss, { gamma: 1.2 }, () => value(noiseRobustDiceLoss(logits(), y(), options(noiseRobustDiceLossParams, { gamma: 1.2 })))],
      ['ArsTverskyLoss', ArsTverskyLoss, { patchSize: [2, 2] }, () => value(arsTverskyLoss(logits(), y(), options(arsTverskyLossParams, { patchSize: [2, 2] })))],
      ['ExpLogLoss', ExpLogLoss, {}, () => value(expLogLoss(logits(), y(), options(expLogLossParams)))],
      ['MAELoss', MAELoss, { classWeights: [1, 2, 3] }, () => value(meanAbsoluteErrorLoss(logits(), y(), options(predictionErrorLossParams, { classWeights: [1, 2, 3] })))],
      ['MSELoss', MSELoss, {}, () => value(meanSquaredErrorLoss(logits(), y(), options(predictionErrorLossParams)))],
      ['SLSRLoss', SLSRLoss, { epsilon: 0.1 }, () => value(spatialLabelSmoothingLoss(logits(), y(), options(spatialLabelSmoothingLossParams, { epsilon: 0.1 })))],
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
      expect(run(EntropyLoss, {}, unlabelled)).toBeCloseTo(value(entropyLoss(logits(), options(entropyLossParams))), 6);
      expect(run(TotalVariationLoss, {}, unlabelled)).toBeCloseTo(value(totalVariationLoss(logits(), options(totalVariationLossParams))), 6);
      const crf = { radius: 2, kernels: [{ weight: 1, xy: 2, image: 0.2 }] };
      expect(run(GatedCRFLoss, crf, unlabelled)).toBeCloseTo(value(gatedCrfLoss(logits(), image(), options(gatedCrfLossParams, crf))), 6);
      expect(run(MumfordShahLoss, { lambda: 0.5 }, unlabelled)).toBeCloseTo(value(mumfordShahLoss(logits(), image(), options(mumfordShahLossParams, { lambda: 0.5 }))), 6);
    });

    it('DeepSupervisionLoss should average (CE + Dice) / 2 over the scales with weights 1 and 1/2', () => {
      const coarse = tf.tensor(pseudoRandom(2 * 2 * 2 * 3, 5), [2, 2, 2, 3]);
      const base = (p: tf.Tensor, t: tf.Tensor, w: { mask?: tf.Tensor }) =>
        tf.div(tf.add(crossEntropyLoss(p, t, w), diceLoss(tf.softmax(p), t, w)), 2) as tf.Scalar;
      const expected = value(deepSupervisionLoss([logits(), coarse], y(), base, { ...deepSupervisionLossParams.parse({}), mask: mask() }));
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

    it("CrossEntropyLoss with activation 'none' should take probabilities (the clamped cross-entropy) and refuse a mask", () => {
      const prob = () => tf.softmax(logits());
      expect(run(CrossEntropyLoss, { activation: 'none' }, { prediction: prob(), label: labels() })).toBeCloseTo(value(crossEntropyFromProbabilities(prob(), y())), 6);
      expect(() => run(CrossEntropyLoss, { activation: 'none' }, labelled())).toThrow(/need activation 'softmax'/);
    });

    it('should reject class weights that are all zero or negative, naming the param', () => {
      for (const classWeights of [[0, 0, 0], [1, -1, 1]]) {
        for (const stage of [DiceLoss, CrossEntropyLoss, GeneralizedCrossEntropyLoss, MAELoss, MSELoss]) {
          const issues = stage.paramsSchema.safeParse({ classWeights }).error?.issues ?? [];
          expect(issues.map((issue) => issue.path[0]), stage.className).toEqual(['classWeights']);
        }
      }
    });
  });

  describe('having the stages derived from loss units', () => {
    /** What a stage takes from its unit. */
    interface UnitFacts {
      readonly className: string;
      readonly description: string;
      readonly reference: string;
      readonly paramsSchema: unknown;
    }
    const labelledUnits: Array<[StageClass, UnitFacts]> = [
      [ArsTverskyLoss, arsTverskyLossUnit],
      [BinaryDiceLoss, binaryDiceLossUnit],
      [CrossEntropyLoss, crossEntropyLossUnit],
      [DiceLoss, diceLossUnit],
      [ExpLogLoss, expLogLossUnit],
      [FocalDiceLoss, focalDiceLossUnit],
      [GeneralizedCrossEntropyLoss, generalizedCrossEntropyLossUnit],
      [GroupDiceLoss, groupDiceLossUnit],
      [MAELoss, meanAbsoluteErrorLossUnit],
      [MSELoss, meanSquaredErrorLossUnit],
      [NoiseRobustDiceLoss, noiseRobustDiceLossUnit],
    ];
    const unlabelledUnits: Array<[StageClass, UnitFacts]> = [
      [EntropyLoss, entropyLossUnit],
      [TotalVariationLoss, totalVariationLossUnit],
    ];
    it.each([...labelledUnits.map(([s, u]) => [s.className, s, u, labelledLossInputs] as const), ...unlabelledUnits.map(([s, u]) => [s.className, s, u, unlabelledLossInputs] as const)])(
      '%s should be a tensor stage with its unit\'s name, description, paper and schema and the family\'s loss ports',
      (_name, stage, unit, inputs) => {
        expect([stage.className, stage.description, stage.reference, stage.paramsSchema]).toEqual([unit.className, unit.description, unit.reference, unit.paramsSchema]);
        expect([stage.kind, stage.inputs, stage.outputs]).toEqual(['tensor', inputs, lossOutputs]);
        expect(stage.name).toBe(unit.className);
      },
    );
  });

  describe('having the built-in stage list', () => {
    it('should register every stage of the losses family once, by its class name, each but WeightedSum with its paper', () => {
      const names = builtInStageClasses.map((s) => s.className);
      const family = Object.values(stageFamilies.losses);
      expect(family.length).toBeGreaterThanOrEqual(21);
      for (const stage of family) {
        expect(names.filter((n) => n === stage.className)).toHaveLength(1);
        if (stage.className !== 'WeightedSum') expect(stage.reference, stage.className).toBeTruthy();
      }
    });
  });
});
