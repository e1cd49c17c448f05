import { appendFileSync, writeFileSync } from 'node:fs';
import type { Observer } from 'rxjs';
import type { RunEvent } from '../events/run-event.js';

/**
 * Writes every run event as one JSON line to `metrics.jsonl` in the run directory, as it happens (appended
 * synchronously, so a crash loses at most the event being written). A failed run ends with a `run-failed` line.
 */
export class JsonlMetricsWriter implements Observer<RunEvent> {
  /** `append`: continue an existing file (a resumed run) instead of starting it empty. */
  constructor(
    readonly file: string,
    options: { readonly append?: boolean } = {},
  ) {
    if (!options.append) writeFileSync(file, '');
  }

  next(event: RunEvent): void {
    appendFileSync(this.file, `${JSON.stringify(event)}\n`);
  }

  error(error: unknown): void {
    appendFileSync(this.file, `${JSON.stringify({ type: 'run-failed', message: error instanceof Error ? error.message : String(error) })}\n`);
  }

  complete(): void {}
}
