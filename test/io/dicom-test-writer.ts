/**
 * A minimal DICOM writer for tests: MR Image Storage slices in explicit VR little endian, signed 16-bit monochrome,
 * with only the elements a reader needs for pixels and geometry (Image Position/Orientation Patient, Pixel Spacing)
 * and to group slices into one series (Study/Series/Frame of Reference UIDs). Written by hand so that the tests can
 * give a series any geometry (oblique, non-unit spacing) without a binary fixture or a writer that picks its own UIDs.
 */
import { concatBytes } from '../../src/io/decode-png.js';

/** Value representations whose length takes 4 bytes after 2 reserved ones (PS3.5 7.1.2); the rest take 2. */
const LONG_VRS = new Set(['OB', 'OW', 'OF', 'SQ', 'UT', 'UN']);
const MR_IMAGE_STORAGE = '1.2.840.10008.5.1.4.1.1.4';
const EXPLICIT_VR_LITTLE_ENDIAN = '1.2.840.10008.1.2.1';

type Element = [group: number, element: number, vr: string, value: string | Uint8Array | number];

function encodeValue(vr: string, value: string | Uint8Array | number): Uint8Array {
  if (value instanceof Uint8Array) return value.length % 2 ? Uint8Array.from([...value, 0]) : value;
  if (typeof value === 'number') {
    const out = new Uint8Array(vr === 'UL' ? 4 : 2);
    if (vr === 'UL') new DataView(out.buffer).setUint32(0, value, true);
    else new DataView(out.buffer).setUint16(0, value, true);
    return out;
  }
  // Text values have even lengths: UIDs are padded with NUL, other strings with a space.
  const text = value.length % 2 ? value + (vr === 'UI' ? '\0' : ' ') : value;
  return Uint8Array.from(text, (c) => c.charCodeAt(0));
}

function encodeElements(elements: readonly Element[]): Uint8Array[] {
  return elements.map(([group, element, vr, value]) => {
    const body = encodeValue(vr, value);
    const long = LONG_VRS.has(vr);
    const head = new Uint8Array(long ? 12 : 8);
    const view = new DataView(head.buffer);
    view.setUint16(0, group, true);
    view.setUint16(2, element, true);
    head[4] = vr.charCodeAt(0);
    head[5] = vr.charCodeAt(1);
    if (long) view.setUint32(8, body.length, true);
    else view.setUint16(6, body.length, true);
    const out = new Uint8Array(head.length + body.length);
    out.set(head);
    out.set(body, head.length);
    return out;
  });
}


/** A decimal string (DS) of at most 16 characters, as the standard allows. */
function ds(value: number): string {
  for (let digits = 12; digits > 0; digits--) {
    const text = String(Number(value.toPrecision(digits)));
    if (text.length <= 16) return text;
  }
  throw new Error(`${value} does not fit a DS`);
}

export interface DicomSlice {
  columns: number;
  rows: number;
  /** Row-major pixels (column index fastest), rows × columns. */
  data: Int16Array;
  /** Spacing along a row (between columns) and along a column (between rows), mm. */
  spacing: [number, number];
  /** Image Position Patient: the centre of the first pixel, LPS mm. */
  position: [number, number, number];
  /** Image Orientation Patient: the row direction then the column direction, LPS cosines. */
  orientation: [number, number, number, number, number, number];
  instanceNumber: number;
  studyUid: string;
  seriesUid: string;
  frameOfReferenceUid: string;
  sopInstanceUid: string;
}

/** One slice as the bytes of a DICOM Part 10 file. */
export function encodeDicomSlice(slice: DicomSlice): Uint8Array {
  if (slice.data.length !== slice.rows * slice.columns) throw new Error(`slice has ${slice.data.length} pixels, not ${slice.rows}×${slice.columns}`);
  const meta = encodeElements([
    [0x0002, 0x0001, 'OB', Uint8Array.of(0, 1)],
    [0x0002, 0x0002, 'UI', MR_IMAGE_STORAGE],
    [0x0002, 0x0003, 'UI', slice.sopInstanceUid],
    [0x0002, 0x0010, 'UI', EXPLICIT_VR_LITTLE_ENDIAN],
    [0x0002, 0x0012, 'UI', '2.25.1'],
  ]);
  const metaLength = meta.reduce((n, p) => n + p.length, 0);
  const pixels = new Uint8Array(slice.data.length * 2);
  const view = new DataView(pixels.buffer);
  slice.data.forEach((v, i) => view.setInt16(2 * i, v, true));
  const dataset = encodeElements([
    [0x0008, 0x0016, 'UI', MR_IMAGE_STORAGE],
    [0x0008, 0x0018, 'UI', slice.sopInstanceUid],
    [0x0008, 0x0060, 'CS', 'MR'],
    [0x0010, 0x0010, 'PN', 'Synthetic^Phantom'],
    [0x0010, 0x0020, 'LO', 'micflow-test'],
    [0x0020, 0x000d, 'UI', slice.studyUid],
    [0x0020, 0x000e, 'UI', slice.seriesUid],
    [0x0020, 0x0011, 'IS', '1'],
    [0x0020, 0x0013, 'IS', String(slice.instanceNumber)],
    [0x0020, 0x0032, 'DS', slice.position.map(ds).join('\\')],
    [0x0020, 0x0037, 'DS', slice.orientation.map(ds).join('\\')],
    [0x0020, 0x0052, 'UI', slice.frameOfReferenceUid],
    [0x0028, 0x0002, 'US', 1],
    [0x0028, 0x0004, 'CS', 'MONOCHROME2'],
    [0x0028, 0x0010, 'US', slice.rows],
    [0x0028, 0x0011, 'US', slice.columns],
    // Pixel Spacing is row spacing (between rows) first, then column spacing.
    [0x0028, 0x0030, 'DS', `${ds(slice.spacing[1])}\\${ds(slice.spacing[0])}`],
    [0x0028, 0x0100, 'US', 16],
    [0x0028, 0x0101, 'US', 16],
    [0x0028, 0x0102, 'US', 15],
    [0x0028, 0x0103, 'US', 1],
    [0x7fe0, 0x0010, 'OW', pixels],
  ]);
  return concatBytes([new Uint8Array(128), Uint8Array.from('DICM', (c) => c.charCodeAt(0)), ...encodeElements([[0x0002, 0x0000, 'UL', metaLength]]), ...meta, ...dataset]);
}

/** A series' geometry in ITK's terms (LPS; direction row-major, its columns the axes), as a reader should give it. */
export interface SeriesGeometry {
  size: [number, number, number];
  spacing: [number, number, number];
  origin: [number, number, number];
  direction: number[];
}

/** The rotation Rz(a)·Rx(b), row-major: an oblique but orthonormal set of axes. */
export function obliqueDirection(aDegrees: number, bDegrees: number): number[] {
  const [a, b] = [aDegrees, bDegrees].map((d) => (d * Math.PI) / 180);
  const rz = [Math.cos(a), -Math.sin(a), 0, Math.sin(a), Math.cos(a), 0, 0, 0, 1];
  const rx = [1, 0, 0, 0, Math.cos(b), -Math.sin(b), 0, Math.sin(b), Math.cos(b)];
  return Array.from({ length: 9 }, (_, k) => [0, 1, 2].reduce((s, j) => s + rz[3 * Math.floor(k / 3) + j] * rx[3 * j + (k % 3)], 0));
}

/**
 * The slices of a series with `geometry` as DICOM files, by file name; pixel (i, j) of slice k holds
 * `value(i, j, k)`. Files are named so that their name order is the reverse of their position order (a reader must
 * sort by position). UIDs are fixed strings under the UUID-derived root 2.25, with `tag` to tell two series apart.
 */
export function encodeDicomSeries(geometry: SeriesGeometry, value: (i: number, j: number, k: number) => number, tag = 1): Map<string, Uint8Array> {
  const [columns, rows, slices] = geometry.size;
  const d = geometry.direction;
  const axis = (c: number) => [d[c], d[3 + c], d[6 + c]];
  const [row, column, normal] = [axis(0), axis(1), axis(2)];
  const uid = (kind: number, n = 0) => `2.25.${tag}${kind}0${n}${'7'.repeat(20)}`;
  const files = new Map<string, Uint8Array>();
  for (let k = 0; k < slices; k++) {
    const position = geometry.origin.map((o, x) => o + k * geometry.spacing[2] * normal[x]) as [number, number, number];
    const data = Int16Array.from({ length: columns * rows }, (_, p) => value(p % columns, Math.floor(p / columns), k));
    const bytes = encodeDicomSlice({
      columns,
      rows,
      data,
      spacing: [geometry.spacing[0], geometry.spacing[1]],
      position,
      orientation: [...row, ...column] as DicomSlice['orientation'],
      instanceNumber: k + 1,
      studyUid: uid(1),
      seriesUid: uid(2),
      frameOfReferenceUid: uid(3),
      sopInstanceUid: uid(4, k + 1),
    });
    files.set(`slice${String(slices - 1 - k).padStart(3, '0')}.dcm`, bytes);
  }
  return files;
}
