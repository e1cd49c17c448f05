import { readdir, stat } from 'node:fs/promises';
import path from 'node:path';
import { readImageDicomFileSeriesNode } from '@itk-wasm/dicom';
import { MicflowError } from '../errors/micflow-error.js';
import type { MedicalImage, PixelData } from './medical-image.js';
import { medicalImageOfItk } from './medical-image-of-itk.js';

/**
 * Reads a DICOM series — a folder of slice files, or the files themselves — as one volume with @itk-wasm/dicom
 * (GDCM underneath): slices sorted by position along the slice normal, spacing between slices from their positions,
 * origin and direction in LPS as DICOM itself defines them (ImagePositionPatient, ImageOrientationPatient).
 * In a folder, every regular file not starting with "." is taken as part of the series.
 *
 * @throws MicflowError('invalid-data') naming the folder when it holds no files or they are not one readable series.
 */
export async function readDicomSeries(folderOrFiles: string | readonly string[]): Promise<MedicalImage> {
  const where = typeof folderOrFiles === 'string' ? folderOrFiles : `${folderOrFiles.length} DICOM files (${folderOrFiles[0] ?? 'none'}…)`;
  let files: string[];
  if (typeof folderOrFiles === 'string') {
    const names = await readdir(folderOrFiles).catch(() => undefined);
    if (!names) throw new MicflowError('invalid-data', `DICOM series ${where}: no such folder.`);
    const candidates = names.filter((n) => !n.startsWith('.')).sort().map((n) => path.join(folderOrFiles, n));
    const kinds = await Promise.all(candidates.map((f) => stat(f).then((s) => s.isFile())));
    files = candidates.filter((_, i) => kinds[i]);
  } else files = [...folderOrFiles];
  if (!files.length) throw new MicflowError('invalid-data', `DICOM series ${where}: no files.`);
  let image;
  try {
    ({ outputImage: image } = await readImageDicomFileSeriesNode({ inputImages: files, singleSortedSeries: false }));
  } catch (error) {
    throw new MicflowError('invalid-data', `Could not read DICOM series ${where}: unreadable or not one series.`, [error instanceof Error ? error.message : String(error)]);
  }
  if (!image.data) throw new MicflowError('invalid-data', `DICOM series ${where} has no pixel data.`);
  return medicalImageOfItk({ ...image, data: image.data as PixelData });
}
