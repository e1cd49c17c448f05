import { describe, expect, it } from 'vitest';
import scribbleDmsps from '../../pipelines/scribble-dmsps.js';
import { preparePipelineRun } from '../../src/run/pipeline-run.js';
import { expectSharedScribbleSetup, expectSupervisedNetworkSize, runTicks, tinyScribbleRun } from './scribble-test-helpers.js';

describe('the scribble-dmsps pipeline', () => {
  describe('having its default definition', () => {
    it("should validate as a dual-branch graph with the supervised pipeline's data splits, crops, sizes and evaluation nodes", () => {
      const prepared = preparePipelineRun(scribbleDmsps);
      expect(prepared.validated.nodes.get('net')!.stageClass.className).toBe('DualBranchUNet2D');
      expectSharedScribbleSetup(scribbleDmsps);
      expectSupervisedNetworkSize(scribbleDmsps, 'net');
    });

    it('should train both branches on the soft mixed label and on the seeds whose mean-prediction entropy is below 0.1 ln C', () => {
      const nodes = scribbleDmsps.nodes;
      expect(nodes.soft1).toEqual({ stage: 'SoftCrossEntropyLoss', params: {}, inputs: { prediction: 'predict.logits', target: 'mix.prob' } });
      expect(nodes.soft2.inputs).toEqual({ prediction: 'predict.logits1', target: 'mix.prob' });
      expect(nodes.uncertainty.inputs).toEqual({ prob: 'predict.meanProb' });
      expect(nodes.certain.params).toEqual({ classes: 5, threshold: 0.1, rampedThreshold: 0.1 });
      expect(nodes.seeds.inputs).toEqual({ prob: 'predict.meanProb' });
      expect(nodes.seed1.inputs).toEqual({ prediction: 'predict.logits', label: 'seeds.label', mask: 'certain.mask' });
      expect(nodes.seed2.inputs).toEqual({ prediction: 'predict.logits1', label: 'seeds.label', mask: 'certain.mask' });
      expect(nodes.loss.inputs).toEqual({
        terms: ['pce1', 'pce2', 'soft1', 'soft2', 'seed1', 'seed2'],
        weights: [0.5, 0.5, 'rampup', 'rampup', 'rampup', 'rampup'],
      });
    });
  });

  describe('when run for three ticks on tiny crops', () => {
    it('should report finite terms whose weighted sum is the loss, a threshold of 0.1 ln 5 nats, and leak no tensors', async () => {
      const events = await runTicks(scribbleDmsps, tinyScribbleRun(['net'], 3, ['rampup.end=3']), 3, 'net', (t) =>
        0.5 * (t.pce1 + t.pce2) + t.rampup * (t.soft1 + t.soft2 + t.seed1 + t.seed2),
      );
      for (const { terms } of events) {
        expect(terms['certain.threshold']).toBeCloseTo(0.1 * Math.log(5), 5);
        expect(terms['certain.keptFraction']).toBeGreaterThanOrEqual(0);
        expect(terms['certain.keptFraction']).toBeLessThanOrEqual(1);
        // Cross-entropy against a soft label is at least that label's entropy, so it stays above 0.
        expect(terms.soft1).toBeGreaterThan(0);
      }
    });
  });

  describe('when the seed threshold is raised so that every pixel counts', () => {
    it('should keep every pixel as a seed and give a positive seed term', async () => {
      // An entropy is at most ln C, so a threshold just above ln C keeps every pixel: seed1 becomes a plain CE against
      // argmax(meanProb) over the whole crop (with 0.1 ln C on an untrained net no pixel is kept, and the term is 0).
      const events = await runTicks(
        scribbleDmsps,
        tinyScribbleRun(['net'], 2, ['rampup.end=2', 'certain.threshold=1.0001', 'certain.rampedThreshold=1.0001']),
        2,
        'net',
        (t) => 0.5 * (t.pce1 + t.pce2) + t.rampup * (t.soft1 + t.soft2 + t.seed1 + t.seed2),
      );
      for (const { terms } of events) {
        expect(terms['certain.keptFraction']).toBe(1);
        expect(terms.seed1).toBeGreaterThan(0);
      }
    });
  });
});
