import { mkdirSync } from 'node:fs';
import path from 'node:path';
import { importDataset } from '../../src/datasets/import-dataset.js';
import { splitDataset } from '../../src/datasets/split-dataset.js';
import { weakLabelDataset } from '../../src/datasets/weak-dataset.js';
import { writeHdf5 } from '../io/hdf5-test-writer.js';

/** Side of the synthetic slices: the 2D U-Nets' five levels need a multiple of 16. */
export const ACDC_LIKE_SIDE = 32;

/**
 * The label of pixel (x, y) of a short-axis-like slice: LV (3) a disc, the myocardium (2) a ring around it, the RV (1)
 * a disc beside them, background (0) elsewhere; `shift` moves the heart a little per patient and slice.
 */
function heart(x: number, y: number, shift: number): number {
  const centre = ACDC_LIKE_SIDE / 2 + shift;
  const r = Math.hypot(x - centre, y - centre);
  if (r < 4) return 3;
  if (r < 7) return 2;
  return Math.hypot(x - (centre - 9), y - centre) < 5 ? 1 : 0;
}

/**
 * A tiny stand-in for the ACDC fold folder of pipelines/shared/acdc-2d.ts (`data/acdc/fold0`, which is not in the
 * repository), made as that file says the real one is: SSL4MIS/WSL4MIS-style HDF5 volumes of 6 patients (2 slices of
 * 32² each; label 0–3 = background, RV, Myo, LV; scribble with 4 = unannotated on a cross of strokes), imported with
 * `dataset import hdf5`, split by patient into axial slices (2 folds, 2 test patients, half of the training patients
 * labelled), and given noisy labels for half of fold 0's training cases with `dataset weak --noise`. So fold 0 holds
 * train.csv, train_labelled.csv, train_unlabelled.csv, train_scribble.csv, train_noisy.csv,
 * train_noisy_clean_split.csv, valid.csv and test.csv (slices), valid_volumes.csv and test_volumes.csv (whole volumes,
 * which the ACDC profile evaluates slice-wise). Returns the fold 0 folder.
 */
export async function writeAcdcLikeFold(root: string): Promise<string> {
  const volumes = path.join(root, 'h5');
  const dataset = path.join(root, 'acdc');
  mkdirSync(volumes, { recursive: true });
  const [Z, H, W] = [2, ACDC_LIKE_SIDE, ACDC_LIKE_SIDE];
  for (let p = 1; p <= 6; p++) {
    const label = new Uint8Array(Z * H * W);
    const scribble = new Uint16Array(Z * H * W);
    const image = new Float32Array(Z * H * W);
    for (let z = 0; z < Z; z++) {
      for (let y = 0; y < H; y++) {
        for (let x = 0; x < W; x++) {
          const i = x + W * (y + H * z);
          label[i] = heart(x, y, ((p + z) % 3) - 1);
          scribble[i] = y === H / 2 || x === W / 2 + 2 ? label[i] : 4;
          image[i] = 0.25 * label[i] + ((i * 7 + p) % 13) / 52;
        }
      }
    }
    await writeHdf5(path.join(volumes, `patient${String(p).padStart(3, '0')}_frame01.h5`), {
      image: { data: image, shape: [Z, H, W] },
      label: { data: label, shape: [Z, H, W] },
      scribble: { data: scribble, shape: [Z, H, W] },
    });
  }
  await importDataset({ format: 'hdf5', source: volumes, out: dataset });
  await splitDataset({ directory: dataset, folds: 2, seed: 1, test: 0.34, labelled: 0.5, slices: 'axial' });
  const fold0 = path.join(dataset, 'fold0');
  await weakLabelDataset({ directory: fold0, scribbles: false, noise: true, seed: 1 });
  return fold0;
}
