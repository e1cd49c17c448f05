import { pipeline, stage, type PipelineDefinition } from '../src/graph/pipeline-definition.js';
import { brainMr2d } from './shared/brain-mr-2d.js';
import { classCountOf, type DataProfile2D, unetSizeOf } from './shared/data-profile.js';
import { scribbleBatchNodes } from './shared/scribble-batch-nodes.js';

/**
 * USTM, uncertainty-aware self-ensembling with transformation consistency (Liu, Yuan, Gao, He, Wang, Tang, Tang, Shen,
 * "Weakly supervised segmentation of COVID19 infection with scribble annotation on CT images", Pattern Recognition
 * 2022; PyMIC's WSLUSTM): a student trained with partial cross-entropy on the scribbles (its input perturbed with
 * clipped Gaussian noise) and an EMA teacher that sees the image turned by a random multiple of 90°; the student's
 * probabilities, turned the same way, are pulled towards the teacher's (MSE) on the pixels where the teacher is
 * certain: the entropy of the mean of 8 Monte Carlo dropout passes (each with its own input noise) below (0.75 +
 * 0.25·r)·ln C, r a sigmoid ramp-up from 0 to 1 over the profile's ramp-up (the first 300 iterations on the bundled
 * data). The consistency weight is PyMIC's 0.1 × the same ramp-up, rescaled to micflow's masked MSE, which averages
 * over classes where PyMIC sums over them and halves (0.1 · C / 2, C the profile's class count: 0.25 for the bundled
 * data's 5). The teacher moves after every step, θ′ ← α θ′ + (1 − α) θ with α = min(1 − 1/(t + 1), 0.99) (PyMIC warms
 * up per validation round instead of per iteration).
 *
 *   batch ─┬─ image ─┬─ noisyS ─ predS(student) ─┬─ logits ─ pce(scribble) ──────────────────────┐
 *          │         │                           └─ prob ──┐                                      │
 *          │         └─ rot(k·90°, same k for both) ───────┴─ turned prob ─┐                       ├─ loss
 *          │              turned image ─┬─ noisyT ─ targetT(teacher) ─ consistency(mask) × rampup ┘
 *          │                            └─ ensemble(teacher, 8 MC passes) ─ entropy ─ certain ─ mask
 *          └─ label ─ scribble ─ label, mask ─ pce                loss ─ optimise(student)
 *   teacher = EmaCopy(student), updated in place after every step
 *
 * Same data, crops, network, iterations (600 on the bundled data) and validation / checkpoint / evaluation nodes as
 * scribble-pce (validation and test use the student).
 */
export function scribbleUstmPipeline(profile: DataProfile2D): PipelineDefinition {
  const classes = classCountOf(profile);
  return pipeline({
    name: `${profile.prefix}scribble-ustm`,
    description: 'Uncertainty-aware self-ensembling: EMA teacher on rotated input, MC-dropout entropy mask, partial CE',
    reference: 'Liu et al. Weakly supervised segmentation of COVID19 infection with scribble annotation on CT images. Pattern Recognition 2022',
    data: profile.data,
    schedule: { iterations: profile.iterations, seed: 1 },
    nodes: {
      ...scribbleBatchNodes(profile),
      student: stage('UNet2D', unetSizeOf(profile)),
      teacher: stage('EmaCopy', { decay: 0.99 }, { of: 'student' }),
      noisyS: stage('InputNoise', { std: 0.1, clip: 0.2 }, { x: 'batch.image' }),
      predS: stage('Forward', {}, { net: 'student', image: 'noisyS.y' }),
      pce: stage('CrossEntropyLoss', {}, { prediction: 'predS.logits', label: 'scribble.label', mask: 'scribble.mask' }),
      rot: stage('RandomRot90Pair', {}, { first: 'batch.image', second: 'predS.prob' }),
      noisyT: stage('InputNoise', { std: 0.1, clip: 0.2 }, { x: 'rot.first' }),
      targetT: stage('Forward', { stopGradient: true }, { net: 'teacher', image: 'noisyT.y' }),
      ensemble: stage('MonteCarloForward', { passes: 8, noiseStd: 0.1, noiseClip: 0.2 }, { net: 'teacher', image: 'rot.first' }),
      thresholdRamp: stage('SigmoidRampup', { start: 0, end: profile.rampupEnd, max: 1 }),
      certain: stage('UncertaintyMask', { classes, threshold: 0.75, rampedThreshold: 1 }, { uncertainty: 'ensemble.entropy', ramp: 'thresholdRamp' }),
      consistency: stage('ConsistencyLoss', { kind: 'mse' }, { prob: 'rot.second', target: 'targetT.prob', mask: 'certain.mask' }),
      rampup: stage('SigmoidRampup', { start: 0, end: profile.rampupEnd, max: (0.1 * classes) / 2 }),
      loss: stage('WeightedSum', {}, { terms: ['pce', 'consistency'], weights: [1, 'rampup'] }),
      optimise: stage('Adam', { lr: 1e-3 }, { loss: 'loss', nets: ['student'] }),
      ...profile.validationAndTestNodes({ net: 'student' }),
    },
  });
}

export default scribbleUstmPipeline(brainMr2d);
