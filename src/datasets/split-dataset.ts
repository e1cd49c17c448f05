import { randomBytes } from 'node:crypto';
import { copyFile, mkdir, readdir, rename, rm, writeFile } from 'node:fs/promises';
import path from 'node:path';
import { MicflowError } from '../errors/micflow-error.js';
import { readCsvTable, type CsvTable } from '../io/read-csv-table.js';
import { readImage, writeImage } from '../io/read-image.js';
import { csvText } from '../io/write-csv-table.js';
import { SeededRandom } from '../runtime/seeded-random.js';
import { DATASET_FILES, readDatasetManifest } from './dataset-manifest.js';
import { fileStem } from './import-source.js';
import { mapInOrder } from './map-in-order.js';
import { axialSlices } from './volume-slices.js';

/** The lists `split` writes in each fold folder (the names the pipelines read). */
export const SPLIT_FILES = {
  train: 'train.csv',
  valid: 'valid.csv',
  test: 'test.csv',
  labelled: 'train_labelled.csv',
  unlabelled: 'train_unlabelled.csv',
  scribble: 'train_scribble.csv',
  /** With --slices: the whole volumes of the validation subjects, for evaluating a 2D network per volume. */
  validVolumes: 'valid_volumes.csv',
  /** With --slices and --test: the whole test volumes (EvaluateSegmentation `sliceWise` scores them per volume). */
  testVolumes: 'test_volumes.csv',
} as const;

export interface SubjectSplitOptions {
  readonly folds: number;
  readonly seed: number;
  /** Fraction of the subjects held out as a fixed test set, the same for every fold (0 or undefined: none). */
  readonly test?: number;
  /** Fraction of each fold's training subjects whose labels are kept (semi-supervised); undefined: no such lists. */
  readonly labelled?: number;
}

export interface SubjectSplit {
  readonly test: readonly string[];
  /** Per fold: the validation subjects, the training subjects (the other folds), the labelled ones among them. */
  readonly folds: readonly { readonly valid: readonly string[]; readonly train: readonly string[]; readonly labelled?: readonly string[] }[];
}

const byText = (a: string, b: string) => (a < b ? -1 : a > b ? 1 : 0);

/**
 * Splits subjects, never cases: the subjects (sorted, then shuffled with the seed) give first the test subjects
 * (round(test · n), at least one when `test` > 0), then the rest is dealt round-robin into `folds` folds, so fold sizes
 * differ by at most one subject. Fold k validates on its subjects and trains on the others; with `labelled`, a seeded
 * round(labelled · n_train) of them (at least one, at most all but one) are the labelled subjects. Deterministic for a seed.
 *
 * @throws MicflowError('invalid-argument') naming the flag when the numbers cannot be met.
 */
export function splitSubjects(subjects: readonly string[], options: SubjectSplitOptions): SubjectSplit {
  checkSplitOptions(options);
  const { folds, seed } = options;
  const sorted = [...new Set(subjects)].sort(byText);
  const testFraction = options.test ?? 0;
  const random = new SeededRandom(seed);
  const shuffled = random.derive('subjects').shuffle(sorted);
  const testCount = testFraction > 0 ? Math.max(1, Math.round(testFraction * sorted.length)) : 0;
  const test = shuffled.slice(0, testCount).sort(byText);
  const rest = shuffled.slice(testCount);
  if (rest.length < folds) {
    throw new MicflowError('invalid-argument', `--folds ${folds}: only ${rest.length} subject${rest.length === 1 ? '' : 's'} ${testCount ? `left after the ${testCount} test subjects ` : ''}to share among them`);
  }
  const foldSubjects = Array.from({ length: folds }, (_, k) => rest.filter((_, i) => i % folds === k).sort(byText));
  return {
    test,
    folds: foldSubjects.map((valid, k) => {
      const train = foldSubjects.filter((_, j) => j !== k).flat().sort(byText);
      if (options.labelled === undefined) return { valid, train };
      if (train.length < 2) throw new MicflowError('invalid-argument', `--labelled: fold ${k} trains on ${train.length} subject; a labelled and an unlabelled part need two or more`);
      const count = Math.min(train.length - 1, Math.max(1, Math.round(options.labelled * train.length)));
      const labelled = random.derive('labelled', k).shuffle(train).slice(0, count).sort(byText);
      return { valid, train, labelled };
    }),
  };
}

/** @throws MicflowError('invalid-argument') naming the flag whose number is out of range. */
function checkSplitOptions(options: SubjectSplitOptions): void {
  if (!Number.isInteger(options.folds) || options.folds < 2) throw new MicflowError('invalid-argument', `--folds ${options.folds}: expected an integer ≥ 2`);
  if (!Number.isInteger(options.seed)) throw new MicflowError('invalid-argument', `--seed ${options.seed}: expected an integer`);
  const test = options.test ?? 0;
  if (!(test >= 0 && test < 1)) throw new MicflowError('invalid-argument', `--test ${options.test}: expected a fraction in [0, 1)`);
  if (options.labelled !== undefined && !(options.labelled > 0 && options.labelled < 1)) {
    throw new MicflowError('invalid-argument', `--labelled ${options.labelled}: expected a fraction in (0, 1)`);
  }
}

export interface SplitDatasetOptions extends SubjectSplitOptions {
  /** The dataset folder (an `npm run dataset -- import` output, or any folder with such a list). */
  readonly directory: string;
  /** The list to split, in `directory` (default all.csv). */
  readonly list?: string;
  /** The column that groups cases (default subject). */
  readonly by?: string;
  /** Write the volumes' axial slices and list those instead. */
  readonly slices?: 'axial';
  readonly onVolume?: (index: number, total: number) => void;
}

export interface SplitSummary {
  readonly split: SubjectSplit;
  readonly subjects: number;
  readonly volumes: number;
  /** Rows (cases, or slices with --slices) per list of each fold, and of the test list. */
  readonly rows: readonly Record<string, number>[];
  readonly testRows: number;
  readonly slices: number;
}

interface Columns {
  readonly images: readonly string[];
  readonly label: string;
  readonly scribble: string | null;
  readonly by: string;
}

/**
 * Writes per-subject splits of a dataset list: `fold{k}/train.csv`, `valid.csv`, with `test` a fixed `test.csv` in
 * every fold, with `labelled` `train_labelled.csv` and `train_unlabelled.csv` (by subject too), and
 * `train_scribble.csv` (the scribbles as labels) when the list has a scribble column; each fold folder gets the
 * dataset's classes.json, so it is a data root a pipeline reads (`--data DIR/fold0`), the lists' paths being relative
 * to it. With `slices: 'axial'` every volume's axial slices are written once into `slices/` and the lists name them,
 * with the subject, the volume and the slice index. `split.json` records the options and the subjects of every part.
 *
 * Nothing is changed until everything is written: the output is put together in a temporary folder inside `directory`,
 * then earlier folds (and slices, when slicing) are replaced.
 */
export async function splitDataset(options: SplitDatasetOptions): Promise<SplitSummary> {
  checkSplitOptions(options);
  const directory = path.resolve(options.directory);
  const listName = options.list ?? DATASET_FILES.all;
  const manifest = await readDatasetManifest(directory);
  const table = await readCsvTable(path.join(directory, listName), []);
  const columns = columnsOf(table, options.by ?? manifest?.subjectColumn ?? 'subject', manifest);
  const subjectOfRow = table.rows.map((row) => {
    const subject = row.values[columns.by];
    if (!subject) throw new MicflowError('invalid-data', `${table.file} line ${row.line}: column "${columns.by}" is empty`);
    return subject;
  });
  const split = splitSubjects(subjectOfRow, options);

  const temporary = path.join(directory, `.split-partial-${process.pid}-${randomBytes(4).toString('hex')}`);
  try {
    await mkdir(temporary, { recursive: true });
    const volumeRows: Record<string, string>[] = table.rows.map((r) => ({ ...r.values }));
    const volumeHeader = [...table.header];
    let rows = volumeRows;
    let header = volumeHeader;
    let slices = 0;
    if (options.slices) {
      const sliced = await writeSlices(table, columns, path.join(temporary, DATASET_FILES.slices), directory, options.onVolume);
      rows = sliced.rows;
      header = [...header, 'volume', 'slice'];
      slices = rows.length;
    }
    const rowsOf = (subjects: readonly string[], of = rows) => {
      const wanted = new Set(subjects);
      return of.filter((r) => wanted.has(r[columns.by]));
    };
    const pathColumns = [...columns.images, columns.label, ...(columns.scribble ? [columns.scribble] : [])];
    const fromFold = (row: Record<string, string>) => {
      const out = { ...row };
      for (const c of pathColumns) if (out[c] && !path.isAbsolute(out[c])) out[c] = path.posix.join('..', out[c].split(path.sep).join('/'));
      return out;
    };
    const writeList = async (file: string, listRows: Record<string, string>[], listHeader = header) => {
      await writeFile(file, csvText(listHeader, listRows.map((r) => listHeader.map((h) => r[h] ?? ''))));
      return listRows.length;
    };
    const counts: Record<string, number>[] = [];
    const testRows = rowsOf(split.test).map(fromFold);
    for (const [k, fold] of split.folds.entries()) {
      const folder = path.join(temporary, `fold${k}`);
      await mkdir(folder);
      const count: Record<string, number> = {};
      const train = rowsOf(fold.train).map(fromFold);
      count.train = await writeList(path.join(folder, SPLIT_FILES.train), train);
      count.valid = await writeList(path.join(folder, SPLIT_FILES.valid), rowsOf(fold.valid).map(fromFold));
      if (testRows.length) count.test = await writeList(path.join(folder, SPLIT_FILES.test), testRows);
      if (options.slices) {
        count.validVolumes = await writeList(path.join(folder, SPLIT_FILES.validVolumes), rowsOf(fold.valid, volumeRows).map(fromFold), volumeHeader);
        if (testRows.length) count.testVolumes = await writeList(path.join(folder, SPLIT_FILES.testVolumes), rowsOf(split.test, volumeRows).map(fromFold), volumeHeader);
      }
      if (fold.labelled) {
        const labelled = new Set(fold.labelled);
        count.labelled = await writeList(path.join(folder, SPLIT_FILES.labelled), train.filter((r) => labelled.has(r[columns.by])));
        count.unlabelled = await writeList(path.join(folder, SPLIT_FILES.unlabelled), train.filter((r) => !labelled.has(r[columns.by])));
      }
      if (columns.scribble) {
        const scribble = columns.scribble;
        const scribbleHeader = header.filter((h) => h !== scribble);
        count.scribble = await writeList(path.join(folder, SPLIT_FILES.scribble), train.map((r) => ({ ...r, [columns.label]: r[scribble] })), scribbleHeader);
      }
      if (manifest) await copyFile(path.join(directory, DATASET_FILES.manifest), path.join(folder, DATASET_FILES.manifest));
      counts.push(count);
    }
    const record = {
      list: listName,
      by: columns.by,
      seed: options.seed,
      folds: options.folds,
      test: options.test ?? 0,
      labelled: options.labelled ?? null,
      slices: options.slices ?? null,
      testSubjects: split.test,
      foldSubjects: split.folds.map((f, k) => ({ fold: k, valid: f.valid, train: f.train, ...(f.labelled ? { labelled: f.labelled } : {}), rows: counts[k] })),
    };
    await writeFile(path.join(temporary, DATASET_FILES.split), `${JSON.stringify(record, null, 2)}\n`);

    // Everything is written: replace the earlier split.
    for (const entry of await readdir(directory)) {
      if (/^fold\d+$/.test(entry) || entry === DATASET_FILES.split || (options.slices && entry === DATASET_FILES.slices)) {
        await rm(path.join(directory, entry), { recursive: true, force: true });
      }
    }
    for (const entry of await readdir(temporary)) await rename(path.join(temporary, entry), path.join(directory, entry));
    await rm(temporary, { recursive: true, force: true });
    return { split, subjects: new Set(subjectOfRow).size, volumes: table.rows.length, rows: counts, testRows: testRows.length, slices };
  } catch (error) {
    await rm(temporary, { recursive: true, force: true });
    throw error;
  }
}

function columnsOf(table: CsvTable, by: string, manifest: Awaited<ReturnType<typeof readDatasetManifest>>): Columns {
  const images = manifest?.imageColumns ?? table.header.filter((h) => /^image(_\d+)?$/.test(h));
  const label = manifest?.labelColumn ?? 'label';
  const scribble = manifest ? manifest.scribbleColumn : table.header.includes('scribble') ? 'scribble' : null;
  const missing = [...images, label, by, ...(scribble ? [scribble] : [])].filter((c) => !table.header.includes(c));
  if (images.length === 0) missing.unshift('image');
  if (missing.length) {
    throw new MicflowError('invalid-data', `${table.file}: no column${missing.length > 1 ? 's' : ''} ${missing.map((m) => `"${m}"`).join(', ')} (the header has ${table.header.map((h) => `"${h}"`).join(', ')})${missing.includes(by) ? '; --by names the column that groups cases' : ''}`);
  }
  return { images, label, scribble, by };
}

/** Every row's volumes cut into axial slices under `folder` (slices/images, slices/labels, ...); the slice rows, paths relative to the dataset. */
async function writeSlices(
  table: CsvTable,
  columns: Columns,
  folder: string,
  directory: string,
  onVolume: ((index: number, total: number) => void) | undefined,
): Promise<{ rows: Record<string, string>[] }> {
  const kinds: Array<readonly [column: string, folder: string]> = [...columns.images.map((c) => [c, DATASET_FILES.images] as const), [columns.label, DATASET_FILES.labels]];
  if (columns.scribble) kinds.push([columns.scribble, DATASET_FILES.scribbles]);
  for (const [, sub] of kinds) await mkdir(path.join(folder, sub), { recursive: true });
  const perVolume = await mapInOrder(table.rows, 2, async (row, index) => {
    const where = `${table.file} line ${row.line}`;
    const volume = fileStem(path.basename(row.values[columns.images[0]]));
    let count = -1;
    const sliceRows: Record<string, string>[] = [];
    for (const [column, sub] of kinds) {
      const relative = row.values[column];
      if (!relative) throw new MicflowError('invalid-data', `${where}: column "${column}" is empty`);
      const file = path.resolve(directory, relative);
      const image = await readImage(file).catch((error: unknown) => {
        throw new MicflowError('invalid-data', `${where}: ${error instanceof Error ? error.message : String(error)}`);
      });
      const slices = axialSlices(image, file);
      if (count >= 0 && slices.length !== count) throw new MicflowError('invalid-data', `${where}: ${file} has ${slices.length} slices, the image ${count}`);
      count = slices.length;
      const width = Math.max(2, String(slices.length - 1).length);
      const stem = fileStem(path.basename(relative));
      for (const [k, slice] of slices.entries()) {
        const name = `${DATASET_FILES.slices}/${sub}/${stem}_slice${String(k).padStart(width, '0')}.nii.gz`;
        await writeImage(path.join(path.dirname(folder), name), slice);
        sliceRows[k] ??= { ...row.values, volume, slice: String(k) };
        sliceRows[k][column] = name;
      }
    }
    onVolume?.(index, table.rows.length);
    return sliceRows;
  });
  return { rows: perVolume.flat() };
}
