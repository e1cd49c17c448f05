import { MicflowError } from '../errors/micflow-error.js';
import type { ImageArray } from '../images/image-array.js';

/**
 * Class probabilities of one image, channels last: `shape` is the spatial size followed by the class count
 * ([H, W, K] or [D, H, W, K]); `data` is row-major with the class fastest.
 */
export interface ProbabilityMap {
  readonly data: Float32Array;
  readonly shape: readonly number[];
}

/** Anything that turns one channels-last image into class probabilities of the same spatial size. */
export type ProbabilityPredictor = (image: ImageArray) => ProbabilityMap;

/** Spatial size and channel count of a channels-last array, checked to be 2D or 3D and consistent with its data. */
export function spatialShapeOf(array: { readonly data: ArrayLike<number>; readonly shape: readonly number[] }, what: string): { spatial: number[]; channels: number } {
  const { shape } = array;
  if (shape.length !== 3 && shape.length !== 4) {
    throw new MicflowError('invalid-shape', `${what}: shape ${JSON.stringify(shape)} is neither [H, W, C] nor [D, H, W, C]`);
  }
  const expected = shape.reduce((a, b) => a * b, 1);
  if (array.data.length !== expected || !shape.every((s) => Number.isInteger(s) && s >= 1)) {
    throw new MicflowError('invalid-shape', `${what}: ${array.data.length} values do not fill shape ${shape.join('×')}`);
  }
  return { spatial: shape.slice(0, -1), channels: shape[shape.length - 1] };
}
