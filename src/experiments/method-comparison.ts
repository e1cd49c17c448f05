import { execFileSync } from 'node:child_process';
import { readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { MicflowError } from '../errors/micflow-error.js';
import { stage, type PipelineDefinition } from '../graph/pipeline-definition.js';
import type { PostprocessMode } from '../stages/hooks/evaluate-segmentation.js';
import { comparisonPlotSvg, plotPathFor } from './comparison-plot.js';
import { isDefined, meanOfDefined, stdOfDefined, type MethodRunResult } from './method-run-result.js';

export { meanOfDefined, stdOfDefined, type MethodRunResult };

/** What a comparison's table and plot are told: the class names (index 0 = background) and the caption. */
export interface MethodComparisonOptions {
  /** Class names by label (index 0 = background). */
  classNames: readonly string[];
  /** First line of results.md and the title of results.svg: what was trained on what. */
  caption: string;
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

/**
 * The method's definition with its `evaluate` node replaced by EvaluateSegmentation (Dice + HD95) on the best
 * checkpoint. A pipeline that already evaluates with EvaluateSegmentation keeps its params (sliding window,
 * `sliceWise` per-volume scoring, tolerance, `postprocess`…): only the checkpoint and the class names are the
 * experiment's, and `postprocess` when the experiment gives one (scoring raw and post-processed predictions).
 */
export function withTestEvaluation(method: string, definition: PipelineDefinition, classNames: readonly string[], postprocess?: PostprocessMode): PipelineDefinition {
  const evaluate = definition.nodes.evaluate;
  if (!evaluate?.inputs) throw new MicflowError('invalid-pipeline', `pipeline "${method}" has no "evaluate" node to replace`);
  const kept = evaluate.stage === 'EvaluateSegmentation' ? (evaluate.params ?? {}) : {};
  const params = { ...kept, checkpoint: 'best', classNames: [...classNames], ...(postprocess ? { postprocess } : {}) };
  return {
    ...definition,
    nodes: { ...definition.nodes, evaluate: stage('EvaluateSegmentation', params, evaluate.inputs as never) },
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
 * mean foreground Dice, HD95 (medpy's pooled definition, the `hd95` column) and per-class Dice, and, for every method after the first (the baseline), the paired
 * difference of its mean foreground Dice to the baseline's: mean ± std over the seeds (and folds) both ran, with how
 * many of them it is ahead on. When any run was also scored after post-processing (`postprocess`), every Dice and
 * HD95 column has a `+LCC` twin beside it (the paired difference too, over the pairs both scored so), a line under
 * the caption says which post-processing, and a cell with no post-processed score (a run from before, or one that
 * scored raw only) shows "-".
 */
export function comparisonTable(results: readonly MethodRunResult[], options: Pick<MethodComparisonOptions, 'classNames' | 'caption'>): string {
  const foreground = options.classNames.slice(1);
  const fmt = (values: number[], digits: number) => `${meanOfDefined(values).toFixed(digits)} ± ${stdOfDefined(values).toFixed(digits)}`;
  const methods = [...new Set(results.map((r) => r.method))];
  const pairKey = (r: MethodRunResult) => `${r.fold ?? ''}/${r.seed}`;
  const paired = methods.length > 1;
  const modes = [...new Set(results.flatMap((r) => (r.postprocessed && r.postprocess ? [r.postprocess] : [])))];
  const lcc = results.some((r) => r.postprocessed);
  /** The scores of the runs that have them: raw, or post-processed ("-" in a cell when none has). */
  type Scores = Pick<MethodRunResult, 'dice' | 'hd95' | 'meanDice' | 'meanHd95'>;
  const rawOf = (r: MethodRunResult): Scores | undefined => r;
  const lccOf = (r: MethodRunResult): Scores | undefined => r.postprocessed ?? undefined;
  const cell = (runs: readonly MethodRunResult[], of: (r: MethodRunResult) => Scores | undefined, value: (s: Scores) => number, digits: number) => {
    const scored = runs.flatMap((r) => (of(r) ? [value(of(r)!)] : []));
    return scored.length ? fmt(scored, digits) : '-';
  };
  const difference = (method: string, runs: readonly MethodRunResult[], of: (r: MethodRunResult) => Scores | undefined) => {
    if (method === methods[0]) return '—';
    // JSON writes NaN as null: a null mean on either side is no pair (null − x would count as −x).
    const baseline = new Map(results.filter((r) => r.method === methods[0] && isDefined(of(r)?.meanDice)).map((r) => [pairKey(r), of(r)!.meanDice]));
    const differences = runs.filter((r) => isDefined(of(r)?.meanDice) && baseline.has(pairKey(r))).map((r) => of(r)!.meanDice - baseline.get(pairKey(r))!);
    if (!differences.length) return of === lccOf ? '-' : 'no pairs';
    const mean = meanOfDefined(differences);
    return `${mean >= 0 ? '+' : '−'}${Math.abs(mean).toFixed(3)} ± ${stdOfDefined(differences).toFixed(3)} (ahead ${differences.filter((d) => d > 0).length}/${differences.length})`;
  };
  const headings = [
    'method',
    'seeds',
    'backend',
    'mean fg Dice',
    ...(paired ? [`Δ vs ${methods[0]} (paired)`] : []),
    ...(lcc ? ['mean fg Dice +LCC', ...(paired ? [`Δ +LCC vs ${methods[0]} (paired)`] : [])] : []),
    'mean fg HD95 (mm)',
    ...(lcc ? ['mean fg HD95 +LCC (mm)'] : []),
    ...foreground.flatMap((n) => (lcc ? [`${n} Dice`, `${n} Dice +LCC`] : [`${n} Dice`])),
  ];
  const lines = [
    options.caption,
    ...(lcc ? ['', `+LCC: scored again after ${modes.length ? modes.join(' / ') : 'post-processing'} (EvaluateSegmentation postprocess); "-": not scored so.`] : []),
    '',
    `| ${headings.join(' | ')} |`,
    `|${headings.map(() => '---').join('|')}|`,
  ];
  for (const method of methods) {
    const runs = results.filter((r) => r.method === method);
    const seeds = runs.map((r) => (r.fold === undefined ? `${r.seed}` : `f${r.fold}/${r.seed}`)).join(', ');
    const cells = [
      method,
      seeds,
      [...new Set(runs.map((r) => r.backend ?? 'not recorded'))].join(', '),
      fmt(runs.map((r) => r.meanDice), 3),
      ...(paired ? [difference(method, runs, rawOf)] : []),
      ...(lcc ? [cell(runs, lccOf, (x) => x.meanDice, 3), ...(paired ? [difference(method, runs, lccOf)] : [])] : []),
      fmt(runs.map((r) => r.meanHd95), 2),
      ...(lcc ? [cell(runs, lccOf, (x) => x.meanHd95, 2)] : []),
      ...foreground.flatMap((_, k) => [fmt(runs.map((r) => r.dice[k]), 3), ...(lcc ? [cell(runs, lccOf, (x) => x.dice[k], 3)] : [])]),
    ];
    lines.push(`| ${cells.join(' | ')} |`);
  }
  return lines.join('\n');
}
