import { fork } from 'node:child_process';
import { join } from 'node:path';
import { Queue, UnrecoverableError, type Job } from 'bullmq';
import { Redis } from 'ioredis';
import { EXPERIMENT_QUEUE, JOB_ATTEMPTS, redisClientOf } from './queue-connection.js';

/** An inference job on the queue: `npm run infer` with these arguments (absolute paths), for one range of cases. */
export interface InferenceJobData {
  readonly kind: 'infer';
  readonly args: readonly string[];
  readonly cwd: string;
}

/** Splits `cases` into ranges of at most `perJob` cases: [start, end) pairs, in order. */
export function caseRanges(cases: number, perJob: number): { start: number; end: number }[] {
  const ranges: { start: number; end: number }[] = [];
  for (let start = 0; start < cases; start += perJob) ranges.push({ start, end: Math.min(cases, start + perJob) });
  return ranges;
}

/**
 * Queues one inference job per range of cases (ids `<id>--cases-<start>-<end>`, so queuing again is a no-op) and
 * follows them until all have completed or failed for good, calling `onUpdate` with how many of each there are.
 * Returns the failures' messages by job id.
 */
export async function runQueuedInference(
  url: string,
  id: string,
  jobs: readonly { range: { start: number; end: number }; args: readonly string[] }[],
  cwd: string,
  options: { readonly onUpdate?: (counts: { completed: number; failed: number; total: number }) => void; readonly pollMilliseconds?: number } = {},
): Promise<Map<string, string>> {
  const connection: Redis = redisClientOf(url);
  const queue = new Queue<InferenceJobData>(EXPERIMENT_QUEUE, { connection });
  try {
    const ids = jobs.map(({ range }) => `${id}--cases-${range.start}-${range.end}`);
    await queue.addBulk(
      jobs.map(({ args }, k) => ({
        name: ids[k],
        data: { kind: 'infer' as const, args: [...args], cwd },
        opts: { jobId: ids[k], attempts: JOB_ATTEMPTS, backoff: { type: 'exponential', delay: 2000 }, removeOnComplete: false, removeOnFail: false },
      })),
    );
    let last = '';
    for (;;) {
      const states = await Promise.all(ids.map(async (jobId) => ({ jobId, job: await queue.getJob(jobId) })));
      const finished = await Promise.all(states.map(async ({ job }) => (job ? await job.getState() : 'missing')));
      const counts = { completed: finished.filter((s) => s === 'completed').length, failed: finished.filter((s) => s === 'failed' || s === 'missing').length, total: ids.length };
      if (JSON.stringify(counts) !== last) options.onUpdate?.(counts);
      last = JSON.stringify(counts);
      if (counts.completed + counts.failed === counts.total) {
        return new Map(states.flatMap(({ jobId, job }, k) => (finished[k] === 'completed' ? [] : [[jobId, job?.failedReason ?? 'not on the queue'] as [string, string]])));
      }
      await new Promise((resolve) => setTimeout(resolve, options.pollMilliseconds ?? 1000));
    }
  } finally {
    await queue.close();
    connection.disconnect();
  }
}

/**
 * Runs one inference job as its own `npm run infer` process (the same command, the job's range of cases) and returns
 * how many predictions it wrote. Exit code 2 (the input's fault: a missing file, a bad argument) fails once; any other
 * failure is retried (a re-run rewrites the same files).
 */
export function runInferenceJob(job: Job<InferenceJobData>): Promise<{ written: number }> {
  return new Promise((resolve, reject) => {
    const child = fork(join(import.meta.dirname, '..', 'cli', 'infer-command.ts'), [...job.data.args], { cwd: job.data.cwd, stdio: ['ignore', 'pipe', 'pipe', 'ipc'] });
    let stdout = '';
    let stderr = '';
    child.stdout!.on('data', (chunk) => (stdout += chunk));
    child.stderr!.on('data', (chunk) => (stderr += chunk));
    child.once('exit', (code, signal) => {
      if (code === 0) resolve({ written: (stdout.match(/^\[\d+\/\d+\] /gm) ?? []).length });
      else {
        const message = stderr.trim().split('\n').slice(-3).join('\n') || `npm run infer ended with ${signal ?? `exit code ${code}`}`;
        reject(code === 2 ? new UnrecoverableError(message) : new Error(message));
      }
    });
  });
}
