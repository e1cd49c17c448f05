/** What a data check found: lists and rows fully checked, and one readable message per problem (naming file and row). */
export interface DataCheckReport {
  readonly lists: number;
  readonly rowsChecked: number;
  readonly problems: readonly string[];
  /** Notes on what was checked against what, e.g. "labels of train checked against 5 classes (inferred from net)". */
  readonly notes?: readonly string[];
}

/** What the pipeline tells a dataset's check beyond the dataset's own params. */
export interface DataCheckContext {
  readonly dataRoot: string;
  /**
   * The classes of the network that consumes the dataset's labels, when the dataset declares none and nothing between
   * them remaps labels: label values must then lie in 0..classes−1 (or the dataset's extra values).
   */
  readonly inferredClasses?: number;
}

/**
 * The report as the CLI prints it: a summary line, then one line per problem (and note). The summary says "ok" when
 * there are none.
 */
export function formatDataCheckReport(report: DataCheckReport): string {
  const lists = `${report.lists} dataset list${report.lists === 1 ? '' : 's'}`;
  const rows = `${report.rowsChecked} row${report.rowsChecked === 1 ? '' : 's'} decoded`;
  const notes = (report.notes ?? []).map((n) => `  (${n})`);
  if (!report.problems.length) return [`check-data: ok (${lists}, ${rows})`, ...notes].join('\n');
  const count = `${report.problems.length} problem${report.problems.length === 1 ? '' : 's'}`;
  return [`check-data: ${count} in ${lists} (${rows})`, ...report.problems.map((p) => `  - ${p}`), ...notes].join('\n');
}
