import { resolve } from 'node:path';
import { isMicflowError } from '../../errors/micflow-error.js';
import type { DataCheckContext, DataCheckReport } from '../../graph/data-check.js';
import { access } from 'node:fs/promises';
import { csvDatasetParams } from './csv-dataset-params.js';
import type { DatasetRow } from './dataset-list.js';
import { decodeCase } from './decode-case.js';
import { readDatasetList } from './dataset-list.js';


function messageOf(error: unknown): string {
  return isMicflowError(error) || error instanceof Error ? error.message : String(error);
}

/**
 * Validates one dataset list the way training would use it, but all at once and without stopping at the first
 * problem: the list itself (exists, not empty, has the columns, weights are numbers), every listed file (exists,
 * decodes — not truncated or unreadable), and every row's consistency (sizes and geometry of modalities, label and
 * pixel weight; label values within the declared classes). Decodes `concurrency` rows at a time.
 */
export async function checkCsvDataset(params: unknown, context: DataCheckContext | string, concurrency = 2): Promise<DataCheckReport> {
  const { dataRoot, inferredClasses } = typeof context === 'string' ? { dataRoot: context, inferredClasses: undefined } : context;
  const parsed = csvDatasetParams.safeParse(params);
  if (!parsed.success) return { lists: 0, rowsChecked: 0, problems: [`CsvDataset params: ${parsed.error.issues.map((i) => `${i.path.join('.')}: ${i.message}`).join('; ')}`] };
  const p = parsed.data;
  const csvPath = resolve(dataRoot, p.csv);
  let rows;
  try {
    rows = await readDatasetList(csvPath, dataRoot, p);
  } catch (error) {
    return { lists: 1, rowsChecked: 0, problems: [messageOf(error)] };
  }
  const problems = await missingFiles(rows);
  const rowsWithMissingFiles = new Set(problems.map((m) => m.slice(0, m.indexOf(': '))));
  const toDecode = rows.filter((row) => !rowsWithMissingFiles.has(row.origin));
  const classes = p.classes ?? inferredClasses ?? null;
  const expectations = { classes, extraLabelValues: p.extraLabelValues };
  let next = 0;
  const worker = async () => {
    while (next < toDecode.length) {
      const row = toDecode[next++];
      try {
        await decodeCase(row, expectations);
      } catch (error) {
        problems.push(messageOf(error));
      }
    }
  };
  await Promise.all(Array.from({ length: Math.max(1, concurrency) }, worker));
  const notes = p.classes === null && inferredClasses !== undefined ? [`labels of ${p.csv} checked against ${inferredClasses} classes, the consuming network's`] : [];
  return { lists: 1, rowsChecked: toDecode.length, problems: sortByRow(problems), notes };
}

/** Orders messages by list and line number so that a report reads top to bottom. */
function sortByRow(messages: string[]): string[] {
  const key = (m: string) => {
    const match = /^(.*) line (\d+):/.exec(m);
    return match ? [match[1], Number(match[2])] as const : [m, 0] as const;
  };
  return messages.slice().sort((a, b) => {
    const [fa, la] = key(a);
    const [fb, lb] = key(b);
    return fa < fb ? -1 : fa > fb ? 1 : la - lb || (a < b ? -1 : 1);
  });
}

/** "list.csv line 3: /data/x.nii.gz does not exist" for every listed file that is not there. */
export async function missingFiles(rows: readonly DatasetRow[]): Promise<string[]> {
  const missing: string[] = [];
  await Promise.all(
    rows.flatMap((row) =>
      [...row.images, row.label, row.pixelWeight]
        .filter((f): f is string => !!f)
        .map((file) => access(file).catch(() => missing.push(`${row.origin}: ${file} does not exist`))),
    ),
  );
  return missing;
}
