import { stage, type NodeDefinition } from '../../src/graph/pipeline-definition.js';
import type { AugmentedBatchBranchOptions, DataProfile2D, ValidationAndTestNodesOptions } from './data-profile.js';

export type { AugmentedBatchBranchOptions, ValidationAndTestNodesOptions } from './data-profile.js';

/**
 * The data profile of the bundled brain MR slices (`brainMr2d`, see data-profile.ts) and its node blocks, which the 2D
 * method pipelines use on fixtures/brain-mr-2d: the augmented training branch (dataset → normalise →
 * flip → 64² crop → batch of 4) and the validation/test nodes (validate every 50 iterations, optional checkpoint
 * every 100, evaluate the best checkpoint on the test split). Each helper returns plain nodes, built with `stage()`
 * in the order they would be written by hand, so a pipeline spreads them into its `nodes` where the block stands:
 * `nodes: { ...augmentedBatchBranch({...}), net: ..., ...validationAndTestNodes({ net: 'net' }) }`.
 * This file lives in a subfolder so that `--list` (top-level pipelines/*.ts only) does not take it for a pipeline.
 */

/** The five label classes of fixtures/brain-mr-2d, label value = index. */
export const brainMr2dClassNames: readonly string[] = ['background', 'caudate', 'putamen', 'thalamus', 'hippocampus'];

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

/**
 * The bundled brain MR profile of the 2D method pipelines: fixtures/brain-mr-2d, five classes, U-Nets of 8-128
 * features, 600 iterations with the ramp-ups reaching their maximum at 300, and the two blocks above. Each method's
 * default export is its graph on this profile (`export default meanTeacherPipeline(brainMr2d)`).
 */
export const brainMr2d: DataProfile2D = {
  prefix: '',
  data: 'fixtures/brain-mr-2d',
  dataDescription: 'on the bundled brain MR slices',
  classNames: brainMr2dClassNames,
  features: [8, 16, 32, 64, 128],
  iterations: 600,
  rampupEnd: 300,
  trainBranch: augmentedBatchBranch,
  validationAndTestNodes,
};
