import { existsSync, mkdirSync, mkdtempSync, readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { importDataset } from '../../src/datasets/import-dataset.js';
import { splitDataset, splitSubjects } from '../../src/datasets/split-dataset.js';
import { MicflowError } from '../../src/errors/micflow-error.js';
import { readImage } from '../../src/io/read-image.js';
import { checkCsvDataset } from '../../src/stages/datasets/check-dataset.js';
import { put, readCsv, writeHdf5Volumes } from './dataset-test-data.js';

const scratch = mkdtempSync(path.join(tmpdir(), 'micflow-dataset-split-'));
afterAll(() => rmSync(scratch, { recursive: true, force: true }));

/** A dataset list of `subjects` subjects with 1 to 3 cases each (no image files: a split without slices does not read them). */
function listOnly(name: string, subjects: number): string {
  const directory = path.join(scratch, name);
  mkdirSync(directory, { recursive: true });
  const lines = ['image,label,subject'];
  for (let s = 0; s < subjects; s++) for (let c = 0; c <= s % 3; c++) lines.push(`images/s${s}_${c}.nii.gz,labels/s${s}_${c}.nii.gz,s${String(s).padStart(2, '0')}`);
  writeFileSync(path.join(directory, 'all.csv'), `${lines.join('\n')}\n`);
  return directory;
}

const subjectsOf = (file: string) => new Set(readCsv(file).rows.map((r) => r.subject));
const overlap = (a: Set<string>, b: Set<string>) => [...a].filter((s) => b.has(s));

describe('splitDataset', () => {
  describe('having 23 subjects with one to three cases each', () => {
    for (const [folds, seed, test] of [[2, 1, 0], [3, 7, 0.2], [5, 2, 0.1], [5, 99, 0]] as const) {
      it(`when split into ${folds} folds with seed ${seed}${test ? ` and ${test} test subjects` : ''}, should never put a subject on both sides and balance the folds within one subject`, async () => {
        const directory = listOnly(`balanced-${folds}-${seed}`, 23);
        await splitDataset({ directory, folds, seed, test: test || undefined, labelled: 0.25 });
        const all = subjectsOf(path.join(directory, 'all.csv'));
        const validated: string[] = [];
        const testSubjects = test ? subjectsOf(path.join(directory, 'fold0', 'test.csv')) : new Set<string>();
        expect(testSubjects.size).toBe(test ? Math.round(test * 23) : 0);
        for (let k = 0; k < folds; k++) {
          const fold = path.join(directory, `fold${k}`);
          const train = subjectsOf(path.join(fold, 'train.csv'));
          const valid = subjectsOf(path.join(fold, 'valid.csv'));
          const labelled = subjectsOf(path.join(fold, 'train_labelled.csv'));
          const unlabelled = subjectsOf(path.join(fold, 'train_unlabelled.csv'));
          expect(overlap(train, valid)).toEqual([]);
          expect(overlap(train, testSubjects)).toEqual([]);
          expect(overlap(valid, testSubjects)).toEqual([]);
          expect(overlap(labelled, unlabelled)).toEqual([]);
          expect([...labelled, ...unlabelled].sort()).toEqual([...train].sort());
          expect(labelled.size).toBe(Math.round(0.25 * train.size));
          expect(train.size + valid.size + testSubjects.size).toBe(all.size);
          if (test) expect(readFileSync(path.join(fold, 'test.csv'), 'utf8')).toBe(readFileSync(path.join(directory, 'fold0', 'test.csv'), 'utf8'));
          // Every case of a subject goes with it.
          expect(readCsv(path.join(fold, 'train.csv')).rows.length + readCsv(path.join(fold, 'valid.csv')).rows.length).toBe(
            readCsv(path.join(directory, 'all.csv')).rows.filter((r) => !testSubjects.has(r.subject)).length,
          );
          validated.push(...valid);
        }
        expect(validated.sort()).toEqual([...all].filter((s) => !testSubjects.has(s)).sort());
        const sizes = Array.from({ length: folds }, (_, k) => subjectsOf(path.join(directory, `fold${k}`, 'valid.csv')).size);
        expect(Math.max(...sizes) - Math.min(...sizes)).toBeLessThanOrEqual(1);
      });
    }

    it('when split twice with one seed, should write the same lists; with another seed, other folds', async () => {
      const a = listOnly('seed-a', 23);
      const b = listOnly('seed-b', 23);
      const c = listOnly('seed-c', 23);
      await splitDataset({ directory: a, folds: 4, seed: 3, labelled: 0.2 });
      await splitDataset({ directory: b, folds: 4, seed: 3, labelled: 0.2 });
      await splitDataset({ directory: c, folds: 4, seed: 4, labelled: 0.2 });
      for (let k = 0; k < 4; k++) {
        for (const list of ['train.csv', 'valid.csv', 'train_labelled.csv', 'train_unlabelled.csv']) {
          expect(readFileSync(path.join(b, `fold${k}`, list), 'utf8')).toBe(readFileSync(path.join(a, `fold${k}`, list), 'utf8'));
        }
      }
      expect(readFileSync(path.join(c, 'fold0', 'valid.csv'), 'utf8')).not.toBe(readFileSync(path.join(a, 'fold0', 'valid.csv'), 'utf8'));
      expect(JSON.parse(readFileSync(path.join(a, 'split.json'), 'utf8'))).toMatchObject({ seed: 3, folds: 4, by: 'subject', labelled: 0.2 });
    });

    it('should write paths relative to the fold folder, so it is a data root', async () => {
      const directory = listOnly('relative', 6);
      await splitDataset({ directory, folds: 2, seed: 1 });
      expect(readCsv(path.join(directory, 'fold0', 'train.csv')).rows[0].image).toMatch(/^\.\.\/images\/s\d_0\.nii\.gz$/);
    });
  });

  describe('splitSubjects', () => {
    it('should give each fold its subjects round-robin after a seeded shuffle, labelled at least one and at most all but one', () => {
      const subjects = Array.from({ length: 10 }, (_, i) => `p${i}`);
      const split = splitSubjects(subjects, { folds: 3, seed: 5, labelled: 0.01 });
      expect(split.folds.map((f) => f.valid.length).sort()).toEqual([3, 3, 4]);
      expect(split.folds.every((f) => f.labelled!.length === 1)).toBe(true);
      expect(splitSubjects(subjects, { folds: 2, seed: 5, labelled: 0.99 }).folds.every((f) => f.labelled!.length === 4)).toBe(true);
    });
  });

  describe('having bad options or lists', () => {
    it('when there are fewer subjects than folds, should name --folds and change nothing', async () => {
      const directory = listOnly('few', 3);
      const error = await splitDataset({ directory, folds: 5, seed: 1 }).catch((e: unknown) => e);
      expect(error).toBeInstanceOf(MicflowError);
      expect((error as Error).message).toMatch(/--folds 5: only 3 subjects/);
      expect(readdirSync(directory)).toEqual(['all.csv']);
    });

    it('when asked for axial slices of 2D images, should name the file', async () => {
      const directory = path.join(scratch, 'flat');
      const flat = { data: new Uint8Array(6), size: [3, 2], spacing: [1, 1], origin: [0, 0], direction: [1, 0, 0, 1], components: 1, pixelType: 'uint8' as const };
      for (const id of ['a', 'b']) {
        await put(path.join(directory, 'in', 'images', `${id}.png`), flat);
        await put(path.join(directory, 'in', 'masks', `${id}.png`), flat);
      }
      await importDataset({ format: 'folder', source: path.join(directory, 'in', 'images'), masks: path.join(directory, 'in', 'masks'), out: path.join(directory, 'out') });
      await expect(splitDataset({ directory: path.join(directory, 'out'), folds: 2, seed: 1, slices: 'axial' })).rejects.toThrow(/--slices axial: .*images\/a\.nii\.gz is 2D \(3×2\)/);
    });

    it('when the --by column is missing, should name the list and the column', async () => {
      const directory = listOnly('no-column', 6);
      await expect(splitDataset({ directory, folds: 2, seed: 1, by: 'patient' })).rejects.toThrow(/all\.csv: no column "patient".*--by/);
    });

    it('when a listed volume cannot be read for slicing, should name the list line and leave the earlier split as it was', async () => {
      const directory = listOnly('unreadable', 6);
      await splitDataset({ directory, folds: 2, seed: 1 });
      const before = readFileSync(path.join(directory, 'fold0', 'train.csv'), 'utf8');
      const error = await splitDataset({ directory, folds: 3, seed: 1, slices: 'axial' }).catch((e: unknown) => e);
      expect((error as Error).message).toMatch(/all\.csv line 2: Image file .*s0_0\.nii\.gz does not exist/);
      expect(readdirSync(directory).sort()).toEqual(['all.csv', 'fold0', 'fold1', 'split.json']);
      expect(readFileSync(path.join(directory, 'fold0', 'train.csv'), 'utf8')).toBe(before);
    });
  });

  describe('having imported HDF5 volumes of six patients, split into axial slices', () => {
    const directory = path.join(scratch, 'sliced');
    beforeAll(async () => {
      await writeHdf5Volumes(path.join(scratch, 'sliced-h5'), [1, 2, 3, 4, 5, 6]);
      await importDataset({ format: 'hdf5', source: path.join(scratch, 'sliced-h5'), out: directory });
      await splitDataset({ directory, folds: 2, seed: 1, test: 0.2, labelled: 0.3, slices: 'axial' });
    });

    it('should list every slice with its subject, volume and index, image, label and scribble cut at the same plane', async () => {
      const { header, rows } = readCsv(path.join(directory, 'fold0', 'train.csv'));
      expect(header).toEqual(['image', 'label', 'scribble', 'subject', 'volume', 'slice']);
      const row = rows.find((r) => r.slice === '2')!;
      const volume = await readImage(path.join(directory, 'images', `${row.volume}.nii.gz`));
      const slice = await readImage(path.join(directory, 'fold0', row.image));
      expect(slice.size).toEqual([12, 8, 1]);
      expect(Array.from(slice.data as Float32Array)).toEqual(Array.from((volume.data as Float32Array).subarray(2 * 96, 3 * 96)));
      expect(slice.origin).toEqual([0, 0, 2]);
      expect(row.label).toBe(`../slices/labels/${row.volume}_slice02.nii.gz`);
      expect(row.scribble).toBe(`../slices/scribbles/${row.volume}_slice02.nii.gz`);
      const all = [0, 1].flatMap((k) => [...readCsv(path.join(directory, `fold${k}`, 'valid.csv')).rows]);
      expect(all.length + readCsv(path.join(directory, 'fold0', 'test.csv')).rows.length).toBe(12 * 3);
    });

    it("should write lists the project's CsvDataset check reads: slices as 2D, labels within the classes, scribbles with 4 unannotated", async () => {
      const fold = path.join(directory, 'fold1');
      for (const csv of ['train.csv', 'valid.csv', 'test.csv', 'train_labelled.csv']) {
        expect(await checkCsvDataset({ csv, classes: 4 }, fold), csv).toMatchObject({ problems: [] });
      }
      expect(await checkCsvDataset({ csv: 'train_unlabelled.csv', labelColumn: null }, fold)).toMatchObject({ problems: [] });
      expect(await checkCsvDataset({ csv: 'train_scribble.csv', classes: 4, extraLabelValues: [4] }, fold)).toMatchObject({ problems: [] });
      expect(existsSync(path.join(fold, 'classes.json'))).toBe(true);
    });

    it('should also list the whole volumes of the validation and test subjects, the same subjects as their slice lists', async () => {
      const fold = path.join(directory, 'fold0');
      for (const [volumes, slices] of [['valid_volumes.csv', 'valid.csv'], ['test_volumes.csv', 'test.csv']]) {
        const volumeList = readCsv(path.join(fold, volumes));
        expect(volumeList.header).toEqual(['image', 'label', 'scribble', 'subject']);
        const sliceVolumes = new Set(readCsv(path.join(fold, slices)).rows.map((r) => r.volume));
        expect(new Set(volumeList.rows.map((r) => path.basename(r.image, '.nii.gz')))).toEqual(sliceVolumes);
        expect(await checkCsvDataset({ csv: volumes, classes: 4 }, fold), volumes).toMatchObject({ problems: [] });
        const volume = await readImage(path.join(fold, volumeList.rows[0].image));
        expect(volume.size).toEqual([12, 8, 3]);
      }
    });
  });
});
