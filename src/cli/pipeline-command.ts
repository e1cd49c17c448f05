import { relative, resolve } from 'node:path';
import { parseArgs } from 'node:util';
import type { ContainerModule } from 'inversify';
import { lastValueFrom, tap } from 'rxjs';
import { MicflowError } from '../errors/micflow-error.js';
import { describeStage } from '../graph/describe-stage.js';
import { StageRegistry } from '../graph/stage-registry.js';
import { ConsoleProgressObserver } from '../observers/console-progress-observer.js';
import { runDirectoryWriters } from '../observers/run-directory-writers.js';
import { createMicflowContainer } from '../run/micflow-container.js';
import { listPipelineNames, loadContainerModuleFile, loadPipelineModule } from '../run/load-pipeline-module.js';
import { preparePipelineRun, startPipelineRun, type StartedPipelineRun } from '../run/pipeline-run.js';
import { resumePipelineRun } from '../run/resume-pipeline-run.js';
import type { RunInterruptedEvent } from '../events/run-event.js';
import type { StopReason } from '../graph/tick-scheduler.js';
import { runCommand } from './report-cli-error.js';
import { untilStopSignal } from './until-stop-signal.js';
import { dashboardPort } from '../dashboard/dashboard-options.js';
import { startDashboardProcess, type DashboardProcess } from '../dashboard/dashboard-process.js';
import { checkDashboardAccess } from '../dashboard/dashboard-server.js';
import { formatDataCheckReport } from '../graph/data-check.js';
import { checkPipelineData } from '../run/check-pipeline-data.js';
import { assertEvaluationDimensions } from '../run/check-evaluation-dimensions.js';

const usage = `usage: npm run pipeline -- <name> [--set key=value ...] [--data DIR] [--backend NAME] [--out DIR] [--module FILE ...] [--dashboard [PORT]]
       npm run pipeline -- --resume RUN_DIR [--backend NAME] [--dashboard [PORT]]
       npm run pipeline -- --list [--module FILE ...]
       npm run pipeline -- --describe STAGE [--module FILE ...]

  <name>            a pipeline in pipelines/<name>.ts (or a path to a .ts pipeline module)
  --set key=value   override: <node>.<param>=value, schedule.iterations=N, schedule.seed=N
  --data DIR        root folder for the pipeline's dataset lists (default: the pipeline's "data")
  --backend NAME    tensorflow | native | wasm | cpu (default: MICFLOW_BACKEND, else the first that loads, in that order)
  --out DIR         run directory (default runs/<name>-<time>); must be new or empty
  --resume RUN_DIR  continue a run from its latest checkpoint (after Ctrl-C, a kill, a crash), appending to it
  --checkpoint-every N    save the whole training state as "latest" every N iterations (default 50)
  --checkpoint-minutes M  ...or every M minutes, whichever comes first (default 10)
  --dashboard [PORT]  serve a live dashboard of the run at http://127.0.0.1:PORT/ (default 6080); it stays up after
                    the run ends until Ctrl-C (npm run dashboard -- RUN_DIR shows the run again later)
  --host, --token   serve the dashboard on another address, with a secret (see npm run dashboard -- --help)
  --module FILE     a module exporting ContainerModules with your own stages (stageModule(MyStage))
  --check-data      read and check every listed file (existence, decoding, sizes, geometry, finite values, label values), then stop
  --skip-data-check start training without that check (it runs by default, before anything is written)
  --list            list pipelines and registered stages
  --describe STAGE  a stage's ports and every param with its type, default and documentation`;

export async function main(argv: readonly string[]): Promise<number> {
  let args;
  try {
    args = parseArgs({
      args: dashboardFlagWithOptionalPort(argv),
      allowPositionals: true,
      options: {
        dashboard: { type: 'string' },
        host: { type: 'string' },
        token: { type: 'string' },
        set: { type: 'string', multiple: true, default: [] },
        data: { type: 'string' },
        backend: { type: 'string' },
        out: { type: 'string' },
        module: { type: 'string', multiple: true, default: [] },
        list: { type: 'boolean', default: false },
        describe: { type: 'string' },
        resume: { type: 'string' },
        'checkpoint-every': { type: 'string' },
        'checkpoint-minutes': { type: 'string' },
        'check-data': { type: 'boolean', default: false },
        'skip-data-check': { type: 'boolean', default: false },
        help: { type: 'boolean', short: 'h', default: false },
      },
    });
  } catch (error) {
    throw new MicflowError('invalid-argument', `${(error as Error).message}\n${usage}`);
  }
  const { values, positionals } = args;
  if (values.help) {
    process.stdout.write(`${usage}\n`);
    return 0;
  }
  const pipelinesDirectory = resolve('pipelines');
  const userModules: ContainerModule[] = [];
  for (const file of values.module) userModules.push(...(await loadContainerModuleFile(file)));

  if (values.list) {
    process.stdout.write(await listing(pipelinesDirectory, userModules));
    return 0;
  }
  if (values.describe !== undefined) {
    const registry = StageRegistry.fromContainer(createMicflowContainer([...(await pipelineModules(pipelinesDirectory)), ...userModules]));
    const stageClass = registry.get(values.describe);
    if (!stageClass) {
      const hint = registry.closest(values.describe);
      throw new MicflowError(
        'invalid-argument',
        `--describe ${values.describe}: no such stage${hint.length ? `; did you mean ${hint.map((h) => `"${h}"`).join(' or ')}?` : ''} (npm run pipeline -- --list shows all)`,
      );
    }
    process.stdout.write(describeStage(stageClass));
    return 0;
  }
  const dashboard: DashboardRequest | undefined =
    values.dashboard === undefined
      ? undefined
      : { port: values.dashboard === '' ? undefined : dashboardPort(values.dashboard, '--dashboard'), host: values.host, token: values.token };
  if (!dashboard && (values.host !== undefined || values.token !== undefined)) {
    throw new MicflowError('invalid-argument', `--host and --token are the dashboard's: add --dashboard\n${usage}`);
  }
  if (dashboard) checkDashboardAccess(dashboard);
  const driving = {
    latestEveryIterations: positiveNumber(values['checkpoint-every'], '--checkpoint-every', true),
    latestEveryMinutes: positiveNumber(values['checkpoint-minutes'], '--checkpoint-minutes', false),
  };
  if (values.resume !== undefined) {
    if (positionals.length) throw new MicflowError('invalid-argument', `--resume takes the run directory alone (got the pipeline ${positionals.join(' ')} too)\n${usage}`);
    const signals = stopOnSignals();
    const started = await resumePipelineRun(resolve(values.resume), { backend: values.backend, ...driving, stopRequested: signals.requested });
    return follow(started, { append: true }, signals, dashboard);
  }
  if (positionals.length !== 1) {
    throw new MicflowError('invalid-argument', `name one pipeline to run (got ${positionals.length})\n${usage}`);
  }
  const loaded = await loadPipelineModule(positionals[0], pipelinesDirectory);
  const options = {
    set: values.set,
    data: values.data,
    backend: values.backend,
    out: values.out,
    modules: [...loaded.modules, ...userModules],
    moduleFiles: values.module.map((file) => resolve(file)),
    source: loaded.file,
  };
  const prepared = preparePipelineRun(loaded.definition, options);
  // Cheap (one image header per evaluated list), and a mismatch would otherwise surface only after training.
  await assertEvaluationDimensions(prepared.validated, resolve(prepared.definition.data), displayPath(loaded.file));
  if (values['check-data']) {
    const report = await checkPipelineData(prepared.validated, resolve(prepared.definition.data));
    process.stdout.write(`${formatDataCheckReport(report)}\n`);
    return report.problems.length ? 1 : 0;
  }
  if (!values['skip-data-check']) {
    const started = performance.now();
    const report = await checkPipelineData(prepared.validated, resolve(prepared.definition.data));
    if (report.problems.length) {
      throw new MicflowError('invalid-data', `${formatDataCheckReport(report)}\nnothing was written; fix the data (or, knowing better, --skip-data-check)`);
    }
    const [summary, ...notes] = formatDataCheckReport(report).split('\n');
    process.stderr.write(`${[`${summary} in ${((performance.now() - started) / 1000).toFixed(1)} s`, ...notes].join('\n')}\n`);
  }
  const signals = stopOnSignals();
  const started = await startPipelineRun(prepared, { ...options, ...driving, stopRequested: signals.requested });
  return follow(started, { append: false }, signals, dashboard);
}

/** A file as messages show it: relative to the working folder when inside it. */
function displayPath(file: string): string {
  const shown = relative(process.cwd(), file);
  return shown && !shown.startsWith('..') ? shown : file;
}

/** `--dashboard` takes an optional port: `--dashboard 7000` becomes `--dashboard=7000`, a bare `--dashboard` `--dashboard=`. */
function dashboardFlagWithOptionalPort(argv: readonly string[]): string[] {
  const args: string[] = [];
  for (let i = 0; i < argv.length; i++) {
    if (argv[i] !== '--dashboard') args.push(argv[i]);
    else if (/^\d+$/.test(argv[i + 1] ?? '')) args.push(`--dashboard=${argv[++i]}`);
    else args.push('--dashboard=');
  }
  return args;
}

interface DashboardRequest {
  readonly port: number | undefined;
  readonly host: string | undefined;
  readonly token: string | undefined;
}

/** A positive number from a flag (an integer when `integer`), or undefined when the flag is absent. */
function positiveNumber(text: string | undefined, flag: string, integer: boolean): number | undefined {
  if (text === undefined) return undefined;
  const value = Number(text);
  if (!(value > 0) || (integer && !Number.isInteger(value))) throw new MicflowError('invalid-argument', `${flag} ${text}: expected a positive ${integer ? 'integer' : 'number'}`);
  return value;
}

interface SignalStop {
  /** The signal that asked the run to stop, once one has. */
  requested(): StopReason | undefined;
  release(): void;
}

/**
 * Ctrl-C (SIGINT) and SIGTERM ask the run to stop after the current tick, with its state saved; a second one stops at
 * once.
 */
function stopOnSignals(): SignalStop {
  let requested: StopReason | undefined;
  let firstAt = 0;
  const handler = (signal: 'SIGINT' | 'SIGTERM') => {
    // One Ctrl-C reaches this process twice (from the terminal and relayed by npm): a repeat within a second is the same.
    if (requested && performance.now() - firstAt < 1000) return;
    if (requested) {
      process.stderr.write(`\nmicflow: ${signal} again: stopping now, without saving\n`);
      process.exit(signal === 'SIGINT' ? 130 : 143);
    }
    requested = signal;
    firstAt = performance.now();
    process.stderr.write(`\nmicflow: ${signal}: finishing this iteration and saving the run's state (${signal === 'SIGINT' ? 'Ctrl-C' : 'SIGTERM'} again to stop at once)\n`);
  };
  process.on('SIGINT', handler);
  process.on('SIGTERM', handler);
  return {
    requested: () => requested,
    release: () => {
      process.off('SIGINT', handler);
      process.off('SIGTERM', handler);
    },
  };
}

/** Exit codes of a run stopped on request: 128 + the signal's number, 75 (EX_TEMPFAIL) for the stop file. */
const INTERRUPTED_EXIT_CODES: Readonly<Record<StopReason, number>> = { SIGINT: 130, SIGTERM: 143, 'stop file': 75 };

/**
 * Follows a started run with the console and the metrics file (and a dashboard when asked); prints how to resume an
 * interrupted run.
 */
async function follow(started: StartedPipelineRun, metrics: { append: boolean }, signals: SignalStop, dashboard: DashboardRequest | undefined): Promise<number> {
  const consoleObserver = new ConsoleProgressObserver();
  const writer = started.runDirectory ? runDirectoryWriters(started.runDirectory, metrics) : undefined;
  let interrupted: RunInterruptedEvent | undefined;
  let server: DashboardProcess | undefined;
  try {
    if (dashboard && started.runDirectory) {
      server = await startDashboardProcess({ paths: [started.runDirectory], ...dashboard });
      process.stderr.write(`micflow: dashboard at ${server.url}\n`);
    }
    await lastValueFrom(
      started.events.pipe(
        tap({
          next: (event) => {
            if (event.type === 'run-interrupted') interrupted = event;
            consoleObserver.next(event);
            writer?.next(event);
          },
          error: (error) => {
            consoleObserver.error();
            writer?.error(error);
          },
          complete: () => consoleObserver.complete(),
        }),
      ),
      { defaultValue: undefined },
    );
  } catch (error) {
    await server?.close();
    throw error;
  } finally {
    started.compiled.dispose();
    signals.release();
  }
  if (server && !interrupted) {
    process.stderr.write(`micflow: the dashboard stays up at ${server.url} until Ctrl-C\n`);
    await Promise.race([untilStopSignal(), server.exited]);
  }
  await server?.close();
  if (!interrupted) return 0;
  const resume = started.runDirectory ? `; resume with: npm run pipeline -- --resume ${relativeOrAbsolute(started.runDirectory)}` : '';
  process.stderr.write(`micflow: stopped after iteration ${interrupted.iteration} of ${interrupted.iterations} (${interrupted.reason})${resume}\n`);
  return INTERRUPTED_EXIT_CODES[interrupted.reason];
}

/** A path relative to the working folder when it is inside it (shorter to retype), else absolute. */
function relativeOrAbsolute(path: string): string {
  const relativePath = relative(process.cwd(), path);
  return relativePath && !relativePath.startsWith('..') ? relativePath : path;
}

async function pipelineModules(pipelinesDirectory: string): Promise<ContainerModule[]> {
  const modules: ContainerModule[] = [];
  for (const name of listPipelineNames(pipelinesDirectory)) {
    try {
      modules.push(...(await loadPipelineModule(name, pipelinesDirectory)).modules);
    } catch {
      // --list reports pipelines that cannot load; --describe only needs the stages of those that do.
    }
  }
  return modules;
}

async function listing(pipelinesDirectory: string, userModules: ContainerModule[]): Promise<string> {
  const lines = ['pipelines:'];
  const extraModules: ContainerModule[] = [];
  const names = listPipelineNames(pipelinesDirectory);
  // One column for the descriptions, as wide as the longest name (acdc-coteaching-class-balanced...).
  const width = Math.max(24, ...names.map((n) => n.length));
  for (const name of names) {
    try {
      const loaded = await loadPipelineModule(name, pipelinesDirectory);
      extraModules.push(...loaded.modules);
      lines.push(`  ${name.padEnd(width)} ${loaded.definition.description}`);
    } catch (error) {
      lines.push(`  ${name.padEnd(width)} (cannot load: ${(error as Error).message.split('\n')[0]})`);
    }
  }
  const registry = StageRegistry.fromContainer(createMicflowContainer([...extraModules, ...userModules]));
  lines.push('', 'stages:');
  for (const stageClass of registry.all()) {
    lines.push(`  ${stageClass.className.padEnd(24)} ${stageClass.kind.padEnd(9)} ${stageClass.description}`);
  }
  return `${lines.join('\n')}\n`;
}

runCommand(main);
