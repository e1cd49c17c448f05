import { pipeline, stage, type PipelineDefinition } from '../src/graph/pipeline-definition.js';
import { brainMr2d } from './shared/brain-mr-2d.js';
import type { DataProfile2D } from './shared/data-profile.js';
import { noisyLabelNodes } from './shared/noisy-label-nodes.js';

/**
 * Noise-robust Dice loss (Wang et al., "A noise-robust framework for automatic segmentation of COVID-19 pneumonia
 * lesions from CT images", IEEE TMI 2020): Σ|p − y|^γ / Σ(p + y) per class, γ = 1.5, between the Dice loss (γ = 2)
 * and a noise-robust, MAE-like loss (γ = 1); used alone, as PyMIC's NoiseRobustDiceLoss in its seg_nll example.
 * Everything else is the noisy-dice-ce baseline.
 *
 *   train_noisy ─ normalise ─ flip ─ crop 64² ─ batch ─┬─ image ─ predict(net) ─ logits ─┐
 *                                                      └─ noisy label ────────────────────┴─ nrdice ─ loss ─ optimise(net)
 *   valid ─ normalise ─ validate(net, every 50) → best checkpoint      test ─ normalise ─ evaluate(best)
 */
export function noisyNrdicePipeline(profile: DataProfile2D): PipelineDefinition {
  return pipeline({
    name: `${profile.prefix}noisy-nrdice`,
    description: 'Noisy labels: 2D U-Net trained with the noise-robust Dice loss (gamma = 1.5) on the half-corrupted training labels',
    reference: 'Wang et al. A Noise-Robust Framework for Automatic Segmentation of COVID-19 Pneumonia Lesions From CT Images. IEEE TMI 2020',
    data: profile.data,
    schedule: { iterations: profile.iterations, seed: 1 },
    nodes: noisyLabelNodes(profile, 'nrdice', stage('NoiseRobustDiceLoss', { gamma: 1.5 }, { prediction: 'predict.logits', label: 'batch.label' })),
  });
}

export default noisyNrdicePipeline(brainMr2d);
