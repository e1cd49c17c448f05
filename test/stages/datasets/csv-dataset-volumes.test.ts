import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { firstValueFrom } from 'rxjs';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { instantiateStage } from '../../../src/graph/instantiate-stage.js';
import { inMemoryRunContext } from '../../../src/graph/run-context.js';
import type { MedicalImage } from '../../../src/io/medical-image.js';
import { writeImage } from '../../../src/io/read-image.js';
import { SeededRandom } from '../../../src/runtime/seeded-random.js';
import { CsvDataset, type CsvDatasetParams } from '../../../src/stages/datasets/csv-dataset.js';
import type { ExtendedSample } from '../../../src/graph/sample.js';

const dir = mkdtempSync(join(tmpdir(), 'micflow-volumes-'));
afterAll(() => rmSync(dir, { recursive: true, force: true }));

function dataset(params: Partial<CsvDatasetParams>): CsvDataset {
  return instantiateStage(CsvDataset, { nodeName: 'train', params, run: inMemoryRunContext({ dataRoot: dir }) });
}

/** A 4 (x) × 3 (y) × 2 (z) volume with value = f(index) and spacing 0.5 × 1 × 2.5. */
function volume(f: (i: number) => number, pixelType: 'float32' | 'uint8' = 'float32'): MedicalImage {
  const data = pixelType === 'float32' ? Float32Array.from({ length: 24 }, (_, i) => f(i)) : Uint8Array.from({ length: 24 }, (_, i) => f(i));
  return { data, size: [4, 3, 2], spacing: [0.5, 1, 2.5], origin: [1, 2, 3], direction: [1, 0, 0, 0, 1, 0, 0, 0, 1], components: 1, pixelType };
}

beforeAll(async () => {
  await writeImage(join(dir, 't1.nii.gz'), volume((i) => i));
  await writeImage(join(dir, 't2.nii.gz'), volume((i) => 100 + i));
  await writeImage(join(dir, 'label.nii.gz'), volume((i) => i % 3, 'uint8'));
  await writeImage(join(dir, 'weight.nii.gz'), volume((i) => i / 10));
  writeFileSync(join(dir, 'list.csv'), 'image,image_t2,label,weight,pixel_weight\nt1.nii.gz,t2.nii.gz,label.nii.gz,0.5,weight.nii.gz\n');
});

describe('CsvDataset with 3D volumes', () => {
  describe('having two modalities, a label, an image weight and a pixel weight', () => {
    it('should give a [D, H, W, 2] image with the modalities interleaved, a [D, H, W] label, both weights and the spacing slowest-first', async () => {
      const { samples } = await dataset({ csv: 'list.csv', imageColumns: ['image', 'image_t2'], weightColumn: 'weight', pixelWeightColumn: 'pixel_weight', classes: 3 }).streams();
      const sample = (await firstValueFrom(samples.read(0, new SeededRandom(1)))) as ExtendedSample;
      expect(sample.image.shape).toEqual([2, 3, 4, 2]);
      expect(Array.from(sample.image.data.slice(0, 6))).toEqual([0, 100, 1, 101, 2, 102]);
      expect(sample.label!.shape).toEqual([2, 3, 4]);
      expect(Array.from(sample.label!.data.slice(0, 4))).toEqual([0, 1, 2, 0]);
      expect(sample.spacing).toEqual([2.5, 1, 0.5]);
      expect(sample.imageWeight).toBe(0.5);
      expect(sample.pixelWeight!.shape).toEqual([2, 3, 4, 1]);
      expect(sample.pixelWeight!.data[23]).toBeCloseTo(2.3, 6);
    });
  });

  describe('when the label holds a value outside the declared classes', () => {
    it('should name the row, the file and the value when the sample is read', async () => {
      const { samples } = await dataset({ csv: 'list.csv', classes: 2 }).streams();
      await expect(firstValueFrom(samples.read(0, new SeededRandom(1)))).rejects.toThrow(/list\.csv line 2: label .*label\.nii\.gz holds 2, outside the 2 declared classes \(0\.\.1\)/);
    });
    it('should accept it when listed as an extra label value (e.g. unannotated)', async () => {
      const { samples } = await dataset({ csv: 'list.csv', classes: 2, extraLabelValues: [2] }).streams();
      expect((await firstValueFrom(samples.read(0, new SeededRandom(1)))).label!.shape).toEqual([2, 3, 4]);
    });
  });

  describe('having the cache on', () => {
    it('should hand out the same decoded arrays on a second read', async () => {
      const { samples } = await dataset({ csv: 'list.csv' }).streams();
      const a = await firstValueFrom(samples.read(0, new SeededRandom(1)));
      const b = await firstValueFrom(samples.read(0, new SeededRandom(2)));
      expect(b.image.data).toBe(a.image.data);
      const { samples: uncached } = await dataset({ csv: 'list.csv', cache: false }).streams();
      const c = await firstValueFrom(uncached.read(0, new SeededRandom(1)));
      const d = await firstValueFrom(uncached.read(0, new SeededRandom(1)));
      expect(d.image.data).not.toBe(c.image.data);
    });
  });
});
