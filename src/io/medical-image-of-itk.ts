import { identityDirection, type ComponentType, type MedicalImage, type PixelData } from './medical-image.js';

/** The fields of an itk-wasm Image that micflow reads (structural, so neither Node nor browser itk-wasm need be imported). */
export interface ItkWasmImage {
  imageType: { dimension: number; componentType: string; components: number };
  size: ArrayLike<number>;
  spacing: ArrayLike<number>;
  origin: ArrayLike<number>;
  direction?: ArrayLike<number | bigint> | null;
  data: unknown;
}

/**
 * An itk-wasm Image as a MedicalImage: the same arrays, LPS geometry as ITK gives it, identity direction where there
 * is none, and -0 (which some readers give) as 0. The one conversion Node's readers and the browser's share, so a
 * file decoded in a tab has the geometry Node reads. The caller checks that `data` is there.
 */
export function medicalImageOfItk(image: ItkWasmImage & { data: PixelData }): MedicalImage {
  const dimension = image.imageType.dimension;
  return {
    data: image.data,
    size: Array.from(image.size),
    spacing: Array.from(image.spacing),
    origin: Array.from(image.origin),
    // `+ 0` turns the -0 some readers produce into 0.
    direction: image.direction ? Array.from(image.direction, (v) => Number(v) + 0) : identityDirection(dimension),
    components: image.imageType.components,
    pixelType: image.imageType.componentType as ComponentType,
  };
}
