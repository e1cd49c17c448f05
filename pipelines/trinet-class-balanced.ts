import { pipeline, stage, type PipelineDefinition } from '../src/graph/pipeline-definition.js';
import { brainMr2d } from './shared/brain-mr-2d.js';
import { classCountOf, type DataProfile2D } from './shared/data-profile.js';
import { trinetPipeline } from './trinet.js';

/**
 * Tri-network with each selection ranked within each (noisy) label class: every network trains on the pixels both
 * others rank, within their class, among the 1 − forget rate smallest losses (SmallLossSelection scope 'class',
 * intersection of the two maps), instead of ranking the whole batch. micflow's variant, not in PyMIC or the paper; the
 * reason is `coteaching-class-balanced`'s: batch-wide ranking leaves the small structures out of training. Everything
 * else is `trinet`'s graph.
 */
export function trinetClassBalancedPipeline(profile: DataProfile2D): PipelineDefinition {
  const trinet = trinetPipeline(profile);
  const classes = classCountOf(profile);
  const perClass = (maps: string[]) =>
    stage('SmallLossSelection', { combine: 'intersection', scope: 'class', classes }, { lossMaps: maps, forgetRate: 'forgetRate', label: 'batch.label' });
  return pipeline({
    ...trinet,
    name: `${profile.prefix}trinet-class-balanced`,
    description: 'Tri-network with small-loss selection ranked within each label class (micflow variant)',
    nodes: {
      ...trinet.nodes,
      selectForA: perClass(['lossMapB', 'lossMapC']),
      selectForB: perClass(['lossMapA', 'lossMapC']),
      selectForC: perClass(['lossMapA', 'lossMapB']),
    },
  });
}

export default trinetClassBalancedPipeline(brainMr2d);
