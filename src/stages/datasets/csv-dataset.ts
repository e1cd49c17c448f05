import { access } from 'node:fs/promises';
import { resolve } from 'node:path';
import { defer, map, type Observable } from 'rxjs';
import { z } from 'zod';
import { MicflowError } from '../../errors/micflow-error.js';
import type { PortSpecs } from '../../graph/port-spec.js';
import type { Sample, SampleStream, ExtendedSample } from '../../graph/sample.js';
import { SampleStreamStage } from '../../graph/stage.js';
import type { SeededRandom } from '../../runtime/seeded-random.js';
import { decodeCase, decodedBytes, type DecodedCase } from './decode-case.js';
import { DecodedCaseCache } from './decoded-case-cache.js';
import { DecodeWorkerPool } from './decode-worker-pool.js';
import { readDatasetList, type DatasetRow } from './dataset-list.js';

export const csvDatasetParams = z
  .object({
    csv: z.string().min(1).describe("The dataset list, relative to the run's data root (`--data`) (PyMIC `train_csv`, `valid_csv`, `test_csv`)"),
    imageColumns: z
      .array(z.string().min(1))
      .min(1)
      .default(['image'])
      .describe("Columns holding image files; several columns are stacked as channels (modalities; PyMIC reads the first `modal_num` columns)"),
    labelColumn: z
      .string()
      .min(1)
      .nullable()
      .default('label')
      .describe("Column holding the label file; null: an unlabelled list (e.g. the unlabelled half of a semi-supervised run) (PyMIC's `label` column)"),
    weightColumn: z.string().min(1).nullable().default(null).describe("Column holding a per-image loss weight, or null (PyMIC's `image_weight` column)"),
    pixelWeightColumn: z.string().min(1).nullable().default(null).describe("Column holding a per-pixel loss weight image, or null (PyMIC's `pixel_weight` column)"),
    where: z
      .record(z.string().min(1), z.string())
      .default({})
      .describe("Keep only the rows whose columns hold these values, e.g. `{ noisy: '0' }` (the clean subset of a noisy-label list); {}: every row"),
    classes: z
      .number()
      .int()
      .min(2)
      .nullable()
      .default(null)
      .describe('Number of classes: label values must lie in 0..classes−1 (checked when decoding and by --check-data); null: unchecked'),
    extraLabelValues: z
      .array(z.number().int().nonnegative())
      .default([])
      .describe('Label values allowed besides the classes, e.g. the "unannotated" value of scribble labels'),
    cache: z.boolean().default(true).describe('Keep decoded cases in memory after their first read'),
    cacheMegabytes: z.number().nonnegative().default(2048).describe('Memory budget of that cache in MiB; the least recently used cases are dropped beyond it'),
    decodeWorkers: z
      .number()
      .int()
      .min(0)
      .max(16)
      .default(0)
      .describe("Worker threads (0..16) that decode images off the training thread; 0 decodes on it (PyMIC's `num_worker` also runs the transforms there)"),
  })
  .strict();
export type CsvDatasetParams = z.infer<typeof csvDatasetParams>;

/** A dataset is a source: it reads its list, not a stream. */
const csvDatasetInputs = {} as const satisfies PortSpecs;
const csvDatasetOutputs = { samples: { type: 'samples', description: 'one sample per CSV row' } } as const satisfies PortSpecs;

/**
 * A dataset read from a PyMIC-style CSV list: image columns (modalities, stacked as channels), an optional label
 * column, optional image-weight and pixel-weight columns; paths relative to the data root. 2D images give samples
 * [H, W, C], 3D volumes [D, H, W, C] (RandomSlice draws 2D slices from them). The list is read and every file's
 * existence checked when the run starts, so a wrong path fails before training with the file and line; images are
 * decoded on first use (own NIfTI/PNG readers, itk-wasm for the rest), checked (sizes, geometry, label classes) and
 * cached under a byte budget, optionally in worker threads (`decodeWorkers`). `checkCsvDataset` runs every check up
 * front (`--check-data`).
 */
export class CsvDataset extends SampleStreamStage<CsvDatasetParams, typeof csvDatasetInputs> {
  static readonly className = 'CsvDataset';
  static readonly description = 'Images (and labels, weights) listed in a PyMIC-style CSV file, 2D or 3D, decoded on demand and cached';
  static readonly reference = 'PyMIC io.nifty_dataset.NiftyDataset';
  static readonly paramsSchema = csvDatasetParams;
  static readonly inputs = csvDatasetInputs;
  static readonly outputs = csvDatasetOutputs;

  private pool: DecodeWorkerPool | undefined;

  override dispose(): void {
    void this.pool?.close();
    this.pool = undefined;
  }

  override async streams(): Promise<Record<string, SampleStream>> {
    const csvPath = resolve(this.context.run.dataRoot, this.params.csv);
    const rows = await readDatasetList(csvPath, this.context.run.dataRoot, this.params);
    const missing = await missingFiles(rows);
    if (missing.length) {
      throw new MicflowError('invalid-data', `${csvPath}: ${missing.length} listed file${missing.length > 1 ? 's do' : ' does'} not exist`, missing.sort().slice(0, 10));
    }
    const cache = new DecodedCaseCache<DecodedCase>(this.params.cache ? this.params.cacheMegabytes * 2 ** 20 : 0, decodedBytes);
    const expectations = { classes: this.params.classes, extraLabelValues: this.params.extraLabelValues };
    const pool = this.params.decodeWorkers > 0 ? (this.pool = new DecodeWorkerPool(this.params.decodeWorkers)) : undefined;
    const decode = (row: DatasetRow) => (pool ? pool.decode(row, expectations) : decodeCase(row, expectations));
    return {
      samples: {
        size: rows.length,
        origin: csvPath,
        read(index: number, random: SeededRandom): Observable<Sample> {
          const row = rows[index];
          return defer(() => cache.get(index, () => decode(row))).pipe(
            map((decoded): ExtendedSample => ({
              id: row.id,
              origin: row.origin,
              image: decoded.image,
              label: decoded.label,
              spacing: decoded.spacing,
              random,
              ...(decoded.pixelWeight ? { pixelWeight: decoded.pixelWeight } : {}),
              ...(row.weight !== undefined ? { imageWeight: row.weight } : {}),
            })),
          );
        },
      },
    };
  }
}

/** "list.csv line 3: /data/x.nii.gz does not exist" for every listed file that is not there. */
export async function missingFiles(rows: readonly DatasetRow[]): Promise<string[]> {
  const missing: string[] = [];
  await Promise.all(
    rows.flatMap((row) =>
      [...row.images, row.label, row.pixelWeight]
        .filter((f): f is string => !!f)
        .map((file) => access(file).catch(() => missing.push(`${row.origin}: ${file} does not exist`))),
    ),
  );
  return missing;
}
