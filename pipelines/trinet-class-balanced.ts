import { pipeline, stage } from '../src/graph/pipeline-definition.js';
import trinet from './trinet.js';

/**
 * Tri-network with each selection ranked within each (noisy) label class: every network trains on the pixels both
 * others rank, within their class, among the 1 − forget rate smallest losses (SmallLossSelection scope 'class',
 * intersection of the two maps), instead of ranking the whole batch. micflow's variant, not in PyMIC or the paper; the
 * reason is `coteaching-class-balanced`'s: batch-wide ranking leaves the small structures out of training. Everything
 * else is `trinet`'s graph.
 */
const perClass = (maps: string[]) =>
  stage('SmallLossSelection', { combine: 'intersection', scope: 'class', classes: 5 }, { lossMaps: maps, forgetRate: 'forgetRate', label: 'batch.label' });

export default pipeline({
  ...trinet,
  name: 'trinet-class-balanced',
  description: 'Tri-network with small-loss selection ranked within each label class (micflow variant)',
  nodes: {
    ...trinet.nodes,
    selectForA: perClass(['lossMapB', 'lossMapC']),
    selectForB: perClass(['lossMapA', 'lossMapC']),
    selectForC: perClass(['lossMapA', 'lossMapB']),
  },
});
