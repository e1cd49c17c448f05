import { z } from 'zod';
import { MicflowError } from '../errors/micflow-error.js';
import type { LabelArray } from '../images/image-array.js';
import { labelConnectedComponents } from '../images/connected-components.js';
import { SeededRandom } from '../runtime/seeded-random.js';
import { axesScale, multiplyMatrices, planeRotation } from '../images/affine-matrices.js';
import { centredAffine, resampleAffine } from '../images/interpolation.js';
import { ballOffsets, classPixelCounts, coordinatesOf, distanceToFeatures, forEachOffsetPoint, indexAt, labelGridOf } from './label-grid.js';
import { parseWeakLabelOptions } from './parse-weak-label-options.js';

const GENERATOR = 'label noise generator';
/** The class that erosion, shifts, dropped components and affine borders leave behind, and that dilation and blobs grow into. */
const BACKGROUND = 0;

const probability = (fallback: number) => z.number().min(0).max(1).default(fallback);
const radiusRange = (fallback: { min: number; max: number }) =>
  z
    .object({ min: z.number().int().min(1).max(16), max: z.number().int().min(1).max(16) })
    .strict()
    .refine((r) => r.min <= r.max, { message: 'min must not exceed max' })
    .default(fallback);

export const labelNoiseOptionsSchema = z
  .object({
    /** Number of classes; label values must lie in 0..classes−1, class 0 being the background. */
    classes: z.number().int().min(2).max(65535),
    /** Seed of the case selection and of every perturbation. */
    seed: z.number().int(),
    /** Fraction of the cases that get noisy labels (round(fraction · cases) of them, chosen at random). */
    fraction: z.number().min(0).max(1).default(0.5),
    /** Per foreground class present: erode it by a ball of a radius drawn in the range (eroded pixels become background). */
    erosion: z.object({ probability: probability(0.3), radius: radiusRange({ min: 1, max: 2 }) }).strict().prefault({}),
    /** Per foreground class present and not eroded: dilate it into the background by a ball of a radius drawn in the range. */
    dilation: z.object({ probability: probability(0.3), radius: radiusRange({ min: 1, max: 2 }) }).strict().prefault({}),
    /** Per foreground class present: translate its mask by up to maxPixels along every axis (boundary shift). */
    shift: z.object({ probability: probability(0.25), maxPixels: z.number().int().min(1).max(32).default(3) }).strict().prefault({}),
    /** Per case: rotate (in the last two axes' plane) and scale the whole label map about its centre, nearest neighbour. */
    affine: z
      .object({
        probability: probability(0.3),
        maxRotationDegrees: z.number().min(0).max(45).default(6),
        maxScale: z.number().min(0).max(0.5).default(0.06),
      })
      .strict()
      .prefault({}),
    /** Per case: remove one connected component of a class that has several (a missed structure). */
    dropComponent: z.object({ probability: probability(0.2) }).strict().prefault({}),
    /** Per case: add a small ball of a foreground class in the background, away from every structure (a false positive). */
    spuriousComponent: z.object({ probability: probability(0.3), radius: radiusRange({ min: 1, max: 3 }) }).strict().prefault({}),
  })
  .strict()
  .refine((o) => o.erosion.probability + o.dilation.probability <= 1, {
    message: 'erosion.probability + dilation.probability must not exceed 1 (a class is eroded, dilated or neither)',
    path: ['dilation', 'probability'],
  });

export type LabelNoiseOptions = z.input<typeof labelNoiseOptionsSchema>;
type ParsedLabelNoiseOptions = z.output<typeof labelNoiseOptionsSchema>;

/** One simulated annotation error, as applied. */
export type LabelNoiseOperation =
  | { readonly kind: 'erosion'; readonly classIndex: number; readonly radius: number }
  | { readonly kind: 'dilation'; readonly classIndex: number; readonly radius: number }
  | { readonly kind: 'shift'; readonly classIndex: number; readonly offset: readonly number[] }
  | { readonly kind: 'affine'; readonly rotationDegrees: number; readonly scale: number }
  | { readonly kind: 'drop-component'; readonly classIndex: number; readonly pixels: number }
  | { readonly kind: 'spurious-component'; readonly classIndex: number; readonly radius: number; readonly centre: readonly number[] };

export interface NoisyLabelSet {
  /** Whether each case was chosen for noise (exactly round(fraction · cases) are). */
  readonly noisy: readonly boolean[];
  /** Per case: the perturbed label map, or an exact copy of the input for cases not chosen. */
  readonly labels: readonly LabelArray[];
  /** Per case: the errors applied (empty for cases not chosen). */
  readonly operations: readonly (readonly LabelNoiseOperation[])[];
}

/**
 * Simulated annotation errors for noisy-label learning (the label-noise simulations of Zhang et al., "Characterizing
 * label errors: confident learning for noisy-labeled image segmentation", MICCAI 2020, and of DAST: Yang et al.,
 * "DAST: Divergence-aware self-training for medical image segmentation with noisy labels", which PyMIC's noisy-label
 * examples follow): round(fraction · n) cases, chosen with the seed, get random erosions/dilations, boundary shifts,
 * small affine distortions, dropped and spurious components ({@link perturbLabel}); the others come back as exact
 * copies. Each case's noise is drawn from a stream derived from the seed and the case's key (its index unless `keys`
 * are given), so it does not depend on the other cases.
 *
 * @throws MicflowError('invalid-argument') for an unknown or out-of-range option (naming it) or keys that do not match
 * the cases; ('invalid-data') for a label value outside 0..classes−1.
 */
export function makeNoisyLabelSet(labels: readonly LabelArray[], options: LabelNoiseOptions, keys?: readonly string[]): NoisyLabelSet {
  const o = parseWeakLabelOptions(labelNoiseOptionsSchema, options, GENERATOR);
  if (keys && (keys.length !== labels.length || new Set(keys).size !== keys.length)) {
    throw new MicflowError('invalid-argument', `${GENERATOR}: expected ${labels.length} distinct case keys, got ${keys.length} (${new Set(keys).size} distinct)`);
  }
  const root = new SeededRandom(o.seed);
  const count = Math.round(o.fraction * labels.length);
  const chosen = new Set(root.derive('selection').shuffle(labels.map((_, i) => i)).slice(0, count));
  const out: LabelArray[] = [];
  const operations: LabelNoiseOperation[][] = [];
  labels.forEach((label, i) => {
    if (!chosen.has(i)) {
      out.push({ data: Int32Array.from(label.data), shape: [...label.shape] });
      operations.push([]);
      return;
    }
    const result = perturbParsed(label, o, root.derive('case', keys ? keys[i] : i));
    out.push(result.label);
    operations.push(result.operations);
  });
  return { noisy: labels.map((_, i) => chosen.has(i)), labels: out, operations };
}

/**
 * One noisy version of `label` (2D or 3D), drawn with `random`: per foreground class present, erosion or dilation
 * (probabilities `erosion.probability`, `dilation.probability`) and a shift; then per case a dropped component, a
 * spurious blob and an affine distortion, each with its probability. A draw that leaves the map unchanged (nothing
 * drawn, or no-ops such as eroding a class the grid is full of) is followed by a forced 1-pixel dilation of a random
 * class present, or a spurious blob when there is no foreground, so a chosen case always differs from its clean label
 * whenever that is possible. The options are {@link makeNoisyLabelSet}'s without `fraction` and `seed` (`random` draws).
 */
export function perturbLabel(
  label: LabelArray,
  options: Omit<LabelNoiseOptions, 'fraction' | 'seed'>,
  random: SeededRandom,
): { label: LabelArray; operations: LabelNoiseOperation[] } {
  return perturbParsed(label, parseWeakLabelOptions(labelNoiseOptionsSchema, { ...options, seed: random.seed, fraction: 1 }, GENERATOR), random);
}

function perturbParsed(label: LabelArray, o: ParsedLabelNoiseOptions, random: SeededRandom): { label: LabelArray; operations: LabelNoiseOperation[] } {
  const counts = classPixelCounts(label, o.classes, GENERATOR);
  labelGridOf(label, GENERATOR);
  const present = counts.map((n, c) => (c !== BACKGROUND && n > 0 ? c : -1)).filter((c) => c >= 0);
  const operations: LabelNoiseOperation[] = [];
  let current: LabelArray = label;
  const between = (range: { min: number; max: number }) => range.min + random.integer(range.max - range.min + 1);

  for (const c of present) {
    const u = random.uniform();
    if (u < o.erosion.probability) {
      const radius = between(o.erosion.radius);
      current = erodeClass(current, c, radius);
      operations.push({ kind: 'erosion', classIndex: c, radius });
    } else if (u < o.erosion.probability + o.dilation.probability) {
      const radius = between(o.dilation.radius);
      current = dilateClass(current, c, radius);
      operations.push({ kind: 'dilation', classIndex: c, radius });
    }
  }
  for (const c of present) {
    if (random.uniform() >= o.shift.probability) continue;
    let offset: number[];
    do offset = label.shape.map(() => random.integer(2 * o.shift.maxPixels + 1) - o.shift.maxPixels);
    while (offset.every((d) => d === 0));
    current = shiftClass(current, c, offset);
    operations.push({ kind: 'shift', classIndex: c, offset });
  }
  if (random.uniform() < o.dropComponent.probability) {
    const dropped = dropRandomComponent(current, o.classes, random);
    if (dropped) {
      current = dropped.label;
      operations.push({ kind: 'drop-component', classIndex: dropped.classIndex, pixels: dropped.pixels });
    }
  }
  if (random.uniform() < o.spuriousComponent.probability) {
    const added = addRandomBlob(current, o.classes, between(o.spuriousComponent.radius), present, random);
    if (added) {
      current = added.label;
      operations.push(added.operation);
    }
  }
  if (random.uniform() < o.affine.probability) {
    const rotationDegrees = random.uniformIn(-o.affine.maxRotationDegrees, o.affine.maxRotationDegrees);
    const scale = random.uniformIn(1 - o.affine.maxScale, 1 + o.affine.maxScale);
    current = distortLabelAffine(current, (rotationDegrees * Math.PI) / 180, scale);
    operations.push({ kind: 'affine', rotationDegrees, scale });
  }
  if (sameLabels(current, label)) {
    const c = present.length ? present[random.integer(present.length)] : -1;
    const dilated = c >= 0 ? dilateClass(current, c, 1) : current;
    if (c >= 0 && !sameLabels(dilated, current)) {
      current = dilated;
      operations.push({ kind: 'dilation', classIndex: c, radius: 1 });
    } else {
      const added = addRandomBlob(current, o.classes, 1, present, random);
      if (added) {
        current = added.label;
        operations.push(added.operation);
      }
    }
  }
  return { label: current === label ? copyLabel(label) : current, operations };
}

/**
 * Erosion of class `classIndex` by a Euclidean ball of `radius` pixels: its pixels within `radius` of a pixel of another
 * class become `fill` (background); every other pixel is unchanged. The grid's edge does not erode (the structure
 * may continue beyond the crop).
 */
export function erodeClass(label: LabelArray, classIndex: number, radius: number, fill = BACKGROUND): LabelArray {
  const grid = labelGridOf(label, GENERATOR);
  const other = new Uint8Array(grid.total);
  for (let i = 0; i < grid.total; i++) other[i] = label.data[i] === classIndex ? 0 : 1;
  const distance = distanceToFeatures(other, grid);
  const out = Int32Array.from(label.data);
  for (let i = 0; i < grid.total; i++) if (label.data[i] === classIndex && distance[i] <= radius) out[i] = fill;
  return { data: out, shape: [...label.shape] };
}

/**
 * Dilation of class `classIndex` by a Euclidean ball of `radius` pixels, into `into` (background) pixels only: other
 * classes are never overwritten, so a dilation only adds pixels to the class and only takes them from the background.
 */
export function dilateClass(label: LabelArray, classIndex: number, radius: number, into = BACKGROUND): LabelArray {
  const grid = labelGridOf(label, GENERATOR);
  const member = new Uint8Array(grid.total);
  for (let i = 0; i < grid.total; i++) member[i] = label.data[i] === classIndex ? 1 : 0;
  const distance = distanceToFeatures(member, grid);
  const out = Int32Array.from(label.data);
  for (let i = 0; i < grid.total; i++) if (label.data[i] === into && distance[i] <= radius) out[i] = classIndex;
  return { data: out, shape: [...label.shape] };
}

/**
 * Translates the mask of `classIndex` by `offset` (one integer per axis of the label, e.g. [dy, dx]): its old pixels
 * become background, then the moved mask is painted over background pixels only (other classes stay; parts moved off
 * the grid are lost).
 */
export function shiftClass(label: LabelArray, classIndex: number, offset: readonly number[]): LabelArray {
  const grid = labelGridOf(label, GENERATOR);
  if (offset.length !== label.shape.length || offset.some((d) => !Number.isInteger(d))) {
    throw new MicflowError('invalid-argument', `${GENERATOR}: a shift needs one integer per axis (${label.shape.length}), got [${offset.join(', ')}]`);
  }
  const [dz, dy, dx] = offset.length === 3 ? offset : [0, offset[0], offset[1]];
  const out = Int32Array.from(label.data);
  for (let i = 0; i < grid.total; i++) if (label.data[i] === classIndex) out[i] = BACKGROUND;
  for (let i = 0; i < grid.total; i++) {
    if (label.data[i] !== classIndex) continue;
    const [z, y, x] = coordinatesOf(grid, i);
    const j = indexAt(grid, z + dz, y + dy, x + dx);
    if (j >= 0 && out[j] === BACKGROUND) out[j] = classIndex;
  }
  return { data: out, shape: [...label.shape] };
}

/**
 * Rotates the label map by `radians` in the plane of its last two axes (the image plane; in-plane for a 3D volume)
 * and scales it by `scale` along every axis, about the grid centre, with nearest-neighbour interpolation (labels stay
 * labels); points mapped from outside the grid become background. Uses the transforms' affine resampler.
 */
export function distortLabelAffine(label: LabelArray, radians: number, scale: number): LabelArray {
  const grid = labelGridOf(label, GENERATOR);
  if (!(scale > 0) || !Number.isFinite(radians)) {
    throw new MicflowError('invalid-argument', `${GENERATOR}: an affine distortion needs a positive scale and a finite angle, got scale ${scale}, angle ${radians}`);
  }
  const n = label.shape.length;
  // Output offset from the centre → input offset: undo the rotation, then the scale.
  const linear = multiplyMatrices(n, axesScale(n, label.shape.map((_, a) => a), 1 / scale), planeRotation(n, n - 2, n - 1, -radians));
  const resampled = resampleAffine({ data: label.data, spatial: label.shape, channels: 1 }, label.shape, centredAffine(label.shape, linear), 'nearest', BACKGROUND);
  if (resampled.data.length !== grid.total) throw new MicflowError('invalid-shape', `${GENERATOR}: affine resampling changed the grid size`);
  return { data: resampled.data, shape: [...label.shape] };
}

/**
 * Removes one connected component (full connectivity) of class `classIndex`, the one numbered `component` (1-based, in
 * raster order of first pixels as {@link labelConnectedComponents}): its pixels become background.
 */
export function dropComponent(label: LabelArray, classIndex: number, component: number): LabelArray {
  const grid = labelGridOf(label, GENERATOR);
  const member = new Uint8Array(grid.total);
  for (let i = 0; i < grid.total; i++) member[i] = label.data[i] === classIndex ? 1 : 0;
  const { components, sizes } = labelConnectedComponents(member, grid.shape, 'full');
  if (!(component >= 1 && component < sizes.length)) {
    throw new MicflowError('invalid-argument', `${GENERATOR}: class ${classIndex} has ${sizes.length - 1} components, no component ${component}`);
  }
  const out = Int32Array.from(label.data);
  for (let i = 0; i < grid.total; i++) if (components[i] === component) out[i] = BACKGROUND;
  return { data: out, shape: [...label.shape] };
}

/** Paints a Euclidean ball of `radius` around `centre` (one coordinate per axis) with `classIndex`, over background pixels only. */
export function addBlob(label: LabelArray, classIndex: number, centre: readonly number[], radius: number): LabelArray {
  const grid = labelGridOf(label, GENERATOR);
  const [z, y, x] = centre.length === 3 ? centre : [0, centre[0], centre[1]];
  const index = indexAt(grid, z, y, x);
  if (centre.length !== label.shape.length || index < 0) {
    throw new MicflowError('invalid-argument', `${GENERATOR}: blob centre [${centre.join(', ')}] is not a point of the ${label.shape.join('×')} grid`);
  }
  const out = Int32Array.from(label.data);
  forEachOffsetPoint(grid, index, ballOffsets(grid, radius), (i) => {
    if (out[i] === BACKGROUND) out[i] = classIndex;
  });
  return { data: out, shape: [...label.shape] };
}

function dropRandomComponent(label: LabelArray, classes: number, random: SeededRandom): { label: LabelArray; classIndex: number; pixels: number } | undefined {
  const grid = labelGridOf(label, GENERATOR);
  const candidates: Array<{ classIndex: number; component: number; pixels: number }> = [];
  for (let c = 1; c < classes; c++) {
    const member = new Uint8Array(grid.total);
    for (let i = 0; i < grid.total; i++) member[i] = label.data[i] === c ? 1 : 0;
    const { sizes } = labelConnectedComponents(member, grid.shape, 'full');
    // Only classes with several components: dropping the only one would erase the class from the case.
    if (sizes.length > 2) for (let k = 1; k < sizes.length; k++) candidates.push({ classIndex: c, component: k, pixels: sizes[k] });
  }
  if (candidates.length === 0) return undefined;
  const pick = candidates[random.integer(candidates.length)];
  return { label: dropComponent(label, pick.classIndex, pick.component), classIndex: pick.classIndex, pixels: pick.pixels };
}

/**
 * A blob of a random foreground class (one present if any) centred on a random background pixel farther than radius + 2
 * from the foreground, so the blob is a separate component even under full connectivity (√3 < 2).
 */
function addRandomBlob(
  label: LabelArray,
  classes: number,
  radius: number,
  present: readonly number[],
  random: SeededRandom,
): { label: LabelArray; operation: LabelNoiseOperation } | undefined {
  const grid = labelGridOf(label, GENERATOR);
  const foreground = new Uint8Array(grid.total);
  for (let i = 0; i < grid.total; i++) foreground[i] = label.data[i] !== BACKGROUND ? 1 : 0;
  const distance = distanceToFeatures(foreground, grid);
  const centres: number[] = [];
  for (let i = 0; i < grid.total; i++) if (distance[i] > radius + 2) centres.push(i);
  if (centres.length === 0) return undefined;
  const centreIndex = centres[random.integer(centres.length)];
  const choices = present.length ? present : Array.from({ length: classes - 1 }, (_, k) => k + 1);
  const classIndex = choices[random.integer(choices.length)];
  const [z, y, x] = coordinatesOf(grid, centreIndex);
  const centre = label.shape.length === 3 ? [z, y, x] : [y, x];
  return { label: addBlob(label, classIndex, centre, radius), operation: { kind: 'spurious-component', classIndex, radius, centre } };
}

function sameLabels(a: LabelArray, b: LabelArray): boolean {
  if (a.data.length !== b.data.length) return false;
  for (let i = 0; i < a.data.length; i++) if (a.data[i] !== b.data[i]) return false;
  return true;
}

function copyLabel(label: LabelArray): LabelArray {
  return { data: Int32Array.from(label.data), shape: [...label.shape] };
}
