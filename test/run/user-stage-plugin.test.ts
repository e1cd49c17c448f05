import { describe, expect, it } from 'vitest';
import { lastValueFrom, toArray } from 'rxjs';
import { stage } from '../../src/graph/pipeline-definition.js';
import { preparePipelineRun, startPipelineRun } from '../../src/run/pipeline-run.js';
import { tinySupervisedPipeline } from './tiny-pipeline.js';
import userStages, { InvertIntensity } from './user-stages.js';

const withUserStage = tinySupervisedPipeline(2, {
  inverted: stage('InvertIntensity', { maximum: 255 }, { samples: 'train' }),
  normalised: stage('NormalizeWithMeanStd', {}, { samples: 'inverted' }),
});

describe('a user stage plugged in through a container module', () => {
  describe('having no module loaded', () => {
    it('should be an unknown stage', () => {
      expect(() => preparePipelineRun(withUserStage)).toThrow('nodes.inverted.stage: unknown stage "InvertIntensity"');
    });
  });

  describe('when its module is loaded', () => {
    it('should validate its params by its own schema', () => {
      const bad = tinySupervisedPipeline(2, {
        inverted: stage('InvertIntensity', { maximum: 'high' }, { samples: 'train' }),
        normalised: stage('NormalizeWithMeanStd', {}, { samples: 'inverted' }),
      });
      expect(() => preparePipelineRun(bad, { modules: [userStages] })).toThrow(/nodes\.inverted\.params\.maximum: .*number/);
    });

    it('should run inside the pipeline like a built-in stage', async () => {
      const options = { modules: [userStages], out: null };
      const started = await startPipelineRun(preparePipelineRun(withUserStage, options), options);
      const before = InvertIntensity.applied;
      const events = await lastValueFrom(started.events.pipe(toArray()));
      expect(events.filter((e) => e.type === 'iteration')).toHaveLength(2);
      // Two ticks of batch 2, plus up to two prefetched batches of 2.
      expect(InvertIntensity.applied - before).toBeGreaterThanOrEqual(4);
    });
  });
});
