import { z } from 'zod';

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
