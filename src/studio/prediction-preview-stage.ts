import { defer, lastValueFrom, type Observable, EMPTY, concatMap } from 'rxjs';
import { z } from 'zod';
import type { RunEvent } from '../events/run-event.js';
import type { PortSpecs } from '../graph/port-spec.js';
import { HookStage, type HookMoment, type InputsOf, type StageClass } from '../graph/stage.js';
import { predictWholeImage } from '../inference/predict-whole-image.js';
import { SeededRandom } from '../runtime/seeded-random.js';

/** The stage name of the studio's preview hook. */
export const PREDICTION_PREVIEW = 'PredictionPreview';

/** What the preview hook hands to the page: the network's class map of the preview case after an iteration. */
export interface PredictionPreview {
  readonly iteration: number;
  readonly final: boolean;
  /** The case's index in the preview stream, and its id (its image file name). */
  readonly index: number;
  readonly id: string;
  /** Spatial shape of the class map ([rows, columns]). */
  readonly shape: readonly number[];
  readonly classes: number;
  /** Class per pixel, row-major. */
  readonly labels: Int32Array;
}

const params = z
  .object({
    every: z.number().int().positive().default(5).describe('Predict the preview case every this many iterations, and after the last one'),
    finalCases: z
      .enum(['first', 'all'])
      .default('first')
      .describe("After the last iteration predict the first case only, or every case of the stream (a volume's slices, for accepting the whole volume)"),
  })
  .strict();

const previewInputs = {
  net: { type: 'network', description: 'the network being fine-tuned' },
  samples: { type: 'samples', description: 'the case to preview (the first of the stream), preprocessed as for inference' },
} as const satisfies PortSpecs;
const previewOutputs = {} as const satisfies PortSpecs;

/**
 * A hook for a page that shows training as it goes (the annotation studio): every N iterations and after the last,
 * the whole-image inference-mode prediction of one case (the one the user is annotating) goes to `onPreview`, and
 * after the last iteration optionally every case of the stream (all slices of a volume). The
 * class is made per run, bound to its callback, and registered beside the built-ins (`extraStages`); it emits no run
 * events and writes nothing.
 */
export function predictionPreviewStage(onPreview: (preview: PredictionPreview) => void): StageClass<z.infer<typeof params>> {
  return class PredictionPreviewHook extends HookStage<z.infer<typeof params>, typeof previewInputs> {
    static readonly className = PREDICTION_PREVIEW;
    static readonly description = 'Every N iterations: the whole-image prediction of one case, handed to the page that shows it';
    static readonly paramsSchema = params;
    static readonly inputs = previewInputs;
    static readonly outputs = previewOutputs;

    override runsAt(moment: HookMoment): boolean {
      return moment.final ? moment.iteration % this.params.every !== 0 : moment.iteration % this.params.every === 0;
    }

    override run(inputs: InputsOf<typeof previewInputs>, moment: HookMoment): Observable<RunEvent> {
      if (inputs.samples.size === 0) return EMPTY;
      const count = moment.final && this.params.finalCases === 'all' ? inputs.samples.size : 1;
      return defer(async () => {
        const random = new SeededRandom(0);
        for (let index = 0; index < count; index++) {
          const sample = await lastValueFrom(inputs.samples.read(index, random.derive('case', index)));
          const { labels, classes } = predictWholeImage(inputs.net.network, sample.image);
          onPreview({ iteration: moment.iteration, final: moment.final, index, id: sample.id, shape: sample.image.shape.slice(0, -1), classes, labels });
        }
        return [] as RunEvent[];
      }).pipe(concatMap((events) => events));
    }
  };
}
