import { stage, type NodeDefinition } from '../../src/graph/pipeline-definition.js';
import type { CsvDatasetParams } from '../../src/stages/datasets/csv-dataset.js';

/**
 * Node blocks the 2D pipelines on fixtures/brain-mr-2d share: the augmented training branch (dataset → normalise →
 * flip → 64² crop → batch of 4) and the validation/test nodes (validate every 50 iterations, optional checkpoint
 * every 100, evaluate the best checkpoint on the test split). Each helper returns plain nodes, built with `stage()`
 * in the order they would be written by hand, so a pipeline spreads them into its `nodes` where the block stands:
 * `nodes: { ...augmentedBatchBranch({...}), net: ..., ...validationAndTestNodes({ net: 'net' }) }`.
 * This file lives in a subfolder so that `--list` (top-level pipelines/*.ts only) does not take it for a pipeline.
 */

/** The five label classes of fixtures/brain-mr-2d, label value = index. */
export const brainMr2dClassNames: readonly string[] = ['background', 'caudate', 'putamen', 'thalamus', 'hippocampus'];

export interface AugmentedBatchBranchOptions {
  /** Name of the CsvDataset node; the next nodes are `<source>Normalised`, `<source>Flipped`, `<source>Cropped`. */
  readonly source: string;
  /** Name of the Batch node the method's nodes read (`batchL.image`, `batch.label`...). */
  readonly batch: string;
  /** The CsvDataset params, e.g. `{ csv: 'train_unlabelled.csv', labelColumn: null }`. */
  readonly dataset: Partial<CsvDatasetParams> & { readonly csv: string };
  /**
   * RandomCrop params besides `size: [64, 64]`, e.g. `{ foregroundRatio: 0.8 }` for labelled lists, plus
   * `foregroundLabels: [1, 2, 3, 4]` for scribbles (whose "unannotated" value would otherwise count as foreground).
   * None: uniform crops (unlabelled lists).
   */
  readonly crop?: { readonly foregroundRatio?: number; readonly foregroundLabels?: readonly number[] };
}

/**
 * The augmented training branch of the 2D pipelines: `source: CsvDataset(dataset)` → `NormalizeWithMeanStd` →
 * `RandomFlip { horizontal: 0.5 }` → `RandomCrop { size: [64, 64], ...crop }` → `batch: Batch { size: 4 }`
 * (PyMIC's train transforms NormalizeWithMeanStd, RandomFlip, RandomCrop with foreground focus).
 */
export function augmentedBatchBranch(options: AugmentedBatchBranchOptions): Record<string, NodeDefinition> {
  const { source, batch, dataset, crop = {} } = options;
  return {
    [source]: stage('CsvDataset', { ...dataset }),
    [`${source}Normalised`]: stage('NormalizeWithMeanStd', {}, { samples: source }),
    [`${source}Flipped`]: stage('RandomFlip', { horizontal: 0.5 }, { samples: `${source}Normalised` }),
    [`${source}Cropped`]: stage('RandomCrop', { size: [64, 64], ...crop }, { samples: `${source}Flipped` }),
    [batch]: stage('Batch', { size: 4 }, { samples: `${source}Cropped` }),
  };
}

export interface ValidationAndTestNodesOptions {
  /** The network node that is validated, checkpointed as "best" and evaluated (a net, a MultiNet, an EMA student). */
  readonly net: string;
}

/**
 * The validation and test nodes of the 2D pipelines: `valid` (valid.csv) → `validNormalised` → `validate` (Dice on the
 * validation split every 50 iterations, keeps the best checkpoint of `net`), then `test` (test.csv) → `testNormalised`
 * → `evaluate` (the best checkpoint of `net` on the test split), with the brain-mr-2d class names. The run itself saves
 * its whole state as `latest` (every 50 iterations or 10 minutes, and at the end), which `--resume` continues from.
 */
export function validationAndTestNodes(options: ValidationAndTestNodesOptions): Record<string, NodeDefinition> {
  const { net } = options;
  const classNames = brainMr2dClassNames;
  return {
    valid: stage('CsvDataset', { csv: 'valid.csv' }),
    validNormalised: stage('NormalizeWithMeanStd', {}, { samples: 'valid' }),
    validate: stage('Validate', { every: 50, classNames }, { net, samples: 'validNormalised' }),
    test: stage('CsvDataset', { csv: 'test.csv' }),
    testNormalised: stage('NormalizeWithMeanStd', {}, { samples: 'test' }),
    evaluate: stage('Evaluate', { checkpoint: 'best', classNames }, { net, samples: 'testNormalised' }),
  };
}
