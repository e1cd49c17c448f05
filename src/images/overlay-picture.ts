import { MicflowError } from '../errors/micflow-error.js';
import { OVERLAY_ALPHA, overlayClassColour } from './overlay-class-colours.js';

/**
 * One validation case as one RGB picture, three panels side by side: the grey image, the image with the ground truth
 * blended in by class colour, and the image with the prediction blended in. A 3D case shows one slice along its first
 * axis: the one where the ground truth has the most foreground. Colours and blending (class colour over grey with
 * weight {@link OVERLAY_ALPHA}, background left grey) are the dashboard's, from ./overlay-class-colours.ts.
 */

/** A case's planes as src/io/validation-overlay-file.ts stores them: bytes over [H, W] or [D, H, W], row-major. */
export interface OverlayPlanes {
  readonly shape: readonly number[];
  readonly image: Uint8Array;
  readonly label: Uint8Array;
  readonly prediction: Uint8Array;
}

export interface OverlayPicture {
  /** Three times the case's width. */
  readonly width: number;
  readonly height: number;
  /** RGB, row-major, 3 bytes a pixel. */
  readonly rgb: Uint8Array;
  /** The slice shown (along the first axis) of a 3D case; undefined for 2D. */
  readonly slice: number | undefined;
}

/**
 * The slice of a [D, H, W] label with the most foreground (non-zero) pixels, the first of equals; the middle slice
 * (⌊D / 2⌋) when there is no foreground at all.
 */
export function mostForegroundSlice(shape: readonly number[], label: Uint8Array): number {
  const [depth, height, width] = shape;
  const area = height * width;
  let best = -1;
  let bestCount = 0;
  for (let z = 0; z < depth; z++) {
    let count = 0;
    for (let i = z * area; i < (z + 1) * area; i++) if (label[i] !== 0) count++;
    if (count > bestCount) {
      best = z;
      bestCount = count;
    }
  }
  return best < 0 ? Math.floor(depth / 2) : best;
}

/** The picture of one case (see the module's description). */
export function overlayPicture(planes: OverlayPlanes): OverlayPicture {
  const { shape } = planes;
  if (shape.length !== 2 && shape.length !== 3) {
    throw new MicflowError('invalid-shape', `overlay picture: shape ${shape.join('×')} is neither [H, W] nor [D, H, W]`);
  }
  const voxels = shape.reduce((a, b) => a * b, 1);
  for (const [name, plane] of [['image', planes.image], ['label', planes.label], ['prediction', planes.prediction]] as const) {
    if (plane.length !== voxels) throw new MicflowError('invalid-shape', `overlay picture: the ${name} holds ${plane.length} values, the ${shape.join('×')} shape ${voxels}`);
  }
  const [height, width] = shape.slice(-2);
  const slice = shape.length === 3 ? mostForegroundSlice(shape, planes.label) : undefined;
  const start = (slice ?? 0) * height * width;
  const pictureWidth = 3 * width;
  const rgb = new Uint8Array(pictureWidth * height * 3);
  const panels = [undefined, planes.label, planes.prediction];
  for (let y = 0; y < height; y++) {
    for (let x = 0; x < width; x++) {
      const source = start + y * width + x;
      const grey = planes.image[source];
      panels.forEach((classes, panel) => {
        const colour = classes && classes[source] ? overlayClassColour(classes[source]) : undefined;
        const out = 3 * (y * pictureWidth + panel * width + x);
        for (let c = 0; c < 3; c++) rgb[out + c] = colour ? Math.round((1 - OVERLAY_ALPHA) * grey + OVERLAY_ALPHA * colour[c]) : grey;
      });
    }
  }
  return { width: pictureWidth, height, rgb, slice };
}
