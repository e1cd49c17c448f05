import type { MedicalImage } from './medical-image.js';
import { flipRasLps, NIFTI1_OFFSETS as O, NIFTI_DATATYPES, NIFTI_INTENT_VECTOR, niftiDatatypeOf, rotationToQuaternion } from './nifti-format.js';

/** NIfTI-1 encoding without a file system or zlib (the browser studio writes scribble files with it); writeNifti adds the gzip and the file. */

/** Bytes before the voxel data: the 348-byte header, a 4-byte empty extension flag. */
const VOX_OFFSET = 352;

/**
 * Encodes an image as single-file NIfTI-1, little endian: qform (quaternion) and sform (exact rotation × spacing) both
 * set from the LPS origin/direction turned into RAS, codes NIFTI_XFORM_SCANNER_ANAT, as ITK writes them. RGB uint8
 * becomes RGB24; other multi-component images become vector images (intent 1007, components in dim[5], planar).
 */
export function encodeNifti(image: MedicalImage): Uint8Array {
  const dimension = image.size.length;
  if (dimension < 1 || dimension > 3) throw new RangeError(`NIfTI writing supports 1 to 3 axes, not ${dimension}`);
  const rgb = image.pixelType === 'uint8' && (image.components === 3 || image.components === 4);
  const vector = image.components > 1 && !rgb;
  const datatype = rgb ? (image.components === 3 ? 128 : 2304) : niftiDatatypeOf(image.pixelType);
  const { bytes: componentBytes } = NIFTI_DATATYPES[datatype];
  const voxels = image.size.reduce((a, b) => a * b, 1);
  const dataBytes = voxels * image.components * (rgb ? 1 : componentBytes);
  const out = new Uint8Array(VOX_OFFSET + dataBytes);
  const view = new DataView(out.buffer, out.byteOffset, out.byteLength);
  view.setInt32(O.sizeofHdr, 348, true);
  const dim = [vector ? 5 : dimension, 1, 1, 1, 1, vector ? image.components : 1, 1, 1];
  image.size.forEach((s, i) => (dim[i + 1] = s));
  dim.forEach((d, i) => view.setInt16(O.dim + 2 * i, d, true));
  if (vector) view.setInt16(O.intentCode, NIFTI_INTENT_VECTOR, true);
  view.setInt16(O.datatype, datatype, true);
  view.setInt16(O.bitpix, NIFTI_DATATYPES[datatype].bytes * 8 * (rgb ? image.components : 1), true);

  // Geometry as 3D (a 2D image lies in the z = 0 plane with axis z).
  const spacing = [0, 1, 2].map((i) => image.spacing[i] ?? 1);
  const origin = [0, 1, 2].map((i) => image.origin[i] ?? 0);
  const direction = [0, 1, 2].flatMap((r) => [0, 1, 2].map((c) => (r < dimension && c < dimension ? image.direction[r * dimension + c] : r === c ? 1 : 0)));
  const ras = flipRasLps(direction);
  const rasOrigin = [-origin[0], -origin[1], origin[2]];
  const { b, c, d, qfac } = rotationToQuaternion(ras);
  const pixdim = [qfac, ...spacing, 0, 0, 0, 0];
  pixdim.forEach((p, i) => view.setFloat32(O.pixdim + 4 * i, p, true));
  view.setFloat32(O.voxOffset, VOX_OFFSET, true);
  view.setFloat32(O.sclSlope, 1, true);
  view.setUint8(O.xyztUnits, 2 | 8); // mm, seconds
  view.setInt16(O.qformCode, 1, true);
  view.setInt16(O.sformCode, 1, true);
  [b, c, d, ...rasOrigin].forEach((v, i) => view.setFloat32(O.quaternB + 4 * i, v, true));
  for (let r = 0; r < 3; r++) {
    for (let col = 0; col < 3; col++) view.setFloat32(O.srowX + 16 * r + 4 * col, ras[r * 3 + col] * spacing[col], true);
    view.setFloat32(O.srowX + 16 * r + 12, rasOrigin[r], true);
  }
  out.set([0x6e, 0x2b, 0x31, 0x00], O.magic); // 'n+1\0'

  const source = new Uint8Array(image.data.buffer, image.data.byteOffset, image.data.byteLength);
  if (vector) {
    // Interleaved → planar.
    const k = image.components;
    const target = new Uint8Array(out.buffer, out.byteOffset + VOX_OFFSET, dataBytes);
    for (let comp = 0; comp < k; comp++) {
      for (let v = 0; v < voxels; v++) {
        const from = (v * k + comp) * componentBytes;
        target.set(source.subarray(from, from + componentBytes), (comp * voxels + v) * componentBytes);
      }
    }
  } else {
    out.set(source, VOX_OFFSET);
  }
  return out;
}

