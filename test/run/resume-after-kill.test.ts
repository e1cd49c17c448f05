import { spawn } from 'node:child_process';
import { existsSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { finalWeights, ITERATIONS, resumeSettings, tiny } from './resume-test-settings.js';
import type { IterationEvent, RunEvent } from '../../src/events/run-event.js';
import * as tf from '@tensorflow/tfjs-core';
import { nativeBackendCandidate } from '../../src/runtime/backend-candidates.js';

const native = await nativeBackendCandidate.load(tf);
if (!native.available && process.env.MICFLOW_REQUIRE_NATIVE === '1') throw new Error(`MICFLOW_REQUIRE_NATIVE=1 but the native backend is unavailable: ${native.reason}`);

const scratch = mkdtempSync(join(tmpdir(), 'micflow-resume-cli-'));
afterAll(() => rmSync(scratch, { recursive: true, force: true }));

const settings = resumeSettings(scratch);

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

describe('a run stopped with Ctrl-C (SIGINT)', () => {
  it('should finish the tick, save, print the resume command and exit 130', async () => {
    const directory = join(scratch, 'sigint');
    const child = spawn(process.execPath, ['--import', 'tsx', 'src/cli/pipeline-command.ts', 'supervised', '--out', directory, '--backend', 'cpu', ...settings('supervised').flatMap((s) => ['--set', s])]);
    let stderr = '';
    child.stderr.on('data', (d) => (stderr += d));
    const metrics = join(directory, 'metrics.jsonl');
    const timer = setInterval(() => {
      if (existsSync(metrics) && readFileSync(metrics, 'utf8').includes('"iteration":2,')) {
        clearInterval(timer);
        child.kill('SIGINT');
      }
    }, 20);
    const code = await new Promise<number | null>((done) => child.on('exit', (c) => done(c)));
    clearInterval(timer);
    expect(code, stderr).toBe(130);
    expect(stderr).toMatch(/micflow: stopped after iteration \d of 8 \(SIGINT\); resume with: npm run pipeline -- --resume /);
    const last = JSON.parse(readFileSync(metrics, 'utf8').trim().split('\n').at(-1)!) as RunEvent;
    expect(last).toMatchObject({ type: 'run-interrupted', reason: 'SIGINT', checkpoint: join(directory, 'checkpoints', 'latest.json') });
    expect(JSON.parse(readFileSync(join(directory, 'run-status.json'), 'utf8')).status).toBe('interrupted');
  }, 120_000);
});

describe('a run killed with SIGKILL at several ticks and resumed each time', () => {
  const backend = native.available ? 'native' : 'cpu';
  it.each(Object.keys(tiny))(`should end as a straight run of %s does (${backend})`, async (name) => {
    const straight = join(scratch, `${name}-cli-straight`);
    const common = ['--backend', backend, '--checkpoint-every', '1', ...settings(name).flatMap((s) => ['--set', s])];
    expect((await cli([name, '--out', straight, ...common], join(straight, 'metrics.jsonl'))).code).toBe(0);

    const killed = join(scratch, `${name}-cli-killed`);
    const metrics = join(killed, 'metrics.jsonl');
    const kills = [2, 4, 6].map((at, i) => at + ((name.length + i) % 2)); // different ticks per pipeline
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
