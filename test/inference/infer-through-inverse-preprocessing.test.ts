import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import * as tf from '@tensorflow/tfjs-core';
import '@tensorflow/tfjs-backend-cpu';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { CheckpointStore } from '../../src/checkpoints/checkpoint-store.js';
import { inferImageFiles } from '../../src/inference/infer-image-files.js';
import { loadTrainedModel } from '../../src/inference/trained-model.js';
import type { MedicalImage } from '../../src/io/medical-image.js';
import { readImage, writeImage } from '../../src/io/read-image.js';
import { createMicflowContainer } from '../../src/run/micflow-container.js';
import { TensorRuntime } from '../../src/runtime/tensor-runtime.js';
import { pseudoRandomValues } from './inference-test-networks.js';
import pointwiseModule, { PointwiseNetwork } from './pointwise-network-stage.js';
import { writeRunConfig } from './write-run-config.js';

const scratch = mkdtempSync(join(tmpdir(), 'micflow-inverse-preprocessing-'));
afterAll(() => rmSync(scratch, { recursive: true, force: true }));
let runtime: TensorRuntime;
beforeAll(async () => {
  runtime = await TensorRuntime.create({ backend: 'cpu' });
});

/** A run whose test branch is `transforms` (in order) and whose network is pointwise with logits [x, −x]. */
async function writeRun(name: string, transforms: Array<{ stage: string; params: unknown }>): Promise<string> {
  const directory = join(scratch, name);
  mkdirSync(directory);
  const nodes: Record<string, unknown> = { test: { stage: 'CsvDataset', params: { csv: 'unused.csv' } } };
  let previous = 'test';
  transforms.forEach((t, i) => {
    nodes[`step${i}`] = { stage: t.stage, params: t.params, inputs: { samples: previous } };
    previous = `step${i}`;
  });
  nodes.net = { stage: 'PointwiseNetwork', params: { classes: 2 } };
  nodes.evaluate = { stage: 'Evaluate', params: {}, inputs: { net: 'net', samples: previous } };
  writeRunConfig(directory, name, nodes);
  const network = new PointwiseNetwork('net', 1, 2);
  network.trainableVariables[0].assign(tf.tensor2d([[1, -1]]));
  await new CheckpointStore(join(directory, 'checkpoints')).save('best', [network], 1);
  network.dispose();
  return directory;
}

/** Class probabilities of logits [x, −x]. */
function pointwiseProbabilities(x: number): [number, number] {
  const p = 1 / (1 + Math.exp(-2 * x));
  return [p, 1 - p];
}

/**
 * Independent 1D ×2 linear upsampling with half-pixel centres and edge clamping (torch's align_corners=False):
 * output 2k reads position k − ¼, output 2k + 1 reads k + ¼.
 */
function upsampleTwice(values: readonly number[]): number[] {
  const n = values.length;
  const at = (i: number) => values[Math.min(n - 1, Math.max(0, i))];
  return values.flatMap((v, k) => [0.75 * v + 0.25 * at(k - 1), 0.75 * v + 0.25 * at(k + 1)]);
}

async function predict(run: string, image: MedicalImage, out: string): Promise<{ labels: MedicalImage; probabilities: MedicalImage }> {
  const folder = join(scratch, `${out}-in`);
  mkdirSync(folder);
  await writeImage(join(folder, 'case.nii.gz'), image);
  const model = await loadTrainedModel(run, { container: createMicflowContainer([pointwiseModule]), runtime });
  try {
    await inferImageFiles({ models: [model], data: folder, outDirectory: join(scratch, out), probabilities: true, sizeDivisor: 1 });
  } finally {
    model.dispose();
  }
  return { labels: await readImage(join(scratch, out, 'case.nii.gz')), probabilities: await readImage(join(scratch, out, 'case_probabilities.nii.gz')) };
}

function expectPrediction(written: { labels: MedicalImage; probabilities: MedicalImage }, expected: Array<[number, number]>): void {
  const probabilities = Array.from(written.probabilities.data as ArrayLike<number>);
  expect(probabilities.length).toBe(expected.length * 2);
  expected.forEach(([p0, p1], v) => {
    expect(probabilities[2 * v]).toBeCloseTo(p0, 5);
    expect(probabilities[2 * v + 1]).toBeCloseTo(p1, 5);
  });
  const labels = Array.from(written.labels.data as ArrayLike<number>);
  expected.forEach(([p0, p1], v) => {
    if (Math.abs(p0 - p1) > 1e-4) expect(labels[v]).toBe(p0 > p1 ? 0 : 1);
  });
}

describe('inferImageFiles through the inverse of grid-changing preprocessing', () => {
  const image: MedicalImage = {
    data: pseudoRandomValues(6 * 8, 13).map((v) => 2 * v),
    size: [8, 6],
    spacing: [0.6, 1.4],
    origin: [3, -2],
    direction: [0, 1, 1, 0],
    components: 1,
    pixelType: 'float32',
  };
  const x = Array.from(image.data as Float32Array);

  describe('having a test branch Rescale [12, 16] → Pad [14, 16] → CenterCrop [10, 12]', () => {
    it('should write a prediction on the input grid: the block mean of the upsampled probabilities inside the crop, background outside', async () => {
      const run = await writeRun('chain', [
        { stage: 'Rescale', params: { size: [12, 16] } },
        { stage: 'Pad', params: { size: [14, 16] } },
        { stage: 'CenterCrop', params: { size: [10, 12] } },
      ]);
      const written = await predict(run, image, 'chain-out');
      expect(written.labels.size).toEqual([8, 6]);
      expect(written.labels.spacing.map((s) => Number(s.toFixed(5)))).toEqual([0.6, 1.4]);
      expect(written.labels.origin).toEqual([3, -2]);
      expect(written.labels.direction).toEqual([0, 1, 1, 0]);

      // By hand: upsample rows then columns (separable), predict on the 12×16 grid; the pad adds one row on each side
      // (14 rows), the crop keeps padded rows 2..11 and columns 2..13, i.e. upsampled rows 1..10 and columns 2..13.
      const rows = Array.from({ length: 6 }, (_, r) => upsampleTwice(x.slice(8 * r, 8 * r + 8)));
      const upsampled = Array.from({ length: 12 }, (_, r) => Array.from({ length: 16 }, (_, c) => upsampleTwice(rows.map((row) => row[c]))[r]));
      const seen = (r: number, c: number) => r >= 1 && r <= 10 && c >= 2 && c <= 13;
      const expected: Array<[number, number]> = [];
      for (let r = 0; r < 6; r++) {
        for (let c = 0; c < 8; c++) {
          // Downsampling ×2 with half-pixel centres reads position 2o + ½: the mean of the 2×2 block.
          let p0 = 0;
          let p1 = 0;
          for (const [dr, dc] of [[0, 0], [0, 1], [1, 0], [1, 1]]) {
            const [u, v] = [2 * r + dr, 2 * c + dc];
            if (!seen(u, v)) continue;
            const [a, b] = pointwiseProbabilities(upsampled[u][v]);
            p0 += a / 4;
            p1 += b / 4;
          }
          expected.push([p0 + (1 - p0 - p1), p1]);
        }
      }
      expect(expected.some(([, p1]) => p1 === 0)).toBe(true);
      expect(expected.some(([, p1]) => p1 > 0.5)).toBe(true);
      expectPrediction(written, expected);
    }, 60_000);
  });

  describe('having a test branch that only pads', () => {
    it('should write exactly the unpadded image\'s probabilities', async () => {
      const run = await writeRun('pad', [{ stage: 'Pad', params: { size: [9, 11] } }]);
      const written = await predict(run, image, 'pad-out');
      expect(written.labels.size).toEqual([8, 6]);
      expectPrediction(written, x.map(pointwiseProbabilities));
    }, 60_000);
  });

  describe('having a test branch with a random deformation, which has no inverse', () => {
    it('should fail naming the transform', async () => {
      const run = await writeRun('elastic', [{ stage: 'ElasticDeformation', params: { probability: 1 } }]);
      await expect(predict(run, image, 'elastic-out')).rejects.toThrow(/case.nii.gz: the preprocessing \(step0\): a prediction cannot be mapped back through step0 \(ElasticDeformation\)/);
    }, 60_000);
  });
});
