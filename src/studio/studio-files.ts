import { MicflowError } from '../errors/micflow-error.js';
import { encodeNifti } from '../io/encode-nifti.js';
import type { MedicalImage } from '../io/medical-image.js';
import { csvText } from '../io/write-csv-table.js';
import { axialSlices } from '../datasets/volume-slices.js';

/**
 * Where the annotation studio keeps its work inside the user's folder (all paths relative to it, `/` separators),
 * and the files it builds — the same bytes in the tab (for the fine-tuning run) and on disk (written by the studio
 * server), so that a run of the studio pipeline in Node on the folder reads exactly what the tab trained on:
 *
 *   studio/train_scribble.csv        image,label: every image with a scribble, PyMIC's list layout
 *   studio/scribble/<image>.nii      the scribble of an image or volume: class index per pixel, unannotated = class count
 *   studio/slices/…                  a volume's scribbled slices and their scribbles, as 2D files (what 2D training reads)
 *   studio/images.csv                image: every image of the folder (the test branch inference rebuilds)
 *   labels/<image path>              an accepted mask, in the image's own format and geometry
 *   studio/accepted.csv              image,label: every accepted mask, a training list of the corrected labels
 *   studio-runs/<stamp>/             a fine-tuned checkpoint with its config.json (`npm run infer -- studio-runs/<stamp>`)
 */
export const STUDIO_FOLDER = 'studio';
export const STUDIO_SCRIBBLE_LIST = 'studio/train_scribble.csv';
export const STUDIO_IMAGES_LIST = 'studio/images.csv';
export const STUDIO_ACCEPTED_LIST = 'studio/accepted.csv';
/** The one-row list of the case the page previews (only in the tab's files). */
export const STUDIO_PREVIEW_LIST = 'studio/preview.csv';
export const STUDIO_LABEL_FOLDER = 'labels';
export const STUDIO_RUNS_FOLDER = 'studio-runs';
/** The value file a fine-tuned checkpoint's manifest (`checkpoints/studio.json`) names. */
export const STUDIO_VALUES_FILE = 'studio-values.bin';

/** Folders of the studio's own output, never listed as images to annotate. */
export const STUDIO_OWN_FOLDERS: readonly string[] = [STUDIO_FOLDER, STUDIO_LABEL_FOLDER, STUDIO_RUNS_FOLDER];

/**
 * Image files the studio opens (2D images and volumes): PNG and single-file NIfTI-1, decoded by micflow's own
 * readers, and single-file DICOM, MetaImage and NRRD, decoded by itk-wasm (in the tab its browser build).
 */
export const STUDIO_IMAGE_PATTERN = /\.(png|nii|nii\.gz|dcm|mha|nrrd)$/i;

/** The scribble file of an image: `image/z044.png` → `studio/scribble/image__z044.nii`. */
export function scribbleFileOf(imagePath: string): string {
  return `${STUDIO_FOLDER}/scribble/${imagePath.replace(STUDIO_IMAGE_PATTERN, '').replace(/\//g, '__')}.nii`;
}

/**
 * The accepted label file of an image, in the image's format (`image/z044.png` → `labels/image/z044.png`), except
 * that a DICOM image's label is NIfTI (`scan/a.dcm` → `labels/scan/a.nii.gz`): a label map is no DICOM image.
 */
export function acceptedLabelFileOf(imagePath: string): string {
  return `${STUDIO_LABEL_FOLDER}/${imagePath.replace(/\.dcm$/i, '.nii.gz')}`;
}

/** A PyMIC-style image,label list of images and the files beside them. */
export function imageLabelList(images: readonly string[], labelOf: (image: string) => string): string {
  return csvText(['image', 'label'], [...images].sort().map((image) => [image, labelOf(image)]));
}

/** A PyMIC-style list of images without labels. */
export function imageList(images: readonly string[]): string {
  return csvText(['image'], [...images].sort().map((image) => [image]));
}

/** The grid of an image the studio annotates: columns × rows, and the slices of a volume (1 for a 2D image). */
export interface StudioGrid {
  readonly columns: number;
  readonly rows: number;
  readonly slices: number;
}

/**
 * The grid of a single-channel 2D image or 3D volume (trailing singleton axes dropped), or a MicflowError naming the
 * file. Volumes are annotated and trained on slice by slice: their axial planes (ITK's third axis, as
 * `npm run dataset -- split --slices axial` slices them).
 */
export function studioGridOf(image: Pick<MedicalImage, 'size' | 'components'>, path: string): StudioGrid {
  const size = image.size.slice();
  while (size.length > 2 && size[size.length - 1] === 1) size.pop();
  if (size.length < 2 || size.length > 3) throw new MicflowError('invalid-data', `${path}: the studio annotates 2D images and 3D volumes; this one is ${image.size.join('×')}`);
  if (image.components !== 1) throw new MicflowError('invalid-data', `${path}: the studio annotates single-channel images; this one has ${image.components} components per pixel`);
  return { columns: size[0], rows: size[1], slices: size[2] ?? 1 };
}

/** "112×96", or "48×80×64" for a volume. */
export const gridText = (grid: StudioGrid): string => `${grid.columns}×${grid.rows}${grid.slices > 1 ? `×${grid.slices}` : ''}`;

/** Pixels of a grid (all slices). */
export const voxelsOf = (grid: StudioGrid): number => grid.columns * grid.rows * grid.slices;

/**
 * The scribble of an image as NIfTI-1 bytes: uint8 class indices (the unannotated value where nothing was drawn),
 * in the image's voxel order, with the image's size, spacing, origin and direction, so it overlays the image.
 */
export function encodeScribble(image: MedicalImage, path: string, values: Uint8Array): Uint8Array {
  const grid = studioGridOf(image, path);
  if (values.length !== voxelsOf(grid)) throw new MicflowError('invalid-data', `${path}: a scribble of ${values.length} pixels does not fit the image's ${gridText(grid)}`);
  return encodeNifti({ data: values, size: [...image.size], spacing: [...image.spacing], origin: [...image.origin], direction: [...image.direction], components: 1, pixelType: 'uint8' });
}

/** The file of slice `k` of a volume the studio derives (`image/v.nii.gz`, 3 → `studio/slices/image__v__z0003.nii`). */
export function sliceFileOf(imagePath: string, k: number, kind: 'image' | 'scribble' | 'preview'): string {
  const stem = imagePath.replace(STUDIO_IMAGE_PATTERN, '').replace(/\//g, '__');
  const z = String(k).padStart(4, '0');
  return kind === 'preview' ? `${STUDIO_FOLDER}/preview/${stem}__z${z}.nii` : `${STUDIO_FOLDER}/slices/${stem}__z${z}${kind === 'scribble' ? '_scribble' : ''}.nii`;
}

/** One row of the scribble list and the derived files it needs. */
export interface StudioTrainingRows {
  readonly rows: ReadonlyArray<{ readonly image: string; readonly label: string }>;
  /** Files derived from the image and its scribble (a volume's slices and their scribbles), by path. */
  readonly files: ReadonlyMap<string, Uint8Array>;
}

/**
 * What one scribbled image adds to the training list: a 2D image is one row (the image, its scribble file); a
 * volume gives one row per slice that holds a stroke, each slice and its scribble written as 2D NIfTI files
 * (axialSlices: the slice's own place in space) so a 2D network trains on them. The tab and the studio server
 * build these with this one function, so Node reads the very bytes the tab trained on.
 */
export function studioTrainingRows(path: string, image: MedicalImage, scribble: Uint8Array, scribbleBytes: Uint8Array, unannotated: number): StudioTrainingRows {
  const grid = studioGridOf(image, path);
  if (scribble.length !== voxelsOf(grid)) throw new MicflowError('invalid-data', `${scribbleFileOf(path)}: ${scribble.length} pixels for the image's ${gridText(grid)}`);
  if (grid.slices === 1) return { rows: [{ image: path, label: scribbleFileOf(path) }], files: new Map([[scribbleFileOf(path), scribbleBytes]]) };
  const plane = grid.columns * grid.rows;
  const slices = axialSlices(image, path);
  const rows: Array<{ image: string; label: string }> = [];
  const files = new Map<string, Uint8Array>();
  slices.forEach((slice, k) => {
    const values = scribble.subarray(k * plane, (k + 1) * plane);
    if (values.every((v) => v === unannotated)) return;
    rows.push({ image: sliceFileOf(path, k, 'image'), label: sliceFileOf(path, k, 'scribble') });
    files.set(sliceFileOf(path, k, 'image'), encodeNifti(slice));
    files.set(sliceFileOf(path, k, 'scribble'), encodeNifti({ ...slice, data: Uint8Array.from(values), components: 1, pixelType: 'uint8' }));
  });
  return { rows, files };
}

/** The scribble list of several images' rows (sorted by image, as the server writes it). */
export function scribbleListOf(rows: ReadonlyArray<{ readonly image: string; readonly label: string }>): string {
  return csvText(['image', 'label'], [...rows].sort((a, b) => (a.image < b.image ? -1 : a.image > b.image ? 1 : 0)).map((r) => [r.image, r.label]));
}

/** One image of a fine-tuning run in the tab: its bytes as opened, decoded, and its scribble. */
export interface StudioRunCase {
  readonly path: string;
  readonly bytes: Uint8Array;
  readonly image: MedicalImage;
  readonly scribble: Uint8Array;
}

/**
 * The files a fine-tuning run in the tab reads: the images (2D images as opened; volumes' slices derived), the
 * scribbles and their list (as {@link studioTrainingRows} makes them, the rows the studio server writes), and the
 * preview list: the image on screen, or for a volume every slice, the one on screen first. Keys are paths relative
 * to the folder (OpenedFiles). Returns the preview cases' slice indices in list order too.
 */
export function studioRunFiles(options: {
  readonly scribbled: readonly StudioRunCase[];
  readonly preview: Omit<StudioRunCase, 'scribble'> & { readonly slice: number };
  readonly unannotated: number;
}): { files: Map<string, Uint8Array>; previewSlices: number[] } {
  const encoder = new TextEncoder();
  const files = new Map<string, Uint8Array>();
  if (!options.scribbled.length) throw new MicflowError('invalid-data', 'no image has a scribble yet: draw on at least one image before training');
  const rows: Array<{ image: string; label: string }> = [];
  for (const c of options.scribbled) {
    const training = studioTrainingRows(c.path, c.image, c.scribble, encodeScribble(c.image, c.path, c.scribble), options.unannotated);
    if (studioGridOf(c.image, c.path).slices === 1) files.set(c.path, c.bytes);
    for (const [path, bytes] of training.files) files.set(path, bytes);
    rows.push(...training.rows);
  }
  if (!rows.length) throw new MicflowError('invalid-data', 'the scribbles hold no stroke: draw on at least one image before training');
  files.set(STUDIO_SCRIBBLE_LIST, encoder.encode(scribbleListOf(rows)));
  const preview = studioPreviewFiles(options.preview);
  for (const [path, bytes] of preview.files) files.set(path, bytes);
  return { files, previewSlices: preview.previewSlices };
}

/**
 * The preview list and the files it names: the image on screen, or for a volume every slice (as 2D files), the one
 * on screen first. Returns the slice index of each row.
 */
export function studioPreviewFiles(preview: Omit<StudioRunCase, 'scribble'> & { readonly slice: number }): { files: Map<string, Uint8Array>; previewSlices: number[] } {
  const encoder = new TextEncoder();
  const files = new Map<string, Uint8Array>();
  const grid = studioGridOf(preview.image, preview.path);
  if (grid.slices === 1) {
    files.set(preview.path, preview.bytes);
    files.set(STUDIO_PREVIEW_LIST, encoder.encode(imageList([preview.path])));
    return { files, previewSlices: [0] };
  }
  const slices = axialSlices(preview.image, preview.path);
  const previewSlices = [preview.slice, ...slices.map((_, k) => k).filter((k) => k !== preview.slice)];
  for (const k of previewSlices) files.set(sliceFileOf(preview.path, k, 'preview'), encodeNifti(slices[k]));
  files.set(STUDIO_PREVIEW_LIST, encoder.encode(csvText(['image'], previewSlices.map((k) => [sliceFileOf(preview.path, k, 'preview')]))));
  return { files, previewSlices };
}
