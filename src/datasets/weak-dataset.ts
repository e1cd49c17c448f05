import { access } from 'node:fs/promises';
import path from 'node:path';
import { MicflowError } from '../errors/micflow-error.js';
import { makeWeakLabelFixtures, type WeakLabelFixtureReport } from '../label-synthesis/weak-label-fixtures.js';
import { DATASET_FILES, readDatasetManifest } from './dataset-manifest.js';

export interface WeakDatasetOptions {
  /** A dataset folder: a fold of `split` (its train.csv) or an import's output (its all.csv). */
  readonly directory: string;
  /** The list to derive weak labels from; default train.csv when the folder has one, else all.csv. */
  readonly list?: string;
  readonly scribbles: boolean;
  readonly noise: boolean;
  readonly seed: number;
  /** Class names; default the folder's classes.json. */
  readonly classNames?: readonly string[];
  /** Generator options as `scribble.key=value` / `noise.key=value` (dotted keys nest: `noise.erosion.probability=0.5`). */
  readonly set?: readonly string[];
  /** The command quoted in the report. */
  readonly command?: string;
}

type Options = Record<string, unknown>;

/** `--set scribble.coverage.min=0.05` into { scribble: { coverage: { min: 0.05 } } }; values are JSON when they parse, else text. */
export function parseGeneratorSettings(settings: readonly string[]): { scribble: Options; noise: Options } {
  const out = { scribble: {} as Options, noise: {} as Options };
  for (const setting of settings) {
    const match = /^(scribble|noise)\.([A-Za-z][\w.]*)=(.*)$/.exec(setting);
    if (!match) throw new MicflowError('invalid-argument', `--set ${setting}: expected scribble.<option>=value or noise.<option>=value (e.g. noise.fraction=0.3)`);
    const [, generator, key, text] = match;
    let value: unknown = text;
    try {
      value = JSON.parse(text);
    } catch {
      // Not JSON: keep the text; the generator's schema names the option if it wanted a number.
    }
    const parts = key.split('.');
    let target = out[generator as 'scribble' | 'noise'];
    for (const part of parts.slice(0, -1)) target = (target[part] ??= {}) as Options;
    target[parts[parts.length - 1]] = value;
  }
  return out;
}

/**
 * Scribbles and/or noisy labels for a dataset list with the project's generators ({@link makeWeakLabelFixtures}):
 * `scribble/` and `<list>_scribble.csv`, `noisy/`, `<list>_noisy.csv` and `<list>_noisy_clean_split.csv`, and
 * WEAK-LABELS.md, in the dataset folder, under the names the scribble and noisy-label pipelines read (train.csv gives
 * train_scribble.csv...).
 */
export async function weakLabelDataset(options: WeakDatasetOptions): Promise<WeakLabelFixtureReport & { list: string }> {
  if (!options.scribbles && !options.noise) throw new MicflowError('invalid-argument', 'give --scribbles, --noise or both');
  const directory = path.resolve(options.directory);
  const list =
    options.list ??
    (await access(path.join(directory, 'train.csv')).then(
      () => 'train.csv',
      () => DATASET_FILES.all,
    ));
  let classNames = options.classNames;
  if (!classNames) {
    const manifest = await readDatasetManifest(directory);
    if (!manifest) throw new MicflowError('invalid-argument', `${path.join(directory, DATASET_FILES.manifest)} does not exist: name the classes with --classes background,a,b`);
    classNames = manifest.names;
  }
  const settings = parseGeneratorSettings(options.set ?? []);
  const report = await makeWeakLabelFixtures({
    root: directory,
    trainList: list,
    classNames,
    seed: options.seed,
    kinds: { scribbles: options.scribbles, noise: options.noise },
    scribble: settings.scribble,
    noise: settings.noise,
    fixture: false,
    command: options.command,
  });
  return { ...report, list };
}
