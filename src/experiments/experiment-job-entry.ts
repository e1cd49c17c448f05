/**
 * One experiment job in a process of its own, forked by a queue worker (experiment-queue.ts): the training loop keeps
 * this process busy, while the worker's own event loop stays free to renew the job's lock on the queue and relay its
 * progress. Arguments: the experiment folder and the job id. Reports `{ progress }` as the run goes, then `{ result }`
 * or `{ error, kind }`. When the worker is gone (killed: this process is re-parented) it stops at once, leaving the
 * last saved state for the worker that takes the job over; SIGINT/SIGTERM stop it after the tick, saving its state.
 */
import { isMicflowError } from '../errors/micflow-error.js';
import type { RunEvent } from '../events/run-event.js';
import { runExperimentJob } from './experiment-job.js';
import { jobOf, readExperimentRecord } from './experiment-record.js';

const [directory, jobId] = process.argv.slice(2);
const parent = process.ppid;
let signal: 'SIGINT' | 'SIGTERM' | undefined;
process.on('SIGINT', () => (signal = 'SIGINT'));
process.on('SIGTERM', () => (signal = 'SIGTERM'));

let lastSent = 0;
/** What the queue shows of a run: iterations as they go (at most twice a second), and every validation. */
function relay(event: RunEvent): void {
  if (event.type === 'iteration') {
    const now = Date.now();
    if (now - lastSent < 500 && event.iteration !== event.iterations) return;
    lastSent = now;
    process.send?.({ progress: { iteration: event.iteration, iterations: event.iterations, terms: event.terms, seconds: event.seconds } });
  } else if (event.type === 'validation') {
    process.send?.({ progress: { validation: event.meanForegroundDice, iteration: event.iteration } });
  } else if (event.type === 'run-resumed') {
    process.send?.({ progress: { resumedAfter: event.iteration, iteration: event.iteration, iterations: event.iterations } });
  }
}

(async () => {
  try {
    const record = readExperimentRecord(directory);
    const result = await runExperimentJob(record, jobOf(record, jobId), {
      onEvent: relay,
      stopRequested: () => {
        if (process.ppid !== parent) process.exit(70); // the worker died: its job goes to another worker, which resumes
        return signal;
      },
    });
    process.send?.({ result }, () => process.exit(0));
  } catch (error) {
    process.send?.({ error: error instanceof Error ? error.message : String(error), kind: isMicflowError(error) ? error.kind : undefined }, () => process.exit(1));
  }
})();
