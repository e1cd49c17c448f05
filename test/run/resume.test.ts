import { mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { lastValueFrom, toArray } from 'rxjs';
import { afterAll, describe, expect, it } from 'vitest';
import { finalWeights, ITERATIONS, resumeSettings, tiny } from './resume-test-settings.js';
import type { IterationEvent, RunEvent } from '../../src/events/run-event.js';
import { loadPipelineModule } from '../../src/run/load-pipeline-module.js';
import { preparePipelineRun, startPipelineRun } from '../../src/run/pipeline-run.js';
import { resumePipelineRun } from '../../src/run/resume-pipeline-run.js';
import * as tf from '@tensorflow/tfjs-core';
import { nativeBackendCandidate } from '../../src/runtime/backend-candidates.js';

const native = await nativeBackendCandidate.load(tf);
if (!native.available && process.env.MICFLOW_REQUIRE_NATIVE === '1') throw new Error(`MICFLOW_REQUIRE_NATIVE=1 but the native backend is unavailable: ${native.reason}`);

const scratch = mkdtempSync(join(tmpdir(), 'micflow-resume-'));
afterAll(() => rmSync(scratch, { recursive: true, force: true }));

const settings = resumeSettings(scratch);

const backends = ['cpu', ...(native.available ? ['native'] : [])];

/** The loss terms and learning rates of each iteration event, in order. */
const ticks = (events: readonly RunEvent[]) =>
  events.filter((e): e is IterationEvent => e.type === 'iteration').map((e) => ({ iteration: e.iteration, terms: e.terms, learningRates: e.learningRates, epochs: e.epochs }));
/** What the evaluation reported (its per-class Dice). */
const evaluation = (events: readonly RunEvent[]) => events.filter((e) => e.type === 'evaluation').map((e) => (e.type === 'evaluation' ? e.classDice : []));

async function runStraight(name: string, backend: string, out: string): Promise<RunEvent[]> {
  const loaded = await loadPipelineModule(name, 'pipelines');
  const started = await startPipelineRun(preparePipelineRun(loaded.definition, { set: settings(name), modules: loaded.modules, source: loaded.file }), { out, backend });
  return lastValueFrom(started.events.pipe(toArray()));
}

describe('a run interrupted and resumed', () => {
  describe.each(backends)('having the %s backend', (backend) => {
    it.each(Object.keys(tiny))('should continue %s exactly as a straight run: the same loss terms, evaluation and final weights', async (name) => {
      const straightDirectory = join(scratch, `${name}-${backend}-straight`);
      const straight = await runStraight(name, backend, straightDirectory);

      // The same run asked to stop (as by SIGINT) after its third tick, then resumed from the state it saved.
      const interruptedDirectory = join(scratch, `${name}-${backend}-interrupted`);
      const loaded = await loadPipelineModule(name, 'pipelines');
      let asked = 0;
      const first = await startPipelineRun(preparePipelineRun(loaded.definition, { set: settings(name), modules: loaded.modules, source: loaded.file }), {
        out: interruptedDirectory,
        backend,
        stopRequested: () => (++asked === 3 ? 'SIGINT' : undefined),
      });
      const before = await lastValueFrom(first.events.pipe(toArray()));
      expect(before.at(-1)).toMatchObject({ type: 'run-interrupted', iteration: 3, reason: 'SIGINT' });
      expect(JSON.parse(readFileSync(join(interruptedDirectory, 'run-status.json'), 'utf8'))).toMatchObject({ status: 'interrupted', iteration: 3 });
      const resumed = await resumePipelineRun(interruptedDirectory);
      const after = await lastValueFrom(resumed.events.pipe(toArray()));
      expect(after.slice(0, 2).map((e) => e.type)).toEqual(['run-started', 'run-resumed']);

      expect(ticks([...before, ...after])).toEqual(ticks(straight));
      expect(evaluation(after)).toEqual(evaluation(straight));
      expect(await finalWeights(interruptedDirectory)).toEqual(await finalWeights(straightDirectory));
      expect(JSON.parse(readFileSync(join(interruptedDirectory, 'run-status.json'), 'utf8'))).toMatchObject({ status: 'finished', iteration: ITERATIONS });
    }, 240_000);
  });
});

describe('resuming', () => {
  describe('when the pipeline module changed since the run started', () => {
    it('should refuse in one line naming the first difference', async () => {
      const module = join(scratch, 'changing.ts');
      const source = readFileSync('pipelines/supervised.ts', 'utf8').replaceAll("'../src/", `'${resolve('src')}/`).replaceAll("'./shared/", `'${resolve('pipelines/shared')}/`);
      writeFileSync(module, source);
      const loaded = await loadPipelineModule(module, 'pipelines');
      const directory = join(scratch, 'changing-run');
      let asked = 0;
      const first = await startPipelineRun(preparePipelineRun(loaded.definition, { set: settings('supervised'), source: loaded.file }), {
        out: directory,
        backend: 'cpu',
        stopRequested: () => (++asked === 1 ? 'SIGINT' : undefined),
      });
      await lastValueFrom(first.events.pipe(toArray()));
      writeFileSync(module, source.replace("stage('Adam', { lr: 1e-3 }", "stage('Adam', { lr: 3e-4 }"));
      await expect(resumePipelineRun(directory)).rejects.toThrow(
        `--resume ${directory}: ${module} changed since this run started (nodes.optimise.params.lr was 0.001, is now 0.0003); resuming would not continue the same run`,
      );
    }, 120_000);
  });

  describe('when the run already finished, or never saved its state', () => {
    it('should say so', async () => {
      const finished = join(scratch, 'supervised-cpu-straight');
      await expect(resumePipelineRun(finished)).rejects.toThrow(`--resume ${finished}: the run already finished (latest is iteration ${ITERATIONS} of ${ITERATIONS})`);
      const empty = join(scratch, 'no-state');
      mkdirSync(empty);
      writeFileSync(join(empty, 'config.json'), '{}');
      await expect(resumePipelineRun(empty)).rejects.toThrow(`--resume ${empty}: no checkpoints/latest.json (the run stopped before saving its state); start it again`);
    });
  });
});
