import { existsSync, mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import type { Server } from 'node:http';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { lastValueFrom, toArray } from 'rxjs';
import { chromium, type Browser, type Page } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { browserPipelineOf } from '../../src/browser/run-pipeline-in-browser.js';
import { browserStageRegistry } from '../../src/browser/browser-stages.js';
import type { IterationEvent } from '../../src/events/run-event.js';
import { geometryDifferences } from '../../src/io/image-geometry.js';
import type { MedicalImage } from '../../src/io/medical-image.js';
import { readImage, writeImage } from '../../src/io/read-image.js';
import { applyOverrides } from '../../src/run/pipeline-overrides.js';
import { preparePipelineRun, startPipelineRun } from '../../src/run/pipeline-run.js';
import supervised from '../../pipelines/supervised.js';
import { encodeDicomSeries, obliqueDirection, type SeriesGeometry } from '../io/dicom-test-writer.js';
import { buildBrowserBundle, projectRoot, removeBrowserBundle, serveBundle } from './serve-bundle.js';

/**
 * DICOM (a file, and a folder of slices as one series), MetaImage and NRRD decoded in a chromium tab with itk-wasm's
 * browser build, its worker and pipelines served from the bundle folder (issue 19): the same data and geometry as
 * Node's readImage on the same files, the supervised pipeline's training part on a CSV of DICOM images giving Node's
 * losses, and not one request leaving the loopback server. The DICOM files are written by hand (test/io/
 * dicom-test-writer.ts) into a temporary data root: an oblique series with non-unit spacing, and the 2D fixture's
 * slices as DICOM. CI sets MICFLOW_REQUIRE_BROWSER=1, so there the test cannot skip.
 */
const CHROMIUM = '/usr/bin/chromium';
const browserAvailable = existsSync(CHROMIUM);
if (!browserAvailable && process.env.MICFLOW_REQUIRE_BROWSER === '1') throw new Error(`MICFLOW_REQUIRE_BROWSER=1 but ${CHROMIUM} is missing (apt-get install chromium)`);

const FIXTURE = join(projectRoot, 'fixtures/brain-mr-2d');
/** The fixture's first training rows, written as DICOM: even rows as one .dcm file, odd ones as a folder of one slice. */
const TRAIN_ROWS = 4;
const CPU_SET = ['schedule.iterations=2', 'net.features=[4,8,16,32,64]', 'trainCropped.size=[48,48]'];

/** An oblique series, non-unit spacing everywhere, signed values. */
const OBLIQUE: SeriesGeometry = { size: [7, 5, 4], spacing: [0.7, 0.9, 2.5], origin: [12.5, -30.25, 41], direction: obliqueDirection(30, 20) };

let root: string;
/** Every data file, as paths relative to the data root (what the folder picker would give the tab). */
const dataFiles: string[] = [];

function put(path: string, bytes: Uint8Array): void {
  mkdirSync(dirname(join(root, path)), { recursive: true });
  writeFileSync(join(root, path), bytes);
  dataFiles.push(path);
}

/** A 2D fixture image as one DICOM slice (int16), in an oblique plane, the same geometry for the image and its label. */
function sliceFiles(image: MedicalImage, seriesTag: number): Map<string, Uint8Array> {
  const [columns, rows] = image.size;
  const geometry: SeriesGeometry = { size: [columns, rows, 1], spacing: [0.8, 1.1, 1], origin: [-40, 25.5, 7], direction: obliqueDirection(-15, 35) };
  return encodeDicomSeries(geometry, (i, j) => Number(image.data[i + columns * j]), seriesTag);
}

async function writeData(): Promise<void> {
  for (const [name, bytes] of encodeDicomSeries(OBLIQUE, (i, j, k) => 100 * k + 10 * j + i - 50)) put(`dicom/case1/${name}`, bytes);
  // A file that is not a slice (hidden), and a subfolder's file, which Node's folder reader leaves out too.
  put('dicom/case1/.DS_Store', new Uint8Array(8));
  put('dicom/case1/notes/readme.dcm', new Uint8Array(8));
  put('single/scan.dcm', readFileSync(join(root, 'dicom/case1/slice001.dcm')));
  put('single/IM0001', readFileSync(join(root, 'dicom/case1/slice002.dcm')));
  const volume: MedicalImage = { ...OBLIQUE, data: Float32Array.from({ length: 7 * 5 * 4 }, (_, i) => Math.sin(i) * 100), components: 1, pixelType: 'float32' };
  for (const file of ['meta/volume.mha', 'nrrd/volume.nrrd']) {
    mkdirSync(dirname(join(root, file)), { recursive: true });
    await writeImage(join(root, file), volume);
    dataFiles.push(file);
  }

  const fixtureRows = readFileSync(join(FIXTURE, 'train.csv'), 'utf8').trim().split('\n').slice(1, 1 + TRAIN_ROWS).map((l) => l.split(','));
  const csv = ['image,label'];
  for (const [n, [imageFile, labelFile]] of fixtureRows.entries()) {
    const stem = imageFile.replace(/^image\/|\.png$/g, '');
    const [image, label] = await Promise.all([readImage(join(FIXTURE, imageFile)), readImage(join(FIXTURE, labelFile))]);
    const [imageSlice] = sliceFiles(image, 10 + n).values();
    const [labelSlice] = sliceFiles(label, 50 + n).values();
    const listed = n % 2 ? `train/image/${stem}/` : `train/image/${stem}.dcm`;
    put(n % 2 ? `train/image/${stem}/slice000.dcm` : listed, imageSlice);
    put(`train/label/${stem}.dcm`, labelSlice);
    csv.push(`${listed},train/label/${stem}.dcm`);
  }
  put('train.csv', new TextEncoder().encode(`${csv.join('\n')}\n`));
}

interface Decoded extends Omit<MedicalImage, 'data'> {
  data: number[];
}

const plain = (image: MedicalImage): Decoded => ({ ...image, data: Array.from(image.data, Number) });

/** Decodes `path` among the opened data files in the tab (itk-wasm there), as plain data. */
function decodeInTab(page: Page, path: string): Promise<Decoded> {
  return page.evaluate(`(async () => {
    const files = await window.micflow.openedFilesFromUrls(new URL('/data/', location.href), ${JSON.stringify(dataFiles)});
    const image = await window.micflow.decodeOpenedImage(${JSON.stringify(path)}, files);
    return { ...image, data: Array.from(image.data, Number) };
  })()`) as Promise<Decoded>;
}

/** The training part of the supervised pipeline in Node on the DICOM data root (CsvDataset, cpu backend). */
async function trainInNode(): Promise<IterationEvent[]> {
  const { definition: browserDefinition } = browserPipelineOf(supervised, browserStageRegistry(new Map()), { set: CPU_SET, trainingOnly: true });
  const overridden = applyOverrides(supervised, CPU_SET);
  const training = { ...overridden, nodes: Object.fromEntries(Object.keys(browserDefinition.nodes).map((name) => [name, overridden.nodes[name]])) };
  const started = await startPipelineRun(preparePipelineRun(training, { source: 'pipelines/supervised.ts (training part)', data: root }), { backend: 'cpu', out: null });
  const events = await lastValueFrom(started.events.pipe(toArray()));
  return events.filter((e): e is IterationEvent => e.type === 'iteration');
}

describe.skipIf(!browserAvailable)(`DICOM, MetaImage and NRRD in a chromium tab${browserAvailable ? '' : ` (skipped: ${CHROMIUM} is absent; apt-get install chromium)`}`, () => {
  let browser: Browser;
  let server: Server;
  let bundle: string | undefined;
  let url: string;
  const served: string[] = [];
  /** Every URL the tab (page and workers) asked for. */
  const requested: string[] = [];
  let page: Page;
  const errors: string[] = [];

  beforeAll(async () => {
    root = mkdtempSync(join(tmpdir(), 'micflow-dicom-tab-'));
    await writeData();
    bundle = buildBrowserBundle();
    ({ url, server } = await serveBundle(bundle, { data: root, served }));
    browser = await chromium.launch({ executablePath: CHROMIUM, args: ['--no-sandbox'] });
    const context = await browser.newContext();
    context.on('request', (request) => requested.push(request.url()));
    page = await context.newPage();
    page.on('pageerror', (error) => errors.push(error.message));
    await page.goto(url);
    await page.waitForFunction('window.micflow !== undefined');
  });

  afterAll(async () => {
    await browser?.close();
    server?.close();
    removeBrowserBundle(bundle);
    if (root) rmSync(root, { recursive: true, force: true });
  });

  /** Decodes `path` in the tab and in Node (readImage on the disk file or folder) and expects the same image. */
  async function expectSameAsNode(path: string): Promise<Decoded> {
    const [tab, node] = await Promise.all([decodeInTab(page, path), readImage(join(root, path))]);
    expect(geometryDifferences({ ...tab, data: new Float32Array() }, node), path).toEqual([]);
    expect(tab).toEqual(plain(node));
    return tab;
  }

  it('should read a folder of DICOM slices as one series, with the data and LPS geometry Node reads', { timeout: 30_000 }, async () => {
    const tab = await expectSameAsNode('dicom/case1/');
    // And that is the series as written: slices sorted by position (files are named in reverse), oblique axes.
    expect(tab.size).toEqual(OBLIQUE.size);
    expect(tab.pixelType).toBe('int16');
    expect(tab.data.filter((_, i) => i % 35 === 0)).toEqual([-50, 50, 150, 250]);
    expect(geometryDifferences({ ...tab, data: new Float32Array() }, { ...OBLIQUE, data: new Float32Array(), components: 1, pixelType: 'int16' })).toEqual([]);
  });

  it('should read a single DICOM file, by its .dcm ending or by its DICM preamble, as Node does', { timeout: 30_000 }, async () => {
    const single = await expectSameAsNode('single/scan.dcm');
    expect(single.size).toEqual([7, 5, 1]);
    await expectSameAsNode('single/IM0001');
  });

  it('should read MetaImage (.mha) and NRRD (.nrrd) with itk-wasm as Node does', { timeout: 30_000 }, async () => {
    for (const file of ['meta/volume.mha', 'nrrd/volume.nrrd']) {
      const tab = await expectSameAsNode(file);
      expect(tab.pixelType).toBe('float32');
    }
  });

  it('should fail naming the file when a file is not an image it reads, and a folder with no slices', { timeout: 30_000 }, async () => {
    const failure = (path: string) =>
      page.evaluate(`window.micflow.decodeOpenedImage(${JSON.stringify(path)}, new Map([['bad/x.dcm', new Uint8Array(200)], ['bad/scan.tif', new Uint8Array(8)], ['empty/sub/a.dcm', new Uint8Array(8)]])).then(() => 'read', (e) => e.message)`);
    expect(await failure('bad/x.dcm')).toMatch(/^Could not read image file bad\/x\.dcm: unreadable or unsupported format\./);
    expect(await failure('bad/scan.tif')).toMatch(/^Could not read image file bad\/scan\.tif: in the browser micflow reads PNG, NIfTI-1/);
    expect(await failure('empty')).toBe('DICOM series empty: no files.');
    expect(await failure('bad')).toMatch(/^Could not read DICOM series bad: unreadable or not one series\./);
  });

  it("should train the supervised pipeline on a CSV of DICOM files and folders, the tab's losses Node's", { timeout: 60_000 }, async () => {
    const [tab, node] = await Promise.all([
      page.evaluate(`(async () => {
        const files = await window.micflow.openedFilesFromUrls(new URL('/data/', location.href), ${JSON.stringify(dataFiles)});
        const result = await window.micflow.run('supervised', { files, backend: 'cpu', set: ${JSON.stringify(CPU_SET)}, trainingOnly: true });
        return result.iterations.map((e) => e.terms);
      })()`) as Promise<Record<string, number>[]>,
      trainInNode(),
    ]);
    expect(node.map((e) => e.iteration)).toEqual([1, 2]);
    expect(tab).toHaveLength(2);
    for (const [i, event] of node.entries()) {
      for (const [term, value] of Object.entries(event.terms)) {
        expect(Math.abs(tab[i][term] - value), `iteration ${event.iteration} ${term}: tab ${tab[i][term]}, Node ${value}`).toBeLessThanOrEqual(1e-5 * Math.max(1, Math.abs(value)));
      }
    }
  });

  it('should, over the tests above, have fetched nothing but from the loopback server: itk-wasm from the bundle', () => {
    // The page's and its workers' requests (itk-wasm starts its worker from a blob: URL of the fetched file).
    const origin = new URL(url).origin;
    expect(requested.filter((r) => !(r.startsWith(`${origin}/`) || r.startsWith(`blob:${origin}/`)))).toEqual([]);
    for (const pipeline of ['gdcm-read-image', 'meta-read-image', 'nrrd-read-image', 'read-image-dicom-file-series']) {
      expect(served).toContain(`/itk-wasm/pipelines/${pipeline}.wasm.zst`);
    }
    expect(served).toContain('/itk-wasm/itk-wasm-pipeline.worker.js');
    expect(errors).toEqual([]);
  });
});
