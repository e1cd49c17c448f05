import { existsSync, mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { importDataset, type ImportSummary } from '../../src/datasets/import-dataset.js';
import { MicflowError } from '../../src/errors/micflow-error.js';
import { geometryDifferences } from '../../src/io/image-geometry.js';
import type { MedicalImage } from '../../src/io/medical-image.js';
import { readImage } from '../../src/io/read-image.js';
import { writeHdf5 } from '../io/hdf5-test-writer.js';
import { bands, leftovers, put, readCsv, volume, writeHdf5Volumes } from './dataset-test-data.js';

const scratch = mkdtempSync(path.join(tmpdir(), 'micflow-dataset-import-'));
afterAll(() => rmSync(scratch, { recursive: true, force: true }));

function expectSameImage(actual: MedicalImage, expected: MedicalImage): void {
  expect(geometryDifferences(actual, expected)).toEqual([]);
  expect(Array.from(actual.data as ArrayLike<number>)).toEqual(Array.from(expected.data as ArrayLike<number>));
}

async function failure(promise: Promise<unknown>): Promise<MicflowError> {
  const error = await promise.then(
    () => undefined,
    (e: unknown) => e,
  );
  expect(error).toBeInstanceOf(MicflowError);
  return error as MicflowError;
}

describe('importDataset', () => {
  describe('having an MSD / nnU-Net raw dataset with two channels and an imagesTs case', () => {
    const source = path.join(scratch, 'msd');
    const out = path.join(scratch, 'msd-out');
    const flair = (c: number) => volume([6, 5, 4], (x, y, z) => x + 10 * y + 100 * z + c, { type: 'int16' });
    const t1 = (c: number) => volume([6, 5, 4], (x, y, z) => (x * y + z + c) / 7);
    const label = volume([6, 5, 4], (x) => Math.min(2, Math.floor(x / 2)), { type: 'uint8' });
    let summary: ImportSummary;
    beforeAll(async () => {
      mkdirSync(source, { recursive: true });
      writeFileSync(
        path.join(source, 'dataset.json'),
        JSON.stringify({ name: 'Tiny', modality: { 0: 'FLAIR', 1: 'T1w' }, labels: { 0: 'background', 1: 'edema', 2: 'tumour' }, numTraining: 2 }),
      );
      for (const [i, id] of ['tiny_001', 'tiny_002'].entries()) {
        await put(path.join(source, 'imagesTr', `${id}_0000.nii.gz`), flair(i));
        await put(path.join(source, 'imagesTr', `${id}_0001.nii.gz`), t1(i));
        await put(path.join(source, 'labelsTr', `${id}.nii.gz`), label);
      }
      await put(path.join(source, 'imagesTs', 'tiny_101_0000.nii.gz'), flair(5));
      await put(path.join(source, 'imagesTs', 'tiny_101_0001.nii.gz'), t1(5));
      summary = await importDataset({ format: 'msd', source, out });
    });

    it('should list the labelled cases with one image column per channel, the label and the subject, and the imagesTs case apart', () => {
      expect(summary).toMatchObject({ cases: 2, unlabelled: 1, subjects: 2 });
      expect(readFileSync(path.join(out, 'all.csv'), 'utf8')).toBe(
        'image,image_1,label,subject\n' +
          'images/tiny_001.nii.gz,images/tiny_001_0001.nii.gz,labels/tiny_001.nii.gz,tiny_001\n' +
          'images/tiny_002.nii.gz,images/tiny_002_0001.nii.gz,labels/tiny_002.nii.gz,tiny_002\n',
      );
      expect(readCsv(path.join(out, 'unlabelled.csv')).rows).toEqual([{ image: 'images/tiny_101.nii.gz', image_1: 'images/tiny_101_0001.nii.gz', subject: 'tiny_101' }]);
    });

    it('should take the class and channel names from dataset.json', () => {
      const manifest = JSON.parse(readFileSync(path.join(out, 'classes.json'), 'utf8'));
      expect(manifest).toMatchObject({ names: ['background', 'edema', 'tumour'], channelNames: ['FLAIR', 'T1w'], imageColumns: ['image', 'image_1'], format: 'msd' });
    });

    it('should keep every channel and label voxel for voxel, with its spacing, origin and direction', async () => {
      expectSameImage(await readImage(path.join(out, 'images/tiny_002.nii.gz')), flair(1));
      expectSameImage(await readImage(path.join(out, 'images/tiny_002_0001.nii.gz')), t1(1));
      expectSameImage(await readImage(path.join(out, 'labels/tiny_002.nii.gz')), label);
      expect((await readImage(path.join(out, 'images/tiny_002.nii.gz'))).pixelType).toBe('int16');
    });
  });

  describe('having an nnU-Net v2 dataset.json (labels name → value, channel_names)', () => {
    it('should read the class names by value', async () => {
      const source = path.join(scratch, 'nnunet');
      mkdirSync(source, { recursive: true });
      writeFileSync(path.join(source, 'dataset.json'), JSON.stringify({ channel_names: { 0: 'CT' }, labels: { background: 0, liver: 1 }, file_ending: '.nii.gz' }));
      await put(path.join(source, 'imagesTr', 'liver_7_0000.nii.gz'), volume([4, 4, 2], (x) => x));
      await put(path.join(source, 'labelsTr', 'liver_7.nii.gz'), volume([4, 4, 2], (x) => (x > 1 ? 1 : 0), { type: 'uint8' }));
      const summary = await importDataset({ format: 'msd', source, out: path.join(scratch, 'nnunet-out') });
      expect(summary.manifest).toMatchObject({ names: ['background', 'liver'], imageColumns: ['image'], channelNames: ['CT'] });
    });
  });

  describe('having the original MSD layout, the modalities on a 4th axis of one file', () => {
    it('should split them into one image per channel with the 3D geometry', async () => {
      const source = path.join(scratch, 'msd-4d');
      mkdirSync(source, { recursive: true });
      writeFileSync(path.join(source, 'dataset.json'), JSON.stringify({ modality: { 0: 'FLAIR', 1: 'T1w' }, labels: { 0: 'background', 1: 'tumour' } }));
      const [X, Y, Z] = [4, 3, 2];
      const data = Float32Array.from({ length: X * Y * Z * 2 }, (_, i) => i);
      const spacing = [0.8, 0.9, 2.5, 1];
      await put(path.join(source, 'imagesTr', 'BRATS_001.nii.gz'), { data, size: [X, Y, Z, 2], spacing, origin: [10, -20, 5, 0], direction: [1, 0, 0, 0, 0, 1, 0, 0, 0, 0, 1, 0, 0, 0, 0, 1], components: 1, pixelType: 'float32' });
      await put(path.join(source, 'labelsTr', 'BRATS_001.nii.gz'), volume([X, Y, Z], (x) => (x > 1 ? 1 : 0), { type: 'uint8', direction: [1, 0, 0, 0, 1, 0, 0, 0, 1] }));
      const out = path.join(scratch, 'msd-4d-out');
      const summary = await importDataset({ format: 'msd', source, out });
      expect(summary.manifest.imageColumns).toEqual(['image', 'image_1']);
      const second = await readImage(path.join(out, 'images', 'BRATS_001_0001.nii.gz'));
      expect(second).toMatchObject({ size: [X, Y, Z], origin: [10, -20, 5] });
      expect(Array.from(second.data as Float32Array)).toEqual(Array.from(data.subarray(X * Y * Z)));
    });
  });

  describe('having SSL4MIS/WSL4MIS HDF5 volumes of two ACDC patients, two frames each', () => {
    const source = path.join(scratch, 'h5');
    const out = path.join(scratch, 'h5-out');
    let summary: ImportSummary;
    beforeAll(async () => {
      await writeHdf5Volumes(source, [3, 11]);
      summary = await importDataset({ format: 'hdf5', source, out });
    });

    it('should group the frames by patient, list image, label and scribble, and name the ACDC classes', () => {
      expect(summary).toMatchObject({ cases: 4, subjects: 2, scribbles: 4, unlabelled: 0 });
      const { header, rows } = readCsv(path.join(out, 'all.csv'));
      expect(header).toEqual(['image', 'label', 'scribble', 'subject']);
      expect(rows.map((r) => [r.image, r.subject])).toEqual([
        ['images/patient003_frame01.nii.gz', 'patient003'],
        ['images/patient003_frame12.nii.gz', 'patient003'],
        ['images/patient011_frame01.nii.gz', 'patient011'],
        ['images/patient011_frame12.nii.gz', 'patient011'],
      ]);
      expect(rows[0]).toMatchObject({ label: 'labels/patient003_frame01.nii.gz', scribble: 'scribbles/patient003_frame01.nii.gz' });
      expect(summary.manifest).toMatchObject({ names: ['background', 'RV', 'Myo', 'LV'], scribbleColumn: 'scribble', scribbleUnannotatedValue: 4 });
      expect(summary.manifest.notes.join(' ')).toMatch(/no spacing.*1 mm/);
    });

    it('should write z × H × W as an x-fastest volume of 1 mm spacing with the values unchanged', async () => {
      const image = await readImage(path.join(out, 'images/patient011_frame12.nii.gz'));
      expect(image).toMatchObject({ size: [12, 8, 3], spacing: [1, 1, 1], origin: [0, 0, 0], direction: [1, 0, 0, 0, 1, 0, 0, 0, 1], pixelType: 'float32' });
      const i = 5 + 12 * (6 + 8 * 2); // x 5, y 6, z 2
      expect((image.data as Float32Array)[i]).toBeCloseTo(((i * 7 + 11 + 12) % 97) / 97, 6);
      const label = await readImage(path.join(out, 'labels/patient011_frame12.nii.gz'));
      expect(label.pixelType).toBe('uint8');
      expect(label.data[i]).toBe(bands(5));
      const scribble = await readImage(path.join(out, 'scribbles/patient011_frame12.nii.gz'));
      expect([scribble.data[5 + 12 * 4], scribble.data[5 + 12 * 3]]).toEqual([bands(5), 4]);
    });

    it('when a label does not have the image\'s shape, should name the file and the dataset and leave no output', async () => {
      const bad = path.join(scratch, 'h5-bad');
      await writeHdf5Volumes(bad, [1]);
      await writeHdf5(path.join(bad, 'patient002_frame01.h5'), { image: { data: new Float32Array(24), shape: [2, 3, 4] }, label: { data: new Uint8Array(12), shape: [1, 3, 4] } });
      const error = await failure(importDataset({ format: 'hdf5', source: bad, out: path.join(scratch, 'h5-bad-out') }));
      expect(error.message).toMatch(/patient002_frame01\.h5: dataset "label" has shape \[1, 3, 4\], but "image" has \[2, 3, 4\]/);
      expect(existsSync(path.join(scratch, 'h5-bad-out'))).toBe(false);
      expect(leftovers(scratch)).toEqual([]);
    });
  });

  describe("having ACDC's own layout under training/", () => {
    const source = path.join(scratch, 'acdc');
    const out = path.join(scratch, 'acdc-out');
    const cine = (p: number, f: number) => volume([7, 6, 3], (x, y, z) => x + y + z + p + f, { type: 'int16', spacing: [1.5, 1.5, 10] });
    const gt = volume([7, 6, 3], (x) => Math.min(3, Math.floor(x / 2)), { type: 'uint8', spacing: [1.5, 1.5, 10] });
    beforeAll(async () => {
      for (const [p, es, group] of [[1, 12, 'DCM'], [42, 9, 'MINF']] as const) {
        const patient = `patient${String(p).padStart(3, '0')}`;
        const folder = path.join(source, 'training', patient);
        mkdirSync(folder, { recursive: true });
        writeFileSync(path.join(folder, 'Info.cfg'), `ED: 1\nES: ${es}\nGroup: ${group}\nHeight: 180.0\nNbFrame: 30\nWeight: 80.0\n`);
        for (const f of [1, es]) {
          const frame = `${patient}_frame${String(f).padStart(2, '0')}`;
          await put(path.join(folder, `${frame}.nii.gz`), cine(p, f));
          await put(path.join(folder, `${frame}_gt.nii.gz`), gt);
        }
      }
      // A frame without ground truth goes to unlabelled.csv.
      await put(path.join(source, 'training', 'patient042', 'patient042_frame05.nii.gz'), cine(42, 5));
    });

    it('should list every labelled frame with its patient, pathology group and phase, and keep the geometry', async () => {
      const summary = await importDataset({ format: 'acdc', source, out });
      expect(summary).toMatchObject({ cases: 4, subjects: 2, unlabelled: 1 });
      const { header, rows } = readCsv(path.join(out, 'all.csv'));
      expect(header).toEqual(['image', 'label', 'subject', 'group', 'phase']);
      expect(rows.map((r) => [r.image, r.subject, r.group, r.phase])).toEqual([
        ['images/patient001_frame01.nii.gz', 'patient001', 'DCM', 'ED'],
        ['images/patient001_frame12.nii.gz', 'patient001', 'DCM', 'ES'],
        ['images/patient042_frame01.nii.gz', 'patient042', 'MINF', 'ED'],
        ['images/patient042_frame09.nii.gz', 'patient042', 'MINF', 'ES'],
      ]);
      expect(readCsv(path.join(out, 'unlabelled.csv')).rows).toEqual([{ image: 'images/patient042_frame05.nii.gz', subject: 'patient042', group: 'MINF', phase: '' }]);
      expectSameImage(await readImage(path.join(out, 'images/patient042_frame09.nii.gz')), cine(42, 9));
      expectSameImage(await readImage(path.join(out, 'labels/patient042_frame09.nii.gz')), gt);
      expect(summary.manifest.names).toEqual(['background', 'RV', 'Myo', 'LV']);
    });

    it('when --out already holds files, should refuse before reading anything', async () => {
      const error = await failure(importDataset({ format: 'acdc', source, out }));
      expect(error.message).toMatch(/--out .*acdc-out already exists and is not an empty folder/);
    });
  });

  describe('having a folder of PNG images and a folder of masks', () => {
    const images = path.join(scratch, 'png-images');
    const masks = path.join(scratch, 'png-masks');
    const picture = (k: number): MedicalImage => ({
      data: Uint8Array.from({ length: 5 * 4 }, (_, i) => (i * 13 + k) % 256),
      size: [5, 4], spacing: [1, 1], origin: [0, 0], direction: [1, 0, 0, 1], components: 1, pixelType: 'uint8',
    });
    const mask = (k: number, foreground = 1): MedicalImage => ({ ...picture(k), data: Uint8Array.from({ length: 20 }, (_, i) => (i % 5 > k ? foreground : 0)) });
    beforeAll(async () => {
      for (const k of [1, 2, 3]) await put(path.join(images, `case${k}.png`), picture(k));
      await put(path.join(masks, 'case1.png'), mask(1));
      await put(path.join(masks, 'case2.png'), mask(2, 2));
    });

    it('should match them by name, keep the pixels, and put the image without a mask in unlabelled.csv', async () => {
      const out = path.join(scratch, 'png-out');
      const summary = await importDataset({ format: 'folder', source: images, masks, out, classNames: ['background', 'polyp', 'instrument'] });
      expect(summary).toMatchObject({ cases: 2, unlabelled: 1, subjects: 2 });
      expect(readCsv(path.join(out, 'all.csv')).rows).toEqual([
        { image: 'images/case1.nii.gz', label: 'labels/case1.nii.gz', subject: 'case1' },
        { image: 'images/case2.nii.gz', label: 'labels/case2.nii.gz', subject: 'case2' },
      ]);
      expect(readCsv(path.join(out, 'unlabelled.csv')).rows).toEqual([{ image: 'images/case3.nii.gz', subject: 'case3' }]);
      expectSameImage(await readImage(path.join(out, 'images/case2.nii.gz')), picture(2));
      expectSameImage(await readImage(path.join(out, 'labels/case2.nii.gz')), mask(2, 2));
      expect(summary.manifest.names).toEqual(['background', 'polyp', 'instrument']);
    });

    it('when a mask holds a value outside the given classes, should name the file and leave no output folder', async () => {
      const out = path.join(scratch, 'png-too-few');
      const error = await failure(importDataset({ format: 'folder', source: images, masks, out, classNames: ['background', 'polyp'] }));
      expect(error.message).toMatch(/png-masks\/case2\.png holds label 2, outside the 2 classes \(background, polyp\)/);
      expect(existsSync(out)).toBe(false);
      expect(leftovers(scratch)).toEqual([]);
    });

    it('when given --subject, should group cases by the pattern\'s first group', async () => {
      const out = path.join(scratch, 'png-subject');
      const summary = await importDataset({ format: 'folder', source: images, masks, out, subjectPattern: /^(case)\d/ });
      expect(summary.subjects).toBe(1);
      expect(readCsv(path.join(out, 'all.csv')).rows.map((r) => r.subject)).toEqual(['case', 'case']);
      await expect(importDataset({ format: 'folder', source: images, masks, out: path.join(scratch, 'png-nomatch'), subjectPattern: /^patient/ })).rejects.toThrow(
        /--subject \^patient: does not match case "case1"/,
      );
    });

    it('when a mask has no image, should name the mask', async () => {
      await put(path.join(scratch, 'orphan-masks', 'case9.png'), mask(1));
      const error = await failure(importDataset({ format: 'folder', source: images, masks: path.join(scratch, 'orphan-masks'), out: path.join(scratch, 'orphan-out') }));
      expect(error.message).toMatch(/orphan-masks\/case9\.png has no image named case9/);
    });
  });
});
