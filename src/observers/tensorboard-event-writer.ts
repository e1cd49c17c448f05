import { join } from 'node:path';
import type { Observer } from 'rxjs';
import type { EvaluationEvent, IterationEvent, RunEvent, ValidationEvent, ValidationOverlayEvent } from '../events/run-event.js';
import { overlayPicture } from '../images/overlay-picture.js';
import { TensorBoardEventFile, type TensorBoardEventFileOptions, type TensorBoardScalar } from '../io/tensorboard-event-file.js';
import { readValidationOverlay } from '../io/validation-overlay-file.js';
import { encodePngSync } from '../io/write-png.js';

export interface TensorBoardEventWriterOptions extends TensorBoardEventFileOptions {
  /**
   * A resumed run. It starts a new event file in the run directory all the same (TensorBoard reads every event file
   * of a folder, in name order, as one run), so this changes nothing yet; it is here so callers treat both writers alike.
   */
  readonly append?: boolean;
  /** Where a skipped overlay is reported (default: one line on stderr). */
  readonly warn?: (message: string) => void;
  /** Wall time of each event in seconds since the epoch (default: Date.now() / 1000). */
  readonly clock?: () => number;
}

/**
 * Writes a run's scalars and validation overlays as a TensorBoard event file in the run directory, as they happen
 * (`tensorboard --logdir runs/` shows every run). Tags:
 *
 * - each iteration (step = iteration): `loss/<term>` for every term, `learning_rate/<optimiser>`,
 *   `time/seconds_per_iteration`, `time/data_seconds`, `memory/live_tensors`, `memory/rss_mb`;
 * - each validation: `validation/<node>/mean_foreground_dice` and `validation/<node>/dice/<class>`;
 * - each validation overlay: an image `overlay/<node>/<case>` (grey image, ground truth, prediction side by side);
 * - each evaluation (step = the last iteration): `evaluation/<node>/mean_foreground_dice` and
 *   `evaluation/<node>/dice/<class>`, and with post-processing (EvaluateSegmentation's `postprocess`) the same under
 *   `evaluation/<node>/lcc/`.
 *
 * NaN values (a class absent from every case) are left out. An overlay file that cannot be read is skipped with a
 * warning; the run goes on.
 */
export class TensorBoardEventWriter implements Observer<RunEvent> {
  readonly events: TensorBoardEventFile;
  private readonly warn: (message: string) => void;
  private readonly clock: () => number;
  private lastIteration = 0;

  constructor(
    readonly runDirectory: string,
    options: TensorBoardEventWriterOptions = {},
  ) {
    this.warn = options.warn ?? ((message) => process.stderr.write(`micflow: ${message}\n`));
    this.clock = options.clock ?? (() => Date.now() / 1000);
    this.events = new TensorBoardEventFile(runDirectory, { hostname: options.hostname, wallTime: options.wallTime ?? this.clock() });
  }

  /** The event file's path. */
  get file(): string {
    return this.events.file;
  }

  next(event: RunEvent): void {
    switch (event.type) {
      case 'iteration':
        this.lastIteration = event.iteration;
        this.scalars(event.iteration, iterationScalars(event));
        break;
      case 'run-resumed':
        this.lastIteration = event.iteration;
        break;
      case 'validation':
        this.lastIteration = Math.max(this.lastIteration, event.iteration);
        this.scalars(event.iteration, diceScalars('validation', event));
        break;
      case 'validation-overlay':
        this.overlay(event);
        break;
      case 'evaluation':
        this.scalars(this.lastIteration, diceScalars('evaluation', event));
        if (event.postprocessed) this.scalars(this.lastIteration, diceScalars('evaluation', { ...event, ...event.postprocessed, node: `${event.node}/lcc` }));
        break;
      default:
        break;
    }
  }

  error(): void {}

  complete(): void {}

  private scalars(step: number, scalars: TensorBoardScalar[]): void {
    this.events.writeScalars(step, scalars.filter((s) => !Number.isNaN(s.value)), this.clock());
  }

  private overlay(event: ValidationOverlayEvent): void {
    const file = join(this.runDirectory, event.file);
    let png: Buffer;
    let picture: ReturnType<typeof overlayPicture>;
    try {
      picture = overlayPicture(readValidationOverlay(file));
      png = encodePngSync({ data: picture.rgb, size: [picture.width, picture.height], spacing: [1, 1], origin: [0, 0], direction: [1, 0, 0, 1], components: 3, pixelType: 'uint8' });
    } catch (error) {
      this.warn(`TensorBoard: skipping the overlay of ${event.case} at iteration ${event.iteration}: ${(error as Error).message.split('\n')[0]}`);
      return;
    }
    this.events.writeImage(event.iteration, { tag: `overlay/${event.node}/${event.case}`, width: picture.width, height: picture.height, colorspace: 3, encoded: png }, this.clock());
  }
}

/** The scalars of an iteration event, by the tags {@link TensorBoardEventWriter} documents. */
export function iterationScalars(event: IterationEvent): TensorBoardScalar[] {
  const scalars: TensorBoardScalar[] = [
    ...Object.entries(event.terms).map(([term, value]) => ({ tag: `loss/${term}`, value })),
    ...Object.entries(event.learningRates).map(([node, value]) => ({ tag: `learning_rate/${node}`, value })),
    { tag: 'time/seconds_per_iteration', value: event.seconds },
    { tag: 'time/data_seconds', value: event.dataSeconds },
    { tag: 'memory/live_tensors', value: event.liveTensors },
  ];
  if (event.rssBytes !== undefined) scalars.push({ tag: 'memory/rss_mb', value: event.rssBytes / 2 ** 20 });
  return scalars;
}

/** Mean foreground Dice and Dice per class of a validation or evaluation event, under `<prefix>/<node>/`. */
export function diceScalars(prefix: 'validation' | 'evaluation', event: ValidationEvent | EvaluationEvent): TensorBoardScalar[] {
  return [
    { tag: `${prefix}/${event.node}/mean_foreground_dice`, value: event.meanForegroundDice },
    ...event.classNames.map((name, k) => ({ tag: `${prefix}/${event.node}/dice/${name}`, value: event.classDice[k] })),
  ];
}
