import { pipeline, stage, type PipelineDefinition } from '../src/graph/pipeline-definition.js';
import { brainMr2d } from './shared/brain-mr-2d.js';
import { type DataProfile2D, unetSizeOf } from './shared/data-profile.js';

/**
 * Uncertainty rectified pyramid consistency (Luo, Liao, Chen, Song, Chen, Zhang, Chen, Wang, Zhang, "Efficient
 * semi-supervised gross target volume of nasopharyngeal carcinoma segmentation via uncertainty rectified pyramid
 * consistency", MICCAI 2021), as PyMIC's SSLURPC: a U-Net with deep-supervision heads at full, 1/2, 1/4 and 1/8
 * resolution. Labelled batches train all four heads with deep supervision ((Dice + CE)/2 per head, weights 1, 1/2,
 * 1/4, 1/8 normalised; ×2 so the term is on the Dice + CE scale of the other pipelines). On unlabelled batches the
 * heads, resized to the input, are pulled towards their mean where they agree: each head's KL divergence from the
 * mean is its uncertainty, exp(−KL) weights its squared difference to the mean, and the mean KL is minimised too.
 * Same data, split, crops, network size and iterations as mean-teacher; unsupervised weight 0.1 × ramp-up (PyMIC's
 * default `regularize_w`).
 *
 *   batchL ─ predL(net: 4 heads, own sizes) ─ supervised (DeepSupervisionLoss) ─ × 2 ──┐
 *   batchU ─ predU(net: 4 heads, resized to input) ─ pyramid ─ × rampup ──────────────┴─ loss ─ optimise(net)
 *              (prob, prob1, prob2, prob3 ─ PyramidConsistencyLoss)
 */
export function urpcPipeline(profile: DataProfile2D): PipelineDefinition {
  return pipeline({
    name: `${profile.prefix}urpc`,
    description: 'URPC: deep-supervision U-Net, uncertainty-rectified consistency between its scales on unlabelled slices (10% labelled)',
    reference: 'Luo et al. Efficient semi-supervised gross target volume of nasopharyngeal carcinoma segmentation via uncertainty rectified pyramid consistency. MICCAI 2021',
    data: profile.data,
    schedule: { iterations: profile.iterations, seed: 1 },
    nodes: {
      ...profile.trainBranch({ source: 'labelled', batch: 'batchL', dataset: { csv: 'train_labelled.csv' }, crop: { foregroundRatio: 0.8 } }),
      ...profile.trainBranch({ source: 'unlabelled', batch: 'batchU', dataset: { csv: 'train_unlabelled.csv', labelColumn: null } }),
      net: stage('UNet2D', { ...unetSizeOf(profile), deepSupervision: true }),
      predL: stage('ForwardHeads', { heads: 4, resize: 'none' }, { net: 'net', image: 'batchL.image' }),
      predU: stage('ForwardHeads', { heads: 4, resize: 'input' }, { net: 'net', image: 'batchU.image' }),
      supervised: stage('DeepSupervisionLoss', { baseLoss: 'diceCrossEntropy' }, {
        predictions: ['predL.logits', 'predL.logits1', 'predL.logits2', 'predL.logits3'],
        label: 'batchL.label',
      }),
      pyramid: stage('PyramidConsistencyLoss', {}, { probs: ['predU.prob', 'predU.prob1', 'predU.prob2', 'predU.prob3'] }),
      rampup: stage('SigmoidRampup', { start: 0, end: profile.rampupEnd, max: 0.1 }),
      loss: stage('WeightedSum', {}, { terms: ['supervised', 'pyramid'], weights: [2, 'rampup'] }),
      optimise: stage('Adam', { lr: 1e-3 }, { loss: 'loss', nets: ['net'] }),
      ...profile.validationAndTestNodes({ net: 'net' }),
    },
  });
}

export default urpcPipeline(brainMr2d);
