import { pipeline, stage } from '../src/graph/pipeline-definition.js';
import { augmentedBatchBranch, validationAndTestNodes } from './shared/brain-mr-2d.js';

/**
 * Mean teacher (Tarvainen & Valpola, NeurIPS 2017) for semi-supervised segmentation, as in PyMIC's SSLMeanTeacher:
 * 4 labelled training slices (~10%) and the other training slices unlabelled.
 *
 *   labelled ── norm ─ flip ─ crop ─ batchL ─┬─ image ─ predL(student) ─┬─ dice ─┐
 *                                            └─ label ──────────────────┴─ ce ───┤
 *   unlabelled ─ norm ─ flip ─ crop ─ batchU ─┬─ image ─ predU(student) ─────┐    ├─ loss ─ optimise(student)
 *                                             └─ noise ─ targetU(teacher) ─ consistency ─ × rampup ┘
 *   teacher = EmaCopy(student), updated in place after every step
 */
export default pipeline({
  name: 'mean-teacher',
  description: 'Mean teacher: EMA teacher, noisy teacher input, MSE consistency on unlabelled slices (10% labelled)',
  reference: 'Tarvainen & Valpola. Mean teachers are better role models. NeurIPS 2017',
  data: 'fixtures/brain-mr-2d',
  schedule: { iterations: 600, seed: 1 },
  nodes: {
    ...augmentedBatchBranch({ source: 'labelled', batch: 'batchL', dataset: { csv: 'train_labelled.csv' }, crop: { foregroundRatio: 0.8 } }),
    ...augmentedBatchBranch({ source: 'unlabelled', batch: 'batchU', dataset: { csv: 'train_unlabelled.csv', labelColumn: null } }),
    student: stage('UNet2D', { inChannels: 1, classes: 5, features: [8, 16, 32, 64, 128] }),
    teacher: stage('EmaCopy', { decay: 0.99 }, { of: 'student' }),
    predL: stage('Forward', {}, { net: 'student', image: 'batchL.image' }),
    predU: stage('Forward', {}, { net: 'student', image: 'batchU.image' }),
    noisyU: stage('InputNoise', { std: 0.1, clip: 0.2 }, { x: 'batchU.image' }),
    targetU: stage('Forward', { stopGradient: true }, { net: 'teacher', image: 'noisyU.y' }),
    dice: stage('DiceLoss', {}, { prediction: 'predL.logits', label: 'batchL.label' }),
    ce: stage('CrossEntropyLoss', {}, { prediction: 'predL.logits', label: 'batchL.label' }),
    consistency: stage('ConsistencyLoss', { kind: 'mse' }, { prob: 'predU.prob', target: 'targetU.prob' }),
    rampup: stage('SigmoidRampup', { start: 0, end: 300, max: 1 }),
    loss: stage('WeightedSum', {}, { terms: ['dice', 'ce', 'consistency'], weights: [1, 1, 'rampup'] }),
    optimise: stage('Adam', { lr: 1e-3 }, { loss: 'loss', nets: ['student'] }),
    ...validationAndTestNodes({ net: 'student' }),
  },
});
