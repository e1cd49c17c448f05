import { execFile } from 'node:child_process';
import { copyFileSync, existsSync, mkdirSync, mkdtempSync, readdirSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { lastValueFrom, toArray } from 'rxjs';
import { type Browser, type Page } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { browserStageRegistry } from '../../src/browser/browser-stages.js';
import { browserPipelineOf } from '../../src/browser/run-pipeline-in-browser.js';
import type { IterationEvent } from '../../src/events/run-event.js';
import { readImage } from '../../src/io/read-image.js';
import { preparePipelineRun, startPipelineRun } from '../../src/run/pipeline-run.js';
import { scribbleFileOf } from '../../src/studio/studio-files.js';
import { studioScribblePipeline, type StudioPipelineOptions } from '../../src/studio/studio-pipeline.js';
import { startStudioServer, type StudioServer } from '../../src/studio/studio-server.js';
import { readStudioStartingPoint } from '../../src/studio/studio-starting-point.js';
import supervised from '../../pipelines/supervised.js';
import { buildBrowserBundle, launchChromium, projectRoot, removeBrowserBundle } from '../browser/serve-bundle.js';

/**
 * The annotation studio end to end (issue 19): `npm run studio`'s server on a temporary folder holding two fixture
 * slices and a checkpoint trained in Node for two iterations; Debian's chromium driven by playwright-core opens the
 * page, scribbles are drawn (through the page's own paint function, and one stroke with the mouse), the scribble
 * pipeline fine-tunes in the tab's worker on webgl (the loss falls, the overlay appears), the same pipeline, seed,
 * files and starting weights give Node's losses on the cpu backend, an accepted mask is written as a label file, and
 * the fine-tuned checkpoint runs with `npm run infer`.
 */
const CHROMIUM = '/usr/bin/chromium';
const browserAvailable = existsSync(CHROMIUM);
if (!browserAvailable && process.env.MICFLOW_REQUIRE_BROWSER === '1') throw new Error(`MICFLOW_REQUIRE_BROWSER=1 but ${CHROMIUM} is missing (apt-get install chromium)`);

const FIXTURE = join(projectRoot, 'fixtures', 'brain-mr-2d');
const FIXTURE_3D = join(projectRoot, 'fixtures', 'brain-mr-3d');
const IMAGES = ['image/z044.png', 'image/z045.png'];
const VOLUME = 'volume/colin27-left.nii.gz';
const run = promisify(execFile);

/** Stroke points [row, column] per class from a fixture mask (slice `slice` of a volume): interior pixels of each class, spread over it. */
async function strokesOf(labelFile: string, perClass: number, slice = 0): Promise<Array<{ k: number; points: number[][] }>> {
  const label = await readImage(labelFile);
  const [columns, rows] = label.size;
  const at = (r: number, c: number) => Number(label.data[slice * columns * rows + r * columns + c]);
  const out: Array<{ k: number; points: number[][] }> = [];
  for (let k = 0; k < 5; k++) {
    const interior: number[][] = [];
    for (let r = 2; r < rows - 2; r++) {
      for (let c = 2; c < columns - 2; c++) {
        if ([-2, 0, 2].every((dr) => [-2, 0, 2].every((dc) => at(r + dr, c + dc) === k))) interior.push([r, c]);
      }
    }
    const step = Math.max(1, Math.floor(interior.length / perClass));
    out.push({ k, points: interior.filter((_, i) => i % step === 0).slice(0, perClass) });
  }
  return out;
}

interface TrainResult {
  backend: string;
  losses: number[];
  seconds: number[];
  liveTensors: number[];
  previews: number;
  run: string;
  options: StudioPipelineOptions;
}

describe.skipIf(!browserAvailable)(`the annotation studio in a chromium tab${browserAvailable ? '' : ` (skipped: ${CHROMIUM} is absent)`}`, () => {
  let browser: Browser;
  let server: StudioServer;
  let page: Page;
  const errors: string[] = [];
  const scratch = mkdtempSync(join(tmpdir(), 'micflow-studio-'));
  const folder = join(scratch, 'folder');
  let startRun: string;
  let bundle: string | undefined;

  beforeAll(async () => {
    bundle = buildBrowserBundle();
    mkdirSync(join(folder, 'image'), { recursive: true });
    for (const image of IMAGES) copyFileSync(join(FIXTURE, image), join(folder, image));
    mkdirSync(join(folder, 'volume'));
    copyFileSync(join(FIXTURE_3D, 'image/colin27-left.nii.gz'), join(folder, VOLUME));
    // The starting checkpoint: two iterations of the supervised pipeline with a narrow U-Net, in Node.
    const set = ['schedule.iterations=2', 'net.features=[4,8,16,32,64]', 'trainCropped.size=[48,48]', 'evaluate.classNames=["background","caudate","putamen","thalamus","hippocampus"]'];
    const started = await startPipelineRun(preparePipelineRun(supervised, { set, source: 'studio test' }), { backend: 'cpu', out: join(scratch, 'runs') });
    await lastValueFrom(started.events.pipe(toArray()));
    startRun = started.runDirectory!;
    server = await startStudioServer({ folder, checkpoint: startRun, port: 0, bundleDirectory: bundle });
    browser = await launchChromium();
    page = await browser.newPage();
    page.on('pageerror', (error) => errors.push(error.message));
    await page.goto(server.url);
    await page.waitForFunction('window.studio !== undefined');
    await page.evaluate('window.studio.ready');
  }, 120_000);

  afterAll(async () => {
    await browser?.close();
    await server?.close();
    rmSync(scratch, { recursive: true, force: true });
    removeBrowserBundle(bundle);
  });

  const lossesOf = async (run: Awaited<ReturnType<typeof startPipelineRun>>) =>
    (await lastValueFrom(run.events.pipe(toArray()))).filter((e): e is IterationEvent => e.type === 'iteration').map((e) => e.terms.loss);
  /** The nodes of the studio pipeline the tab runs (its training part). */
  const trainingNodesOf = (definition: ReturnType<typeof studioScribblePipeline>) => {
    const { definition: training } = browserPipelineOf(definition, browserStageRegistry(new Map()), { trainingOnly: true });
    return Object.fromEntries(Object.keys(training.nodes).map((name) => [name, definition.nodes[name]]));
  };
  /** Node: the studio pipeline's training part on the folder as the server wrote it, from the run's starting weights; equal to the tab's losses. */
  const expectNodeLosses = async (tab: TrainResult, start: string) => {
    const definition = studioScribblePipeline(tab.options);
    const weights = (await readStudioStartingPoint({ checkpoint: start })).checkpoint!.variables;
    const started = await startPipelineRun(preparePipelineRun({ ...definition, data: folder, nodes: trainingNodesOf(definition) }, { source: 'studio (Node side)' }), { backend: 'cpu', out: null, initialWeights: weights });
    const node = await lossesOf(started);
    expect(node).toHaveLength(tab.losses.length);
    node.forEach((loss, i) => expect(Math.abs(tab.losses[i] - loss), `iteration ${i + 1}: tab ${tab.losses[i]}, Node ${loss}`).toBeLessThanOrEqual(1e-5 * Math.max(1, Math.abs(loss))));
    return node;
  };
  let lastRun: string;

  /** Crops of 48² keep the tab's cpu and SwiftShader runs short (the page's default fits up to 96²). */
  const train = async (iterations: number, backend: string) => {
    const started = performance.now();
    const result = (await page.evaluate(`window.studio.train({ iterations: ${iterations}, backend: ${JSON.stringify(backend)}, crop: [48, 48] })`)) as TrainResult;
    console.log(`studio ${backend}: ${iterations} iterations in ${((performance.now() - started) / 1000).toFixed(1)} s (ticks ${result.seconds.map((s) => s.toFixed(2)).join(' ')})`);
    return result;
  };

  it("should predict the image on screen with the starting checkpoint before any scribble, as npm run infer does", { timeout: 60_000 }, async () => {
    await page.evaluate(`window.studio.open('image/z044.png')`);
    expect(await page.evaluate(`window.studio.predict({ backend: 'cpu' })`)).toEqual({ backend: 'cpu', cases: 1 });
    const tab = (await page.evaluate(`Array.from(window.studio.state.cases.get('image/z044.png').prediction.get(0))`)) as number[];
    const out = join(scratch, 'start-predictions');
    await run(process.execPath, ['--import', 'tsx', 'src/cli/infer-command.ts', startRun, '--data', join(folder, 'image'), '--out', out, '--backend', 'cpu'], { cwd: projectRoot });
    const node = Array.from((await readImage(join(out, 'z044.png'))).data as Uint8Array);
    expect(tab.length).toBe(node.length);
    const differing = tab.filter((k, i) => k !== node[i]).length;
    expect(differing, `${differing} of ${node.length} pixels differ`).toBe(0);
    expect(errors).toEqual([]);
  });

  it('should save scribbles drawn on two images into the folder, and give Node\'s losses for the same pipeline, seed, files and weights on cpu', { timeout: 90_000 }, async () => {
    for (const image of IMAGES) {
      await page.evaluate(`window.studio.open(${JSON.stringify(image)})`);
      for (const { k, points } of await strokesOf(join(FIXTURE, image.replace('image/', 'label/')), 12)) {
        await page.evaluate(`window.studio.paint(${k}, ${JSON.stringify(points)}, 1.5)`);
      }
      await page.evaluate('window.studio.saveScribble()');
      expect(existsSync(join(folder, scribbleFileOf(image)))).toBe(true);
    }
    const tab = await train(3, 'cpu');
    expect(tab.backend).toBe('cpu');
    expect(tab.losses).toHaveLength(3);

    const node = await expectNodeLosses(tab, startRun);
    // ...and the starting weights matter: from the initialiser the first loss is another.
    const definition = studioScribblePipeline(tab.options);
    const fresh = await lossesOf(await startPipelineRun(preparePipelineRun({ ...definition, data: folder, nodes: trainingNodesOf(definition), schedule: { ...definition.schedule, iterations: 1 } }), { backend: 'cpu', out: null }));
    expect(Math.abs(fresh[0] - node[0])).toBeGreaterThan(1e-3);
    expect(errors).toEqual([]);
  });

  it('should take a mouse stroke, fine-tune 20 iterations on webgl with the loss falling and the overlay appearing, accept the mask and infer with the checkpoint', { timeout: 150_000 }, async () => {
    // A background stroke with the mouse (fast: two pointer events 25 pixels apart, the gap filled), class chosen
    // with its button; undone with Ctrl+Z, then the class chosen with its key and the stroke drawn again.
    const box = (await page.locator('#scribble').boundingBox())!;
    const zoom = (await page.evaluate('window.studio.state.zoom')) as number;
    const stroke = async () => {
      await page.mouse.move(box.x + 5 * zoom, box.y + 5 * zoom);
      await page.mouse.down();
      await page.mouse.move(box.x + 30 * zoom, box.y + 5 * zoom, { steps: 2 });
      await page.mouse.up();
      await page.waitForFunction('document.getElementById("status").dataset.state !== "failed"');
    };
    const strokePixels = () => page.evaluate(`(() => { const e = window.studio.state.cases.get(window.studio.state.current); return [5, 12, 20, 30].map((c) => e.scribble[5 * e.columns + c]); })()`) as Promise<number[]>;
    const before = await strokePixels();
    await page.click('#classes button[data-class="0"]');
    await stroke();
    expect(await strokePixels()).toEqual([0, 0, 0, 0]);
    await page.keyboard.press('Control+z');
    expect(await strokePixels()).toEqual(before);
    expect(before).not.toEqual([0, 0, 0, 0]);
    await page.keyboard.press('2');
    expect(await page.evaluate('window.studio.state.classIndex')).toBe(2);
    await page.keyboard.press('0');
    await stroke();
    expect(await strokePixels()).toEqual([0, 0, 0, 0]);

    const tab = await train(20, 'webgl');
    lastRun = tab.run;
    expect(tab.backend).toBe('webgl');
    expect(tab.losses).toHaveLength(20);
    expect(tab.losses.every(Number.isFinite)).toBe(true);
    const mean = (values: number[]) => values.reduce((a, b) => a + b, 0) / values.length;
    expect(mean(tab.losses.slice(-5)), `losses ${tab.losses.map((l) => l.toFixed(3)).join(' ')}`).toBeLessThan(mean(tab.losses.slice(0, 5)));
    expect(tab.previews).toBe(4);
    // No tensor leaks in the worker: as many live tensors after every iteration (previews included) as after the first.
    expect(new Set(tab.liveTensors).size, `live tensors ${tab.liveTensors.join(' ')}`).toBe(1);
    const overlayPixels = (await page.evaluate(`(() => { const c = document.getElementById('prediction'); const d = c.getContext('2d').getImageData(0, 0, c.width, c.height).data; let n = 0; for (let i = 3; i < d.length; i += 4) if (d[i] > 0) n++; return n; })()`)) as number;
    expect(overlayPixels).toBeGreaterThan(0);

    // Accept: the prediction, with the scribbled pixels as drawn, as labels/image/z045.png in the image's geometry.
    const accepted = (await page.evaluate('window.studio.accept().then((r) => ({ written: r.written, label: Array.from(r.label) }))')) as { written: string; label: number[] };
    expect(accepted.written).toBe('labels/image/z045.png');
    const written = await readImage(join(folder, accepted.written));
    const image = await readImage(join(folder, 'image/z045.png'));
    expect(written.size).toEqual(image.size);
    expect(Array.from(written.data as Uint8Array)).toEqual(accepted.label);
    const scribble = await readImage(join(folder, scribbleFileOf('image/z045.png')));
    const drawn = Array.from(scribble.data as Uint8Array).flatMap((v, i) => (v < 5 ? [[i, v]] : []));
    expect(drawn.length).toBeGreaterThan(20);
    for (const [i, v] of drawn) expect(written.data[i]).toBe(v);
    expect(existsSync(join(folder, 'studio', 'accepted.csv'))).toBe(true);

    // The fine-tuned checkpoint runs with npm run infer on the folder's images.
    const out = join(scratch, 'predictions');
    await run(process.execPath, ['--import', 'tsx', 'src/cli/infer-command.ts', join(folder, tab.run), '--data', join(folder, 'image'), '--out', out, '--backend', 'cpu'], { cwd: projectRoot });
    expect(readdirSync(out).sort()).toEqual(['z044.png', 'z045.png']);
    expect(errors).toEqual([]);
  });

  it('should annotate a volume slice by slice: the scribbled slices train as 2D files Node reads alike, and the accepted mask is the whole volume', { timeout: 90_000 }, async () => {
    expect(await page.evaluate(`window.studio.open(${JSON.stringify(VOLUME)}, 20)`)).toEqual({ columns: 48, rows: 80, slices: 64, slice: 20 });
    // Zoom by key: one more screen pixel per image pixel; the slider's ↑ key moves a slice.
    const zoom = (await page.evaluate('window.studio.state.zoom')) as number;
    await page.keyboard.press('=');
    expect(await page.evaluate('[window.studio.state.zoom, document.getElementById("image").style.width]')).toEqual([zoom + 1, `${48 * (zoom + 1)}px`]);
    await page.keyboard.press('ArrowUp');
    expect(await page.evaluate('window.studio.state.slice')).toBe(21);
    for (const slice of [20, 40]) {
      await page.evaluate(`window.studio.setSlice(${slice})`);
      for (const { k, points } of await strokesOf(join(FIXTURE_3D, 'label/colin27-left.nii.gz'), 8, slice)) {
        await page.evaluate(`window.studio.paint(${k}, ${JSON.stringify(points)}, 1)`);
      }
    }
    await page.evaluate('window.studio.saveScribble()');
    expect(readFileSync(join(folder, 'studio', 'train_scribble.csv'), 'utf8')).toContain(
      'studio/slices/volume__colin27-left__z0020.nii,studio/slices/volume__colin27-left__z0020_scribble.nii\nstudio/slices/volume__colin27-left__z0040.nii,',
    );
    const slice = await readImage(join(folder, 'studio/slices/volume__colin27-left__z0040.nii'));
    const volume = await readImage(join(folder, VOLUME));
    expect(slice.size).toEqual([48, 80, 1]);
    expect(slice.origin[2]).toBeCloseTo(volume.origin[2] + 40 * volume.spacing[2] * volume.direction[8], 6);

    const tab = await train(3, 'cpu');
    await expectNodeLosses(tab, join(folder, lastRun));
    expect(tab.previews).toBe(64); // every slice after the last iteration
    const accepted = (await page.evaluate('window.studio.accept().then((r) => r.written)')) as string;
    expect(accepted).toBe('labels/volume/colin27-left.nii.gz');
    const label = await readImage(join(folder, accepted));
    expect({ size: label.size, spacing: label.spacing, origin: label.origin, direction: label.direction }).toEqual({ size: volume.size, spacing: volume.spacing, origin: volume.origin, direction: volume.direction });
    expect(errors).toEqual([]);
  });
});
