import * as tf from '@tensorflow/tfjs-core';
import { from, lastValueFrom, mergeMap, map, toArray } from 'rxjs';
import { z } from 'zod';
import { MicflowError } from '../../errors/micflow-error.js';
import type { PortSpecs } from '../../graph/port-spec.js';
import type { Sample, ExtendedSample } from '../../graph/sample.js';
import { FeederStage, type BatchSource, type InputsOf } from '../../graph/stage.js';

const params = z
  .object({
    size: z.number().int().positive().default(4).describe('Samples per batch (PyMIC `train_batch_size`)'),
    shuffle: z.boolean().default(true).describe('Reshuffle the sample order every epoch (seeded); false: list order'),
    prefetch: z
      .number()
      .int()
      .min(0)
      .max(64)
      .default(2)
      .describe('Batches (0..64) decoded ahead of the one being trained on; never more are held in memory'),
    concurrency: z.number().int().positive().default(4).describe('Samples read (decoded and transformed) at once while assembling a batch'),
  })
  .strict();
export type BatchParams = z.infer<typeof params>;

const batchInputs = { samples: { type: 'samples', description: 'samples to batch' } } as const satisfies PortSpecs;
const batchOutputs = {
  image: { type: 'tensor', description: 'images [N, H, W, C] (or [N, D, H, W, C]) float32' },
  label: { type: 'tensor', description: 'labels [N, H, W] (or [N, D, H, W]) int32 (error if a sample has none)' },
  pixelWeight: {
    type: 'tensor',
    description: "loss weight per pixel [N, ...spatial]: image weight × pixel weight (PyMIC's image_weight and pixel_weight columns; 1 where absent); present when any sample has one",
  },
} as const satisfies PortSpecs;

/** A batch as plain arrays, before it becomes tensors at the moment a tick takes it. */
interface CollatedBatch {
  readonly images: Float32Array;
  /** [N, ...spatial, C] */
  readonly imageShape: number[];
  readonly labels?: Int32Array;
  /** [N, ...spatial] */
  readonly labelShape: number[];
  /** Per-pixel loss weights [N, ...spatial], when any sample carries an image or pixel weight. */
  readonly pixelWeights?: Float32Array;
  readonly ids: string[];
  /** Where each sample came from ("train.csv row 4: image.nii.gz"), for messages. */
  readonly origins: string[];
  /** Epoch of the batch's last sample. */
  readonly epoch: number;
}

/**
 * Turns a sample stream into batches pulled one per training tick. The stream cycles through epochs on its own
 * (each epoch a new seeded permutation), so a small labelled list and a large unlabelled one can be batched side by
 * side. At most `prefetch` batches are decoded ahead, as plain arrays; tensors are created only when a tick takes a
 * batch, so nothing is held by tfjs between ticks.
 */
export class Batch extends FeederStage<BatchParams, typeof batchInputs> {
  static readonly className = 'Batch';
  static readonly description = 'Batches samples for training ticks: epoch cycling, seeded shuffling, bounded prefetch';
  static readonly paramsSchema = params;
  static readonly inputs = batchInputs;
  static readonly outputs = batchOutputs;

  /** How many batches have been requested from the stream but not yet taken (for tests of the prefetch bound). */
  pending = 0;

  override open(inputs: InputsOf<typeof batchInputs>): BatchSource {
    const stream = inputs.samples;
    const { size, shuffle, prefetch, concurrency } = this.params;
    const random = this.context.random;
    let epoch = 0;
    let order: number[] = [];
    let position = 0;
    const orderOf = (e: number) => {
      const indices = Array.from({ length: stream.size }, (_, i) => i);
      return shuffle ? random.derive('epoch', e).shuffle(indices) : indices;
    };
    const nextPositions = (): Array<{ epoch: number; index: number }> => {
      const picked: Array<{ epoch: number; index: number }> = [];
      while (picked.length < size) {
        if (position >= order.length) {
          epoch += 1;
          order = orderOf(epoch);
          position = 0;
        }
        picked.push({ epoch, index: order[position++] });
      }
      return picked;
    };
    const load = (positions: Array<{ epoch: number; index: number }>): Promise<CollatedBatch> => {
      this.pending += 1;
      return lastValueFrom(
        from(positions.map((p, slot) => ({ ...p, slot }))).pipe(
          mergeMap(
            (p) => stream.read(p.index, random.derive('sample', p.epoch, p.index)).pipe(map((sample) => ({ slot: p.slot, sample }))),
            concurrency,
          ),
          toArray(),
          map((items) => ({
            ...collate(items.sort((a, b) => a.slot - b.slot).map((i) => i.sample), this.nodeName),
            epoch: positions[positions.length - 1].epoch,
          })),
        ),
      ).finally(() => {
        this.pending -= 1;
      });
    };
    /** A batch on its way, with the cursor as it will be once the batch is taken. */
    const queue: Array<{ batch: Promise<CollatedBatch>; cursorAfter: { epoch: number; position: number } }> = [];
    let closed = false;
    let takenEpoch = 0;
    /** The cursor after the last batch taken: what a resumed run continues from (prefetched batches are read again). */
    let taken = { epoch: 0, position: 0 };
    let lastOrigins: readonly string[] = [];
    const fill = () => {
      while (!closed && queue.length < prefetch + 1) {
        const promise = load(nextPositions());
        promise.catch(() => undefined); // surfaced when taken
        queue.push({ batch: promise, cursorAfter: { epoch, position } });
      }
    };
    return {
      next: async () => {
        fill();
        const next = queue.shift()!;
        const batch = await next.batch;
        takenEpoch = batch.epoch;
        taken = next.cursorAfter;
        lastOrigins = batch.origins;
        fill();
        return tf.tidy(() => {
          const tensors: Record<string, tf.Tensor> = { image: tf.tensor(batch.images, batch.imageShape, 'float32') };
          if (batch.labels) tensors.label = tf.tensor(batch.labels, batch.labelShape, 'int32');
          if (batch.pixelWeights) tensors.pixelWeight = tf.tensor(batch.pixelWeights, batch.labelShape, 'float32');
          return tensors;
        });
      },
      epoch: () => takenEpoch,
      lastSources: () => lastOrigins,
      saveState: () => ({ values: { ...taken, takenEpoch } }),
      restoreState: (state) => {
        const values = state.values as { epoch: number; position: number; takenEpoch: number };
        queue.length = 0;
        epoch = values.epoch;
        position = values.position;
        order = epoch > 0 ? orderOf(epoch) : [];
        takenEpoch = values.takenEpoch;
        taken = { epoch, position };
      },
      close: () => {
        closed = true;
        queue.length = 0;
      },
    };
  }
}

function collate(samples: Sample[], node: string): Omit<CollatedBatch, 'epoch'> {
  const first = samples[0];
  const imageSize = first.image.data.length;
  const spatial = first.image.shape.slice(0, -1);
  const labelSize = spatial.reduce((a, b) => a * b, 1);
  const images = new Float32Array(samples.length * imageSize);
  const labelled = samples.every((s) => s.label);
  const labels = labelled ? new Int32Array(samples.length * labelSize) : undefined;
  const weighted = samples.some((s) => (s as ExtendedSample).pixelWeight || (s as ExtendedSample).imageWeight !== undefined);
  const pixelWeights = weighted ? new Float32Array(samples.length * labelSize).fill(1) : undefined;
  samples.forEach((s, i) => {
    if (pixelWeights) {
      const { pixelWeight, imageWeight = 1 } = s as ExtendedSample;
      for (let p = 0; p < labelSize; p++) pixelWeights[i * labelSize + p] = imageWeight * (pixelWeight ? pixelWeight.data[p] : 1);
    }
    if (s.image.shape.join('x') !== first.image.shape.join('x')) {
      throw new MicflowError(
        'invalid-shape',
        `${node}: cannot batch ${s.origin} (${s.image.shape.join('×')}) with ${first.origin} (${first.image.shape.join('×')}); crop or resize them to one size`,
      );
    }
    images.set(s.image.data, i * imageSize);
    if (labels) labels.set(s.label!.data, i * labelSize);
  });
  return {
    images,
    imageShape: [samples.length, ...first.image.shape],
    labels,
    labelShape: [samples.length, ...spatial],
    pixelWeights,
    ids: samples.map((s) => s.id),
    origins: samples.map((s) => `${s.origin} (${s.id})`),
  };
}
