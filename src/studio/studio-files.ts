import { MicflowError } from '../errors/micflow-error.js';
import { encodeNifti } from '../io/encode-nifti.js';
import type { MedicalImage } from '../io/medical-image.js';
import { csvText } from '../io/write-csv-table.js';

/**
 * Where the annotation studio keeps its work inside the user's folder (all paths relative to it, `/` separators),
 * and the files it builds — the same bytes in the tab (for the fine-tuning run) and on disk (written by the studio
 * server), so that a run of the studio pipeline in Node on the folder reads exactly what the tab trained on:
 *
 *   studio/train_scribble.csv        image,label: every image with a scribble, PyMIC's list layout
 *   studio/scribble/<image>.nii      the scribble of an image: class index per pixel, unannotated = class count
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

/** Image files the studio opens: PNG and single-file NIfTI-1. */
export const STUDIO_IMAGE_PATTERN = /\.(png|nii|nii\.gz)$/i;

/** The scribble file of an image: `image/z044.png` → `studio/scribble/image__z044.nii`. */
export function scribbleFileOf(imagePath: string): string {
  return `${STUDIO_FOLDER}/scribble/${imagePath.replace(STUDIO_IMAGE_PATTERN, '').replace(/\//g, '__')}.nii`;
}

/** The accepted label file of an image: `image/z044.png` → `labels/image/z044.png`. */
export function acceptedLabelFileOf(imagePath: string): string {
  return `${STUDIO_LABEL_FOLDER}/${imagePath}`;
}

/** A PyMIC-style image,label list of images and the files beside them. */
export function imageLabelList(images: readonly string[], labelOf: (image: string) => string): string {
  return csvText(['image', 'label'], [...images].sort().map((image) => [image, labelOf(image)]));
}

/** A PyMIC-style list of images without labels. */
export function imageList(images: readonly string[]): string {
  return csvText(['image'], [...images].sort().map((image) => [image]));
}

/** Spatial size of a 2D image (PNG, or a NIfTI with one slice), or a MicflowError naming the file. */
export function studioImageSize(image: MedicalImage, path: string): [number, number] {
  const size = image.size.slice();
  while (size.length > 2 && size[size.length - 1] === 1) size.pop();
  if (size.length !== 2) throw new MicflowError('invalid-data', `${path}: the studio annotates 2D images; this one is ${image.size.join('×')} (volumes: slice them first, npm run dataset -- split --slices axial)`);
  if (image.components !== 1) throw new MicflowError('invalid-data', `${path}: the studio annotates single-channel images; this one has ${image.components} components per pixel`);
  return [size[0], size[1]];
}

/**
 * The scribble of an image as NIfTI-1 bytes: uint8 class indices (the unannotated value where nothing was drawn),
 * row-major like the image, with the image's spacing, origin and direction, so it overlays the image for CsvDataset.
 */
export function encodeScribble(image: MedicalImage, path: string, values: Uint8Array): Uint8Array {
  const [columns, rows] = studioImageSize(image, path);
  if (values.length !== columns * rows) throw new MicflowError('invalid-data', `${path}: a scribble of ${values.length} pixels does not fit the image's ${columns}×${rows}`);
  return encodeNifti({
    data: values,
    size: [...image.size],
    spacing: [...image.spacing],
    origin: [...image.origin],
    direction: [...image.direction],
    components: 1,
    pixelType: 'uint8',
  });
}

/**
 * The files a fine-tuning run in the tab reads: the images, the scribble files and their list, the images list and
 * the preview list (the case being annotated). Keys are paths relative to the folder (OpenedFiles).
 */
export function studioRunFiles(options: {
  readonly images: ReadonlyMap<string, Uint8Array>;
  readonly scribbles: ReadonlyMap<string, Uint8Array>;
  readonly preview: string;
}): Map<string, Uint8Array> {
  const encoder = new TextEncoder();
  const files = new Map<string, Uint8Array>(options.images);
  const annotated = [...options.scribbles.keys()];
  if (!annotated.length) throw new MicflowError('invalid-data', 'no image has a scribble yet: draw on at least one image before training');
  for (const [image, bytes] of options.scribbles) {
    if (!options.images.has(image)) throw new MicflowError('invalid-data', `scribble of ${image}: the image is not among the opened files`);
    files.set(scribbleFileOf(image), bytes);
  }
  files.set(STUDIO_SCRIBBLE_LIST, encoder.encode(imageLabelList(annotated, scribbleFileOf)));
  files.set(STUDIO_IMAGES_LIST, encoder.encode(imageList([...options.images.keys()])));
  files.set(STUDIO_PREVIEW_LIST, encoder.encode(imageList([options.preview])));
  return files;
}
