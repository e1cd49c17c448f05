import { z } from 'zod';
import { pipeline, stage, type NodeDefinition, type PipelineDefinition } from '../graph/pipeline-definition.js';
import { STUDIO_IMAGES_LIST, STUDIO_SCRIBBLE_LIST } from './studio-files.js';

/** A stage and its params, as a run's config.json records a node. */
const stageSpec = z.object({
  stage: z.string().describe('Stage name, as registered (e.g. UNet2D, NormalizeWithMeanStd)'),
  params: z.record(z.string(), z.unknown()).default({}).describe('The stage\'s params, as its schema reads them'),
});

/**
 * What the studio fine-tunes and how, in one validated object: the network and preprocessing come from the starting
 * checkpoint's run (or the defaults of a fresh network), the rest from the page.
 */
export const studioPipelineOptions = z
  .object({
    networkNode: z.string().regex(/^[A-Za-z][A-Za-z0-9_-]*$/).default('net').describe('Name of the network node; a checkpoint\'s variables are named after it, so it is the starting run\'s'),
    network: stageSpec.describe('The network stage and params (the starting run\'s network node)'),
    preprocessing: z
      .array(stageSpec)
      .default([{ stage: 'NormalizeWithMeanStd', params: {} }])
      .describe('Sample transforms applied to every image before the network, in order (the starting run\'s test branch, so inference preprocesses alike)'),
    classNames: z.array(z.string()).min(2).describe('Names by class index (0 = background); the scribbles\' unannotated value is their count'),
    iterations: z.number().int().positive().default(20).describe('Fine-tuning iterations per press of "train"'),
    seed: z.number().int().nonnegative().default(1).describe('Seed of the fine-tuning run (crops, flips, batch order)'),
    learningRate: z.number().positive().default(1e-3).describe('Adam learning rate'),
    batchSize: z.number().int().positive().default(2).describe('Crops per iteration'),
    crop: z.array(z.number().int().positive()).length(2).describe('Training crop [rows, columns]; at most the smallest annotated image'),
    previewEvery: z.number().int().positive().default(5).describe('Update the prediction overlay every this many iterations'),
  })
  .strict();
export type StudioPipelineOptions = z.input<typeof studioPipelineOptions>;

/** The studio's pipeline name; its runs are studio-runs/<stamp>/ under the folder. */
export const STUDIO_PIPELINE_NAME = 'studio-scribble-pce';

/**
 * The annotation studio's fine-tuning graph: partial cross-entropy on the user's scribbles (Tang et al., "Normalized
 * cut loss for weakly-supervised CNN segmentation", CVPR 2018; PyMIC's weakly supervised baseline), the same nodes
 * as pipelines/scribble-pce.ts, from the starting network's weights:
 *
 *   train (studio/train_scribble.csv) ─ preprocessing ─ flip ─ crop (on a stroke) ─ batch
 *   batch ─┬─ image ─ predict(net) ─ logits ──────────────┐
 *          └─ label ─ scribble ─ label (unannotated → 0), mask ─┴─ pce ─ loss ─ optimise(net)
 *   save: Checkpoint "studio" of net after the last iteration
 *   test (studio/images.csv) ─ preprocessing ─ evaluate(net)   (the branch `npm run infer` rebuilds)
 *
 * The same definition runs in the tab's worker (training part, plus the page's preview hook) and, validated by
 * Node's registry, is what the fine-tuned checkpoint's config.json records.
 */
export function studioScribblePipeline(input: StudioPipelineOptions): PipelineDefinition {
  const options = studioPipelineOptions.parse(input);
  const classes = options.classNames.length;
  const net = options.networkNode;
  const chain = (source: string, prefix: string): { nodes: Record<string, NodeDefinition>; last: string } => {
    const nodes: Record<string, NodeDefinition> = {};
    let last = source;
    options.preprocessing.forEach((spec, index) => {
      const name = `${prefix}Pre${index}`;
      nodes[name] = stage(spec.stage, spec.params, { samples: last });
      last = name;
    });
    return { nodes, last };
  };
  const train = chain('train', 'train');
  const test = chain('test', 'test');
  return pipeline({
    name: STUDIO_PIPELINE_NAME,
    description: 'Annotation studio: fine-tune on the scribbles drawn in the studio with partial cross-entropy',
    reference: 'Tang et al. Normalized Cut Loss for Weakly-supervised CNN Segmentation. CVPR 2018',
    data: '.',
    schedule: { iterations: options.iterations, seed: options.seed },
    nodes: {
      train: stage('CsvDataset', { csv: STUDIO_SCRIBBLE_LIST, classes, extraLabelValues: [classes] }),
      ...train.nodes,
      trainFlipped: stage('RandomFlip', { horizontal: 0.5 }, { samples: train.last }),
      trainCropped: stage('RandomCrop', { size: options.crop, foregroundRatio: 0.8, foregroundLabels: Array.from({ length: classes - 1 }, (_, i) => i + 1) }, { samples: 'trainFlipped' }),
      batch: stage('Batch', { size: options.batchSize }, { samples: 'trainCropped' }),
      [net]: stage(options.network.stage, options.network.params),
      predict: stage('Forward', {}, { net, image: 'batch.image' }),
      scribble: stage('PartialLabelMask', { unannotatedValue: classes }, { label: 'batch.label' }),
      pce: stage('CrossEntropyLoss', {}, { prediction: 'predict.logits', label: 'scribble.label', mask: 'scribble.mask' }),
      loss: stage('WeightedSum', {}, { terms: ['pce'], weights: [1] }),
      optimise: stage('Adam', { lr: options.learningRate }, { loss: 'loss', nets: [net] }),
      save: stage('Checkpoint', { tag: 'studio' }, { nets: [net] }),
      test: stage('CsvDataset', { csv: STUDIO_IMAGES_LIST, labelColumn: null }),
      ...test.nodes,
      evaluate: stage('Evaluate', { checkpoint: 'current', classNames: options.classNames }, { net, samples: test.last }),
    },
  });
}

/** The nodes of the preview hook the tab adds to the studio graph: the case being annotated, preprocessed as for inference. */
export function studioPreviewNodes(input: StudioPipelineOptions, previewList: string, finalCases: 'first' | 'all' = 'first'): Record<string, NodeDefinition> {
  const options = studioPipelineOptions.parse(input);
  const nodes: Record<string, NodeDefinition> = { previewCase: stage('CsvDataset', { csv: previewList, labelColumn: null }) };
  let last = 'previewCase';
  options.preprocessing.forEach((spec, index) => {
    nodes[`previewPre${index}`] = stage(spec.stage, spec.params, { samples: last });
    last = `previewPre${index}`;
  });
  nodes.preview = stage('PredictionPreview', { every: options.previewEvery, finalCases }, { net: options.networkNode, samples: last });
  return nodes;
}
