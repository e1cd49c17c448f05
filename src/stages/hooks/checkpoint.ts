import { concatMap, defer, type Observable } from 'rxjs';
import { z } from 'zod';
import type { RunEvent } from '../../events/run-event.js';
import { HookStage, type HookMoment, type NetworkState, type StageInputs } from '../../graph/stage.js';

const params = z
  .object({
    /** Save every this many iterations (0: only after the last one). */
    every: z.number().int().min(0).default(0),
    tag: z.string().regex(/^[A-Za-z0-9_-]+$/).default('latest'),
  })
  .strict();

/** Saves the networks' variables under a tag (default "latest") periodically and after the last iteration. */
export class Checkpoint extends HookStage<z.infer<typeof params>> {
  static readonly className = 'Checkpoint';
  static readonly description = 'Saves a checkpoint ("latest") every N iterations and at the end of the run';
  static readonly paramsSchema = params;
  static readonly inputs = { nets: { type: 'network', list: true, description: 'networks to save' } } as const;
  static readonly outputs = {};

  override runsAt(moment: HookMoment): boolean {
    const every = this.params.every;
    if (moment.final) return every === 0 || moment.iteration % every !== 0;
    return every > 0 && moment.iteration % every === 0;
  }

  override run(inputs: StageInputs, moment: HookMoment): Observable<RunEvent> {
    return defer(async () => {
      const path = await this.context.run.checkpoints.save(this.params.tag, (inputs.nets as NetworkState[]).map((n) => n.network), moment.iteration);
      const events: RunEvent[] = path
        ? [{ type: 'checkpoint', node: this.nodeName, iteration: moment.iteration, tag: this.params.tag, path }]
        : [];
      return events;
    }).pipe(concatMap((events) => events));
  }
}
