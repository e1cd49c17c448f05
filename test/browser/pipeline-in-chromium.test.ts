import { existsSync, readdirSync } from 'node:fs';
import type { Server } from 'node:http';
import { join } from 'node:path';
import { lastValueFrom, toArray } from 'rxjs';
import { type Browser, type Page } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { browserPipelineOf } from '../../src/browser/run-pipeline-in-browser.js';
import { browserStageRegistry } from '../../src/browser/browser-stages.js';
import type { IterationEvent } from '../../src/events/run-event.js';
import type { PipelineDefinition } from '../../src/graph/pipeline-definition.js';
import { applyOverrides } from '../../src/run/pipeline-overrides.js';
import { preparePipelineRun, startPipelineRun } from '../../src/run/pipeline-run.js';
import supervised from '../../pipelines/supervised.js';
import { buildBrowserBundle, launchChromium, projectRoot, removeBrowserBundle, serveBundle } from './serve-bundle.js';

/**
 * The same pipeline module in Node and in a chromium tab (issue 19): Debian's chromium driven by playwright-core, no
 * browser download; the bundle is built and served on loopback with the fixture files, which the tab fetches into
 * memory as the folder picker would give them. CI installs chromium and sets MICFLOW_REQUIRE_BROWSER=1, so there
 * the test cannot skip.
 */
const CHROMIUM = '/usr/bin/chromium';
const browserAvailable = existsSync(CHROMIUM);
if (!browserAvailable && process.env.MICFLOW_REQUIRE_BROWSER === '1') throw new Error(`MICFLOW_REQUIRE_BROWSER=1 but ${CHROMIUM} is missing (apt-get install chromium)`);

const DATA = 'fixtures/brain-mr-2d';
/** Small enough for the cpu backend on both sides: narrower U-Net, a handful of iterations. */
const CPU_SET = ['schedule.iterations=3', 'net.features=[4,8,16,32,64]', 'trainCropped.size=[48,48]'];
const WEBGL_SET = ['schedule.iterations=10', 'net.features=[4,8,16,32,64]', 'optimise.lr=0.003'];
/** Every file of the data root, as paths relative to it. */
const dataFiles = (['image', 'label'] as const).flatMap((folder) => readdirSync(join(projectRoot, DATA, folder)).map((f) => `${folder}/${f}`)).concat(readdirSync(join(projectRoot, DATA)).filter((f) => f.endsWith('.csv')));

interface TabRun {
  backend: string;
  backendReason: string;
  leftOut: string[];
  iterations: { iteration: number; terms: Record<string, number> }[];
}

/** Runs pipeline `name` in the tab on the fixture files; page code goes as text (the project has no DOM types). */
function runInTab(page: Page, name: string, backend: string, set: readonly string[]): Promise<TabRun> {
  return page.evaluate(`(async () => {
    const files = await window.micflow.openedFilesFromUrls(new URL('/${DATA}/', location.href), ${JSON.stringify(dataFiles)});
    const result = await window.micflow.run(${JSON.stringify(name)}, { files, backend: ${JSON.stringify(backend)}, set: ${JSON.stringify(set)}, trainingOnly: true });
    return { backend: result.backend, backendReason: result.backendReason, leftOut: result.leftOut,
      iterations: result.iterations.map((e) => ({ iteration: e.iteration, terms: e.terms })) };
  })()`) as Promise<TabRun>;
}

/** The training part of the pipeline (the nodes the tab keeps) run in Node: CsvDataset on the disk files, cpu backend. */
async function runInNode(definition: PipelineDefinition, set: readonly string[]): Promise<IterationEvent[]> {
  const { definition: browserDefinition } = browserPipelineOf(definition, browserStageRegistry(new Map()), { set, trainingOnly: true });
  const overridden = applyOverrides(definition, set);
  const training = { ...overridden, nodes: Object.fromEntries(Object.keys(browserDefinition.nodes).map((name) => [name, overridden.nodes[name]])) };
  const started = await startPipelineRun(preparePipelineRun(training, { source: 'pipelines/supervised.ts (training part)' }), { backend: 'cpu', out: null });
  const events = await lastValueFrom(started.events.pipe(toArray()));
  return events.filter((e): e is IterationEvent => e.type === 'iteration');
}

describe.skipIf(!browserAvailable)(`pipelines/supervised.ts in a chromium tab${browserAvailable ? '' : ` (skipped: ${CHROMIUM} is absent; apt-get install chromium)`}`, () => {
  let browser: Browser;
  let server: Server;
  let bundle: string | undefined;
  let url: string;

  beforeAll(async () => {
    bundle = buildBrowserBundle();
    ({ url, server } = await serveBundle(bundle));
    browser = await launchChromium();
  });

  afterAll(async () => {
    await browser?.close();
    server?.close();
    removeBrowserBundle(bundle);
  });

  async function openPage(): Promise<{ page: Page; errors: string[] }> {
    const page = await browser.newPage();
    const errors: string[] = [];
    page.on('pageerror', (error) => errors.push(error.message));
    await page.goto(url);
    await page.waitForFunction('window.micflow !== undefined');
    return { page, errors };
  }

  it('should give the losses Node gives for the same pipeline, seed and data on the cpu backend', { timeout: 60_000 }, async () => {
    const { page, errors } = await openPage();
    const [tab, node] = await Promise.all([runInTab(page, 'supervised', 'cpu', CPU_SET), runInNode(supervised, CPU_SET)]);
    expect(tab.backend).toBe('cpu');
    expect(tab.leftOut).toEqual(['valid', 'validNormalised', 'validate', 'test', 'testNormalised', 'evaluate']);
    expect(tab.iterations.map((e) => e.iteration)).toEqual([1, 2, 3]);
    expect(node.map((e) => e.iteration)).toEqual([1, 2, 3]);
    for (const [i, event] of node.entries()) {
      const terms = tab.iterations[i].terms;
      expect(Object.keys(terms).sort()).toEqual(Object.keys(event.terms).sort());
      for (const [term, value] of Object.entries(event.terms)) {
        expect(Math.abs(terms[term] - value), `iteration ${event.iteration} ${term}: tab ${terms[term]}, Node ${value}`).toBeLessThanOrEqual(1e-5 * Math.max(1, Math.abs(value)));
      }
    }
    expect(errors).toEqual([]);
    await page.close();
  });

  it('should run the whole pipeline in the tab, validation and evaluation included, scoring as Node does (their files in memory)', { timeout: 90_000 }, async () => {
    const { page, errors } = await openPage();
    const set = [...CPU_SET, 'validate.every=2'];
    const tab = (await page.evaluate(`(async () => {
      const files = await window.micflow.openedFilesFromUrls(new URL('/${DATA}/', location.href), ${JSON.stringify(dataFiles)});
      const result = await window.micflow.run('supervised', { files, backend: 'cpu', set: ${JSON.stringify(set)} });
      return { leftOut: result.leftOut, scores: result.events.filter((e) => e.type === 'validation' || e.type === 'evaluation'),
        files: [...result.files.files.keys()], overlays: [...result.files.overlays.keys()], table: result.files.files.get('evaluation.csv') };
    })()`)) as { leftOut: string[]; scores: Array<{ type: string; iteration?: number; classDice: number[]; tablePath?: string }>; files: string[]; overlays: string[]; table: string };
    const started = await startPipelineRun(preparePipelineRun(supervised, { set, source: 'pipelines/supervised.ts' }), { backend: 'cpu', out: null });
    const node = (await lastValueFrom(started.events.pipe(toArray()))).filter((e) => e.type === 'validation' || e.type === 'evaluation') as unknown as Array<{ type: string; iteration?: number; classDice: number[] }>;
    expect(tab.leftOut).toEqual([]);
    expect(tab.scores.map((e) => `${e.type} ${e.iteration ?? ''}`)).toEqual(['validation 2', 'validation 3', 'evaluation ']);
    expect(node.map((e) => `${e.type} ${e.iteration ?? ''}`)).toEqual(['validation 2', 'validation 3', 'evaluation ']);
    for (const [i, event] of node.entries()) {
      event.classDice.forEach((dice, k) => expect(Math.abs(tab.scores[i].classDice[k] - dice), `${event.type} ${event.iteration ?? ''} class ${k}`).toBeLessThanOrEqual(1e-5));
    }
    expect(tab.scores[2].tablePath).toBe('memory:evaluation.csv');
    expect(tab.files).toEqual(['evaluation.csv']);
    expect(tab.table.split('\n')[0]).toBe('case,dice_background,dice_caudate,dice_putamen,dice_thalamus,dice_hippocampus,dice_mean_foreground');
    expect(tab.overlays).toEqual(['overlays/validate/000002-0.mfov', 'overlays/validate/000002-1.mfov', 'overlays/validate/000003-0.mfov', 'overlays/validate/000003-1.mfov']);
    expect(errors).toEqual([]);
    await page.close();
  });

  it('should train on webgl in the tab, the loss falling over a short run', { timeout: 120_000 }, async () => {
    const { page, errors } = await openPage();
    const tab = await runInTab(page, 'supervised', 'webgl', WEBGL_SET);
    expect(tab.backend).toBe('webgl');
    const losses = tab.iterations.map((e) => e.terms.loss);
    expect(losses).toHaveLength(10);
    expect(losses.every(Number.isFinite)).toBe(true);
    const mean = (values: number[]) => values.reduce((a, b) => a + b, 0) / values.length;
    // Batches differ from tick to tick: compare the first three with the last three.
    expect(mean(losses.slice(-3)), `losses ${losses.map((l) => l.toFixed(3)).join(' ')}`).toBeLessThan(mean(losses.slice(0, 3)));
    expect(errors).toEqual([]);
    await page.close();
  });
  it('should run on wasm in the tab (its .wasm files served beside the bundle), and say why webgpu is not there', { timeout: 60_000 }, async () => {
    const { page, errors } = await openPage();
    const tab = await runInTab(page, 'supervised', 'wasm', ['schedule.iterations=2', 'net.features=[4,8,16,32,64]', 'trainCropped.size=[48,48]']);
    expect(tab.backend).toBe('wasm');
    expect(tab.iterations.map((e) => Number.isFinite(e.terms.loss))).toEqual([true, true]);
    // Headless chromium without a GPU has navigator.gpu but no adapter: one line saying so, before anything runs.
    const webgpu = (await page.evaluate(`window.micflow.run('supervised', { files: new Map(), backend: 'webgpu', trainingOnly: true }).then(() => 'ran', (e) => e.message)`)) as string;
    // Where WebGPU is there, the backend is chosen and the run stops at the empty file set instead.
    expect(webgpu).toMatch(/^backend option: backend "webgpu" is not available here: (WebGPU gave no adapter|this browser has no WebGPU)|not among the 0 opened files/);
    expect(errors).toEqual([]);
    await page.close();
  });
  it('should train from the page: a data folder chosen in its picker, the pipeline, backend and overrides in its form', { timeout: 60_000 }, async () => {
    const { page, errors } = await openPage();
    await page.setInputFiles('#folder', join(projectRoot, DATA));
    await page.selectOption('#pipeline', 'supervised');
    await page.selectOption('#backend', 'cpu');
    await page.fill('#set', CPU_SET.join('\n'));
    await page.click('#run');
    await page.waitForFunction("['done', 'failed'].includes(document.getElementById('status').dataset.state)", undefined, { timeout: 50_000 });
    const log = (await page.textContent('#log')) ?? '';
    expect(await page.getAttribute('#status', 'data-state'), log).toBe('done');
    expect(log).toMatch(/^\d+ files opened/);
    expect(log.match(/^iteration \d\/3 /gm)).toHaveLength(3);
    expect(log).toContain('backend cpu (requested by backend option); left out: valid, validNormalised, validate, test, testNormalised, evaluate');
    expect(errors).toEqual([]);
    await page.close();
  });
});
