import { describe, expect, it } from 'vitest';
import type { PipelineDefinition } from '../../src/graph/pipeline-definition.js';
import { preparePipelineRun, startPipelineRun } from '../../src/run/pipeline-run.js';
import noisyCe from '../../pipelines/noisy-ce.js';
import noisyDiceCe from '../../pipelines/noisy-dice-ce.js';
import noisyGce from '../../pipelines/noisy-gce.js';
import noisyNrdice from '../../pipelines/noisy-nrdice.js';
import noisySlsr from '../../pipelines/noisy-slsr.js';

/** A single-net noisy-label graph shrunk for tests: 2–32 channel U-Net without dropout, 32² crops, batches of 2. */
const tiny = ['trainCropped.size=[32,32]', 'batch.size=2', 'schedule.iterations=3', 'net.features=[2,4,8,16,32]', 'net.dropout=[0,0,0,0,0]'];

/** Runs three ticks; checks finite terms, the loss as `expected(terms)` and a flat live-tensor count. Returns the terms. */
async function threeTicks(definition: PipelineDefinition, set: string[], expected: (terms: Record<string, number>) => number) {
  const { compiled } = await startPipelineRun(preparePipelineRun(definition, { set: [...tiny, ...set] }), { out: null });
  const seen: Array<Record<string, number>> = [];
  const live: number[] = [];
  try {
    for (let iteration = 1; iteration <= 3; iteration++) {
      const event = await compiled.tick(iteration);
      for (const [key, value] of Object.entries(event.terms)) expect(Number.isFinite(value), key).toBe(true);
      expect(event.terms.loss).toBeCloseTo(expected(event.terms), 5);
      seen.push(event.terms);
      live.push(event.liveTensors);
    }
  } finally {
    compiled.dispose();
  }
  expect(new Set(live.slice(1)).size, `live tensors: ${live.join(',')}`).toBe(1);
  return seen;
}

describe('the loss-only noisy-label pipelines', () => {
  describe('having their default definitions', () => {
    it('should validate, read the noisy list and keep the baseline data, crops, network, iterations and hooks', () => {
      for (const definition of [noisyDiceCe, noisyCe, noisyGce, noisyNrdice, noisySlsr]) {
        const { validated } = preparePipelineRun(definition);
        const node = (name: string) => validated.nodes.get(name)!;
        expect(node('train').params, definition.name).toMatchObject({ csv: 'train_noisy.csv' });
        expect(node('trainCropped').params, definition.name).toMatchObject({ size: [64, 64], foregroundRatio: 0.8 });
        expect(node('net').params, definition.name).toMatchObject({ features: [8, 16, 32, 64, 128] });
        expect(definition.schedule.iterations, definition.name).toBe(600);
        for (const hook of ['validate', 'evaluate']) expect(validated.nodes.has(hook), `${definition.name} ${hook}`).toBe(true);
        // Validate keeps the best weights and the run saves latest itself: no Checkpoint node.
        expect([...validated.nodes.values()].filter((n) => n.stageClass.className === 'Checkpoint').map((n) => n.name), definition.name).toEqual([]);
      }
    });
  });

  describe('when noisy-dice-ce runs for a few ticks on tiny crops', () => {
    it('should train on Dice + CE', async () => {
      await threeTicks(noisyDiceCe, [], (t) => t.dice + t.ce);
    });
  });

  describe('when noisy-ce runs for a few ticks on tiny crops', () => {
    it('should train on cross-entropy alone', async () => {
      const terms = await threeTicks(noisyCe, [], (t) => t.ce);
      expect(Object.keys(terms[0]).sort()).toEqual(['ce', 'loss']);
    });
  });

  describe('when noisy-gce runs for a few ticks on tiny crops', () => {
    it('should train on the generalized cross-entropy alone, within its bounds [0, 1/q]', async () => {
      const terms = await threeTicks(noisyGce, [], (t) => t.gce);
      for (const t of terms) {
        expect(t.gce).toBeGreaterThan(0);
        expect(t.gce).toBeLessThan(2);
      }
    });
  });

  describe('when noisy-nrdice runs for a few ticks on tiny crops', () => {
    it('should train on the noise-robust Dice loss alone', async () => {
      await threeTicks(noisyNrdice, [], (t) => t.nrdice);
    });
  });

  describe('when noisy-slsr runs for a few ticks on tiny crops with confident learning from tick 2', () => {
    it('should flag nothing at tick 1, a fraction of pixels after, and train on SLSR alone', async () => {
      const terms = await threeTicks(noisySlsr, ['confident.start=2'], (t) => t.slsr);
      expect(terms[0]['confident.flagged']).toBe(0);
      for (const t of terms.slice(1)) expect(t['confident.flagged']).toBeLessThan(1);
      expect(Math.max(...terms.slice(1).map((t) => t['confident.flagged']))).toBeGreaterThan(0);
    });
  });
});
