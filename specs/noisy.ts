import { experiment } from '../src/experiments/experiment-spec.js';

/**
 * Noisy-label comparison on the bundled data: 50% of the training cases' labels corrupted
 * (fixtures/brain-mr-2d/train_noisy.csv); baseline Dice + CE on the noisy labels; noisy-ce (CE only) is the
 * like-for-like baseline of coteaching and trinet, which train on CE alone.
 *
 *   npm run experiment -- noisy [--methods noisy-dice-ce,noisy-nrdice] [--seeds 1,2,3] [--queue redis://HOST:PORT]
 */
export default experiment({
  description: 'noisy-label methods against Dice + CE on 50% corrupted labels (docs/results.md)',
  caption: "Test split, {iterations} iterations, seeds {seeds}, trained with 50% of the 33 training cases' labels corrupted (fixtures/brain-mr-2d/train_noisy.csv); mean ± std over seeds.",
  classNames: ['background', 'caudate', 'putamen', 'thalamus', 'hippocampus'],
  methods: ['noisy-dice-ce', 'noisy-ce', 'noisy-gce', 'noisy-nrdice', 'noisy-slsr', 'coteaching', 'coteaching-class-balanced', 'trinet', 'trinet-class-balanced', 'dast'],
  seeds: [1, 2, 3],
  iterations: 600,
});
