import { appendFile, rename, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { concat, concatMap, defer, from, map, mergeMap, type Observable } from 'rxjs';
import { z } from 'zod';
import { MicflowError } from '../../errors/micflow-error.js';
import type { RunEvent } from '../../events/run-event.js';
import type { PortSpecs } from '../../graph/port-spec.js';
import type { Sample } from '../../graph/sample.js';
import { HookStage, type HookMoment, type InputsOf, type NetworkState } from '../../graph/stage.js';
import { networkLogits } from '../../inference/network-logits.js';
import { predictSlidingWindow } from '../../inference/sliding-window-inference.js';
import { predictWholeImageProbabilities } from '../../inference/whole-image-inference.js';
import { sliceWiseLogits } from '../../inference/slice-wise-logits.js';
import { caseMetricsCsv, summariseCaseMetrics, type CaseMetrics } from '../../metrics/case-metrics-table.js';
import { argmaxChannelsLast } from '../../images/argmax-channels-last.js';
import { keepLargestComponent } from '../../images/keep-largest-component.js';
import { LABEL_METRIC_NAMES, evaluateSegmentation } from '../../metrics/segmentation-metrics.js';
import { SeededRandom } from '../../runtime/seeded-random.js';
import { nodeOnlyStages } from '../node-only-stages.js';

/** What EvaluateSegmentation's `postprocess` accepts (and an experiment spec's `postprocess`). */
export const POSTPROCESS_MODES = ['none', 'largest-component-per-class', 'largest-component-union'] as const;
export type PostprocessMode = (typeof POSTPROCESS_MODES)[number];

/** The post-processed table's file name beside `table`: `metrics.csv` → `metrics-lcc.csv`. */
export function postprocessedTableName(table: string): string {
  return table.replace(/\.csv$/, '-lcc.csv');
}

/** A prediction after `mode` ({@link keepLargestComponent}, the implementation infer's --largest-component uses). */
export function postprocessPrediction(prediction: Int32Array, shape: readonly number[], mode: PostprocessMode): Int32Array {
  if (mode === 'none') return prediction;
  return keepLargestComponent(prediction, shape, { mode: mode === 'largest-component-union' ? 'union' : 'per-class' });
}

const params = z
  .object({
    checkpoint: z
      .enum(['best', 'current'])
      .default('best')
      .describe("Which weights to evaluate: 'best', the best validation checkpoint (the current weights when there is none), or 'current'"),
    labels: z
      .array(z.number().int())
      .min(1)
      .optional()
      .describe('Label values to evaluate; default every foreground class of the network (1..classes−1)'),
    classNames: z.array(z.string()).optional().describe('Names by label value (index 0 = background), for the summary event; default label<k>'),
    surfaceTolerance: z
      .number()
      .nonnegative()
      .default(1)
      .describe("Tolerance of the normalised surface Dice, in the samples' spacing unit (mm)"),
    window: z
      .array(z.number().int().positive())
      .min(2)
      .max(3)
      .optional()
      .describe('Sliding-window inference with this spatial window ([H, W] or [D, H, W] pixels); whole-image inference, padded to a multiple of 16, when absent'),
    overlap: z.number().min(0).lt(1).default(0.5).describe('Overlap of neighbouring sliding windows, as a fraction of the window in [0, 1)'),
    batchSize: z.number().int().positive().default(1).describe('Sliding windows predicted together in one network call'),
    sliceWise: z
      .boolean()
      .default(false)
      .describe('A 2D network evaluated on volumes (e.g. ACDC test volumes of a network trained on their slices): each volume is predicted slice by slice (PyMIC does the same for 2D networks on 3D inputs) and scored as one 3D case, so Dice and HD95 are per volume as in the ACDC literature; whole-image inference only'),
    table: z
      .string()
      .regex(/^[\w.-]+\.csv$/)
      .default('metrics.csv')
      .describe("File name of the per-case table in the run directory (a .csv name); its hd95 column is medpy's pooled HD95, hd95Pymic PyMIC's (the larger directed one)"),
    postprocess: z
      .enum(POSTPROCESS_MODES)
      .default('none')
      .describe(
        "Also score every case after post-processing its prediction (the raw scores stay in `table`): 'largest-component-per-class' keeps each foreground class's largest connected component (PyMIC's ACDC evaluation), 'largest-component-union' the largest component of all foreground, as `npm run infer -- --largest-component per-class|union` (face connectivity, on the whole 2D image or 3D volume); the post-processed table is `<table>` with `-lcc` before `.csv`; 'none': raw only",
      ),
  })
  .strict()
  .refine((p) => !(p.sliceWise && p.window), { message: 'sliceWise predicts whole slices: give either sliceWise or window, not both', path: ['sliceWise'] });

const evaluateSegmentationInputs = {
  net: { type: 'network', description: 'the network to evaluate' },
  samples: { type: 'samples', description: 'labelled test cases (whole images or volumes)' },
} as const satisfies PortSpecs;
const evaluateSegmentationOutputs = {} as const satisfies PortSpecs;

/**
 * After the last iteration: predicts every labelled case (whole image or sliding windows, 2D or 3D) and measures, per
 * label and in the samples' physical spacing, Dice, IoU, sensitivity, precision, ASSD, HD95, Hausdorff, relative volume
 * error, volumes and normalised surface Dice (see src/metrics/segmentation-metrics.ts). HD95 comes twice: `hd95`,
 * medpy's 95th percentile of the pooled surface distances, which the experiment tables and docs/results.md report
 * (they were measured with it, and it is what medpy-based published evaluations compute), and `hd95Pymic`, PyMIC's
 * larger of the two directed 95th percentiles (order statistics, no interpolation), for comparison with PyMIC's
 * evaluation; the two differ by several mm when one side has stray islands. Cases are evaluated one at a
 * time and each case's rows are appended to `<table>.partial` in the run directory as soon as it is done; at the end the
 * table with mean and std rows replaces it and one evaluation event reports the mean Dice per label. With `postprocess`,
 * every prediction is also scored after keeping its largest connected component(s) (the same keepLargestComponent that
 * `npm run infer -- --largest-component` applies): those rows go to a second table (`metrics-lcc.csv` beside
 * `metrics.csv`) and the evaluation event carries both scores, raw first.
 */
export class EvaluateSegmentation extends HookStage<z.infer<typeof params>, typeof evaluateSegmentationInputs> {
  static readonly className = 'EvaluateSegmentation';
  static readonly runsIn = nodeOnlyStages.EvaluateSegmentation.runsIn;
  static readonly runsInReason = nodeOnlyStages.EvaluateSegmentation.reason;
  static readonly evaluates = 'test';
  static readonly description = "At the end: per-case Dice, IoU, sensitivity, precision, ASSD, HD95 (medpy's and PyMIC's), RVE, volumes, surface Dice in mm";
  static readonly reference = 'Heimann et al., IEEE TMI 2009 (ASSD); Nikolov et al., arXiv:1809.04430 (surface Dice); Isensee et al., nnU-Net 2021 (sliding windows)';
  static readonly paramsSchema = params;
  static readonly inputs = evaluateSegmentationInputs;
  static readonly outputs = evaluateSegmentationOutputs;

  override runsAt(moment: HookMoment): boolean {
    return moment.final;
  }

  override run(inputs: InputsOf<typeof evaluateSegmentationInputs>, moment: HookMoment): Observable<RunEvent> {
    const net = inputs.net;
    const stream = inputs.samples;
    const postprocess = this.params.postprocess;
    const cases: CaseMetrics[] = [];
    const postprocessedCases: CaseMetrics[] = [];
    let checkpoint = `current (iteration ${moment.iteration})`;
    const directory = this.context.run.runDirectory;
    const tablePath = directory ? join(directory, this.params.table) : undefined;
    const postprocessedTablePath = directory && postprocess !== 'none' ? join(directory, postprocessedTableName(this.params.table)) : undefined;
    const random = new SeededRandom(0);
    const header = `${['case', 'label', ...LABEL_METRIC_NAMES].join(',')}\n`;
    const appendRows = (path: string | undefined, evaluated: CaseMetrics) =>
      path ? appendFile(`${path}.partial`, caseMetricsCsv([evaluated], []).split('\n').slice(1).join('\n')) : undefined;
    const writeTable = async (path: string | undefined, evaluated: readonly CaseMetrics[]) => {
      if (!path) return;
      await writeFile(`${path}.partial`, caseMetricsCsv(evaluated, summariseCaseMetrics(evaluated)));
      await rename(`${path}.partial`, path);
    };

    const start = defer(async () => {
      const store = this.context.run.checkpoints;
      if (this.params.checkpoint === 'best' && store.has('best')) checkpoint = `best (iteration ${store.restore('best', [net.network])})`;
      if (tablePath) await writeFile(`${tablePath}.partial`, header);
      if (postprocessedTablePath) await writeFile(`${postprocessedTablePath}.partial`, header);
    });
    // One case at a time: the next case is read only once this one's rows are on disk.
    const perCase = from(Array.from({ length: stream.size }, (_, i) => i)).pipe(
      concatMap((index) =>
        stream.read(index, random.derive('case', index)).pipe(
          map((sample) => this.evaluateSample(net, sample)),
          concatMap(async ({ raw, postprocessed }): Promise<RunEvent> => {
            cases.push(raw);
            await appendRows(tablePath, raw);
            if (postprocessed) {
              postprocessedCases.push(postprocessed);
              await appendRows(postprocessedTablePath, postprocessed);
            }
            return {
              type: 'case-metrics',
              node: this.nodeName,
              case: raw.id,
              labels: raw.labels.map((l) => ({ ...l })),
              ...(postprocessed ? { postprocessedLabels: postprocessed.labels.map((l) => ({ ...l })) } : {}),
            };
          }),
        ),
      ),
    );
    const finish = defer(async (): Promise<RunEvent[]> => {
      await writeTable(tablePath, cases);
      if (postprocess !== 'none') await writeTable(postprocessedTablePath, postprocessedCases);
      const score = (evaluated: readonly CaseMetrics[]) => {
        const summaries = summariseCaseMetrics(evaluated);
        const classDice = summaries.map((s) => s.mean.dice);
        const defined = classDice.filter((v) => !Number.isNaN(v));
        return {
          classNames: summaries.map((s) => this.params.classNames?.[s.label] ?? `label${s.label}`),
          classDice,
          classDiceStd: summaries.map((s) => s.std.dice),
          meanForegroundDice: defined.reduce((a, b) => a + b, 0) / Math.max(defined.length, 1),
        };
      };
      const raw = score(cases);
      const after = postprocess === 'none' ? undefined : score(postprocessedCases);
      return [
        {
          type: 'evaluation',
          node: this.nodeName,
          checkpoint,
          cases: cases.length,
          ...raw,
          tablePath,
          ...(after
            ? { postprocessed: { mode: postprocess, classDice: after.classDice, classDiceStd: after.classDiceStd, meanForegroundDice: after.meanForegroundDice, tablePath: postprocessedTablePath } }
            : {}),
        },
      ];
    }).pipe(mergeMap((events) => events));
    return concat(start.pipe(mergeMap(() => [])), perCase, finish);
  }

  /** The case's metrics on the raw prediction and, with `postprocess`, on the post-processed one. */
  private evaluateSample(net: NetworkState, sample: Sample): { raw: CaseMetrics; postprocessed?: CaseMetrics } {
    if (!sample.label) throw new MicflowError('invalid-data', `${this.nodeName}: ${sample.origin} has no label to evaluate against`);
    const logits = networkLogits(net.network);
    const probabilities = this.params.window
      ? predictSlidingWindow(logits, sample.image, { windowSize: this.params.window, overlap: this.params.overlap, batchSize: this.params.batchSize })
      : this.params.sliceWise && sample.image.shape.length === 4
        ? predictWholeImageProbabilities(sliceWiseLogits(logits), sample.image, [1, 16, 16])
        : predictWholeImageProbabilities(logits, sample.image, 16);
    const classes = probabilities.shape[probabilities.shape.length - 1];
    const prediction = argmaxChannelsLast(probabilities.data, classes);
    const shape = sample.label.shape;
    const spacing = sample.spacing && sample.spacing.length === shape.length ? sample.spacing : shape.map(() => 1);
    const labels = this.params.labels ?? Array.from({ length: classes - 1 }, (_, i) => i + 1);
    const score = (predicted: Int32Array): CaseMetrics => ({
      id: sample.id,
      labels: evaluateSegmentation(predicted, sample.label!.data, shape, spacing, labels, { surfaceTolerance: this.params.surfaceTolerance }),
    });
    const postprocess = this.params.postprocess;
    return { raw: score(prediction), ...(postprocess === 'none' ? {} : { postprocessed: score(postprocessPrediction(prediction, shape, postprocess)) }) };
  }
}
