import * as tf from '@tensorflow/tfjs-core';
import { lastValueFrom, toArray } from 'rxjs';
import { describe, expect, it } from 'vitest';
import definition from '../../pipelines/supervised-3d.js';
import { stage } from '../../src/graph/pipeline-definition.js';
import type { RunEvent } from '../../src/events/run-event.js';
import { preparePipelineRun, startPipelineRun } from '../../src/run/pipeline-run.js';

/** The supervised-3d graph shrunk for tests: a 2–16 channel 3D U-Net without dropout, 16³ patches, batches of 2. */
const tiny = ['net.features=[2,4,8,16]', 'net.dropout=[0,0,0,0]', 'trainCropped.size=[16,16,16]', 'batch.size=2', 'schedule.iterations=3'];

describe('the supervised-3d pipeline', () => {
  describe('having its default definition', () => {
    it('should validate as a graph of registered stages with a 3D U-Net and sliding-window evaluation', () => {
      const prepared = preparePipelineRun(definition);
      const nodes = prepared.validated.nodes;
      expect(nodes.get('net')!.stageClass.className).toBe('UNet3D');
      expect(nodes.get('trainCropped')!.params).toMatchObject({ size: [32, 32, 32] });
      expect(nodes.get('evaluate')!.stageClass.className).toBe('EvaluateSegmentation');
      expect((nodes.get('evaluate')!.params as { window: number[] }).window).toHaveLength(3);
    });
  });

  describe('when run for a few ticks on tiny patches', () => {
    it('should feed rank-5 patches and report finite Dice and cross-entropy terms with a flat tensor count', async () => {
      const { compiled } = await startPipelineRun(preparePipelineRun(definition, { set: tiny }), { out: null });
      try {
        const batches = await compiled.nextBatches();
        const batch = batches.get('batch')!;
        expect(batch.image.shape).toEqual([2, 16, 16, 16, 1]);
        expect(batch.label.shape).toEqual([2, 16, 16, 16]);
        tf.dispose(Object.values(batch));

        const weights = compiled.networks.get('net')!.network.trainableVariables[0];
        const initial = Float32Array.from(weights.dataSync());
        const live: number[] = [];
        for (let iteration = 1; iteration <= 3; iteration++) {
          const event = await compiled.tick(iteration);
          for (const key of ['dice', 'ce', 'loss']) expect(Number.isFinite(event.terms[key]), key).toBe(true);
          expect(event.terms.dice).toBeGreaterThan(0);
          expect(event.terms.dice).toBeLessThanOrEqual(1);
          expect(event.terms.loss).toBeCloseTo(event.terms.dice + event.terms.ce, 4);
          live.push(event.liveTensors);
        }
        expect(new Set(live.slice(1)).size, `live tensors: ${live.join(',')}`).toBe(1);
        expect(Float32Array.from(weights.dataSync())).not.toEqual(initial);
      } finally {
        compiled.dispose();
      }
    });
  });

  describe('when run end to end for two iterations', () => {
    it('should evaluate the whole test volume by sliding windows and report a Dice in [0, 1] for each structure', async () => {
      const set = [...tiny.filter((s) => !s.startsWith('schedule')), 'schedule.iterations=2', 'evaluate.window=[32,32,32]'];
      const { events } = await startPipelineRun(preparePipelineRun(definition, { set }), { out: null });
      const all: RunEvent[] = await lastValueFrom(events.pipe(toArray()));
      const evaluation = all.find((e) => e.type === 'evaluation');
      expect(evaluation, all.map((e) => e.type).join(',')).toBeDefined();
      if (evaluation?.type !== 'evaluation') return;
      expect(evaluation.cases).toBe(1);
      expect(evaluation.classNames).toEqual(['caudate', 'putamen', 'thalamus', 'hippocampus']);
      for (const dice of evaluation.classDice) {
        expect(dice).toBeGreaterThanOrEqual(0);
        expect(dice).toBeLessThanOrEqual(1);
      }
    });
  });

  describe('when a Validate node is added on a volume', () => {
    it('should validate the whole 3D volume in one pass and report a Dice in [0, 1] per class', async () => {
      const withValidate = {
        ...definition,
        nodes: { ...definition.nodes, validate: stage('Validate', { every: 2, keepBest: false }, { net: 'net', samples: 'testNormalised' }) },
      };
      const set = [...tiny.filter((s) => !s.startsWith('schedule')), 'schedule.iterations=2', 'evaluate.window=[32,32,32]'];
      const { events } = await startPipelineRun(preparePipelineRun(withValidate, { set }), { out: null });
      const validations = (await lastValueFrom(events.pipe(toArray()))).filter((e) => e.type === 'validation');
      expect(validations).toHaveLength(1);
      if (validations[0].type !== 'validation') return;
      expect(validations[0].classDice).toHaveLength(5);
      for (const dice of validations[0].classDice) {
        expect(dice).toBeGreaterThanOrEqual(0);
        expect(dice).toBeLessThanOrEqual(1);
      }
    });
  });
});
