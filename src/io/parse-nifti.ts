import { MicflowError } from '../errors/micflow-error.js';
import { identityDirection, type MedicalImage, type PixelData } from './medical-image.js';
import { flipRasLps, NIFTI1_HEADER_BYTES, NIFTI1_OFFSETS as O, NIFTI_DATATYPES, NIFTI_INTENT_VECTOR, quaternionToRotation } from './nifti-format.js';

/* NIfTI-1 decoding from bytes, without Node: read-nifti.ts (Node) and the browser bundle both use it. */

const TYPED_ARRAY: Record<string, new (buffer: ArrayBuffer) => PixelData> = {
  int8: Int8Array, uint8: Uint8Array, int16: Int16Array, uint16: Uint16Array, int32: Int32Array, uint32: Uint32Array,
  int64: BigInt64Array, uint64: BigUint64Array, float32: Float32Array, float64: Float64Array,
};

/** Whether a file name is a single-file NIfTI (.nii or .nii.gz), which {@link parseNifti} decodes. */
export function isNiftiFile(file: string): boolean {
  return /\.nii(\.gz)?$/i.test(file);
}

/** Raised for NIfTI variants this reader leaves to itk-wasm (NIfTI-2, header/image pairs, > 3 spatial axes). */
export class UnsupportedNiftiVariant extends Error {}

/** Decodes NIfTI-1 bytes (already decompressed); `file` names the source in messages. */
export function parseNifti(bytes: Uint8Array, file: string): MedicalImage {
  if (bytes.length < NIFTI1_HEADER_BYTES) {
    throw new MicflowError('invalid-data', `Could not read image file ${file}: ${bytes.length} bytes, shorter than a NIfTI header (348).`);
  }
  const view = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength);
  let little = true;
  if (view.getInt32(0, true) !== NIFTI1_HEADER_BYTES) {
    if (view.getInt32(0, false) === NIFTI1_HEADER_BYTES) little = false;
    else if (view.getInt32(0, true) === 540 || view.getInt32(0, false) === 540) throw new UnsupportedNiftiVariant('NIfTI-2');
    else throw new MicflowError('invalid-data', `Could not read image file ${file}: not a NIfTI-1 file (sizeof_hdr is not 348).`);
  }
  const magic = String.fromCharCode(...bytes.subarray(O.magic, O.magic + 3));
  if (magic === 'ni1') throw new UnsupportedNiftiVariant('header/image pair');
  if (magic !== 'n+1') throw new MicflowError('invalid-data', `Could not read image file ${file}: bad NIfTI magic "${magic}".`);
  const i16 = (offset: number) => view.getInt16(offset, little);
  const f32 = (offset: number) => view.getFloat32(offset, little);

  const dim = Array.from({ length: 8 }, (_, i) => i16(O.dim + 2 * i));
  const pixdim = Array.from({ length: 8 }, (_, i) => f32(O.pixdim + 4 * i));
  const datatype = NIFTI_DATATYPES[i16(O.datatype)];
  if (!datatype) throw new MicflowError('invalid-data', `Could not read image file ${file}: unsupported NIfTI datatype ${i16(O.datatype)}.`);
  const intent = i16(O.intentCode);
  const vector = intent === NIFTI_INTENT_VECTOR && dim[0] === 5 && dim[4] === 1;
  let dimension = vector ? 3 : dim[0];
  if (!vector) while (dimension > 3 && dim[dimension] === 1) dimension--;
  if (dimension < 1 || dimension > 3) throw new UnsupportedNiftiVariant(`${dim[0]}-dimensional image`);
  const size = dim.slice(1, dimension + 1);
  const components = vector ? dim[5] * datatype.components : datatype.components;
  const spacing = pixdim.slice(1, dimension + 1).map((s) => (s > 0 ? s : 1));

  const voxels = size.reduce((a, b) => a * b, 1);
  const valueCount = voxels * components;
  const start = Math.max(NIFTI1_HEADER_BYTES, Math.round(f32(O.voxOffset)));
  const byteCount = valueCount * (datatype.bytes);
  if (bytes.length < start + byteCount) {
    throw new MicflowError(
      'invalid-data',
      `Could not read image file ${file}: truncated (${bytes.length - start} bytes of voxel data, ${size.join('×')}×${components} ${datatype.componentType} needs ${byteCount}).`,
    );
  }
  const raw = new Uint8Array(byteCount);
  raw.set(bytes.subarray(start, start + byteCount));
  const width = datatype.bytes;
  if (!little && width > 1) {
    for (let i = 0; i < byteCount; i += width) raw.subarray(i, i + width).reverse();
  }
  let data = new TYPED_ARRAY[datatype.componentType](raw.buffer);
  if (vector && dim[5] > 1) data = interleave(data, voxels, dim[5]);

  // As ITK: a slope of 0 (or not finite) means 1; any other scaling gives float32 values.
  const storedSlope = f32(O.sclSlope);
  const slope = storedSlope === 0 || !Number.isFinite(storedSlope) ? 1 : storedSlope;
  const intercept = Number.isFinite(f32(O.sclInter)) ? f32(O.sclInter) : 0;
  let pixelType = datatype.componentType;
  if (slope !== 1 || intercept !== 0) {
    const scaled = new Float32Array(data.length);
    for (let i = 0; i < data.length; i++) scaled[i] = Number(data[i]) * slope + intercept;
    data = scaled;
    pixelType = 'float32';
  }

  const { origin, direction } = niftiGeometry(view, little);
  return {
    data,
    size,
    spacing,
    origin: origin.slice(0, dimension),
    direction: dimension === 3 ? direction : sub(direction, dimension),
    components,
    pixelType,
  };
}

/** Origin and direction in LPS (3D), from the sform or qform as ITK chooses them. */
function niftiGeometry(view: DataView, little: boolean): { origin: number[]; direction: number[] } {
  const f32 = (offset: number) => view.getFloat32(offset, little);
  const qformCode = view.getInt16(O.qformCode, little);
  const sformCode = view.getInt16(O.sformCode, little);
  // ITK prefers the sform when it maps to scanner space (code 1) or when there is no qform, and it is a rotation.
  if (sformCode > 0 && (sformCode === 1 || qformCode <= 0)) {
    const rows = [0, 1, 2].map((r) => [0, 1, 2, 3].map((c) => f32(O.srowX + 16 * r + 4 * c)));
    const columns = [0, 1, 2].map((c) => [rows[0][c], rows[1][c], rows[2][c]]);
    const norms = columns.map((col) => Math.hypot(...col));
    const unit = columns.map((col, c) => col.map((v) => v / (norms[c] || 1)));
    const orthonormal =
      norms.every((n) => n > 0) &&
      Math.abs(dot(unit[0], unit[1])) < 1e-4 && Math.abs(dot(unit[0], unit[2])) < 1e-4 && Math.abs(dot(unit[1], unit[2])) < 1e-4;
    if (orthonormal || qformCode <= 0) {
      const ras = [0, 1, 2].flatMap((r) => [0, 1, 2].map((c) => unit[c][r]));
      return { origin: [-rows[0][3], -rows[1][3], rows[2][3]].map((v) => v + 0), direction: flipRasLps(ras) };
    }
  }
  if (qformCode > 0) {
    const qfac = f32(O.pixdim) < 0 ? -1 : 1;
    const rotation = quaternionToRotation(f32(O.quaternB), f32(O.quaternB + 4), f32(O.quaternB + 8), qfac);
    const origin = [-f32(O.qoffsetX), -f32(O.qoffsetX + 4), f32(O.qoffsetX + 8)].map((v) => v + 0);
    return { origin, direction: flipRasLps(rotation) };
  }
  // Neither transform: ITK reports the identity in LPS at origin 0.
  return { origin: [0, 0, 0], direction: identityDirection(3) };
}

function dot(a: readonly number[], b: readonly number[]): number {
  return a[0] * b[0] + a[1] * b[1] + a[2] * b[2];
}

/** The upper-left n×n block of a 3×3 matrix. */
function sub(direction: readonly number[], n: number): number[] {
  const out: number[] = [];
  for (let r = 0; r < n; r++) for (let c = 0; c < n; c++) out.push(direction[r * 3 + c]);
  return out;
}

/** NIfTI vector images store each component as a whole volume; ITK interleaves them per voxel. */
function interleave(planar: PixelData, voxels: number, components: number): PixelData {
  const out = new (planar.constructor as new (n: number) => PixelData)(planar.length);
  for (let k = 0; k < components; k++) for (let v = 0; v < voxels; v++) (out as Float64Array)[v * components + k] = (planar as Float64Array)[k * voxels + v];
  return out;
}
