import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { concat, lastValueFrom, toArray } from 'rxjs';
import { describe, expect, it } from 'vitest';
import { openedFilesDataset } from '../../src/browser/opened-files-dataset.js';
import { itkWasmFormatOf } from '../../src/browser/itk-wasm-images.js';
import { decodeOpenedImage, isOpened, openedFolderSlices, openedPathOf } from '../../src/browser/opened-files.js';
import { inMemoryRunContext } from '../../src/graph/run-context.js';
import type { SampleStreamStage } from '../../src/graph/stage.js';
import { readNifti } from '../../src/io/read-nifti.js';
import { readPng } from '../../src/io/read-png.js';
import { SeededRandom } from '../../src/runtime/seeded-random.js';
import { csvDatasetParams } from '../../src/stages/datasets/csv-dataset-params.js';
import { CsvDataset } from '../../src/stages/datasets/csv-dataset.js';

const root = join(import.meta.dirname, '../..');
const bytesOf = (path: string) => new Uint8Array(readFileSync(join(root, path)));

describe('opened files (the browser data source), run in Node', () => {
  it('should decode a PNG through DecompressionStream as the Node reader does through zlib', async () => {
    const file = 'fixtures/brain-mr-2d/image/z050.png';
    expect(await decodeOpenedImage(file, bytesOf(file))).toEqual(await readPng(join(root, file)));
  });

  it('should decode a gzipped NIfTI-1 volume as the Node reader does', async () => {
    const file = 'fixtures/brain-mr-3d/image/colin27-left.nii.gz';
    const opened = await decodeOpenedImage(file, bytesOf(file));
    expect(opened).toEqual(await readNifti(join(root, file)));
    expect(opened.size.length).toBe(3);
  });

  it('should name the formats it reads when given another', async () => {
    await expect(decodeOpenedImage('scan.tif', new Uint8Array(4))).rejects.toThrow(/scan\.tif: in the browser micflow reads PNG, NIfTI-1 \(\.nii, \.nii\.gz\), DICOM \(\.dcm, a folder of slices\), MetaImage \(\.mha\) and NRRD \(\.nrrd\)$/);
  });

  it('should pick the itk-wasm reader by ending as Node does, and DICOM by its preamble', () => {
    const part10 = new Uint8Array(200);
    part10.set([0x44, 0x49, 0x43, 0x4d], 128);
    expect(['a.dcm', 'a.DCM', 'a.mha', 'a.mhd', 'a.nrrd', 'a.nhdr', 'a.tif'].map((f) => itkWasmFormatOf(f, new Uint8Array(200)))).toEqual(['dicom', 'dicom', 'meta', 'meta', 'nrrd', 'nrrd', undefined]);
    expect(itkWasmFormatOf('series/IM0001', part10)).toBe('dicom');
  });

  it('should fetch nothing when the page has not said where itk-wasm is served, and say so', async () => {
    await expect(decodeOpenedImage('scan.dcm', new Uint8Array(4))).rejects.toThrow(/^Could not read image file scan\.dcm: itk-wasm's pipelines have no location in this page \(call setItkWasmPaths/);
  });

  it('should refuse a detached MetaImage or NRRD header, naming the data file', async () => {
    const header = (text: string) => new TextEncoder().encode(text);
    await expect(decodeOpenedImage('ct.mhd', header('ObjectType = Image\nNDims = 3\nElementDataFile = ct.raw\n'))).rejects.toThrow(/^Could not read image file ct\.mhd: its pixels are in another file \(ct\.raw\)/);
    await expect(decodeOpenedImage('ct.nhdr', header('NRRD0004\ntype: short\ndata file: ct.raw.gz\n'))).rejects.toThrow(/^Could not read image file ct\.nhdr: its pixels are in another file \(ct\.raw\.gz\)/);
  });

  it("should take a folder's own files as a DICOM series' slices, as Node's readDicomSeries does", () => {
    const files = new Map(['ct/b.dcm', 'ct/a.dcm', 'ct/.hidden', 'ct/sub/c.dcm', 'ctx/d.dcm', 'only-sub/x/y.dcm'].map((k) => [k, new Uint8Array([k.length])]));
    expect(openedFolderSlices(files, 'ct/')?.map((s) => s.name)).toEqual(['a.dcm', 'b.dcm']);
    expect(openedFolderSlices(files, './ct')?.[0].bytes).toEqual(new Uint8Array([8]));
    expect(openedFolderSlices(files, 'only-sub')).toEqual([]);
    expect(openedFolderSlices(files, 'nothing')).toBeUndefined();
    expect(['ct', 'ct/', 'ct/a.dcm', 'only-sub', 'c', 'nothing'].map((p) => isOpened(files, p))).toEqual([true, true, true, true, false, false]);
  });

  it('should key paths relative to the data root and refuse absolute ones', () => {
    expect(openedPathOf('./image//z044.png')).toBe('image/z044.png');
    expect(openedPathOf('label\\..\\image\\z044.png')).toBe('image/z044.png');
    expect(() => openedPathOf('/data/z044.png')).toThrow(/absolute path/);
  });

  it('should give the samples CsvDataset gives for the same list', async () => {
    const list = 'fixtures/brain-mr-2d/valid.csv';
    const text = readFileSync(join(root, list), 'utf8');
    const files = new Map([['valid.csv', bytesOf(list)]]);
    for (const line of text.trim().split('\n').slice(1)) for (const path of line.split(',')) files.set(path, bytesOf(`fixtures/brain-mr-2d/${path}`));
    const params = csvDatasetParams.parse({ csv: 'valid.csv' });
    const samplesOf = async (stageClass: typeof CsvDataset | ReturnType<typeof openedFilesDataset>) => {
      const instance = new stageClass({ nodeName: 'valid', params, random: new SeededRandom(1), run: inMemoryRunContext({ dataRoot: join(root, 'fixtures/brain-mr-2d') }) }) as SampleStreamStage;
      const { samples } = await instance.streams({});
      const read = await lastValueFrom(
        concat(...Array.from({ length: samples.size }, (_, i) => samples.read(i, new SeededRandom(2)))).pipe(toArray()),
      );
      instance.dispose();
      return read.map(({ id, image, label, spacing }) => ({ id, image, label, spacing }));
    };
    const opened = await samplesOf(openedFilesDataset(files));
    expect(opened).toHaveLength(12);
    expect(opened).toEqual(await samplesOf(CsvDataset));
  });

  it('should name a listed file that was not opened', async () => {
    const files = new Map([['train.csv', new TextEncoder().encode('image,label\nimage/a.png,label/a.png\n')]]);
    const instance = new (openedFilesDataset(files))({ nodeName: 'train', params: csvDatasetParams.parse({ csv: 'train.csv' }), random: new SeededRandom(1), run: inMemoryRunContext() }) as SampleStreamStage;
    await expect(instance.streams({})).rejects.toThrow(/train\.csv: 2 listed files are not among the 1 opened files\n  - train\.csv line 2: image\/a\.png\n  - train\.csv line 2: label\/a\.png/);
  });
});
