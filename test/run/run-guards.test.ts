import * as tf from '@tensorflow/tfjs-core';
import { existsSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { lastValueFrom, tap, toArray } from 'rxjs';
import { z } from 'zod';
import { afterAll, describe, expect, it } from 'vitest';
import { resumeSettings } from './resume-test-settings.js';
import type { RunEvent } from '../../src/events/run-event.js';
import { stage, type PipelineDefinition } from '../../src/graph/pipeline-definition.js';
import type { PortSpecs } from '../../src/graph/port-spec.js';
import { TensorStage, type InputsOf, type TickContext } from '../../src/graph/stage.js';
import { stageModule } from '../../src/graph/stage-registry.js';
import { loadPipelineModule } from '../../src/run/load-pipeline-module.js';
import { preparePipelineRun, startPipelineRun, STOP_FILE } from '../../src/run/pipeline-run.js';

type StartPipelineRunOptions = Parameters<typeof startPipelineRun>[1];

const scratch = mkdtempSync(join(tmpdir(), 'micflow-guards-'));
afterAll(() => rmSync(scratch, { recursive: true, force: true }));
const settings = resumeSettings(scratch);

const poisonInputs = { x: { type: 'scalar', description: 'the loss' } } as const satisfies PortSpecs;
/** Test stage: passes the loss through, multiplied by `factor` from iteration `from` on (NaN: a loss that turns NaN). */
class PoisonLoss extends TensorStage<{ from: number; factor: number | 'nan' | 'nan-gradient' }, typeof poisonInputs> {
  static readonly className = 'PoisonLoss';
  static readonly description = 'test: the loss times a factor from an iteration on';
  static readonly paramsSchema = z.object({ from: z.number().int().describe('first iteration'), factor: z.union([z.number(), z.literal('nan'), z.literal('nan-gradient')]).describe('factor') }).strict();
  static readonly inputs = poisonInputs;
  static readonly outputs = { y: { type: 'scalar', description: 'the loss, poisoned' } } as const satisfies PortSpecs;
  override compute(inputs: InputsOf<typeof poisonInputs>, tick: TickContext): Record<string, tf.Tensor> {
    if (tick.iteration < this.params.from) return { y: tf.mul(inputs.x, 1) };
    // x + sqrt(0 · x): the same value, but d/dx sqrt(0 · x) = 0 / (2 sqrt(0)) = NaN.
    if (this.params.factor === 'nan-gradient') return { y: tf.add(inputs.x, tf.sqrt(tf.mul(inputs.x, 0))) };
    return { y: tf.mul(inputs.x, this.params.factor === 'nan' ? Number.NaN : this.params.factor) };
  }
}

/** supervised with its optimiser minimising `PoisonLoss(loss)` instead of the loss. */
async function poisoned(params: { from: number; factor: number | 'nan' | 'nan-gradient' }): Promise<PipelineDefinition> {
  const { definition } = await loadPipelineModule('supervised', 'pipelines');
  const optimise = definition.nodes.optimise;
  return { ...definition, nodes: { ...definition.nodes, poison: stage('PoisonLoss', params, { x: 'loss' }), optimise: { ...optimise, inputs: { ...optimise.inputs, loss: 'poison' } } } };
}

async function runToEnd(definition: PipelineDefinition, set: string[], options: StartPipelineRunOptions): Promise<{ events: RunEvent[]; error?: Error }> {
  const events: RunEvent[] = [];
  const started = await startPipelineRun(preparePipelineRun(definition, { set, modules: [stageModule(PoisonLoss)] }), options);
  try {
    await lastValueFrom(started.events.pipe(tap((e) => events.push(e)), toArray()));
    return { events };
  } catch (error) {
    return { events, error: error as Error };
  }
}

describe('the divergence guard', () => {
  describe('when a loss term turns NaN at iteration 3', () => {
    it('should stop the run naming the term, the iteration and the batch\'s source files, without applying the step, and mark the run failed', async () => {
      const out = join(scratch, 'nan-loss');
      const { events, error } = await runToEnd(await poisoned({ from: 3, factor: 'nan' }), settings('supervised'), { out, backend: 'cpu' });
      expect(error?.message).toMatch(/^iteration 3: loss term "poison" is NaN \(optimiser "optimise"\); training diverged and the step was not applied; the batch: batch: \/.+\/train\.csv line \d+ \(z\d+\), \/.+\/train\.csv line \d+ \(z\d+\)$/);
      expect(events.filter((e) => e.type === 'iteration').map((e) => (e.type === 'iteration' ? e.iteration : 0))).toEqual([1, 2]);
      expect(JSON.parse(readFileSync(join(out, 'run-status.json'), 'utf8'))).toMatchObject({ status: 'failed', iteration: 2 });
    }, 60_000);
  });

  describe('when the loss stays finite but its gradient turns NaN at iteration 2', () => {
    it('should stop the run naming the optimiser, the first variable and the batch', async () => {
      const { events, error } = await runToEnd(await poisoned({ from: 2, factor: 'nan-gradient' }), settings('supervised'), { out: null, backend: 'cpu' });
      expect(error?.message).toMatch(
        /^iteration 2: the gradient of optimiser "optimise" is not finite \(first at variable net\/\S+\) while its loss terms are; training diverged and the step was not applied; the batch: batch: .+ \(z\d+\)$/,
      );
      expect(events.filter((e) => e.type === 'iteration')).toHaveLength(1);
    }, 60_000);
  });

  describe('when the loss jumps to 1000 times its level from iteration 13 on', () => {
    it('should emit one warning naming the loss after five high ticks, and finish', async () => {
      const set = [...settings('supervised'), 'schedule.iterations=20', 'validate.every=100'];
      const { events, error } = await runToEnd(await poisoned({ from: 13, factor: 1000 }), set, { out: null, backend: 'cpu' });
      expect(error).toBeUndefined();
      const warnings = events.filter((e) => e.type === 'warning');
      expect(warnings).toHaveLength(1);
      expect(warnings[0]).toMatchObject({ iteration: 17, node: 'poison' });
      expect((warnings[0] as { message: string }).message).toMatch(/^loss "poison" has been above 10× its running median \(.+\) for 5 ticks \(now .+\); the learning rate may be too high$/);
    }, 60_000);
  });
});

describe('early stopping', () => {
  describe('having Validate every iteration with patience 2 and a learning rate too small to move the weights', () => {
    it('should end training once the best score is two iterations old, then still evaluate', async () => {
      const { definition } = await loadPipelineModule('supervised', 'pipelines');
      const set = [...settings('supervised'), 'validate.every=1', 'validate.patience=2', 'optimise.lr=1e-30'];
      const { events, error } = await runToEnd(definition, set, { out: null, backend: 'cpu' });
      expect(error).toBeUndefined();
      // Where it should stop, from the validation scores themselves: the first iteration 2 after the last improvement.
      let best = -Infinity;
      let bestIteration = 0;
      let expectedStop: number | undefined;
      for (const e of events) {
        if (e.type !== 'validation' || expectedStop !== undefined) continue;
        if (e.meanForegroundDice > best) [best, bestIteration] = [e.meanForegroundDice, e.iteration];
        else if (e.iteration - bestIteration >= 2) expectedStop = e.iteration;
      }
      expect(expectedStop).toBeDefined();
      expect(expectedStop).toBeLessThan(8);
      expect(events.find((e) => e.type === 'early-stopped')).toMatchObject({ iteration: expectedStop, node: 'validate' });
      expect(events.filter((e) => e.type === 'iteration')).toHaveLength(expectedStop!);
      expect(events.some((e) => e.type === 'evaluation')).toBe(true);
    }, 60_000);
  });
});

describe('stopping and saving', () => {
  describe('when a STOP file appears in the run directory after the second iteration', () => {
    it('should end with that tick, save latest, emit run-interrupted (stop file) and mark the run interrupted', async () => {
      const { definition } = await loadPipelineModule('supervised', 'pipelines');
      const out = join(scratch, 'stop-file');
      const started = await startPipelineRun(preparePipelineRun(definition, { set: settings('supervised') }), { out, backend: 'cpu' });
      const events = await lastValueFrom(
        started.events.pipe(
          tap((e) => {
            if (e.type === 'iteration' && e.iteration === 2) writeFileSync(join(out, STOP_FILE), '');
          }),
          toArray(),
        ),
      );
      expect(events.at(-1)).toMatchObject({ type: 'run-interrupted', reason: 'stop file', iteration: 2 });
      expect(events.filter((e) => e.type === 'iteration')).toHaveLength(2);
      expect(JSON.parse(readFileSync(join(out, 'checkpoints', 'latest.json'), 'utf8'))).toMatchObject({ iteration: 2 });
      expect(JSON.parse(readFileSync(join(out, 'run-status.json'), 'utf8'))).toMatchObject({ status: 'interrupted', iteration: 2 });
      expect(existsSync(join(out, STOP_FILE))).toBe(false); // consumed, so --resume does not stop at once
    }, 60_000);
  });

  describe('having latest saved every 3 iterations in an 8-iteration run', () => {
    it('should save latest at iterations 3, 6 and 8 (the end)', async () => {
      const { definition } = await loadPipelineModule('supervised', 'pipelines');
      const { events } = await runToEnd(definition, settings('supervised'), { out: join(scratch, 'cadence'), backend: 'cpu', latestEveryIterations: 3 });
      const latest = events.filter((e) => e.type === 'checkpoint' && e.tag === 'latest').map((e) => (e.type === 'checkpoint' ? e.iteration : 0));
      expect(latest).toEqual([3, 6, 8]);
    }, 60_000);
  });
});
