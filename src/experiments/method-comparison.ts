import { execFileSync } from 'node:child_process';
import { mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { lastValueFrom, tap } from 'rxjs';
import { MicflowError } from '../errors/micflow-error.js';
import { stage, type PipelineDefinition } from '../graph/pipeline-definition.js';
import { ConsoleProgressObserver } from '../observers/console-progress-observer.js';
import { JsonlMetricsWriter } from '../observers/jsonl-metrics-writer.js';
import { loadPipelineModule } from '../run/load-pipeline-module.js';
import { preparePipelineRun, startPipelineRun, type PreparedPipelineRun } from '../run/pipeline-run.js';
import { comparisonPlotSvg, plotPathFor } from './comparison-plot.js';
import { meanOfDefined, stdOfDefined, type MethodRunResult } from './method-run-result.js';

export { meanOfDefined, stdOfDefined, type MethodRunResult };

export interface MethodComparisonOptions {
  /** Pipeline names in pipelines/ (or paths), run in this order; the first is the baseline the table compares to. */
  methods: readonly string[];
  seeds: readonly number[];
  iterations: number;
  /** Output folder: one run directory per method and seed, results.json, results.md and results.svg. */
  out: string;
  /**
   * Backend for every run. Default: the automatic choice of the first run, then pinned, so a comparison never mixes
   * backends (a stale native addon would otherwise silently move later runs to wasm, 10× slower and numerically different).
   */
  backend?: string;
  /** Extra `--set key=value` overrides for every run. */
  set?: readonly string[];
  /** Class names by label (index 0 = background). */
  classNames: readonly string[];
  /** First line of results.md and the title of results.svg: what was trained on what. */
  caption: string;
  /** Folder the pipeline modules are looked up in (default ./pipelines). */
  pipelinesDirectory?: string;
  /** Changes a method's definition before it runs (e.g. restrict a baseline to the labelled list). */
  adjust?: (method: string, definition: PipelineDefinition) => PipelineDefinition;
  /** No progress lines on stdout (default: a line every 100 iterations). */
  quiet?: boolean;
}

/**
 * Trains each method with each seed and scores it on the test split: every pipeline's `evaluate` node is replaced by
 * EvaluateSegmentation on the best validation checkpoint, so model selection reads the validation split only and the
 * test split is read once per run. Every graph is loaded and validated before any training starts, so a bad method
 * name or override fails in seconds. results.json is rewritten after every run (a long comparison can be inspected
 * while it runs); at the end results.md holds the mean ± std table over seeds and results.svg the same comparison as a
 * plot, every seed a dot (see writeComparisonSummary).
 */
export async function runMethodComparison(options: MethodComparisonOptions): Promise<MethodRunResult[]> {
  const { methods, seeds, iterations, classNames } = options;
  if (methods.length === 0) throw new MicflowError('invalid-argument', '--methods: give at least one pipeline name');
  if (seeds.length === 0 || seeds.some((s) => !Number.isInteger(s) || s < 0)) throw new MicflowError('invalid-argument', `--seeds ${seeds.join(',')}: give non-negative integers`);
  if (!Number.isInteger(iterations) || iterations < 1) throw new MicflowError('invalid-argument', `--iterations ${iterations}: give a positive integer`);
  const out = resolve(options.out);
  const prepared = new Map<string, PreparedPipelineRun>();
  for (const method of methods) {
    const loaded = await loadPipelineModule(method, resolve(options.pipelinesDirectory ?? 'pipelines'));
    const adjusted = options.adjust ? options.adjust(method, loaded.definition) : loaded.definition;
    const definition = withTestEvaluation(method, adjusted, classNames);
    for (const seed of seeds) {
      prepared.set(`${method}/${seed}`, preparePipelineRun(definition, {
        set: [`schedule.iterations=${iterations}`, `schedule.seed=${seed}`, ...(options.set ?? [])],
        source: loaded.file,
      }));
    }
  }
  mkdirSync(out, { recursive: true });
  const results: MethodRunResult[] = [];
  const code = codeVersion();
  let backend = options.backend;
  for (const method of methods) {
    for (const seed of seeds) {
      const runDirectory = join(out, `${method}-seed${seed}`);
      const started = await startPipelineRun(prepared.get(`${method}/${seed}`)!, { out: runDirectory, backend });
      backend = started.runtime.backendName;
      const progress = options.quiet ? undefined : new ConsoleProgressObserver({ interactive: false, lineEvery: 100 });
      const writer = new JsonlMetricsWriter(join(runDirectory, 'metrics.jsonl'));
      await lastValueFrom(
        started.events.pipe(tap({ next: (e) => (progress?.next(e), writer.next(e)), error: (e) => writer.error(e) })),
        { defaultValue: undefined },
      );
      const means = readMeanRows(join(runDirectory, 'metrics.csv'));
      const labels = classNames.slice(1).map((_, i) => i + 1);
      const dice = labels.map((l) => means.get(l)?.dice ?? Number.NaN);
      const hd95 = labels.map((l) => means.get(l)?.hd95 ?? Number.NaN);
      results.push({ method, seed, runDirectory, backend, code, dice, hd95, meanDice: meanOfDefined(dice), meanHd95: meanOfDefined(hd95) });
      writeFileSync(join(out, 'results.json'), JSON.stringify({ caption: options.caption, classNames, iterations, seeds, results }, null, 2));
    }
  }
  writeComparisonSummary(out, results, options);
  return results;
}

/**
 * Writes a comparison's summary into its output folder: results.md (comparisonTable) and beside it results.svg
 * (comparisonPlotSvg, the same methods in the same order). Returns both paths.
 */
export function writeComparisonSummary(
  out: string,
  results: readonly MethodRunResult[],
  options: Pick<MethodComparisonOptions, 'classNames' | 'caption'>,
): { table: string; plot: string } {
  const table = join(out, 'results.md');
  const plot = plotPathFor(table);
  writeFileSync(table, `${comparisonTable(results, options)}\n`);
  writeFileSync(plot, comparisonPlotSvg(results, options));
  return { table, plot };
}

/** The checkout's `git describe --always --dirty`, or undefined (no git, not a checkout). */
export function codeVersion(): string | undefined {
  try {
    return execFileSync('git', ['describe', '--always', '--dirty'], { encoding: 'utf8', stdio: ['ignore', 'pipe', 'ignore'] }).trim() || undefined;
  } catch {
    return undefined;
  }
}

/** The method's definition with its `evaluate` node replaced by EvaluateSegmentation (Dice + HD95) on the best checkpoint. */
export function withTestEvaluation(method: string, definition: PipelineDefinition, classNames: readonly string[]): PipelineDefinition {
  const evaluate = definition.nodes.evaluate;
  if (!evaluate?.inputs) throw new MicflowError('invalid-pipeline', `pipeline "${method}" has no "evaluate" node to replace`);
  return {
    ...definition,
    nodes: { ...definition.nodes, evaluate: stage('EvaluateSegmentation', { checkpoint: 'best', classNames: [...classNames] }, evaluate.inputs as never) },
  };
}

/** The `mean` rows of EvaluateSegmentation's table: label → metric → value (NaN where the cell is empty). */
export function readMeanRows(tablePath: string): Map<number, Record<string, number>> {
  const [header, ...rows] = readFileSync(tablePath, 'utf8').trim().split('\n').map((l) => l.split(','));
  const means = new Map<number, Record<string, number>>();
  for (const row of rows) {
    if (row[0] !== 'mean') continue;
    means.set(Number(row[1]), Object.fromEntries(header.slice(2).map((name, i) => [name, row[i + 2] === '' ? Number.NaN : Number(row[i + 2])])));
  }
  return means;
}

/**
 * The markdown table: one row per method with the seeds it ran (a comparison cut short shows fewer for some methods),
 * the backend(s) it trained on (results joined from older sittings may lack it), mean ± std over those seeds of the
 * mean foreground Dice, HD95 and per-class Dice, and, for every method after the first (the baseline), the paired
 * difference of its mean foreground Dice to the baseline's: mean ± std over the seeds (and folds) both ran, with how
 * many of them it is ahead on.
 */
export function comparisonTable(results: readonly MethodRunResult[], options: Pick<MethodComparisonOptions, 'classNames' | 'caption'>): string {
  const foreground = options.classNames.slice(1);
  const fmt = (values: number[], digits: number) => `${meanOfDefined(values).toFixed(digits)} ± ${stdOfDefined(values).toFixed(digits)}`;
  const methods = [...new Set(results.map((r) => r.method))];
  const pairKey = (r: MethodRunResult) => `${r.fold ?? ''}/${r.seed}`;
  const baseline = new Map(results.filter((r) => r.method === methods[0]).map((r) => [pairKey(r), r.meanDice]));
  const paired = methods.length > 1;
  const lines = [
    options.caption,
    '',
    `| method | seeds | backend | mean fg Dice | ${paired ? `Δ vs ${methods[0]} (paired) | ` : ''}mean fg HD95 (mm) | ${foreground.map((n) => `${n} Dice`).join(' | ')} |`,
    `|---|---|---|---|${paired ? '---|' : ''}---|${foreground.map(() => '---').join('|')}|`,
  ];
  for (const method of methods) {
    const runs = results.filter((r) => r.method === method);
    const seeds = runs.map((r) => (r.fold === undefined ? `${r.seed}` : `f${r.fold}/${r.seed}`)).join(', ');
    let difference = '';
    if (paired) {
      const differences = runs.filter((r) => baseline.has(pairKey(r))).map((r) => r.meanDice - baseline.get(pairKey(r))!).filter((d) => !Number.isNaN(d));
      const mean = meanOfDefined(differences);
      difference =
        method === methods[0]
          ? '— | '
          : differences.length
            ? `${mean >= 0 ? '+' : '−'}${Math.abs(mean).toFixed(3)} ± ${stdOfDefined(differences).toFixed(3)} (ahead ${differences.filter((d) => d > 0).length}/${differences.length}) | `
            : 'no pairs | ';
    }
    lines.push(
      `| ${method} | ${seeds} | ${[...new Set(runs.map((r) => r.backend ?? 'not recorded'))].join(', ')} | ${fmt(runs.map((r) => r.meanDice), 3)} | ${difference}${fmt(runs.map((r) => r.meanHd95), 2)} | ${foreground.map((_, k) => fmt(runs.map((r) => r.dice[k]), 3)).join(' | ')} |`,
    );
  }
  return lines.join('\n');
}
