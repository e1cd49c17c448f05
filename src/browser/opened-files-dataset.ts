import { MicflowError } from '../errors/micflow-error.js';
import type { PortSpecs } from '../graph/port-spec.js';
import type { SampleStream } from '../graph/sample.js';
import { SampleStreamStage, type StageClass } from '../graph/stage.js';
import { parseCsvTable } from '../io/parse-csv-table.js';
import { assembleCase } from '../stages/datasets/assemble-case.js';
import { cachedCaseSamples } from '../stages/datasets/cached-case-samples.js';
import { csvDatasetParams, type CsvDatasetParams } from '../stages/datasets/csv-dataset-params.js';
import { datasetListColumns, datasetRowsOf } from '../stages/datasets/dataset-rows.js';
import { decodeOpenedImage, isOpened, openedFile, openedPathOf, type OpenedFiles } from './opened-files.js';

const inputs = {} as const satisfies PortSpecs;
const outputs = { samples: { type: 'samples', description: 'one sample per CSV row' } } as const satisfies PortSpecs;

/** The stage name the browser runner gives CsvDataset nodes. */
export const OPENED_FILES_DATASET = 'OpenedFilesDataset';

/**
 * CsvDataset's counterpart for files a user opened (no disk): the same params, the same list parsing, the same
 * per-case checks and the same samples, read from `files` (paths relative to the data root). `decodeWorkers` is
 * ignored (cases decode on the tab's thread). Returned as a class bound to the files of one run.
 */
export function openedFilesDataset(files: OpenedFiles): StageClass<CsvDatasetParams> {
  return class OpenedFilesDataset extends SampleStreamStage<CsvDatasetParams, typeof inputs> {
    static readonly className = OPENED_FILES_DATASET;
    static readonly description = 'Images (and labels, weights) listed in a PyMIC-style CSV file among the files opened in the browser';
    static readonly reference = 'PyMIC io.nifty_dataset.NiftyDataset';
    static readonly paramsSchema = csvDatasetParams;
    static readonly inputs = inputs;
    static readonly outputs = outputs;

    override async streams(): Promise<Record<string, SampleStream>> {
      const csv = openedPathOf(this.params.csv);
      const text = new TextDecoder().decode(openedFile(files, csv, `node "${this.nodeName}": dataset list`));
      const table = parseCsvTable(text, csv, datasetListColumns(this.params));
      const rows = datasetRowsOf(table, this.params, (listed) => openedPathOf(listed));
      const missing = rows.flatMap((row) => [...row.images, row.label, row.pixelWeight].filter((f): f is string => !!f && !isOpened(files, f)).map((f) => `${row.origin}: ${f}`));
      if (missing.length) {
        throw new MicflowError('invalid-data', `${csv}: ${missing.length} listed file${missing.length > 1 ? 's are' : ' is'} not among the ${files.size} opened files`, missing.slice(0, 10));
      }
      const expectations = { classes: this.params.classes, extraLabelValues: this.params.extraLabelValues };
      const read = (file: string) => decodeOpenedImage(file, files);
      const cacheBytes = this.params.cache ? this.params.cacheMegabytes * 2 ** 20 : 0;
      return { samples: cachedCaseSamples(rows, csv, cacheBytes, (row) => assembleCase(row, expectations, read)) };
    }
  };
}
