import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import * as tf from '@tensorflow/tfjs-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { compilePipeline } from '../../src/graph/compile-pipeline.js';
import { runConfigOf } from '../../src/graph/run-config.js';
import type { Sample } from '../../src/graph/sample.js';
import { captureTrainingState, networksOf } from '../../src/graph/training-state.js';
import { networkLogits } from '../../src/inference/network-logits.js';
import { sliceWiseLogits } from '../../src/inference/slice-wise-logits.js';
import { loadTrainedModel } from '../../src/inference/trained-model.js';
import { readCsvTable } from '../../src/io/read-csv-table.js';
import { rowMajorGrid } from '../../src/io/image-geometry.js';
import { readImage } from '../../src/io/read-image.js';
import { toFloat32 } from '../../src/io/medical-image.js';
import { listPipelineNames, loadPipelineModule } from '../../src/run/load-pipeline-module.js';
import { contextOf, preparePipelineRun } from '../../src/run/pipeline-run.js';
import { SeededRandom } from '../../src/runtime/seeded-random.js';
import { TensorRuntime } from '../../src/runtime/tensor-runtime.js';
import { writeAcdcLikeFold } from './acdc-like-data.js';

const pipelinesDirectory = resolve('pipelines');
const scratch = mkdtempSync(join(tmpdir(), 'micflow-infer-every-'));
afterAll(() => rmSync(scratch, { recursive: true, force: true }));
let runtime: TensorRuntime;
/**
 * The data root of the acdc-* pipelines: their default, data/acdc/fold0, is the user's own copy of ACDC (not in the
 * repository), so they read a tiny synthetic fold folder with the same lists, written as the dataset commands write one.
 */
let acdcLikeFold: string;
beforeAll(async () => {
  runtime = await TensorRuntime.create({ backend: process.env.MICFLOW_REQUIRE_NATIVE ? 'native' : 'cpu', seed: 1 });
  acdcLikeFold = await writeAcdcLikeFold(join(scratch, 'acdc-like'));
});

/**
 * A run directory for a pipeline as a run leaves it, without training: its config.json and a `latest` checkpoint of
 * the initial weights and state (what the run writes after any iteration).
 */
async function untrainedRunDirectory(name: string) {
  const loaded = await loadPipelineModule(name, pipelinesDirectory);
  const data = name.startsWith('acdc-') ? acdcLikeFold : undefined;
  const prepared = preparePipelineRun(loaded.definition, { modules: loaded.modules, source: loaded.file, data });
  const directory = join(scratch, name);
  mkdirSync(directory);
  const dataRoot = resolve(prepared.definition.data);
  writeFileSync(join(directory, 'config.json'), JSON.stringify(runConfigOf(prepared.validated, dataRoot, { source: loaded.file })));
  const compiled = await compilePipeline(prepared.validated, runtime.random, contextOf(prepared.validated, dataRoot, directory));
  try {
    await compiled.runContext.checkpoints.save('latest', networksOf(compiled.nodes), 0, await captureTrainingState(compiled.nodes, 0));
  } finally {
    compiled.dispose();
  }
  return { directory, prepared, dataRoot };
}

/** The first case of the test branch's list, read as inference reads it, its centre cropped to `side` per axis. */
async function firstTestCase(dataRoot: string, csv: string, imageColumns: readonly string[], side: number): Promise<Sample> {
  const table = await readCsvTable(join(dataRoot, csv), imageColumns);
  const image = await readImage(join(dataRoot, table.rows[0].values[imageColumns[0]]));
  const spatial = rowMajorGrid(image).shape;
  const values = toFloat32(image);
  const start = spatial.map((s) => Math.max(0, Math.floor((s - side) / 2)));
  const size = spatial.map((s) => Math.min(s, side));
  const cropped = tf.tidy(() => tf.slice(tf.tensor(values, [...spatial, 1]), [...start, 0], [...size, 1]));
  const data = (await cropped.data()) as Float32Array;
  cropped.dispose();
  return { id: 'first', origin: `${csv} row 2`, image: { data, shape: [...size, 1] }, random: new SeededRandom(0) };
}

describe('every bundled pipeline', () => {
  it.each(listPipelineNames(pipelinesDirectory))('should be inferable from its run directory: %s', async (name) => {
    const { directory, prepared, dataRoot } = await untrainedRunDirectory(name);
    const model = await loadTrainedModel(directory, { container: prepared.container, runtime });
    try {
      expect(model.checkpointPath).toBe(join(directory, 'checkpoints', 'latest.json'));
      const evaluation = [...prepared.validated.nodes.values()].find((n) => n.stageClass.evaluates === 'test')!;
      expect(evaluation, 'a test evaluation node').toBeDefined();
      let source = evaluation.inputs.samples[0];
      while (source.kind === 'port' && prepared.validated.nodes.get(source.node)!.inputs.samples) source = prepared.validated.nodes.get(source.node)!.inputs.samples[0];
      const csv = (prepared.validated.nodes.get((source as { node: string }).node)!.params as { csv: string }).csv;
      const is3d = name.endsWith('-3d');
      const sample = await model.preprocess(await firstTestCase(dataRoot, csv, model.imageColumns, is3d ? 32 : 64));
      const { classNames, sliceWise } = evaluation.params as { classNames: readonly string[]; sliceWise?: boolean };
      // A 2D network evaluated on test volumes (acdc-*: test_volumes.csv) predicts them slice by slice, as the stage does.
      const network = sliceWise ? sliceWiseLogits(networkLogits(model.network.network)) : networkLogits(model.network.network);
      const logits = tf.tidy(() => network(tf.tensor(sample.image.data, [1, ...sample.image.shape])));
      try {
        const classes = classNames.length;
        expect(logits.shape).toEqual([1, ...sample.image.shape.slice(0, -1), classes]);
        expect((await tf.all(tf.isFinite(logits)).data())[0]).toBe(1);
      } finally {
        logits.dispose();
      }
    } finally {
      model.dispose();
    }
  });
});
