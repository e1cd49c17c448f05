import { pipeline, stage, type PipelineDefinition } from '../src/graph/pipeline-definition.js';
import { brainMr2d } from './shared/brain-mr-2d.js';
import { type DataProfile2D, iterationAt } from './shared/data-profile.js';
import { noisyLabelNodes } from './shared/noisy-label-nodes.js';

/**
 * Confident learning with spatial label smoothing regularisation (M. Zhang, J. Gao et al., "Characterizing label
 * errors: confident learning for noisy-labeled image segmentation", MICCAI 2020; PyMIC's NLLCLSLSR + SLSRLoss):
 * confident learning flags the pixels whose label the network confidently contradicts (per-class thresholds, confident
 * joint off-diagonal), and the loss is cross-entropy against labels smoothed towards ½ (ε = 0.25) at those pixels.
 * PyMIC runs confident learning once, offline, with a network already trained on the noisy labels; here it runs online
 * on each batch from the network's own stop-gradient predictions, from a third of the profile's iterations on (200 of
 * the bundled data's 600; before that nothing is flagged and the loss is plain cross-entropy). SLSR is used alone, as
 * in PyMIC's seg_nll example. Everything else is the noisy-dice-ce baseline. Measured on the bundled data (seed 1):
 * from iteration 200 to 240 confident learning flags 18–33% of a batch's pixels, while the corrupted labels differ from
 * the clean ones at 1.5% of the training pixels: classes the half-trained network has not learnt yet get low
 * thresholds, so this online variant smooths far more labels than are wrong.
 *
 *   train_noisy ─ normalise ─ flip ─ crop 64² ─ batch ─┬─ image ─ predict(net) ─┬─ logits ────────────────────┐
 *                                                      │                        └─ prob ─ confident(from 200) ─┤ noisyMask
 *                                                      └─ noisy label ─────────────────────────────┴───────────┴─ slsr ─ loss ─ optimise(net)
 *   valid ─ normalise ─ validate(net, every 50) → best checkpoint      test ─ normalise ─ evaluate(best)
 */
export function noisySlsrPipeline(profile: DataProfile2D): PipelineDefinition {
  const confidentFrom = iterationAt(profile, 1 / 3);
  return pipeline({
    name: `${profile.prefix}noisy-slsr`,
    description: `Noisy labels: 2D U-Net with cross-entropy smoothed at pixels confident learning flags (online, from iteration ${confidentFrom})`,
    reference: 'Zhang, Gao et al. Characterizing Label Errors: Confident Learning for Noisy-Labeled Image Segmentation. MICCAI 2020',
    data: profile.data,
    schedule: { iterations: profile.iterations, seed: 1 },
    nodes: noisyLabelNodes(
      profile,
      'slsr',
      stage('SLSRLoss', { epsilon: 0.25 }, { prediction: 'predict.logits', label: 'batch.label', noisyMask: 'confident.mask' }),
      { confident: stage('ConfidentLearningMask', { start: confidentFrom }, { prob: 'predict.prob', label: 'batch.label' }) },
    ),
  });
}

export default noisySlsrPipeline(brainMr2d);
