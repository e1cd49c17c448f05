import { readFile } from 'node:fs/promises';
import { MicflowError } from '../errors/micflow-error.js';
import { parseCsvTable, type CsvTable } from './parse-csv-table.js';

export { parseCsvTable, type CsvTable } from './parse-csv-table.js';

/**
 * Reads a PyMIC-style dataset list: a header line naming the columns, then one row per case. Fields may be quoted
 * with double quotes ("" inside quotes is a quote). Blank lines are skipped. Errors name the file and the line.
 */
export async function readCsvTable(file: string, requiredColumns: readonly string[]): Promise<CsvTable> {
  let text: string;
  try {
    text = await readFile(file, 'utf8');
  } catch (error) {
    const code = (error as NodeJS.ErrnoException).code;
    throw new MicflowError('invalid-data', `${file}: cannot read the dataset list (${code === 'ENOENT' ? 'no such file' : code ?? String(error)})`);
  }
  return parseCsvTable(text, file, requiredColumns);
}

