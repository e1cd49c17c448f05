import { experiment } from '../src/experiments/experiment-spec.js';

/**
 * Noisy labels on ACDC, simulated by the project's noise generator on half of the training slices
 * (`npm run dataset -- weak data/acdc/fold0 --noise --seed 1`: erosion, dilation, shifts, small rotations and scalings,
 * dropped and spurious components): Dice + CE against the noise-robust Dice loss. Test: 16 held-out patients' 32
 * volumes, predicted slice by slice, Dice and HD95 per volume.
 *
 *   npm run experiment -- acdc-noisy [--queue redis://HOST:PORT]   (after the dataset commands of specs/acdc-ssl.ts and the weak one)
 */
export default experiment({
  description: 'ACDC with half of the training slices given simulated noisy labels: Dice + CE and noise-robust Dice (docs/results-acdc.md)',
  caption: 'ACDC test volumes (16 patients, fold 0), {iterations} iterations, seeds {seeds}, 495 of 990 training slices with noisy labels; mean ± std over seeds.',
  classNames: ['background', 'RV', 'Myo', 'LV'],
  methods: [
    { name: 'dice-ce', pipeline: 'acdc-noisy-dice-ce' },
    { name: 'nrdice', pipeline: 'acdc-noisy-nrdice' },
  ],
  seeds: [1, 2, 3],
  iterations: 1200,
  // PyMIC's ACDC evaluation: each class's largest connected component; the table shows it beside the raw scores.
  postprocess: 'largest-component-per-class',
});
