import * as tf from '@tensorflow/tfjs-core';
import { describe, expect, it } from 'vitest';
import scribbleUstm from '../../pipelines/scribble-ustm.js';
import { preparePipelineRun, startPipelineRun } from '../../src/run/pipeline-run.js';
import { sigmoidRampup } from '../../src/stages/schedules/sigmoid-rampup.js';
import { expectSharedScribbleSetup, expectSupervisedNetworkSize, runTicks, tinyScribbleRun } from './scribble-test-helpers.js';

const tiny = (iterations: number) => tinyScribbleRun(['student'], iterations, [`rampup.end=${iterations}`, `thresholdRamp.end=${iterations}`, 'ensemble.passes=2']);

describe('the scribble-ustm pipeline', () => {
  describe('having its default definition', () => {
    it("should validate with an EMA teacher and the supervised pipeline's data splits, crops, network size and evaluation nodes", () => {
      const prepared = preparePipelineRun(scribbleUstm);
      expect(prepared.validated.nodes.get('teacher')!.stageClass.className).toBe('EmaCopy');
      expect(prepared.validated.nodes.get('ensemble')!.stageClass.className).toBe('MonteCarloForward');
      expectSharedScribbleSetup(scribbleUstm, 'student');
      expectSupervisedNetworkSize(scribbleUstm, 'student');
      expect(scribbleUstm.nodes.validate.inputs).toEqual({ net: 'student', samples: 'validNormalised' });
    });

    it("should compare the turned student prediction with the teacher's on the turned image, on the pixels the 8-pass MC entropy keeps", () => {
      const nodes = scribbleUstm.nodes;
      expect(nodes.rot.inputs).toEqual({ first: 'batch.image', second: 'predS.prob' });
      expect(nodes.noisyT.inputs).toEqual({ x: 'rot.first' });
      expect(nodes.targetT.inputs).toEqual({ net: 'teacher', image: 'noisyT.y' });
      expect(nodes.ensemble.params).toMatchObject({ passes: 8 });
      expect(nodes.ensemble.inputs).toEqual({ net: 'teacher', image: 'rot.first' });
      expect(nodes.certain.inputs).toEqual({ uncertainty: 'ensemble.entropy', ramp: 'thresholdRamp' });
      expect(nodes.consistency.inputs).toEqual({ prob: 'rot.second', target: 'targetT.prob', mask: 'certain.mask' });
      expect(nodes.pce.inputs).toEqual({ prediction: 'predS.logits', label: 'scribble.label', mask: 'scribble.mask' });
      expect(nodes.loss.inputs).toEqual({ terms: ['pce', 'consistency'], weights: [1, 'rampup'] });
    });
  });

  describe('when run for three ticks on tiny crops', () => {
    it('should report finite terms whose weighted sum is the loss, the UA-MT threshold of the ramp, and leak no tensors', async () => {
      const events = await runTicks(scribbleUstm, tiny(3), 3, 'student', (t) => t.pce + t.rampup * t.consistency);
      events.forEach(({ terms }, i) => {
        const ramp = sigmoidRampup(i + 1, 0, 3, 1);
        expect(terms.thresholdRamp).toBeCloseTo(ramp, 6);
        expect(terms['certain.threshold']).toBeCloseTo((0.75 + 0.25 * ramp) * Math.log(5), 5);
        expect(terms['certain.keptFraction']).toBeGreaterThanOrEqual(0);
        expect(terms['certain.keptFraction']).toBeLessThanOrEqual(1);
        expect([0, 1, 2, 3]).toContain(terms['rot.turns']);
      });
    });

    it('should compare the same pixels: 0 when unturned and noise-free at the first tick (teacher = student), > 0 when turned', async () => {
      // No input noise, no dropout, every pixel kept: at tick 1 the teacher is an exact copy of the student, so with no
      // turn both see the same batch and the consistency vanishes; a U-Net is not rotation-equivariant, so a quarter
      // turn makes the two predictions differ.
      const consistencyAt1 = async (turns: number) => {
        const set = [...tiny(1), 'noisyS.std=0', 'noisyT.std=0', `rot.turns=${turns}`, 'certain.threshold=1.0001', 'certain.rampedThreshold=1.0001'];
        const [event] = await runTicks(scribbleUstm, set, 1, 'student', (t) => t.pce + t.rampup * t.consistency);
        expect(event.terms['certain.keptFraction']).toBe(1);
        return event.terms.consistency;
      };
      expect(await consistencyAt1(0)).toBeLessThan(1e-10);
      expect(await consistencyAt1(1)).toBeGreaterThan(1e-6);
    });

    it('should move the teacher towards the student by the EMA rule after every step', async () => {
      const { compiled } = await startPipelineRun(preparePipelineRun(scribbleUstm, { set: tiny(2) }), { out: null });
      try {
        const read = (v: tf.Variable) => Float32Array.from(v.dataSync());
        const student = compiled.networks.get('student')!.network.trainableVariables[0];
        const teacher = compiled.networks.get('teacher')!.network.trainableVariables[0];
        expect(read(teacher)).toEqual(read(student));
        for (let iteration = 1; iteration <= 2; iteration++) {
          const before = read(teacher);
          await compiled.tick(iteration);
          const alpha = Math.min(1 - 1 / (iteration + 1), 0.99);
          const after = read(teacher);
          const studentNow = read(student);
          after.forEach((v, i) => expect(v).toBeCloseTo(alpha * before[i] + (1 - alpha) * studentNow[i], 5));
        }
      } finally {
        compiled.dispose();
      }
    });
  });
});
