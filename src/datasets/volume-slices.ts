import { MicflowError } from '../errors/micflow-error.js';
import type { MedicalImage } from '../io/medical-image.js';

/**
 * The axial slices of a 3D volume: slice k is the plane z = k of the array (ITK's third axis: the axial plane of an
 * axial acquisition, a short-axis slice of an ACDC cine stack), as an x × y × 1 image that keeps the volume's
 * spacing and direction and lies where the plane lies (origin + k · spacing_z · the z axis direction). A CsvDataset
 * reads such a file as a 2D image (trailing singleton axes are dropped), so 2D pipelines train on it while a viewer
 * still shows it in place.
 *
 * @throws MicflowError('invalid-data') naming `file` when the image is not 3D.
 */
export function axialSlices(volume: MedicalImage, file: string): MedicalImage[] {
  if (volume.size.length !== 3) {
    throw new MicflowError('invalid-data', `--slices axial: ${file} is ${volume.size.length}D (${volume.size.join('×')}); only 3D volumes are sliced`);
  }
  const [x, y, z] = volume.size;
  const perSlice = x * y * volume.components;
  const axis = [volume.direction[2], volume.direction[5], volume.direction[8]];
  return Array.from({ length: z }, (_, k) => ({
    ...volume,
    data: volume.data.slice(k * perSlice, (k + 1) * perSlice),
    size: [x, y, 1],
    origin: volume.origin.map((o, i) => o + k * volume.spacing[2] * axis[i]),
    spacing: [...volume.spacing],
    direction: [...volume.direction],
  }));
}
