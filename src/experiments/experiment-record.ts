import { existsSync, readFileSync, renameSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { z } from 'zod';
import { MicflowError } from '../errors/micflow-error.js';
import { POSTPROCESS_MODES } from '../stages/hooks/evaluate-segmentation.js';

export const EXPERIMENT_RECORD_FILE = 'experiment.json';

const jobSchema = z
  .object({
    id: z.string(),
    row: z.string(),
    method: z.string(),
    /** The pipeline module, as an absolute path (every worker reads the same file on the shared storage). */
    pipeline: z.string(),
    variant: z.string().optional(),
    fold: z.number().int().optional(),
    seed: z.number().int(),
    set: z.array(z.string()),
  })
  .strict();

/**
 * What an experiment is, written once into its folder by the command that starts it: every worker and every later
 * `status`/`attach` reads the jobs from here, so a job's data on the queue is only the folder and the job's id.
 */
export const experimentRecordSchema = z
  .object({
    format: z.literal('micflow-experiment'),
    version: z.literal(1),
    id: z.string(),
    name: z.string(),
    specFile: z.string(),
    /** The experiment folder (absolute): one run directory per job, experiment.json, results.*. */
    directory: z.string(),
    created: z.string(),
    caption: z.string(),
    classNames: z.array(z.string()),
    iterations: z.number().int(),
    seeds: z.array(z.number().int()),
    backend: z.string().optional(),
    data: z.string().optional(),
    latestEvery: z.number().int().positive(),
    /** The spec's `postprocess`, set on every job's EvaluateSegmentation (absent: each pipeline's own; older records). */
    postprocess: z.enum(POSTPROCESS_MODES).optional(),
    /** `git describe --always --dirty` of the code that planned it. */
    code: z.string().optional(),
    jobs: z.array(jobSchema).min(1),
  })
  .strict();

export type ExperimentRecord = z.infer<typeof experimentRecordSchema>;
export type ExperimentJob = ExperimentRecord['jobs'][number];

export function writeExperimentRecord(record: ExperimentRecord): void {
  const path = join(record.directory, EXPERIMENT_RECORD_FILE);
  writeFileSync(`${path}.partial`, `${JSON.stringify(record, null, 2)}\n`);
  renameSync(`${path}.partial`, path);
}

/** Reads and checks an experiment folder's record, naming the file and the key that is wrong. */
export function readExperimentRecord(directory: string): ExperimentRecord {
  const path = join(directory, EXPERIMENT_RECORD_FILE);
  if (!existsSync(path)) throw new MicflowError('invalid-argument', `${directory}: not an experiment folder (no ${EXPERIMENT_RECORD_FILE})`);
  let raw: unknown;
  try {
    raw = JSON.parse(readFileSync(path, 'utf8'));
  } catch (error) {
    throw new MicflowError('invalid-data', `${path}: not JSON (${(error as Error).message})`);
  }
  const parsed = experimentRecordSchema.safeParse(raw);
  if (!parsed.success) {
    throw new MicflowError('invalid-data', `${path}: not an experiment record`, parsed.error.issues.map((i) => `${i.path.join('.')}: ${i.message}`));
  }
  return parsed.data;
}

export function jobOf(record: ExperimentRecord, id: string): ExperimentJob {
  const job = record.jobs.find((j) => j.id === id);
  if (!job) throw new MicflowError('invalid-argument', `${record.directory}: the experiment has no job "${id}"`);
  return job;
}

export function runDirectoryOf(record: ExperimentRecord, job: ExperimentJob): string {
  return join(record.directory, job.id);
}
