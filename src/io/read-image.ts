import { randomBytes } from 'node:crypto';
import { rename, rm, stat } from 'node:fs/promises';
import path from 'node:path';
import { readImageNode, writeImageNode } from '@itk-wasm/image-io';
import { MicflowError } from '../errors/micflow-error.js';
import { pixelCount, type ComponentType, type MedicalImage, type PixelData } from './medical-image.js';
import { medicalImageOfItk } from './medical-image-of-itk.js';
import { readDicomSeries } from './read-dicom-series.js';
import { isNiftiFile, readNifti, UnsupportedNiftiVariant } from './read-nifti.js';
import { isPngFile, readPng, UnsupportedPngVariant } from './read-png.js';
import { writeNifti } from './write-nifti.js';
import { canWritePng, writePng } from './write-png.js';

/** itk-wasm's Image type, taken from the writer's signature so we need not import the transitive `itk-wasm` package. */
type ItkImage = Parameters<typeof writeImageNode>[0];

const TYPED_ARRAY_OF: Record<ComponentType, new (length: number) => PixelData> = {
  int8: Int8Array,
  uint8: Uint8Array,
  int16: Int16Array,
  uint16: Uint16Array,
  int32: Int32Array,
  uint32: Uint32Array,
  int64: BigInt64Array,
  uint64: BigUint64Array,
  float32: Float32Array,
  float64: Float64Array,
};

function reason(error: unknown): string {
  if (error instanceof Error) return error.message;
  // Emscripten file-system failures are plain objects like { name: 'ErrnoError', errno: 44 } (44 = ENOENT).
  if (error && typeof error === 'object' && 'errno' in error) {
    const { name, errno } = error as { name?: unknown; errno?: unknown };
    return `${String(name ?? 'error')} errno ${String(errno)}${errno === 44 ? ' (no such file or directory)' : ''}`;
  }
  return String(error);
}

/**
 * Reads a medical or ordinary image file (NIfTI, NRRD, MetaImage, PNG, ...) with itk-wasm; single-file NIfTI-1
 * (.nii, .nii.gz) and non-interlaced PNG go through micflow's own readers ({@link readNifti}, {@link readPng}: several
 * times faster, same result — except that palette PNGs give palette indices and 1/2/4-bit grey its stored values).
 * A folder is read as a DICOM series ({@link readDicomSeries}).
 * Geometry comes back in ITK's LPS convention; see {@link MedicalImage}.
 * The first call in a process also starts the wasm module (a few hundred ms).
 *
 * @throws MicflowError('invalid-data') when the file is missing, unreadable or in an unsupported format.
 */
export async function readImage(file: string): Promise<MedicalImage> {
  const info = await stat(file).catch(() => undefined);
  if (!info) throw new MicflowError('invalid-data', `Image file ${file} does not exist.`);
  if (info.isDirectory()) return readDicomSeries(file);
  if (!info.isFile()) throw new MicflowError('invalid-data', `Image file ${file} is not a regular file.`);

  if (isNiftiFile(file)) {
    try {
      return await readNifti(file);
    } catch (error) {
      if (!(error instanceof UnsupportedNiftiVariant)) throw error;
    }
  }
  if (isPngFile(file)) {
    try {
      return await readPng(file);
    } catch (error) {
      if (!(error instanceof UnsupportedPngVariant)) throw error;
    }
  }

  let image: ItkImage;
  try {
    image = await readImageNode(file);
  } catch (error) {
    throw new MicflowError('invalid-data', `Could not read image file ${file}: unreadable or unsupported format.`, [
      reason(error),
    ]);
  }
  if (!image.data) throw new MicflowError('invalid-data', `Image file ${file} has no pixel data.`);

  return medicalImageOfItk({ ...image, data: image.data as PixelData });
}

function checkWritable(file: string, image: MedicalImage): void {
  const dimension = image.size.length;
  const problems: string[] = [];
  if (dimension < 1) problems.push('size is empty');
  if (image.spacing.length !== dimension) problems.push(`spacing has ${image.spacing.length} entries, size ${dimension}`);
  if (image.origin.length !== dimension) problems.push(`origin has ${image.origin.length} entries, size ${dimension}`);
  if (image.direction.length !== dimension * dimension)
    problems.push(`direction has ${image.direction.length} entries, expected ${dimension * dimension}`);
  if (!Number.isInteger(image.components) || image.components < 1) problems.push(`components is ${image.components}`);
  const ArrayType = TYPED_ARRAY_OF[image.pixelType];
  if (!ArrayType) problems.push(`unknown pixel type ${String(image.pixelType)}`);
  else if (!(image.data instanceof ArrayType))
    problems.push(`pixel type ${image.pixelType} but data is a ${image.data.constructor.name}`);
  const expected = pixelCount(image) * image.components;
  if (image.data.length !== expected) problems.push(`data has ${image.data.length} values, size needs ${expected}`);
  if (problems.length) throw new MicflowError('invalid-data', `Cannot write image ${file}: inconsistent image.`, problems);
}

function itkPixelType(image: MedicalImage): ItkImage['imageType']['pixelType'] {
  if (image.components === 1) return 'Scalar';
  if (image.components === 3 && image.pixelType === 'uint8') return 'RGB';
  if (image.components === 4 && image.pixelType === 'uint8') return 'RGBA';
  return 'VariableLengthVector';
}

/**
 * Writes an image with itk-wasm; the format follows the file extension (.nii.gz, .nrrd, .mha, .png, ...). NIfTI and
 * 8/16-bit 2D PNG go through micflow's own writers ({@link writeNifti}, {@link writePng}).
 * Writes to a temporary file in the same folder and renames it, so a failed write leaves no partial file.
 *
 * @throws MicflowError('invalid-data') when the image is inconsistent or the format cannot hold it.
 */
export async function writeImage(file: string, image: MedicalImage): Promise<void> {
  checkWritable(file, image);
  const dimension = image.size.length;
  if (isNiftiFile(file) && dimension <= 3) return writeNifti(file, image);
  if (isPngFile(file) && canWritePng(image)) return writePng(file, image);
  const itkImage: ItkImage = {
    imageType: { dimension, componentType: image.pixelType, pixelType: itkPixelType(image), components: image.components },
    name: path.basename(file),
    origin: [...image.origin],
    spacing: [...image.spacing],
    direction: new Float64Array(image.direction),
    size: [...image.size],
    metadata: new Map(),
    data: image.data,
  };

  // Same folder (so rename is atomic), same ending (itk-wasm picks the format from the extension).
  const temporary = path.join(path.dirname(file), `.tmp-${process.pid}-${randomBytes(4).toString('hex')}-${path.basename(file)}`);
  try {
    await writeImageNode(itkImage, temporary, { useCompression: true });
    await rename(temporary, file);
  } catch (error) {
    await rm(temporary, { force: true });
    throw new MicflowError('invalid-data', `Could not write image file ${file}.`, [reason(error)]);
  }
}
