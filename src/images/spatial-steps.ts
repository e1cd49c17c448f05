import { MicflowError } from '../errors/micflow-error.js';
import type { ImageArray, LabelArray } from './image-array.js';
import { cropOrPad, embedSlice, extractSlice, flipAxes, inversePermutation, rotate90, transposeAxes } from './grid-index-math.js';
import { gridToImage, gridToLabel, imageGrid, labelGrid, type Grid, type GridData } from './grid.js';
import { affinePositions, invertAffine, resampleAffine, resampleAtPositions, type IndexAffine, type Interpolation } from './interpolation.js';

/**
 * One grid-changing step a transform applied, recorded on the sample so that a prediction made on the transformed
 * grid can be mapped back onto the original one (test-time augmentation, sliding windows, writing results).
 * Axes are spatial axes of the grid as it was when the step ran.
 */
export type SpatialStep =
  /** output[p] = input[p + offset] (crop where offset ≥ 0 and the output is smaller, pad otherwise). */
  | { readonly kind: 'window'; readonly inputSpatial: readonly number[]; readonly offset: readonly number[]; readonly outputSpatial: readonly number[] }
  | { readonly kind: 'flip'; readonly axes: readonly boolean[] }
  | { readonly kind: 'transpose'; readonly permutation: readonly number[] }
  | { readonly kind: 'rotate90'; readonly first: number; readonly second: number; readonly turns: number }
  /** Resampling through an affine index map (resize, resample to a spacing, rotation, scale, shear). */
  | { readonly kind: 'affine'; readonly inputSpatial: readonly number[]; readonly outputSpatial: readonly number[]; readonly outputToInput: IndexAffine }
  /** A 2D slice taken at `index` along `axis` of a 3D grid. */
  | { readonly kind: 'slice'; readonly inputSpatial: readonly number[]; readonly axis: number; readonly index: number }
  /** A dense random deformation (elastic); recorded so that inversion refuses it rather than silently misplacing a prediction. */
  | { readonly kind: 'deformation'; readonly transform: string };

/** Applies one step to a grid (forward). */
export function applySpatialStep<T extends GridData>(grid: Grid<T>, step: SpatialStep, interpolation: Interpolation): Grid<T> {
  switch (step.kind) {
    case 'window':
      return cropOrPad(grid, step.offset, step.outputSpatial);
    case 'flip':
      return flipAxes(grid, step.axes);
    case 'transpose':
      return transposeAxes(grid, step.permutation);
    case 'rotate90':
      return rotate90(grid, step.first, step.second, step.turns);
    case 'affine':
      return resampleAffine(grid, step.outputSpatial, step.outputToInput, interpolation);
    case 'slice':
      return extractSlice(grid, step.axis, step.index);
    case 'deformation':
      throw new RangeError('a deformation step is applied by its transform, not replayed');
  }
}

/** Undoes one step on a grid defined on the step's output (parts cut away come back as 0). */
export function invertSpatialStep<T extends GridData>(grid: Grid<T>, step: SpatialStep, interpolation: Interpolation): Grid<T> {
  switch (step.kind) {
    case 'window':
      return cropOrPad(grid, step.offset.map((o) => -o), step.inputSpatial);
    case 'flip':
      return flipAxes(grid, step.axes);
    case 'transpose':
      return transposeAxes(grid, inversePermutation(step.permutation));
    case 'rotate90':
      return rotate90(grid, step.first, step.second, -step.turns);
    case 'affine':
      return resampleAffine(grid, step.inputSpatial, invertAffine(step.outputToInput, step.inputSpatial.length), interpolation);
    case 'slice':
      return embedSlice(grid, step.inputSpatial, step.axis, step.index);
    case 'deformation':
      throw new MicflowError('invalid-argument', `a prediction cannot be mapped back through ${step.transform} (a random deformation is not invertible); leave it out of inference pipelines`);
  }
}

/**
 * Maps a channels-last array computed on the transformed grid (a probability map [...spatial, C] with
 * `channels: true`, or a label map [...spatial]) back onto the grid the steps started from, undoing the steps
 * newest first. Use 'linear' for probabilities and 'nearest' for labels.
 */
export function invertSpatialSteps<T extends GridData>(
  array: { readonly data: T; readonly shape: readonly number[] },
  steps: readonly SpatialStep[],
  options: { readonly channels: boolean; readonly interpolation: Interpolation },
): { data: T; shape: number[] } {
  let grid: Grid<T> = options.channels
    ? { data: array.data, spatial: array.shape.slice(0, -1), channels: array.shape[array.shape.length - 1] }
    : { data: array.data, spatial: array.shape.slice(), channels: 1 };
  for (let i = steps.length - 1; i >= 0; i--) grid = invertSpatialStep(grid, steps[i], options.interpolation);
  return { data: grid.data, shape: options.channels ? [...grid.spatial, grid.channels] : [...grid.spatial] };
}

/** Spacing after a step (spacing is per spatial axis in the grid's order). */
export function spacingAfterStep(spacing: readonly number[], step: SpatialStep): number[] {
  switch (step.kind) {
    case 'transpose':
      return step.permutation.map((p) => spacing[p]);
    case 'rotate90':
      return Math.abs(step.turns) % 2 === 1
        ? spacing.map((s, a) => (a === step.first ? spacing[step.second] : a === step.second ? spacing[step.first] : s))
        : [...spacing];
    case 'affine': {
      const n = spacing.length;
      // Exact for resizes (diagonal maps); a rotation keeps the spacing.
      return spacing.map((s, a) => {
        const row = step.outputToInput.slice(a * (n + 1), a * (n + 1) + n);
        const diagonal = row.every((v, c) => c === a || v === 0);
        return diagonal ? s * Math.abs(row[a]) : s;
      });
    }
    case 'slice':
      return spacing.filter((_, a) => a !== step.axis);
    default:
      return [...spacing];
  }
}
