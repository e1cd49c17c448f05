import { MicflowError } from '../errors/micflow-error.js';

export interface CsvTable {
  readonly file: string;
  readonly header: readonly string[];
  /** Data rows as column → value; `line` is the 1-based line number in the file, for messages. */
  readonly rows: ReadonlyArray<{ readonly line: number; readonly values: Readonly<Record<string, string>> }>;
}

/**
 * Parses a PyMIC-style dataset list already read (readCsvTable in Node, the opened files in the browser): a header
 * line naming the columns, then one row per case. Fields may be quoted with double quotes ("" inside quotes is a
 * quote). Blank lines are skipped. Errors name `file` and the line.
 */
export function parseCsvTable(text: string, file: string, requiredColumns: readonly string[]): CsvTable {
  const lines = text.replace(/^\uFEFF/, '').split(/\r?\n/);
  const headerIndex = lines.findIndex((l) => l.trim() !== '');
  if (headerIndex < 0) throw new MicflowError('invalid-data', `${file}: the dataset list is empty (no header line)`);
  const header = splitCsvLine(lines[headerIndex], file, headerIndex + 1).map((h) => h.trim());
  const missing = requiredColumns.filter((c) => !header.includes(c));
  if (missing.length) {
    throw new MicflowError(
      'invalid-data',
      `${file} line ${headerIndex + 1}: missing column${missing.length > 1 ? 's' : ''} ${missing.map((m) => `"${m}"`).join(', ')}; the header has ${header.map((h) => `"${h}"`).join(', ')}`,
    );
  }
  const rows: Array<{ line: number; values: Record<string, string> }> = [];
  for (let i = headerIndex + 1; i < lines.length; i++) {
    if (lines[i].trim() === '') continue;
    const fields = splitCsvLine(lines[i], file, i + 1);
    if (fields.length !== header.length) {
      throw new MicflowError('invalid-data', `${file} line ${i + 1}: ${fields.length} fields, but the header has ${header.length} columns`);
    }
    rows.push({ line: i + 1, values: Object.fromEntries(header.map((h, j) => [h, fields[j].trim()])) });
  }
  if (rows.length === 0) throw new MicflowError('invalid-data', `${file}: the dataset list has a header but no rows`);
  return { file, header, rows };
}

function splitCsvLine(line: string, file: string, lineNumber: number): string[] {
  const fields: string[] = [];
  let current = '';
  let quoted = false;
  for (let i = 0; i < line.length; i++) {
    const c = line[i];
    if (quoted) {
      if (c === '"' && line[i + 1] === '"') {
        current += '"';
        i++;
      } else if (c === '"') quoted = false;
      else current += c;
    } else if (c === '"') quoted = true;
    else if (c === ',') {
      fields.push(current);
      current = '';
    } else current += c;
  }
  if (quoted) throw new MicflowError('invalid-data', `${file} line ${lineNumber}: unterminated quoted field`);
  fields.push(current);
  return fields;
}
