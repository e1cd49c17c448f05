import { readdir, stat } from 'node:fs/promises';
import { join } from 'node:path';
import { MicflowError } from '../errors/micflow-error.js';
import { geometryDifferences, labelValues, rowMajorGrid } from '../io/image-geometry.js';
import { readImage } from '../io/read-image.js';
import type { CaseMetrics } from './case-metrics-table.js';
import { emptyPairMetrics, evaluateSegmentation } from './segmentation-metrics.js';

/** File endings recognised as images when listing a folder. */
export const IMAGE_FILE_PATTERN = /\.(nii\.gz|nii|nrrd|nhdr|mha|mhd|png|tif|tiff|bmp|jpg|jpeg|vtk)$/i;

export interface EvaluateImageFoldersOptions {
  readonly groundTruthDirectory: string;
  readonly predictionDirectory: string;
  /** Labels to evaluate; default: every non-zero label found in any ground truth or prediction. */
  readonly labels?: readonly number[];
  /** Tolerance of the normalised surface Dice, in the images' spacing unit (mm); default 1. */
  readonly surfaceTolerance?: number;
  /** Called with each case as soon as it is evaluated (for progress output). */
  readonly onCase?: (metrics: CaseMetrics, index: number, total: number) => void;
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
  const cases: CaseMetrics[] = [];
  for (const [index, name] of names.entries()) {
    const groundTruthFile = join(groundTruthDirectory, name);
    const predictionFile = join(predictionDirectory, name);
    const exists = await stat(predictionFile).then((s) => s.isFile(), () => false);
    if (!exists) {
      throw new MicflowError('invalid-data', `prediction ${predictionFile} is missing for ground truth ${groundTruthFile}`);
    }
    const groundTruth = await readImage(groundTruthFile);
    const prediction = await readImage(predictionFile);
    const differences = geometryDifferences(groundTruth, prediction);
    if (differences.length) {
      throw new MicflowError('invalid-data', `prediction ${predictionFile} does not match the geometry of ground truth ${groundTruthFile}: ${differences.join('; ')}`);
    }
    const truthLabels = labelValues(groundTruth, groundTruthFile);
    const predictedLabels = labelValues(prediction, predictionFile);
    const labels = options.labels ?? nonZeroLabels(truthLabels, predictedLabels);
    const { shape, spacing } = rowMajorGrid(groundTruth);
    const metrics = evaluateSegmentation(predictedLabels, truthLabels, shape, spacing, labels, { surfaceTolerance: options.surfaceTolerance });
    const evaluated = { id: name.replace(IMAGE_FILE_PATTERN, ''), labels: metrics };
    cases.push(evaluated);
    options.onCase?.(evaluated, index, names.length);
  }
  if (options.labels) return cases;
  // Labels found in some cases only: the other cases have them in neither map.
  const all = [...new Set(cases.flatMap((c) => c.labels.map((m) => m.label)))].sort((a, b) => a - b);
  return cases.map((c) => ({ id: c.id, labels: all.map((label) => c.labels.find((m) => m.label === label) ?? emptyPairMetrics(label)) }));
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
