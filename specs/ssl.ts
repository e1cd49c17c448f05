import { experiment } from '../src/experiments/experiment-spec.js';

/**
 * Semi-supervised comparison on the bundled data: each method and the supervised baseline trained on the same ~10%
 * labelled slices (fixtures/brain-mr-2d/train_labelled.csv; the SSL methods also read train_unlabelled.csv) for the
 * same iterations and seeds, each scored on the test split (Dice and HD95 per class, best validation checkpoint).
 *
 *   npm run experiment -- ssl [--methods supervised,urpc] [--seeds 1,2,3] [--iterations 600] [--queue redis://HOST:PORT]
 */
export default experiment({
  description: 'semi-supervised methods against the supervised baseline on 4 labelled slices (docs/results.md)',
  caption: 'Test split, {iterations} iterations, seeds {seeds}, 4 labelled training slices (~10%); mean ± std over seeds.',
  classNames: ['background', 'caudate', 'putamen', 'thalamus', 'hippocampus'],
  methods: [
    // The baseline is the supervised pipeline restricted to the labelled slices the SSL methods get.
    { name: 'supervised', pipeline: 'supervised', set: ['train.csv=train_labelled.csv'] },
    'entmin',
    'mean-teacher',
    'cps',
    'uamt',
    'urpc',
    'cct',
    'mcnet',
  ],
  seeds: [1, 2, 3],
  iterations: 600,
});
