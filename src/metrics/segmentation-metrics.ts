import { MicflowError } from '../errors/micflow-error.js';
import { averageSymmetricSurfaceDistance } from './average-symmetric-surface-distance.js';
import { binaryConfusion } from './binary-confusion.js';
import { hausdorffDistance, percentileHausdorffDistance, pymicHausdorffDistance95 } from './hausdorff-distance.js';
import { normalisedSurfaceDice } from './normalised-surface-dice.js';
import { diceCoefficient, intersectionOverUnion, precision, sensitivity } from './overlap-scores.js';
import { symmetricSurfaceDistances } from './surface-distances.js';
import { relativeVolumeError, segmentationVolumes } from './volume-measures.js';

/** Every metric of one label in one case. Distances in the spacing's unit (mm), volumes in its cube (mm³; mm² in 2D). */
export interface LabelMetrics {
  readonly label: number;
  readonly dice: number;
  readonly iou: number;
  readonly sensitivity: number;
  readonly precision: number;
  /** Average symmetric surface distance (Heimann et al. 2009, pooled). */
  readonly assd: number;
  /**
   * 95th percentile of the pooled surface distances, linearly interpolated (medpy's `hd95`). This is the HD95 of the
   * result tables (docs/results.md, experiment tables, the evaluation summary): those tables were measured with it,
   * and it is what the evaluation code that much semi-supervised segmentation work reuses (SSL4MIS's
   * `calculate_metric_percase`, `medpy.metric.binary.hd95`) computes, so numbers stay comparable with both. See
   * {@link hd95Pymic} for PyMIC's definition.
   */
  readonly hd95: number;
  readonly hausdorff: number;
  readonly relativeVolumeError: number;
  readonly predictionVolume: number;
  readonly groundTruthVolume: number;
  /** Normalised surface Dice at the requested tolerance. */
  readonly surfaceDice: number;
  /**
   * PyMIC's HD95 (`binary_hd95` of pymic/util/evaluation_seg.py): the larger of the two directed 95th percentiles,
   * each the order statistic at index ⌊0.95·n⌋ of its own direction without interpolation (see
   * pymicHausdorffDistance95). It is never below the pooled {@link hd95} except by part of medpy's interpolation step
   * between two neighbouring distances, and often above it: a stray island far from the ground truth counts against
   * the prediction's surface alone. Reported so that numbers can be compared with PyMIC's evaluation; NaN where PyMIC
   * would write its caps (0 or 100).
   */
  readonly hd95Pymic: number;
}

/** The numeric columns of {@link LabelMetrics}, in table order. */
export const LABEL_METRIC_NAMES = [
  'dice',
  'iou',
  'sensitivity',
  'precision',
  'assd',
  'hd95',
  'hausdorff',
  'relativeVolumeError',
  'predictionVolume',
  'groundTruthVolume',
  'surfaceDice',
  // Last, so that the columns before it keep the positions they had before it was added.
  'hd95Pymic',
] as const satisfies ReadonlyArray<keyof LabelMetrics>;
export type LabelMetricName = (typeof LABEL_METRIC_NAMES)[number];

export interface SegmentationMetricOptions {
  /** Tolerance (same unit as spacing) of the normalised surface Dice; default 1. */
  readonly surfaceTolerance?: number;
}

/**
 * Evaluates a predicted label map against a ground-truth label map, one binary problem per requested label: overlap
 * (Dice, IoU, sensitivity, precision), volumes and relative volume error, and surface distances (ASSD, HD95 as
 * medpy and as PyMIC, Hausdorff, normalised surface Dice) from an exact Euclidean distance transform with the image spacing.
 *
 * `shape` is row-major ([rows, columns] or [slices, rows, columns]) and `spacing` follows it. Each label is evaluated
 * inside the bounding box of its voxels in either map (found for all labels in one pass), which gives the same values as
 * the whole grid — voxels outside the box are background in both maps and no nearest-surface search leaves it — and
 * keeps a 181×217×181 volume with many small structures to a few seconds.
 *
 * Empty cases, per label: both maps empty → Dice = IoU = surface Dice = 1, relative volume error 0, sensitivity,
 * precision and every distance NaN; exactly one empty → Dice = IoU = surface Dice = 0 and distances NaN (undefined —
 * PyMIC returns fixed caps instead, which would enter means as if they were measurements).
 */
export function evaluateSegmentation(
  prediction: ArrayLike<number>,
  groundTruth: ArrayLike<number>,
  shape: readonly number[],
  spacing: readonly number[],
  labels: readonly number[],
  options: SegmentationMetricOptions = {},
): LabelMetrics[] {
  const tolerance = options.surfaceTolerance ?? 1;
  if (shape.length !== 2 && shape.length !== 3) {
    throw new MicflowError('invalid-shape', `evaluateSegmentation: shape ${JSON.stringify(shape)} is neither 2D nor 3D`);
  }
  if (spacing.length !== shape.length || !spacing.every((s) => Number.isFinite(s) && s > 0)) {
    throw new MicflowError('invalid-argument', `evaluateSegmentation: spacing ${JSON.stringify(spacing)} must hold one positive value per axis of ${shape.join('×')}`);
  }
  const total = shape.reduce((a, b) => a * b, 1);
  if (prediction.length !== total || groundTruth.length !== total) {
    throw new MicflowError(
      'invalid-shape',
      `evaluateSegmentation: prediction has ${prediction.length} and ground truth ${groundTruth.length} values; shape ${shape.join('×')} needs ${total}`,
    );
  }
  const boxes = labelBoundingBoxes(prediction, groundTruth, shape, labels);
  return labels.map((label) => {
    const box = boxes.get(label);
    if (!box) return emptyPairMetrics(label);
    const { predictionMask, groundTruthMask, boxShape } = cropMasks(prediction, groundTruth, shape, box, label);
    const confusion = binaryConfusion(predictionMask, groundTruthMask);
    const volumes = segmentationVolumes(confusion, spacing);
    const distances = symmetricSurfaceDistances(predictionMask, groundTruthMask, boxShape, spacing);
    return {
      label,
      dice: diceCoefficient(confusion),
      iou: intersectionOverUnion(confusion),
      sensitivity: sensitivity(confusion),
      precision: precision(confusion),
      assd: averageSymmetricSurfaceDistance(distances),
      hd95: percentileHausdorffDistance(distances, 95),
      hausdorff: hausdorffDistance(distances),
      relativeVolumeError: relativeVolumeError(confusion),
      predictionVolume: volumes.prediction,
      groundTruthVolume: volumes.groundTruth,
      surfaceDice: normalisedSurfaceDice(distances, tolerance),
      hd95Pymic: pymicHausdorffDistance95(distances),
    };
  });
}

/** The metrics of a label that is in neither the prediction nor the ground truth (see {@link evaluateSegmentation}). */
export function emptyPairMetrics(label: number): LabelMetrics {
  return {
    label,
    dice: 1,
    iou: 1,
    sensitivity: Number.NaN,
    precision: Number.NaN,
    assd: Number.NaN,
    hd95: Number.NaN,
    hausdorff: Number.NaN,
    relativeVolumeError: 0,
    predictionVolume: 0,
    groundTruthVolume: 0,
    surfaceDice: 1,
    hd95Pymic: Number.NaN,
  };
}

/** Inclusive [low, high] voxel coordinates per axis (row-major order). */
interface BoundingBox {
  readonly low: number[];
  readonly high: number[];
}

function labelBoundingBoxes(
  prediction: ArrayLike<number>,
  groundTruth: ArrayLike<number>,
  shape: readonly number[],
  labels: readonly number[],
): Map<number, BoundingBox> {
  const wanted = new Set(labels);
  const boxes = new Map<number, BoundingBox>();
  const [depth, height, width] = shape.length === 3 ? shape : [1, shape[0], shape[1]];
  const grow = (label: number, z: number, y: number, x: number) => {
    let box = boxes.get(label);
    if (!box) {
      box = { low: [z, y, x], high: [z, y, x] };
      boxes.set(label, box);
      return;
    }
    const { low, high } = box;
    if (z < low[0]) low[0] = z;
    if (z > high[0]) high[0] = z;
    if (y < low[1]) low[1] = y;
    if (y > high[1]) high[1] = y;
    if (x < low[2]) low[2] = x;
    if (x > high[2]) high[2] = x;
  };
  let index = 0;
  for (let z = 0; z < depth; z++) {
    for (let y = 0; y < height; y++) {
      for (let x = 0; x < width; x++, index++) {
        const p = prediction[index];
        const g = groundTruth[index];
        if (wanted.has(p)) grow(p, z, y, x);
        if (g !== p && wanted.has(g)) grow(g, z, y, x);
      }
    }
  }
  if (shape.length === 2) {
    for (const box of boxes.values()) {
      box.low.shift();
      box.high.shift();
    }
  }
  return boxes;
}

function cropMasks(
  prediction: ArrayLike<number>,
  groundTruth: ArrayLike<number>,
  shape: readonly number[],
  box: BoundingBox,
  label: number,
): { predictionMask: Uint8Array; groundTruthMask: Uint8Array; boxShape: number[] } {
  const boxShape = box.low.map((low, axis) => box.high[axis] - low + 1);
  const [d, h, w] = boxShape.length === 3 ? boxShape : [1, ...boxShape];
  const [z0, y0, x0] = box.low.length === 3 ? box.low : [0, ...box.low];
  const [height, width] = shape.length === 3 ? [shape[1], shape[2]] : [shape[0], shape[1]];
  const predictionMask = new Uint8Array(d * h * w);
  const groundTruthMask = new Uint8Array(d * h * w);
  let k = 0;
  for (let z = 0; z < d; z++) {
    for (let y = 0; y < h; y++) {
      let index = ((z0 + z) * height + y0 + y) * width + x0;
      for (let x = 0; x < w; x++, index++, k++) {
        if (prediction[index] === label) predictionMask[k] = 1;
        if (groundTruth[index] === label) groundTruthMask[k] = 1;
      }
    }
  }
  return { predictionMask, groundTruthMask, boxShape };
}
