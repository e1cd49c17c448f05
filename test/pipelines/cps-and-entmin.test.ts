import { describe, expect, it } from 'vitest';
import cps from '../../pipelines/cps.js';
import entmin from '../../pipelines/entmin.js';
import { preparePipelineRun, startPipelineRun } from '../../src/run/pipeline-run.js';

const tinyData = [
  'labelledCropped.size=[32,32]',
  'unlabelledCropped.size=[32,32]',
  'batchL.size=2',
  'batchU.size=2',
  'schedule.iterations=3',
  'rampup.end=3',
];
const tinyNet = (node: string) => [`${node}.features=[2,4,8,16,32]`, `${node}.dropout=[0,0,0,0,0]`];

describe('the cps pipeline', () => {
  describe('when run for a few ticks on tiny crops', () => {
    it('should train two differently initialised nets with finite supervised and cross pseudo terms', async () => {
      const { compiled } = await startPipelineRun(preparePipelineRun(cps, { set: [...tinyData, ...tinyNet('netA'), ...tinyNet('netB')] }), { out: null });
      try {
        const a = compiled.networks.get('netA')!.network.trainableVariables[0];
        const b = compiled.networks.get('netB')!.network.trainableVariables[0];
        const initialA = Float32Array.from(a.dataSync());
        expect(Float32Array.from(b.dataSync())).not.toEqual(initialA);
        for (let iteration = 1; iteration <= 3; iteration++) {
          const event = await compiled.tick(iteration);
          for (const key of ['diceA', 'ceA', 'diceB', 'ceB', 'cpsA', 'cpsB', 'loss']) expect(Number.isFinite(event.terms[key]), key).toBe(true);
          const { diceA, ceA, diceB, ceB, cpsA, cpsB, rampup, loss } = event.terms;
          expect(loss).toBeCloseTo(diceA + ceA + diceB + ceB + rampup * (cpsA + cpsB), 4);
        }
        expect(Float32Array.from(a.dataSync())).not.toEqual(initialA);
      } finally {
        compiled.dispose();
      }
    });
  });
});

describe('the entmin pipeline', () => {
  describe('when run for a few ticks on tiny crops', () => {
    it('should report a finite entropy term in [0, 1] (normalised by log C)', async () => {
      const { compiled } = await startPipelineRun(preparePipelineRun(entmin, { set: [...tinyData, ...tinyNet('net')] }), { out: null });
      try {
        for (let iteration = 1; iteration <= 2; iteration++) {
          const event = await compiled.tick(iteration);
          expect(event.terms.entropy).toBeGreaterThan(0);
          expect(event.terms.entropy).toBeLessThanOrEqual(1);
          expect(event.terms.loss).toBeCloseTo(event.terms.dice + event.terms.ce + event.terms.rampup * event.terms.entropy, 4);
        }
      } finally {
        compiled.dispose();
      }
    });
  });
});
