/**
 * Semi-supervised comparison on the bundled data: each method and the supervised baseline, trained on the same ~10%
 * labelled slices (fixtures/brain-mr-2d/train_labelled.csv; the SSL methods also read train_unlabelled.csv) for the same
 * iterations and seeds, each evaluated on the test split with EvaluateSegmentation (Dice and HD95 in mm per class,
 * from the best validation checkpoint). Writes `results.md`, `results.svg` (the plot, a dot per seed) and `results.json`
 * into the output folder, with every run's own run directory beside them. Model selection uses the validation split
 * only; the test split is read once per run.
 *
 *   npx tsx scripts/ssl-experiment.ts [--methods supervised,entmin,mean-teacher,cps,uamt,urpc,cct,mcnet] [--seeds 1,2,3]
 *                                     [--iterations 600] [--backend native] [--out experiments/ssl-<time>] [--set key=value ...]
 */
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { parseArgs } from 'node:util';
import { reportCliError } from '../src/cli/report-cli-error.js';
import { runMethodComparison } from '../src/experiments/method-comparison.js';
import { stage } from '../src/graph/pipeline-definition.js';

const CLASS_NAMES = ['background', 'caudate', 'putamen', 'thalamus', 'hippocampus'];

async function main(): Promise<void> {
  const { values } = parseArgs({
    options: {
      methods: { type: 'string', default: 'supervised,entmin,mean-teacher,cps,uamt,urpc,cct,mcnet' },
      seeds: { type: 'string', default: '1,2,3' },
      iterations: { type: 'string', default: '600' },
      out: { type: 'string' },
      backend: { type: 'string' },
      set: { type: 'string', multiple: true, default: [] },
    },
  });
  const iterations = Number(values.iterations);
  const seeds = values.seeds.split(',').map(Number);
  const out = values.out ?? join('experiments', `ssl-${new Date().toISOString().replace(/[-:]/g, '').slice(0, 15)}`);
  await runMethodComparison({
    methods: values.methods.split(',').map((m) => m.trim()),
    seeds,
    iterations,
    out,
    backend: values.backend,
    set: values.set,
    classNames: CLASS_NAMES,
    caption: `Test split, ${iterations} iterations, seeds ${seeds.join(', ')}, 4 labelled training slices (~10%); mean ± std over seeds.`,
    // The baseline is the supervised pipeline restricted to the labelled slices the SSL methods get.
    adjust: (method, definition) =>
      method === 'supervised' ? { ...definition, nodes: { ...definition.nodes, train: stage('CsvDataset', { csv: 'train_labelled.csv' }) } } : definition,
  });
  process.stdout.write(`${readFileSync(join(out, 'results.md'), 'utf8')}\nresults: ${join(out, 'results.md')}\nplot: ${join(out, 'results.svg')}\n`);
}

main().catch((error) => {
  process.exitCode = reportCliError(error);
});
