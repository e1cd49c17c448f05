import { experiment } from '../src/experiments/experiment-spec.js';

/**
 * Scribble-supervised comparison on the bundled data: scribbles generated from the 33 training masks
 * (fixtures/brain-mr-2d/train_scribble.csv); baseline partial cross-entropy.
 *
 *   npm run experiment -- scribble [--methods scribble-pce,scribble-dmpls] [--seeds 1,2,3] [--queue redis://HOST:PORT]
 */
export default experiment({
  description: 'scribble-supervised methods against partial cross-entropy (docs/results.md)',
  caption: 'Test split, {iterations} iterations, seeds {seeds}, trained on scribbles generated from the 33 training masks (fixtures/brain-mr-2d/train_scribble.csv); mean ± std over seeds.',
  classNames: ['background', 'caudate', 'putamen', 'thalamus', 'hippocampus'],
  methods: ['scribble-pce', 'scribble-entmin', 'scribble-gatedcrf', 'scribble-mumford-shah', 'scribble-tv', 'scribble-ustm', 'scribble-dmpls', 'scribble-dmsps'],
  seeds: [1, 2, 3],
  iterations: 600,
});
