import { concatMap, defer, lastValueFrom, toArray, type Observable } from 'rxjs';
import { z } from 'zod';
import type { RunEvent } from '../../events/run-event.js';
import type { SampleStream } from '../../graph/sample.js';
import { HookStage, type HookMoment, type NetworkState, type StageInputs } from '../../graph/stage.js';
import { defaultClassNames, evaluateCases, summariseDice } from '../../inference/evaluate-cases.js';

const params = z
  .object({
    /** Validate every this many iterations, and after the last one. */
    every: z.number().int().positive().default(100),
    classNames: z.array(z.string()).optional(),
    /** Keep a "best" checkpoint of the network at its highest mean foreground Dice. */
    keepBest: z.boolean().default(true),
  })
  .strict();

/** Whole-image validation between ticks: per-class Dice, and the best checkpoint by mean foreground Dice. */
export class Validate extends HookStage<z.infer<typeof params>> {
  static readonly className = 'Validate';
  static readonly evaluates = 'validation';
  static readonly description = 'Every N iterations: whole-image validation Dice per class, keeps the best checkpoint';
  static readonly paramsSchema = params;
  static readonly inputs = {
    net: { type: 'network', description: 'the network to validate' },
    samples: { type: 'samples', description: 'labelled validation cases (whole images)' },
  } as const;
  static readonly outputs = {};

  private best = -Infinity;

  override runsAt(moment: HookMoment): boolean {
    return moment.final ? moment.iteration % this.params.every !== 0 : moment.iteration % this.params.every === 0;
  }

  override run(inputs: StageInputs, moment: HookMoment): Observable<RunEvent> {
    return defer(() => this.validate(inputs, moment)).pipe(concatMap((events) => events));
  }

  private async validate(inputs: StageInputs, moment: HookMoment): Promise<RunEvent[]> {
    {
      const started = performance.now();
      const net = inputs.net as NetworkState;
      const cases = await lastValueFrom(evaluateCases(net.network, inputs.samples as SampleStream, this.nodeName).pipe(toArray()));
      const summary = summariseDice(cases);
      const best = summary.meanForeground > this.best;
      const events: RunEvent[] = [];
      if (best) {
        this.best = summary.meanForeground;
        if (this.params.keepBest) {
          const path = await this.context.run.checkpoints.save('best', [net.network], moment.iteration);
          if (path) events.push({ type: 'checkpoint', node: this.nodeName, iteration: moment.iteration, tag: 'best', path });
        }
      }
      events.unshift({
        type: 'validation',
        node: this.nodeName,
        iteration: moment.iteration,
        classNames: defaultClassNames(summary.mean.length, this.params.classNames),
        classDice: summary.mean,
        meanForegroundDice: summary.meanForeground,
        best,
        seconds: (performance.now() - started) / 1000,
      });
      return events;
    }
  }
}
