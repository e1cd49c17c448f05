import path from 'node:path';
import { parseArgs } from 'node:util';
import { parseClassNames } from '../datasets/dataset-manifest.js';
import { IMPORT_FORMATS, importDataset, type ImportFormat } from '../datasets/import-dataset.js';
import { SPLIT_FILES, splitDataset } from '../datasets/split-dataset.js';
import { weakLabelDataset } from '../datasets/weak-dataset.js';
import { MicflowError } from '../errors/micflow-error.js';
import { runCommand } from './report-cli-error.js';

const usage = `usage: npm run dataset -- import msd|hdf5|acdc SRC --out DIR [--classes a,b,c] [--subject REGEX]
       npm run dataset -- import folder --images DIR [--masks DIR] --out DIR [--classes a,b,c] [--binary-masks] [--subject REGEX]
       npm run dataset -- split DIR --folds K [--seed S] [--by subject] [--test F] [--labelled F] [--slices axial] [--list all.csv]
       npm run dataset -- weak DIR --scribbles | --noise [--seed S] [--list train.csv] [--classes a,b,c] [--set noise.fraction=0.3 ...]

import  reads a dataset in its own layout and writes DIR/images, DIR/labels (DIR/scribbles when the source has them)
        as NIfTI (.nii.gz, geometry kept), DIR/all.csv (image[, image_1...], label[, scribble], subject, ...), the
        cases without labels in DIR/unlabelled.csv, and the class names in DIR/classes.json. Nothing is left behind
        on an error. Formats:
  msd     SRC/dataset.json, imagesTr/<case>_0000.nii.gz (_0001... more channels), labelsTr/<case>.nii.gz, imagesTs/
          (MSD or nnU-Net raw; class and channel names from dataset.json); subject = case
  hdf5    SRC/*.h5, each with datasets image (z×H×W float), label (uint8), optional scribble (4 = unannotated), as
          SSL4MIS/WSL4MIS store ACDC; subject = patientNNN; no spacing is stored: written as 1 mm
  acdc    SRC/patientNNN/patientNNN_frameMM.nii.gz with _gt.nii.gz and Info.cfg (or under SRC/training, SRC/testing);
          subject = patient; extra columns group and phase (ED/ES)
  folder  --images DIR and --masks DIR matched by file name without extension, any format micflow reads; subject = case
  --out DIR          a new (or empty) folder
  --classes a,b,c    class names, background first (default: from the source; ACDC: background,RV,Myo,LV)
  --subject REGEX    subject = the first group (or the match) of REGEX on the case name, e.g. '^(patient\\d+)'
  --binary-masks     (folder) every non-zero mask value is class 1, for masks saved as 0/255

split   per-subject folds of DIR/all.csv: DIR/fold{k}/${SPLIT_FILES.train}, ${SPLIT_FILES.valid} (fold k validates, the others
        train), each fold folder a data root for a pipeline (--data DIR/fold0); DIR/split.json records the subjects.
  --folds K          number of folds (≥ 2); fold sizes differ by at most one subject
  --seed S           seed of the shuffle (default 1); the same seed gives the same split
  --by COLUMN        the column that groups cases (default subject): no group is on both sides of any split
  --test F           hold out a fixed F of the subjects as fold{k}/${SPLIT_FILES.test}, the same in every fold
  --labelled F       semi-supervised: F of each fold's training subjects in ${SPLIT_FILES.labelled}, the rest in
                     ${SPLIT_FILES.unlabelled}
  --slices axial     write every volume's axial slices (x×y×1 NIfTI, read as 2D) into DIR/slices and list those,
                     with the subject, volume and slice index, for the 2D pipelines; the validation and test
                     subjects' whole volumes also go to ${SPLIT_FILES.validVolumes} and ${SPLIT_FILES.testVolumes} (per-volume scores)
  (a scribble column also gives fold{k}/${SPLIT_FILES.scribble}, the scribbles as labels)

weak    scribbles and/or noisy labels for a list of DIR (default train.csv, else all.csv) with the project's generators:
        DIR/scribble/ + <list>_scribble.csv, DIR/noisy/ + <list>_noisy.csv and <list>_noisy_clean_split.csv,
        DIR/WEAK-LABELS.md; class names from DIR/classes.json (or --classes)
  --scribbles        synthetic scribbles of every label
  --noise            noisy labels for a fraction of the cases (noise.fraction, default 0.5)
  --set G.KEY=VALUE  generator option, G scribble or noise, e.g. scribble.coverage.min=0.05, noise.erosion.probability=0.5
  --seed S           seed of every random choice (default 1)`;

const importOptions = ['out', 'classes', 'subject', 'images', 'masks', 'binary-masks'];
const splitOptions = ['folds', 'seed', 'by', 'test', 'labelled', 'slices', 'list'];
const weakOptions = ['scribbles', 'noise', 'seed', 'list', 'classes', 'set'];

function fraction(text: string | undefined, flag: string, open: boolean): number | undefined {
  if (text === undefined) return undefined;
  const value = Number(text);
  if (!(value > 0 && value < 1) && !(!open && value === 0)) throw new MicflowError('invalid-argument', `${flag} ${text}: expected a fraction between 0 and 1 (e.g. 0.1)`);
  return value;
}

function integer(text: string | undefined, flag: string, fallback?: number): number {
  if (text === undefined) {
    if (fallback === undefined) throw new MicflowError('invalid-argument', `${flag} is required\n${usage}`);
    return fallback;
  }
  const value = Number(text);
  if (!Number.isInteger(value)) throw new MicflowError('invalid-argument', `${flag} ${text}: expected an integer`);
  return value;
}

const seconds = (started: number) => `${((performance.now() - started) / 1000).toFixed(1)} s`;

export async function main(argv: readonly string[]): Promise<number> {
  let parsed;
  try {
    parsed = parseArgs({
      args: [...argv],
      allowPositionals: true,
      options: {
        out: { type: 'string' },
        classes: { type: 'string' },
        subject: { type: 'string' },
        images: { type: 'string' },
        masks: { type: 'string' },
        'binary-masks': { type: 'boolean' },
        folds: { type: 'string' },
        seed: { type: 'string' },
        by: { type: 'string' },
        test: { type: 'string' },
        labelled: { type: 'string' },
        slices: { type: 'string' },
        list: { type: 'string' },
        scribbles: { type: 'boolean' },
        noise: { type: 'boolean' },
        set: { type: 'string', multiple: true },
        help: { type: 'boolean', short: 'h', default: false },
      },
    });
  } catch (error) {
    throw new MicflowError('invalid-argument', `${(error as Error).message}\n${usage}`);
  }
  const { values, positionals } = parsed;
  if (values.help) {
    process.stdout.write(`${usage}\n`);
    return 0;
  }
  const [action, ...rest] = positionals;
  const allowed = action === 'import' ? importOptions : action === 'split' ? splitOptions : action === 'weak' ? weakOptions : undefined;
  if (!allowed) throw new MicflowError('invalid-argument', `${action === undefined ? 'name an action' : `unknown action "${action}"`}: import, split or weak\n${usage}`);
  const misplaced = Object.keys(values).filter((k) => k !== 'help' && values[k as keyof typeof values] !== undefined && !allowed.includes(k));
  if (misplaced.length) throw new MicflowError('invalid-argument', `${misplaced.map((m) => `--${m}`).join(', ')} ${misplaced.length > 1 ? 'are not options' : 'is not an option'} of ${action}\n${usage}`);
  const classNames = values.classes === undefined ? undefined : parseClassNames(values.classes);
  const started = performance.now();

  if (action === 'import') {
    const [format, source] = rest;
    if (!IMPORT_FORMATS.includes(format as ImportFormat)) {
      throw new MicflowError('invalid-argument', `${format === undefined ? 'name a format' : `unknown format "${format}"`}: ${IMPORT_FORMATS.join(', ')}\n${usage}`);
    }
    if (!values.out) throw new MicflowError('invalid-argument', `--out DIR is required\n${usage}`);
    let sourceFolder: string;
    if (format === 'folder') {
      if (!values.images) throw new MicflowError('invalid-argument', `import folder needs --images DIR (and --masks DIR)\n${usage}`);
      if (source !== undefined) throw new MicflowError('invalid-argument', `import folder takes --images and --masks, not a source folder (got ${source})`);
      sourceFolder = values.images;
    } else {
      if (values.images || values.masks || values['binary-masks']) throw new MicflowError('invalid-argument', `--images, --masks and --binary-masks are for import folder, not ${format}`);
      if (source === undefined || rest.length > 2) throw new MicflowError('invalid-argument', `import ${format} takes one source folder (got ${rest.length - 1})\n${usage}`);
      sourceFolder = source;
    }
    let subjectPattern: RegExp | undefined;
    if (values.subject !== undefined) {
      try {
        subjectPattern = new RegExp(values.subject);
      } catch (error) {
        throw new MicflowError('invalid-argument', `--subject ${values.subject}: not a regular expression (${(error as Error).message})`);
      }
    }
    const summary = await importDataset({
      format: format as ImportFormat,
      source: sourceFolder,
      masks: values.masks,
      out: values.out,
      classNames,
      subjectPattern,
      binaryMasks: values['binary-masks'],
      onCase: (index, total, id) => {
        if (total <= 20 || (index + 1) % 10 === 0 || index + 1 === total) process.stdout.write(`[${index + 1}/${total}] ${id}\n`);
      },
    });
    const m = summary.manifest;
    process.stdout.write(
      `imported ${summary.cases} labelled case${summary.cases === 1 ? '' : 's'} of ${summary.subjects} subject${summary.subjects === 1 ? '' : 's'}` +
        `${summary.scribbles ? ` (with scribbles)` : ''}${summary.unlabelled ? ` and ${summary.unlabelled} unlabelled` : ''} into ${summary.out} in ${seconds(started)}\n` +
        `classes: ${m.names.join(', ')}; image columns: ${m.imageColumns.join(', ')}${m.channelNames && m.channelNames.length > 1 ? ` (${m.channelNames.join(', ')})` : ''}\n` +
        m.notes.map((n) => `note: ${n}\n`).join(''),
    );
    return 0;
  }

  const [directory, ...extra] = rest;
  if (directory === undefined || extra.length) throw new MicflowError('invalid-argument', `${action} takes one dataset folder (got ${rest.length})\n${usage}`);
  const seed = integer(values.seed, '--seed', 1);

  if (action === 'split') {
    if (values.slices !== undefined && values.slices !== 'axial') throw new MicflowError('invalid-argument', `--slices ${values.slices}: only axial slices are written (the volumes' third axis)`);
    const summary = await splitDataset({
      directory,
      list: values.list,
      by: values.by,
      folds: integer(values.folds, '--folds'),
      seed,
      test: fraction(values.test, '--test', false),
      labelled: fraction(values.labelled, '--labelled', true),
      slices: values.slices as 'axial' | undefined,
      onVolume: (index, total) => {
        if ((index + 1) % 20 === 0 || index + 1 === total) process.stdout.write(`sliced ${index + 1}/${total} volumes\n`);
      },
    });
    const unit = values.slices ? 'slices' : 'cases';
    const lines = [`split ${summary.volumes} cases of ${summary.subjects} subjects into ${summary.split.folds.length} folds (seed ${seed}) in ${seconds(started)}${values.slices ? `; ${summary.slices} axial slices` : ''}`];
    if (summary.split.test.length) lines.push(`test: ${summary.split.test.length} subjects, ${summary.testRows} ${unit}`);
    for (const [k, fold] of summary.split.folds.entries()) {
      const rows = summary.rows[k];
      const parts = [`train ${fold.train.length} subjects (${rows.train} ${unit})`, `valid ${fold.valid.length} (${rows.valid})`];
      if (fold.labelled) parts.push(`labelled ${fold.labelled.length} (${rows.labelled})`, `unlabelled ${fold.train.length - fold.labelled.length} (${rows.unlabelled})`);
      lines.push(`fold${k}: ${parts.join(', ')}`);
    }
    if (!summary.split.test.length) lines.push(`no ${SPLIT_FILES.test}: the bundled pipelines evaluate the best checkpoint on one; give --test F to hold out a test set`);
    lines.push(`lists in ${path.join(path.resolve(directory), 'fold*')}; e.g. npm run pipeline -- supervised --data ${path.join(directory, 'fold0')} --set net.classes=N`);
    process.stdout.write(`${lines.join('\n')}\n`);
    return 0;
  }

  const report = await weakLabelDataset({
    directory,
    list: values.list,
    scribbles: values.scribbles ?? false,
    noise: values.noise ?? false,
    seed,
    classNames,
    set: values.set,
    command: `npm run dataset -- ${argv.join(' ')}`,
  });
  const parts = [`weak labels for ${report.cases} cases of ${report.list} in ${seconds(started)}: ${report.lists.join(', ')}`];
  if (values.scribbles) parts.push(`scribble coverage ${report.scribbleCoverage.map((s) => `${s.className} ${(100 * s.meanCoverage).toFixed(1)}%`).join(', ')}`);
  if (values.noise) parts.push(`${report.noisyCases.length} noisy cases, mean foreground Dice ${report.meanNoisyDice.toFixed(3)}`);
  process.stdout.write(`${parts.join('; ')}\n`);
  return 0;
}

runCommand(main);
