import { readdir, stat } from 'node:fs/promises';
import { basename, dirname, isAbsolute, join, resolve } from 'node:path';
import { MicflowError } from '../errors/micflow-error.js';
import { geometryDifferences, labelValues, rowMajorGrid } from '../io/image-geometry.js';
import { readCsvTable } from '../io/read-csv-table.js';
import { readImage } from '../io/read-image.js';
import type { CaseMetrics } from './case-metrics-table.js';
import { emptyPairMetrics, evaluateSegmentation } from './segmentation-metrics.js';

/** File endings recognised as images when listing a folder. */
export const IMAGE_FILE_PATTERN = /\.(nii\.gz|nii|nrrd|nhdr|mha|mhd|png|tif|tiff|bmp|jpg|jpeg|vtk)$/i;

/** What every way of listing cases shares: which labels, the surface Dice tolerance, progress. */
export interface EvaluateImagePairsOptions {
  /** Labels to evaluate; default: every non-zero label found in any ground truth or prediction. */
  readonly labels?: readonly number[];
  /** Tolerance of the normalised surface Dice, in the images' spacing unit (mm); default 1. */
  readonly surfaceTolerance?: number;
  /** Called with each case as soon as it is evaluated (for progress output). */
  readonly onCase?: (metrics: CaseMetrics, index: number, total: number) => void;
}

export interface EvaluateImageFoldersOptions extends EvaluateImagePairsOptions {
  readonly groundTruthDirectory: string;
  readonly predictionDirectory: string;
}

/** One case to evaluate: its ground-truth and prediction files. */
export interface EvaluationPair {
  readonly id: string;
  readonly groundTruthFile: string;
  readonly predictionFile: string;
  /** Where the case was listed ("list.csv line 4"), named in messages; absent for folder pairing. */
  readonly origin?: string;
}

/**
 * Evaluates every image of a ground-truth folder against the prediction of the same file name in a prediction folder,
 * one case at a time (so memory holds one pair), with {@link evaluateSegmentation} in the images' physical spacing.
 * Extra files in the prediction folder are ignored.
 *
 * @throws MicflowError('invalid-data') naming the file when a prediction is missing, a pair's geometry (size, spacing,
 * origin, direction) differs, or an image is not a label map; ('invalid-argument') for an empty or missing folder.
 */
export async function evaluateImageFolders(options: EvaluateImageFoldersOptions): Promise<CaseMetrics[]> {
  const { groundTruthDirectory, predictionDirectory } = options;
  const names = await imageFileNames(groundTruthDirectory, '--gt');
  await imageFileNames(predictionDirectory, '--seg');
  const pairs = names.map((name) => ({
    id: name.replace(IMAGE_FILE_PATTERN, ''),
    groundTruthFile: join(groundTruthDirectory, name),
    predictionFile: join(predictionDirectory, name),
  }));
  return evaluateImagePairs(pairs, options);
}

export interface CaseListOptions {
  /** A dataset list (PyMIC's CSV form, as `npm run infer --data` and CsvDataset read). */
  readonly caseList: string;
  /** Where `npm run infer` wrote the predictions: each case's is named as the file of its first image column. */
  readonly predictionDirectory: string;
  /**
   * A folder holding the ground truths under the file names of the list's label column (of its image column when the
   * list has no label column). Without it, the label column's paths are the ground truths (relative to the list's
   * folder).
   */
  readonly groundTruthDirectory?: string;
  /** Column naming each case's image (the first image column of a multi-modal list); default 'image'. */
  readonly imageColumn?: string;
  /** Column naming each case's label map; default 'label'. */
  readonly labelColumn?: string;
}

/**
 * The cases of a dataset list as evaluation pairs, in the list's order: the prediction of each is
 * `<predictionDirectory>/<file name of its image>` (what `npm run infer -- RUN --data LIST --out DIR` writes), its
 * ground truth the label column's path or, with `groundTruthDirectory`, that folder's file of the same name.
 *
 * @throws MicflowError('invalid-data') naming the list and line for a missing column, an empty cell, a ground truth
 * that does not exist, or two cases whose predictions would have the same file name.
 */
export async function listEvaluationPairs(options: CaseListOptions): Promise<EvaluationPair[]> {
  const { caseList, predictionDirectory, groundTruthDirectory } = options;
  const imageColumn = options.imageColumn ?? 'image';
  const labelColumn = options.labelColumn ?? 'label';
  const table = await readCsvTable(caseList, groundTruthDirectory === undefined ? [imageColumn, labelColumn] : [imageColumn]);
  const root = dirname(resolve(caseList));
  const byPrediction = new Map<string, string>();
  const pairs: EvaluationPair[] = [];
  for (const row of table.rows) {
    const origin = `${caseList} line ${row.line}`;
    const cell = (column: string) => {
      const value = row.values[column];
      if (!value) throw new MicflowError('invalid-data', `${origin}: column "${column}" is empty`);
      return value;
    };
    const imageName = basename(cell(imageColumn));
    const labelPath = table.header.includes(labelColumn) ? cell(labelColumn) : cell(imageColumn);
    const groundTruthFile =
      groundTruthDirectory === undefined ? (isAbsolute(labelPath) ? labelPath : join(root, labelPath)) : join(groundTruthDirectory, basename(labelPath));
    if (!(await isFile(groundTruthFile))) throw new MicflowError('invalid-data', `${origin}: ground truth ${groundTruthFile} does not exist`);
    const earlier = byPrediction.get(imageName);
    if (earlier) throw new MicflowError('invalid-data', `${origin}: its prediction ${imageName} has the same file name as that of ${earlier}`);
    byPrediction.set(imageName, origin);
    pairs.push({ id: imageName.replace(IMAGE_FILE_PATTERN, ''), groundTruthFile, predictionFile: join(predictionDirectory, imageName), origin });
  }
  return pairs;
}

/**
 * Evaluates exactly the cases of a dataset list (see {@link listEvaluationPairs}); other files in either folder are
 * ignored. Throws as {@link evaluateImagePairs} and {@link listEvaluationPairs}.
 */
export async function evaluateCaseList(options: CaseListOptions & EvaluateImagePairsOptions): Promise<CaseMetrics[]> {
  if (!(await stat(options.predictionDirectory).then((s) => s.isDirectory(), () => false))) {
    throw new MicflowError('invalid-argument', `--seg ${options.predictionDirectory}: not a readable folder`);
  }
  return evaluateImagePairs(await listEvaluationPairs(options), options);
}

/**
 * Evaluates each pair in order, one at a time (so memory holds one pair), with {@link evaluateSegmentation} in the
 * images' physical spacing. Without `labels`, every case reports every non-zero label found in any case (a label
 * absent from a case's two maps gets {@link emptyPairMetrics}).
 *
 * @throws MicflowError('invalid-data') naming the file (and the list line) when a prediction is missing, a pair's
 * geometry (size, spacing, origin, direction) differs, or an image is not a label map.
 */
export async function evaluateImagePairs(pairs: readonly EvaluationPair[], options: EvaluateImagePairsOptions = {}): Promise<CaseMetrics[]> {
  const cases: CaseMetrics[] = [];
  for (const [index, pair] of pairs.entries()) {
    const { groundTruthFile, predictionFile } = pair;
    const where = pair.origin ? `${pair.origin}: ` : '';
    if (!(await isFile(predictionFile))) {
      throw new MicflowError('invalid-data', `${where}prediction ${predictionFile} is missing for ground truth ${groundTruthFile}`);
    }
    const groundTruth = await readImage(groundTruthFile);
    const prediction = await readImage(predictionFile);
    const differences = geometryDifferences(groundTruth, prediction);
    if (differences.length) {
      throw new MicflowError('invalid-data', `${where}prediction ${predictionFile} does not match the geometry of ground truth ${groundTruthFile}: ${differences.join('; ')}`);
    }
    const truthLabels = labelValues(groundTruth, groundTruthFile);
    const predictedLabels = labelValues(prediction, predictionFile);
    const labels = options.labels ?? nonZeroLabels(truthLabels, predictedLabels);
    const { shape, spacing } = rowMajorGrid(groundTruth);
    const metrics = evaluateSegmentation(predictedLabels, truthLabels, shape, spacing, labels, { surfaceTolerance: options.surfaceTolerance });
    const evaluated = { id: pair.id, labels: metrics };
    cases.push(evaluated);
    options.onCase?.(evaluated, index, pairs.length);
  }
  if (options.labels) return cases;
  // Labels found in some cases only: the other cases have them in neither map.
  const all = [...new Set(cases.flatMap((c) => c.labels.map((m) => m.label)))].sort((a, b) => a - b);
  return cases.map((c) => ({ id: c.id, labels: all.map((label) => c.labels.find((m) => m.label === label) ?? emptyPairMetrics(label)) }));
}

function isFile(path: string): Promise<boolean> {
  return stat(path).then((s) => s.isFile(), () => false);
}

async function imageFileNames(directory: string, flag: string): Promise<string[]> {
  let entries: string[];
  try {
    entries = await readdir(directory);
  } catch {
    throw new MicflowError('invalid-argument', `${flag} ${directory}: not a readable folder`);
  }
  const names = entries.filter((n) => IMAGE_FILE_PATTERN.test(n) && !n.startsWith('.')).sort();
  if (!names.length) throw new MicflowError('invalid-argument', `${flag} ${directory}: the folder holds no image files`);
  return names;
}

function nonZeroLabels(a: Int32Array, b: Int32Array): number[] {
  const found = new Set<number>();
  for (const v of a) if (v !== 0) found.add(v);
  for (const v of b) if (v !== 0) found.add(v);
  return [...found].sort((x, y) => x - y);
}
