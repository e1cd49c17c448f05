import { copyFileSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { firstValueFrom } from 'rxjs';
import { afterAll, describe, expect, it } from 'vitest';
import { instantiateStage } from '../../src/graph/instantiate-stage.js';
import { inMemoryRunContext } from '../../src/graph/run-context.js';
import { SeededRandom } from '../../src/runtime/seeded-random.js';
import { CsvDataset, type CsvDatasetParams } from '../../src/stages/datasets/csv-dataset.js';

const fixture = resolve('fixtures/brain-mr-2d');
const dir = mkdtempSync(join(tmpdir(), 'micflow-dataset-'));
afterAll(() => rmSync(dir, { recursive: true, force: true }));

function dataset(params: Partial<CsvDatasetParams>, dataRoot: string): CsvDataset {
  return instantiateStage(CsvDataset, { nodeName: 'train', params, run: inMemoryRunContext({ dataRoot }) });
}

describe('CsvDataset', () => {
  describe('having the bundled fixture list', () => {
    it('should read each row as an image [H, W, 1] with an int32 label map of the same size', async () => {
      const { samples } = await dataset({ csv: 'train.csv' }, fixture).streams();
      expect(samples.size).toBe(33);
      const sample = await firstValueFrom(samples.read(0, new SeededRandom(1)));
      expect(sample.image.shape).toEqual([96, 112, 1]);
      expect(sample.label!.shape).toEqual([96, 112]);
      expect(sample.label!.data).toBeInstanceOf(Int32Array);
      expect(sample.origin).toBe(`${join(fixture, 'train.csv')} line 2`);
      expect(Math.max(...sample.label!.data)).toBeLessThanOrEqual(4);
    });
  });

  describe('when a listed file does not exist', () => {
    it('should fail before any decoding, naming the list line and the file', async () => {
      writeFileSync(join(dir, 'missing.csv'), 'image,label\nimage/a.png,label/a.png\n');
      await expect(dataset({ csv: 'missing.csv' }, dir).streams()).rejects.toThrow(
        new RegExp(`missing\\.csv: 2 listed files do not exist\\n  - .*missing\\.csv line 2: .*image/a\\.png does not exist`),
      );
    });
  });

  describe('when image and label sizes differ', () => {
    it('should name the row and both sizes when the sample is read', async () => {
      const image = join(fixture, 'image', 'z060.png');
      copyFileSync(image, join(dir, 'image.png'));
      const { writeImage } = await import('../../src/io/read-image.js');
      await writeImage(join(dir, 'small.png'), {
        data: new Uint8Array(4),
        size: [2, 2],
        spacing: [1, 1],
        origin: [0, 0],
        direction: [1, 0, 0, 1],
        components: 1,
        pixelType: 'uint8',
      });
      writeFileSync(join(dir, 'sizes.csv'), 'image,label\nimage.png,small.png\n');
      const { samples } = await dataset({ csv: 'sizes.csv' }, dir).streams();
      await expect(firstValueFrom(samples.read(0, new SeededRandom(0)))).rejects.toThrow(
        /sizes\.csv line 2: label .*small\.png is 2×2, but image .*image\.png is 112×96/,
      );
    });
  });

  describe('when the label column is null', () => {
    it('should read unlabelled samples', async () => {
      const { samples } = await dataset({ csv: 'test.csv', labelColumn: null }, fixture).streams();
      const sample = await firstValueFrom(samples.read(0, new SeededRandom(1)));
      expect(sample.label).toBeUndefined();
    });
  });
});
