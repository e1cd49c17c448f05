import { mkdtempSync, readdirSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import * as tf from '@tensorflow/tfjs-core';
import '@tensorflow/tfjs-backend-cpu';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { CheckpointStore } from '../../src/checkpoints/checkpoint-store.js';
import type { SegmentationNetwork } from '../../src/networks/segmentation-network.js';

const dir = mkdtempSync(join(tmpdir(), 'micflow-ckpt-'));
beforeAll(async () => {
  await tf.setBackend('cpu');
});
afterAll(() => rmSync(dir, { recursive: true, force: true }));

function fakeNetwork(prefix: string, values: number[][]): SegmentationNetwork {
  const trainable = [tf.variable(tf.tensor(values[0], [2, 2]), true, `${prefix}/w`)];
  const state = [tf.variable(tf.tensor(values[1], [3]), false, `${prefix}/running`)];
  return { trainableVariables: trainable, stateVariables: state } as unknown as SegmentationNetwork;
}

describe('CheckpointStore', () => {
  describe('having saved a snapshot', () => {
    it('should restore trainable and state variables in memory and from disk', async () => {
      const store = new CheckpointStore(join(dir, 'a'));
      const net = fakeNetwork('n1', [[1, 2, 3, 4], [5, 6, 7]]);
      const path = await store.save('best', [net], 12);
      expect(path).toBe(join(dir, 'a', 'best.json'));
      expect(readdirSync(join(dir, 'a')).sort()).toEqual(['best.bin', 'best.json']);
      net.trainableVariables[0].assign(tf.zeros([2, 2]));
      net.stateVariables[0].assign(tf.zeros([3]));
      expect(store.restore('best', [net])).toBe(12);
      expect(Array.from(net.trainableVariables[0].dataSync())).toEqual([1, 2, 3, 4]);
      expect(Array.from(net.stateVariables[0].dataSync())).toEqual([5, 6, 7]);

      net.trainableVariables[0].assign(tf.zeros([2, 2]));
      expect(await CheckpointStore.load(path!, [net])).toBe(12);
      expect(Array.from(net.trainableVariables[0].dataSync())).toEqual([1, 2, 3, 4]);
    });
  });

  describe('when the checkpoint does not fit the network', () => {
    it('should name the missing and mis-shaped variables', async () => {
      const store = new CheckpointStore(undefined);
      await store.save('best', [fakeNetwork('n2', [[1, 2, 3, 4], [5, 6, 7]])], 1);
      expect(() => store.restore('latest', [])).toThrow('no checkpoint "latest" was saved in this run');
      const different = fakeNetwork('n3', [[1, 2, 3, 4], [5, 6, 7]]);
      expect(() => store.restore('best', [different])).toThrow(/checkpoint "best" does not fit the network\n {2}- variable n3\/w is missing/);
    });
  });

  describe('when the value file is truncated', () => {
    it('should say so, naming the file and variable', async () => {
      const store = new CheckpointStore(join(dir, 'b'));
      const net = fakeNetwork('n4', [[1, 2, 3, 4], [5, 6, 7]]);
      const path = (await store.save('latest', [net], 3))!;
      writeFileSync(path.replace('.json', '.bin'), new Uint8Array(8));
      await expect(CheckpointStore.load(path, [net])).rejects.toThrow(`${path}: value file is truncated at variable n4/w`);
    });
  });
});
