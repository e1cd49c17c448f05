/* Case assembly without Node: decode-case.ts (Node) reads files with readImage; the browser reads the opened files. */
import { MicflowError } from '../../errors/micflow-error.js';
import type { ImageArray, LabelArray } from '../../images/image-array.js';
import { toFloat32, type MedicalImage } from '../../io/medical-image.js';
import type { ExtendedSample } from '../../graph/sample.js';
import type { SeededRandom } from '../../runtime/seeded-random.js';
import type { DatasetRow } from './dataset-rows.js';

/** A case decoded into channels-last arrays (see src/graph/sample.ts). */
export interface DecodedCase {
  readonly image: ImageArray;
  readonly label?: LabelArray;
  readonly pixelWeight?: ImageArray;
  /** Per spatial axis, in the arrays' order (slowest first). */
  readonly spacing: number[];
}

/** What a decoded case must satisfy beyond consistent sizes. */
export interface DecodeExpectations {
  /** Label values must lie in [0, classes) (or be listed in `extraLabelValues`); null: any non-negative integer. */
  readonly classes: number | null;
  /** Label values allowed besides the classes, e.g. the "unannotated" value of scribbles. */
  readonly extraLabelValues: readonly number[];
}

/** Bytes a decoded case holds. */
export function decodedBytes(decoded: DecodedCase): number {
  return decoded.image.data.byteLength + (decoded.label?.data.byteLength ?? 0) + (decoded.pixelWeight?.data.byteLength ?? 0);
}

/**
 * The spatial size of an image in row-major order (slowest axis first): ITK's x-fastest size reversed, trailing
 * singleton axes beyond the second dropped, so a 2D slice stored as x×y×1 is a 2D image.
 */
export function spatialShapeOf(image: Pick<MedicalImage, 'size'>): number[] {
  let dimension = image.size.length;
  while (dimension > 2 && image.size[dimension - 1] === 1) dimension--;
  return image.size.slice(0, dimension).reverse();
}

/** "112×96" (x first, as viewers and ITK show sizes). */
function sizeText(image: MedicalImage): string {
  return spatialShapeOf(image).slice().reverse().join('×');
}

/**
 * Differences in physical placement (spacing, origin, direction) between two images of equal size, as readable text;
 * tolerance 1e-4 relative, which absorbs float32 header rounding.
 */
export function geometryMismatch(a: MedicalImage, b: MedicalImage): string | undefined {
  const close = (x: readonly number[], y: readonly number[]) => {
    const n = Math.min(x.length, y.length);
    for (let i = 0; i < n; i++) if (Math.abs(x[i] - y[i]) > 1e-4 * Math.max(1, Math.abs(x[i]), Math.abs(y[i]))) return false;
    return true;
  };
  const show = (v: readonly number[]) => `[${v.map((x) => Number(x.toPrecision(6))).join(', ')}]`;
  if (!close(a.spacing, b.spacing)) return `spacing ${show(b.spacing)} differs from ${show(a.spacing)}`;
  if (!close(a.origin, b.origin)) return `origin ${show(b.origin)} differs from ${show(a.origin)}`;
  if (a.direction.length === b.direction.length && !close(a.direction, b.direction)) return `direction ${show(b.direction)} differs from ${show(a.direction)}`;
  return undefined;
}

/**
 * Reads (with `readImage`: files in Node, opened files in the browser) and checks one row's images: every modality and the label/pixel weight must have the first image's size and
 * geometry; images must hold finite values only; the label must be one integer component with values in the declared
 * classes. Every failure is one
 * MicflowError naming the row and the file.
 */
export async function assembleCase(row: DatasetRow, expectations: DecodeExpectations, readImage: (file: string) => Promise<MedicalImage>): Promise<DecodedCase> {
  const read = async (file: string) => {
    try {
      return await readImage(file);
    } catch (error) {
      throw new MicflowError('invalid-data', `${row.origin}: ${error instanceof Error ? error.message : String(error)}`);
    }
  };
  const images = await Promise.all(row.images.map(read));
  const first = images[0];
  const shape = spatialShapeOf(first);
  const points = shape.reduce((a, b) => a * b, 1);
  const sameGrid = (other: MedicalImage, file: string, what: string) => {
    if (spatialShapeOf(other).join() !== shape.join()) {
      throw new MicflowError('invalid-data', `${row.origin}: ${what} ${file} is ${sizeText(other)}, but image ${row.images[0]} is ${sizeText(first)}`);
    }
    const mismatch = geometryMismatch(first, other);
    if (mismatch) throw new MicflowError('invalid-data', `${row.origin}: ${what} ${file} does not overlay image ${row.images[0]}: ${mismatch}`);
  };
  images.slice(1).forEach((image, i) => sameGrid(image, row.images[i + 1], 'image'));

  const channels = images.reduce((n, image) => n + image.components, 0);
  const data = new Float32Array(points * channels);
  let offset = 0;
  for (const [i, image] of images.entries()) {
    const values = toFloat32(image);
    const c = image.components;
    let nonFinite = 0;
    for (let p = 0; p < points; p++) {
      for (let k = 0; k < c; k++) {
        const v = values[p * c + k];
        if (!Number.isFinite(v)) nonFinite++;
        data[p * channels + offset + k] = v;
      }
    }
    if (nonFinite) {
      throw new MicflowError('invalid-data', `${row.origin}: image ${row.images[i]} holds ${nonFinite} NaN or infinite value${nonFinite === 1 ? '' : 's'} (of ${points * c}); fix or mask them before training`);
    }
    offset += c;
  }

  let label: LabelArray | undefined;
  if (row.label) {
    const labelImage = await read(row.label);
    sameGrid(labelImage, row.label, 'label');
    if (labelImage.components !== 1) {
      throw new MicflowError('invalid-data', `${row.origin}: label ${row.label} has ${labelImage.components} components per pixel; a label map has one`);
    }
    label = { data: labelValues(labelImage, row.label, row.origin, expectations), shape };
  }

  let pixelWeight: ImageArray | undefined;
  if (row.pixelWeight) {
    const weightImage = await read(row.pixelWeight);
    sameGrid(weightImage, row.pixelWeight, 'pixel weight');
    if (weightImage.components !== 1) {
      throw new MicflowError('invalid-data', `${row.origin}: pixel weight ${row.pixelWeight} has ${weightImage.components} components per pixel; it needs one`);
    }
    pixelWeight = { data: Float32Array.from(toFloat32(weightImage)), shape: [...shape, 1] };
  }
  return {
    image: { data, shape: [...shape, channels] },
    label,
    pixelWeight,
    spacing: first.spacing.slice(0, shape.length).reverse(),
  };
}

function labelValues(image: MedicalImage, file: string, origin: string, expectations: DecodeExpectations): Int32Array {
  const values = toFloat32(image);
  const ints = new Int32Array(values.length);
  const extra = new Set(expectations.extraLabelValues);
  const { classes } = expectations;
  for (let i = 0; i < values.length; i++) {
    const v = values[i];
    if (!Number.isInteger(v) || v < 0) {
      throw new MicflowError('invalid-data', `${origin}: label ${file} holds ${v}, not a class index (a non-negative integer)`);
    }
    if (classes !== null && v >= classes && !extra.has(v)) {
      throw new MicflowError('invalid-data', `${origin}: label ${file} holds ${v}, outside the ${classes} declared classes (0..${classes - 1})`);
    }
    ints[i] = v;
  }
  return ints;
}

/** The sample a dataset gives for one decoded row (CsvDataset in Node, OpenedFilesDataset in the browser). */
export function sampleOfCase(row: DatasetRow, decoded: DecodedCase, random: SeededRandom): ExtendedSample {
  return {
    id: row.id,
    origin: row.origin,
    image: decoded.image,
    label: decoded.label,
    spacing: decoded.spacing,
    random,
    ...(decoded.pixelWeight ? { pixelWeight: decoded.pixelWeight } : {}),
    ...(row.weight !== undefined ? { imageWeight: row.weight } : {}),
  };
}
