import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { readFile, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { MedicalImage } from '../../../src/io/medical-image.js';
import { writeImage } from '../../../src/io/read-image.js';
import { checkCsvDataset } from '../../../src/stages/datasets/check-dataset.js';

const dir = mkdtempSync(join(tmpdir(), 'micflow-check-data-'));
afterAll(() => rmSync(dir, { recursive: true, force: true }));

const image = (size: number[], origin: number[], fill: (i: number) => number): MedicalImage => ({
  data: Uint8Array.from({ length: size.reduce((a, b) => a * b) }, (_, i) => fill(i)),
  size,
  spacing: size.map(() => 1),
  origin,
  direction: size.length === 3 ? [1, 0, 0, 0, 1, 0, 0, 0, 1] : [1, 0, 0, 1],
  components: 1,
  pixelType: 'uint8',
});

beforeAll(async () => {
  await writeImage(join(dir, 'a.nii.gz'), image([4, 4, 2], [0, 0, 0], (i) => i));
  await writeImage(join(dir, 'a-label.nii.gz'), image([4, 4, 2], [0, 0, 0], (i) => i % 2));
  await writeImage(join(dir, 'small-label.nii.gz'), image([4, 3, 2], [0, 0, 0], () => 0));
  await writeImage(join(dir, 'shifted-label.nii.gz'), image([4, 4, 2], [5, 0, 0], () => 0));
  await writeImage(join(dir, 'many-classes.nii.gz'), image([4, 4, 2], [0, 0, 0], (i) => i % 7));
  const whole = await readFile(join(dir, 'a.nii.gz'));
  await writeFile(join(dir, 'truncated.nii.gz'), whole.subarray(0, whole.length >> 1));
  writeFileSync(join(dir, 'garbage.png'), 'not a png at all');
  writeFileSync(
    join(dir, 'bad.csv'),
    [
      'image,label',
      'a.nii.gz,a-label.nii.gz',
      'missing.nii.gz,a-label.nii.gz',
      'truncated.nii.gz,a-label.nii.gz',
      'garbage.png,a-label.nii.gz',
      'a.nii.gz,small-label.nii.gz',
      'a.nii.gz,shifted-label.nii.gz',
      'a.nii.gz,many-classes.nii.gz',
    ].join('\n'),
  );
  writeFileSync(join(dir, 'empty.csv'), '');
  writeFileSync(join(dir, 'header-only.csv'), 'image,label\n');
  writeFileSync(join(dir, 'no-label-column.csv'), 'image\na.nii.gz\n');
  writeFileSync(join(dir, 'bad-weight.csv'), 'image,label,weight\na.nii.gz,a-label.nii.gz,heavy\n');
  const nan = { ...image([4, 4, 2], [0, 0, 0], () => 0), data: Float32Array.from({ length: 32 }, (_, i) => (i === 3 ? NaN : i === 9 ? Infinity : i)), pixelType: 'float32' as const };
  await writeImage(join(dir, 'nan.nii.gz'), nan);
  writeFileSync(join(dir, 'nan.csv'), 'image,label\nnan.nii.gz,a-label.nii.gz\n');
});

describe('checkCsvDataset', () => {
  describe('having a list with one good row and one row per kind of bad input', () => {
    it('should report each bad row once, naming the list line and the file, and pass the good row', async () => {
      const report = await checkCsvDataset({ csv: 'bad.csv', classes: 5 }, dir);
      const csv = join(dir, 'bad.csv');
      expect(report.problems).toHaveLength(6);
      const [missing, truncated, garbage, size, geometry, classes] = report.problems;
      expect(missing).toBe(`${csv} line 3: ${join(dir, 'missing.nii.gz')} does not exist`);
      expect(truncated).toContain(`${csv} line 4: Could not read image file ${join(dir, 'truncated.nii.gz')}`);
      expect(garbage).toContain(`${csv} line 5: Could not read image file ${join(dir, 'garbage.png')}`);
      expect(size).toBe(`${csv} line 6: label ${join(dir, 'small-label.nii.gz')} is 4×3×2, but image ${join(dir, 'a.nii.gz')} is 4×4×2`);
      expect(geometry).toBe(`${csv} line 7: label ${join(dir, 'shifted-label.nii.gz')} does not overlay image ${join(dir, 'a.nii.gz')}: origin [5, 0, 0] differs from [0, 0, 0]`);
      expect(classes).toBe(`${csv} line 8: label ${join(dir, 'many-classes.nii.gz')} holds 5, outside the 5 declared classes (0..4)`);
      expect(report.rowsChecked).toBe(6);
    });
  });

  describe('having an empty list, a header without rows, a missing column or a bad weight', () => {
    it('should give one message each naming the file (and the line where there is one)', async () => {
      const problems = async (csv: string, extra = {}) => (await checkCsvDataset({ csv, ...extra }, dir)).problems;
      expect(await problems('empty.csv')).toEqual([`${join(dir, 'empty.csv')}: the dataset list is empty (no header line)`]);
      expect(await problems('header-only.csv')).toEqual([`${join(dir, 'header-only.csv')}: the dataset list has a header but no rows`]);
      expect(await problems('no-label-column.csv')).toEqual([`${join(dir, 'no-label-column.csv')} line 1: missing column "label"; the header has "image"`]);
      expect(await problems('bad-weight.csv', { weightColumn: 'weight' })).toEqual([`${join(dir, 'bad-weight.csv')} line 2: weight "heavy" in column "weight" is not a non-negative number`]);
      expect(await problems('nowhere.csv')).toEqual([`${join(dir, 'nowhere.csv')}: cannot read the dataset list (no such file)`]);
    });
  });
});

describe('checkCsvDataset on intensities', () => {
  describe('having an image with a NaN and an infinite value', () => {
    it('should name the file and count them', async () => {
      const report = await checkCsvDataset({ csv: 'nan.csv' }, dir);
      expect(report.problems).toEqual([`${join(dir, 'nan.csv')} line 2: image ${join(dir, 'nan.nii.gz')} holds 2 NaN or infinite values (of 32); fix or mask them before training`]);
    });
  });

  describe('having no declared classes but the consuming network\'s', () => {
    it('should check the labels against them and say so', async () => {
      const report = await checkCsvDataset({ csv: 'bad.csv' }, { dataRoot: dir, inferredClasses: 5 });
      expect(report.problems.at(-1)).toBe(`${join(dir, 'bad.csv')} line 8: label ${join(dir, 'many-classes.nii.gz')} holds 5, outside the 5 declared classes (0..4)`);
      expect(report.notes).toEqual(['labels of bad.csv checked against 5 classes, the consuming network\'s']);
    });
  });
});
