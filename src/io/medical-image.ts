/** Pixel component types an image file can hold (the names itk-wasm uses). */
export type ComponentType =
  | 'int8'
  | 'uint8'
  | 'int16'
  | 'uint16'
  | 'int32'
  | 'uint32'
  | 'int64'
  | 'uint64'
  | 'float32'
  | 'float64';

/** The typed array that holds pixels of each component type. */
export type PixelData =
  | Int8Array
  | Uint8Array
  | Int16Array
  | Uint16Array
  | Int32Array
  | Uint32Array
  | BigInt64Array
  | BigUint64Array
  | Float32Array
  | Float64Array;

/**
 * An image as read from disk, geometry in ITK conventions.
 *
 * - `size`, `spacing`, `origin` have one entry per axis, x fastest (data index = x + size[0] * (y + size[1] * z)).
 * - `origin` and `direction` are in LPS world coordinates, as ITK reports them: a NIfTI with RAS origin
 *   (-90,-125,-71) reads back as [90,125,-71] with direction diag(-1,-1,1).
 * - `direction` is the dimension×dimension matrix, row-major, its columns being the axis directions.
 * - `components` is the number of values per pixel (interleaved in `data`), `pixelType` their type.
 */
export interface MedicalImage {
  data: PixelData;
  size: number[];
  spacing: number[];
  origin: number[];
  direction: number[];
  components: number;
  pixelType: ComponentType;
}

/** Number of pixels (not values: a pixel has `components` values). */
export function pixelCount(image: Pick<MedicalImage, 'size'>): number {
  return image.size.reduce((n, s) => n * s, 1);
}

/** The pixel values as a Float32Array: the data itself when it already is one, otherwise a converted copy. */
export function toFloat32(image: Pick<MedicalImage, 'data'>): Float32Array {
  const { data } = image;
  if (data instanceof Float32Array) return data;
  const out = new Float32Array(data.length);
  if (data instanceof BigInt64Array || data instanceof BigUint64Array) {
    for (let i = 0; i < data.length; i++) out[i] = Number(data[i]);
  } else {
    out.set(data);
  }
  return out;
}

/** Identity direction matrix (row-major) for `dimension` axes. */
export function identityDirection(dimension: number): number[] {
  const m = new Array<number>(dimension * dimension).fill(0);
  for (let i = 0; i < dimension; i++) m[i * dimension + i] = 1;
  return m;
}
