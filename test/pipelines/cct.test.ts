import { describe, expect, it } from 'vitest';
import definition from '../../pipelines/cct.js';
import { preparePipelineRun } from '../../src/run/pipeline-run.js';
import { expectSharedSslSetup, runSslTicks, tinySslRun } from './ssl-test-helpers.js';

const ticks = 3;

describe('the cct pipeline', () => {
  describe('having its default definition', () => {
    it('should validate, with a CCT U-Net of three auxiliary decoders each consistent with the main head', () => {
      const { validated } = preparePipelineRun(definition);
      expect(validated.nodes.get('net')!.stageClass.className).toBe('CctUNet2D');
      expect(validated.nodes.get('predU')!.params).toMatchObject({ heads: 4 });
      for (const k of [1, 2, 3]) {
        expect(definition.nodes[`consistency${k}`].inputs).toEqual({ prob: `predU.prob${k}`, target: 'predU.prob' });
        expect(validated.nodes.get(`consistency${k}`)!.params).toEqual({ kind: 'mse', detachTarget: true });
      }
    });

    it('should accept KL and JS consistencies through --set', () => {
      const set = [1, 2, 3].map((k) => `consistency${k}.kind=js`);
      expect(preparePipelineRun(definition, { set }).validated.nodes.get('consistency2')!.params).toMatchObject({ kind: 'js' });
    });

    it('should share data, streams, network size, optimiser, validation and test with mean-teacher', () => {
      expectSharedSslSetup(definition, 'net');
    });
  });

  describe('when run for a few ticks on tiny crops', () => {
    it('should report finite terms, consistency = mean of the three, loss = dice + ce + rampup × consistency, train the auxiliary decoders, leak nothing', async () => {
      const events = await runSslTicks(
        definition,
        tinySslRun(['net'], ticks, ['rampup']),
        ticks,
        (t) => t.dice + t.ce + t.rampup * t.consistency,
        (compiled, event, before) => {
          const t = event.terms;
          expect(t.consistency).toBeCloseTo((t.consistency1 + t.consistency2 + t.consistency3) / 3, 6);
          // The auxiliary decoders learn only from the consistency: their weights must move.
          const variables = compiled.networks.get('net')!.network.trainableVariables;
          for (const aux of ['aux0_dropout', 'aux1_featureDrop', 'aux2_featureNoise']) {
            const k = variables.findIndex((v) => v.name.includes(`/${aux}/out`));
            expect(k, aux).toBeGreaterThan(-1);
            expect(Float32Array.from(variables[k].dataSync()), aux).not.toEqual(before('net')[k]);
          }
        },
        ['net'],
      );
      expect(events.every((e) => e.terms.consistency1 > 0 && e.terms.consistency2 > 0 && e.terms.consistency3 > 0)).toBe(true);
    });
  });
});
