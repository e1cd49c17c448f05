import { z } from 'zod';
import type { Sample, ExtendedSample } from '../../graph/sample.js';
import type { LabelArray } from '../../images/image-array.js';
import type { SeededRandom } from '../../runtime/seeded-random.js';
import { gaussianFilter } from '../../images/gaussian-filter.js';
import { forEachGridPoint, gridToImage, gridToLabel, imageGrid, labelGrid, pointCount, type Grid, type GridData } from '../../images/grid.js';
import { resampleAtPositions, type Interpolation } from '../../images/interpolation.js';
import { SampleTransformStage } from './sample-transform-stage.js';
import { probabilityParam, spatialSizeOf } from './transform-params.js';

const params = z
  .object({
    alpha: z.number().nonnegative().default(10).describe('Displacement scale α in grid points: the smoothed uniform(−1, 1) field is multiplied by it'),
    sigma: z.number().positive().default(4).describe('Smoothness σ of the displacement field in grid points (the width of the Gaussian that smooths the noise)'),
    probability: probabilityParam().default(0.5),
  })
  .strict();

/**
 * Elastic deformation (Simard et al., "Best practices for convolutional neural networks applied to visual document
 * analysis", ICDAR 2003): per axis, a displacement field of uniform(−1, 1) noise smoothed by a Gaussian of width σ
 * and scaled by α; image resampled linearly and label by nearest neighbour at the displaced positions. The grid
 * keeps its size; the step is recorded as a non-invertible deformation.
 */
export class ElasticDeformation extends SampleTransformStage<z.infer<typeof params>> {
  static readonly className = 'ElasticDeformation';
  static readonly description = 'Random smooth elastic deformation of image and label';
  static readonly reference = 'Simard et al., ICDAR 2003';
  static readonly paramsSchema = params;

  override apply(sample: Sample, random: SeededRandom): Sample {
    if (random.uniform() >= this.params.probability) return sample;
    const spatial = spatialSizeOf(sample);
    const n = spatial.length;
    const total = pointCount(spatial);
    const displacement = spatial.map(() => {
      const noise = random.uniformArray(total, -1, 1);
      const smooth = gaussianFilter({ data: noise, spatial, channels: 1 }, spatial.map(() => this.params.sigma)).data;
      for (let i = 0; i < total; i++) smooth[i] *= this.params.alpha;
      return smooth;
    });
    const positions = new Float64Array(total * n);
    forEachGridPoint(spatial, (index, point) => {
      for (let a = 0; a < n; a++) positions[point * n + a] = index[a] + displacement[a][point];
    });
    const warp = <T extends GridData>(grid: Grid<T>, interpolation: Interpolation) => resampleAtPositions(grid, spatial, positions, interpolation);
    const extended = sample as ExtendedSample;
    const label: LabelArray | undefined = sample.label ? gridToLabel(warp(labelGrid(sample.label), 'nearest')) : undefined;
    return {
      ...extended,
      image: gridToImage(warp(imageGrid(sample.image), 'linear')),
      label,
      labelProbability: extended.labelProbability ? gridToImage(warp(imageGrid(extended.labelProbability), 'linear')) : undefined,
      pixelWeight: extended.pixelWeight ? gridToImage(warp(imageGrid(extended.pixelWeight), 'linear')) : undefined,
      spatialSteps: [...(extended.spatialSteps ?? []), { kind: 'deformation', transform: `${this.nodeName} (ElasticDeformation)` }],
    } as ExtendedSample;
  }
}
