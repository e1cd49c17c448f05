import { pipeline, stage, type PipelineDefinition } from '../src/graph/pipeline-definition.js';
import { brainMr2d } from './shared/brain-mr-2d.js';
import { classCountOf, type DataProfile2D, unetSizeOf } from './shared/data-profile.js';

/**
 * Uncertainty-aware mean teacher (Yu, Wang, Li, Fu, Heng, "Uncertainty-aware self-ensembling model for
 * semi-supervised 3D left atrium segmentation", MICCAI 2019), as PyMIC's SSLUncertaintyAwareMeanTeacher: the mean
 * teacher of pipelines/mean-teacher.ts, with the consistency restricted to the pixels where the teacher is certain.
 * K = 8 Monte Carlo passes of the teacher (dropout + clipped input noise) give a mean probability whose entropy is the
 * uncertainty; pixels count when it is below (0.75 + 0.25 r) ln C, r a sigmoid ramp from 0 to 1, so the mask widens
 * with training. Same data, split, crops, network, ramp-up, weights and iterations as mean-teacher; the consistency is
 * the masked mean of the MSE (PyMIC divides the masked sum by 2 Σ mask, the masked mean for 2 classes only).
 *
 *   batchL ─ predL(student) ─ dice, ce ─────────────────────────────────────────┐
 *   batchU ─┬─ predU(student) ───────────────────┐                              ├─ loss ─ optimise(student)
 *           ├─ noisyU ─ targetU(teacher) ────────┼─ consistency ─ × rampup ─────┘
 *           └─ mcU(teacher, 8 passes) ─ certain ─┘ (mask)
 *   certain: mcU's entropy < (0.75 + 0.25 r) ln C, r = rampupThreshold (0 → 1)
 *   teacher = EmaCopy(student), updated in place after every step
 */
export function uamtPipeline(profile: DataProfile2D): PipelineDefinition {
  return pipeline({
    name: `${profile.prefix}uamt`,
    description: 'Uncertainty-aware mean teacher: MC-dropout teacher entropy masks the MSE consistency, ramped threshold (10% labelled)',
    reference: 'Yu et al. Uncertainty-aware self-ensembling model for semi-supervised 3D left atrium segmentation. MICCAI 2019',
    data: profile.data,
    schedule: { iterations: profile.iterations, seed: 1 },
    nodes: {
      ...profile.trainBranch({ source: 'labelled', batch: 'batchL', dataset: { csv: 'train_labelled.csv' }, crop: { foregroundRatio: 0.8 } }),
      ...profile.trainBranch({ source: 'unlabelled', batch: 'batchU', dataset: { csv: 'train_unlabelled.csv', labelColumn: null } }),
      student: stage('UNet2D', unetSizeOf(profile)),
      teacher: stage('EmaCopy', { decay: 0.99 }, { of: 'student' }),
      predL: stage('Forward', {}, { net: 'student', image: 'batchL.image' }),
      predU: stage('Forward', {}, { net: 'student', image: 'batchU.image' }),
      noisyU: stage('InputNoise', { std: 0.1, clip: 0.2 }, { x: 'batchU.image' }),
      targetU: stage('Forward', { stopGradient: true }, { net: 'teacher', image: 'noisyU.y' }),
      mcU: stage('MonteCarloForward', { passes: 8, noiseStd: 0.1, noiseClip: 0.2 }, { net: 'teacher', image: 'batchU.image' }),
      rampupThreshold: stage('SigmoidRampup', { start: 0, end: profile.rampupEnd, max: 1 }),
      certain: stage('UncertaintyMask', { classes: classCountOf(profile), threshold: 0.75, rampedThreshold: 1 }, { uncertainty: 'mcU.entropy', ramp: 'rampupThreshold' }),
      dice: stage('DiceLoss', {}, { prediction: 'predL.logits', label: 'batchL.label' }),
      ce: stage('CrossEntropyLoss', {}, { prediction: 'predL.logits', label: 'batchL.label' }),
      consistency: stage('ConsistencyLoss', { kind: 'mse' }, { prob: 'predU.prob', target: 'targetU.prob', mask: 'certain.mask' }),
      rampup: stage('SigmoidRampup', { start: 0, end: profile.rampupEnd, max: 1 }),
      loss: stage('WeightedSum', {}, { terms: ['dice', 'ce', 'consistency'], weights: [1, 1, 'rampup'] }),
      optimise: stage('Adam', { lr: 1e-3 }, { loss: 'loss', nets: ['student'] }),
      ...profile.validationAndTestNodes({ net: 'student' }),
    },
  });
}

export default uamtPipeline(brainMr2d);
