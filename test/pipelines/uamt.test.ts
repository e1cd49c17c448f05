import { describe, expect, it } from 'vitest';
import definition from '../../pipelines/uamt.js';
import meanTeacher from '../../pipelines/mean-teacher.js';
import { preparePipelineRun } from '../../src/run/pipeline-run.js';
import { uncertaintyThreshold } from '../../src/stages/pseudo-labels/uncertainty-mask.js';
import { expectSharedSslSetup, runSslTicks, tinySslRun } from './ssl-test-helpers.js';

const ticks = 3;
const tiny = tinySslRun(['student'], ticks, ['rampup', 'rampupThreshold'], ['mcU.passes=3', 'student.dropout=[0,0,0,0,0.5]']);

describe('the uamt pipeline', () => {
  describe('having its default definition', () => {
    it('should validate, with an EMA teacher sampled by MonteCarloForward into an UncertaintyMask on the consistency', () => {
      const { validated } = preparePipelineRun(definition);
      const stageOf = (node: string) => validated.nodes.get(node)!.stageClass.className;
      expect(stageOf('teacher')).toBe('EmaCopy');
      expect(stageOf('mcU')).toBe('MonteCarloForward');
      expect(stageOf('certain')).toBe('UncertaintyMask');
      expect(definition.nodes.consistency.inputs).toEqual({ prob: 'predU.prob', target: 'targetU.prob', mask: 'certain.mask' });
      expect(definition.nodes.mcU.inputs).toEqual({ net: 'teacher', image: 'batchU.image' });
    });

    it('should share data, streams, network size, optimiser, validation and test with mean-teacher, and its teacher, noise and ramp-up', () => {
      expectSharedSslSetup(definition, 'student');
      for (const node of ['teacher', 'noisyU', 'targetU', 'predL', 'predU', 'dice', 'ce', 'rampup', 'loss', 'checkpoint']) {
        expect(definition.nodes[node], node).toEqual(meanTeacher.nodes[node]);
      }
    });
  });

  describe('when run for a few ticks on tiny crops', () => {
    it('should report finite terms, the ramped threshold, loss = dice + ce + rampup × consistency, move the teacher by EMA, leak nothing', async () => {
      const events = await runSslTicks(
        definition,
        tiny,
        ticks,
        (t) => t.dice + t.ce + t.rampup * t.consistency,
        (compiled, event, before) => {
          const t = event.terms;
          expect(t['certain.threshold']).toBeCloseTo(uncertaintyThreshold(t.rampupThreshold, 5), 5);
          expect(t['certain.keptFraction']).toBeGreaterThanOrEqual(0);
          expect(t['certain.keptFraction']).toBeLessThanOrEqual(1);
          // α_t = min(1 − 1/(t + 1), 0.99): teacher ← α teacher + (1 − α) student (the student after this step).
          const alpha = Math.min(1 - 1 / (event.iteration + 1), 0.99);
          const teacherBefore = before('teacher')[0];
          const teacherNow = Float32Array.from(compiled.networks.get('teacher')!.network.trainableVariables[0].dataSync());
          const studentNow = Float32Array.from(compiled.networks.get('student')!.network.trainableVariables[0].dataSync());
          teacherNow.forEach((v, i) => expect(v).toBeCloseTo(alpha * teacherBefore[i] + (1 - alpha) * studentNow[i], 5));
          expect(teacherNow).not.toEqual(teacherBefore);
        },
        ['teacher'],
      );
      // The mask widens with the ramp: a part of the pixels at first, all of them once the threshold reaches ln 5.
      const kept = events.map((e) => e.terms['certain.keptFraction']);
      expect(kept[0]).toBeGreaterThan(0);
      expect(kept[0]).toBeLessThan(1);
      expect(kept[ticks - 1]).toBe(1);
      expect(events.every((e) => e.terms.consistency > 0)).toBe(true);
    });
  });
});
