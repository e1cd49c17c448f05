import { MicflowError } from '../errors/micflow-error.js';
import type { ImageArray } from '../images/image-array.js';

/**
 * One validation case as the dashboard and the TensorBoard writer show it: the image's first channel scaled to 0–255,
 * the ground truth and the prediction as class indices, all over the same spatial grid ([H, W] or [D, H, W],
 * row-major).
 */
export interface ValidationOverlay {
  /** Spatial size: [rows, columns] or [slices, rows, columns]. */
  readonly shape: readonly number[];
  readonly classes: number;
  readonly image: Uint8Array;
  readonly label: Uint8Array;
  readonly prediction: Uint8Array;
}

/**
 * The overlay of one case: the image's channel 0 scaled linearly from its minimum (0) to its maximum (255; a constant
 * image is all 0), ground truth and prediction as bytes (class indices above 255 are refused).
 */
export function validationOverlayOf(image: ImageArray, label: ArrayLike<number>, prediction: ArrayLike<number>, classes: number): ValidationOverlay {
  const shape = image.shape.slice(0, -1);
  const channels = image.shape[image.shape.length - 1];
  const voxels = shape.reduce((a, b) => a * b, 1);
  if (label.length !== voxels || prediction.length !== voxels) {
    throw new MicflowError('invalid-shape', `overlay: label (${label.length}) and prediction (${prediction.length}) must hold one value per pixel of the ${shape.join('×')} image`);
  }
  if (classes > 256) throw new MicflowError('invalid-shape', `overlay: ${classes} classes do not fit a byte per pixel`);
  let low = Infinity;
  let high = -Infinity;
  for (let i = 0; i < voxels; i++) {
    const v = image.data[i * channels];
    if (v < low) low = v;
    if (v > high) high = v;
  }
  const scale = high > low ? 255 / (high - low) : 0;
  const grey = new Uint8Array(voxels);
  for (let i = 0; i < voxels; i++) grey[i] = Math.round((image.data[i * channels] - low) * scale);
  return { shape, classes, image: grey, label: Uint8Array.from(label), prediction: Uint8Array.from(prediction) };
}
