import { pipeline, stage, type PipelineDefinition } from '../src/graph/pipeline-definition.js';
import { coteachingPipeline } from './coteaching.js';
import { brainMr2d } from './shared/brain-mr-2d.js';
import { classCountOf, type DataProfile2D } from './shared/data-profile.js';

/**
 * Co-teaching with the small-loss selection ranked within each (noisy) label class: each network keeps, of every class,
 * the 1 − forget rate fraction of its pixels with the smallest partner loss (SmallLossSelection scope 'class'), instead
 * of that fraction of the whole batch. micflow's variant, not in PyMIC or the paper: on the bundled data the batch-wide
 * ranking of `coteaching` leaves most small-structure pixels out of training (its droppedForA probe: 62–99% of each
 * structure's pixels against 7% of the background at forget rate 0.2), since their losses are the largest whether or not
 * they are mislabelled. Everything else is `coteaching`'s graph.
 *
 *   lossMapB ─┬─ selectForA (per class) ─ ceA        lossMapA ─┬─ selectForB (per class) ─ ceB
 *   label ────┘                                     label ────┘
 */
export function coteachingClassBalancedPipeline(profile: DataProfile2D): PipelineDefinition {
  const coteaching = coteachingPipeline(profile);
  const classes = classCountOf(profile);
  return pipeline({
    ...coteaching,
    name: `${profile.prefix}coteaching-class-balanced`,
    description: 'Co-teaching with small-loss selection ranked within each label class (micflow variant)',
    nodes: {
      ...coteaching.nodes,
      selectForA: stage('SmallLossSelection', { scope: 'class', classes }, { lossMaps: ['lossMapB'], forgetRate: 'forgetRate', label: 'batch.label' }),
      selectForB: stage('SmallLossSelection', { scope: 'class', classes }, { lossMaps: ['lossMapA'], forgetRate: 'forgetRate', label: 'batch.label' }),
      droppedForA: stage('DroppedFractionByClass', { classNames: [...profile.classNames] }, { mask: 'selectForA.mask', label: 'batch.label' }),
    },
  });
}

export default coteachingClassBalancedPipeline(brainMr2d);
