import { pipeline, stage, type PipelineDefinition } from '../src/graph/pipeline-definition.js';
import { brainMr2d } from './shared/brain-mr-2d.js';
import type { DataProfile2D } from './shared/data-profile.js';
import { noisyLabelNodes } from './shared/noisy-label-nodes.js';

/**
 * Generalized cross-entropy for noisy labels (Zhang & Sabuncu, "Generalized cross entropy loss for training deep
 * neural networks with noisy labels", NeurIPS 2018): L_q = (1 − p_y^q)/q, between cross-entropy (q → 0) and the
 * noise-robust mean absolute error (q = 1), here q = 0.5, as PyMIC's GeneralizedCELoss (used alone, as in PyMIC's
 * seg_nll example). Everything else is the noisy-dice-ce baseline: data, crops, network, iterations, validation.
 *
 *   train_noisy ─ normalise ─ flip ─ crop 64² ─ batch ─┬─ image ─ predict(net) ─ logits ─┐
 *                                                      └─ noisy label ────────────────────┴─ gce ─ loss ─ optimise(net)
 *   valid ─ normalise ─ validate(net, every 50) → best checkpoint      test ─ normalise ─ evaluate(best)
 */
export function noisyGcePipeline(profile: DataProfile2D): PipelineDefinition {
  return pipeline({
    name: `${profile.prefix}noisy-gce`,
    description: 'Noisy labels: 2D U-Net trained with generalized cross-entropy (q = 0.5) on the half-corrupted training labels',
    reference: 'Zhang & Sabuncu. Generalized Cross Entropy Loss for Training Deep Neural Networks with Noisy Labels. NeurIPS 2018',
    data: profile.data,
    schedule: { iterations: profile.iterations, seed: 1 },
    nodes: noisyLabelNodes(profile, 'gce', stage('GeneralizedCrossEntropyLoss', { q: 0.5 }, { prediction: 'predict.logits', label: 'batch.label' })),
  });
}

export default noisyGcePipeline(brainMr2d);
