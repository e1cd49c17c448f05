import { describe, expect, it } from 'vitest';
import scribbleDmpls from '../../pipelines/scribble-dmpls.js';
import { preparePipelineRun } from '../../src/run/pipeline-run.js';
import { expectSharedScribbleSetup, expectSupervisedNetworkSize, runTicks, tinyScribbleRun } from './scribble-test-helpers.js';

describe('the scribble-dmpls pipeline', () => {
  describe('having its default definition', () => {
    it("should validate as a dual-branch graph with the supervised pipeline's data splits, crops, sizes and evaluation nodes", () => {
      const prepared = preparePipelineRun(scribbleDmpls);
      expect(prepared.validated.nodes.get('net')!.stageClass.className).toBe('DualBranchUNet2D');
      expect(prepared.validated.nodes.get('mix')!.stageClass.className).toBe('DynamicMixPseudoLabel');
      expectSharedScribbleSetup(scribbleDmpls);
      expectSupervisedNetworkSize(scribbleDmpls, 'net');
    });

    it("should supervise both branches with the scribbles (½ each) and with Dice against the mixed argmax label × PyMIC's 0.1 · ramp-up · ½", () => {
      const nodes = scribbleDmpls.nodes;
      expect(nodes.mix.inputs).toEqual({ first: 'predict.prob', second: 'predict.prob1' });
      expect(nodes.pseudo1).toEqual({ stage: 'DiceLoss', params: {}, inputs: { prediction: 'predict.logits', label: 'mix.label' } });
      expect(nodes.pseudo2).toEqual({ stage: 'DiceLoss', params: {}, inputs: { prediction: 'predict.logits1', label: 'mix.label' } });
      expect(nodes.pce2.inputs).toEqual({ prediction: 'predict.logits1', label: 'scribble.label', mask: 'scribble.mask' });
      expect(nodes.rampup.params).toEqual({ start: 0, end: 300, max: 0.05 });
      expect(nodes.loss.inputs).toEqual({ terms: ['pce1', 'pce2', 'pseudo1', 'pseudo2'], weights: [0.5, 0.5, 'rampup', 'rampup'] });
    });
  });

  describe('when run for three ticks on tiny crops', () => {
    it('should report finite terms whose weighted sum is the loss, a fresh α in [0, 1) every tick, and leak no tensors', async () => {
      const events = await runTicks(scribbleDmpls, tinyScribbleRun(['net'], 3, ['rampup.end=3']), 3, 'net', (t) =>
        0.5 * (t.pce1 + t.pce2) + t.rampup * (t.pseudo1 + t.pseudo2),
      );
      const alphas = events.map((e) => e.terms['mix.alpha']);
      for (const a of alphas) expect(a >= 0 && a < 1).toBe(true);
      expect(new Set(alphas).size).toBe(3);
      for (const { terms } of events) {
        // Two decoders initialised differently see the same scribbles: different partial CEs.
        expect(terms.pce1).not.toBe(terms.pce2);
        expect(terms.pseudo1).toBeGreaterThan(0);
      }
    });
  });
});
