import { isAbsolute, resolve } from 'node:path';
import { MicflowError } from '../../errors/micflow-error.js';
import { readCsvTable } from '../../io/read-csv-table.js';

/** Which columns of a PyMIC-style CSV list hold what. */
export interface DatasetColumns {
  /** Image files, one column per modality (stacked as channels). */
  readonly imageColumns: readonly string[];
  /** Label file column, or null for an unlabelled list. */
  readonly labelColumn: string | null;
  /** Per-image loss weight column (a number), or null. */
  readonly weightColumn: string | null;
  /** Per-pixel loss weight image column, or null. */
  readonly pixelWeightColumn: string | null;
  /** Keep only the rows whose columns hold these values (e.g. `{ noisy: '0' }`: the clean part of a noisy list). */
  readonly where?: Readonly<Record<string, string>>;
}

/** One row of a dataset list, paths resolved against the data root. */
export interface DatasetRow {
  /** "list.csv line 4", for messages. */
  readonly origin: string;
  readonly id: string;
  readonly images: readonly string[];
  readonly label?: string;
  readonly pixelWeight?: string;
  readonly weight?: number;
}

/**
 * Reads a dataset list (PyMIC's CSV form: a header naming the columns, one case per row; relative paths are
 * relative to the data root), keeping the rows that match `where`. A missing column, an empty list, a `where` that no
 * row matches, an empty path or a weight that is not a number fails with the file and line.
 */
export async function readDatasetList(csvPath: string, dataRoot: string, columns: DatasetColumns): Promise<DatasetRow[]> {
  const where = Object.entries(columns.where ?? {});
  const required = [columns.imageColumns, columns.labelColumn, columns.weightColumn, columns.pixelWeightColumn, where.map(([c]) => c)]
    .flat()
    .filter((c): c is string => !!c);
  const table = await readCsvTable(csvPath, required);
  const kept = table.rows.filter((row) => where.every(([column, value]) => row.values[column] === value));
  if (kept.length === 0) {
    const condition = where.map(([column, value]) => `${column} = "${value}"`).join(' and ');
    throw new MicflowError('invalid-data', `${csvPath}: no row has ${condition} (${table.rows.length} rows read)`);
  }
  return kept.map((row) => {
    const origin = `${csvPath} line ${row.line}`;
    const path = (column: string) => {
      const value = row.values[column];
      if (!value) throw new MicflowError('invalid-data', `${origin}: column "${column}" is empty`);
      return isAbsolute(value) ? value : resolve(dataRoot, value);
    };
    let weight: number | undefined;
    if (columns.weightColumn) {
      weight = Number(row.values[columns.weightColumn]);
      if (row.values[columns.weightColumn] === '' || !Number.isFinite(weight) || weight < 0) {
        throw new MicflowError('invalid-data', `${origin}: weight "${row.values[columns.weightColumn]}" in column "${columns.weightColumn}" is not a non-negative number`);
      }
    }
    return {
      origin,
      id: row.values[columns.imageColumns[0]].replace(/^.*[\\/]/, '').replace(/\.(nii\.gz|[a-z0-9]+)$/i, ''),
      images: columns.imageColumns.map(path),
      label: columns.labelColumn ? path(columns.labelColumn) : undefined,
      pixelWeight: columns.pixelWeightColumn ? path(columns.pixelWeightColumn) : undefined,
      weight,
    };
  });
}
