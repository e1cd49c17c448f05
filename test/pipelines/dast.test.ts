import { resolve } from 'node:path';
import { describe, expect, it } from 'vitest';
import dast from '../../pipelines/dast.js';
import { preparePipelineRun, startPipelineRun } from '../../src/run/pipeline-run.js';
import { readDatasetList } from '../../src/stages/datasets/dataset-list.js';

const fixture = resolve('fixtures/brain-mr-2d');
const tiny = [
  'cleanCropped.size=[32,32]',
  'noisyCropped.size=[32,32]',
  'batchClean.size=2',
  'batchNoisy.size=2',
  'schedule.iterations=4',
  'net.features=[2,4,8,16,32]',
  'net.dropout=[0,0,0,0,0]',
  'rampup.start=0',
  'rampup.end=4',
  'select.rankLength=2',
];

describe('the dast pipeline', () => {
  describe('having its default definition and the bundled clean/noisy split', () => {
    it('should read the clean cases (clean labels) and the noisy cases (noisy labels) as two lists that make up the training list', async () => {
      expect(() => preparePipelineRun(dast)).not.toThrow();
      const columns = { imageColumns: ['image'], labelColumn: 'label', weightColumn: null, pixelWeightColumn: null };
      const read = (params: Record<string, unknown>) =>
        readDatasetList(resolve(fixture, String(params.csv)), fixture, { ...columns, where: params.where as Record<string, string> });
      const clean = await read(dast.nodes.clean.params!);
      const noisy = await read(dast.nodes.noisy.params!);
      expect(clean.every((row) => row.label!.startsWith(resolve(fixture, 'label')))).toBe(true);
      expect(noisy.every((row) => row.label!.startsWith(resolve(fixture, 'noisy')))).toBe(true);
      const all = await readDatasetList(resolve(fixture, 'train.csv'), fixture, columns);
      expect([...clean, ...noisy].map((r) => r.images[0]).sort()).toEqual(all.map((r) => r.images[0]).sort());
      expect(noisy.length / all.length).toBeCloseTo(0.5, 1);
    });

    it('should validate and evaluate the clean branch', () => {
      expect(dast.nodes.net.params).toMatchObject({ outputMode: 'first', features: [8, 16, 32, 64, 128] });
      expect(dast.nodes.validate.inputs).toEqual({ net: 'net', samples: 'validNormalised' });
    });
  });

  describe('when run for a few ticks on tiny crops', () => {
    it('should combine half the supervised terms with the gated divergence and self-training terms, gates 0/1 as the rank rule says', async () => {
      const { compiled } = await startPipelineRun(preparePipelineRun(dast, { set: tiny }), { out: null });
      const live: number[] = [];
      try {
        for (let iteration = 1; iteration <= 4; iteration++) {
          const event = await compiled.tick(iteration);
          const t = event.terms;
          for (const [key, value] of Object.entries(t)) expect(Number.isFinite(value), key).toBe(true);
          const gates = [t.select, t['select.selfTrainingGate']];
          for (const gate of gates) expect([0, 1]).toContain(gate);
          const cleanSmaller = t['select.cleanCriterion'] < t['select.noisyCriterion'];
          if (iteration <= 2) {
            // The rank queue of length 2 is filling: rank −1.
            expect(gates).toEqual([0, cleanSmaller ? 1 : 0]);
          } else if (!cleanSmaller) {
            expect(gates).toEqual([0, 0]);
          }
          expect(t.divergence).toBeCloseTo(0.5 * (t.klNoisyTowardsClean + t.klCleanTowardsNoisy), 5);
          expect(t.dbc).toBeCloseTo(t.select * t.divergence, 6);
          expect(t.st).toBeCloseTo(t['select.selfTrainingGate'] * t.voteMae, 6);
          expect(t.loss).toBeCloseTo(0.5 * (t.diceClean + t.ceClean + t.diceNoisy + t.ceNoisy) + t.rampup * (t.dbc + t.st), 5);
          live.push(event.liveTensors);
        }
      } finally {
        compiled.dispose();
      }
      expect(new Set(live.slice(1)).size, `live tensors: ${live.join(',')}`).toBe(1);
    });
  });
});
