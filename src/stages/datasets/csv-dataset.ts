import { access } from 'node:fs/promises';
import { resolve } from 'node:path';
import { z } from 'zod';
import { MicflowError } from '../../errors/micflow-error.js';
import type { PortSpecs } from '../../graph/port-spec.js';
import type { SampleStream } from '../../graph/sample.js';
import { SampleStreamStage, type FirstCaseShape } from '../../graph/stage.js';
import { decodeCase, spatialShapeOf } from './decode-case.js';
import { readImageSize } from '../../io/read-image-size.js';
import { cachedCaseSamples } from './cached-case-samples.js';
import { DecodeWorkerPool } from './decode-worker-pool.js';
import { readDatasetList, type DatasetRow } from './dataset-list.js';
import { checkCsvDataset, missingFiles } from './check-dataset.js';
import { csvDatasetParams, type CsvDatasetParams } from './csv-dataset-params.js';

export { csvDatasetParams, type CsvDatasetParams };
import type { DataCheckContext, DataCheckReport } from '../../graph/data-check.js';
import { nodeOnlyStages } from '../node-only-stages.js';


/** A dataset is a source: it reads its list, not a stream. */
const csvDatasetInputs = {} as const satisfies PortSpecs;
const csvDatasetOutputs = { samples: { type: 'samples', description: 'one sample per CSV row' } } as const satisfies PortSpecs;

/**
 * A dataset read from a PyMIC-style CSV list: image columns (modalities, stacked as channels), an optional label
 * column, optional image-weight and pixel-weight columns; paths relative to the data root. 2D images give samples
 * [H, W, C], 3D volumes [D, H, W, C] (RandomSlice draws 2D slices from them). The list is read and every file's
 * existence checked when the run starts, so a wrong path fails before training with the file and line; images are
 * decoded on first use (own NIfTI/PNG readers, itk-wasm for the rest), checked (sizes, geometry, label classes) and
 * cached under a byte budget, optionally in worker threads (`decodeWorkers`). `checkCsvDataset` runs every check up
 * front (`--check-data`).
 */
export class CsvDataset extends SampleStreamStage<CsvDatasetParams, typeof csvDatasetInputs> {
  static readonly className = 'CsvDataset';
  static readonly runsIn = nodeOnlyStages.CsvDataset.runsIn;
  static readonly runsInReason = nodeOnlyStages.CsvDataset.reason;
  static readonly description = 'Images (and labels, weights) listed in a PyMIC-style CSV file, 2D or 3D, decoded on demand and cached';
  static readonly reference = 'PyMIC io.nifty_dataset.NiftyDataset';
  static readonly paramsSchema = csvDatasetParams;
  static readonly inputs = csvDatasetInputs;
  static readonly outputs = csvDatasetOutputs;

  /** Every file of the list checked at once, before training (see {@link checkCsvDataset}). */
  static checkData(params: CsvDatasetParams, context: DataCheckContext): Promise<DataCheckReport> {
    return checkCsvDataset(params, context);
  }

  /** The list's first row's first image and its spatial shape, from the image header where the format has one. */
  static async firstCaseShape(params: CsvDatasetParams, dataRoot: string): Promise<FirstCaseShape | undefined> {
    const list = resolve(dataRoot, params.csv);
    const [first] = await readDatasetList(list, dataRoot, params);
    if (!first) return undefined;
    return { list, file: first.images[0], shape: spatialShapeOf({ size: await readImageSize(first.images[0]) }) };
  }

  private pool: DecodeWorkerPool | undefined;

  override dispose(): void {
    void this.pool?.close();
    this.pool = undefined;
  }

  override async streams(): Promise<Record<string, SampleStream>> {
    const csvPath = resolve(this.context.run.dataRoot, this.params.csv);
    const rows = await readDatasetList(csvPath, this.context.run.dataRoot, this.params);
    const missing = await missingFiles(rows);
    if (missing.length) {
      throw new MicflowError('invalid-data', `${csvPath}: ${missing.length} listed file${missing.length > 1 ? 's do' : ' does'} not exist`, missing.sort().slice(0, 10));
    }
    const expectations = { classes: this.params.classes, extraLabelValues: this.params.extraLabelValues };
    const pool = this.params.decodeWorkers > 0 ? (this.pool = new DecodeWorkerPool(this.params.decodeWorkers)) : undefined;
    const decode = (row: DatasetRow) => (pool ? pool.decode(row, expectations) : decodeCase(row, expectations));
    const cacheBytes = this.params.cache ? this.params.cacheMegabytes * 2 ** 20 : 0;
    return { samples: cachedCaseSamples(rows, csvPath, cacheBytes, decode) };
  }
}
