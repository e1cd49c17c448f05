import { defer, map, type Observable } from 'rxjs';
import type { Sample, SampleStream } from '../../graph/sample.js';
import type { SeededRandom } from '../../runtime/seeded-random.js';
import { decodedBytes, sampleOfCase, type DecodedCase } from './assemble-case.js';
import type { DatasetRow } from './dataset-rows.js';
import { DecodedCaseCache } from './decoded-case-cache.js';

/**
 * The sample stream of a dataset list's rows: case `index` is decoded by `decode` when first read (kept in a
 * {@link DecodedCaseCache} of `cacheBytes`, 0 for none) and made a sample with the reader's random stream. CsvDataset
 * (files on disk, optionally in decode workers) and the browser's OpenedFilesDataset (files the user opened) differ
 * only in `decode`. Node-free.
 */
export function cachedCaseSamples(rows: readonly DatasetRow[], origin: string, cacheBytes: number, decode: (row: DatasetRow) => Promise<DecodedCase>): SampleStream {
  const cache = new DecodedCaseCache<DecodedCase>(cacheBytes, decodedBytes);
  return {
    size: rows.length,
    origin,
    read(index: number, random: SeededRandom): Observable<Sample> {
      const row = rows[index];
      return defer(() => cache.get(index, () => decode(row))).pipe(map((decoded) => sampleOfCase(row, decoded, random)));
    },
  };
}
