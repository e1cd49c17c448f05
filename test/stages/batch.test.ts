import * as tf from '@tensorflow/tfjs-core';
import '@tensorflow/tfjs-backend-cpu';
import { defer, of } from 'rxjs';
import { beforeAll, describe, expect, it } from 'vitest';
import type { Sample, SampleStream } from '../../src/graph/sample.js';
import { instantiateStage } from '../../src/graph/instantiate-stage.js';
import { SeededRandom } from '../../src/runtime/seeded-random.js';
import { Batch, type BatchParams } from '../../src/stages/batching/batch.js';

beforeAll(async () => {
  await tf.setBackend('cpu');
});

/** A stream of `size` 1×2 samples whose pixels hold their index; counts reads. */
function countingStream(size: number, shape: [number, number, number] = [1, 2, 1]) {
  const reads: number[] = [];
  const stream: SampleStream = {
    size,
    origin: 'memory',
    read: (index, random) =>
      defer(() => {
        reads.push(index);
        const n = shape[0] * shape[1];
        const sample: Sample = {
          id: `s${index}`,
          origin: `memory row ${index}`,
          image: { data: new Float32Array(n * shape[2]).fill(index), shape },
          label: { data: new Int32Array(n).fill(index % 3), shape: [shape[0], shape[1]] },
          random,
        };
        return of(sample);
      }),
  };
  return { stream, reads };
}

function batchStage(params: Partial<BatchParams>, seed = 0): Batch {
  return instantiateStage(Batch, { nodeName: 'batch', params, random: new SeededRandom(seed) });
}

async function takeIndices(source: ReturnType<Batch['open']>, batches: number): Promise<number[][]> {
  const out: number[][] = [];
  for (let i = 0; i < batches; i++) {
    const tensors = await source.next();
    const images = tensors.image.dataSync();
    out.push(Array.from({ length: tensors.image.shape[0] }, (_, k) => images[k * 2]));
    tf.dispose(Object.values(tensors));
  }
  return out;
}

describe('Batch', () => {
  describe('having 5 samples and batch size 2 without shuffling', () => {
    it('should cycle through epochs, carrying the remainder into the next epoch', async () => {
      const { stream } = countingStream(5);
      const source = batchStage({ size: 2, shuffle: false, prefetch: 0 }).open({ samples: stream });
      expect(source.epoch()).toBe(0);
      expect(await takeIndices(source, 2)).toEqual([[0, 1], [2, 3]]);
      expect(source.epoch()).toBe(1);
      expect(await takeIndices(source, 2)).toEqual([[4, 0], [1, 2]]);
      expect(source.epoch()).toBe(2);
      source.close();
    });

    it('should stack images [N, H, W, C] and labels [N, H, W] int32', async () => {
      const { stream } = countingStream(5);
      const source = batchStage({ size: 2, shuffle: false }).open({ samples: stream });
      const tensors = await source.next();
      expect(tensors.image.shape).toEqual([2, 1, 2, 1]);
      expect(tensors.label.shape).toEqual([2, 1, 2]);
      expect(tensors.label.dtype).toBe('int32');
      expect(Array.from(tensors.label.dataSync())).toEqual([0, 0, 1, 1]);
      tf.dispose(Object.values(tensors));
      source.close();
    });
  });

  describe('when shuffling with a seed', () => {
    it('should visit every sample once per epoch, in the same order for the same seed', async () => {
      const first = await takeIndices(batchStage({ size: 5, shuffle: true }, 3).open({ samples: countingStream(5).stream }), 2);
      const again = await takeIndices(batchStage({ size: 5, shuffle: true }, 3).open({ samples: countingStream(5).stream }), 2);
      expect(again).toEqual(first);
      for (const epoch of first) expect([...epoch].sort()).toEqual([0, 1, 2, 3, 4]);
      expect(first[0]).not.toEqual(first[1]);
      const other = await takeIndices(batchStage({ size: 5, shuffle: true }, 4).open({ samples: countingStream(5).stream }), 1);
      expect(other[0]).not.toEqual(first[0]);
    });
  });

  describe('when prefetching', () => {
    it('should never read more than prefetch + 1 batches ahead of what was taken', async () => {
      const { stream, reads } = countingStream(100);
      const source = batchStage({ size: 2, shuffle: false, prefetch: 2 }).open({ samples: stream });
      await takeIndices(source, 1);
      await new Promise((r) => setTimeout(r, 20));
      // Taken: 1 batch; queued: at most prefetch + 1 = 3 more → 8 samples read.
      expect(reads.length).toBeLessThanOrEqual(8);
      await takeIndices(source, 3);
      await new Promise((r) => setTimeout(r, 20));
      expect(reads.length).toBeLessThanOrEqual(14);
      source.close();
    });
  });

  describe('when samples differ in size', () => {
    it('should name both samples', async () => {
      const stream: SampleStream = {
        size: 2,
        origin: 'memory',
        read: (index, random) =>
          of({
            id: `s${index}`,
            origin: `row ${index}`,
            image: { data: new Float32Array(index + 1), shape: [1, index + 1, 1] as [number, number, number] },
            random,
          }),
      };
      const source = batchStage({ size: 2, shuffle: false }).open({ samples: stream });
      await expect(source.next()).rejects.toThrow('batch: cannot batch row 1 (1×2×1) with row 0 (1×1×1)');
      source.close();
    });
  });
});

describe('Batch with loss weights', () => {
  describe('having samples with image weights and one with a pixel-weight map', () => {
    it('should output pixelWeight = image weight × pixel weight, 1 where absent', async () => {
      const stream: SampleStream = {
        size: 2,
        origin: 'memory',
        read: (index, random) =>
          of({
            id: `s${index}`,
            origin: `row ${index}`,
            image: { data: new Float32Array(2), shape: [1, 2, 1] },
            label: { data: new Int32Array(2), shape: [1, 2] },
            random,
            imageWeight: index === 0 ? 2 : undefined,
            pixelWeight: index === 1 ? { data: Float32Array.from([0.5, 0]), shape: [1, 2, 1] } : undefined,
          } as Sample),
      };
      const source = batchStage({ size: 2, shuffle: false }).open({ samples: stream });
      const tensors = await source.next();
      expect(tensors.pixelWeight.shape).toEqual([2, 1, 2]);
      expect(Array.from(tensors.pixelWeight.dataSync())).toEqual([2, 2, 0.5, 0]);
      tf.dispose(Object.values(tensors));
      source.close();
    });
  });

  describe('having no weights at all', () => {
    it('should output no pixelWeight', async () => {
      const source = batchStage({ size: 2, shuffle: false }).open({ samples: countingStream(2).stream });
      const tensors = await source.next();
      expect(tensors.pixelWeight).toBeUndefined();
      tf.dispose(Object.values(tensors));
      source.close();
    });
  });
});

describe('Batch state', () => {
  describe('having taken 3 shuffled batches (with more decoded ahead) and saved its state', () => {
    it('when a fresh Batch of the same seed restores it should deliver exactly the batches the first one delivers next, across the epoch boundary', async () => {
      const straight = batchStage({ size: 2, shuffle: true, prefetch: 2 }, 5).open({ samples: countingStream(7).stream });
      const firstThree = await takeIndices(straight, 3);
      const state = await straight.saveState!();
      expect(state.values).toMatchObject({ epoch: 1, position: 6, takenEpoch: 1 });
      const next = await takeIndices(straight, 3); // epoch 1's last sample, then epoch 2
      straight.close();

      const { stream, reads } = countingStream(7);
      const resumed = batchStage({ size: 2, shuffle: true, prefetch: 2 }, 5).open({ samples: stream });
      resumed.restoreState!(state);
      expect(await takeIndices(resumed, 3)).toEqual(next);
      expect(resumed.epoch()).toBe(straight.epoch());
      // It read only what it delivered and the prefetch + 1 batches ahead, none of the batches before the cursor.
      expect(reads.length).toBe(3 * 2 + (2 + 1) * 2);
      resumed.close();
      // Without the state, the same seed starts from the beginning.
      const fresh = batchStage({ size: 2, shuffle: true, prefetch: 2 }, 5).open({ samples: countingStream(7).stream });
      expect(await takeIndices(fresh, 3)).toEqual(firstThree);
      fresh.close();
    });
  });
});
