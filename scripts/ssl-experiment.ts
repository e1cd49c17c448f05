/**
 * Semi-supervised comparison on the bundled data: each method and the supervised baseline, trained on the same ~10%
 * labelled slices (fixtures/brain-mr-2d/train_labelled.csv; the SSL methods also read train_unlabelled.csv) for the same
 * iterations and seeds, each evaluated on the test split with EvaluateSegmentation (Dice and HD95 in mm per class,
 * from the best validation checkpoint). Writes `results.md` and `results.json` into the output folder, with every run's
 * own run directory beside them. Model selection uses the validation split only; the test split is read once per run.
 *
 *   npx tsx scripts/ssl-experiment.ts [--methods supervised,entmin,mean-teacher,cps,uamt,urpc,cct,mcnet] [--seeds 1,2,3]
 *                                     [--iterations 600] [--out experiments/ssl-<time>] [--set key=value ...]
 */
import { readFileSync, writeFileSync, mkdirSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { parseArgs } from 'node:util';
import { lastValueFrom, tap } from 'rxjs';
import { stage, type PipelineDefinition } from '../src/graph/pipeline-definition.js';
import { ConsoleProgressObserver } from '../src/observers/console-progress-observer.js';
import { JsonlMetricsWriter } from '../src/observers/jsonl-metrics-writer.js';
import { loadPipelineModule } from '../src/run/load-pipeline-module.js';
import { preparePipelineRun, startPipelineRun } from '../src/run/pipeline-run.js';
import { reportCliError } from '../src/cli/report-cli-error.js';
import { MicflowError } from '../src/errors/micflow-error.js';

const CLASS_NAMES = ['background', 'caudate', 'putamen', 'thalamus', 'hippocampus'];

interface RunResult {
  method: string;
  seed: number;
  runDirectory: string;
  /** Per foreground class: test Dice and HD95 (mm). */
  dice: number[];
  hd95: number[];
  meanDice: number;
  meanHd95: number;
}

/** The method's pipeline with the supervised baseline restricted to the labelled list, and HD95-capable evaluation. */
function experimentDefinition(method: string, definition: PipelineDefinition): PipelineDefinition {
  const nodes = { ...definition.nodes };
  if (method === 'supervised') nodes.train = stage('CsvDataset', { csv: 'train_labelled.csv' });
  const evaluate = nodes.evaluate;
  if (!evaluate?.inputs) throw new MicflowError('invalid-pipeline', `pipeline "${method}" has no "evaluate" node to replace`);
  nodes.evaluate = stage('EvaluateSegmentation', { checkpoint: 'best', classNames: CLASS_NAMES }, evaluate.inputs as never);
  return { ...definition, nodes };
}

/** Mean rows of EvaluateSegmentation's table: label → metric → value. */
function readMeans(tablePath: string): Map<number, Record<string, number>> {
  const [header, ...rows] = readFileSync(tablePath, 'utf8').trim().split('\n').map((l) => l.split(','));
  const means = new Map<number, Record<string, number>>();
  for (const row of rows) {
    if (row[0] !== 'mean') continue;
    means.set(Number(row[1]), Object.fromEntries(header.slice(2).map((name, i) => [name, row[i + 2] === '' ? Number.NaN : Number(row[i + 2])])));
  }
  return means;
}

const meanOf = (values: number[]) => {
  const defined = values.filter((v) => !Number.isNaN(v));
  return defined.reduce((a, b) => a + b, 0) / Math.max(defined.length, 1);
};
const stdOf = (values: number[]) => {
  const m = meanOf(values);
  const defined = values.filter((v) => !Number.isNaN(v));
  return Math.sqrt(defined.reduce((s, v) => s + (v - m) ** 2, 0) / Math.max(defined.length, 1));
};

async function main(): Promise<void> {
  const { values } = parseArgs({
    options: {
      methods: { type: 'string', default: 'supervised,entmin,mean-teacher,cps,uamt,urpc,cct,mcnet' },
      seeds: { type: 'string', default: '1,2,3' },
      iterations: { type: 'string', default: '600' },
      out: { type: 'string' },
      set: { type: 'string', multiple: true, default: [] },
    },
  });
  const methods = values.methods.split(',').map((m) => m.trim());
  const seeds = values.seeds.split(',').map(Number);
  const iterations = Number(values.iterations);
  if (seeds.some((s) => !Number.isInteger(s) || s < 0)) throw new MicflowError('invalid-argument', `--seeds ${values.seeds}: give non-negative integers`);
  if (!Number.isInteger(iterations) || iterations < 1) throw new MicflowError('invalid-argument', `--iterations ${values.iterations}: give a positive integer`);
  const out = resolve(values.out ?? join('experiments', `ssl-${new Date().toISOString().replace(/[-:]/g, '').slice(0, 15)}`));
  // Load and validate every method's graph before any training starts.
  const prepared = new Map<string, ReturnType<typeof preparePipelineRun>>();
  for (const method of methods) {
    const loaded = await loadPipelineModule(method, resolve('pipelines'));
    for (const seed of seeds) {
      prepared.set(`${method}/${seed}`, preparePipelineRun(experimentDefinition(method, loaded.definition), {
        set: [`schedule.iterations=${iterations}`, `schedule.seed=${seed}`, ...values.set],
        source: loaded.file,
      }));
    }
  }
  mkdirSync(out, { recursive: true });
  const results: RunResult[] = [];
  for (const method of methods) {
    for (const seed of seeds) {
      const runDirectory = join(out, `${method}-seed${seed}`);
      const started = await startPipelineRun(prepared.get(`${method}/${seed}`)!, { out: runDirectory });
      const console = new ConsoleProgressObserver({ interactive: false, lineEvery: 100 });
      const writer = new JsonlMetricsWriter(join(runDirectory, 'metrics.jsonl'));
      await lastValueFrom(
        started.events.pipe(tap({ next: (e) => (console.next(e), writer.next(e)), error: (e) => writer.error(e) })),
        { defaultValue: undefined },
      );
      const means = readMeans(join(runDirectory, 'metrics.csv'));
      const labels = [1, 2, 3, 4];
      const dice = labels.map((l) => means.get(l)?.dice ?? Number.NaN);
      const hd95 = labels.map((l) => means.get(l)?.hd95 ?? Number.NaN);
      results.push({ method, seed, runDirectory, dice, hd95, meanDice: meanOf(dice), meanHd95: meanOf(hd95) });
      writeFileSync(join(out, 'results.json'), JSON.stringify({ iterations, seeds, results }, null, 2));
    }
  }
  const fmt = (values: number[], digits: number) => `${meanOf(values).toFixed(digits)} ± ${stdOf(values).toFixed(digits)}`;
  const lines = [
    `Test split, ${iterations} iterations, seeds ${seeds.join(', ')}, 4 labelled training slices (~10%); mean ± std over seeds.`,
    '',
    `| method | mean fg Dice | mean fg HD95 (mm) | ${CLASS_NAMES.slice(1).map((n) => `${n} Dice`).join(' | ')} |`,
    `|---|---|---|${CLASS_NAMES.slice(1).map(() => '---').join('|')}|`,
  ];
  for (const method of methods) {
    const runs = results.filter((r) => r.method === method);
    lines.push(
      `| ${method} | ${fmt(runs.map((r) => r.meanDice), 3)} | ${fmt(runs.map((r) => r.meanHd95), 2)} | ${[0, 1, 2, 3].map((k) => fmt(runs.map((r) => r.dice[k]), 3)).join(' | ')} |`,
    );
  }
  writeFileSync(join(out, 'results.md'), `${lines.join('\n')}\n`);
  process.stdout.write(`${lines.join('\n')}\n\nresults: ${join(out, 'results.md')}\n`);
}

main().catch((error) => {
  process.exitCode = reportCliError(error);
});
