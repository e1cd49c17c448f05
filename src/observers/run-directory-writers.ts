import { join } from 'node:path';
import type { Observer } from 'rxjs';
import type { RunEvent } from '../events/run-event.js';
import { JsonlMetricsWriter } from './jsonl-metrics-writer.js';
import { TensorBoardEventWriter } from './tensorboard-event-writer.js';

/**
 * What every run with a directory writes as it goes: `metrics.jsonl` (every event, ending with `run-failed` on an
 * error) and a TensorBoard event file. `append`: a resumed run continues metrics.jsonl and starts a new event file.
 */
export function runDirectoryWriters(runDirectory: string, options: { readonly append: boolean }): Observer<RunEvent> {
  const metrics = new JsonlMetricsWriter(join(runDirectory, 'metrics.jsonl'), options);
  const tensorboard = new TensorBoardEventWriter(runDirectory, options);
  return {
    next: (event) => {
      metrics.next(event);
      tensorboard.next(event);
    },
    error: (error) => {
      metrics.error(error);
      tensorboard.error();
    },
    complete: () => {
      metrics.complete();
      tensorboard.complete();
    },
  };
}
