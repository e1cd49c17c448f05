import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { formatDataCheckReport } from '../../src/graph/data-check.js';
import { pipeline, stage, type NodeDefinition } from '../../src/graph/pipeline-definition.js';
import type { MedicalImage } from '../../src/io/medical-image.js';
import { writeImage } from '../../src/io/read-image.js';
import { checkPipelineData } from '../../src/run/check-pipeline-data.js';
import { preparePipelineRun } from '../../src/run/pipeline-run.js';

const dir = mkdtempSync(join(tmpdir(), 'micflow-check-pipeline-'));
afterAll(() => rmSync(dir, { recursive: true, force: true }));

const image = (fill: (i: number) => number): MedicalImage => ({
  data: Uint8Array.from({ length: 16 }, (_, i) => fill(i)),
  size: [4, 4],
  spacing: [1, 1],
  origin: [0, 0],
  direction: [1, 0, 0, 1],
  components: 1,
  pixelType: 'uint8',
});

beforeAll(async () => {
  await writeImage(join(dir, 'a.nii.gz'), image((i) => i));
  await writeImage(join(dir, 'a-label.nii.gz'), image((i) => i % 2));
  await writeImage(join(dir, 'nine-label.nii.gz'), image((i) => (i === 5 ? 9 : 0)));
  writeFileSync(join(dir, 'good.csv'), 'image,label\na.nii.gz,a-label.nii.gz\n');
  writeFileSync(join(dir, 'nine.csv'), 'image,label\na.nii.gz,nine-label.nii.gz\n');
  writeFileSync(join(dir, 'header-only.csv'), 'image,label\n');
});

/** A valid pipeline: a 5-class network evaluated on each of these datasets (each through `transforms`). */
function evaluated(datasets: Record<string, string>, transforms: Array<[string, Record<string, unknown>]> = []) {
  const nodes: Record<string, NodeDefinition> = { net: stage('UNet2D', { classes: 5, features: [2, 4, 8, 16] , dropout: [0, 0, 0, 0] }) };
  for (const [name, csv] of Object.entries(datasets)) {
    nodes[name] = stage('CsvDataset', { csv });
    let previous = name;
    transforms.forEach(([transform, params], i) => {
      nodes[`${name}T${i}`] = stage(transform, params, { samples: previous });
      previous = `${name}T${i}`;
    });
    nodes[`${name}Evaluate`] = stage('Evaluate', {}, { net: 'net', samples: previous });
  }
  return preparePipelineRun(pipeline({ name: 'p', description: '', data: dir, schedule: { iterations: 1, seed: 1 }, nodes })).validated;
}

describe('checkPipelineData', () => {
  describe('having train, valid and test lists (two the same) and one empty', () => {
    it('should check each distinct list once, prefixing the node name', async () => {
      const report = await checkPipelineData(evaluated({ train: 'good.csv', again: 'good.csv', valid: 'header-only.csv' }), dir);
      expect(report.lists).toBe(2);
      expect(report.rowsChecked).toBe(1);
      expect(report.problems).toEqual([`valid: ${join(dir, 'header-only.csv')}: the dataset list has a header but no rows`]);
      expect(formatDataCheckReport(report).split('\n').slice(0, 2)).toEqual(['check-data: 1 problem in 2 dataset lists (1 row decoded)', `  - ${report.problems[0]}`]);
      expect(formatDataCheckReport({ lists: 1, rowsChecked: 3, problems: [] })).toBe('check-data: ok (1 dataset list, 3 rows decoded)');
    });
  });

  describe('when a label holds 9 and the dataset declares no classes', () => {
    it("should find it outside the consuming network's 5 classes", async () => {
      const report = await checkPipelineData(evaluated({ train: 'nine.csv' }), dir);
      expect(report.problems).toEqual([`train: ${join(dir, 'nine.csv')} line 2: label ${join(dir, 'nine-label.nii.gz')} holds 9, outside the 5 declared classes (0..4)`]);
      expect(report.notes).toEqual(["train: labels of nine.csv checked against 5 classes, the consuming network's"]);
    });

    it('should not infer classes through a transform that remaps labels', async () => {
      const report = await checkPipelineData(evaluated({ train: 'nine.csv' }, [['LabelConvert', { sourceLabels: [9], targetLabels: [1] }]]), dir);
      expect(report.problems).toEqual([]);
      expect(report.notes).toEqual([]);
    });
  });
});
