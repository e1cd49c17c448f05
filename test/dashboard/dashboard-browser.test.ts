import { spawn, type ChildProcess } from 'node:child_process';
import { existsSync, mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { chromium, type Browser, type Page } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startDashboardServer, type DashboardServer } from '../../src/dashboard/dashboard-server.js';
import { OVERLAY_CLASS_COLOURS } from '../../src/images/overlay-class-colours.js';
import { readValidationOverlay, writeValidationOverlay } from '../../src/io/validation-overlay-file.js';
import { eventually, freePort } from '../support/loopback.js';

/**
 * The dashboard in a real browser: Debian's chromium driven by playwright-core (no browser download). CI installs
 * chromium and sets MICFLOW_REQUIRE_BROWSER=1, so there the test cannot skip.
 */
const CHROMIUM = '/usr/bin/chromium';
const browserAvailable = existsSync(CHROMIUM);
if (!browserAvailable && process.env.MICFLOW_REQUIRE_BROWSER === '1') throw new Error(`MICFLOW_REQUIRE_BROWSER=1 but ${CHROMIUM} is missing (apt-get install chromium)`);

const projectRoot = join(import.meta.dirname, '../..');
const output = join(projectRoot, 'test-output', 'dashboard');
const scratch = mkdtempSync(join(tmpdir(), 'micflow-dashboard-browser-'));
const runDirectory = join(scratch, 'live');
const ITERATIONS = 160;
/** The run shares two cores with the browser and another test file: generous time limits. */
const SLOW = { timeout: 300_000 };

interface Snapshot {
  runs: { id: string; status: string; connected: boolean; iterations: number; lastIteration: number; validations: number; overlays: number }[];
  charts: Record<string, number>;
  overlaysDrawn: number;
}

// Page code goes to the browser as text: this project type-checks against Node's globals, not the DOM's.
const snapshot = (page: Page) => page.evaluate('window.micflowDashboard.snapshot()') as Promise<Snapshot>;
const connection = (page: Page) => page.getAttribute('#connection', 'data-state');

describe.skipIf(!browserAvailable)('the dashboard in chromium', () => {
  let browser: Browser;
  let run: ChildProcess;
  let runOutput = '';
  let runExit: Promise<number | null>;
  let liveUrl: string;

  beforeAll(async () => {
    mkdirSync(output, { recursive: true });
    browser = await chromium.launch({ executablePath: CHROMIUM, args: ['--no-sandbox'] });
    const port = await freePort();
    run = spawn(
      process.execPath,
      [
        '--import',
        'tsx',
        'src/cli/pipeline-command.ts',
        'supervised',
        '--set',
        `schedule.iterations=${ITERATIONS}`,
        '--set',
        'validate.every=20',
        '--out',
        runDirectory,
        '--dashboard',
        String(port),
      ],
      { cwd: projectRoot, stdio: ['ignore', 'pipe', 'pipe'], env: { ...process.env, MICFLOW_BACKEND: process.env.MICFLOW_BACKEND ?? '' } },
    );
    run.stdout!.on('data', (chunk) => (runOutput += chunk));
    run.stderr!.on('data', (chunk) => (runOutput += chunk));
    runExit = new Promise((resolve) => run.once('exit', (code) => resolve(code)));
    await eventually('the run prints its dashboard address', async () => /dashboard at (http\S+)/.test(runOutput), 90);
    liveUrl = /dashboard at (http\S+)/.exec(runOutput)![1];
  });

  afterAll(async () => {
    await browser?.close();
    if (run && run.exitCode === null) run.kill('SIGTERM');
    rmSync(scratch, { recursive: true, force: true });
  });

  describe('having a short live run started with --dashboard', () => {
    it('should show curves that gain points while it trains, then an overlay after the first validation', SLOW, async () => {
      const page = await browser.newPage({ viewport: { width: 1400, height: 1100 } });
      const errors: string[] = [];
      page.on('pageerror', (error) => errors.push(error.message));
      await page.goto(liveUrl);
      await eventually('the loss curve has points', async () => ((await snapshot(page)).charts.loss ?? 0) > 0);
      const before = (await snapshot(page)).charts.loss;
      await eventually('the loss curve gains points', async () => (await snapshot(page)).charts.loss > before);
      await eventually('an overlay is drawn after the first validation', async () => (await snapshot(page)).overlaysDrawn > 0);
      const shown = await snapshot(page);
      expect(shown.runs).toHaveLength(1);
      expect(shown.runs[0].validations).toBeGreaterThan(0);
      expect(shown.charts.validation).toBeGreaterThan(0);
      expect(await connection(page)).toBe('connected');
      // The canvas holds the overlay file it names as three panels: grey image, ground truth and prediction blended
      // in at alpha 0.45 in their class colours (recomputed here from the file).
      const drawn = (await page.evaluate(`(() => {
        const box = document.querySelector('.overlay[data-iteration]');
        const canvas = box.querySelector('canvas');
        const pixels = canvas.getContext('2d').getImageData(0, 0, canvas.width, canvas.height).data;
        return { file: box.dataset.file, width: canvas.width, height: canvas.height, pixels: Array.from(pixels) };
      })()`)) as { file: string; width: number; height: number; pixels: number[] };
      const overlay = readValidationOverlay(join(runDirectory, drawn.file));
      const [rows, columns] = overlay.shape;
      expect([drawn.width, drawn.height]).toEqual([3 * columns, rows]);
      let mismatches = 0;
      let coloured = 0;
      for (let y = 0; y < rows; y++) {
        for (let x = 0; x < columns; x++) {
          const i = y * columns + x;
          const grey = overlay.image[i];
          [0, overlay.label[i], overlay.prediction[i]].forEach((k, panel) => {
            const o = 4 * (y * 3 * columns + panel * columns + x);
            const colour = k ? OVERLAY_CLASS_COLOURS[(k - 1) % OVERLAY_CLASS_COLOURS.length] : [grey, grey, grey];
            if (k) coloured++;
            for (let c = 0; c < 3; c++) if (drawn.pixels[o + c] !== Math.round(0.55 * grey + 0.45 * colour[c])) mismatches++;
          });
        }
      }
      expect(coloured).toBeGreaterThan(0);
      expect(mismatches).toBe(0);
      await page.screenshot({ path: join(output, 'live-run.png'), fullPage: true });
      expect(errors).toEqual([]);
      await page.close();
    });
  });

  describe('when the dashboard server restarts', () => {
    let server: DashboardServer | undefined;
    afterAll(() => server?.close());

    it('should reconnect and end with every iteration once, none lost or doubled', SLOW, async () => {
      server = await startDashboardServer({ paths: [runDirectory], port: 0, pollMilliseconds: 100 });
      const port = server.port;
      const page = await browser.newPage({ viewport: { width: 1400, height: 1100 } });
      await page.goto(server.url);
      await eventually('the page connects', async () => (await connection(page)) === 'connected');
      await server.close();
      server = undefined;
      await eventually('the page notices the server is gone', async () => (await connection(page)) === 'reconnecting', 20);
      server = await startDashboardServer({ paths: [runDirectory], port, pollMilliseconds: 100 });
      await eventually('the page reconnects', async () => (await connection(page)) === 'connected', 30);
      await eventually('the run finishes', async () => /dashboard stays up/.test(runOutput), 240);
      await eventually('the page holds the whole run', async () => (await snapshot(page)).runs[0]?.status === 'finished');
      const lines = readFileSync(join(runDirectory, 'metrics.jsonl'), 'utf8').trim().split('\n').map((line) => JSON.parse(line) as { type: string });
      const shown = (await snapshot(page)).runs[0];
      expect(shown.iterations).toBe(lines.filter((line) => line.type === 'iteration').length);
      expect(shown.iterations).toBe(ITERATIONS);
      expect(shown.lastIteration).toBe(ITERATIONS);
      expect(shown.validations).toBe(lines.filter((line) => line.type === 'validation').length);
      await page.screenshot({ path: join(output, 'after-restart.png'), fullPage: true });
      await page.close();
    });

    it('should leave the live run to end cleanly on SIGTERM once it has finished', async () => {
      run.kill('SIGTERM');
      expect(await runExit).toBe(0);
    });
  });

  describe('having a 3D validation overlay', () => {
    it('should open on the slice with the most ground truth and redraw the slice the slider picks', async () => {
      // Four slices of 2×3; the ground truth fills slice 2 most (3 pixels), slice 1 a little; the image of slice z is z·50.
      const directory = join(scratch, 'three-d');
      const [depth, rows, columns] = [4, 2, 3];
      const plane = rows * columns;
      const image = Uint8Array.from({ length: depth * plane }, (_, i) => Math.floor(i / plane) * 50);
      const label = new Uint8Array(depth * plane);
      label.set([1, 2, 1], 2 * plane);
      label[plane] = 1;
      const prediction = Uint8Array.from(label, (v) => (v ? 1 : 0));
      mkdirSync(join(directory, 'overlays', 'validate'), { recursive: true });
      writeValidationOverlay(join(directory, 'overlays', 'validate', '000010-0.mfov'), { shape: [depth, rows, columns], classes: 3, image, label, prediction });
      const events = [
        { type: 'run-started', pipeline: 'planted-3d', backend: 'cpu', backendReason: '', iterations: 10, seed: 1, runDirectory: directory, time: '' },
        { type: 'validation-overlay', node: 'validate', iteration: 10, case: 'volume', origin: 'planted', shape: [depth, rows, columns], classNames: ['background', 'a', 'b'], file: 'overlays/validate/000010-0.mfov' },
      ];
      writeFileSync(join(directory, 'metrics.jsonl'), events.map((event) => `${JSON.stringify(event)}\n`).join(''));
      const server = await startDashboardServer({ paths: [directory], port: 0 });
      const page = await browser.newPage();
      try {
        await page.goto(server.url);
        await eventually('the overlay is drawn', async () => (await snapshot(page)).overlaysDrawn === 1, 20);
        const drawnSlice = async () =>
          (await page.evaluate(`(() => {
            const canvas = document.querySelector('.overlay canvas');
            return Array.from(canvas.getContext('2d').getImageData(0, 0, 1, 1).data)[0];
          })()`)) as number;
        const slider = page.locator('.overlay input[type=range]');
        expect(await slider.isVisible()).toBe(true);
        expect(await slider.getAttribute('max')).toBe(String(depth - 1));
        expect(await slider.inputValue()).toBe('2');
        // The first image pixel of slice 2 is grey 100, blended with nothing in the image panel.
        expect(await drawnSlice()).toBe(100);
        await slider.fill('3');
        expect(await drawnSlice()).toBe(150);
        expect(await page.textContent('.overlay .slice')).toBe('slice 3 of 4');
      } finally {
        await page.close();
        await server.close();
      }
    });
  });
});
