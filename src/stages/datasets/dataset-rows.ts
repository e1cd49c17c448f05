import { MicflowError } from '../../errors/micflow-error.js';
import type { CsvTable } from '../../io/parse-csv-table.js';

/* The rows of a dataset list from its parsed table, without Node: dataset-list.ts reads the file (Node); the browser
   parses the list the user opened. */

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

/** The columns a list must have for `columns`. */
export function datasetListColumns(columns: DatasetColumns): string[] {
  return [columns.imageColumns, columns.labelColumn, columns.weightColumn, columns.pixelWeightColumn, Object.keys(columns.where ?? {})]
    .flat()
    .filter((c): c is string => !!c);
}

/**
 * The cases of a parsed dataset list, keeping the rows that match `where`; `resolvePath` turns a listed path into the
 * file to read (relative to the data root in Node, a key of the opened files in the browser).
 */
export function datasetRowsOf(table: CsvTable, columns: DatasetColumns, resolvePath: (listed: string) => string): DatasetRow[] {
  const csvPath = table.file;
  const where = Object.entries(columns.where ?? {});
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
      return resolvePath(value);
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
