import { describe, expect, it } from 'vitest';
import scribbleEntmin from '../../pipelines/scribble-entmin.js';
import scribbleGatedCrf from '../../pipelines/scribble-gatedcrf.js';
import scribbleMumfordShah from '../../pipelines/scribble-mumford-shah.js';
import scribblePce from '../../pipelines/scribble-pce.js';
import scribbleTv from '../../pipelines/scribble-tv.js';
import type { PipelineDefinition } from '../../src/graph/pipeline-definition.js';
import { preparePipelineRun } from '../../src/run/pipeline-run.js';
import { expectSharedScribbleSetup, expectSupervisedNetworkSize, runTicks, tinyScribbleRun } from './scribble-test-helpers.js';

/** The single-network scribble pipelines: partial CE plus (except the baseline) one regulariser × ramp-up. */
const pipelines: ReadonlyArray<{ definition: PipelineDefinition; regulariser?: { node: string; stage: string } }> = [
  { definition: scribblePce },
  { definition: scribbleEntmin, regulariser: { node: 'entropy', stage: 'EntropyLoss' } },
  { definition: scribbleGatedCrf, regulariser: { node: 'crf', stage: 'GatedCRFLoss' } },
  { definition: scribbleMumfordShah, regulariser: { node: 'mumfordShah', stage: 'MumfordShahLoss' } },
  { definition: scribbleTv, regulariser: { node: 'tv', stage: 'TotalVariationLoss' } },
];

describe.each(pipelines)('the $definition.name pipeline', ({ definition, regulariser }) => {
  describe('having its default definition', () => {
    it('should validate, with the supervised pipeline\'s data splits, crops, network size, schedule and evaluation nodes', () => {
      const prepared = preparePipelineRun(definition);
      expect(prepared.validated.nodes.get('scribble')!.stageClass.className).toBe('PartialLabelMask');
      expectSharedScribbleSetup(definition);
      expectSupervisedNetworkSize(definition, 'net');
      expect(definition.nodes.net.stage).toBe('UNet2D');
    });

    it('should train on the partial cross-entropy of the scribbled pixels' + (regulariser ? ` plus ${regulariser.stage} × a ramp-up to 0.1` : ''), () => {
      expect(definition.nodes.pce).toEqual({
        stage: 'CrossEntropyLoss',
        params: {},
        inputs: { prediction: 'predict.logits', label: 'scribble.label', mask: 'scribble.mask' },
      });
      if (!regulariser) {
        expect(definition.nodes.loss.inputs).toEqual({ terms: ['pce'], weights: [1] });
        return;
      }
      expect(definition.nodes[regulariser.node].stage).toBe(regulariser.stage);
      expect(definition.nodes.rampup.params).toEqual({ start: 0, end: 300, max: 0.1 });
      expect(definition.nodes.loss.inputs).toEqual({ terms: ['pce', regulariser.node], weights: [1, 'rampup'] });
    });
  });

  describe('when run for three ticks on tiny crops', () => {
    it('should report finite terms whose weighted sum is the loss, train the net and leak no tensors', async () => {
      const events = await runTicks(definition, tinyScribbleRun(['net'], 3, regulariser ? ['rampup.end=3', ...(regulariser.node === 'crf' ? ['crf.radius=2'] : [])] : []), 3, 'net', (t) =>
        regulariser ? t.pce + t.rampup * t[regulariser.node] : t.pce,
      );
      for (const { terms } of events) {
        // The crops of the bundled scribbles are partly annotated (strokes cover ~20% of each structure, ~3% of the
        // background), so the partial CE sees a small, non-empty part of each batch.
        expect(terms['scribble.annotatedFraction']).toBeGreaterThan(0.01);
        expect(terms['scribble.annotatedFraction']).toBeLessThan(0.5);
        expect(terms.pce).toBeGreaterThan(0);
        if (regulariser) expect(terms[regulariser.node]).toBeGreaterThanOrEqual(0);
      }
      if (regulariser) expect(events[2].terms.rampup).toBeCloseTo(0.1, 6);
    });
  });
});
