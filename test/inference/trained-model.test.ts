import { mkdirSync, mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import * as tf from '@tensorflow/tfjs-core';
import '@tensorflow/tfjs-backend-cpu';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { CheckpointStore } from '../../src/checkpoints/checkpoint-store.js';
import { loadTrainedModel } from '../../src/inference/trained-model.js';
import { createMicflowContainer } from '../../src/run/micflow-container.js';
import { TensorRuntime } from '../../src/runtime/tensor-runtime.js';
import pointwiseModule, { PointwiseNetwork } from './pointwise-network-stage.js';
import { writeRunConfig } from './write-run-config.js';

const scratch = mkdtempSync(join(tmpdir(), 'micflow-model-'));
afterAll(() => rmSync(scratch, { recursive: true, force: true }));
let runtime: TensorRuntime;
beforeAll(async () => {
  runtime = await TensorRuntime.create({ backend: 'cpu' });
});
const container = () => createMicflowContainer([pointwiseModule]);

function run(name: string, nodes: Record<string, unknown>): string {
  const directory = join(scratch, name);
  mkdirSync(directory);
  writeRunConfig(directory, 'test', nodes);
  return directory;
}

/** A network node evaluated on a test list: the smallest valid pipeline around it. */
const evaluated = (net: Record<string, unknown>) => ({
  test: { stage: 'CsvDataset', params: { csv: 'x.csv' } },
  net,
  evaluate: { stage: 'Evaluate', params: {}, inputs: { net: 'net', samples: 'test' } },
});

async function saveCheckpoint(directory: string, tag: string, classes: number, node = 'net'): Promise<void> {
  const network = new PointwiseNetwork(node, 1, classes);
  network.trainableVariables[1].assign(tf.range(0, classes, 1, 'float32'));
  await new CheckpointStore(join(directory, 'checkpoints')).save(tag, [network], 9);
  network.dispose();
}

describe('loadTrainedModel', () => {
  describe('having a run with two transforms before its Evaluate node and a "latest" checkpoint', () => {
    it('should load the weights, the iteration, and the transform chain in order', async () => {
      const directory = run('chain', {
        data: { stage: 'CsvDataset', params: { csv: 'x.csv', imageColumns: ['t1', 't2'] } },
        first: { stage: 'NormalizeWithMeanStd', params: {}, inputs: { samples: 'data' } },
        second: { stage: 'NormalizeWithMeanStd', params: {}, inputs: { samples: 'first.samples' } },
        net: { stage: 'PointwiseNetwork', params: { classes: 3 } },
        evaluate: { stage: 'Evaluate', params: {}, inputs: { net: 'net', samples: 'second' } },
      });
      await saveCheckpoint(directory, 'latest', 3);
      const model = await loadTrainedModel(directory, { container: container(), runtime });
      try {
        expect(model.iteration).toBe(9);
        expect(model.preprocessingNodes).toEqual(['first', 'second']);
        expect(model.imageColumns).toEqual(['t1', 't2']);
        expect([...model.network.network.trainableVariables[1].dataSync()]).toEqual([0, 1, 2]);
      } finally {
        model.dispose();
      }
    });
  });

  describe('when the checkpoint does not fit the network in config.json', () => {
    it('should fail naming the checkpoint and the variable', async () => {
      const directory = run('misfit', evaluated({ stage: 'PointwiseNetwork', params: { classes: 3 } }));
      await saveCheckpoint(directory, 'best', 4);
      await expect(loadTrainedModel(directory, { container: container(), runtime })).rejects.toThrow(/best\.json does not fit the network[\s\S]*net\/weights has shape 1x4/);
      // The failed model's variables are released: loading a fitting checkpoint under the same name works.
      await saveCheckpoint(directory, 'other', 3);
      const model = await loadTrainedModel(directory, { container: container(), runtime, checkpointTag: 'other' });
      model.dispose();
    });
  });

  describe('when config.json names a stage that is not registered', () => {
    it('should name the config key and suggest --module', async () => {
      const directory = run('unknown', {
        data: { stage: 'CsvDataset', params: { csv: 'x.csv' } },
        pre: { stage: 'MyTransform', params: {}, inputs: { samples: 'data' } },
        net: { stage: 'PointwiseNetwork', params: { classes: 2 } },
        evaluate: { stage: 'Evaluate', inputs: { net: 'net', samples: 'pre' } },
      });
      await saveCheckpoint(directory, 'best', 2);
      await expect(loadTrainedModel(directory, { container: container(), runtime })).rejects.toThrow(
        /config\.json: the run's pipeline does not validate[\s\S]*nodes\.pre\.stage: unknown stage "MyTransform"[\s\S]*pass the module that defines it with --module/,
      );
    });
  });

  describe('when the params in config.json no longer fit the stage', () => {
    it('should name nodes.<node>.params and the problem', async () => {
      const directory = run('params', evaluated({ stage: 'PointwiseNetwork', params: { classes: 1 } }));
      await saveCheckpoint(directory, 'best', 2);
      await expect(loadTrainedModel(directory, { container: container(), runtime })).rejects.toThrow(/config\.json: the run's pipeline does not validate[\s\S]*nodes\.net\.params\.classes: /);
    });
  });

  describe('when the pipeline has two networks and no evaluation node', () => {
    it('should ask for --net, listing them', async () => {
      const directory = run('two', {
        a: { stage: 'PointwiseNetwork', params: { classes: 2 } },
        b: { stage: 'PointwiseNetwork', params: { classes: 2 } },
        keep: { stage: 'Checkpoint', params: {}, inputs: { nets: ['a', 'b'] } },
      });
      await expect(loadTrainedModel(directory, { container: container(), runtime, checkpointTag: 'x' })).rejects.toThrow(/no checkpoint "x"/);
      await saveCheckpoint(directory, 'best', 2, 'b');
      await expect(loadTrainedModel(directory, { container: container(), runtime })).rejects.toThrow(/cannot tell which network to load; network nodes: a, b \(choose with --net\)/);
      const model = await loadTrainedModel(directory, { container: container(), runtime, networkNode: 'b' });
      expect(model.network.node).toBe('b');
      model.dispose();
    });
  });
});
