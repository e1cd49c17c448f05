import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { firstValueFrom } from 'rxjs';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { instantiateStage } from '../../../src/graph/instantiate-stage.js';
import { inMemoryRunContext } from '../../../src/graph/run-context.js';
import { writeImage } from '../../../src/io/read-image.js';
import { SeededRandom } from '../../../src/runtime/seeded-random.js';
import { CsvDataset } from '../../../src/stages/datasets/csv-dataset.js';
import { decodeCase } from '../../../src/stages/datasets/decode-case.js';
import { DecodeWorkerPool } from '../../../src/stages/datasets/decode-worker-pool.js';

const dir = mkdtempSync(join(tmpdir(), 'micflow-workers-'));
afterAll(() => rmSync(dir, { recursive: true, force: true }));

beforeAll(async () => {
  const geometry = { spacing: [1, 2], origin: [0, 0], direction: [1, 0, 0, 1], components: 1 };
  await writeImage(join(dir, 'a.png'), { ...geometry, data: Uint8Array.from({ length: 20 }, (_, i) => i * 3), size: [5, 4], pixelType: 'uint8' });
  await writeImage(join(dir, 'a-label.png'), { ...geometry, data: Uint8Array.from({ length: 20 }, (_, i) => i % 3), size: [5, 4], pixelType: 'uint8' });
  writeFileSync(join(dir, 'list.csv'), 'image,label\na.png,a-label.png\n');
});

const row = () => ({ origin: 'list.csv line 2', id: 'a', images: [join(dir, 'a.png')], label: join(dir, 'a-label.png') });

describe('DecodeWorkerPool', () => {
  describe('having two workers', () => {
    it('should decode rows in worker threads to the same arrays as the main thread', async () => {
      const pool = new DecodeWorkerPool(2);
      try {
        const expectations = { classes: 3, extraLabelValues: [] };
        const [inWorker, again] = await Promise.all([pool.decode(row(), expectations), pool.decode(row(), expectations)]);
        const onMain = await decodeCase(row(), expectations);
        expect(Array.from(inWorker.image.data)).toEqual(Array.from(onMain.image.data));
        expect(inWorker.image.data).toBeInstanceOf(Float32Array);
        expect(Array.from(inWorker.label!.data)).toEqual(Array.from(onMain.label!.data));
        expect(inWorker.spacing).toEqual([2, 1]);
        expect(again.image.shape).toEqual([4, 5, 1]);
      } finally {
        await pool.close();
      }
    });
    it('should carry a decode error back as a MicflowError naming the row', async () => {
      const pool = new DecodeWorkerPool(1);
      try {
        await expect(pool.decode(row(), { classes: 2, extraLabelValues: [] })).rejects.toMatchObject({ kind: 'invalid-data', message: expect.stringContaining('list.csv line 2: label') });
      } finally {
        await pool.close();
      }
    });
  });
});

describe('CsvDataset with decodeWorkers', () => {
  it('should give the same sample as decoding on the main thread', async () => {
    const make = (decodeWorkers: number) =>
      instantiateStage(CsvDataset, { nodeName: 'train', params: { csv: 'list.csv', decodeWorkers }, run: inMemoryRunContext({ dataRoot: dir }) });
    const threaded = make(1);
    try {
      const a = await firstValueFrom((await threaded.streams()).samples.read(0, new SeededRandom(1)));
      const b = await firstValueFrom((await make(0).streams()).samples.read(0, new SeededRandom(1)));
      expect(Array.from(a.image.data)).toEqual(Array.from(b.image.data));
      expect(Array.from(a.label!.data)).toEqual(Array.from(b.label!.data));
    } finally {
      threaded.dispose();
    }
  });
});
