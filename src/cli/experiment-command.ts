import { existsSync, readFileSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { parseArgs } from 'node:util';
import { MicflowError } from '../errors/micflow-error.js';
import { ConsoleProgressObserver } from '../observers/console-progress-observer.js';
import { readExperimentRecord, type ExperimentRecord } from '../experiments/experiment-record.js';
import { enqueueExperiment, experimentDirectoryOf, followQueuedExperiment, listQueuedExperiments, queuedJobStandings, type JobStanding } from '../experiments/experiment-queue.js';
import { formatJobStandings, planExperiment, runExperimentLocally, writeExperimentResults } from '../experiments/experiment-run.js';
import { listExperimentSpecNames, loadExperimentSpec } from '../experiments/experiment-spec.js';
import type { ExperimentJobResult } from '../experiments/experiment-job.js';
import { runCommand } from './report-cli-error.js';

const usage = `usage: npm run experiment -- <spec> [--queue redis://HOST:PORT] [--seeds 1,2,3] [--iterations N] [--methods a,b]
                                [--set key=value ...] [--out DIR] [--backend NAME] [--detach]
       npm run experiment -- status [ID|DIR] [--queue redis://HOST:PORT]
       npm run experiment -- attach ID|DIR --queue redis://HOST:PORT
       npm run experiment -- --list

  <spec>        an experiment in specs/<spec>.ts (or a path): pipelines, seeds, folds, --set variants, the table
  --queue URL   enqueue one job per combination on BullMQ over Redis (npm run worker -- --queue URL runs them,
                on any machine that sees the same files at the same paths); without it every job runs here in turn
  --seeds, --iterations, --methods, --set   change the spec for this experiment (--methods: a subset, by name)
  --out DIR     the experiment folder (default runs/experiments/<spec>-<time>): a run directory per job, the
                record (experiment.json), results.json, results.md and results.svg
  --backend     the backend every job uses (default: each worker's automatic choice, recorded per row)
  --detach      enqueue and exit; follow later with attach
  status        every job's state, progress and score (without ID: the experiments the queue knows)
  attach        follow an experiment started elsewhere (or by a coordinator that died) and write its table`;

export async function main(argv: readonly string[]): Promise<number> {
  let parsed;
  try {
    parsed = parseArgs({
      args: [...argv],
      allowPositionals: true,
      options: {
        queue: { type: 'string' },
        seeds: { type: 'string' },
        iterations: { type: 'string' },
        methods: { type: 'string' },
        set: { type: 'string', multiple: true, default: [] },
        out: { type: 'string' },
        backend: { type: 'string' },
        detach: { type: 'boolean', default: false },
        list: { type: 'boolean', default: false },
        'poll-seconds': { type: 'string' },
        help: { type: 'boolean', short: 'h', default: false },
      },
    });
  } catch (error) {
    throw new MicflowError('invalid-argument', `${(error as Error).message}\n${usage}`);
  }
  const { values, positionals } = parsed;
  if (values.help) {
    process.stdout.write(`${usage}\n`);
    return 0;
  }
  const specsDirectory = resolve('specs');
  if (values.list) {
    const lines = ['experiments:'];
    for (const name of listExperimentSpecNames(specsDirectory)) {
      try {
        lines.push(`  ${name.padEnd(20)} ${(await loadExperimentSpec(name, specsDirectory)).spec.description}`);
      } catch (error) {
        lines.push(`  ${name.padEnd(20)} (cannot load: ${(error as Error).message.split('\n')[0]})`);
      }
    }
    process.stdout.write(`${lines.join('\n')}\n`);
    return 0;
  }
  const pollMilliseconds = values['poll-seconds'] === undefined ? 1000 : Number(values['poll-seconds']) * 1000;
  const [command, ...rest] = positionals;
  if (command === 'status' || command === 'attach') {
    if (rest.length > 1) throw new MicflowError('invalid-argument', `${command} takes one experiment id or folder\n${usage}`);
    if (command === 'status' && !rest.length) {
      if (!values.queue) throw new MicflowError('invalid-argument', `status without an id lists the queue's experiments: add --queue URL\n${usage}`);
      const known = await listQueuedExperiments(values.queue);
      process.stdout.write(known.length ? `${known.map((e) => `${e.id}  ${e.directory}`).join('\n')}\n` : `no experiments on ${values.queue}\n`);
      return 0;
    }
    if (!rest.length) throw new MicflowError('invalid-argument', `attach: name the experiment (its id or folder)\n${usage}`);
    const record = await recordOf(rest[0], values.queue);
    if (command === 'status') return status(record, values.queue);
    if (!values.queue) throw new MicflowError('invalid-argument', `attach follows a queued experiment: add --queue URL\n${usage}`);
    return follow(record, values.queue, pollMilliseconds);
  }
  if (positionals.length !== 1) throw new MicflowError('invalid-argument', `name one experiment spec (got ${positionals.length})\n${usage}`);
  const loaded = await loadExperimentSpec(command, specsDirectory);
  const record = await planExperiment(loaded, {
    seeds: values.seeds?.split(',').map((s) => integer(s, '--seeds')),
    iterations: values.iterations === undefined ? undefined : integer(values.iterations, '--iterations'),
    methods: values.methods?.split(',').map((m) => m.trim()),
    set: values.set,
    out: values.out,
    backend: values.backend,
  });
  process.stderr.write(`micflow: experiment ${record.id}: ${record.jobs.length} jobs, writing ${record.directory}\n`);
  if (values.queue) {
    await enqueueExperiment(record, values.queue);
    process.stderr.write(`micflow: queued on ${values.queue}; follow from anywhere with: npm run experiment -- attach ${record.id} --queue ${values.queue}\n`);
    if (values.detach) return 0;
    return follow(record, values.queue, pollMilliseconds);
  }
  const progress = new ConsoleProgressObserver({ interactive: false, lineEvery: 100, tableStream: process.stderr });
  let current = '';
  const { results, failures } = await runExperimentLocally(record, {
    onEvent: (job, event) => {
      if (job.id !== current) {
        current = job.id;
        process.stderr.write(`== ${job.id} (${record.jobs.findIndex((j) => j.id === job.id) + 1}/${record.jobs.length})\n`);
      }
      progress.next(event);
    },
  });
  return finish(record, results, failures);
}

function integer(text: string, flag: string): number {
  const value = Number(text);
  if (!Number.isInteger(value) || value < 0) throw new MicflowError('invalid-argument', `${flag} ${text}: expected a non-negative integer`);
  return value;
}

/** An experiment by folder (when the path exists) or by id (looked up on the queue). */
async function recordOf(idOrFolder: string, queue: string | undefined): Promise<ExperimentRecord> {
  try {
    return readExperimentRecord(resolve(idOrFolder));
  } catch (error) {
    if (!queue) throw error;
  }
  return readExperimentRecord(await experimentDirectoryOf(idOrFolder, queue));
}

async function status(record: ExperimentRecord, queue: string | undefined): Promise<number> {
  if (!queue) {
    // Without a queue: what the folder says (a local experiment, or one whose queue is gone).
    const standings: JobStanding[] = record.jobs.map((job) => {
      const resultFile = join(record.directory, job.id, 'result.json');
      if (existsSync(resultFile)) return { job: job.id, state: 'completed', attempts: 1, result: JSON.parse(readFileSync(resultFile, 'utf8')) as ExperimentJobResult };
      return { job: job.id, state: existsSync(join(record.directory, job.id)) ? 'active' : 'waiting', attempts: 0 };
    });
    process.stdout.write(`${formatJobStandings(standings)}\n`);
    return 0;
  }
  process.stdout.write(`${formatJobStandings(await queuedJobStandings(record, queue))}\n`);
  return 0;
}

/** Follows a queued experiment to its end, printing the job table when it changes, then writes and prints the table. */
async function follow(record: ExperimentRecord, queue: string, pollMilliseconds: number): Promise<number> {
  let shown = '';
  let shownAt = 0;
  const standings = await followQueuedExperiment(record, queue, {
    pollMilliseconds,
    onUpdate: (now) => {
      const text = formatJobStandings(now);
      const states = now.map((s) => `${s.state}${s.attempts}`).join();
      if ((states !== shown && Date.now() - shownAt > 2000) || Date.now() - shownAt > 30_000) {
        process.stderr.write(`${text}\n`);
        shown = states;
        shownAt = Date.now();
      }
    },
  });
  const results = standings.flatMap((s) => (s.result ? [s.result] : []));
  const failures = standings
    .filter((s) => s.state !== 'completed' || !s.result)
    .map((s) => ({ job: s.job, message: s.failure ?? (s.state === 'completed' ? 'completed on the queue without a result' : `${s.state} on the queue`) }));
  process.stderr.write(`${formatJobStandings(standings)}\n`);
  return finish(record, results, failures);
}

function finish(record: ExperimentRecord, results: readonly ExperimentJobResult[], failures: readonly { job: string; message: string }[]): number {
  const table = writeExperimentResults(record, results, failures);
  process.stdout.write(`${table}\n\nresults: ${record.directory}/results.md\nplot: ${record.directory}/results.svg\n`);
  return failures.length ? 1 : 0;
}

runCommand(main);
