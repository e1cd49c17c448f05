import { z } from 'zod';
import { MicflowError } from '../../errors/micflow-error.js';
import type { Sample } from '../../graph/sample.js';
import type { SeededRandom } from '../../runtime/seeded-random.js';

/**
 * Probability that a random transform is applied to a sample (otherwise the sample passes unchanged), documented in
 * the schema; `pymicKey` names PyMIC's param for it where PyMIC has the transform.
 */
export function probabilityParam(pymicKey?: string) {
  const pymic = pymicKey ? ` (PyMIC \`${pymicKey}\`)` : '';
  return z.number().min(0).max(1).describe(`Probability (0..1) that the transform is applied to a sample; otherwise it passes unchanged${pymic}`);
}

/**
 * A [low, high] interval (low ≤ high) to draw a value from; `description` says what is drawn, its unit and PyMIC's
 * param, since that differs in every transform.
 */
export function rangeParam(description: string) {
  return z
    .tuple([z.number(), z.number()])
    .refine(([low, high]) => low <= high, { message: 'range must be [low, high] with low <= high' })
    .describe(description);
}

/**
 * A size in grid points per spatial axis ([H, W] or [D, H, W]); `description` says which size (an output size, a
 * minimum, a box) and PyMIC's param.
 */
export function spatialSizeParam(description: string) {
  return z.array(z.number().int().positive()).min(2).max(3).describe(description);
}

/** A uniform draw from a [low, high] interval. */
export function drawFrom(range: readonly [number, number], random: SeededRandom): number {
  return range[0] + (range[1] - range[0]) * random.uniform();
}

/** Number of spatial axes of a sample's image (2 or 3). */
export function spatialDimension(sample: Sample): number {
  return sample.image.shape.length - 1;
}

/** The image's spatial size. */
export function spatialSizeOf(sample: Sample): number[] {
  return sample.image.shape.slice(0, -1);
}

/** Checks that a per-axis parameter has one entry per spatial axis of the sample, naming the sample and node otherwise. */
export function requirePerAxis<T>(sample: Sample, values: readonly T[], parameter: string, nodeName: string): readonly T[] {
  const dimension = spatialDimension(sample);
  if (values.length !== dimension) {
    throw new MicflowError(
      'invalid-shape',
      `${sample.origin}: ${nodeName}'s ${parameter} has ${values.length} entries, but the image has ${dimension} spatial axes (shape ${sample.image.shape.join('×')})`,
    );
  }
  return values;
}

/** Throws when a transform needs the label map and the sample has none. */
export function requireLabel(sample: Sample, nodeName: string): NonNullable<Sample['label']> {
  if (!sample.label) throw new MicflowError('invalid-data', `${sample.origin}: ${nodeName} needs a label map, but the sample has none`);
  return sample.label;
}
