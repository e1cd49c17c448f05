import { mkdtempSync, readdirSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { lastValueFrom, tap, toArray } from 'rxjs';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { RunEvent } from '../../src/events/run-event.js';
import { stage } from '../../src/graph/pipeline-definition.js';
import { overlayPicture } from '../../src/images/overlay-picture.js';
import { readPng } from '../../src/io/read-png.js';
import { readValidationOverlay, writeValidationOverlay, type ValidationOverlay } from '../../src/io/validation-overlay-file.js';
import { TensorBoardEventWriter } from '../../src/observers/tensorboard-event-writer.js';
import { preparePipelineRun, startPipelineRun } from '../../src/run/pipeline-run.js';
import { readEventFile, scalarsOf, type DecodedEvent } from '../io/tensorboard-test-reader.js';
import { tinySupervisedPipeline } from '../run/tiny-pipeline.js';

const dir = mkdtempSync(join(tmpdir(), 'micflow-tb-observer-'));
afterAll(() => rmSync(dir, { recursive: true, force: true }));

const eventFilesIn = (folder: string) => readdirSync(folder).filter((name) => name.includes('tfevents'));

/** Every image summary as "tag@step" → its value. */
function imagesOf(events: readonly DecodedEvent[]) {
  const images = new Map<string, NonNullable<NonNullable<DecodedEvent['summary']>['value'][number]['image']>>();
  for (const event of events) {
    for (const value of event.summary?.value ?? []) if (value.image) images.set(`${value.tag}@${event.step ?? 0}`, value.image);
  }
  return images;
}

/** The pixels of PNG bytes, decoded by the project's PNG reader from a file. */
async function decodePng(bytes: Uint8Array, name: string) {
  const file = join(dir, `${name}.png`);
  writeFileSync(file, bytes);
  return readPng(file);
}

describe('TensorBoardEventWriter', () => {
  describe('having a sequence of run events with an overlay file of each dimension and one missing', () => {
    const runDirectory = mkdtempSync(join(dir, 'run-'));
    // A 2D case (2×3, classes 0–2) and a 3D one (2×2×2, the second slice holding the ground truth).
    const flat: ValidationOverlay = { shape: [2, 3], classes: 3, image: Uint8Array.of(0, 50, 100, 150, 200, 250), label: Uint8Array.of(0, 1, 1, 2, 2, 0), prediction: Uint8Array.of(0, 1, 2, 2, 0, 0) };
    const solid: ValidationOverlay = { shape: [2, 2, 2], classes: 2, image: Uint8Array.of(9, 9, 9, 9, 10, 60, 110, 160), label: Uint8Array.of(0, 0, 0, 0, 1, 1, 0, 1), prediction: Uint8Array.of(0, 0, 0, 0, 1, 0, 0, 1) };
    const classNames = ['background', 'caudate', 'putamen'];
    const overlayEvent = (index: number, name: string): RunEvent => ({
      type: 'validation-overlay',
      node: 'validate',
      iteration: 2,
      case: name,
      origin: `image/${name}.png`,
      shape: [2, 3],
      classNames,
      file: `overlays/validate/000002-${index}.mfov`,
    });
    const runEvents: RunEvent[] = [
      { type: 'run-started', pipeline: 'p', backend: 'cpu', backendReason: 'test', iterations: 2, seed: 1, runDirectory, time: '2024-01-01T00:00:00Z' },
      { type: 'iteration', iteration: 1, iterations: 2, terms: { dice: 0.7, ce: 1.1, 'probe.bg': 0.25 }, learningRates: { optimise: 0.01, other: 0.002 }, epochs: { batch: 1 }, dataSeconds: 0.125, seconds: 0.3, liveTensors: 41, rssBytes: 3 * 2 ** 20 + 2 ** 19 },
      { type: 'iteration', iteration: 2, iterations: 2, terms: { dice: 0.6, ce: 0.9, 'probe.bg': 0.5 }, learningRates: { optimise: 0.01, other: 0.002 }, epochs: { batch: 1 }, dataSeconds: 0.1, seconds: 0.2, liveTensors: 41 },
      { type: 'validation', node: 'validate', iteration: 2, classNames, classDice: [0.99, 0.4, Number.NaN], meanForegroundDice: 0.4, best: true, seconds: 1 },
      overlayEvent(0, 'z050'),
      overlayEvent(1, 'vol01'),
      overlayEvent(7, 'gone'),
      { type: 'checkpoint', node: 'validate', iteration: 2, tag: 'best', path: 'checkpoints/best.json' },
      { type: 'evaluation', node: 'evaluate', checkpoint: 'best', cases: 2, classNames, classDice: [0.98, 0.35, 0.3], classDiceStd: [0, 0.1, 0.1], meanForegroundDice: 0.325, tablePath: undefined },
      { type: 'run-finished', iterations: 2, seconds: 3 },
    ];
    const warnings: string[] = [];
    let events: DecodedEvent[];
    beforeAll(() => {
      writeValidationOverlay(join(runDirectory, 'overlays/validate/000002-0.mfov'), flat);
      writeValidationOverlay(join(runDirectory, 'overlays/validate/000002-1.mfov'), solid);
      let clock = 1700000000;
      const writer = new TensorBoardEventWriter(runDirectory, { hostname: 'box', clock: () => (clock += 0.5), warn: (m) => warnings.push(m) });
      for (const event of runEvents) writer.next(event);
      writer.complete();
      events = readEventFile(writer.file);
    });

    it('should write one file, whose first event says file_version brain.Event:2', () => {
      expect(eventFilesIn(runDirectory)).toEqual(['events.out.tfevents.1700000000.box.micflow']);
      expect(events[0]).toEqual({ wallTime: 1700000000.5, step: 0, fileVersion: 'brain.Event:2' });
    });

    it('should give each iteration, validation and evaluation one event at its step, at increasing wall times', () => {
      // iteration 1, iteration 2, validation, two images, evaluation: nothing for run-started, checkpoint, run-finished.
      expect(events.slice(1).map((e) => [e.step, e.summary?.value.map((v) => (v.image ? 'image' : 'scalar'))[0]])).toEqual([
        [1, 'scalar'],
        [2, 'scalar'],
        [2, 'scalar'],
        [2, 'image'],
        [2, 'image'],
        [2, 'scalar'],
      ]);
      const times = events.map((e) => e.wallTime);
      expect(times).toEqual([...times].sort((a, b) => a - b));
      expect(new Set(times).size).toBe(times.length);
    });

    it('should write exactly the expected scalar tags, steps and float32 values, leaving out NaN', () => {
      const f = Math.fround;
      expect(Object.fromEntries(scalarsOf(events))).toEqual({
        'loss/dice@1': f(0.7),
        'loss/ce@1': f(1.1),
        'loss/probe.bg@1': f(0.25),
        'learning_rate/optimise@1': f(0.01),
        'learning_rate/other@1': f(0.002),
        'time/seconds_per_iteration@1': f(0.3),
        'time/data_seconds@1': f(0.125),
        'memory/live_tensors@1': 41,
        'memory/rss_mb@1': 3.5,
        'loss/dice@2': f(0.6),
        'loss/ce@2': f(0.9),
        'loss/probe.bg@2': f(0.5),
        'learning_rate/optimise@2': f(0.01),
        'learning_rate/other@2': f(0.002),
        'time/seconds_per_iteration@2': f(0.2),
        'time/data_seconds@2': f(0.1),
        'memory/live_tensors@2': 41,
        'validation/validate/mean_foreground_dice@2': f(0.4),
        'validation/validate/dice/background@2': f(0.99),
        'validation/validate/dice/caudate@2': f(0.4),
        'evaluation/evaluate/mean_foreground_dice@2': f(0.325),
        'evaluation/evaluate/dice/background@2': f(0.98),
        'evaluation/evaluate/dice/caudate@2': f(0.35),
        'evaluation/evaluate/dice/putamen@2': f(0.3),
      });
    });

    it('should store each readable overlay as an RGB PNG three cases wide, holding the overlay picture', async () => {
      const images = imagesOf(events);
      expect([...images.keys()]).toEqual(['overlay/validate/z050@2', 'overlay/validate/vol01@2']);
      for (const [tag, overlay, width, height] of [['overlay/validate/z050@2', flat, 9, 2], ['overlay/validate/vol01@2', solid, 6, 2]] as const) {
        const image = images.get(tag)!;
        expect([image.width, image.height, image.colorspace]).toEqual([width, height, 3]);
        const png = await decodePng(image.encodedImageString, tag.replace(/\W+/g, '-'));
        expect(png.size).toEqual([width, height]);
        expect(png.components).toBe(3);
        expect([...png.data]).toEqual([...overlayPicture(overlay).rgb]);
      }
      // The 3D case shows its second slice: grey 10, 60 / 110, 160 in the first panel.
      const solidPng = await decodePng(images.get('overlay/validate/vol01@2')!.encodedImageString, 'solid-again');
      expect([...solidPng.data.subarray(0, 6)]).toEqual([10, 10, 10, 60, 60, 60]);
    });

    it('should skip the missing overlay with one warning naming its file, and go on', () => {
      expect(warnings).toHaveLength(1);
      expect(warnings[0]).toContain('gone');
      expect(warnings[0]).toContain(join(runDirectory, 'overlays/validate/000002-7.mfov'));
      expect(events.at(-1)?.summary?.value[0].tag).toBe('evaluation/evaluate/mean_foreground_dice');
    });
  });

  describe('when an evaluation comes after a resumed run\'s first event but before any iteration', () => {
    it('should put it at the iteration the run resumed from', () => {
      const runDirectory = mkdtempSync(join(dir, 'resumed-'));
      const writer = new TensorBoardEventWriter(runDirectory, { append: true, hostname: 'box' });
      writer.next({ type: 'run-resumed', iteration: 40, iterations: 50, checkpoint: 'latest', time: '' });
      writer.next({ type: 'evaluation', node: 'evaluate', checkpoint: 'best', cases: 1, classNames: ['bg', 'a'], classDice: [1, 0.5], classDiceStd: [0, 0], meanForegroundDice: 0.5, tablePath: undefined });
      expect(Object.fromEntries(scalarsOf(readEventFile(writer.file)))).toEqual({
        'evaluation/evaluate/mean_foreground_dice@40': 0.5,
        'evaluation/evaluate/dice/bg@40': 1,
        'evaluation/evaluate/dice/a@40': 0.5,
      });
    });
  });

  describe('when a run is resumed into the same directory', () => {
    it('should start a second event file and leave the first as it was', () => {
      const runDirectory = mkdtempSync(join(dir, 'twice-'));
      new TensorBoardEventWriter(runDirectory, { hostname: 'box', wallTime: 1000 }).next({ type: 'iteration', iteration: 1, iterations: 2, terms: { loss: 1 }, learningRates: {}, epochs: {}, dataSeconds: 0, seconds: 1, liveTensors: 1 });
      const resumed = new TensorBoardEventWriter(runDirectory, { append: true, hostname: 'box', wallTime: 1000 });
      resumed.next({ type: 'iteration', iteration: 2, iterations: 2, terms: { loss: 0.5 }, learningRates: {}, epochs: {}, dataSeconds: 0, seconds: 1, liveTensors: 1 });
      expect(eventFilesIn(runDirectory).sort()).toEqual(['events.out.tfevents.1000.box.micflow', 'events.out.tfevents.1001.box.micflow']);
      expect(scalarsOf(readEventFile(join(runDirectory, 'events.out.tfevents.1000.box.micflow'))).get('loss/loss@1')).toBe(1);
      expect([...scalarsOf(readEventFile(resumed.file)).keys()].filter((k) => k.startsWith('loss/'))).toEqual(['loss/loss@2']);
    });
  });

  describe('having a tiny real run with validation, overlays and evaluation', () => {
    it('should hold exactly the scalars of the run\'s iteration, validation and evaluation events, and its overlays', async () => {
      const runDirectory = join(mkdtempSync(join(dir, 'real-')), 'run');
      const definition = tinySupervisedPipeline(2, {
        valid: stage('CsvDataset', { csv: 'valid.csv' }),
        validNormalised: stage('NormalizeWithMeanStd', {}, { samples: 'valid' }),
        validate: stage('Validate', { every: 2, overlays: 1 }, { net: 'net', samples: 'validNormalised' }),
        evaluate: stage('Evaluate', {}, { net: 'net', samples: 'validNormalised' }),
      });
      const started = await startPipelineRun(preparePipelineRun(definition), { out: runDirectory });
      // The run directory exists once the run has started, as for the CLI's observers.
      const writer = new TensorBoardEventWriter(started.runDirectory!);
      let runEvents: RunEvent[];
      try {
        runEvents = await lastValueFrom(started.events.pipe(tap(writer), toArray()));
      } finally {
        started.compiled.dispose();
      }
      // The expected tags, built here from the events as the tag scheme says (not by the writer's own helpers).
      const expected = new Map<string, number>();
      let last = 0;
      for (const event of runEvents) {
        if (event.type === 'iteration') {
          last = event.iteration;
          const at = `@${event.iteration}`;
          for (const [term, value] of Object.entries(event.terms)) expected.set(`loss/${term}${at}`, value);
          for (const [node, value] of Object.entries(event.learningRates)) expected.set(`learning_rate/${node}${at}`, value);
          expected.set(`time/seconds_per_iteration${at}`, event.seconds);
          expected.set(`time/data_seconds${at}`, event.dataSeconds);
          expected.set(`memory/live_tensors${at}`, event.liveTensors);
          expect(event.rssBytes).toBeGreaterThan(0);
          expected.set(`memory/rss_mb${at}`, event.rssBytes! / 1048576);
        } else if (event.type === 'validation' || event.type === 'evaluation') {
          const step = event.type === 'validation' ? event.iteration : last;
          expected.set(`${event.type}/${event.node}/mean_foreground_dice@${step}`, event.meanForegroundDice);
          event.classNames.forEach((name, k) => {
            if (!Number.isNaN(event.classDice[k])) expected.set(`${event.type}/${event.node}/dice/${name}@${step}`, event.classDice[k]);
          });
        }
      }
      expect(runEvents.filter((e) => e.type === 'iteration')).toHaveLength(2);
      expect(runEvents.some((e) => e.type === 'validation')).toBe(true);
      expect(runEvents.some((e) => e.type === 'evaluation')).toBe(true);
      const events = readEventFile(writer.file);
      expect(events[0].fileVersion).toBe('brain.Event:2');
      const written = scalarsOf(events);
      expect([...written.keys()].sort()).toEqual([...expected.keys()].sort());
      for (const [tag, value] of expected) expect(written.get(tag), tag).toBe(Math.fround(value));

      const overlays = runEvents.filter((e) => e.type === 'validation-overlay');
      expect(overlays).toHaveLength(1);
      const images = imagesOf(events);
      expect([...images.keys()]).toEqual(overlays.map((o) => `overlay/${o.node}/${o.case}@${o.iteration}`));
      const overlay = readValidationOverlay(join(runDirectory, overlays[0].file));
      const png = await decodePng([...images.values()][0].encodedImageString, 'real-run');
      expect(png.size).toEqual([3 * overlay.shape[1], overlay.shape[0]]);
      expect([...png.data]).toEqual([...overlayPicture(overlay).rgb]);
    });
  });
});
