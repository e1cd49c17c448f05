import { isAbsolute, resolve } from 'node:path';
import { readCsvTable } from '../../io/read-csv-table.js';
import { datasetRowsOf, datasetListColumns, type DatasetColumns, type DatasetRow } from './dataset-rows.js';

export type { DatasetColumns, DatasetRow } from './dataset-rows.js';

/**
 * Reads a dataset list (PyMIC's CSV form: a header naming the columns, one case per row; relative paths are
 * relative to the data root), keeping the rows that match `where`. A missing column, an empty list, a `where` that no
 * row matches, an empty path or a weight that is not a number fails with the file and line.
 */
export async function readDatasetList(csvPath: string, dataRoot: string, columns: DatasetColumns): Promise<DatasetRow[]> {
  const table = await readCsvTable(csvPath, datasetListColumns(columns));
  return datasetRowsOf(table, columns, (value) => (isAbsolute(value) ? value : resolve(dataRoot, value)));
}
