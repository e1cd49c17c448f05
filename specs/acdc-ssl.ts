import { experiment } from '../src/experiments/experiment-spec.js';

/**
 * Semi-supervised learning on ACDC (PyMIC's setting: 10 % of the training patients labelled): the supervised baseline
 * on the labelled patients' slices only, mean teacher with the other patients' slices unlabelled, and supervised
 * training on every training patient as the upper bound. Test: 16 held-out patients' 32 volumes, predicted slice by
 * slice, Dice and HD95 per volume (pipelines/shared/acdc-2d.ts says what differs from PyMIC's configs).
 *
 *   npm run dataset -- import hdf5 PATH/TO/acdc-wsl4mis/volumes --out data/acdc
 *   npm run dataset -- split data/acdc --folds 5 --seed 1 --test 0.2 --labelled 0.1 --slices axial
 *   npm run experiment -- acdc-ssl [--queue redis://HOST:PORT]
 */
export default experiment({
  description: 'ACDC, 10% of the training patients labelled: supervised baseline, mean teacher, all labels (docs/results-acdc.md)',
  caption: 'ACDC test volumes (16 patients, fold 0), {iterations} iterations, seeds {seeds}, 5 of 51 training patients labelled; mean ± std over seeds.',
  classNames: ['background', 'RV', 'Myo', 'LV'],
  methods: [
    { name: 'supervised-10pct', pipeline: 'acdc-supervised', set: ['train.csv=train_labelled.csv'] },
    { name: 'mean-teacher', pipeline: 'acdc-mean-teacher' },
    { name: 'supervised-all', pipeline: 'acdc-supervised' },
  ],
  seeds: [1, 2, 3],
  iterations: 1200,
  // PyMIC's ACDC evaluation: each class's largest connected component; the table shows it beside the raw scores.
  postprocess: 'largest-component-per-class',
});
