import { existsSync, readdirSync } from 'node:fs';
import type { Server } from 'node:http';
import { join } from 'node:path';
import { type Browser, type Page } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { buildBrowserBundle, launchChromium, projectRoot, removeBrowserBundle, serveBundle } from './serve-bundle.js';

/**
 * A 3D U-Net trains on webgl in a chromium tab: pipelines/supervised-3d.ts on the bundled brain MR volume
 * (fixtures/brain-mr-3d), its training part only, with a narrow four-level UNet3D ([2, 4, 8, 16] features, dropout on
 * the two coarsest levels) on batches of two 16³ crops, on tfjs's webgl backend (chromium's WebGL 2 over SwiftShader)
 * and then, in the same tab, on cpu. tfjs 4.22's webgl backend has no rank-5 Reverse or Select and cannot compile a
 * rank-5 PadV2; micflow's 3D ops avoid all three (src/conformance/known-defects.ts), which is what lets the network's
 * gradient run there at all. The webgl losses must be finite and follow cpu's: the same seed, crops, dropout masks
 * and arithmetic, differing in float32 summation order only. CI sets MICFLOW_REQUIRE_BROWSER=1, so there it cannot
 * skip.
 */
const CHROMIUM = '/usr/bin/chromium';
const browserAvailable = existsSync(CHROMIUM);
if (!browserAvailable && process.env.MICFLOW_REQUIRE_BROWSER === '1') throw new Error(`MICFLOW_REQUIRE_BROWSER=1 but ${CHROMIUM} is missing (apt-get install chromium)`);

const DATA = 'fixtures/brain-mr-3d';
const ITERATIONS = 3;
/**
 * The pipeline's four levels, narrower and on 16³ crops (the bottleneck is 2³). On SwiftShader the webgl run took
 * 18-33 s here, most of it compiling shaders in the first step (later steps 2-3 s, as on cpu); the timeout allows for
 * a loaded machine.
 */
const SET = [`schedule.iterations=${ITERATIONS}`, 'net.features=[2,4,8,16]', 'net.dropout=[0,0,0.2,0.3]', 'trainCropped.size=[16,16,16]'];
const dataFiles = (['image', 'label'] as const).flatMap((folder) => readdirSync(join(projectRoot, DATA, folder)).map((f) => `${folder}/${f}`)).concat(readdirSync(join(projectRoot, DATA)).filter((f) => f.endsWith('.csv')));

interface TabRun {
  backend: string;
  leftOut: string[];
  losses: { iteration: number; terms: Record<string, number>; seconds: number }[];
  milliseconds: number;
}

function runInTab(page: Page, backend: string, set: readonly string[]): Promise<TabRun> {
  return page.evaluate(`(async () => {
    const files = await window.micflow.openedFilesFromUrls(new URL('/${DATA}/', location.href), ${JSON.stringify(dataFiles)});
    const started = performance.now();
    const result = await window.micflow.run('supervised-3d', { files, backend: ${JSON.stringify(backend)}, set: ${JSON.stringify(set)}, trainingOnly: true });
    return { backend: result.backend, leftOut: result.leftOut, milliseconds: performance.now() - started,
      losses: result.iterations.map((e) => ({ iteration: e.iteration, terms: e.terms, seconds: e.seconds })) };
  })()`) as Promise<TabRun>;
}

describe.skipIf(!browserAvailable)(`pipelines/supervised-3d.ts training on webgl in a chromium tab${browserAvailable ? '' : ` (skipped: ${CHROMIUM} is absent; apt-get install chromium)`}`, () => {
  let browser: Browser;
  let server: Server;
  let bundle: string | undefined;
  let page: Page;
  const errors: string[] = [];

  beforeAll(async () => {
    bundle = buildBrowserBundle();
    let url: string;
    ({ url, server } = await serveBundle(bundle));
    browser = await launchChromium();
    page = await browser.newPage();
    page.on('pageerror', (error) => errors.push(error.message));
    await page.goto(url);
    await page.waitForFunction('window.micflow !== undefined');
  });

  afterAll(async () => {
    await browser?.close();
    server?.close();
    removeBrowserBundle(bundle);
  });

  it("should train a UNet3D on webgl, every loss finite and within float32 rounding of cpu's in the same tab", { timeout: 120_000 }, async () => {
    const webgl = await runInTab(page, 'webgl', SET);
    expect(webgl.backend).toBe('webgl');
    expect(webgl.leftOut).toEqual(['test', 'testNormalised', 'evaluate']);
    expect(webgl.losses.map((e) => e.iteration)).toEqual(Array.from({ length: ITERATIONS }, (_, i) => i + 1));
    const cpu = await runInTab(page, 'cpu', SET);
    expect(cpu.backend).toBe('cpu');
    const report = webgl.losses.map((e, i) => `${e.iteration}: webgl ${e.terms.loss} (${e.seconds.toFixed(1)} s) cpu ${cpu.losses[i].terms.loss} (${cpu.losses[i].seconds.toFixed(1)} s)`).join('; ');
    console.log(`UNet3D [2,4,8,16] on 2x16³ crops, ${ITERATIONS} iterations: webgl ${webgl.milliseconds.toFixed(0)} ms, cpu ${cpu.milliseconds.toFixed(0)} ms; ${report}`);
    for (const [i, event] of webgl.losses.entries()) {
      expect(Object.keys(event.terms).sort()).toEqual(['ce', 'dice', 'loss']);
      for (const [term, value] of Object.entries(event.terms)) {
        expect(Number.isFinite(value), `iteration ${event.iteration} ${term} ${value}`).toBe(true);
        const reference = cpu.losses[i].terms[term];
        // Adam steps of equal size whatever the gradient's scale amplify rounding from tick to tick: 1e-3 relative.
        expect(Math.abs(value - reference), `iteration ${event.iteration} ${term}: ${report}`).toBeLessThanOrEqual(1e-3 * Math.max(1, Math.abs(reference)));
      }
    }
    expect(errors).toEqual([]);
  });
});
