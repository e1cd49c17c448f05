import { resolve } from 'node:path';
import { isMicflowError } from '../../errors/micflow-error.js';
import type { PipelineDefinition } from '../../graph/pipeline-definition.js';
import { csvDatasetParams, missingFiles } from './csv-dataset.js';
import { decodeCase } from './decode-case.js';
import { readDatasetList } from './dataset-list.js';

/** What a data check found: rows fully checked, and one readable message per problem (naming the file and row). */
export interface DataCheckReport {
  readonly lists: number;
  readonly rowsChecked: number;
  readonly problems: readonly string[];
}

function messageOf(error: unknown): string {
  return isMicflowError(error) || error instanceof Error ? error.message : String(error);
}

/**
 * Validates one dataset list the way training would use it, but all at once and without stopping at the first
 * problem: the list itself (exists, not empty, has the columns, weights are numbers), every listed file (exists,
 * decodes — not truncated or unreadable), and every row's consistency (sizes and geometry of modalities, label and
 * pixel weight; label values within the declared classes). Decodes `concurrency` rows at a time.
 */
export async function checkCsvDataset(params: unknown, dataRoot: string, concurrency = 2): Promise<DataCheckReport> {
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
  const expectations = { classes: p.classes, extraLabelValues: p.extraLabelValues };
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
  return { lists: 1, rowsChecked: toDecode.length, problems: sortByRow(problems) };
}

/**
 * Runs {@link checkCsvDataset} for every CsvDataset node of a pipeline (each distinct list once), for a
 * `--check-data` pass before training. Problems are prefixed with the node name.
 */
export async function checkPipelineData(definition: PipelineDefinition, dataRoot: string): Promise<DataCheckReport> {
  const seen = new Set<string>();
  const problems: string[] = [];
  let lists = 0;
  let rowsChecked = 0;
  for (const [name, node] of Object.entries(definition.nodes)) {
    if (node.stage !== 'CsvDataset') continue;
    const key = JSON.stringify(node.params ?? {});
    if (seen.has(key)) continue;
    seen.add(key);
    const report = await checkCsvDataset(node.params ?? {}, dataRoot);
    lists += report.lists;
    rowsChecked += report.rowsChecked;
    problems.push(...report.problems.map((m) => `${name}: ${m}`));
  }
  return { lists, rowsChecked, problems };
}

/**
 * The report as the CLI prints it: a summary line, then one line per problem. The summary says "ok" when there are none.
 */
export function formatDataCheckReport(report: DataCheckReport): string {
  const lists = `${report.lists} dataset list${report.lists === 1 ? '' : 's'}`;
  const rows = `${report.rowsChecked} row${report.rowsChecked === 1 ? '' : 's'} decoded`;
  if (!report.problems.length) return `check-data: ok (${lists}, ${rows})`;
  const count = `${report.problems.length} problem${report.problems.length === 1 ? '' : 's'}`;
  return [`check-data: ${count} in ${lists} (${rows})`, ...report.problems.map((p) => `  - ${p}`)].join('\n');
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
