import { pipeline, stage, type PipelineDefinition } from '../src/graph/pipeline-definition.js';
import { brainMr2d } from './shared/brain-mr-2d.js';
import { type DataProfile2D, unetSizeOf } from './shared/data-profile.js';

/**
 * Cross-consistency training (Ouali, Hudelot, Tami, "Semi-supervised semantic segmentation with cross-consistency
 * training", CVPR 2020), as PyMIC's SSLCCT: a U-Net whose encoder also feeds three auxiliary decoders, each seeing the
 * deepest feature perturbed (channel dropout, feature drop, feature noise; CctUNet2D). Labelled batches train the main
 * decoder with Dice + CE; on unlabelled batches each auxiliary decoder's probabilities are pulled towards the main
 * decoder's (detached), and the three consistencies are averaged. MSE by default; KL or JS with
 * `--set consistency1.kind=kl --set consistency2.kind=kl --set consistency3.kind=kl`. Same data, split, crops, network
 * size, iterations and consistency weight (1 × ramp-up) as mean-teacher. (PyMIC's SSLCCT applies softmax a second
 * time to the already-softmaxed main prediction before comparing; here the target is the main probability itself.)
 *
 *   batchL ─ predL(net, main decoder) ─ dice, ce ────────────────────────────────────────┐
 *   batchU ─ predU(net, 4 heads) ─┬─ consistency1(prob1, target prob) ─┐                 ├─ loss ─ optimise(net)
 *                                 ├─ consistency2(prob2, target prob) ─┼─ mean ─ × rampup ┘
 *                                 └─ consistency3(prob3, target prob) ─┘ (consistency)
 */
export function cctPipeline(profile: DataProfile2D): PipelineDefinition {
  return pipeline({
    name: `${profile.prefix}cct`,
    description: 'Cross-consistency training: auxiliary decoders on perturbed features follow the main decoder on unlabelled slices (10% labelled)',
    reference: 'Ouali, Hudelot, Tami. Semi-Supervised Semantic Segmentation With Cross-Consistency Training. CVPR 2020',
    data: profile.data,
    schedule: { iterations: profile.iterations, seed: 1 },
    nodes: {
      ...profile.trainBranch({ source: 'labelled', batch: 'batchL', dataset: { csv: 'train_labelled.csv' }, crop: { foregroundRatio: 0.8 } }),
      ...profile.trainBranch({ source: 'unlabelled', batch: 'batchU', dataset: { csv: 'train_unlabelled.csv', labelColumn: null } }),
      net: stage('CctUNet2D', { ...unetSizeOf(profile), auxiliary: ['dropout', 'featureDrop', 'featureNoise'] }),
      predL: stage('Forward', {}, { net: 'net', image: 'batchL.image' }),
      predU: stage('ForwardHeads', { heads: 4 }, { net: 'net', image: 'batchU.image' }),
      dice: stage('DiceLoss', {}, { prediction: 'predL.logits', label: 'batchL.label' }),
      ce: stage('CrossEntropyLoss', {}, { prediction: 'predL.logits', label: 'batchL.label' }),
      consistency1: stage('ConsistencyLoss', { kind: 'mse' }, { prob: 'predU.prob1', target: 'predU.prob' }),
      consistency2: stage('ConsistencyLoss', { kind: 'mse' }, { prob: 'predU.prob2', target: 'predU.prob' }),
      consistency3: stage('ConsistencyLoss', { kind: 'mse' }, { prob: 'predU.prob3', target: 'predU.prob' }),
      consistency: stage('WeightedSum', {}, { terms: ['consistency1', 'consistency2', 'consistency3'], weights: [1 / 3, 1 / 3, 1 / 3] }),
      rampup: stage('SigmoidRampup', { start: 0, end: profile.rampupEnd, max: 1 }),
      loss: stage('WeightedSum', {}, { terms: ['dice', 'ce', 'consistency'], weights: [1, 1, 'rampup'] }),
      optimise: stage('Adam', { lr: 1e-3 }, { loss: 'loss', nets: ['net'] }),
      ...profile.validationAndTestNodes({ net: 'net' }),
    },
  });
}

export default cctPipeline(brainMr2d);
