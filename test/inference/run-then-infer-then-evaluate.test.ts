import { mkdtempSync, readdirSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { lastValueFrom, toArray } from 'rxjs';
import { afterAll, describe, expect, it } from 'vitest';
import type { RunEvent } from '../../src/events/run-event.js';
import { stage } from '../../src/graph/pipeline-definition.js';
import { inferImageFiles } from '../../src/inference/infer-image-files.js';
import { loadTrainedModel } from '../../src/inference/trained-model.js';
import { evaluateCaseList } from '../../src/metrics/evaluate-image-folders.js';
import { createMicflowContainer } from '../../src/run/micflow-container.js';
import { preparePipelineRun, startPipelineRun } from '../../src/run/pipeline-run.js';
import { tinySupervisedPipeline } from '../run/tiny-pipeline.js';

const scratch = mkdtempSync(join(tmpdir(), 'micflow-run-infer-'));
afterAll(() => rmSync(scratch, { recursive: true, force: true }));

describe('a run, then inference from its directory, then evaluation of the predictions', () => {
  it('should write metrics.csv during the run and predictions whose folder evaluation agrees with it', async () => {
    const runDirectory = join(scratch, 'run');
    const definition = tinySupervisedPipeline(2, {
      valid: stage('CsvDataset', { csv: 'valid.csv' }),
      validNormalised: stage('NormalizeWithMeanStd', {}, { samples: 'valid' }),
      checkpoint: stage('Checkpoint', { every: 2 }, { nets: ['net'] }),
      evaluate: stage('EvaluateSegmentation', { checkpoint: 'current', labels: [1, 2, 3, 4] }, { net: 'net', samples: 'validNormalised' }),
    });
    const started = await startPipelineRun(preparePipelineRun(definition), { out: runDirectory, backend: 'cpu' });
    let events: RunEvent[];
    try {
      events = await lastValueFrom(started.events.pipe(toArray()));
    } finally {
      started.compiled.dispose();
    }
    const evaluation = events.find((e) => e.type === 'evaluation');
    expect(evaluation && evaluation.type === 'evaluation' && evaluation.cases).toBe(12);
    const table = readFileSync(join(runDirectory, 'metrics.csv'), 'utf8').trim().split('\n');
    expect(table).toHaveLength(1 + 12 * 4 + 2 * 4);

    // Inference from the run directory, with the same preprocessing (validNormalised), into a folder of PNGs.
    const container = createMicflowContainer();
    const model = await loadTrainedModel(runDirectory, { container, runtime: started.runtime });
    const out = join(scratch, 'predictions');
    try {
      expect(model.preprocessingNodes).toEqual(['validNormalised']);
      await inferImageFiles({ models: [model], data: resolve('fixtures/brain-mr-2d/valid.csv'), outDirectory: out });
    } finally {
      model.dispose();
    }
    expect(readdirSync(out)).toHaveLength(12);

    // Evaluating those predictions against the same list (whose label folder holds all 54 slices) must reproduce the
    // in-run table's Dice for every case and label.
    const cases = await evaluateCaseList({ caseList: resolve('fixtures/brain-mr-2d/valid.csv'), predictionDirectory: out, labels: [1, 2, 3, 4] });
    expect(cases).toHaveLength(12);
    const header = table[0].split(',');
    for (const c of cases) {
      for (const m of c.labels) {
        const row = table.find((line) => line.startsWith(`${c.id},${m.label},`))!.split(',');
        expect(Number(row[header.indexOf('dice')]), `${c.id} label ${m.label}`).toBeCloseTo(m.dice, 5);
        for (const name of ['hd95', 'hd95Pymic'] as const) {
          const cell = row[header.indexOf(name)];
          if (cell === '') expect(m[name], `${c.id} label ${m.label} ${name}`).toBeNaN();
          else expect(Number(cell), `${c.id} label ${m.label} ${name}`).toBeCloseTo(m[name], 3);
        }
      }
    }
  }, 180_000);
});
