import { rename, writeFile } from 'node:fs/promises';
import { parseArgs } from 'node:util';
import { MicflowError } from '../errors/micflow-error.js';
import { caseMetricsCsv, caseMetricsSummaryTable, summariseCaseMetrics, type CaseMetrics } from '../metrics/case-metrics-table.js';
import { evaluateCaseList, evaluateImageFolders } from '../metrics/evaluate-image-folders.js';
import { runCommand } from './report-cli-error.js';

const usage = `usage: npm run eval -- --gt DIR --seg DIR [--labels 1,2,3 | --classes N] [--tolerance MM] [--out FILE.csv]
       npm run eval -- --cases LIST.csv --seg DIR [--gt DIR] [options]

  --gt DIR          ground-truth label maps (NIfTI, NRRD, MetaImage, PNG, ...); alone, every file in it is a case
  --seg DIR         predictions, one per ground truth with the same file name and geometry
  --cases LIST.csv  evaluate exactly the cases of this dataset list (the one given to npm run infer --data): each
                    case's prediction is --seg DIR/<file name of its image column>, its ground truth the label
                    column's path (relative to the list's folder), or with --gt the file of that name in --gt DIR
  --image-column C  the list's image column, which names the prediction (default image)
  --label-column C  the list's label column (default label)
  --labels 1,2,3    labels to evaluate (default: every non-zero label found)
  --classes N       labels 1..N-1 (N counts the background, as a network's class count)
  --tolerance MM    tolerance of the normalised surface Dice (default 1)
  --out FILE.csv    per-case table with mean and std rows per label

Metrics per label: Dice, IoU, sensitivity, precision, ASSD, HD95 twice (hd95: medpy's percentile of the pooled surface
distances, the HD95 of the summary and of micflow's result tables; hd95Pymic: PyMIC's, the larger of the two directed
percentiles), Hausdorff, relative volume error, volumes and normalised surface Dice, in the images' physical spacing.
Distances are empty/NaN when either side is empty.`;

export async function main(argv: readonly string[]): Promise<number> {
  let parsed;
  try {
    parsed = parseArgs({
      args: [...argv],
      options: {
        gt: { type: 'string' },
        cases: { type: 'string' },
        'image-column': { type: 'string' },
        'label-column': { type: 'string' },
        seg: { type: 'string' },
        labels: { type: 'string' },
        classes: { type: 'string' },
        tolerance: { type: 'string' },
        out: { type: 'string' },
        help: { type: 'boolean', short: 'h', default: false },
      },
    });
  } catch (error) {
    throw new MicflowError('invalid-argument', `${(error as Error).message}\n${usage}`);
  }
  const { values } = parsed;
  if (values.help) {
    process.stdout.write(`${usage}\n`);
    return 0;
  }
  if (!values.seg || (!values.gt && !values.cases)) throw new MicflowError('invalid-argument', `--seg and one of --gt or --cases are required\n${usage}`);
  if (!values.cases && (values['image-column'] || values['label-column'])) {
    throw new MicflowError('invalid-argument', '--image-column and --label-column name columns of the --cases list; give --cases');
  }
  if (values.labels && values.classes) throw new MicflowError('invalid-argument', 'give either --labels or --classes, not both');
  let labels: number[] | undefined;
  if (values.labels) {
    labels = values.labels.split(',').map((s) => Number(s.trim()));
    if (!labels.every(Number.isInteger)) throw new MicflowError('invalid-argument', `--labels ${values.labels}: expected integers like 1,2,3`);
  }
  if (values.classes) {
    const classes = Number(values.classes);
    if (!Number.isInteger(classes) || classes < 2) throw new MicflowError('invalid-argument', `--classes ${values.classes}: expected an integer ≥ 2`);
    labels = Array.from({ length: classes - 1 }, (_, i) => i + 1);
  }
  const tolerance = values.tolerance === undefined ? 1 : Number(values.tolerance);
  if (!(tolerance >= 0)) throw new MicflowError('invalid-argument', `--tolerance ${values.tolerance}: expected a non-negative number (mm)`);
  if (values.out && !values.out.endsWith('.csv')) throw new MicflowError('invalid-argument', `--out ${values.out}: expected a .csv file name`);

  const started = performance.now();
  const shared = {
    labels,
    surfaceTolerance: tolerance,
    onCase: (c: CaseMetrics, index: number, total: number) => {
      const dice = c.labels.map((m) => `${m.label}:${m.dice.toFixed(3)}`).join(' ');
      process.stdout.write(`[${index + 1}/${total}] ${c.id}  Dice ${dice}\n`);
    },
  };
  const cases = values.cases
    ? await evaluateCaseList({
        caseList: values.cases,
        predictionDirectory: values.seg,
        groundTruthDirectory: values.gt,
        imageColumn: values['image-column'],
        labelColumn: values['label-column'],
        ...shared,
      })
    : await evaluateImageFolders({ groundTruthDirectory: values.gt!, predictionDirectory: values.seg, ...shared });
  const summaries = summariseCaseMetrics(cases);
  if (values.out) {
    await writeFile(`${values.out}.partial`, caseMetricsCsv(cases, summaries));
    await rename(`${values.out}.partial`, values.out);
  }
  process.stdout.write(`\n${caseMetricsSummaryTable(summaries, cases.length)}\n`);
  process.stdout.write(`evaluated in ${((performance.now() - started) / 1000).toFixed(1)} s${values.out ? `; table: ${values.out}` : ''}\n`);
  return 0;
}

runCommand(main);
