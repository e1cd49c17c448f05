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
