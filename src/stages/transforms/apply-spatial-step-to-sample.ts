import type { ExtendedSample } from '../../graph/sample.js';
import type { ImageArray, LabelArray } from '../../images/image-array.js';
import { gridToImage, gridToLabel, imageGrid, labelGrid, type Grid, type GridData } from '../../images/grid.js';
import { affinePositions, resampleAtPositions, type Interpolation } from '../../images/interpolation.js';
import { applySpatialStep, spacingAfterStep, type SpatialStep } from '../../images/spatial-steps.js';

/**
 * Applies a step to every spatial field of a sample: image and soft label/pixel weights with linear interpolation,
 * the label map with nearest; updates spacing and appends the step to `spatialSteps`.
 */
export function applySpatialStepToSample(sample: ExtendedSample, step: SpatialStep): ExtendedSample {
  // An affine step's input positions are computed once for every field.
  const positions = step.kind === 'affine' ? affinePositions(step.outputSpatial, step.outputToInput) : undefined;
  const apply = <T extends GridData>(grid: Grid<T>, interpolation: Interpolation): Grid<T> =>
    positions && step.kind === 'affine' ? resampleAtPositions(grid, step.outputSpatial, positions, interpolation) : applySpatialStep(grid, step, interpolation);
  const linear = (array: ImageArray | undefined) => (array ? gridToImage(apply(imageGrid(array), 'linear')) : undefined);
  const label: LabelArray | undefined = sample.label ? gridToLabel(apply(labelGrid(sample.label), 'nearest')) : undefined;
  return {
    ...sample,
    image: linear(sample.image)!,
    label,
    labelProbability: linear(sample.labelProbability),
    pixelWeight: linear(sample.pixelWeight),
    spacing: sample.spacing ? spacingAfterStep(sample.spacing, step) : undefined,
    spatialSteps: [...(sample.spatialSteps ?? []), step],
  };
}
