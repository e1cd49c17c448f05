import { experiment } from '../src/experiments/experiment-spec.js';

/**
 * Scribble supervision on ACDC with the real manual scribbles (Valvano et al., IEEE TMI 2021), as PyMIC's and
 * WSL4MIS's ACDC results: partial cross-entropy, the baseline, and DMPLS. Every training patient's slices, their
 * scribbles only; validation and test against the expert masks. Test: 16 held-out patients' 32 volumes, predicted slice
 * by slice, Dice and HD95 per volume.
 *
 *   npm run experiment -- acdc-scribble [--queue redis://HOST:PORT]   (after the dataset commands of specs/acdc-ssl.ts)
 */
export default experiment({
  description: 'ACDC manual scribbles: partial cross-entropy and DMPLS (docs/results-acdc.md)',
  caption: 'ACDC test volumes (16 patients, fold 0), {iterations} iterations, seeds {seeds}, scribbles of 51 training patients; mean ± std over seeds.',
  classNames: ['background', 'RV', 'Myo', 'LV'],
  methods: [
    { name: 'pce', pipeline: 'acdc-scribble-pce' },
    { name: 'dmpls', pipeline: 'acdc-scribble-dmpls' },
  ],
  seeds: [1, 2, 3],
  // Long enough for the validation Dice of partial CE to level off (docs/results-acdc.md: flat over the last 1 250
  // iterations); validation every 250 keeps its cost near a tenth of a run.
  iterations: 5000,
  set: ['validate.every=250'],
  // PyMIC's ACDC evaluation: each class's largest connected component; the table shows it beside the raw scores.
  postprocess: 'largest-component-per-class',
});
