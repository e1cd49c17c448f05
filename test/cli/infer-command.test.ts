import { execFile } from 'node:child_process';
import { mkdirSync, mkdtempSync, readdirSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { promisify } from 'node:util';
import * as tf from '@tensorflow/tfjs-core';
import '@tensorflow/tfjs-backend-cpu';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { CheckpointStore } from '../../src/checkpoints/checkpoint-store.js';
import { predictWholeImage } from '../../src/inference/predict-whole-image.js';
import type { MedicalImage } from '../../src/io/medical-image.js';
import { readImage, writeImage } from '../../src/io/read-image.js';
import { UNet2D, unet2dParams } from '../../src/networks/unet2d.js';
import { SeededRandom } from '../../src/runtime/seeded-random.js';
import { pseudoRandomValues } from '../inference/inference-test-networks.js';
import { PointwiseNetwork } from '../inference/pointwise-network-stage.js';
import { writeRunConfig as writeConfigFile } from '../inference/write-run-config.js';

const run = promisify(execFile);
const scratch = mkdtempSync(join(tmpdir(), 'micflow-infer-'));
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

/** Independent z-score: (x − mean) / (population std + 1e-5), as PyMIC's NormalizeWithMeanStd. */
function zScore(values: Float32Array): Float32Array {
  const mean = values.reduce((a, b) => a + b, 0) / values.length;
  const std = Math.sqrt(values.reduce((s, v) => s + (v - mean) ** 2, 0) / values.length);
  return values.map((v) => (v - mean) / (std + 1e-5));
}

function writeRunConfig(directory: string, nodes: Record<string, unknown>): void {
  mkdirSync(directory, { recursive: true });
  writeConfigFile(directory, 'test-run', nodes, scratch);
}

beforeAll(async () => {
  await tf.setBackend('cpu');
});

describe('npm run infer', () => {
  describe('having a 2D U-Net run whose test branch normalises, and a CSV of two NIfTI slices', () => {
    const runDirectory = join(scratch, 'unet-run');
    const images: MedicalImage[] = [];
    let unet: UNet2D;
    beforeAll(async () => {
      writeRunConfig(runDirectory, {
        test: { stage: 'CsvDataset', params: { csv: 'list.csv' }, inputs: {} },
        testNormalised: { stage: 'NormalizeWithMeanStd', params: {}, inputs: { samples: 'test' } },
        net: { stage: 'UNet2D', params: { classes: 3, features: [2, 4, 8, 16, 32], dropout: [0, 0, 0, 0, 0] }, inputs: {} },
        evaluate: { stage: 'Evaluate', params: {}, inputs: { net: 'net', samples: 'testNormalised' } },
      });
      unet = new UNet2D({ ...unet2dParams.parse({ inChannels: 1, classes: 3, features: [2, 4, 8, 16, 32], dropout: [0, 0, 0, 0, 0], upMode: 'bilinear' }), name: 'net', random: new SeededRandom(5) });
      await new CheckpointStore(join(runDirectory, 'checkpoints')).save('best', [unet], 12);
      mkdirSync(join(scratch, 'slices'));
      for (const [i, name] of ['a', 'b'].entries()) {
        const image: MedicalImage = {
          data: pseudoRandomValues(20 * 36, 40 + i).map((v) => 100 + 50 * v),
          size: [36, 20],
          spacing: [0.7, 1.3],
          origin: [5, -3],
          direction: [1, 0, 0, 1],
          components: 1,
          pixelType: 'float32',
        };
        images.push(image);
        await writeImage(join(scratch, 'slices', `${name}.nii.gz`), image);
      }
      writeFileSync(join(scratch, 'list.csv'), 'image,label\nslices/a.nii.gz,unused.nii.gz\nslices/b.nii.gz,unused.nii.gz\n');
    });
    afterAll(() => unet?.dispose());

    it('should write label maps with the inputs\' names and geometry, equal to in-process inference on normalised images', async () => {
      const out = join(scratch, 'unet-out');
      const { code, stdout, stderr } = await cli(runDirectory, '--data', join(scratch, 'list.csv'), '--out', out, '--probabilities');
      expect(stderr).toBe('');
      expect(code).toBe(0);
      expect(stdout).toContain('preprocessing: testNormalised');
      expect(stdout).toContain('(iteration 12)');
      expect(readdirSync(out).sort()).toEqual(['a.nii.gz', 'a_probabilities.nii.gz', 'b.nii.gz', 'b_probabilities.nii.gz']);
      for (const [i, name] of ['a', 'b'].entries()) {
        const written = await readImage(join(out, `${name}.nii.gz`));
        expect(written.size).toEqual([36, 20]);
        expect(written.spacing.map((s) => Number(s.toFixed(5)))).toEqual([0.7, 1.3]);
        expect(written.origin).toEqual([5, -3]);
        const expected = predictWholeImage(unet, { data: zScore(images[i].data as Float32Array), shape: [20, 36, 1] }).labels;
        expect([...written.data]).toEqual([...expected]);
        const probabilities = await readImage(join(out, `${name}_probabilities.nii.gz`));
        expect(probabilities.components).toBe(3);
        const sum = (probabilities.data[0] as number) + (probabilities.data[1] as number) + (probabilities.data[2] as number);
        expect(sum).toBeCloseTo(1, 5);
      }
    }, 120_000);
  });

  describe('having an ensemble of two 3D pointwise network runs, sliding windows, flips and three views', () => {
    const runDirectory = join(scratch, 'pointwise-run');
    const secondRun = join(scratch, 'pointwise-run-2');
    let volume: MedicalImage;
    beforeAll(async () => {
      writeRunConfig(runDirectory, {
        test: { stage: 'CsvDataset', params: { csv: 'list.csv' }, inputs: {} },
        net: { stage: 'PointwiseNetwork', params: { classes: 3 }, inputs: {} },
        evaluate: { stage: 'Evaluate', params: {}, inputs: { net: 'net', samples: 'test' } },
      });
      const network = new PointwiseNetwork('net', 1, 3);
      network.trainableVariables[0].assign(tf.tensor2d([[1, -1, 0.3]]));
      network.trainableVariables[1].assign(tf.tensor1d([0, 0, 0.2]));
      await new CheckpointStore(join(runDirectory, 'checkpoints')).save('latest', [network], 3);
      writeRunConfig(secondRun, {
        test: { stage: 'CsvDataset', params: { csv: 'list.csv' }, inputs: {} },
        net: { stage: 'PointwiseNetwork', params: { classes: 3 }, inputs: {} },
        evaluate: { stage: 'Evaluate', params: {}, inputs: { net: 'net', samples: 'test' } },
      });
      network.trainableVariables[0].assign(tf.tensor2d([[0.5, 2, -1]]));
      network.trainableVariables[1].assign(tf.tensor1d([0.1, 0, 0.4]));
      await new CheckpointStore(join(secondRun, 'checkpoints')).save('best', [network], 4);
      network.dispose();
      mkdirSync(join(scratch, 'volumes'));
      volume = {
        data: pseudoRandomValues(14 * 12 * 10, 77),
        size: [14, 12, 10],
        spacing: [0.8, 0.9, 2.5],
        origin: [1, 2, 3],
        direction: [0, 1, 0, 1, 0, 0, 0, 0, 1],
        components: 1,
        pixelType: 'float32',
      };
      await writeImage(join(scratch, 'volumes', 'vol.nii.gz'), volume);
    });

    it('should label every voxel with the argmax of the mean softmax of [x, −x, 0.3x + 0.2] and [0.5x + 0.1, 2x, 0.4 − x], in the input geometry', async () => {
      const out = join(scratch, 'pointwise-out');
      const { code, stderr } = await cli(
        join(runDirectory, 'checkpoints', 'latest.json'),
        secondRun,
        '--data', join(scratch, 'volumes'), '--out', out,
        '--window', '4,6,8', '--batch', '3', '--flip', '0,1,2', '--three-views',
        '--module', 'test/inference/pointwise-network-stage.ts',
      );
      expect(stderr).toBe('');
      expect(code).toBe(0);
      const written = await readImage(join(out, 'vol.nii.gz'));
      expect(written.size).toEqual([14, 12, 10]);
      expect(written.direction).toEqual([0, 1, 0, 1, 0, 0, 0, 0, 1]);
      const softmax = (logits: number[]) => {
        const e = logits.map((l) => Math.exp(l));
        return e.map((v) => v / e.reduce((a, b) => a + b, 0));
      };
      const expected = [...(volume.data as Float32Array)].map((x) => {
        const first = softmax([x, -x, 0.3 * x + 0.2]);
        const second = softmax([0.5 * x + 0.1, 2 * x, 0.4 - x]);
        const mean = first.map((p, k) => (p + second[k]) / 2);
        return mean.indexOf(Math.max(...mean));
      });
      expect([...written.data]).toEqual(expected);
    }, 120_000);
  });

  describe('when the run directory has no checkpoint', () => {
    it('should fail with one message naming the checkpoints folder', async () => {
      const empty = join(scratch, 'no-checkpoint');
      writeRunConfig(empty, { net: { stage: 'UNet2D', params: { classes: 2 }, inputs: {} } });
      const { code, stderr } = await cli(empty, '--data', scratch, '--out', join(scratch, 'x'));
      expect(code).toBe(2);
      expect(stderr.trim()).toBe(`micflow: ${empty}: no best or latest checkpoint in ${join(empty, 'checkpoints')} (available: none)`);
    }, 60_000);
  });

  describe('when a listed image does not exist', () => {
    it('should fail with one message naming the CSV line and the file', async () => {
      writeFileSync(join(scratch, 'bad.csv'), 'image\nslices/a.nii.gz\nslices/missing.nii.gz\n');
      const { code, stderr } = await cli(join(scratch, 'unet-run'), '--data', join(scratch, 'bad.csv'), '--out', join(scratch, 'y'));
      expect(code).toBe(2);
      expect(stderr.trim()).toBe(`micflow: ${join(scratch, 'bad.csv')} line 3: image ${join(scratch, 'slices', 'missing.nii.gz')} does not exist`);
    }, 60_000);
  });
});
