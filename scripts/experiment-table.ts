/**
 * One results table from several comparison runs' results.json (e.g. the baseline and some methods run first, the
 * other methods later with the same iterations and seeds): rows in the order the files and their methods come, each
 * with the seeds it completed. Refuses to merge comparisons planned with other iterations or seeds. With --out, the
 * plot of the joined results (comparisonPlotSvg) goes beside the table: results.md → results.svg.
 *
 *   npx tsx scripts/experiment-table.ts --results a/results.json,b/results.json [--caption "..."] [--out results.md]
 */
import { join } from 'node:path';
import { readFileSync, writeFileSync } from 'node:fs';
import { parseArgs } from 'node:util';
import { reportCliError } from '../src/cli/report-cli-error.js';
import { MicflowError } from '../src/errors/micflow-error.js';
import { comparisonPlotSvg, plotPathFor } from '../src/experiments/comparison-plot.js';
import { comparisonTable, type MethodRunResult } from '../src/experiments/method-comparison.js';

interface ResultsFile {
  caption?: string;
  classNames?: string[];
  iterations: number;
  seeds: number[];
  results: MethodRunResult[];
}

const CLASS_NAMES = ['background', 'caudate', 'putamen', 'thalamus', 'hippocampus'];

async function main(): Promise<void> {
  const { values } = parseArgs({ options: { results: { type: 'string' }, caption: { type: 'string' }, out: { type: 'string' } } });
  if (!values.results) throw new MicflowError('invalid-argument', '--results: give one or more results.json files, comma-separated');
  const files = values.results.split(',').map((path) => {
    try {
      return { path, data: JSON.parse(readFileSync(path, 'utf8')) as ResultsFile };
    } catch (error) {
      throw new MicflowError('invalid-argument', `--results ${path}: ${(error as Error).message}`);
    }
  });
  const [first] = files;
  for (const { path, data } of files) {
    if (data.iterations !== first.data.iterations || data.seeds.join() !== first.data.seeds.join()) {
      throw new MicflowError('invalid-argument', `${path}: ${data.iterations} iterations, seeds ${data.seeds} — ${first.path} has ${first.data.iterations}, seeds ${first.data.seeds}; only like runs can share a table`);
    }
  }
  const caption = values.caption ?? first.data.caption ?? `Test split, ${first.data.iterations} iterations, seeds ${first.data.seeds.join(', ')}; mean ± std over seeds.`;
  const results = files.flatMap((f) => f.data.results).map((r) => ({ ...r, backend: r.backend ?? backendOfRun(r.runDirectory) }));
  const options = { classNames: first.data.classNames ?? CLASS_NAMES, caption };
  const table = comparisonTable(results, options);
  process.stdout.write(`${table}\n`);
  if (values.out) {
    writeFileSync(values.out, `${table}\n`);
    const plot = plotPathFor(values.out);
    writeFileSync(plot, comparisonPlotSvg(results, options));
    process.stdout.write(`\ntable: ${values.out}\nplot: ${plot}\n`);
  }
}

/** Results written before comparisons recorded the backend: read it from the run's config.json when it is still there. */
function backendOfRun(runDirectory: string): string | undefined {
  try {
    const backend = (JSON.parse(readFileSync(join(runDirectory, 'config.json'), 'utf8')) as { backend?: unknown }).backend;
    return typeof backend === 'string' ? backend : undefined;
  } catch {
    return undefined;
  }
}

main().catch((error) => {
  process.exitCode = reportCliError(error);
});
