import type { NodeDefinition } from '../../src/graph/pipeline-definition.js';
import type { CsvDatasetParams } from '../../src/stages/datasets/csv-dataset.js';

/**
 * What a 2D method pipeline needs to know about the data it trains on, so that one method graph (mean teacher, CPS,
 * DMPLS, …) is written once and run on any dataset: `pipelines/mean-teacher.ts` exports `meanTeacherPipeline(profile)`
 * and its default export is that graph on the bundled brain MR slices; `pipelines/acdc-mean-teacher.ts` is the same
 * graph on ACDC. A profile gives the data root, the classes, the network width, the schedule and the node blocks that
 * read, augment, batch, validate and evaluate; the method adds its networks, forward passes and losses between them.
 */
export interface DataProfile2D {
  /** Prefix of the pipeline names: '' for the bundled data, e.g. 'acdc-' for ACDC (`acdc-mean-teacher`). */
  readonly prefix: string;
  /** The pipeline's default data root (`--data DIR` overrides it). */
  readonly data: string;
  /** Appended to the pipeline descriptions, e.g. 'on the bundled brain MR slices'. */
  readonly dataDescription: string;
  /** Names by label value, 0 = background; the networks have this many classes. */
  readonly classNames: readonly string[];
  /** Feature channels per level of the U-Nets. */
  readonly features: readonly number[];
  /** Dropout per level of the U-Nets (PyMIC's UNet2D `dropout`); undefined: the network's default. */
  readonly dropout?: readonly number[];
  /** Training iterations (`schedule.iterations`). */
  readonly iterations: number;
  /** The iteration at which the ramp-ups of unsupervised and pseudo-label terms reach their maximum. */
  readonly rampupEnd: number;
  /** The augmented training branch: dataset → preprocessing and augmentation → crop → batch. */
  readonly trainBranch: (options: AugmentedBatchBranchOptions) => Record<string, NodeDefinition>;
  /** The validation (best checkpoint) and test (evaluation of the best checkpoint) nodes. */
  readonly validationAndTestNodes: (options: ValidationAndTestNodesOptions) => Record<string, NodeDefinition>;
}

export interface AugmentedBatchBranchOptions {
  /** Name of the CsvDataset node; the profile's transform nodes are named `<source>…` after it. */
  readonly source: string;
  /** Name of the Batch node the method's nodes read (`batchL.image`, `batch.label`...). */
  readonly batch: string;
  /** The CsvDataset params, e.g. `{ csv: 'train_unlabelled.csv', labelColumn: null }`. */
  readonly dataset: Partial<CsvDatasetParams> & { readonly csv: string };
  /**
   * RandomCrop params besides the profile's crop size, e.g. `{ foregroundRatio: 0.8 }` for labelled lists, plus
   * `foregroundLabels` for scribbles (whose "unannotated" value would otherwise count as foreground). None: uniform
   * crops (unlabelled lists).
   */
  readonly crop?: { readonly foregroundRatio?: number; readonly foregroundLabels?: readonly number[] };
}

export interface ValidationAndTestNodesOptions {
  /** The network node that is validated, checkpointed as "best" and evaluated (a net, a MultiNet, an EMA student). */
  readonly net: string;
}

/** The number of classes of a profile (its networks' output channels). */
export const classCountOf = (profile: DataProfile2D): number => profile.classNames.length;

/**
 * The scribble conventions of a profile, as PyMIC's `PartialLabelToProbability`: unannotated pixels hold the class
 * count, the foreground labels are 1 … classes − 1. `dataset` goes into the scribble list's CsvDataset params, `crop`
 * into its RandomCrop params, `unannotatedValue` into PartialLabelMask.
 */
export function scribbleConventionsOf(profile: DataProfile2D): {
  readonly unannotatedValue: number;
  readonly dataset: { readonly classes: number; readonly extraLabelValues: number[] };
  readonly crop: { readonly foregroundRatio: number; readonly foregroundLabels: readonly number[] };
} {
  const classes = classCountOf(profile);
  return {
    unannotatedValue: classes,
    dataset: { classes, extraLabelValues: [classes] },
    crop: { foregroundRatio: 0.8, foregroundLabels: Array.from({ length: classes - 1 }, (_, i) => i + 1) },
  };
}

/**
 * The size params of a profile's U-Nets: `{ inChannels: 1, classes, features }`, plus `dropout` when the profile sets
 * it (otherwise the network's default). A method spreads it first into its network's params and adds its own after:
 * `stage('UNet2D', { ...unetSizeOf(profile), deepSupervision: true })`.
 */
export function unetSizeOf(profile: DataProfile2D): {
  readonly inChannels: number;
  readonly classes: number;
  readonly features: number[];
  readonly dropout?: number[];
} {
  return {
    inChannels: 1,
    classes: classCountOf(profile),
    features: [...profile.features],
    ...(profile.dropout ? { dropout: [...profile.dropout] } : {}),
  };
}

/**
 * The iteration at a fraction of a profile's training, rounded: schedules that PyMIC's examples state as a share of
 * the iterations (co-teaching's forget-rate ramp over iterations 1000–8000 of 10 000) scale with the profile, e.g.
 * `iterationAt(profile, 0.8)` is 480 of 600.
 */
export const iterationAt = (profile: DataProfile2D, fraction: number): number => Math.round(profile.iterations * fraction);
