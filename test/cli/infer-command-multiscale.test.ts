import { execFile } from 'node:child_process';
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { promisify } from 'node:util';
import * as tf from '@tensorflow/tfjs-core';
import '@tensorflow/tfjs-backend-cpu';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { CheckpointStore } from '../../src/checkpoints/checkpoint-store.js';
import { multiscaleAverageLogits } from '../../src/inference/multiscale-average-logits.js';
import { networkLogits } from '../../src/inference/network-logits.js';
import { predictWholeImageProbabilities } from '../../src/inference/whole-image-inference.js';
import type { MedicalImage } from '../../src/io/medical-image.js';
import { readImage, writeImage } from '../../src/io/read-image.js';
import { UNet2D, unet2dParams } from '../../src/networks/unet2d.js';
import { SeededRandom } from '../../src/runtime/seeded-random.js';
import { pseudoRandomValues } from '../inference/inference-test-networks.js';
import { writeRunConfig } from '../inference/write-run-config.js';

const run = promisify(execFile);
const scratch = mkdtempSync(join(tmpdir(), 'micflow-infer-multiscale-'));
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

beforeAll(async () => {
  await tf.setBackend('cpu');
});

describe('npm run infer --multiscale', () => {
  describe('having a deeply supervised 2D U-Net run and one 32×16 slice', () => {
    const runDirectory = join(scratch, 'deep-run');
    let unet: UNet2D;
    let image: MedicalImage;
    beforeAll(async () => {
      mkdirSync(runDirectory);
      const nodes = {
        test: { stage: 'CsvDataset', params: { csv: 'list.csv' }, inputs: {} },
        net: { stage: 'UNet2D', params: { classes: 3, features: [2, 4, 4, 8], dropout: [0, 0, 0, 0], deepSupervision: true }, inputs: {} },
        evaluate: { stage: 'Evaluate', params: {}, inputs: { net: 'net', samples: 'test' } },
      };
      writeRunConfig(runDirectory, 'deep', nodes, scratch);
      unet = new UNet2D({ ...unet2dParams.parse({ inChannels: 1, classes: 3, features: [2, 4, 4, 8], dropout: [0, 0, 0, 0], deepSupervision: true }), name: 'net', random: new SeededRandom(11) });
      await new CheckpointStore(join(runDirectory, 'checkpoints')).save('best', [unet], 5);
      mkdirSync(join(scratch, 'images'));
      image = { data: pseudoRandomValues(32 * 16, 6), size: [16, 32], spacing: [1, 1], origin: [0, 0], direction: [1, 0, 0, 1], components: 1, pixelType: 'float32' };
      await writeImage(join(scratch, 'images', 'slice.nii.gz'), image);
    });
    afterAll(() => unet?.dispose());

    it('should write the probabilities averaged over the four outputs, which differ from the full-resolution output\'s', async () => {
      const out = join(scratch, 'out');
      const { code, stderr } = await cli(runDirectory, '--data', join(scratch, 'images'), '--out', out, '--multiscale', '--probabilities');
      expect(stderr).toBe('');
      expect(code).toBe(0);
      const input = { data: image.data as Float32Array, shape: [32, 16, 1] };
      const expected = predictWholeImageProbabilities(multiscaleAverageLogits(unet), input, 16).data;
      const plain = predictWholeImageProbabilities(networkLogits(unet), input, 16).data;
      const written = Array.from((await readImage(join(out, 'slice_probabilities.nii.gz'))).data as ArrayLike<number>);
      expect(Math.max(...written.map((p, i) => Math.abs(p - expected[i])))).toBeLessThan(1e-5);
      expect(Math.max(...written.map((p, i) => Math.abs(p - plain[i])))).toBeGreaterThan(1e-3);
    }, 120_000);
  });
});
