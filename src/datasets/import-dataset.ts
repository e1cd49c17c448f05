import { randomBytes } from 'node:crypto';
import { mkdir, readdir, rename, rm, rmdir, stat, writeFile } from 'node:fs/promises';
import path from 'node:path';
import { MicflowError } from '../errors/micflow-error.js';
import { geometryDifferences, labelValues } from '../io/image-geometry.js';
import type { MedicalImage } from '../io/medical-image.js';
import { writeImage } from '../io/read-image.js';
import { csvText } from '../io/write-csv-table.js';
import { acdcSource } from './acdc-source.js';
import { DATASET_FILES, type DatasetManifest } from './dataset-manifest.js';
import { folderSource } from './folder-source.js';
import { hdf5Source } from './hdf5-source.js';
import type { ImportCase, ImportPlan, LoadedCase } from './import-source.js';
import { mapInOrder } from './map-in-order.js';
import { msdSource } from './msd-source.js';

export const IMPORT_FORMATS = ['msd', 'hdf5', 'acdc', 'folder'] as const;
export type ImportFormat = (typeof IMPORT_FORMATS)[number];

export interface ImportDatasetOptions {
  readonly format: ImportFormat;
  /** The source folder (msd, hdf5, acdc); for `folder`, the images folder. */
  readonly source: string;
  /** For `folder`: the masks folder (none: every image is unlabelled). */
  readonly masks?: string;
  /** The output folder; it must not exist or be empty. */
  readonly out: string;
  /** Class names, background first, instead of the source's (or of "background, class1..." from the label values). */
  readonly classNames?: readonly string[];
  /** Subject of a case: the first group (or the match) of this pattern on the case id, instead of the format's rule. */
  readonly subjectPattern?: RegExp;
  /** Treat every non-zero mask value as class 1 (masks saved as 0/255). */
  readonly binaryMasks?: boolean;
  /** Cases read and written at once (default 2: one per core, compression runs off the main thread). */
  readonly concurrency?: number;
  /** Called after each case is written. */
  readonly onCase?: (index: number, total: number, id: string) => void;
}

export interface ImportSummary {
  readonly out: string;
  readonly manifest: DatasetManifest;
  readonly cases: number;
  readonly unlabelled: number;
  readonly subjects: number;
  readonly scribbles: number;
}

/** The format's reader: what it found in the source, checked before anything is read. */
export function planImport(options: ImportDatasetOptions): Promise<ImportPlan> {
  switch (options.format) {
    case 'msd':
      return msdSource(options.source, options.subjectPattern);
    case 'hdf5':
      return hdf5Source(options.source, options.subjectPattern);
    case 'acdc':
      return acdcSource(options.source, options.subjectPattern);
    case 'folder':
      return folderSource(options.source, options.masks, options.subjectPattern);
  }
}

/** A label map as the smallest unsigned integer image that holds its values, on the same grid. */
function compactLabel(like: MedicalImage, values: Int32Array, maximum: number): MedicalImage {
  const data = maximum <= 255 ? Uint8Array.from(values) : maximum <= 65535 ? Uint16Array.from(values) : Int32Array.from(values);
  return { ...like, data, components: 1, pixelType: maximum <= 255 ? 'uint8' : maximum <= 65535 ? 'uint16' : 'int32' };
}

function maximumOf(values: Int32Array, file: string): number {
  let maximum = 0;
  for (let i = 0; i < values.length; i++) {
    if (values[i] < 0) throw new MicflowError('invalid-data', `${file} holds ${values[i]} at pixel ${i}; label values are class indices (0, 1, 2...)`);
    if (values[i] > maximum) maximum = values[i];
  }
  return maximum;
}

interface WrittenCase {
  readonly row: Record<string, string>;
  readonly maximumLabel: number;
  readonly scribble: boolean;
}

/**
 * Imports a dataset into micflow's layout: every case's images as NIfTI (.nii.gz, geometry kept) in `images/`
 * (`<case>.nii.gz`, further channels `<case>_0001.nii.gz`...), labels in `labels/`, scribbles in `scribbles/` when the
 * source has them; `all.csv` (columns image[, image_1...], label[, scribble], subject[, extra]) listing the labelled
 * cases, `unlabelled.csv` the others; `classes.json` with the class names and what the lists hold. Paths in the lists
 * are relative to the output folder, the data root of a pipeline (`--data`).
 *
 * Everything is written into a temporary sibling folder renamed to `out` at the end, so a failure (an unreadable
 * file, a label value outside the classes, channels that do not overlay) leaves no output folder; the error names the file.
 */
export async function importDataset(options: ImportDatasetOptions): Promise<ImportSummary> {
  const out = path.resolve(options.out);
  const existing = await stat(out).catch(() => undefined);
  if (existing && (!existing.isDirectory() || (await readdir(out)).length > 0)) {
    throw new MicflowError('invalid-argument', `--out ${options.out} already exists and is not an empty folder; give a new one`);
  }
  const plan = await planImport(options);
  const names = new Set<string>();
  for (const c of plan.cases) {
    if (names.has(c.id)) throw new MicflowError('invalid-data', `two cases are named ${c.id} (${c.sources[0]}); case names must be unique`);
    names.add(c.id);
  }
  const labelled = plan.cases.filter((c) => c.labelled);
  if (labelled.length === 0) throw new MicflowError('invalid-data', `${plan.source}: found ${plan.cases.length} images but no labels; nothing to train on`);
  const classNames = options.classNames ?? plan.classNames;
  const imageColumns = plan.channelNames.map((_, c) => (c === 0 ? 'image' : `image_${c}`));

  await mkdir(path.dirname(out), { recursive: true });
  const temporary = path.join(path.dirname(out), `.${path.basename(out)}.partial-${process.pid}-${randomBytes(4).toString('hex')}`);
  try {
    for (const folder of [DATASET_FILES.images, DATASET_FILES.labels]) await mkdir(path.join(temporary, folder), { recursive: true });
    const written = await mapInOrder(plan.cases, options.concurrency ?? 2, async (c, index) => {
      const result = await writeCase(c, await c.load().catch((error: unknown) => rethrowNaming(error, c)), temporary, imageColumns, classNames, options.binaryMasks ?? false);
      options.onCase?.(index, plan.cases.length, c.id);
      return result;
    });
    const rows = written.filter((w, i) => plan.cases[i].labelled);
    const unlabelledRows = written.filter((w, i) => !plan.cases[i].labelled);
    const withScribbles = rows.filter((w) => w.scribble).length;
    if (withScribbles > 0 && withScribbles < rows.length) {
      const without = plan.cases.find((c, i) => c.labelled && !written[i].scribble)!;
      throw new MicflowError('invalid-data', `${without.sources[0]} has no scribble, but ${withScribbles} other cases have; either every labelled case has one or none`);
    }
    const maximum = Math.max(...rows.map((w) => w.maximumLabel));
    const names = classNames ?? ['background', ...Array.from({ length: Math.max(1, maximum) }, (_, k) => `class${k + 1}`)];
    const scribbleColumn = withScribbles > 0 ? 'scribble' : null;
    const header = [...imageColumns, 'label', ...(scribbleColumn ? [scribbleColumn] : []), 'subject', ...plan.extraColumns];
    await writeFile(path.join(temporary, DATASET_FILES.all), csvText(header, rows.map((w) => header.map((h) => w.row[h] ?? ''))));
    if (unlabelledRows.length) {
      const unlabelledHeader = [...imageColumns, 'subject', ...plan.extraColumns];
      await writeFile(path.join(temporary, DATASET_FILES.unlabelled), csvText(unlabelledHeader, unlabelledRows.map((w) => unlabelledHeader.map((h) => w.row[h] ?? ''))));
    }
    const subjects = new Set(labelled.map((c) => c.subject)).size;
    const notes = [...plan.notes];
    if (!classNames) notes.push(`class names not given: ${names.join(', ')} from the largest label value ${maximum} (name them with --classes)`);
    if (options.binaryMasks) notes.push('--binary-masks: every non-zero mask value was written as 1');
    const manifest: DatasetManifest = {
      names: [...names],
      format: plan.format,
      source: path.resolve(plan.source),
      imageColumns,
      channelNames: [...plan.channelNames],
      labelColumn: 'label',
      scribbleColumn,
      scribbleUnannotatedValue: scribbleColumn ? names.length : null,
      subjectColumn: 'subject',
      extraColumns: [...plan.extraColumns],
      cases: rows.length,
      unlabelledCases: unlabelledRows.length,
      subjects,
      notes,
    };
    await writeFile(path.join(temporary, DATASET_FILES.manifest), `${JSON.stringify(manifest, null, 2)}\n`);
    if (existing) await rmdir(out);
    await rename(temporary, out);
    return { out, manifest, cases: rows.length, unlabelled: unlabelledRows.length, subjects, scribbles: withScribbles };
  } catch (error) {
    await rm(temporary, { recursive: true, force: true });
    throw error;
  }
}

function rethrowNaming(error: unknown, c: ImportCase): never {
  if (error instanceof MicflowError) throw error;
  throw new MicflowError('invalid-data', `case ${c.id} (${c.sources.join(', ')}): ${error instanceof Error ? error.message : String(error)}`);
}

async function writeCase(
  c: ImportCase,
  loaded: LoadedCase,
  root: string,
  imageColumns: readonly string[],
  classNames: readonly string[] | undefined,
  binaryMasks: boolean,
): Promise<WrittenCase> {
  const [first, ...others] = loaded.images;
  if (loaded.images.length !== imageColumns.length) {
    throw new MicflowError('invalid-data', `case ${c.id}: ${loaded.images.length} channel images, expected ${imageColumns.length}`);
  }
  const overlays = (other: MedicalImage, file: string, what: string) => {
    const problems = geometryDifferences(first, other);
    if (problems.length) throw new MicflowError('invalid-data', `${file}: the ${what} does not overlay the image ${c.sources[0]}`, problems);
  };
  others.forEach((image, i) => overlays(image, c.sources[i + 1] ?? c.sources[0], `channel ${i + 1}`));
  const row: Record<string, string> = { subject: c.subject, ...c.extra };
  for (const [i, image] of loaded.images.entries()) {
    const name = `${DATASET_FILES.images}/${c.id}${i === 0 ? '' : `_${String(i).padStart(4, '0')}`}.nii.gz`;
    await writeImage(path.join(root, name), image);
    row[imageColumns[i]] = name;
  }
  let maximumLabel = 0;
  if (loaded.label) {
    const file = c.sources[c.sources.length - 1];
    overlays(loaded.label, file, 'label');
    const values = labelValues(loaded.label, file);
    if (binaryMasks) for (let i = 0; i < values.length; i++) values[i] = values[i] !== 0 ? 1 : 0;
    maximumLabel = maximumOf(values, file);
    if (classNames && maximumLabel >= classNames.length) {
      throw new MicflowError('invalid-data', `${file} holds label ${maximumLabel}, outside the ${classNames.length} classes (${classNames.join(', ')}); name the classes with --classes`);
    }
    if (!classNames && maximumLabel === 255 && !binaryMasks) {
      throw new MicflowError('invalid-data', `${file} holds label 255: masks saved as 0/255? --binary-masks reads every non-zero value as class 1`);
    }
    const name = `${DATASET_FILES.labels}/${c.id}.nii.gz`;
    await writeImage(path.join(root, name), compactLabel(loaded.label, values, maximumLabel));
    row.label = name;
  }
  if (loaded.scribble) {
    const file = c.sources[0];
    overlays(loaded.scribble, file, 'scribble');
    const values = labelValues(loaded.scribble, `${file} (scribble)`);
    const maximum = maximumOf(values, `${file} (scribble)`);
    if (classNames && maximum > classNames.length) {
      throw new MicflowError('invalid-data', `${file}: the scribble holds ${maximum}; scribble values are the ${classNames.length} classes and ${classNames.length} for unannotated pixels`);
    }
    await mkdir(path.join(root, DATASET_FILES.scribbles), { recursive: true });
    const name = `${DATASET_FILES.scribbles}/${c.id}.nii.gz`;
    await writeImage(path.join(root, name), compactLabel(loaded.scribble, values, maximum));
    row.scribble = name;
  }
  return { row, maximumLabel, scribble: loaded.scribble !== undefined };
}
