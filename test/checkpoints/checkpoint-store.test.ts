import { mkdirSync, mkdtempSync, readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import * as tf from '@tensorflow/tfjs-core';
import '@tensorflow/tfjs-backend-cpu';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { CheckpointStore, nodeCheckpointFileSystem, type CheckpointFileSystem, type TrainingState } from '../../src/checkpoints/checkpoint-store.js';
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
      const files = readdirSync(join(dir, 'a')).sort();
      expect(files).toHaveLength(2);
      expect(files[1]).toBe('best.json');
      expect(files[0]).toBe(JSON.parse(readFileSync(path!, 'utf8')).values);
      expect(files[0]).toMatch(/^best\.0000012-\d+-[a-z0-9]+\.bin$/);
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
      writeFileSync(join(dir, 'b', JSON.parse(readFileSync(path, 'utf8')).values), new Uint8Array(8));
      await expect(CheckpointStore.load(path, [net])).rejects.toThrow(`${path}: value file is truncated at variable n4/w`);
    });
  });
  describe('having saved the training state with the variables', () => {
    it('should read back every node record: random position, values and float32/int32 tensors', async () => {
      const store = new CheckpointStore(join(dir, 'state'));
      const net = fakeNetwork('n5', [[1, 2, 3, 4], [5, 6, 7]]);
      const state: TrainingState = {
        iteration: 7,
        run: { pipelineHash: 'abc' },
        nodes: {
          optimise: { values: { steps: { 'n5/w': 7 } }, tensors: { 'm/n5/w': { shape: [2, 2], dtype: 'float32', data: new Float32Array([0.5, -1, 2, 1e-8]) } } },
          batch: { random: { seed: 9, state: [1, 2, 3, 4], spareNormal: null }, values: { epoch: 2, position: 5 } },
          queue: { tensors: { history: { shape: [3], dtype: 'int32', data: new Int32Array([7, -3, 2 ** 30]) } } },
        },
      };
      const path = (await store.save('latest', [net], 7, state))!;
      const read = await CheckpointStore.read(path);
      expect(read.iteration).toBe(7);
      expect(read.state).toEqual(state);
      expect(read.state!.nodes.queue.tensors!.history.data).toBeInstanceOf(Int32Array);
      expect(Array.from(read.variables.get('n5/running')!.data)).toEqual([5, 6, 7]);
    });
  });

  describe('when a later write fails halfway', () => {
    /** The node file system, but the n-th durable write stops after half its bytes with the given error. */
    function failingAt(call: number, code: string): CheckpointFileSystem {
      let calls = 0;
      return {
        ...nodeCheckpointFileSystem,
        async writeDurably(path, data) {
          calls += 1;
          if (calls === call) {
            writeFileSync(path, data.subarray(0, Math.floor(data.byteLength / 2)));
            throw Object.assign(new Error(`${code}: simulated`), { code });
          }
          return nodeCheckpointFileSystem.writeDurably(path, data);
        },
      };
    }

    it.each([
      ['the value file (ENOSPC)', 1, 'ENOSPC'],
      ['the manifest (EIO)', 2, 'EIO'],
    ])('should leave the previous checkpoint loadable when %s cannot be written', async (_, call, code) => {
      const folder = join(dir, `fail-${code}`);
      const net = fakeNetwork(`n6${code}`, [[1, 2, 3, 4], [5, 6, 7]]);
      const path = (await new CheckpointStore(folder).save('latest', [net], 1))!;
      const before = readdirSync(folder).sort();
      net.trainableVariables[0].assign(tf.fill([2, 2], 9));
      await expect(new CheckpointStore(folder, failingAt(call, code)).save('latest', [net], 2)).rejects.toThrow(
        new RegExp(`could not write checkpoint "latest" \\(${code}: simulated\\); the previous one is unchanged`),
      );
      expect(readdirSync(folder).sort()).toEqual(before);
      expect(await CheckpointStore.load(path, [net])).toBe(1);
      expect(Array.from(net.trainableVariables[0].dataSync())).toEqual([1, 2, 3, 4]);
    });

    it('should remove the previous value file once a new write succeeds', async () => {
      const folder = join(dir, 'replace');
      const net = fakeNetwork('n7', [[1, 2, 3, 4], [5, 6, 7]]);
      const store = new CheckpointStore(folder);
      await store.save('latest', [net], 1);
      await store.save('latest', [net], 2);
      const files = readdirSync(folder).sort();
      expect(files).toEqual([JSON.parse(readFileSync(join(folder, 'latest.json'), 'utf8')).values, 'latest.json']);
      expect(files[0]).toMatch(/^latest\.0000002-/);
    });
  });

  describe('having a version 1 checkpoint (<tag>.bin beside <tag>.json)', () => {
    it('should load it', async () => {
      const folder = join(dir, 'v1');
      mkdirSync(folder);
      const manifest = { format: 'micflow-checkpoint', version: 1, tag: 'best', iteration: 4, variables: [{ name: 'n8/w', shape: [2, 2], offset: 0, length: 4 }, { name: 'n8/running', shape: [3], offset: 4, length: 3 }] };
      writeFileSync(join(folder, 'best.json'), JSON.stringify(manifest));
      writeFileSync(join(folder, 'best.bin'), new Uint8Array(new Float32Array([1, 2, 3, 4, 5, 6, 7]).buffer));
      const net = fakeNetwork('n8', [[0, 0, 0, 0], [0, 0, 0]]);
      expect(await CheckpointStore.load(join(folder, 'best.json'), [net])).toBe(4);
      expect(Array.from(net.stateVariables[0].dataSync())).toEqual([5, 6, 7]);
    });
  });
});
