import { concatMap, defer, lastValueFrom, toArray, type Observable } from 'rxjs';
import { z } from 'zod';
import type { RunEvent } from '../../events/run-event.js';
import type { PortSpecs } from '../../graph/port-spec.js';
import { HookStage, type HookMoment, type InputsOf, type StageState } from '../../graph/stage.js';
import { defaultClassNames, evaluateCases, summariseDice } from '../../inference/evaluate-cases.js';

const params = z
  .object({
    every: z.number().int().positive().default(100).describe('Validate every this many iterations, and after the last one'),
    classNames: z
      .array(z.string())
      .optional()
      .describe('Names by class index (0 = background) for the validation event; default background, class1, class2, …'),
    overlays: z
      .number()
      .int()
      .nonnegative()
      .default(2)
      .describe('Write the image, ground truth and prediction of the first this many validation cases at each validation (overlays/ in the run directory) for the dashboard and TensorBoard; 0: none'),
    keepBest: z.boolean().default(true).describe('Keep a "best" checkpoint of the network at its highest mean foreground Dice'),
    patience: z
      .number()
      .int()
      .positive()
      .nullable()
      .default(null)
      .describe('Early stopping (PyMIC `early_stop_patience`): end training when the best validation score is this many iterations old; null: never'),
  })
  .strict();

const validateInputs = {
  net: { type: 'network', description: 'the network to validate' },
  samples: { type: 'samples', description: 'labelled validation cases (whole images)' },
} as const satisfies PortSpecs;
const validateOutputs = {} as const satisfies PortSpecs;

/**
 * Whole-image validation between ticks: per-class Dice, the best checkpoint by mean foreground Dice, and optional early
 * stopping. Its best score and the iteration it came from are state a resumed run restores.
 */
export class Validate extends HookStage<z.infer<typeof params>, typeof validateInputs> {
  static readonly className = 'Validate';
  static readonly evaluates = 'validation';
  static readonly description = 'Every N iterations: whole-image validation Dice per class, keeps the best checkpoint';
  static readonly paramsSchema = params;
  static readonly inputs = validateInputs;
  static readonly outputs = validateOutputs;

  private best = -Infinity;
  private bestIteration = 0;

  saveState(): StageState {
    return { values: { best: Number.isFinite(this.best) ? this.best : null, bestIteration: this.bestIteration } };
  }

  restoreState(state: StageState): void {
    const values = state.values as { best: number | null; bestIteration: number };
    this.best = values.best ?? -Infinity;
    this.bestIteration = values.bestIteration;
  }

  override runsAt(moment: HookMoment): boolean {
    return moment.final ? moment.iteration % this.params.every !== 0 : moment.iteration % this.params.every === 0;
  }

  override run(inputs: InputsOf<typeof validateInputs>, moment: HookMoment): Observable<RunEvent> {
    return defer(() => this.validate(inputs, moment)).pipe(concatMap((events) => events));
  }

  private async validate(inputs: InputsOf<typeof validateInputs>, moment: HookMoment): Promise<RunEvent[]> {
    {
      const started = performance.now();
      const net = inputs.net;
      const files = this.context.run.files;
      const overlayCases = files?.kept ? this.params.overlays : 0;
      const cases = await lastValueFrom(evaluateCases(net.network, inputs.samples, this.nodeName, overlayCases).pipe(toArray()));
      const summary = summariseDice(cases);
      const classNames = defaultClassNames(summary.mean.length, this.params.classNames);
      const best = summary.meanForeground > this.best;
      const events: RunEvent[] = [];
      for (const [index, c] of cases.entries()) {
        if (!c.overlay || !files?.kept) continue;
        const file = `overlays/${this.nodeName}/${String(moment.iteration).padStart(6, '0')}-${index}.mfov`;
        await files.writeValidationOverlay(file, c.overlay);
        events.push({ type: 'validation-overlay', node: this.nodeName, iteration: moment.iteration, case: c.id, origin: c.origin, shape: c.overlay.shape, classNames, file });
      }
      if (best) {
        this.best = summary.meanForeground;
        this.bestIteration = moment.iteration;
        if (this.params.keepBest) {
          const path = await this.context.run.checkpoints.save('best', [net.network], moment.iteration);
          if (path) events.push({ type: 'checkpoint', node: this.nodeName, iteration: moment.iteration, tag: 'best', path });
        }
      }
      events.unshift({
        type: 'validation',
        node: this.nodeName,
        iteration: moment.iteration,
        classNames,
        classDice: summary.mean,
        meanForegroundDice: summary.meanForeground,
        best,
        seconds: (performance.now() - started) / 1000,
      });
      const patience = this.params.patience;
      if (patience !== null && !moment.final && moment.iteration - this.bestIteration >= patience) {
        events.push({
          type: 'early-stopped',
          node: this.nodeName,
          iteration: moment.iteration,
          message: `no better validation Dice for ${moment.iteration - this.bestIteration} iterations (best ${this.best.toFixed(4)} at iteration ${this.bestIteration}; patience ${patience}): training ends here`,
        });
      }
      return events;
    }
  }
}
