import type { Observable } from 'rxjs';
import type { ImageArray, LabelArray } from '../images/image-array.js';
import type { SpatialStep } from '../images/spatial-steps.js';
import type { SeededRandom } from '../runtime/seeded-random.js';

/** One training or evaluation case as it flows through the sample streams. */
export interface Sample {
  /** A short identifier for messages and per-case tables, e.g. the image file name. */
  readonly id: string;
  /** Where it came from, for error messages: "fixtures/brain-mr-2d/train.csv row 4". */
  readonly origin: string;
  readonly image: ImageArray;
  readonly label?: LabelArray;
  /** Randomness for this sample in this epoch; transforms derive their own stream from it by node name. */
  readonly random: SeededRandom;
  /** Physical pixel size (mm) per spatial axis, in the order of `image.shape` ([rows, columns] or [slices, rows, columns]). */
  readonly spacing?: readonly number[];
}

/**
 * The value carried by a `samples` port: a dataset of known size whose items are read on demand.
 * `read` returns a cold Observable that emits the sample at `index` (after every transform applied so far) and
 * completes; nothing is decoded or transformed before someone subscribes, which is how batching pulls data one batch
 * at a time (backpressure) instead of buffering a whole epoch.
 */
export interface SampleStream {
  readonly size: number;
  /** Where the samples come from, for messages. */
  readonly origin: string;
  read(index: number, random: SeededRandom): Observable<Sample>;
}

/**
 * What micflow's datasets and transforms carry on a sample beyond the core {@link Sample} fields. Transforms keep
 * these fields by spreading the sample, so stages that do not know them pass them through.
 */
export interface SampleExtras {
  /** Grid-changing steps applied so far, oldest first. */
  readonly spatialSteps?: readonly SpatialStep[];
  /** Per-pixel loss weight [...spatial, 1] (PyMIC's pixel_weight column, or the annotated mask of partial labels). */
  readonly pixelWeight?: ImageArray;
  /** Per-image loss weight (PyMIC's image_weight column). */
  readonly imageWeight?: number;
  /** Soft label [...spatial, classes] (LabelToProbability, PartialLabelToProbability, label smoothing). */
  readonly labelProbability?: ImageArray;
}

export type ExtendedSample = Sample & SampleExtras;
