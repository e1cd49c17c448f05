import { existsSync, readdirSync } from 'node:fs';
import { basename, isAbsolute, join, resolve } from 'node:path';
import { pathToFileURL } from 'node:url';
import { z } from 'zod';
import { MicflowError } from '../errors/micflow-error.js';
import { moduleLoadProblem } from '../run/load-pipeline-module.js';
import { POSTPROCESS_MODES } from '../stages/hooks/evaluate-segmentation.js';

const setList = z.array(z.string().regex(/^[^=]+=/, 'a --set override: key=value')).default([]);

const methodSchema = z.union([
  z.string().min(1).describe('a pipeline name in pipelines/ (or a path to a pipeline module): the method is named after it'),
  z
    .object({
      name: z.string().regex(/^[A-Za-z0-9_.-]+$/, 'letters, digits, _ . - (it names run directories)').describe('the method as the table names it'),
      pipeline: z.string().min(1).describe('the pipeline it runs'),
      set: setList.describe('overrides for this method only, e.g. ["train.csv=train_labelled.csv"]'),
    })
    .strict(),
]);

const variantSchema = z
  .object({
    name: z.string().regex(/^[A-Za-z0-9_.-]+$/, 'letters, digits, _ . - (it names run directories)').describe('appended to the method name in the table'),
    set: setList.describe('overrides of this variant, crossed with every method'),
  })
  .strict();

/**
 * An experiment: which pipelines (methods), seeds, folds and `--set` variants to run, and how to score them. Every
 * combination is one job (one ordinary pipeline run); the table is mean ± std over seeds and folds per method and
 * variant, with paired differences to the first method.
 */
export const experimentSpecSchema = z
  .object({
    description: z.string().default('').describe('what the experiment compares (shown by npm run experiment -- --list)'),
    caption: z.string().min(1).describe('the first line of results.md and the title of results.svg; {iterations} and {seeds} are filled in'),
    classNames: z.array(z.string()).min(2).describe('names by label, 0 = background: the table has a column per foreground class'),
    methods: z.array(methodSchema).min(1).describe('the methods, baseline first (the paired differences are against it)'),
    seeds: z.array(z.number().int().nonnegative()).min(1).describe('schedule.seed of each repetition'),
    iterations: z.number().int().positive().describe('schedule.iterations of every run'),
    folds: z
      .object({
        count: z.number().int().min(2).describe('how many folds'),
        set: z
          .array(z.string().regex(/^[^=]+=.*\{fold\}/, 'an override holding {fold}, e.g. "train.csv=fold{fold}/train.csv"'))
          .min(1)
          .describe('overrides per fold, {fold} replaced by 0 … count-1'),
      })
      .strict()
      .optional()
      .describe('k-fold cross-validation: every method and seed runs once per fold'),
    variants: z.array(variantSchema).optional().describe('--set variants crossed with every method (default: one variant, no overrides)'),
    set: setList.describe('overrides for every run'),
    data: z.string().optional().describe('the data root for every run (default: each pipeline\'s "data")'),
    postprocess: z
      .enum(POSTPROCESS_MODES)
      .optional()
      .describe(
        "also score the test predictions after post-processing, beside the raw scores (the table's +LCC columns): 'largest-component-per-class' (PyMIC's ACDC evaluation; as npm run infer -- --largest-component per-class), 'largest-component-union' (--largest-component union) or 'none'; default: what each pipeline's EvaluateSegmentation says (none unless it sets postprocess)",
      ),
    latestEvery: z.number().int().positive().default(25).describe('save each run\'s whole state every this many iterations (what a job handed to another worker resumes from)'),
  })
  .strict();

export type ExperimentSpecInput = z.input<typeof experimentSpecSchema>;
export type ExperimentSpec = z.output<typeof experimentSpecSchema>;

/** Declares an experiment spec module's default export (checked when the module is loaded). */
export function experiment(spec: ExperimentSpecInput): ExperimentSpecInput {
  return spec;
}

export interface LoadedExperimentSpec {
  readonly name: string;
  readonly file: string;
  readonly spec: ExperimentSpec;
}

/** Names of the specs in a folder (`<name>.ts`). */
export function listExperimentSpecNames(directory: string): string[] {
  if (!existsSync(directory)) return [];
  return readdirSync(directory)
    .filter((f) => f.endsWith('.ts') && !f.endsWith('.d.ts'))
    .map((f) => basename(f, '.ts'))
    .sort();
}

/** Loads `specs/<name>.ts` (or a path to a .ts file) and validates its default export, naming the file and the key. */
export async function loadExperimentSpec(nameOrPath: string, specsDirectory: string): Promise<LoadedExperimentSpec> {
  const looksLikePath = nameOrPath.endsWith('.ts') || nameOrPath.includes('/');
  const file = looksLikePath ? (isAbsolute(nameOrPath) ? nameOrPath : resolve(nameOrPath)) : join(specsDirectory, `${nameOrPath}.ts`);
  if (!existsSync(file)) {
    const known = listExperimentSpecNames(specsDirectory);
    throw new MicflowError('invalid-argument', `unknown experiment "${nameOrPath}" (no ${file}); available: ${known.length ? known.join(', ') : '(none)'}`);
  }
  let loaded: { default?: unknown };
  try {
    loaded = (await import(pathToFileURL(file).href)) as typeof loaded;
  } catch (error) {
    throw new MicflowError('invalid-pipeline', `${file}: cannot load the experiment spec: ${moduleLoadProblem(error, file)}`);
  }
  const parsed = experimentSpecSchema.safeParse(loaded.default);
  if (!parsed.success) {
    throw new MicflowError(
      'invalid-pipeline',
      `${file}: the experiment spec is invalid`,
      parsed.error.issues.map((issue) => `${issue.path.join('.') || '(the default export)'}: ${issue.message}${keyHelp(issue.path)}`),
    );
  }
  return { name: basename(file, '.ts'), file, spec: parsed.data };
}

/** " (key: its description)" for a wrong value of a top-level spec key, so the message says what the key expects. */
function keyHelp(path: readonly PropertyKey[]): string {
  if (path.length !== 1 || typeof path[0] !== 'string') return '';
  const description = (experimentSpecSchema.shape as Record<string, z.ZodType | undefined>)[path[0]]?.description;
  return description ? ` (${path[0]}: ${description})` : '';
}

/** One combination of an experiment: one pipeline run, one result row. */
export interface ExperimentJobPlan {
  /** Unique in the experiment, stable, and the name of the job's run directory: `<method>[-<variant>][-fold<k>]-seed<s>`. */
  readonly id: string;
  /** The table row it belongs to: the method, with the variant when there are variants. */
  readonly row: string;
  readonly method: string;
  readonly pipeline: string;
  readonly variant: string | undefined;
  readonly fold: number | undefined;
  readonly seed: number;
  /** Every override of the run, in order: iterations and seed, the spec's, the method's, the variant's, the fold's. */
  readonly set: readonly string[];
}

/** Every job of an experiment, in table order (method, variant, fold, seed); `methods` picks a subset by name. */
export function planExperimentJobs(spec: ExperimentSpec, methods?: readonly string[]): ExperimentJobPlan[] {
  const all = spec.methods.map((m) => (typeof m === 'string' ? { name: basename(m, '.ts'), pipeline: m, set: [] as string[] } : m));
  const names = all.map((m) => m.name);
  const duplicate = names.find((name, i) => names.indexOf(name) !== i);
  if (duplicate) throw new MicflowError('invalid-argument', `methods: "${duplicate}" appears twice; give the second a name of its own ({ name, pipeline })`);
  for (const name of methods ?? []) {
    if (!names.includes(name)) throw new MicflowError('invalid-argument', `--methods: no method "${name}" in the experiment (it has ${names.join(', ')})`);
  }
  const chosen = methods ? all.filter((m) => methods.includes(m.name)) : all;
  const variants = spec.variants?.length ? spec.variants : [undefined];
  const folds = spec.folds ? Array.from({ length: spec.folds.count }, (_, k) => k) : [undefined];
  const jobs: ExperimentJobPlan[] = [];
  for (const method of chosen) {
    for (const variant of variants) {
      for (const fold of folds) {
        for (const seed of spec.seeds) {
          const row = variant ? `${method.name}-${variant.name}` : method.name;
          jobs.push({
            id: `${row}${fold === undefined ? '' : `-fold${fold}`}-seed${seed}`,
            row,
            method: method.name,
            pipeline: method.pipeline,
            variant: variant?.name,
            fold,
            seed,
            set: [
              `schedule.iterations=${spec.iterations}`,
              `schedule.seed=${seed}`,
              ...spec.set,
              ...method.set,
              ...(variant?.set ?? []),
              ...(fold === undefined || !spec.folds ? [] : spec.folds.set.map((s) => s.replaceAll('{fold}', String(fold)))),
            ],
          });
        }
      }
    }
  }
  return jobs;
}
