import { MicflowError } from '../errors/micflow-error.js';
import type { ImageArray } from '../images/image-array.js';
import type { ProbabilityMap, ProbabilityPredictor } from './probability-map.js';
import { flipSpatialAxes, inversePermutation, permuteSpatialAxes } from '../images/spatial-axis-transforms.js';

export interface TestTimeAugmentationOptions {
  /** Spatial axes that may be mirrored; every subset of them is used (2^n flips, the identity included). Default none. */
  readonly flipAxes?: readonly number[];
  /**
   * 3D only: also predict the three views — the volume as given, with its first two axes swapped, and with its first
   * and last axes swapped — so each spatial axis once plays the first (slice) axis. Default false.
   */
  readonly threeViews?: boolean;
}

/** One augmentation: a spatial transpose followed by flips, applied to the image and undone on the prediction. */
export interface SpatialAugmentation {
  readonly order: readonly number[];
  readonly flips: readonly number[];
}

/** Every combination of the requested views and flip subsets, the identity first. */
export function testTimeAugmentations(spatialRank: number, options: TestTimeAugmentationOptions): SpatialAugmentation[] {
  const identity = Array.from({ length: spatialRank }, (_, i) => i);
  if (options.threeViews && spatialRank !== 3) {
    throw new MicflowError('invalid-argument', `test-time augmentation: three views need a 3D image, this one has ${spatialRank} spatial axes`);
  }
  const orders = options.threeViews ? [identity, [1, 0, 2], [2, 1, 0]] : [identity];
  const axes = options.flipAxes ?? [];
  const flipSets: number[][] = [];
  for (let mask = 0; mask < 1 << axes.length; mask++) flipSets.push(axes.filter((_, i) => mask & (1 << i)));
  return orders.flatMap((order) => flipSets.map((flips) => ({ order, flips })));
}

/**
 * Test-time augmentation (as nnU-Net's mirroring, Isensee et al. 2021, and the multi-view averaging of 3D
 * segmentation ensembles): the image is transposed and mirrored, predicted, the prediction transformed back, and the
 * probabilities of all augmentations averaged with equal weights. Flip subsets × views are enumerated by
 * {@link testTimeAugmentations}; the predictor must accept every transposed shape (e.g. a whole-image predictor, or
 * windows that fit every axis).
 */
export function withTestTimeAugmentation(predictor: ProbabilityPredictor, options: TestTimeAugmentationOptions): ProbabilityPredictor {
  return (image: ImageArray): ProbabilityMap => {
    const augmentations = testTimeAugmentations(image.shape.length - 1, options);
    let sum: Float32Array | undefined;
    let shape: readonly number[] = [];
    for (const { order, flips } of augmentations) {
      const transposed = permuteSpatialAxes({ data: image.data, shape: image.shape }, order);
      const augmented = flipSpatialAxes(transposed, flips);
      const predicted = predictor(augmented);
      const restored = permuteSpatialAxes(flipSpatialAxes({ data: predicted.data, shape: predicted.shape }, flips), inversePermutation(order));
      if (!sum) {
        sum = Float32Array.from(restored.data);
        shape = restored.shape;
      } else {
        for (let i = 0; i < sum.length; i++) sum[i] += restored.data[i];
      }
    }
    const scale = 1 / augmentations.length;
    for (let i = 0; i < sum!.length; i++) sum![i] *= scale;
    return { data: sum!, shape };
  };
}
