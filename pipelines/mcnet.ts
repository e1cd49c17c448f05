import { pipeline, stage, type PipelineDefinition } from '../src/graph/pipeline-definition.js';
import { brainMr2d } from './shared/brain-mr-2d.js';
import { type DataProfile2D, unetSizeOf } from './shared/data-profile.js';

/**
 * Mutual consistency learning (Wu, Xu, Ge, Cai, Zhang, "Semi-supervised left atrium segmentation with mutual
 * consistency training", MICCAI 2021; MC-Net+, Wu et al., MedIA 2022), as PyMIC's SSLMCNet: one encoder and three
 * decoders that differ only in their upsampling (transposed convolution, nearest, bilinear: PyMIC's MCNet2D). Every
 * decoder is trained with Dice + CE on labelled batches; on unlabelled batches each decoder's probabilities are
 * sharpened with temperature T = 0.1 into soft pseudo labels (p^{1/T} / (p^{1/T} + (1 − p)^{1/T})) and every decoder is
 * pulled (MSE) towards each other decoder's sharpened prediction — 6 ordered pairs, summed as PyMIC. As in MC-Net's and
 * PyMIC's code the sharpened targets are not detached. Inference uses the first decoder. Same data, split, crops,
 * network size and iterations as mean-teacher; unsupervised weight 0.1 × ramp-up (PyMIC's default `regularize_w`).
 * (PyMIC also applies the mutual consistency to the labelled images of its mixed batch; here it reads the unlabelled
 * batch only, as the other pipelines' unsupervised terms.)
 *
 *   batchL ─ predL(net: decoders a, b, c) ─ diceA, ceA, diceB, ceB, diceC, ceC ──────────────┐
 *   batchU ─ predU(net: decoders a, b, c) ─┬─ prob  ─ sharpA ─┐                            ├─ loss ─ optimise(net)
 *                                          ├─ prob1 ─ sharpB ─┼─ mutual ─ × rampup ────────┘
 *                                          └─ prob2 ─ sharpC ─┘
 *   mutual = Σ over the 6 ordered pairs X ≠ Y of mutualXY = MSE(prob of X, sharpY)
 */
export function mcnetPipeline(profile: DataProfile2D): PipelineDefinition {
  return pipeline({
    name: `${profile.prefix}mcnet`,
    description: 'MC-Net: three decoders with different upsampling, each consistent with the others\' sharpened predictions (10% labelled)',
    reference: 'Wu et al. Semi-supervised left atrium segmentation with mutual consistency training. MICCAI 2021; Wu et al. Mutual consistency learning for semi-supervised medical image segmentation. MedIA 2022',
    data: profile.data,
    schedule: { iterations: profile.iterations, seed: 1 },
    nodes: {
      ...profile.trainBranch({ source: 'labelled', batch: 'batchL', dataset: { csv: 'train_labelled.csv' }, crop: { foregroundRatio: 0.8 } }),
      ...profile.trainBranch({ source: 'unlabelled', batch: 'batchU', dataset: { csv: 'train_unlabelled.csv', labelColumn: null } }),
      net: stage('MultiDecoderUNet2D', { ...unetSizeOf(profile), upModes: ['transposed', 'nearest', 'bilinear'] }),
      predL: stage('ForwardHeads', { heads: 3 }, { net: 'net', image: 'batchL.image' }),
      predU: stage('ForwardHeads', { heads: 3 }, { net: 'net', image: 'batchU.image' }),
      diceA: stage('DiceLoss', {}, { prediction: 'predL.logits', label: 'batchL.label' }),
      ceA: stage('CrossEntropyLoss', {}, { prediction: 'predL.logits', label: 'batchL.label' }),
      diceB: stage('DiceLoss', {}, { prediction: 'predL.logits1', label: 'batchL.label' }),
      ceB: stage('CrossEntropyLoss', {}, { prediction: 'predL.logits1', label: 'batchL.label' }),
      diceC: stage('DiceLoss', {}, { prediction: 'predL.logits2', label: 'batchL.label' }),
      ceC: stage('CrossEntropyLoss', {}, { prediction: 'predL.logits2', label: 'batchL.label' }),
      sharpA: stage('SharpenProbabilities', { temperature: 0.1 }, { prob: 'predU.prob' }),
      sharpB: stage('SharpenProbabilities', { temperature: 0.1 }, { prob: 'predU.prob1' }),
      sharpC: stage('SharpenProbabilities', { temperature: 0.1 }, { prob: 'predU.prob2' }),
      mutualAB: stage('ConsistencyLoss', { kind: 'mse', detachTarget: false }, { prob: 'predU.prob', target: 'sharpB.sharpened' }),
      mutualAC: stage('ConsistencyLoss', { kind: 'mse', detachTarget: false }, { prob: 'predU.prob', target: 'sharpC.sharpened' }),
      mutualBA: stage('ConsistencyLoss', { kind: 'mse', detachTarget: false }, { prob: 'predU.prob1', target: 'sharpA.sharpened' }),
      mutualBC: stage('ConsistencyLoss', { kind: 'mse', detachTarget: false }, { prob: 'predU.prob1', target: 'sharpC.sharpened' }),
      mutualCA: stage('ConsistencyLoss', { kind: 'mse', detachTarget: false }, { prob: 'predU.prob2', target: 'sharpA.sharpened' }),
      mutualCB: stage('ConsistencyLoss', { kind: 'mse', detachTarget: false }, { prob: 'predU.prob2', target: 'sharpB.sharpened' }),
      mutual: stage('WeightedSum', {}, { terms: ['mutualAB', 'mutualAC', 'mutualBA', 'mutualBC', 'mutualCA', 'mutualCB'] }),
      rampup: stage('SigmoidRampup', { start: 0, end: profile.rampupEnd, max: 0.1 }),
      loss: stage('WeightedSum', {}, {
        terms: ['diceA', 'ceA', 'diceB', 'ceB', 'diceC', 'ceC', 'mutual'],
        weights: [1, 1, 1, 1, 1, 1, 'rampup'],
      }),
      optimise: stage('Adam', { lr: 1e-3 }, { loss: 'loss', nets: ['net'] }),
      ...profile.validationAndTestNodes({ net: 'net' }),
    },
  });
}

export default mcnetPipeline(brainMr2d);
