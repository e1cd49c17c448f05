import { describe, expect, it } from 'vitest';
import definition from '../../pipelines/urpc.js';
import { preparePipelineRun } from '../../src/run/pipeline-run.js';
import { expectSharedSslSetup, runSslTicks, tinySslRun } from './ssl-test-helpers.js';

const ticks = 3;

describe('the urpc pipeline', () => {
  describe('having its default definition', () => {
    it('should validate, with a deep-supervision U-Net, four heads per batch and the pyramid consistency on the unlabelled heads', () => {
      const { validated } = preparePipelineRun(definition);
      expect(validated.nodes.get('net')!.params).toMatchObject({ deepSupervision: true });
      expect(validated.nodes.get('predU')!.params).toMatchObject({ heads: 4, resize: 'input' });
      expect(validated.nodes.get('pyramid')!.stageClass.className).toBe('PyramidConsistencyLoss');
      expect(definition.nodes.pyramid.inputs).toEqual({ probs: ['predU.prob', 'predU.prob1', 'predU.prob2', 'predU.prob3'] });
      expect(validated.nodes.get('supervised')!.stageClass.className).toBe('DeepSupervisionLoss');
    });

    it('should share data, streams, network size, optimiser, validation and test with mean-teacher', () => {
      expectSharedSslSetup(definition, 'net');
    });
  });

  describe('when run for a few ticks on tiny crops', () => {
    it('should report finite terms with loss = 2 supervised + rampup × pyramid, train the coarse heads, and leak nothing', async () => {
      const events = await runSslTicks(
        definition,
        tinySslRun(['net'], ticks, ['rampup']),
        ticks,
        (t) => 2 * t.supervised + t.rampup * t.pyramid,
        (compiled, _event, before) => {
          // The 1/8-resolution head's 1x1 conv (the last trainable variables) moves every step.
          const variables = compiled.networks.get('net')!.network.trainableVariables;
          const deepest = variables.findIndex((v) => v.name.endsWith('/deep3/kernel'));
          expect(deepest).toBeGreaterThan(-1);
          expect(Float32Array.from(variables[deepest].dataSync())).not.toEqual(before('net')[deepest]);
        },
        ['net'],
      );
      expect(events.every((e) => e.terms.pyramid > 0)).toBe(true);
    });
  });
});
