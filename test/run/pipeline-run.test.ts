import { existsSync, mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import * as tf from '@tensorflow/tfjs-core';
import { lastValueFrom, toArray } from 'rxjs';
import { afterAll, describe, expect, it } from 'vitest';
import { stage } from '../../src/graph/pipeline-definition.js';
import type { RunEvent } from '../../src/events/run-event.js';
import { preparePipelineRun, startPipelineRun } from '../../src/run/pipeline-run.js';
import { stageModule } from '../../src/graph/stage-registry.js';
import { SmoothNetworkStage } from './smooth-test-network.js';
import { tinySupervisedPipeline } from './tiny-pipeline.js';

const directories: string[] = [];
afterAll(() => directories.forEach((d) => rmSync(d, { recursive: true, force: true })));

describe('a compiled supervised pipeline', () => {
  describe('having a tiny U-Net on real 32×32 crops', () => {
    it('should compute gradients of the loss that match central finite differences', async () => {
      // The tape, the graph wiring, Dice + CE and the weighted sum, checked on a network whose loss is smooth.
      const definition = tinySupervisedPipeline(1, { net: stage('SmoothNetwork', { classes: 5 }) });
      const options = { out: null, modules: [stageModule(SmoothNetworkStage)] };
      const { compiled } = await startPipelineRun(preparePipelineRun(definition, options), options);
      const batches = await compiled.nextBatches();
      try {
        const variables = compiled.variablesOf('optimise');
        expect(variables.map((v) => v.name)).toEqual(['net/k1', 'net/b1', 'net/k2', 'net/b2']);
        const { grads } = tf.variableGrads(() => compiled.lossOf('optimise', batches, 1), variables as tf.Variable[]);
        const eps = 1e-2;
        let compared = 0;
        for (const variable of variables) {
          const analytic = grads[variable.name].dataSync();
          const original = variable.dataSync().slice();
          for (const index of [0, Math.floor(original.length / 2), original.length - 1]) {
            const at = (delta: number) => {
              const values = original.slice();
              values[index] += delta;
              variable.assign(tf.tensor(values, variable.shape));
              return tf.tidy(() => compiled.lossOf('optimise', batches, 1).dataSync()[0]);
            };
            const numeric = (at(eps) - at(-eps)) / (2 * eps);
            variable.assign(tf.tensor(original, variable.shape));
            expect(Math.abs(numeric - analytic[index]), `${variable.name}[${index}]: numeric ${numeric} analytic ${analytic[index]}`).toBeLessThan(
              1e-3 + 0.02 * Math.abs(analytic[index]),
            );
            compared++;
          }
        }
        expect(compared).toBe(12);
        tf.dispose(grads);
      } finally {
        for (const tensors of batches.values()) tf.dispose(Object.values(tensors));
        compiled.dispose();
      }
    });

    it('should lower the loss over a few steps and keep the live tensor count flat', async () => {
      const started = await startPipelineRun(preparePipelineRun(tinySupervisedPipeline(30, {
        batch: stage('Batch', { size: 2, shuffle: false }, { samples: 'cropped' }),
        cropped: stage('RandomCrop', { size: [32, 32], foregroundRatio: 1 }, { samples: 'normalised' }),
      })), { out: null });
      const { compiled } = started;
      const losses: number[] = [];
      const live: number[] = [];
      try {
        for (let i = 1; i <= 30; i++) {
          const event = await compiled.tick(i);
          losses.push(event.terms.loss);
          live.push(event.liveTensors);
          expect(event.terms.loss).toBeCloseTo(event.terms.dice + event.terms.ce, 4);
        }
      } finally {
        compiled.dispose();
      }
      const first = (losses[0] + losses[1] + losses[2]) / 3;
      const last = (losses[27] + losses[28] + losses[29]) / 3;
      expect(last).toBeLessThan(first * 0.8);
      // After the first step has created the optimiser's moments, nothing may accumulate.
      expect(new Set(live.slice(1)).size, `live tensors per iteration: ${live.join(',')}`).toBe(1);
    });
  });

  describe('having a probe on the training branch', () => {
    const names = ['bg', 'caudate', 'putamen', 'thalamus', 'hippocampus'];
    it('should report its scalars with the optimiser\'s terms without changing the loss', async () => {
      // A 0/1 mask that leaves out exactly the background (label ≠ 0), used by the CE term so the probe's inputs are on
      // the loss's branch: the probe must report all of the background dropped and none of the other classes.
      const nodes = {
        foreground: stage('PartialLabelMask', { unannotatedValue: 0 }, { label: 'batch.label' }),
        ce: stage('CrossEntropyLoss', {}, { prediction: 'predict.logits', label: 'batch.label', mask: 'foreground.mask' }),
        probe: stage('DroppedFractionByClass', { classNames: names }, { mask: 'foreground.mask', label: 'batch.label' }),
      };
      const { compiled } = await startPipelineRun(preparePipelineRun(tinySupervisedPipeline(1, nodes)), { out: null });
      try {
        const event = await compiled.tick(1);
        expect(event.terms['probe.bg']).toBe(1);
        // overall: the background's share of the crops, strictly between 0 and 1 (the exact value is unit-tested)
        expect(event.terms.probe).toBeGreaterThan(0);
        expect(event.terms.probe).toBeLessThan(1);
        for (const name of names.slice(1)) expect(event.terms[`probe.${name}`]).toBe(0);
        expect(event.terms.loss).toBeCloseTo(event.terms.dice + event.terms.ce, 5);
      } finally {
        compiled.dispose();
      }
    });

    it('when it reads a node no optimiser\'s loss depends on, should fail validation, naming the probe', () => {
      const nodes = {
        lossMap: stage('PixelCrossEntropy', {}, { prediction: 'predict.logits', label: 'batch.label' }),
        probe: stage('DroppedFractionByClass', { classNames: names }, { mask: 'lossMap.map', label: 'batch.label' }),
      };
      expect(() => preparePipelineRun(tinySupervisedPipeline(1, nodes))).toThrow(/nodes\.probe\.inputs: a probe must read only nodes that one optimiser's loss depends on/);
    });
  });

  describe('when run end to end with a run directory', () => {
    it('should write config, metrics, checkpoints and the evaluation table', async () => {
      const out = mkdtempSync(join(tmpdir(), 'micflow-run-'));
      directories.push(out);
      const runDirectory = join(out, 'run');
      const definition = tinySupervisedPipeline(4, {
        valid: stage('CsvDataset', { csv: 'valid.csv' }),
        validNormalised: stage('NormalizeWithMeanStd', {}, { samples: 'valid' }),
        validate: stage('Validate', { every: 2 }, { net: 'net', samples: 'validNormalised' }),
        checkpoint: stage('Checkpoint', { every: 2 }, { nets: ['net'] }),
        evaluate: stage('Evaluate', {}, { net: 'net', samples: 'validNormalised' }),
      });
      const prepared = preparePipelineRun(definition, { set: ['validate.every=2'] });
      const started = await startPipelineRun(prepared, { out: runDirectory, latestEveryIterations: 2 });
      const events: RunEvent[] = await lastValueFrom(started.events.pipe(toArray()));
      const labels = events.map((e) => (e.type === 'checkpoint' ? `checkpoint ${e.node} ${e.tag}` : e.type));
      const bestAt4 = labels.filter((l) => l === 'checkpoint validate best').length === 2;
      expect(labels).toEqual([
        'run-started',
        'iteration',
        'iteration',
        'validation',
        'validation-overlay', // the first two validation cases (Validate's default overlays: 2)
        'validation-overlay',
        'checkpoint validate best',
        'checkpoint checkpoint snapshot',
        'checkpoint (run) latest', // the whole state, every 2 iterations here
        'iteration',
        'iteration',
        'validation',
        'validation-overlay',
        'validation-overlay',
        ...(bestAt4 ? ['checkpoint validate best'] : []),
        'checkpoint checkpoint snapshot',
        'checkpoint (run) latest', // after the last iteration's hooks, before the final ones
        'evaluation',
        'run-finished',
      ]);
      const config = JSON.parse(readFileSync(join(runDirectory, 'config.json'), 'utf8'));
      expect(config.nodes.optimise.params.lr).toBe(0.01);
      expect(config.nodes.validate.params.every).toBe(2);
      expect(existsSync(join(runDirectory, 'checkpoints', 'best.json'))).toBe(true);
      expect(existsSync(join(runDirectory, 'checkpoints', 'latest.json'))).toBe(true);
      expect(existsSync(join(runDirectory, 'checkpoints', 'snapshot.json'))).toBe(true);
      const overlays = events.filter((e) => e.type === 'validation-overlay');
      expect(overlays.map((e) => e.file)).toEqual(['overlays/validate/000002-0.mfov', 'overlays/validate/000002-1.mfov', 'overlays/validate/000004-0.mfov', 'overlays/validate/000004-1.mfov']);
      for (const overlay of overlays) expect(existsSync(join(runDirectory, overlay.file))).toBe(true);
      expect(JSON.parse(readFileSync(join(runDirectory, 'run-status.json'), 'utf8'))).toMatchObject({ status: 'finished', iteration: 4, iterations: 4 });
      const table = readFileSync(join(runDirectory, 'evaluation.csv'), 'utf8').trim().split('\n');
      expect(table[0]).toBe('case,dice_background,dice_class1,dice_class2,dice_class3,dice_class4,dice_mean_foreground');
      expect(table).toHaveLength(1 + 12 + 2);
      expect(table.at(-2)).toMatch(/^mean,/);
      expect(table.at(-1)).toMatch(/^std,/);
    });
  });
});
