import type { ComponentType } from './medical-image.js';

/**
 * The NIfTI-1 header fields micflow reads and writes (NIfTI-1 standard, nifti1.h, NIMH Data Format Working Group 2004).
 * Offsets are bytes from the start of the file.
 */
export const NIFTI1_HEADER_BYTES = 348;
export const NIFTI1_OFFSETS = {
  sizeofHdr: 0,
  dim: 40, // int16[8]
  intentCode: 68, // int16
  datatype: 70, // int16
  bitpix: 72, // int16
  pixdim: 76, // float32[8]
  voxOffset: 108, // float32
  sclSlope: 112, // float32
  sclInter: 116, // float32
  xyztUnits: 123, // uint8
  qformCode: 252, // int16
  sformCode: 254, // int16
  quaternB: 256, // float32 ×3, then qoffset x, y, z
  qoffsetX: 268,
  srowX: 280, // float32[4] ×3
  magic: 344, // "n+1\0" single file, "ni1\0" header/image pair
} as const;

/** NIfTI datatype codes and what they hold. */
export const NIFTI_DATATYPES: Readonly<Record<number, { componentType: ComponentType; components: number; bytes: number }>> = {
  2: { componentType: 'uint8', components: 1, bytes: 1 },
  4: { componentType: 'int16', components: 1, bytes: 2 },
  8: { componentType: 'int32', components: 1, bytes: 4 },
  16: { componentType: 'float32', components: 1, bytes: 4 },
  64: { componentType: 'float64', components: 1, bytes: 8 },
  128: { componentType: 'uint8', components: 3, bytes: 1 }, // RGB24
  256: { componentType: 'int8', components: 1, bytes: 1 },
  512: { componentType: 'uint16', components: 1, bytes: 2 },
  768: { componentType: 'uint32', components: 1, bytes: 4 },
  1024: { componentType: 'int64', components: 1, bytes: 8 },
  1280: { componentType: 'uint64', components: 1, bytes: 8 },
  2304: { componentType: 'uint8', components: 4, bytes: 1 }, // RGBA32
};

/** The NIfTI datatype code for a component type (scalars). */
export function niftiDatatypeOf(componentType: ComponentType): number {
  const entry = Object.entries(NIFTI_DATATYPES).find(([, d]) => d.componentType === componentType && d.components === 1);
  return Number(entry![0]);
}

/** NIFTI_INTENT_VECTOR: dim[5] holds the number of components per voxel. */
export const NIFTI_INTENT_VECTOR = 1007;

/**
 * The 3×3 rotation (row-major, columns = axis directions, RAS) of a NIfTI quaternion (b, c, d) with handedness qfac,
 * as nifti_quatern_to_mat44: a = √(1 − b² − c² − d²), the third column multiplied by qfac.
 */
export function quaternionToRotation(b: number, c: number, d: number, qfac: number): number[] {
  let a = 1 - (b * b + c * c + d * d);
  if (a < 1e-7) {
    const norm = 1 / Math.sqrt(b * b + c * c + d * d);
    b *= norm;
    c *= norm;
    d *= norm;
    a = 0;
  } else a = Math.sqrt(a);
  const q = qfac < 0 ? -1 : 1;
  return [
    a * a + b * b - c * c - d * d, 2 * (b * c - a * d), q * 2 * (b * d + a * c),
    2 * (b * c + a * d), a * a + c * c - b * b - d * d, q * 2 * (c * d - a * b),
    2 * (b * d - a * c), 2 * (c * d + a * b), q * (a * a + d * d - c * c - b * b),
  ];
}

/**
 * Quaternion (b, c, d) and qfac of a 3×3 rotation (row-major, columns = axis directions), as nifti_mat44_to_quatern:
 * a reflection (negative determinant) becomes qfac = −1 with the third column negated.
 */
export function rotationToQuaternion(rotation: readonly number[]): { b: number; c: number; d: number; qfac: number } {
  const r = [...rotation];
  const det =
    r[0] * (r[4] * r[8] - r[5] * r[7]) - r[1] * (r[3] * r[8] - r[5] * r[6]) + r[2] * (r[3] * r[7] - r[4] * r[6]);
  let qfac = 1;
  if (det < 0) {
    qfac = -1;
    r[2] = -r[2];
    r[5] = -r[5];
    r[8] = -r[8];
  }
  const [r11, r12, r13, r21, r22, r23, r31, r32, r33] = r;
  let a = r11 + r22 + r33 + 1;
  let b: number;
  let c: number;
  let d: number;
  if (a > 0.5) {
    a = 0.5 * Math.sqrt(a);
    b = (0.25 * (r32 - r23)) / a;
    c = (0.25 * (r13 - r31)) / a;
    d = (0.25 * (r21 - r12)) / a;
  } else {
    const xd = 1 + r11 - (r22 + r33);
    const yd = 1 + r22 - (r11 + r33);
    const zd = 1 + r33 - (r11 + r22);
    if (xd > 1) {
      b = 0.5 * Math.sqrt(xd);
      c = (0.25 * (r12 + r21)) / b;
      d = (0.25 * (r13 + r31)) / b;
      a = (0.25 * (r32 - r23)) / b;
    } else if (yd > 1) {
      c = 0.5 * Math.sqrt(yd);
      b = (0.25 * (r12 + r21)) / c;
      d = (0.25 * (r23 + r32)) / c;
      a = (0.25 * (r13 - r31)) / c;
    } else {
      d = 0.5 * Math.sqrt(zd);
      b = (0.25 * (r13 + r31)) / d;
      c = (0.25 * (r23 + r32)) / d;
      a = (0.25 * (r21 - r12)) / d;
    }
    if (a < 0) {
      b = -b;
      c = -c;
      d = -d;
    }
  }
  return { b, c, d, qfac };
}

/** RAS ↔ LPS: negate the first two rows of a 3×3 direction matrix (the same operation both ways). */
export function flipRasLps(direction: readonly number[]): number[] {
  return direction.map((v, i) => (i < 6 ? -v : v) + 0);
}
