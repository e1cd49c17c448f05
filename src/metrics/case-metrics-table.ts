import { LABEL_METRIC_NAMES, type LabelMetricName, type LabelMetrics } from './segmentation-metrics.js';

/** The metrics of one evaluated case: one entry per label. */
export interface CaseMetrics {
  readonly id: string;
  readonly labels: readonly LabelMetrics[];
}

/** Mean and population standard deviation of every metric for one label, and how many cases entered them. */
export interface LabelSummary {
  readonly label: number;
  /** Cases where the label occurs in the prediction or the ground truth. */
  readonly cases: number;
  readonly mean: Readonly<Record<LabelMetricName, number>>;
  readonly std: Readonly<Record<LabelMetricName, number>>;
}

/** Whether a label occurs in the prediction or the ground truth of a case (it has a volume on either side). */
export function labelPresent(metrics: LabelMetrics): boolean {
  return metrics.predictionVolume > 0 || metrics.groundTruthVolume > 0;
}

/**
 * Per label, the mean and population std of each metric over the cases where the label occurs in the prediction or the
 * ground truth, skipping NaN values (undefined distances of a case with one empty side) — a structure correctly absent
 * from both says nothing about how well it is segmented. A metric with no value gets NaN.
 */
export function summariseCaseMetrics(cases: readonly CaseMetrics[]): LabelSummary[] {
  const labels = [...new Set(cases.flatMap((c) => c.labels.map((m) => m.label)))].sort((a, b) => a - b);
  return labels.map((label) => {
    const rows = cases.flatMap((c) => c.labels.filter((m) => m.label === label && labelPresent(m)));
    const mean = {} as Record<LabelMetricName, number>;
    const std = {} as Record<LabelMetricName, number>;
    for (const name of LABEL_METRIC_NAMES) {
      const values = rows.map((m) => m[name]).filter((v) => !Number.isNaN(v));
      const m = values.length ? values.reduce((a, b) => a + b, 0) / values.length : Number.NaN;
      mean[name] = m;
      std[name] = values.length ? Math.sqrt(values.reduce((s, v) => s + (v - m) ** 2, 0) / values.length) : Number.NaN;
    }
    return { label, cases: rows.length, mean, std };
  });
}

/**
 * The per-case CSV: a header `case,label,<metrics>`, one row per case and label (NaN written as an empty cell), then for
 * each label a `mean` and a `std` row as {@link summariseCaseMetrics}. Values with 6 significant digits.
 */
export function caseMetricsCsv(cases: readonly CaseMetrics[], summaries: readonly LabelSummary[]): string {
  const format = (v: number) => (Number.isNaN(v) ? '' : Number(v.toPrecision(6)).toString());
  const lines = [['case', 'label', ...LABEL_METRIC_NAMES].join(',')];
  for (const c of cases) {
    for (const m of c.labels) lines.push([csvCell(c.id), m.label, ...LABEL_METRIC_NAMES.map((n) => format(m[n]))].join(','));
  }
  for (const s of summaries) {
    lines.push(['mean', s.label, ...LABEL_METRIC_NAMES.map((n) => format(s.mean[n]))].join(','));
    lines.push(['std', s.label, ...LABEL_METRIC_NAMES.map((n) => format(s.std[n]))].join(','));
  }
  return `${lines.join('\n')}\n`;
}

/** A fixed-width text table of mean ± std per label, for the terminal (HD95 as medpy, HD95pm as PyMIC). */
export function caseMetricsSummaryTable(summaries: readonly LabelSummary[], caseCount: number): string {
  const columns: Array<[LabelMetricName, string, number]> = [
    ['dice', 'Dice', 3],
    ['iou', 'IoU', 3],
    ['sensitivity', 'Sens', 3],
    ['precision', 'Prec', 3],
    ['assd', 'ASSD', 2],
    ['hd95', 'HD95', 2],
    ['hd95Pymic', 'HD95pm', 2],
    ['relativeVolumeError', 'RVE', 3],
    ['surfaceDice', 'NSD', 3],
  ];
  const cell = (mean: number, std: number, digits: number) => (Number.isNaN(mean) ? '–' : `${mean.toFixed(digits)}±${std.toFixed(digits)}`);
  const header = ['label', 'cases', ...columns.map(([, title]) => title)];
  const rows = summaries.map((s) => [String(s.label), String(s.cases), ...columns.map(([name, , d]) => cell(s.mean[name], s.std[name], d))]);
  const widths = header.map((h, i) => Math.max(h.length, ...rows.map((r) => r[i].length)));
  const line = (r: string[]) => r.map((v, i) => v.padStart(widths[i])).join('  ');
  return [
    `${caseCount} case${caseCount === 1 ? '' : 's'}; mean±std over the cases where the label occurs (distances in mm; HD95 pooled as medpy, HD95pm as PyMIC)`,
    line(header),
    ...rows.map(line),
  ].join('\n');
}

function csvCell(value: string): string {
  return /[",\n]/.test(value) ? `"${value.replace(/"/g, '""')}"` : value;
}
