/**
 * What one run of a method comparison yields and the statistics over seeds, in a module of their own so the table
 * (method-comparison.ts) and the plot (comparison-plot.ts) share them without importing each other.
 */

/** One training run of one method with one seed, scored on the test split. */
export interface MethodRunResult {
  method: string;
  seed: number;
  /** The cross-validation fold, when the experiment has folds (a run is paired with the baseline's of the same fold and seed). */
  fold?: number;
  runDirectory: string;
  /** The tensor backend the run trained on. */
  backend: string;
  /** `git describe --always --dirty` of the code that ran (modules load once, at the comparison's start); undefined outside a git checkout. */
  code?: string;
  /**
   * Per foreground class, in `classNames` order: test Dice and HD95 (mm). HD95 is the `hd95` column of the run's
   * metrics.csv, medpy's pooled definition (not `hd95Pymic`), so these tables stay comparable with docs/results.md and
   * with results computed by medpy; see LabelMetrics.hd95.
   */
  dice: number[];
  hd95: number[];
  meanDice: number;
  meanHd95: number;
  /**
   * The post-processing the test evaluation also scored with (EvaluateSegmentation's `postprocess`, e.g.
   * 'largest-component-per-class'); absent when it scored raw predictions only, and in results written before it.
   */
  postprocess?: string;
  /** The same scores after that post-processing (the `+LCC` columns of the table); absent as `postprocess` is. */
  postprocessed?: PostprocessedScores;
}

/** Dice and HD95 per foreground class after post-processing, in `classNames` order, with their means. */
export interface PostprocessedScores {
  dice: number[];
  hd95: number[];
  meanDice: number;
  meanHd95: number;
}

/**
 * A value the statistics count: a number that is not NaN. null counts as missing too, because JSON writes NaN as null,
 * so results read back from results.json (scripts/experiment-table.ts) carry null where the run had NaN.
 */
export function isDefined(value: number | null | undefined): value is number {
  return typeof value === 'number' && !Number.isNaN(value);
}

/** Mean of the values that are defined (not NaN, not null); NaN when none is. */
export function meanOfDefined(values: readonly (number | null | undefined)[]): number {
  const defined = values.filter(isDefined);
  return defined.length === 0 ? Number.NaN : defined.reduce((a, b) => a + b, 0) / defined.length;
}

/** Population standard deviation of the values that are defined (not NaN, not null); NaN when none is. */
export function stdOfDefined(values: readonly (number | null | undefined)[]): number {
  const defined = values.filter(isDefined);
  if (defined.length === 0) return Number.NaN;
  const m = meanOfDefined(defined);
  return Math.sqrt(defined.reduce((s, v) => s + (v - m) ** 2, 0) / defined.length);
}
