import { spawn } from 'node:child_process';
import { existsSync, mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { lastValueFrom, toArray } from 'rxjs';
import { afterAll, describe, expect, it } from 'vitest';
import { CheckpointStore } from '../../src/checkpoints/checkpoint-store.js';
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

const ITERATIONS = 12;
const tinyNet = (node: string) => [`${node}.features=[2,4,8,16,32]`];
/** Each pipeline shrunk: 32² crops, batches of 2, 12 ticks, validation every 4 (so "best" moves), ramps within the run. */
const tiny: Record<string, string[]> = {
  supervised: ['trainCropped.size=[32,32]', 'batch.size=2', ...tinyNet('net')],
  'mean-teacher': ['labelledCropped.size=[32,32]', 'unlabelledCropped.size=[32,32]', 'batchL.size=2', 'batchU.size=2', 'rampup.end=8', ...tinyNet('student')],
  coteaching: ['trainCropped.size=[32,32]', 'batch.size=2', 'forgetRate.start=2', 'forgetRate.end=8', ...tinyNet('netA'), ...tinyNet('netB')],
  dast: ['cleanCropped.size=[32,32]', 'noisyCropped.size=[32,32]', 'batchClean.size=2', 'batchNoisy.size=2', 'rampup.start=0', 'rampup.end=8', 'select.rankLength=3', ...tinyNet('net')],
};
const settings = (name: string) => [...tiny[name], `schedule.iterations=${ITERATIONS}`, 'validate.every=4'];

const backends = ['cpu', ...(native.available ? ['native'] : [])];

/** The loss terms and learning rates of each iteration event, in order. */
const ticks = (events: readonly RunEvent[]) =>
  events.filter((e): e is IterationEvent => e.type === 'iteration').map((e) => ({ iteration: e.iteration, terms: e.terms, learningRates: e.learningRates, epochs: e.epochs }));
/** What the evaluation reported (its per-class Dice). */
const evaluation = (events: readonly RunEvent[]) => events.filter((e) => e.type === 'evaluation').map((e) => (e.type === 'evaluation' ? e.classDice : []));

/** Every variable of a run's latest checkpoint, by name. */
async function finalWeights(runDirectory: string): Promise<Record<string, number[]>> {
  const checkpoint = await CheckpointStore.read(join(runDirectory, 'checkpoints', 'latest.json'));
  expect(checkpoint.iteration).toBe(ITERATIONS);
  return Object.fromEntries([...checkpoint.variables].map(([name, v]) => [name, Array.from(v.data)]));
}

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

      // The same run asked to stop (as by SIGINT) after its fifth tick, then resumed from the state it saved.
      const interruptedDirectory = join(scratch, `${name}-${backend}-interrupted`);
      const loaded = await loadPipelineModule(name, 'pipelines');
      let asked = 0;
      const first = await startPipelineRun(preparePipelineRun(loaded.definition, { set: settings(name), modules: loaded.modules, source: loaded.file }), {
        out: interruptedDirectory,
        backend,
        stopRequested: () => (++asked === 5 ? 'SIGINT' : undefined),
      });
      const before = await lastValueFrom(first.events.pipe(toArray()));
      expect(before.at(-1)).toMatchObject({ type: 'run-interrupted', iteration: 5, reason: 'SIGINT' });
      expect(JSON.parse(readFileSync(join(interruptedDirectory, 'run-status.json'), 'utf8'))).toMatchObject({ status: 'interrupted', iteration: 5 });
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

/** Runs the CLI; `killAfterIterations` sends SIGKILL once metrics.jsonl holds that many iteration lines. */
function cli(args: string[], metrics: string, killAfterIterations?: number): Promise<{ code: number | null; signal: NodeJS.Signals | null; stderr: string }> {
  return new Promise((resolve) => {
    const child = spawn(process.execPath, ['--import', 'tsx', 'src/cli/pipeline-command.ts', ...args], { env: { ...process.env, MICFLOW_DEBUG: '' } });
    let stderr = '';
    child.stderr.on('data', (d) => (stderr += d));
    const timer =
      killAfterIterations === undefined
        ? undefined
        : setInterval(() => {
            const lines = existsSync(metrics) ? readFileSync(metrics, 'utf8').split('\n').filter((l) => l.includes('"type":"iteration"')).length : 0;
            if (lines >= killAfterIterations) child.kill('SIGKILL');
          }, 20);
    child.on('exit', (code, signal) => {
      if (timer) clearInterval(timer);
      resolve({ code, signal, stderr });
    });
  });
}

/** The iteration events of a metrics file; an iteration run twice (after a kill) must have the same terms both times. */
function iterationsOf(metrics: string): Map<number, unknown> {
  const byIteration = new Map<number, unknown>();
  for (const line of readFileSync(metrics, 'utf8').trim().split('\n')) {
    const event = JSON.parse(line) as RunEvent;
    if (event.type !== 'iteration') continue;
    const { iteration, terms, learningRates, epochs } = event;
    if (byIteration.has(iteration)) expect({ terms, learningRates, epochs }, `iteration ${iteration} run again`).toEqual(byIteration.get(iteration));
    byIteration.set(iteration, { terms, learningRates, epochs });
  }
  return byIteration;
}

describe('a run killed with SIGKILL at several ticks and resumed each time', () => {
  const backend = native.available ? 'native' : 'cpu';
  it.each(Object.keys(tiny))(`should end as a straight run of %s does (${backend})`, async (name) => {
    const straight = join(scratch, `${name}-cli-straight`);
    const common = ['--backend', backend, '--checkpoint-every', '1', ...settings(name).flatMap((s) => ['--set', s])];
    expect((await cli([name, '--out', straight, ...common], join(straight, 'metrics.jsonl'))).code).toBe(0);

    const killed = join(scratch, `${name}-cli-killed`);
    const metrics = join(killed, 'metrics.jsonl');
    const kills = [3, 6, 9].map((at, i) => at + ((name.length + i) % 2)); // different ticks per pipeline
    let result = await cli([name, '--out', killed, ...common], metrics, kills[0]);
    expect(result.signal).toBe('SIGKILL');
    for (const at of kills.slice(1)) {
      result = await cli(['--resume', killed, '--checkpoint-every', '1'], metrics, at);
      expect(result.signal, result.stderr).toBe('SIGKILL');
    }
    result = await cli(['--resume', killed, '--checkpoint-every', '1'], metrics);
    expect(result.code, result.stderr).toBe(0);

    expect([...iterationsOf(metrics)]).toEqual([...iterationsOf(join(straight, 'metrics.jsonl'))]);
    expect(await finalWeights(killed)).toEqual(await finalWeights(straight));
    expect(readFileSync(join(killed, 'evaluation.csv'), 'utf8')).toBe(readFileSync(join(straight, 'evaluation.csv'), 'utf8'));
  }, 300_000);
});
