import { z } from 'zod';
import type { Sample, ExtendedSample } from '../../graph/sample.js';
import type { SeededRandom } from '../../runtime/seeded-random.js';
import { resizeAffine } from '../../images/interpolation.js';
import { SampleTransformStage } from './sample-transform-stage.js';
import { applySpatialStepToSample } from './apply-spatial-step-to-sample.js';
import { drawFrom, rangeParam, requirePerAxis, spatialSizeOf, spatialSizeParam } from './transform-params.js';

const params = z
  .object({
    size: spatialSizeParam('Output size per spatial axis the crop is resized to (PyMIC `RandomResizedCrop_output_size`)'),
    scale: rangeParam('Range [low, high] of the fraction of the image area (2D) or volume (3D) the crop covers, drawn uniformly (PyMIC `RandomResizedCrop_scale`)').default([0.08, 1]),
    ratio: rangeParam('Range [low, high] of the width/height ratio of the crop (last two axes), drawn log-uniformly (PyMIC `RandomResizedCrop_ratio`)').default([3 / 4, 4 / 3]),
  })
  .strict();

/**
 * A crop of random size and aspect ratio, resized to a fixed output size (Szegedy et al., "Going deeper with
 * convolutions", CVPR 2015; torchvision's / PyMIC's RandomResizedCrop). Extent per axis: the image size times
 * scale^(1/n), with the last two axes stretched by √ratio and 1/√ratio, clipped to the image. Records a window and
 * an affine (resize) step.
 */
export class RandomResizedCrop extends SampleTransformStage<z.infer<typeof params>> {
  static readonly className = 'RandomResizedCrop';
  static readonly description = 'Crop of random area and aspect ratio, resized to a fixed size';
  static readonly reference = 'Szegedy et al., CVPR 2015; PyMIC transform.crop.RandomResizedCrop';
  static readonly paramsSchema = params;

  override apply(sample: Sample, random: SeededRandom): Sample {
    const size = [...requirePerAxis(sample, this.params.size, 'size', this.nodeName)];
    const spatial = spatialSizeOf(sample);
    const n = spatial.length;
    const side = Math.pow(drawFrom(this.params.scale, random), 1 / n);
    const logRatio = drawFrom([Math.log(this.params.ratio[0]), Math.log(this.params.ratio[1])], random);
    const stretch = Math.sqrt(Math.exp(logRatio));
    const extent = spatial.map((s, a) => {
      const factor = a === n - 1 ? stretch : a === n - 2 ? 1 / stretch : 1;
      return Math.min(s, Math.max(1, Math.round(s * side * factor)));
    });
    const offset = spatial.map((s, a) => random.integer(s - extent[a] + 1));
    const cropped = applySpatialStepToSample(sample, { kind: 'window', inputSpatial: spatial, offset, outputSpatial: extent });
    return applySpatialStepToSample(cropped as ExtendedSample, {
      kind: 'affine',
      inputSpatial: extent,
      outputSpatial: size,
      outputToInput: resizeAffine(extent, size),
    });
  }
}
