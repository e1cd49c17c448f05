import { MicflowError } from '../errors/micflow-error.js';
import type { MedicalImage } from './medical-image.js';

/**
 * The image's grid in micflow's row-major order (slowest axis first): ITK's size/spacing reversed, so a NIfTI of size
 * [x, y, z] becomes shape [z, y, x]; the pixel data needs no reordering. Trailing singleton axes of the ITK size (a 2D
 * slice stored as x×y×1) are dropped, so such a file is a 2D grid.
 */
export function rowMajorGrid(image: Pick<MedicalImage, 'size' | 'spacing'>): { shape: number[]; spacing: number[] } {
  let dimension = image.size.length;
  while (dimension > 2 && image.size[dimension - 1] === 1) dimension--;
  return {
    shape: image.size.slice(0, dimension).reverse(),
    spacing: image.spacing.slice(0, dimension).reverse(),
  };
}

/**
 * Differences between two images' geometry (size, spacing, origin, direction), as readable lines; empty when they
 * match. Spacing, origin and direction are compared with a tolerance of 1e-4 (relative for values above 1), which
 * absorbs the float32 rounding of NIfTI headers.
 */
export function geometryDifferences(a: MedicalImage, b: MedicalImage): string[] {
  const problems: string[] = [];
  const close = (x: readonly number[], y: readonly number[]) =>
    x.length === y.length && x.every((v, i) => Math.abs(v - y[i]) <= 1e-4 * Math.max(1, Math.abs(v), Math.abs(y[i])));
  const show = (v: readonly number[]) => `[${v.map((x) => Number(x.toPrecision(6))).join(', ')}]`;
  if (a.size.join('x') !== b.size.join('x')) problems.push(`size ${a.size.join('×')} vs ${b.size.join('×')}`);
  if (!close(a.spacing, b.spacing)) problems.push(`spacing ${show(a.spacing)} vs ${show(b.spacing)}`);
  if (!close(a.origin, b.origin)) problems.push(`origin ${show(a.origin)} vs ${show(b.origin)}`);
  if (!close(a.direction, b.direction)) problems.push(`direction ${show(a.direction)} vs ${show(b.direction)}`);
  return problems;
}

/**
 * The label map of a single-component image as integers, row-major (see {@link rowMajorGrid}).
 * @throws MicflowError('invalid-data') naming `file` when the image has several components or a non-integer value.
 */
export function labelValues(image: MedicalImage, file: string): Int32Array {
  if (image.components !== 1) {
    throw new MicflowError('invalid-data', `${file} has ${image.components} components per pixel; a label map has one`);
  }
  const { data } = image;
  const out = new Int32Array(data.length);
  for (let i = 0; i < data.length; i++) {
    const v = Number(data[i]);
    if (!Number.isInteger(v) || v < -(2 ** 31) || v >= 2 ** 31) {
      throw new MicflowError('invalid-data', `${file} holds ${v} at pixel ${i}, not an integer label`);
    }
    out[i] = v;
  }
  return out;
}
