import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { readCsvTable } from '../../src/io/read-csv-table.js';

const dir = mkdtempSync(join(tmpdir(), 'micflow-csv-'));
afterAll(() => rmSync(dir, { recursive: true, force: true }));
function file(name: string, text: string): string {
  const path = join(dir, name);
  writeFileSync(path, text);
  return path;
}

describe('readCsvTable', () => {
  describe('having a PyMIC list with quotes, CRLF and blank lines', () => {
    it('should return rows keyed by column with their line numbers', async () => {
      const path = file('ok.csv', 'image,label\r\n"a,1.png",b.png\r\n\r\n"say ""hi"".png",c.png\r\n');
      const table = await readCsvTable(path, ['image', 'label']);
      expect(table.rows).toEqual([
        { line: 2, values: { image: 'a,1.png', label: 'b.png' } },
        { line: 4, values: { image: 'say "hi".png', label: 'c.png' } },
      ]);
    });
  });

  describe('when the file is missing, empty, header-only, short of columns or ragged', () => {
    it('should name the file (and line) in one message', async () => {
      await expect(readCsvTable(join(dir, 'nope.csv'), [])).rejects.toThrow(`${join(dir, 'nope.csv')}: cannot read the dataset list (no such file)`);
      await expect(readCsvTable(file('empty.csv', '\n\n'), [])).rejects.toThrow('the dataset list is empty');
      await expect(readCsvTable(file('header.csv', 'image,label\n'), ['image'])).rejects.toThrow('has a header but no rows');
      await expect(readCsvTable(file('cols.csv', 'img,label\na,b\n'), ['image', 'label'])).rejects.toThrow(
        'cols.csv line 1: missing column "image"; the header has "img", "label"',
      );
      await expect(readCsvTable(file('ragged.csv', 'image,label\na,b\nc\n'), ['image'])).rejects.toThrow(
        'ragged.csv line 3: 1 fields, but the header has 2 columns',
      );
    });
  });
});
