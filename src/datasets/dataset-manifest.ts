import { readFile } from 'node:fs/promises';
import path from 'node:path';
import { z } from 'zod';
import { MicflowError } from '../errors/micflow-error.js';

/** Names of what `npm run dataset -- import` writes in its output folder, and `split` reads from it. */
export const DATASET_FILES = {
  /** Class names and what the lists hold; the same `{"names": [...]}` file the bundled fixtures have. */
  manifest: 'classes.json',
  /** Every labelled case: image column(s), label, optional scribble, subject. */
  all: 'all.csv',
  /** Cases without a label (imagesTs, frames without ground truth, images without a mask). */
  unlabelled: 'unlabelled.csv',
  images: 'images',
  labels: 'labels',
  scribbles: 'scribbles',
  /** What `split` did: seed, folds and their subjects. */
  split: 'split.json',
  slices: 'slices',
} as const;

export const datasetManifestSchema = z
  .object({
    /** Class names, background first; label value = index. */
    names: z.array(z.string().min(1)).min(2),
    /** Where the cases came from. */
    format: z.string().optional(),
    source: z.string().optional(),
    /** The image columns, one per channel (modality), as CsvDataset's `imageColumns`. */
    imageColumns: z.array(z.string().min(1)).min(1).default(['image']),
    channelNames: z.array(z.string()).optional(),
    labelColumn: z.string().min(1).default('label'),
    /** The column of scribble labels, when the source had them; their unannotated pixels hold `scribbleUnannotatedValue`. */
    scribbleColumn: z.string().min(1).nullable().default(null),
    scribbleUnannotatedValue: z.number().int().nullable().default(null),
    subjectColumn: z.string().min(1).default('subject'),
    /** Other columns the lists carry (e.g. ACDC's pathology group and cardiac phase). */
    extraColumns: z.array(z.string().min(1)).default([]),
    cases: z.number().int().nonnegative().optional(),
    unlabelledCases: z.number().int().nonnegative().optional(),
    subjects: z.number().int().nonnegative().optional(),
    notes: z.array(z.string()).default([]),
  })
  .passthrough();

export type DatasetManifest = z.output<typeof datasetManifestSchema>;

/**
 * Reads `classes.json` of a dataset folder; undefined when there is none.
 * @throws MicflowError('invalid-data') naming the file when it is not valid JSON or lacks the class names.
 */
export async function readDatasetManifest(directory: string): Promise<DatasetManifest | undefined> {
  const file = path.join(directory, DATASET_FILES.manifest);
  let text: string;
  try {
    text = await readFile(file, 'utf8');
  } catch {
    return undefined;
  }
  let json: unknown;
  try {
    json = JSON.parse(text);
  } catch (error) {
    throw new MicflowError('invalid-data', `${file}: not valid JSON (${(error as Error).message})`);
  }
  const parsed = datasetManifestSchema.safeParse(json);
  if (!parsed.success) {
    throw new MicflowError('invalid-data', `${file}: ${parsed.error.issues.map((i) => `${i.path.join('.') || '(file)'}: ${i.message}`).join('; ')} (expected {"names": ["background", ...]})`);
  }
  return parsed.data;
}

/** `--classes background,RV,Myo,LV` as names; at least two, none empty or repeated. */
export function parseClassNames(text: string, flag = '--classes'): string[] {
  const names = text.split(',').map((s) => s.trim());
  if (names.length < 2 || names.some((n) => n === '') || new Set(names).size !== names.length) {
    throw new MicflowError('invalid-argument', `${flag} ${text}: expected two or more distinct class names, background first (e.g. background,RV,Myo,LV)`);
  }
  return names;
}
