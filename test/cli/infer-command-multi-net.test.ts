import { execFile } from 'node:child_process';
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { promisify } from 'node:util';
import * as tf from '@tensorflow/tfjs-core';
import '@tensorflow/tfjs-backend-cpu';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { CheckpointStore } from '../../src/checkpoints/checkpoint-store.js';
import type { MedicalImage } from '../../src/io/medical-image.js';
import { readImage, writeImage } from '../../src/io/read-image.js';
import { MultiNetwork } from '../../src/networks/multi-network.js';
import { pseudoRandomValues } from '../inference/inference-test-networks.js';
import { PointwiseNetwork } from '../inference/pointwise-network-stage.js';
import { writeRunConfig } from '../inference/write-run-config.js';

const run = promisify(execFile);
const scratch = mkdtempSync(join(tmpdir(), 'micflow-infer-multinet-'));
afterAll(() => rmSync(scratch, { recursive: true, force: true }));

async function cli(...args: string[]): Promise<{ code: number; stdout: string; stderr: string }> {
  try {
    const { stdout, stderr } = await run(process.execPath, ['--import', 'tsx', 'src/cli/infer-command.ts', ...args], {
      env: { ...process.env, MICFLOW_DEBUG: '', MICFLOW_BACKEND: 'cpu' },
    });
    return { code: 0, stdout, stderr: withoutTfjsBanner(stderr) };
  } catch (error) {
    const e = error as { code: number; stdout: string; stderr: string };
    return { code: e.code, stdout: e.stdout, stderr: withoutTfjsBanner(e.stderr) };
  }
}

/** tfjs-core's cpu backend prints a framed "install tfjs-node" notice on its first use in Node; it is not ours. */
function withoutTfjsBanner(stderr: string): string {
  return stderr.replace(/\n?={20,}\n[\s\S]*?\n={20,}\n?/g, '');
}

function softmax(logits: number[]): number[] {
  const e = logits.map((l) => Math.exp(l));
  const sum = e.reduce((a, b) => a + b, 0);
  return e.map((v) => v / sum);
}

function argmax(values: number[]): number {
  return values.indexOf(Math.max(...values));
}

/** Member logits of the two pointwise networks, by hand: [x, −x, 0.3x + 0.2] and [0.5x + 0.1, 2x, 0.4 − x]. */
const firstMemberLogits = (x: number) => [x, -x, 0.3 * x + 0.2];
const secondMemberLogits = (x: number) => [0.5 * x + 0.1, 2 * x, 0.4 - x];

/** A run whose network node is a MultiNet over two pointwise networks, trained jointly (one checkpoint holds both). */
async function writeMultiNetRun(directory: string, inference: 'first' | 'average'): Promise<void> {
  mkdirSync(directory, { recursive: true });
  const nodes = {
    test: { stage: 'CsvDataset', params: { csv: 'list.csv' }, inputs: {} },
    memberA: { stage: 'PointwiseNetwork', params: { classes: 3 }, inputs: {} },
    memberB: { stage: 'PointwiseNetwork', params: { classes: 3 }, inputs: {} },
    both: { stage: 'MultiNet', params: { inference }, inputs: { nets: ['memberA', 'memberB'] } },
    evaluate: { stage: 'Evaluate', params: {}, inputs: { net: 'both', samples: 'test' } },
  };
  writeRunConfig(directory, 'multi-net-run', nodes, scratch);
  const a = new PointwiseNetwork('memberA', 1, 3);
  const b = new PointwiseNetwork('memberB', 1, 3);
  try {
    a.trainableVariables[0].assign(tf.tensor2d([[1, -1, 0.3]]));
    a.trainableVariables[1].assign(tf.tensor1d([0, 0, 0.2]));
    b.trainableVariables[0].assign(tf.tensor2d([[0.5, 2, -1]]));
    b.trainableVariables[1].assign(tf.tensor1d([0.1, 0, 0.4]));
    await new CheckpointStore(join(directory, 'checkpoints')).save('best', [new MultiNetwork('both', [a, b], inference)], 7);
  } finally {
    a.dispose();
    b.dispose();
  }
}

beforeAll(async () => {
  await tf.setBackend('cpu');
});

describe('npm run infer on a MultiNet run', () => {
  const averageRun = join(scratch, 'average-run');
  const firstRun = join(scratch, 'first-run');
  let image: MedicalImage;
  let values: number[];
  beforeAll(async () => {
    await writeMultiNetRun(averageRun, 'average');
    await writeMultiNetRun(firstRun, 'first');
    mkdirSync(join(scratch, 'images'));
    // Values in [−3, 3), so that the label maps are not constant.
    image = {
      data: pseudoRandomValues(9 * 7, 21).map((v) => 3 * v),
      size: [9, 7],
      spacing: [0.5, 2],
      origin: [-4, 6],
      direction: [1, 0, 0, 1],
      components: 1,
      pixelType: 'float32',
    };
    values = [...(image.data as Float32Array)];
    await writeImage(join(scratch, 'images', 'case.nii.gz'), image);
  });

  describe('when the MultiNet infers from the average of its members', () => {
    it('should label every pixel with the argmax of the softmax of the members\' mean logits, and write those probabilities', async () => {
      const out = join(scratch, 'average-out');
      const { code, stdout, stderr } = await cli(averageRun, '--data', join(scratch, 'images'), '--out', out, '--probabilities', '--module', 'test/inference/pointwise-network-stage.ts');
      expect(stderr).toBe('');
      expect(code).toBe(0);
      expect(stdout).toContain('model MultiNet "both"');
      expect(stdout).toContain('(iteration 7)');
      const expectedProbabilities = values.map((x) => softmax(firstMemberLogits(x).map((l, k) => (l + secondMemberLogits(x)[k]) / 2)));
      const written = await readImage(join(out, 'case.nii.gz'));
      expect(written.size).toEqual([9, 7]);
      expect([...written.data]).toEqual(expectedProbabilities.map(argmax));
      expect(new Set(Array.from(written.data as ArrayLike<number>)).size).toBeGreaterThan(1);
      const probabilities = await readImage(join(out, 'case_probabilities.nii.gz'));
      const flat = expectedProbabilities.flat();
      for (let i = 0; i < flat.length; i++) expect(probabilities.data[i] as number).toBeCloseTo(flat[i], 5);
    }, 120_000);
  });

  describe('when the MultiNet infers from its first member', () => {
    it('should label every pixel with the argmax of the first member\'s logits', async () => {
      const out = join(scratch, 'first-out');
      const { code, stderr } = await cli(firstRun, '--data', join(scratch, 'images'), '--out', out, '--module', 'test/inference/pointwise-network-stage.ts');
      expect(stderr).toBe('');
      expect(code).toBe(0);
      const written = await readImage(join(out, 'case.nii.gz'));
      expect([...written.data]).toEqual(values.map((x) => argmax(firstMemberLogits(x))));
      // The two modes disagree somewhere, so this test tells them apart.
      const averaged = values.map((x) => argmax(firstMemberLogits(x).map((l, k) => l + secondMemberLogits(x)[k])));
      expect([...written.data]).not.toEqual(averaged);
    }, 120_000);
  });

  describe('when both MultiNet runs are given as an ensemble (same node names, loaded side by side)', () => {
    it('should average the two runs\' probabilities: the averaged-members run and the first-member run', async () => {
      const out = join(scratch, 'ensemble-out');
      const { code, stderr } = await cli(averageRun, firstRun, '--data', join(scratch, 'images'), '--out', out, '--module', 'test/inference/pointwise-network-stage.ts');
      expect(stderr).toBe('');
      expect(code).toBe(0);
      const written = await readImage(join(out, 'case.nii.gz'));
      const expected = values.map((x) => {
        const average = softmax(firstMemberLogits(x).map((l, k) => (l + secondMemberLogits(x)[k]) / 2));
        const first = softmax(firstMemberLogits(x));
        return argmax(average.map((p, k) => (p + first[k]) / 2));
      });
      expect([...written.data]).toEqual(expected);
    }, 120_000);
  });
});
