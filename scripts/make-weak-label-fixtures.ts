/**
 * Builds the weak-label variants of fixtures/brain-mr-2d's training list: scribbles (scribble/, train_scribble.csv)
 * and noisy labels for half of the training cases (noisy/, train_noisy.csv, train_noisy_clean_split.csv), with the
 * realised coverage and noise statistics in WEAK-LABELS.md. See src/label-synthesis/weak-label-fixtures.ts.
 *
 *   npm run fixtures:weak [-- --root DIR] [--seed N]
 *
 * Deterministic: re-running gives byte-identical files. Does not touch the base fixture (run scripts/make-fixtures.ts
 * first when regenerating everything).
 */
import { readFile } from 'node:fs/promises';
import path from 'node:path';
import { parseArgs } from 'node:util';
import { MicflowError } from '../src/errors/micflow-error.js';
import { makeWeakLabelFixtures } from '../src/label-synthesis/weak-label-fixtures.js';

/** The seed of the committed fixture. */
const DEFAULT_SEED = 8;

async function main(): Promise<void> {
  const { values } = parseArgs({
    options: {
      root: { type: 'string', default: 'fixtures/brain-mr-2d' },
      seed: { type: 'string', default: String(DEFAULT_SEED) },
    },
  });
  const root = values.root!;
  const seed = Number(values.seed);
  if (!Number.isInteger(seed)) throw new MicflowError('invalid-argument', `--seed must be an integer, got "${values.seed}"`);
  const classesFile = path.join(root, 'classes.json');
  const classNames = await readFile(classesFile, 'utf8')
    .then((text) => (JSON.parse(text) as { names?: unknown }).names)
    .catch(() => undefined);
  if (!Array.isArray(classNames) || classNames.length < 2 || !classNames.every((n) => typeof n === 'string')) {
    throw new MicflowError('invalid-data', `${classesFile}: cannot read the class names (expected {"names": ["background", ...]})`);
  }
  const report = await makeWeakLabelFixtures({
    root,
    classNames,
    seed,
    noise: { fraction: 0.5 },
    command: seed === DEFAULT_SEED ? 'npm run fixtures:weak' : `npm run fixtures:weak -- --seed ${seed}`,
  });
  const coverage = report.scribbleCoverage.map((s) => `${s.className} ${(100 * s.meanCoverage).toFixed(1)}%`).join(', ');
  console.log(
    `Wrote weak labels for ${report.cases} cases to ${root}: scribble coverage ${coverage}; ` +
      `${report.noisyCases.length} noisy cases, mean foreground Dice ${report.meanNoisyDice.toFixed(3)}.`,
  );
}

main().catch((error: unknown) => {
  console.error(error instanceof Error ? error.message : String(error));
  process.exit(1);
});
