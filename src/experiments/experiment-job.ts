import { existsSync, readFileSync, renameSync, rmSync, writeFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { lastValueFrom, tap } from 'rxjs';
import type { RunEvent } from '../events/run-event.js';
import { MicflowError } from '../errors/micflow-error.js';
import { runDirectoryWriters } from '../observers/run-directory-writers.js';
import { loadPipelineModule } from '../run/load-pipeline-module.js';
import { preparePipelineRun, startPipelineRun, type PreparedPipelineRun, type StartedPipelineRun } from '../run/pipeline-run.js';
import { resumePipelineRun } from '../run/resume-pipeline-run.js';
import { postprocessedTableName } from '../stages/hooks/evaluate-segmentation.js';
import { readMeanRows, withTestEvaluation } from './method-comparison.js';
import { meanOfDefined, type MethodRunResult, type PostprocessedScores } from './method-run-result.js';
import { runDirectoryOf, type ExperimentJob, type ExperimentRecord } from './experiment-record.js';

/** A job's row of the table: the run's test scores, and how the job went. */
export interface ExperimentJobResult extends MethodRunResult {
  readonly job: string;
  readonly row: string;
  readonly fold?: number;
  /** The iteration the last attempt resumed after (a job handed to another worker, or retried), when it resumed. */
  readonly resumedAfter?: number;
}

export const JOB_RESULT_FILE = 'result.json';

/** The job's run as it would start now: its pipeline module, scored on the test split, with the job's overrides. */
export async function prepareExperimentJob(record: ExperimentRecord, job: ExperimentJob): Promise<PreparedPipelineRun> {
  const loaded = await loadPipelineModule(job.pipeline, dirname(job.pipeline));
  const definition = withTestEvaluation(job.method, loaded.definition, record.classNames, record.postprocess);
  return preparePipelineRun(definition, { set: job.set, data: record.data, modules: loaded.modules, source: loaded.file });
}

export interface RunExperimentJobOptions {
  /** Every event of the run, as it happens (progress relayed to the queue, a console). */
  readonly onEvent?: (event: RunEvent) => void;
  /** Asked after every tick, as a pipeline run's stopRequested. */
  readonly stopRequested?: StartedPipelineRunStop;
}

type StartedPipelineRunStop = NonNullable<Parameters<typeof startPipelineRun>[1]>['stopRequested'];

/**
 * Runs one job to its result, wherever it stands: a job whose run directory holds its result returns it (a job
 * delivered twice gives one row); one with a saved state continues from it (a worker that died, a retry); one that
 * stopped before saving anything starts again in an emptied folder. The run writes metrics.jsonl (appended when it
 * resumes), TensorBoard events and, last, `result.json` (through a rename, so a result is never half there).
 */
export async function runExperimentJob(record: ExperimentRecord, job: ExperimentJob, options: RunExperimentJobOptions = {}): Promise<ExperimentJobResult> {
  const runDirectory = runDirectoryOf(record, job);
  const resultPath = join(runDirectory, JOB_RESULT_FILE);
  if (existsSync(resultPath)) return JSON.parse(readFileSync(resultPath, 'utf8')) as ExperimentJobResult;
  const prepared = await prepareExperimentJob(record, job);
  const latest = join(runDirectory, 'checkpoints', 'latest.json');
  const finished = readStatus(runDirectory) === 'finished' && existsSync(join(runDirectory, evaluationOf(runDirectory).table));
  let resumedAfter: number | undefined;
  if (!finished) {
    let started: StartedPipelineRun;
    const driving = { latestEveryIterations: record.latestEvery, stopRequested: options.stopRequested };
    if (existsSync(latest)) {
      started = await resumePipelineRun(runDirectory, { ...driving, backend: record.backend, current: prepared });
      resumedAfter = started.startIteration;
    } else {
      rmSync(runDirectory, { recursive: true, force: true });
      started = await startPipelineRun(prepared, { ...driving, out: runDirectory, backend: record.backend });
    }
    const append = resumedAfter !== undefined;
    const writers = runDirectoryWriters(runDirectory, { append });
    let interrupted: string | undefined;
    try {
      await lastValueFrom(
        started.events.pipe(
          tap({
            next: (event) => {
              if (event.type === 'run-interrupted') interrupted = event.reason;
              writers.next(event);
              options.onEvent?.(event);
            },
            error: (error) => writers.error(error),
          }),
        ),
        { defaultValue: undefined },
      );
    } finally {
      started.compiled.dispose();
    }
    if (interrupted) throw new MicflowError('stage-failed', `${job.id}: stopped by ${interrupted} before it finished; its state is saved and the next attempt continues from it`);
  }
  const result = resultOf(record, job, runDirectory, resumedAfter);
  writeFileSync(`${resultPath}.partial`, `${JSON.stringify(result, null, 2)}\n`);
  renameSync(`${resultPath}.partial`, resultPath);
  return result;
}

function readStatus(runDirectory: string): string | undefined {
  try {
    return (JSON.parse(readFileSync(join(runDirectory, 'run-status.json'), 'utf8')) as { status?: string }).status;
  } catch {
    return undefined;
  }
}

/** What the run's test evaluation wrote, from its config.json: the per-case table and the post-processing, if any. */
function evaluationOf(runDirectory: string): { backend?: string; table: string; postprocess: string } {
  try {
    const config = JSON.parse(readFileSync(join(runDirectory, 'config.json'), 'utf8')) as {
      backend?: string;
      nodes?: { evaluate?: { params?: { table?: unknown; postprocess?: unknown } } };
    };
    const params = config.nodes?.evaluate?.params ?? {};
    return {
      backend: config.backend,
      table: typeof params.table === 'string' ? params.table : 'metrics.csv',
      postprocess: typeof params.postprocess === 'string' ? params.postprocess : 'none',
    };
  } catch {
    // the run's config is the authority; without it, the defaults
    return { table: 'metrics.csv', postprocess: 'none' };
  }
}

function resultOf(record: ExperimentRecord, job: ExperimentJob, runDirectory: string, resumedAfter: number | undefined): ExperimentJobResult {
  const evaluation = evaluationOf(runDirectory);
  const labels = record.classNames.slice(1).map((_, i) => i + 1);
  const scores = (table: string) => {
    const means = readMeanRows(join(runDirectory, table));
    const dice = labels.map((l) => means.get(l)?.dice ?? Number.NaN);
    const hd95 = labels.map((l) => means.get(l)?.hd95 ?? Number.NaN);
    return { dice, hd95, meanDice: meanOfDefined(dice), meanHd95: meanOfDefined(hd95) };
  };
  const raw = scores(evaluation.table);
  const postprocessedTable = join(runDirectory, postprocessedTableName(evaluation.table));
  const postprocessed: PostprocessedScores | undefined =
    evaluation.postprocess !== 'none' && existsSync(postprocessedTable) ? scores(postprocessedTableName(evaluation.table)) : undefined;
  return {
    job: job.id,
    row: job.row,
    method: job.row,
    seed: job.seed,
    ...(job.fold === undefined ? {} : { fold: job.fold }),
    runDirectory,
    backend: evaluation.backend ?? record.backend ?? 'unknown',
    code: record.code,
    ...raw,
    ...(postprocessed ? { postprocess: evaluation.postprocess, postprocessed } : {}),
    ...(resumedAfter === undefined ? {} : { resumedAfter }),
  };
}
