import { pipeline, stage, type PipelineDefinition } from '../src/graph/pipeline-definition.js';
import { brainMr2d } from './shared/brain-mr-2d.js';
import { type DataProfile2D, unetSizeOf } from './shared/data-profile.js';

/**
 * Mean teacher (Tarvainen & Valpola, NeurIPS 2017) for semi-supervised segmentation, as in PyMIC's SSLMeanTeacher:
 * the profile's labelled training slices (~10%: 4 slices of the bundled data) and the other training slices unlabelled;
 * the consistency weight ramps up to 1 over the profile's ramp-up (300 of 600 iterations on the bundled data).
 *
 *   labelled ── norm ─ flip ─ crop ─ batchL ─┬─ image ─ predL(student) ─┬─ dice ─┐
 *                                            └─ label ──────────────────┴─ ce ───┤
 *   unlabelled ─ norm ─ flip ─ crop ─ batchU ─┬─ image ─ predU(student) ─────┐    ├─ loss ─ optimise(student)
 *                                             └─ noise ─ targetU(teacher) ─ consistency ─ × rampup ┘
 *   teacher = EmaCopy(student), updated in place after every step
 */
export function meanTeacherPipeline(profile: DataProfile2D): PipelineDefinition {
  return pipeline({
    name: `${profile.prefix}mean-teacher`,
    description: 'Mean teacher: EMA teacher, noisy teacher input, MSE consistency on unlabelled slices (10% labelled)',
    reference: 'Tarvainen & Valpola. Mean teachers are better role models. NeurIPS 2017',
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
      dice: stage('DiceLoss', {}, { prediction: 'predL.logits', label: 'batchL.label' }),
      ce: stage('CrossEntropyLoss', {}, { prediction: 'predL.logits', label: 'batchL.label' }),
      consistency: stage('ConsistencyLoss', { kind: 'mse' }, { prob: 'predU.prob', target: 'targetU.prob' }),
      rampup: stage('SigmoidRampup', { start: 0, end: profile.rampupEnd, max: 1 }),
      loss: stage('WeightedSum', {}, { terms: ['dice', 'ce', 'consistency'], weights: [1, 1, 'rampup'] }),
      optimise: stage('Adam', { lr: 1e-3 }, { loss: 'loss', nets: ['student'] }),
      ...profile.validationAndTestNodes({ net: 'student' }),
    },
  });
}

export default meanTeacherPipeline(brainMr2d);
