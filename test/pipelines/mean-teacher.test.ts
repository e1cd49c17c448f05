import * as tf from '@tensorflow/tfjs-core';
import { describe, expect, it } from 'vitest';
import definition from '../../pipelines/mean-teacher.js';
import { preparePipelineRun, startPipelineRun } from '../../src/run/pipeline-run.js';
import { sigmoidRampup } from '../../src/stages/schedules/sigmoid-rampup.js';

/** The mean-teacher graph shrunk for tests: a 2–32 channel U-Net without dropout, 32×32 crops, batches of 2. */
const tiny = [
  'student.features=[2,4,8,16,32]',
  'student.dropout=[0,0,0,0,0]',
  'labelledCropped.size=[32,32]',
  'unlabelledCropped.size=[32,32]',
  'batchL.size=2',
  'batchU.size=2',
  'schedule.iterations=4',
  'rampup.end=4',
];

describe('sigmoidRampup', () => {
  it('should follow exp(-5 (1 - t)^2) between start and end, 0 before and max after', () => {
    expect(sigmoidRampup(0, 0, 100, 1)).toBeCloseTo(Math.exp(-5), 10);
    expect(sigmoidRampup(50, 0, 100, 1)).toBeCloseTo(Math.exp(-1.25), 10);
    expect(sigmoidRampup(100, 0, 100, 0.1)).toBeCloseTo(0.1, 10);
    expect(sigmoidRampup(150, 0, 100, 0.1)).toBeCloseTo(0.1, 10);
    expect(sigmoidRampup(5, 10, 20, 1)).toBe(0);
  });
});

describe('the mean-teacher pipeline', () => {
  describe('having its default definition', () => {
    it('should validate as a graph of registered stages', () => {
      const prepared = preparePipelineRun(definition);
      expect([...prepared.validated.nodes.keys()]).toContain('teacher');
      expect(prepared.validated.nodes.get('teacher')!.stageClass.className).toBe('EmaCopy');
    });
  });

  describe('when run for a few ticks on tiny crops', () => {
    it('should report finite loss terms and move the teacher by the EMA rule, in place', async () => {
      const prepared = preparePipelineRun(definition, { set: tiny });
      const { compiled } = await startPipelineRun(prepared, { out: null });
      try {
        const student = compiled.networks.get('student')!.network;
        const teacher = compiled.networks.get('teacher')!.network;
        const read = (v: tf.Variable) => Float32Array.from(v.dataSync());
        // The teacher starts as an exact copy of the student.
        expect(read(teacher.trainableVariables[0])).toEqual(read(student.trainableVariables[0]));
        const teacherVariable = teacher.trainableVariables[0];
        const live: number[] = [];
        for (let iteration = 1; iteration <= 4; iteration++) {
          const before = read(teacherVariable);
          const event = await compiled.tick(iteration);
          for (const key of ['dice', 'ce', 'consistency', 'rampup', 'loss']) expect(Number.isFinite(event.terms[key]), key).toBe(true);
          expect(event.terms.loss).toBeCloseTo(event.terms.dice + event.terms.ce + event.terms.rampup * event.terms.consistency, 4);
          // α_t = min(1 − 1/(t + 1), 0.99): teacher ← α teacher + (1 − α) student (student after this step).
          const alpha = Math.min(1 - 1 / (iteration + 1), 0.99);
          const after = read(teacherVariable);
          const studentNow = read(student.trainableVariables[0]);
          after.forEach((v, i) => expect(v).toBeCloseTo(alpha * before[i] + (1 - alpha) * studentNow[i], 5));
          expect(after).not.toEqual(before);
          live.push(event.liveTensors);
        }
        expect(new Set(live.slice(1)).size, `live tensors: ${live.join(',')}`).toBe(1);
      } finally {
        compiled.dispose();
      }
    });
  });
});
