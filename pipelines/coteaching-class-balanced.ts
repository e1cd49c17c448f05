import { pipeline, stage } from '../src/graph/pipeline-definition.js';
import coteaching from './coteaching.js';

const CLASS_NAMES = ['background', 'caudate', 'putamen', 'thalamus', 'hippocampus'];

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
export default pipeline({
  ...coteaching,
  name: 'coteaching-class-balanced',
  description: 'Co-teaching with small-loss selection ranked within each label class (micflow variant)',
  nodes: {
    ...coteaching.nodes,
    selectForA: stage('SmallLossSelection', { scope: 'class', classes: 5 }, { lossMaps: ['lossMapB'], forgetRate: 'forgetRate', label: 'batch.label' }),
    selectForB: stage('SmallLossSelection', { scope: 'class', classes: 5 }, { lossMaps: ['lossMapA'], forgetRate: 'forgetRate', label: 'batch.label' }),
    droppedForA: stage('DroppedFractionByClass', { classNames: CLASS_NAMES }, { mask: 'selectForA.mask', label: 'batch.label' }),
  },
});
