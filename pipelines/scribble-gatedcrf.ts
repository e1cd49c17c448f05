import { pipeline, stage, type PipelineDefinition } from '../src/graph/pipeline-definition.js';
import { brainMr2d } from './shared/brain-mr-2d.js';
import type { DataProfile2D } from './shared/data-profile.js';
import { scribbleRegulariserNodes } from './shared/scribble-regulariser-nodes.js';

/**
 * Scribble supervision with the gated CRF loss (Obukhov, Georgoulis, Dai, Van Gool, "Gated CRF loss for weakly
 * supervised semantic image segmentation", arXiv:1906.04651, 2019; PyMIC's WSLGatedCRF): partial cross-entropy on
 * the scribbled pixels plus a Potts CRF energy that asks pixels close in position and intensity to agree, over an
 * 11×11 neighbourhood (radius 5) with PyMIC's two kernels (weight 1, xy bandwidth 5, intensity bandwidth 0.1 on the
 * normalised image; weight 1, xy bandwidth 3), weighted by a sigmoid ramp-up to 0.1 over the profile's
 * ramp-up (the first 300 iterations on the bundled data).
 *
 *   batch ─┬─ image ─┬─ predict(net) ─ logits ─┬─ pce ──────────────────────────────┐
 *          │         └─────────────────────────┴─ crf(logits, image) ─ × rampup ─┴─ loss ─ optimise(net)
 *          └─ label ─ scribble ─ label, mask ─ pce
 *
 * Same data, crops, network, iterations (600 on the bundled data) and validation / checkpoint / evaluation nodes as
 * scribble-pce.
 */
export function scribbleGatedcrfPipeline(profile: DataProfile2D): PipelineDefinition {
  return pipeline({
    name: `${profile.prefix}scribble-gatedcrf`,
    description: 'Scribble supervision: partial cross-entropy plus the gated CRF loss (ramped)',
    reference: 'Obukhov et al. Gated CRF Loss for Weakly Supervised Semantic Image Segmentation. arXiv:1906.04651, 2019',
    data: profile.data,
    schedule: { iterations: profile.iterations, seed: 1 },
    nodes: scribbleRegulariserNodes(
      profile,
      'crf',
      stage(
        'GatedCRFLoss',
        { kernels: [{ weight: 1, xy: 5, image: 0.1 }, { weight: 1, xy: 3 }], radius: 5 },
        { prediction: 'predict.logits', image: 'batch.image' },
      ),
    ),
  });
}

export default scribbleGatedcrfPipeline(brainMr2d);
