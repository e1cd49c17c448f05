import { pipeline, stage, type NodeDefinition, type PipelineDefinition } from '../../src/graph/pipeline-definition.js';

/**
 * A supervised pipeline small enough for tests: real fixture slices cropped to 32×32 around foreground, a U-Net with
 * 2–32 channels and no dropout, batch 2.
 */
export function tinySupervisedPipeline(iterations = 4, nodes: Record<string, NodeDefinition> = {}): PipelineDefinition {
  return pipeline({
    name: 'tiny-supervised',
    description: 'test pipeline',
    data: 'fixtures/brain-mr-2d',
    schedule: { iterations, seed: 7 },
    nodes: {
      train: stage('CsvDataset', { csv: 'train.csv' }),
      normalised: stage('NormalizeWithMeanStd', {}, { samples: 'train' }),
      cropped: stage('RandomCrop', { size: [32, 32], foregroundRatio: 1 }, { samples: 'normalised' }),
      batch: stage('Batch', { size: 2, prefetch: 1 }, { samples: 'cropped' }),
      net: stage('UNet2D', { classes: 5, features: [2, 4, 8, 16, 32], dropout: [0, 0, 0, 0, 0] }),
      predict: stage('Forward', {}, { net: 'net', image: 'batch.image' }),
      dice: stage('DiceLoss', {}, { prediction: 'predict.logits', label: 'batch.label' }),
      ce: stage('CrossEntropyLoss', {}, { prediction: 'predict.logits', label: 'batch.label' }),
      loss: stage('WeightedSum', {}, { terms: ['dice', 'ce'], weights: [1, 1] }),
      optimise: stage('Adam', { lr: 1e-2, weightDecay: 0 }, { loss: 'loss', nets: ['net'] }),
      ...nodes,
    },
  });
}
