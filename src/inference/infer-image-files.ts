import { mkdir, readdir, stat } from 'node:fs/promises';
import { basename, dirname, isAbsolute, join, resolve } from 'node:path';
import { MicflowError } from '../errors/micflow-error.js';
import type { ImageArray } from '../images/image-array.js';
import { rowMajorGrid } from '../io/image-geometry.js';
import { toFloat32, type MedicalImage } from '../io/medical-image.js';
import { readCsvTable } from '../io/read-csv-table.js';
import { readImage, writeImage } from '../io/read-image.js';
import { IMAGE_FILE_PATTERN } from '../metrics/evaluate-image-folders.js';
import { argmaxChannelsLast } from '../images/argmax-channels-last.js';
import { SeededRandom } from '../runtime/seeded-random.js';
import { invertSpatialSteps } from '../images/spatial-steps.js';
import { type ExtendedSample } from '../graph/sample.js';
import { ensemblePredictor } from './ensemble-prediction.js';
import { fillHoles } from '../images/fill-holes.js';
import { keepLargestComponent } from '../images/keep-largest-component.js';
import { multiscaleAverageLogits } from './multiscale-average-logits.js';
import { networkLogits } from './network-logits.js';
import type { ProbabilityMap, ProbabilityPredictor } from './probability-map.js';
import { predictSlidingWindow, type SlidingWindowOptions } from './sliding-window-inference.js';
import { withTestTimeAugmentation, type TestTimeAugmentationOptions } from './test-time-augmentation.js';
import type { TrainedModel } from './trained-model.js';
import { predictWholeImageProbabilities } from './whole-image-inference.js';
import { sliceWiseLogits } from './slice-wise-logits.js';

export interface InferImageFilesOptions {
  /** One model, or several whose probabilities are averaged (an ensemble of checkpoints or runs). */
  readonly models: readonly TrainedModel[];
  /** A CSV list (the test branch's image columns, paths relative to the CSV's folder) or a folder of images. */
  readonly data: string;
  readonly outDirectory: string;
  /** Sliding-window inference with these settings; whole-image inference when absent. */
  readonly slidingWindow?: SlidingWindowOptions;
  /** Whole-image inference pads each axis to a multiple of this (default 16, a U-Net's four poolings). */
  readonly sizeDivisor?: number;
  readonly testTimeAugmentation?: TestTimeAugmentationOptions;
  /** Average the probabilities of all of a deeply supervised network's outputs (PyMIC's multi_pred_avg). */
  readonly multiscale?: boolean;
  /** A 2D network on volumes: each volume predicted slice by slice (see {@link sliceWiseLogits}); 2D images as usual. */
  readonly sliceWise?: boolean;
  readonly keepLargestComponent?: 'per-class' | 'union';
  readonly fillHoles?: boolean;
  /** Also write `<case>_probabilities.nii.gz` (float32, one component per class, the input's geometry). */
  readonly probabilities?: boolean;
  readonly onCase?: (written: { id: string; labelFile: string; seconds: number }, index: number, total: number) => void;
  /** Only the cases from `start` to before `end` of the list (what one queued inference job predicts). */
  readonly caseRange?: { readonly start: number; readonly end: number };
}

export interface InferenceCase {
  readonly origin: string;
  readonly imageFiles: readonly string[];
}

/**
 * Predicts every image of a CSV list or folder with one model or an ensemble and writes each label map in the input's
 * format and geometry (its file name, spacing, origin and direction) to the output folder, one case at a time.
 * Each model applies its own preprocessing; probabilities are (test-time-augmented and) averaged before the argmax;
 * post-processing (largest component, hole filling) runs on the label map.
 *
 * Preprocessing that changes the grid (Rescale, CenterCrop, Pad, Resample, ...) records its steps on the sample; each
 * model's probabilities are mapped back through their inverse (see {@link predictOnInputGrid}) before averaging, so
 * the label map lies on the input's own grid.
 *
 * @throws MicflowError naming the file or CSV line when an input is missing or unreadable, or preprocessing changes
 * the image size without recording how (predictions could then not be mapped back onto the input grid).
 */
export async function inferImageFiles(options: InferImageFilesOptions): Promise<string[]> {
  const listed = await listInferenceCases(options.data, options.models[0].imageColumns);
  const range = options.caseRange ?? { start: 0, end: listed.length };
  if (range.start < 0 || range.end > listed.length || range.start >= range.end) {
    throw new MicflowError('invalid-argument', `--cases ${range.start}:${range.end}: the list ${options.data} has ${listed.length} cases (0:${listed.length})`);
  }
  const cases = listed.slice(range.start, range.end);
  await mkdir(options.outDirectory, { recursive: true });
  const members: ProbabilityPredictor[] = options.models.map((model) => {
    const perImage = options.multiscale ? multiscaleAverageLogits(model.network.network) : networkLogits(model.network.network);
    const logits = options.sliceWise ? sliceWiseLogits(perImage) : perImage;
    const divisor = options.sizeDivisor ?? 16;
    const base: ProbabilityPredictor = options.slidingWindow
      ? (image) => predictSlidingWindow(logits, image, options.slidingWindow!)
      : (image) => predictWholeImageProbabilities(logits, image, options.sliceWise && image.shape.length === 4 ? [1, divisor, divisor] : divisor);
    return options.testTimeAugmentation ? withTestTimeAugmentation(base, options.testTimeAugmentation) : base;
  });
  const written: string[] = [];
  const names = new Set<string>();
  for (const [position, inferenceCase] of cases.entries()) {
    const index = range.start + position;
    const started = performance.now();
    const images = await Promise.all(inferenceCase.imageFiles.map((f) => readImage(f)));
    const image = stackChannels(images, inferenceCase);
    const spatial = image.shape.slice(0, -1);
    const id = basename(inferenceCase.imageFiles[0]).replace(IMAGE_FILE_PATTERN, '');
    const sample = { id, origin: inferenceCase.origin, image, random: new SeededRandom(0).derive('case', index), spacing: rowMajorGrid(images[0]).spacing };
    const prepared: ExtendedSample[] = await Promise.all(options.models.map((model) => model.preprocess(sample)));
    const predictors: ProbabilityPredictor[] = members.map((predict, m) => () =>
      predictOnInputGrid(predict, prepared[m], spatial, () => `${inferenceCase.origin}: the preprocessing (${options.models[m].preprocessingNodes.join(' → ')})`),
    );
    const probabilities = predictors.length === 1 ? predictors[0](image) : ensemblePredictor(predictors)(image);
    const classes = probabilities.shape[probabilities.shape.length - 1];
    let labels = argmaxChannelsLast(probabilities.data, classes);
    if (options.keepLargestComponent) labels = keepLargestComponent(labels, spatial, { mode: options.keepLargestComponent });
    if (options.fillHoles) labels = fillHoles(labels, spatial);

    const source = images[0];
    const fileName = basename(inferenceCase.imageFiles[0]);
    if (names.has(fileName)) throw new MicflowError('invalid-data', `${inferenceCase.origin}: another case already wrote ${fileName} to ${options.outDirectory}`);
    names.add(fileName);
    const labelFile = join(options.outDirectory, fileName);
    const pixelType = classes <= 256 ? 'uint8' : 'int32';
    await writeImage(labelFile, {
      data: pixelType === 'uint8' ? Uint8Array.from(labels) : labels,
      size: [...source.size],
      spacing: [...source.spacing],
      origin: [...source.origin],
      direction: [...source.direction],
      components: 1,
      pixelType,
    });
    if (options.probabilities) {
      await writeImage(join(options.outDirectory, `${id}_probabilities.nii.gz`), {
        data: probabilities.data,
        size: [...source.size],
        spacing: [...source.spacing],
        origin: [...source.origin],
        direction: [...source.direction],
        components: classes,
        pixelType: 'float32',
      });
    }
    written.push(labelFile);
    options.onCase?.({ id, labelFile, seconds: (performance.now() - started) / 1000 }, index, listed.length);
  }
  return written;
}

/**
 * Predicts a preprocessed sample and maps the probabilities back onto the input grid `spatial` through the inverse
 * of the sample's recorded spatial steps, newest first, with linear interpolation (as PyMIC's inverse transforms of
 * the prediction before the argmax). Where the preprocessing cut part of the input away (a crop), or a voxel lies
 * partly outside the network's view, the missing probability mass is given to class 0 (background): PyMIC's
 * zero-padded prediction has the same argmax, and the written probabilities still sum to 1.
 *
 * @throws MicflowError when the prediction's grid differs from the input's and no recorded steps map it back.
 */
export function predictOnInputGrid(
  predict: ProbabilityPredictor,
  prepared: ExtendedSample,
  spatial: readonly number[],
  describePreprocessing: () => string,
): ProbabilityMap {
  const probabilities = predict(prepared.image);
  const steps = prepared.spatialSteps ?? [];
  let mapped: ProbabilityMap = probabilities;
  try {
    if (steps.length) mapped = invertSpatialSteps(probabilities, steps, { channels: true, interpolation: 'linear' });
  } catch (error) {
    if (error instanceof MicflowError) throw new MicflowError(error.kind, `${describePreprocessing()}: ${error.message}`);
    throw error;
  }
  const mappedSpatial = mapped.shape.slice(0, -1);
  if (mappedSpatial.join('x') !== spatial.join('x')) {
    throw new MicflowError(
      'invalid-data',
      `${describePreprocessing()} turns size ${spatial.join('×')} into ${prepared.image.shape.slice(0, -1).join('×')}${steps.length ? `, and undoing its recorded steps gives ${mappedSpatial.join('×')}` : ' without recording how'}; predictions cannot be mapped back onto the input grid`,
    );
  }
  if (!steps.length) return probabilities;
  const classes = mapped.shape[mapped.shape.length - 1];
  const data = mapped.data;
  for (let v = 0; v < data.length; v += classes) {
    let sum = 0;
    for (let k = 0; k < classes; k++) sum += data[v + k];
    if (sum < 1) data[v] += 1 - sum;
  }
  return { data, shape: mapped.shape };
}

/** The cases of a CSV list or a folder of images, in order, each file checked to exist. */
export async function listInferenceCases(data: string, imageColumns: readonly string[]): Promise<InferenceCase[]> {
  const info = await stat(data).catch(() => undefined);
  if (!info) throw new MicflowError('invalid-argument', `--data ${data}: no such CSV list or folder`);
  if (info.isDirectory()) {
    const files = (await readdir(data)).filter((n) => IMAGE_FILE_PATTERN.test(n) && !n.startsWith('.')).sort();
    if (!files.length) throw new MicflowError('invalid-argument', `--data ${data}: the folder holds no image files`);
    return files.map((f) => ({ origin: join(data, f), imageFiles: [join(data, f)] }));
  }
  const table = await readCsvTable(data, imageColumns);
  const root = dirname(resolve(data));
  const cases = table.rows.map((row) => ({
    origin: `${data} line ${row.line}`,
    imageFiles: imageColumns.map((c) => (isAbsolute(row.values[c]) ? row.values[c] : join(root, row.values[c]))),
  }));
  for (const c of cases) {
    for (const file of c.imageFiles) {
      if (!(await stat(file).then((s) => s.isFile(), () => false))) throw new MicflowError('invalid-data', `${c.origin}: image ${file} does not exist`);
    }
  }
  if (!cases.length) throw new MicflowError('invalid-argument', `--data ${data}: the list has no rows`);
  return cases;
}

/** One channels-last image from one file per modality (each may itself have several components). */
function stackChannels(images: readonly MedicalImage[], inferenceCase: InferenceCase): ImageArray {
  const { shape } = rowMajorGrid(images[0]);
  for (const [i, image] of images.entries()) {
    if (image.size.join('x') !== images[0].size.join('x')) {
      throw new MicflowError('invalid-data', `${inferenceCase.origin}: ${inferenceCase.imageFiles[i]} is ${image.size.join('×')}, but ${inferenceCase.imageFiles[0]} is ${images[0].size.join('×')}`);
    }
  }
  if (shape.length !== 2 && shape.length !== 3) {
    throw new MicflowError('invalid-data', `${inferenceCase.origin}: ${inferenceCase.imageFiles[0]} is ${images[0].size.join('×')}; inference reads 2D or 3D images`);
  }
  const voxels = shape.reduce((a, b) => a * b, 1);
  const channels = images.reduce((n, image) => n + image.components, 0);
  const data = new Float32Array(voxels * channels);
  let offset = 0;
  for (const image of images) {
    const values = toFloat32(image);
    const c = image.components;
    for (let p = 0; p < voxels; p++) for (let k = 0; k < c; k++) data[p * channels + offset + k] = values[p * c + k];
    offset += c;
  }
  return { data, shape: [...shape, channels] };
}
