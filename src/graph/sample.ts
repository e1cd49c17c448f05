import type { Observable } from 'rxjs';
import type { SeededRandom } from '../runtime/seeded-random.js';

/**
 * A channels-last image, 2D or 3D: `shape` is the spatial size followed by the channel count, [H, W, C] or
 * [D, H, W, C]; `data` holds the values row-major with the channel fastest (the last spatial axis next).
 */
export interface ImageArray {
  readonly data: Float32Array;
  readonly shape: readonly number[];
}

/** A label map, 2D or 3D: `shape` is the spatial size, [H, W] or [D, H, W]; `data` holds class indices row-major. */
export interface LabelArray {
  readonly data: Int32Array;
  readonly shape: readonly number[];
}

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
