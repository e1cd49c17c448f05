import { existsSync, mkdirSync, readdirSync, readFileSync, writeFileSync } from 'node:fs';
import { dirname, join, relative, resolve } from 'node:path';
import type { RunEvent } from '../events/run-event.js';
import { MicflowError } from '../errors/micflow-error.js';
import { loadPipelineModule } from '../run/load-pipeline-module.js';
import { assertEvaluationDimensions, type FirstCaseCache } from '../run/check-evaluation-dimensions.js';
import { prepareExperimentJob, runExperimentJob, type ExperimentJobResult } from './experiment-job.js';
import { writeExperimentRecord, type ExperimentJob, type ExperimentRecord } from './experiment-record.js';
import { planExperimentJobs, type LoadedExperimentSpec } from './experiment-spec.js';
import type { JobStanding } from './experiment-queue.js';
import { codeVersion, writeComparisonSummary } from './method-comparison.js';

/** What the command line changes of a spec for one experiment. */
export interface ExperimentOverrides {
  readonly seeds?: readonly number[];
  readonly iterations?: number;
  readonly methods?: readonly string[];
  readonly set?: readonly string[];
  /** The experiment folder (default runs/experiments/<spec>-<time>); must be new or empty. */
  readonly out?: string;
  readonly backend?: string;
  /** Folder pipeline names are looked up in (default ./pipelines). */
  readonly pipelinesDirectory?: string;
}

/**
 * Plans an experiment: every job's graph is loaded and validated (so a bad method, override or fold fails in seconds,
 * before anything is queued or trained), the folder is created and `experiment.json` written.
 */
export async function planExperiment(loaded: LoadedExperimentSpec, overrides: ExperimentOverrides = {}): Promise<ExperimentRecord> {
  const spec = {
    ...loaded.spec,
    ...(overrides.seeds ? { seeds: [...overrides.seeds] } : {}),
    ...(overrides.iterations ? { iterations: overrides.iterations } : {}),
    set: [...loaded.spec.set, ...(overrides.set ?? [])],
  };
  const pipelinesDirectory = resolve(overrides.pipelinesDirectory ?? 'pipelines');
  const plans = planExperimentJobs(spec, overrides.methods);
  const jobs: ExperimentJob[] = [];
  for (const plan of plans) {
    const pipeline = (await loadPipelineModule(plan.pipeline, pipelinesDirectory)).file;
    jobs.push({ ...plan, pipeline, set: [...plan.set], variant: plan.variant, fold: plan.fold });
  }
  const stamp = new Date().toISOString().replace(/[-:]/g, '').replace('T', '-').slice(0, 15);
  const id = overrides.out ? resolve(overrides.out).split('/').at(-1)! : `${loaded.name}-${stamp}`;
  const directory = resolve(overrides.out ?? join('runs', 'experiments', id));
  if (existsSync(directory) && readdirSync(directory).length) {
    throw new MicflowError('invalid-argument', `--out ${directory}: the folder is not empty; choose a new folder for this experiment`);
  }
  const record: ExperimentRecord = {
    format: 'micflow-experiment',
    version: 1,
    id,
    name: loaded.name,
    specFile: loaded.file,
    directory,
    created: new Date().toISOString(),
    caption: spec.caption.replaceAll('{iterations}', String(spec.iterations)).replaceAll('{seeds}', spec.seeds.join(', ')),
    classNames: spec.classNames,
    iterations: spec.iterations,
    seeds: spec.seeds,
    ...(overrides.backend ? { backend: overrides.backend } : {}),
    ...(spec.data ? { data: resolve(dirname(loaded.file), '..', spec.data) } : {}),
    latestEvery: spec.latestEvery,
    ...(spec.postprocess ? { postprocess: spec.postprocess } : {}),
    ...(codeVersion() ? { code: codeVersion() } : {}),
    jobs,
  };
  // Before any job is queued or trained: every job's graph validates, and its networks meet test (and validation)
  // cases of their dimensionality (one header per list; a 2D network on volumes without sliceWise would otherwise fail
  // only after training).
  const firstCases: FirstCaseCache = new Map();
  for (const job of jobs) {
    const prepared = await prepareExperimentJob(record, job);
    await assertEvaluationDimensions(prepared.validated, resolve(prepared.definition.data), `${displayPath(loaded.file)}: method ${job.method}`, firstCases);
  }
  mkdirSync(directory, { recursive: true });
  writeExperimentRecord(record);
  return record;
}

/** A file as messages show it: relative to the working folder when inside it. */
function displayPath(file: string): string {
  const shown = relative(process.cwd(), file);
  return shown && !shown.startsWith('..') ? shown : file;
}

/** Runs every job of an experiment here, one after the other (what `npm run experiment` does without --queue). */
export async function runExperimentLocally(
  record: ExperimentRecord,
  options: { readonly onEvent?: (job: ExperimentJob, event: RunEvent) => void } = {},
): Promise<{ results: ExperimentJobResult[]; failures: { job: string; message: string }[] }> {
  const results: ExperimentJobResult[] = [];
  const failures: { job: string; message: string }[] = [];
  for (const job of record.jobs) {
    try {
      results.push(await runExperimentJob(record, job, { onEvent: (event) => options.onEvent?.(job, event) }));
    } catch (error) {
      failures.push({ job: job.id, message: (error as Error).message });
    }
  }
  return { results, failures };
}

/**
 * Writes results.json, results.md (mean ± std per method and variant over seeds and folds, paired differences to the
 * first method) and results.svg into the experiment folder: one row per job that completed, each job once, in the
 * record's order. Returns the table's text.
 */
export function writeExperimentResults(record: ExperimentRecord, results: readonly ExperimentJobResult[], failures: readonly { job: string; message: string }[]): string {
  const byJob = new Map(results.map((r) => [r.job, r]));
  const ordered = record.jobs.flatMap((job) => (byJob.has(job.id) ? [byJob.get(job.id)!] : []));
  writeFileSync(
    join(record.directory, 'results.json'),
    `${JSON.stringify({ caption: record.caption, classNames: record.classNames, iterations: record.iterations, seeds: record.seeds, results: ordered, failures }, null, 2)}\n`,
  );
  const failed = failures.length ? `\n\nFailed jobs (left out of the table):\n${failures.map((f) => `- ${f.job}: ${f.message.split('\n')[0]}`).join('\n')}` : '';
  const { table } = writeComparisonSummary(record.directory, ordered, { classNames: record.classNames, caption: record.caption });
  if (failed) writeFileSync(table, `${readFileSync(table, 'utf8').trimEnd()}${failed}\n`);
  return readFileSync(table, 'utf8').trimEnd();
}

/** A score as the standings show it; a result read back from JSON has null where the run had NaN. */
function formatScore(value: number | null): string {
  return typeof value === 'number' && !Number.isNaN(value) ? value.toFixed(4) : '-';
}

/** The progress table of an experiment on the queue: one line per job (score: test Dice, and +LCC when post-processed). */
export function formatJobStandings(standings: readonly JobStanding[]): string {
  const width = Math.max(3, ...standings.map((s) => s.job.length));
  const count = (state: JobStanding['state']) => standings.filter((s) => s.state === state).length;
  // A finished job's test score, and beside it the score after post-processing when it has one ("-" when its
  // neighbours have one and it does not, e.g. a result from before).
  const anyLcc = standings.some((s) => s.result?.postprocessed);
  const scoreOf = (s: JobStanding) => {
    if (!s.result) return s.validation !== undefined ? `valid ${s.validation.toFixed(4)}` : '';
    const lcc = s.result.postprocessed ? formatScore(s.result.postprocessed.meanDice) : '-';
    return `test ${formatScore(s.result.meanDice)}${anyLcc ? `  +LCC ${lcc}` : ''}`;
  };
  const scoreWidth = Math.max(12, ...standings.map((s) => scoreOf(s).length));
  const lines = standings.map((s) => {
    const progress = s.iterations ? `${s.iteration ?? 0}/${s.iterations}` : '';
    const notes = [s.attempts > 1 ? `attempt ${s.attempts}` : '', s.resumedAfter !== undefined ? `resumed after ${s.resumedAfter}` : '', s.failure ? s.failure.split('\n')[0] : ''].filter(Boolean).join('; ');
    return `  ${s.job.padEnd(width)}  ${s.state.padEnd(9)}  ${progress.padEnd(11)}  ${scoreOf(s).padEnd(scoreWidth)}  ${notes}`.trimEnd();
  });
  const summary = `${count('completed')}/${standings.length} completed, ${count('active')} running, ${count('waiting') + count('retrying')} waiting, ${count('failed')} failed`;
  return [`  ${'job'.padEnd(width)}  state      iteration    score`, ...lines, summary].join('\n');
}
