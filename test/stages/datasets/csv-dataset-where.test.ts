import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { firstValueFrom } from 'rxjs';
import { afterAll, describe, expect, it } from 'vitest';
import { instantiateStage } from '../../../src/graph/instantiate-stage.js';
import { inMemoryRunContext } from '../../../src/graph/run-context.js';
import { SeededRandom } from '../../../src/runtime/seeded-random.js';
import { CsvDataset, type CsvDatasetParams } from '../../../src/stages/datasets/csv-dataset.js';
import { checkCsvDataset } from '../../../src/stages/datasets/check-dataset.js';

const fixture = resolve('fixtures/brain-mr-2d');
const dir = mkdtempSync(join(tmpdir(), 'micflow-where-'));
afterAll(() => rmSync(dir, { recursive: true, force: true }));

function dataset(params: Partial<CsvDatasetParams>): CsvDataset {
  return instantiateStage(CsvDataset, { nodeName: 'train', params, run: inMemoryRunContext({ dataRoot: dir }) });
}

/** A split list of four fixture slices, rows 1 and 4 (file lines 2 and 5) marked noisy. */
const slices = ['z060', 'z062', 'z064', 'z066'];
writeFileSync(
  join(dir, 'split.csv'),
  `image,label,noisy\n${slices.map((s, i) => `${fixture}/image/${s}.png,${fixture}/label/${s}.png,${i === 0 || i === 3 ? 1 : 0}`).join('\n')}\n`,
);

describe('CsvDataset where', () => {
  describe('having a list with a 0/1 noisy column', () => {
    it('should keep the rows with noisy = 0 for { noisy: "0" } and the others for { noisy: "1" }, with their own line numbers', async () => {
      for (const [value, lines] of [['0', [3, 4]], ['1', [2, 5]]] as const) {
        const { samples } = await dataset({ csv: 'split.csv', where: { noisy: value } }).streams();
        expect(samples.size).toBe(2);
        const origins = await Promise.all([0, 1].map(async (i) => (await firstValueFrom(samples.read(i, new SeededRandom(1)))).origin));
        expect(origins).toEqual(lines.map((line) => `${join(dir, 'split.csv')} line ${line}`));
      }
    });

    it('should keep every row without a where', async () => {
      const { samples } = await dataset({ csv: 'split.csv' }).streams();
      expect(samples.size).toBe(4);
    });

    it('should check only the kept rows with --check-data', async () => {
      const report = await checkCsvDataset({ csv: 'split.csv', where: { noisy: '1' } }, dir);
      expect(report.rowsChecked).toBe(2);
      expect(report.problems).toEqual([]);
    });
  });

  describe('when no row matches', () => {
    it('should fail naming the list and the condition', async () => {
      await expect(dataset({ csv: 'split.csv', where: { noisy: '2' } }).streams()).rejects.toThrow(/split\.csv: no row has noisy = "2" \(4 rows read\)/);
    });
  });

  describe('when the where column is not in the list', () => {
    it('should fail naming the missing column', async () => {
      await expect(dataset({ csv: 'split.csv', where: { clean: '1' } }).streams()).rejects.toThrow(/missing column "clean"/);
    });
  });
});
