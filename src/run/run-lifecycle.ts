import { Observable, type MonoTypeOperatorFunction } from 'rxjs';
import type { RunEvent } from '../events/run-event.js';
import { removeRunDirectory, startingStatus, writeRunStatus, type RunStatus } from './run-directory.js';

export interface RunLifecycleOptions {
  readonly runDirectory: string;
  readonly pipeline: string;
  readonly iterations: number;
  /** The iteration the run starts after (0 for a new run, the checkpoint's for a resumed one). */
  readonly startIteration: number;
  /** Remove the directory when the run fails before completing an iteration (true for a directory made for this run). */
  readonly removeIfNoProgress: boolean;
}

/**
 * Keeps `run-status.json` in step with a run's events — running with the last completed iteration, then finished,
 * interrupted or failed with its message — and removes a new run's directory when the run fails before its first
 * iteration completes, so a listing never shows a broken run as a good one. Events pass through unchanged.
 */
export function followRunLifecycle(options: RunLifecycleOptions): MonoTypeOperatorFunction<RunEvent> {
  return (source) =>
    new Observable<RunEvent>((subscriber) => {
      let status: RunStatus = startingStatus(options.pipeline, options.iterations, options.startIteration);
      const update = (change: Partial<RunStatus>) => {
        status = { ...status, ...change, updated: new Date().toISOString() };
        writeRunStatus(options.runDirectory, status);
      };
      let ended = false;
      update({});
      const subscription = source.subscribe({
        next: (event) => {
          if (event.type === 'iteration') update({ iteration: event.iteration });
          else if (event.type === 'validation' && event.best) update({ bestValidation: event.meanForegroundDice });
          else if (event.type === 'run-interrupted') update({ status: 'interrupted', iteration: event.iteration, message: `stopped by ${event.reason}` });
          subscriber.next(event);
        },
        error: (error) => {
          ended = true;
          if (status.iteration === options.startIteration && options.removeIfNoProgress) removeRunDirectory(options.runDirectory);
          else update({ status: 'failed', message: (error as Error).message?.split('\n')[0] ?? String(error) });
          subscriber.error(error);
        },
        complete: () => {
          ended = true;
          if (status.status === 'running') update({ status: 'finished' });
          subscriber.complete();
        },
      });
      return () => {
        subscription.unsubscribe();
        // Unsubscribed before the end (the caller stopped listening): the run did not finish here.
        if (!ended) update({ status: 'interrupted', message: 'the run was stopped before it ended' });
      };
    });
}
