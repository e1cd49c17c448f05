import { readImage } from '../../io/read-image.js';
import { assembleCase, type DecodeExpectations, type DecodedCase } from './assemble-case.js';
import type { DatasetRow } from './dataset-rows.js';

export { assembleCase, decodedBytes, sampleOfCase, geometryMismatch, spatialShapeOf, type DecodeExpectations, type DecodedCase } from './assemble-case.js';

/**
 * Reads and checks one row's files (see {@link assembleCase}): every modality and the label/pixel weight must have the
 * first image's size and geometry; images must hold finite values only; the label must be one integer component with
 * values in the declared classes. Every failure is one MicflowError naming the row and the file.
 */
export function decodeCase(row: DatasetRow, expectations: DecodeExpectations): Promise<DecodedCase> {
  return assembleCase(row, expectations, readImage);
}
