import { stage, type NodeDefinition } from '../../src/graph/pipeline-definition.js';
import type { AugmentedBatchBranchOptions, DataProfile2D, ValidationAndTestNodesOptions } from './data-profile.js';

/**
 * ACDC cardiac cine MRI (Bernard et al., IEEE TMI 2018) as 2D short-axis slices, after PyMIC's ACDC examples
 * (PyMIC_examples seg_ssl/ACDC and seg_wsl/ACDC): 4 classes (background, right ventricle, myocardium, left ventricle),
 * slices normalised by their mean and std, rotated by up to ±90°, flipped, zero-padded and randomly cropped, gamma and
 * Gaussian noise augmentation, Dice + cross-entropy, Adam 1e-3; whole-slice validation keeps the best checkpoint and
 * the test slices of held-out patients are evaluated with it.
 *
 * The data root is a fold folder written by
 *
 *   npm run dataset -- import hdf5 PATH/TO/acdc-wsl4mis/volumes --out data/acdc
 *   npm run dataset -- split data/acdc --folds 5 --seed 1 --test 0.2 --labelled 0.1 --slices axial
 *
 * (`data/acdc/fold0` by default; `--data data/acdc/fold3` for another fold): train.csv (every training slice),
 * train_labelled.csv / train_unlabelled.csv (10 % of the training patients labelled, the rest unlabelled),
 * train_scribble.csv (the manual scribbles of Valvano et al. 2021, 4 = unannotated), valid.csv and test.csv (slices),
 * valid_volumes.csv and test_volumes.csv (whole volumes), split by patient. The data is not part of micflow (CC BY-NC-SA): bring your own copy.
 *
 * What differs from PyMIC's configs, and why: PyMIC trains UNet2D 16-256 on 6 slices of 192² (2.5D batches) for 30 000
 * iterations; on a 2-core machine that is ≈ 7 h per run, so this profile trains the same UNet2D topology at half the
 * width (8-128) on batches of 4 crops of 128² for 2 000 iterations (≈ 0.15 s each here), validates on the validation
 * slices every 200, and ramps unsupervised and pseudo-label terms up over the first 1 000. Validation is per slice;
 * the test volumes are predicted slice by slice and scored per volume (`test_volumes.csv`). `--set schedule.iterations=30000`, `--set net.features=[16,32,64,128,256]`
 * and the crop node's `size` restore PyMIC's scale where the hardware allows.
 */
export const acdcClassNames: readonly string[] = ['background', 'RV', 'Myo', 'LV'];

const crop = [128, 128] as const;

function trainBranch(options: AugmentedBatchBranchOptions): Record<string, NodeDefinition> {
  const { source, batch, dataset, crop: cropOptions = {} } = options;
  return {
    [source]: stage('CsvDataset', { ...dataset }),
    [`${source}Normalised`]: stage('NormalizeWithMeanStd', {}, { samples: source }),
    [`${source}Rotated`]: stage('RandomRotate', { angleRange: [-90, 90], probability: 0.5 }, { samples: `${source}Normalised` }),
    [`${source}Flipped`]: stage('RandomFlip', { horizontal: 0.5, vertical: 0.5 }, { samples: `${source}Rotated` }),
    [`${source}Padded`]: stage('Pad', { size: [...crop] }, { samples: `${source}Flipped` }),
    [`${source}Cropped`]: stage('RandomCrop', { size: [...crop], ...cropOptions }, { samples: `${source}Padded` }),
    [`${source}Gamma`]: stage('GammaCorrection', { gammaRange: [0.7, 1.5], probability: 0.5 }, { samples: `${source}Cropped` }),
    [`${source}Noisy`]: stage('GaussianNoise', { std: 0.05, probability: 0.5 }, { samples: `${source}Gamma` }),
    [batch]: stage('Batch', { size: 4 }, { samples: `${source}Noisy` }),
  };
}

function validationAndTestNodes(options: ValidationAndTestNodesOptions): Record<string, NodeDefinition> {
  const { net } = options;
  const classNames = acdcClassNames;
  return {
    valid: stage('CsvDataset', { csv: 'valid.csv', classes: classNames.length }),
    validNormalised: stage('NormalizeWithMeanStd', {}, { samples: 'valid' }),
    validate: stage('Validate', { every: 200, classNames }, { net, samples: 'validNormalised' }),
    // Test volumes, each predicted slice by slice and scored as one 3D case (Dice and HD95 per volume, as ACDC
    // results are reported); each slice normalised on its own, as in training.
    test: stage('CsvDataset', { csv: 'test_volumes.csv', classes: classNames.length }),
    testSlices: stage('NormalizeWithMeanStd', { perSlice: true }, { samples: 'test' }),
    evaluate: stage('EvaluateSegmentation', { checkpoint: 'best', classNames, sliceWise: true }, { net, samples: 'testSlices' }),
  };
}

/** The ACDC 2D profile of the method pipelines (`pipelines/acdc-*.ts`). */
export const acdc2d: DataProfile2D = {
  prefix: 'acdc-',
  data: 'data/acdc/fold0',
  dataDescription: 'on ACDC cardiac MRI slices (data/acdc/fold0)',
  classNames: acdcClassNames,
  features: [8, 16, 32, 64, 128],
  iterations: 2000,
  rampupEnd: 1000,
  trainBranch,
  validationAndTestNodes,
};
