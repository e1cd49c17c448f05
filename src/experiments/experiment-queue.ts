import { fork } from 'node:child_process';
import { join } from 'node:path';
import { Queue, UnrecoverableError, Worker, type Job } from 'bullmq';
import { EXPERIMENT_QUEUE, JOB_ATTEMPTS, redisClientOf } from './queue-connection.js';
import { MicflowError, type MicflowErrorKind } from '../errors/micflow-error.js';
import type { ExperimentJobResult } from './experiment-job.js';
import type { ExperimentRecord } from './experiment-record.js';
import { runInferenceJob, type InferenceJobData } from './inference-queue.js';

export { EXPERIMENT_QUEUE, JOB_ATTEMPTS, redisClientOf };

/**
 * Where each experiment's folder is recorded, for `status`/`attach ID` from any machine: a queue no worker takes
 * from, one job per experiment (id: the experiment's; data: its folder).
 */
export const EXPERIMENT_INDEX_QUEUE = 'micflow-experiments';

/** Error kinds that are the input's fault: the job fails once with its message, with no retries. */
const FAILS_ONCE: ReadonlySet<MicflowErrorKind> = new Set(['invalid-pipeline', 'unknown-pipeline', 'invalid-argument', 'invalid-data', 'invalid-shape', 'invalid-checkpoint', 'unknown-backend']);

/** A queue on its own connection, closed (queue and connection) when `use` settles. */
async function withQueue<T, D = unknown>(url: string, name: string, use: (queue: Queue<D>) => Promise<T>): Promise<T> {
  const connection = redisClientOf(url);
  const queue = new Queue<D>(name, { connection });
  try {
    return await use(queue);
  } finally {
    await queue.close();
    connection.disconnect();
  }
}

/** The queue's id of an experiment's job (BullMQ ids may not hold ':'). */
export const queueJobId = (record: Pick<ExperimentRecord, 'id'>, job: string) => `${record.id}--${job}`;

/** Job data on the queue: where the experiment is, and which of its jobs this is. */
export interface ExperimentJobData {
  readonly directory: string;
  readonly job: string;
}

/**
 * Adds every job of an experiment to the queue, each under its own id (adding one twice is a no-op), and records
 * the experiment's folder under its id.
 */
export async function enqueueExperiment(record: ExperimentRecord, url: string): Promise<void> {
  await withQueue<void, { directory: string; created: string }>(url, EXPERIMENT_INDEX_QUEUE, (index) =>
    index.add(record.id, { directory: record.directory, created: record.created }, { jobId: record.id, removeOnComplete: false }).then(() => undefined),
  );
  await withQueue<void, ExperimentJobData>(url, EXPERIMENT_QUEUE, async (queue) => {
    await queue.addBulk(
      record.jobs.map((job) => ({
        name: job.id,
        data: { directory: record.directory, job: job.id },
        opts: { jobId: queueJobId(record, job.id), attempts: JOB_ATTEMPTS, backoff: { type: 'exponential', delay: 2000 }, removeOnComplete: false, removeOnFail: false },
      })),
    );
  });
}

/** The folder of an experiment started with `--queue`, from its id. */
export async function experimentDirectoryOf(id: string, url: string): Promise<string> {
  return withQueue<string, { directory: string }>(url, EXPERIMENT_INDEX_QUEUE, async (index) => {
    const entry = await index.getJob(id);
    if (!entry) throw new MicflowError('invalid-argument', `no experiment "${id}" on ${url} (npm run experiment -- status --queue ${url} lists them)`);
    return entry.data.directory;
  });
}

/** Every experiment the queue knows, oldest first, with its folder. */
export async function listQueuedExperiments(url: string): Promise<{ id: string; directory: string; created: string }[]> {
  return withQueue<{ id: string; directory: string; created: string }[], { directory: string; created: string }>(url, EXPERIMENT_INDEX_QUEUE, async (index) => {
    const entries = await index.getJobs(['waiting', 'prioritized']);
    return entries.map((entry) => ({ id: entry.id ?? entry.name, directory: entry.data.directory, created: entry.data.created })).sort((a, b) => a.created.localeCompare(b.created));
  });
}

/** Where one job stands, as `status` and the progress table show it. */
export interface JobStanding {
  readonly job: string;
  readonly state: 'waiting' | 'active' | 'completed' | 'failed' | 'retrying' | 'missing';
  readonly attempts: number;
  readonly iteration?: number;
  readonly iterations?: number;
  readonly validation?: number;
  readonly resumedAfter?: number;
  readonly result?: ExperimentJobResult;
  readonly failure?: string;
}

/** The standing of every job of an experiment on the queue, in the record's order. */
export async function jobStandings(record: ExperimentRecord, queue: Queue): Promise<JobStanding[]> {
  return Promise.all(
    record.jobs.map(async (job): Promise<JobStanding> => {
      // The state first, then the job: a job read before its state could complete in between and show as completed
      // without its result (BullMQ writes the return value and the completed state in one step, so read in this
      // order a completed job always carries its result).
      const id = queueJobId(record, job.id);
      const state = await queue.getJobState(id);
      const queued = state === 'unknown' ? undefined : ((await queue.getJob(id)) as Job<ExperimentJobData, ExperimentJobResult> | undefined);
      if (!queued) return { job: job.id, state: 'missing', attempts: 0 };
      const progress = (typeof queued.progress === 'object' ? queued.progress : {}) as Partial<JobStanding>;
      const base = { job: job.id, attempts: queued.attemptsMade, iteration: progress.iteration, iterations: progress.iterations, validation: progress.validation, resumedAfter: progress.resumedAfter };
      if (state === 'completed') return { ...base, state, result: queued.returnvalue };
      if (state === 'failed') return { ...base, state, failure: queued.failedReason };
      if (state === 'active') return { ...base, state };
      return { ...base, state: queued.attemptsMade > 0 ? 'retrying' : 'waiting' };
    }),
  );
}

/** The standing of every job of an experiment now (one look, for `status`). */
export async function queuedJobStandings(record: ExperimentRecord, url: string): Promise<JobStanding[]> {
  return withQueue(url, EXPERIMENT_QUEUE, (queue) => jobStandings(record, queue));
}

/**
 * Follows an experiment on the queue until every job has completed or failed for good, calling `onUpdate` with the
 * standings at each poll. The coordinator can die and another can follow the same experiment: nothing here holds
 * state the queue does not.
 */
export async function followQueuedExperiment(
  record: ExperimentRecord,
  url: string,
  options: { readonly onUpdate?: (standings: readonly JobStanding[]) => void; readonly pollMilliseconds?: number } = {},
): Promise<JobStanding[]> {
  return withQueue(url, EXPERIMENT_QUEUE, async (queue) => {
    for (;;) {
      const standings = await jobStandings(record, queue);
      options.onUpdate?.(standings);
      if (standings.every((s) => s.state === 'completed' || s.state === 'failed' || s.state === 'missing')) return standings;
      await new Promise((resolve) => setTimeout(resolve, options.pollMilliseconds ?? 1000));
    }
  });
}

export interface ExperimentWorkerOptions {
  /** Jobs run at once by this worker (default 1: a job uses every core it is given). */
  readonly concurrency?: number;
  /**
   * How long a job's lock lives without renewal (the worker renews it every half of this). A worker killed mid-job
   * loses its lock after this, and the next stalled-job check hands the job to another worker. Default 30 s.
   */
  readonly lockMilliseconds?: number;
  /** How often this worker checks for stalled jobs. Default 30 s. */
  readonly stalledCheckMilliseconds?: number;
  /** One line per job started, finished or failed. */
  readonly log?: (line: string) => void;
}

/**
 * A worker: takes experiment jobs from the queue one at a time and runs each in a child process (see
 * experiment-job-entry.ts), relaying its progress to the queue. A job that fails on its input (a bad pipeline, bad
 * data) fails once with its message; any other failure is retried, continuing from the job's saved state. A worker
 * killed mid-job stalls its job, which BullMQ's stalled-job check moves to another worker (up to 5 times).
 */
export function startExperimentWorker(url: string, options: ExperimentWorkerOptions = {}): Worker<ExperimentJobData, ExperimentJobResult> {
  const log = options.log ?? (() => {});
  const connection = redisClientOf(url);
  const worker = new Worker<ExperimentJobData, ExperimentJobResult>(
    EXPERIMENT_QUEUE,
    async (job) => {
      log(`${job.id}: started (attempt ${job.attemptsMade + 1})`);
      const data = job.data as ExperimentJobData | InferenceJobData;
      if ('kind' in data && data.kind === 'infer') return (await runInferenceJob(job as unknown as Job<InferenceJobData>)) as unknown as ExperimentJobResult;
      return runJobInChildProcess(job);
    },
    {
      connection,
      concurrency: options.concurrency ?? 1,
      lockDuration: options.lockMilliseconds ?? 30_000,
      stalledInterval: options.stalledCheckMilliseconds ?? 30_000,
      maxStalledCount: 5,
    },
  );
  worker.on('completed', (job) => {
    const value = job.returnvalue as ExperimentJobResult | { written: number };
    log(`${job.id}: completed, ${'written' in value ? `${value.written} predictions written` : `mean foreground Dice ${value.meanDice?.toFixed(4)}${value.postprocessed ? ` (+LCC ${value.postprocessed.meanDice?.toFixed(4)})` : ''}`}`);
  });
  worker.on('failed', (job, error) => log(`${job?.id ?? '?'}: failed (attempt ${job?.attemptsMade ?? '?'}): ${error.message.split('\n')[0]}`));
  worker.on('error', (error) => log(`worker: ${error.message}`));
  worker.on('closed', () => connection.disconnect());
  return worker;
}

function runJobInChildProcess(job: Job<ExperimentJobData, ExperimentJobResult>): Promise<ExperimentJobResult> {
  return new Promise((resolve, reject) => {
    const child = fork(join(import.meta.dirname, 'experiment-job-entry.ts'), [job.data.directory, job.data.job], { stdio: ['ignore', 'ignore', 'inherit', 'ipc'] });
    let settled = false;
    let progress = Promise.resolve();
    child.on('message', (message: { progress?: object; result?: ExperimentJobResult; error?: string; kind?: MicflowErrorKind }) => {
      if (message.progress) {
        const update = message.progress;
        progress = progress.then(() => job.updateProgress(update)).catch(() => {});
      } else if (message.result) {
        settled = true;
        void progress.then(() => resolve(message.result!));
      } else if (message.error !== undefined) {
        settled = true;
        reject(message.kind && FAILS_ONCE.has(message.kind) ? new UnrecoverableError(message.error) : new Error(message.error));
      }
    });
    child.once('exit', (code, signal) => {
      if (!settled) reject(new Error(`${job.data.job}: the job's process ended without a result (${signal ?? `exit code ${code}`}); the next attempt continues from its saved state`));
    });
  });
}
