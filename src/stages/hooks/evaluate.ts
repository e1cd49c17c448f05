import { concatMap, defer, lastValueFrom, toArray, type Observable } from 'rxjs';
import { z } from 'zod';
import type { RunEvent } from '../../events/run-event.js';
import type { PortSpecs } from '../../graph/port-spec.js';
import { HookStage, type HookMoment, type InputsOf } from '../../graph/stage.js';
import { defaultClassNames, evaluateCases, summariseDice, type CaseDice } from '../../inference/evaluate-cases.js';

const params = z
  .object({
    checkpoint: z
      .enum(['best', 'current'])
      .default('best')
      .describe("Which weights to evaluate: 'best', the best validation checkpoint (the current weights when there is none), or 'current'"),
    classNames: z
      .array(z.string())
      .optional()
      .describe('Names by class index (0 = background) for the table columns and the event; default background, class1, class2, …'),
    table: z
      .string()
      .regex(/^[\w.-]+\.csv$/)
      .default('evaluation.csv')
      .describe('File name of the per-case table in the run directory (a .csv name)'),
  })
  .strict();

const evaluateInputs = {
  net: { type: 'network', description: 'the network to evaluate' },
  samples: { type: 'samples', description: 'labelled test cases (whole images)' },
} as const satisfies PortSpecs;
const evaluateOutputs = {} as const satisfies PortSpecs;

/**
 * After the last iteration: predicts every test case with the chosen weights and writes a per-case table of class-wise
 * Dice with mean and std rows (`evaluation.csv` in the run directory).
 */
export class Evaluate extends HookStage<z.infer<typeof params>, typeof evaluateInputs> {
  static readonly className = 'Evaluate';
  static readonly evaluates = 'test';
  static readonly description = 'At the end: per-case, per-class Dice on a test list, with mean and std rows';
  static readonly paramsSchema = params;
  static readonly inputs = evaluateInputs;
  static readonly outputs = evaluateOutputs;

  override runsAt(moment: HookMoment): boolean {
    return moment.final;
  }

  override run(inputs: InputsOf<typeof evaluateInputs>, moment: HookMoment): Observable<RunEvent> {
    return defer(async (): Promise<RunEvent[]> => {
      const net = inputs.net;
      const store = this.context.run.checkpoints;
      let checkpoint = `current (iteration ${moment.iteration})`;
      if (this.params.checkpoint === 'best' && store.has('best')) {
        const iteration = store.restore('best', [net.network]);
        checkpoint = `best (iteration ${iteration})`;
      }
      const cases = await lastValueFrom(evaluateCases(net.network, inputs.samples, this.nodeName).pipe(toArray()));
      const summary = summariseDice(cases);
      const classNames = defaultClassNames(summary.mean.length, this.params.classNames);
      const files = this.context.run.files;
      const tablePath = files?.kept ? await files.write(this.params.table, diceTable(cases, classNames, summary)) : undefined;
      return [
        {
          type: 'evaluation',
          node: this.nodeName,
          checkpoint,
          cases: cases.length,
          classNames,
          classDice: summary.mean,
          classDiceStd: summary.std,
          meanForegroundDice: summary.meanForeground,
          tablePath,
        },
      ];
    }).pipe(concatMap((events) => events));
  }
}

/**
 * The per-case table: Dice per class (empty where the class is in neither the prediction nor the ground truth of
 * that case), the case's mean over its present foreground classes, then mean and std rows as {@link summariseDice}.
 */
export function diceTable(cases: readonly CaseDice[], classNames: readonly string[], summary: ReturnType<typeof summariseDice>): string {
  const header = ['case', ...classNames.map((n) => `dice_${n}`), 'dice_mean_foreground'];
  const fmt = (v: number) => (Number.isNaN(v) ? '' : v.toFixed(4));
  const caseForeground = (c: CaseDice) => {
    const values = c.dice.slice(1).filter((_, k) => c.present[k + 1]);
    return values.length ? values.reduce((a, b) => a + b, 0) / values.length : Number.NaN;
  };
  const rows = cases.map((c) => [c.id, ...c.dice.map((d, k) => (c.present[k] ? fmt(d) : '')), fmt(caseForeground(c))]);
  const fgValues = cases.map(caseForeground).filter((v) => !Number.isNaN(v));
  const fgMean = fgValues.reduce((a, b) => a + b, 0) / Math.max(fgValues.length, 1);
  const fgStd = Math.sqrt(fgValues.reduce((s, v) => s + (v - fgMean) ** 2, 0) / Math.max(fgValues.length, 1));
  rows.push(['mean', ...summary.mean.map(fmt), fmt(summary.meanForeground)]);
  rows.push(['std', ...summary.std.map(fmt), fmt(fgStd)]);
  return [header, ...rows].map((r) => r.join(',')).join('\n') + '\n';
}
