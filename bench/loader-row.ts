/**
 * The data-loader rows of `npm run bench`: samples per second through CsvDataset -> NormalizeWithMeanStd ->
 * RandomFlip -> RandomCrop -> Batch on the bundled fixtures, the stages a training pipeline reads its batches with
 * (pipelines/supervised.ts, supervised-3d.ts). Runs inside a bench child process; the backend only matters for the
 * batch tensors Batch creates when a batch is taken. PyTorch has no counterpart here (no reference).
 */
import { resolve } from 'node:path';

export type LoaderRowId = 'loader2d' | 'loader3d';

export interface LoaderRowSpec {
  id: LoaderRowId;
  /** Fixture folder and list, relative to the repository root. */
  dataRoot: string;
  csv: string;
  crop: number[];
  /** RandomCrop's foregroundRatio (supervised-3d uses 0.8). */
  foregroundRatio: number;
  batch: number;
}

export const LOADER_ROWS: Record<LoaderRowId, LoaderRowSpec> = {
  loader2d: { id: 'loader2d', dataRoot: 'fixtures/brain-mr-2d', csv: 'train.csv', crop: [80, 80], foregroundRatio: 0, batch: 4 },
  loader3d: { id: 'loader3d', dataRoot: 'fixtures/brain-mr-3d', csv: 'train.csv', crop: [32, 32, 32], foregroundRatio: 0.8, batch: 2 },
};

/** 'data loader brain-mr-2d train.csv (33 cases): crop 80x80, batch 4' */
export function loaderRowLabel(spec: LoaderRowSpec, cases?: number): string {
  const fixture = spec.dataRoot.split('/').pop();
  return `data loader ${fixture} ${spec.csv}${cases === undefined ? '' : ` (${cases} cases)`}: normalise, flip, crop ${spec.crop.join('x')}, batch ${spec.batch}`;
}

export interface LoaderThroughput {
  cases: number;
  /** Batches of the first epoch: every case decoded once (PNG / NIfTI) and transformed. */
  firstEpochBatches: number;
  firstEpochSamplesPerSecond: number;
  /** Batches after the first epoch, from the decoded-case cache: transforms, collation and batch tensors only. */
  cachedBatches: number;
  cachedSamplesPerSecond: number;
  liveTensorsBefore: number;
  liveTensorsAfter: number;
}

/** Takes (and disposes) one epoch of batches, then `cachedBatches` more, timing each phase. */
export async function measureLoaderRow(spec: LoaderRowSpec, backend: string, cachedBatches: number, repositoryRoot: string): Promise<LoaderThroughput> {
  const tf = await import('@tensorflow/tfjs-core');
  const { TensorRuntime } = await import('../src/runtime/tensor-runtime.js');
  const { SeededRandom } = await import('../src/runtime/seeded-random.js');
  const { CsvDataset } = await import('../src/stages/datasets/csv-dataset.js');
  const { NormalizeWithMeanStd } = await import('../src/stages/transforms/normalize-with-mean-std.js');
  const { RandomFlip } = await import('../src/stages/transforms/random-flip.js');
  const { RandomCrop } = await import('../src/stages/transforms/random-crop.js');
  const { Batch } = await import('../src/stages/batching/batch.js');
  const { instantiateStage } = await import('../src/graph/instantiate-stage.js');
  const { inMemoryRunContext } = await import('../src/graph/run-context.js');
  await TensorRuntime.create({ backend });
  const run = inMemoryRunContext({ dataRoot: resolve(repositoryRoot, spec.dataRoot) });
  const dataset = instantiateStage(CsvDataset, { nodeName: 'train', params: { csv: spec.csv }, random: new SeededRandom(1), run });
  const normalise = instantiateStage(NormalizeWithMeanStd, { nodeName: 'normalise', params: {}, random: new SeededRandom(2), run });
  const flip = instantiateStage(RandomFlip, { nodeName: 'flip', params: { horizontal: 0.5 }, random: new SeededRandom(3), run });
  const crop = instantiateStage(RandomCrop, { nodeName: 'crop', params: { size: spec.crop, foregroundRatio: spec.foregroundRatio }, random: new SeededRandom(4), run });
  const batch = instantiateStage(Batch, { nodeName: 'batch', params: { size: spec.batch }, random: new SeededRandom(5), run });
  const { samples } = await dataset.streams();
  const normalised = (await normalise.streams({ samples })).samples;
  const flipped = (await flip.streams({ samples: normalised })).samples;
  const cropped = (await crop.streams({ samples: flipped })).samples;
  const source = batch.open({ samples: cropped });
  const take = async (count: number) => {
    const start = performance.now();
    for (let i = 0; i < count; i++) tf.dispose(Object.values(await source.next()));
    return performance.now() - start;
  };
  const liveTensorsBefore = tf.memory().numTensors;
  const firstEpochBatches = Math.ceil(samples.size / spec.batch);
  const firstMs = await take(firstEpochBatches);
  const cachedMs = await take(cachedBatches);
  source.close();
  dataset.dispose();
  return {
    cases: samples.size,
    firstEpochBatches,
    firstEpochSamplesPerSecond: (firstEpochBatches * spec.batch * 1000) / firstMs,
    cachedBatches,
    cachedSamplesPerSecond: (cachedBatches * spec.batch * 1000) / cachedMs,
    liveTensorsBefore,
    liveTensorsAfter: tf.memory().numTensors,
  };
}
