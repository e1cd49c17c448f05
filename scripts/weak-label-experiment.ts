/**
 * Weak- and noisy-label comparisons on the bundled data (issue "scribble and noisy-label learning"): every method and
 * its baseline trained for the same iterations and seeds and scored on the test split (Dice and HD95 in mm per class,
 * best validation checkpoint), mean ± std over seeds in `results.md`, plotted seed by seed in `results.svg`
 * (+ `results.json` and every run directory).
 *
 *   --suite scribble   scribbles generated from the training masks (fixtures/brain-mr-2d/train_scribble.csv);
 *                      baseline scribble-pce (partial cross-entropy)
 *   --suite noisy      50% of the training cases corrupted (fixtures/brain-mr-2d/train_noisy.csv);
 *                      baseline noisy-dice-ce (plain Dice + CE on the noisy labels); noisy-ce (CE only) is the
 *                      like-for-like baseline of coteaching and trinet, which train on CE alone
 *
 *   npx tsx scripts/weak-label-experiment.ts --suite scribble|noisy [--methods a,b] [--seeds 1,2,3]
 *                                            [--iterations 600] [--backend native] [--out experiments/<suite>-<time>] [--set key=value ...]
 */
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { parseArgs } from 'node:util';
import { reportCliError } from '../src/cli/report-cli-error.js';
import { MicflowError } from '../src/errors/micflow-error.js';
import { runMethodComparison } from '../src/experiments/method-comparison.js';

const CLASS_NAMES = ['background', 'caudate', 'putamen', 'thalamus', 'hippocampus'];

/** Each suite's methods, baseline first. */
const SUITES: Record<string, { methods: string[]; caption: (iterations: number, seeds: readonly number[]) => string }> = {
  scribble: {
    methods: ['scribble-pce', 'scribble-entmin', 'scribble-gatedcrf', 'scribble-mumford-shah', 'scribble-tv', 'scribble-ustm', 'scribble-dmpls', 'scribble-dmsps'],
    caption: (iterations, seeds) =>
      `Test split, ${iterations} iterations, seeds ${seeds.join(', ')}, trained on scribbles generated from the 33 training masks (fixtures/brain-mr-2d/train_scribble.csv); mean ± std over seeds.`,
  },
  noisy: {
    methods: ['noisy-dice-ce', 'noisy-ce', 'noisy-gce', 'noisy-nrdice', 'noisy-slsr', 'coteaching', 'coteaching-class-balanced', 'trinet', 'trinet-class-balanced', 'dast'],
    caption: (iterations, seeds) =>
      `Test split, ${iterations} iterations, seeds ${seeds.join(', ')}, trained with 50% of the 33 training cases' labels corrupted (fixtures/brain-mr-2d/train_noisy.csv); mean ± std over seeds.`,
  },
};

async function main(): Promise<void> {
  const { values } = parseArgs({
    options: {
      suite: { type: 'string' },
      methods: { type: 'string' },
      seeds: { type: 'string', default: '1,2,3' },
      iterations: { type: 'string', default: '600' },
      out: { type: 'string' },
      backend: { type: 'string' },
      set: { type: 'string', multiple: true, default: [] },
    },
  });
  const suite = values.suite === undefined ? undefined : SUITES[values.suite];
  if (!suite) throw new MicflowError('invalid-argument', `--suite ${values.suite ?? '(missing)'}: use ${Object.keys(SUITES).join(' or ')}`);
  const iterations = Number(values.iterations);
  const seeds = values.seeds.split(',').map(Number);
  const methods = values.methods ? values.methods.split(',').map((m) => m.trim()) : suite.methods;
  const out = values.out ?? join('experiments', `${values.suite}-${new Date().toISOString().replace(/[-:]/g, '').slice(0, 15)}`);
  await runMethodComparison({
    methods,
    seeds,
    iterations,
    out,
    backend: values.backend,
    set: values.set,
    classNames: CLASS_NAMES,
    caption: suite.caption(iterations, seeds),
  });
  process.stdout.write(`${readFileSync(join(out, 'results.md'), 'utf8')}\nresults: ${join(out, 'results.md')}\nplot: ${join(out, 'results.svg')}\n`);
}

main().catch((error) => {
  process.exitCode = reportCliError(error);
});
