import { concatMap, defer, type Observable } from 'rxjs';
import { z } from 'zod';
import type { RunEvent } from '../../events/run-event.js';
import type { PortSpecs } from '../../graph/port-spec.js';
import { HookStage, type HookMoment, type InputsOf } from '../../graph/stage.js';

const params = z
  .object({
    every: z.number().int().min(0).default(0).describe('Save every this many iterations, and after the last one (0: only after the last one)'),
    tag: z
      .string()
      .regex(/^[A-Za-z0-9_-]+$/)
      .refine((tag) => tag !== 'latest' && tag !== 'best', { message: 'the tags "latest" (the run\'s whole state, for --resume) and "best" (Validate\'s) are the run\'s own; choose another' })
      .default('snapshot')
      .describe('Name the checkpoint is saved under (letters, digits, _ and -; not "latest" or "best", which the run and Validate write): checkpoints/<tag>.json and its value file'),
  })
  .strict();

const checkpointInputs = { nets: { type: 'network', list: true, description: 'networks to save' } } as const satisfies PortSpecs;
const checkpointOutputs = {} as const satisfies PortSpecs;

/**
 * Saves the networks' variables under a tag (default "snapshot") periodically and after the last iteration — weights
 * for inference, e.g. of networks no Validate node keeps. The run itself saves its whole state as "latest".
 */
export class Checkpoint extends HookStage<z.infer<typeof params>, typeof checkpointInputs> {
  static readonly className = 'Checkpoint';
  static readonly description = 'Saves the networks\' weights under a tag every N iterations and at the end of the run';
  static readonly paramsSchema = params;
  static readonly inputs = checkpointInputs;
  static readonly outputs = checkpointOutputs;

  override runsAt(moment: HookMoment): boolean {
    const every = this.params.every;
    if (moment.final) return every === 0 || moment.iteration % every !== 0;
    return every > 0 && moment.iteration % every === 0;
  }

  override run(inputs: InputsOf<typeof checkpointInputs>, moment: HookMoment): Observable<RunEvent> {
    return defer(async () => {
      const path = await this.context.run.checkpoints.save(this.params.tag, inputs.nets.map((n) => n.network), moment.iteration);
      const events: RunEvent[] = path
        ? [{ type: 'checkpoint', node: this.nodeName, iteration: moment.iteration, tag: this.params.tag, path }]
        : [];
      return events;
    }).pipe(concatMap((events) => events));
  }
}
