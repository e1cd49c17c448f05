import { mkdir, rm, writeFile } from 'node:fs/promises';
import path from 'node:path';
import { MicflowError } from '../errors/micflow-error.js';
import type { LabelArray } from '../images/image-array.js';
import { labelValues, rowMajorGrid } from '../io/image-geometry.js';
import type { MedicalImage } from '../io/medical-image.js';
import { readCsvTable } from '../io/read-csv-table.js';
import { readImage, writeImage } from '../io/read-image.js';
import { csvText } from '../io/write-csv-table.js';
import { classwiseDice } from '../metrics/dice-score.js';
import { SeededRandom } from '../runtime/seeded-random.js';
import { classPixelCounts } from './label-grid.js';
import { labelNoiseOptionsSchema, makeNoisyLabelSet, type LabelNoiseOperation, type LabelNoiseOptions } from './label-noise-generator.js';
import { parseWeakLabelOptions } from './parse-weak-label-options.js';
import { generateScribbles, scribbleOptionsSchema, type ScribbleOptions, type ScribbleResult } from './scribble-generator.js';

/** Folders and lists written next to the training list (the scribble and noisy-label pipelines read these names). */
export const WEAK_LABEL_FILES = {
  scribbleFolder: 'scribble',
  scribbleList: 'train_scribble.csv',
  noisyFolder: 'noisy',
  noisyList: 'train_noisy.csv',
  noisyCleanSplitList: 'train_noisy_clean_split.csv',
  report: 'WEAK-LABELS.md',
} as const;

export interface WeakLabelFixtureOptions {
  /** The dataset folder; CSV paths are relative to it. */
  readonly root: string;
  /**
   * The training list inside `root` (columns image, label; other columns are kept in the lists written). The lists
   * written are named after it: train.csv gives train_scribble.csv, train_noisy.csv, train_noisy_clean_split.csv.
   */
  readonly trainList?: string;
  /** Which variants to write (default both); the other's files are left alone. */
  readonly kinds?: { readonly scribbles: boolean; readonly noise: boolean };
  /**
   * Whether the report speaks of the bundled fixture (its PROVENANCE.md); false for any other dataset folder
   * (`npm run dataset -- weak`). Default true.
   */
  readonly fixture?: boolean;
  /** Class names, background first; their count is the class count. */
  readonly classNames: readonly string[];
  /** One seed for everything; scribbles derive a stream per case name, noise per selection and case name. */
  readonly seed: number;
  readonly scribble?: Omit<ScribbleOptions, 'classes' | 'seed'>;
  readonly noise?: Omit<LabelNoiseOptions, 'classes' | 'seed'>;
  /** The command that regenerates the output, quoted in the report. */
  readonly command?: string;
}

export interface ScribbleCoverageStatistics {
  readonly className: string;
  /** Cases in which the class is present. */
  readonly cases: number;
  readonly meanCoverage: number;
  readonly minCoverage: number;
  readonly maxCoverage: number;
  /** Cases whose coverage for this class fell outside the asked range. */
  readonly outsideRange: number;
  readonly meanStrokes: number;
}

export interface NoisyCaseStatistics {
  readonly name: string;
  readonly operations: readonly LabelNoiseOperation[];
  /** Dice of the noisy against the clean label per foreground class (NaN when the class is in neither). */
  readonly dice: readonly number[];
  /** Mean over foreground classes present in the clean or the noisy label. */
  readonly meanForegroundDice: number;
}

export interface WeakLabelFixtureReport {
  readonly cases: number;
  /** The lists written, relative to the root. */
  readonly lists: readonly string[];
  readonly scribbleCoverage: readonly ScribbleCoverageStatistics[];
  /** Annotated pixels / all pixels over the training cases. */
  readonly annotatedFraction: number;
  readonly noisyCases: readonly NoisyCaseStatistics[];
  /** Mean of meanForegroundDice over the noisy cases (NaN when there are none). */
  readonly meanNoisyDice: number;
  /** Per foreground class: mean Dice over the noisy cases where the class is in the clean or noisy label. */
  readonly meanNoisyDicePerClass: readonly number[];
  readonly markdown: string;
}

interface LabelCase {
  readonly name: string;
  /** The row's values (image columns, label, anything else the list holds). */
  readonly values: Readonly<Record<string, string>>;
  readonly label: string;
  readonly file: string;
  readonly source: MedicalImage;
  readonly labelArray: LabelArray;
}

/** The names of the lists written for a training list: `train.csv` → `train_scribble.csv`, `train_noisy.csv`, `train_noisy_clean_split.csv`. */
export function weakLabelListNames(trainList: string): { scribble: string; noisy: string; noisyCleanSplit: string } {
  const stem = trainList.replace(/\.csv$/i, '');
  return { scribble: `${stem}_scribble.csv`, noisy: `${stem}_noisy.csv`, noisyCleanSplit: `${stem}_noisy_clean_split.csv` };
}

/**
 * Builds the weak-label variants of a training list (2D or 3D label maps in any format readImage reads, written back
 * in the label's own format and geometry) for the scribble-supervised and noisy-label pipelines:
 * scribbles of every training label ({@link generateScribbles}) in `scribble/<name>.png` listed by
 * `train_scribble.csv`; noisy labels ({@link makeNoisyLabelSet}) for a seeded fraction of the cases in
 * `noisy/<name>.png`, listed with the clean labels of the other cases by `train_noisy.csv` and, with a 0/1 `noisy`
 * column, by `train_noisy_clean_split.csv` (for methods that assume a known clean subset); and `WEAK-LABELS.md` with
 * the options and the realised coverage and noise statistics. Only those files and folders are written (the two
 * folders are emptied first), so the fixture's own files and PROVENANCE.md are never touched; `kinds` writes only one
 * variant (the other's folder and lists stay). Other columns of the list (a subject, further image columns) are kept.
 * Deterministic: the same inputs and seed give byte-identical files.
 *
 * @throws MicflowError naming the list, row or file when a listed label is missing, unreadable, not a 2D/3D
 * one-component integer label map or holds a value outside the classes, or naming the option when an option is wrong.
 */
export async function makeWeakLabelFixtures(options: WeakLabelFixtureOptions): Promise<WeakLabelFixtureReport> {
  const classes = options.classNames.length;
  const scribbleOptions = parseWeakLabelOptions(scribbleOptionsSchema, { ...options.scribble, classes, seed: options.seed }, 'scribble generator');
  const noiseOptions = parseWeakLabelOptions(labelNoiseOptionsSchema, { ...options.noise, classes, seed: options.seed }, 'label noise generator');
  const trainList = options.trainList ?? 'train.csv';
  const kinds = options.kinds ?? { scribbles: true, noise: true };
  const listNames = weakLabelListNames(trainList);
  const table = await readCsvTable(path.join(options.root, trainList), ['image', 'label']);

  const cases: LabelCase[] = [];
  const seenNames = new Map<string, number>();
  for (const row of table.rows) {
    const relative = row.values.label;
    const name = path.basename(relative);
    const where = `${table.file} line ${row.line}`;
    if (seenNames.has(name)) throw new MicflowError('invalid-data', `${where}: label file name ${name} also appears on line ${seenNames.get(name)}; output names would collide`);
    seenNames.set(name, row.line);
    const file = path.join(options.root, relative);
    const source = await readImage(file).catch((error: unknown) => {
      throw new MicflowError('invalid-data', `${where}: cannot read label ${file}`, [error instanceof Error ? error.message : String(error)]);
    });
    const { shape } = rowMajorGrid(source);
    if (shape.length > 3 || source.components !== 1) {
      throw new MicflowError('invalid-data', `${where}: label ${file} is not a 2D or 3D one-component label map (${source.size.join('×')}, ${source.components} components, ${source.pixelType})`);
    }
    const labelArray: LabelArray = { data: labelValues(source, `${where}: label ${file}`), shape };
    classPixelCounts(labelArray, classes, `${where}: label ${file}`);
    cases.push({ name, values: row.values, label: relative, file, source, labelArray });
  }

  const seeds = new SeededRandom(options.seed);
  const scribbles = kinds.scribbles ? cases.map((c) => generateScribbles(c.labelArray, { ...scribbleOptions, seed: seeds.derive('scribble', c.name).seed })) : [];
  const noisySet = kinds.noise
    ? makeNoisyLabelSet(
        cases.map((c) => c.labelArray),
        noiseOptions,
        cases.map((c) => c.name),
      )
    : { noisy: [], labels: [], operations: [] };

  const scribbleFolder = path.join(options.root, WEAK_LABEL_FILES.scribbleFolder);
  const noisyFolder = path.join(options.root, WEAK_LABEL_FILES.noisyFolder);
  for (const folder of [...(kinds.scribbles ? [scribbleFolder] : []), ...(kinds.noise ? [noisyFolder] : [])]) {
    await rm(folder, { recursive: true, force: true });
    await mkdir(folder, { recursive: true });
  }
  const header = table.header;
  const rowOf = (c: LabelCase, label: string) => header.map((h) => (h === 'label' ? label : c.values[h] ?? ''));
  const scribbleRows: string[][] = [];
  const noisyRows: string[][] = [];
  const splitRows: string[][] = [];
  for (const [i, c] of cases.entries()) {
    if (kinds.scribbles) {
      const scribblePath = `${WEAK_LABEL_FILES.scribbleFolder}/${c.name}`;
      await writeImage(path.join(options.root, scribblePath), asLabelImage(scribbles[i].scribble, c.source));
      scribbleRows.push(rowOf(c, scribblePath));
    }
    if (kinds.noise) {
      let noisyPath = c.label;
      if (noisySet.noisy[i]) {
        noisyPath = `${WEAK_LABEL_FILES.noisyFolder}/${c.name}`;
        await writeImage(path.join(options.root, noisyPath), asLabelImage(noisySet.labels[i], c.source));
      }
      noisyRows.push(rowOf(c, noisyPath));
      splitRows.push([...rowOf(c, noisyPath), noisySet.noisy[i] ? '1' : '0']);
    }
  }
  const lists: string[] = [];
  if (kinds.scribbles) {
    await writeFile(path.join(options.root, listNames.scribble), csvText(header, scribbleRows));
    lists.push(listNames.scribble);
  }
  if (kinds.noise) {
    await writeFile(path.join(options.root, listNames.noisy), csvText(header, noisyRows));
    await writeFile(path.join(options.root, listNames.noisyCleanSplit), csvText([...header, 'noisy'], splitRows));
    lists.push(listNames.noisy, listNames.noisyCleanSplit);
  }

  const scribbleCoverage = coverageStatistics(scribbles, options.classNames);
  const totalPixels = cases.reduce((n, c) => n + c.labelArray.data.length, 0);
  const annotatedFraction = !kinds.scribbles ? Number.NaN : scribbles.reduce((n, s) => n + s.classes.reduce((m, k) => m + k.annotated, 0), 0) / totalPixels;
  const noisyCases: NoisyCaseStatistics[] = [];
  for (const [i, c] of cases.entries()) {
    if (!noisySet.noisy[i]) continue;
    const dice = foregroundDice(noisySet.labels[i], c.labelArray, classes);
    noisyCases.push({ name: c.name, operations: noisySet.operations[i], dice, meanForegroundDice: meanOfNumbers(dice) });
  }
  const meanNoisyDice = meanOfNumbers(noisyCases.map((c) => c.meanForegroundDice));
  const meanNoisyDicePerClass = Array.from({ length: classes - 1 }, (_, k) => meanOfNumbers(noisyCases.map((c) => c.dice[k])));
  const report = {
    cases: cases.length,
    lists,
    scribbleCoverage,
    annotatedFraction,
    noisyCases,
    meanNoisyDice,
    meanNoisyDicePerClass,
  };
  const markdown = weakLabelMarkdown(report, {
    trainList,
    kinds,
    listNames,
    fixture: options.fixture ?? true,
    header: table.header,
    ending: /\.nii\.gz$/i.test(cases[0]?.name ?? '') ? '.nii.gz' : path.extname(cases[0]?.name ?? '.png'),
    labelFolder: path.posix.dirname(cases[0]?.label ?? 'label/x'),
    classNames: options.classNames,
    seed: options.seed,
    command: options.command,
    scribbleOptions: { ...scribbleOptions, seed: undefined },
    noiseOptions: { ...noiseOptions, seed: undefined },
    unannotatedValue: scribbles[0]?.unannotatedValue ?? scribbleOptions.unannotatedValue ?? classes,
  });
  await writeFile(path.join(options.root, WEAK_LABEL_FILES.report), markdown);
  return { ...report, markdown };
}

/** The label map as an image on the source label's grid and geometry, 8-bit when its values fit, else 16-bit. */
function asLabelImage(label: LabelArray, like: MedicalImage): MedicalImage {
  let maximum = 0;
  for (let i = 0; i < label.data.length; i++) maximum = Math.max(maximum, label.data[i]);
  const data = maximum <= 255 ? Uint8Array.from(label.data) : Uint16Array.from(label.data);
  return { ...like, data, components: 1, pixelType: maximum <= 255 ? 'uint8' : 'uint16' };
}

/** Dice per foreground class of `noisy` against `clean`; NaN for a class absent from both. */
function foregroundDice(noisy: LabelArray, clean: LabelArray, classes: number): number[] {
  const dice = classwiseDice(noisy.data, clean.data, classes);
  const present = new Array<boolean>(classes).fill(false);
  for (let i = 0; i < clean.data.length; i++) {
    present[clean.data[i]] = true;
    present[noisy.data[i]] = true;
  }
  return dice.slice(1).map((d, k) => (present[k + 1] ? d : Number.NaN));
}

function meanOfNumbers(values: readonly number[]): number {
  const finite = values.filter((v) => !Number.isNaN(v));
  return finite.length ? finite.reduce((a, b) => a + b, 0) / finite.length : Number.NaN;
}

function coverageStatistics(scribbles: readonly ScribbleResult[], classNames: readonly string[]): ScribbleCoverageStatistics[] {
  return classNames.map((className, c) => {
    const entries = scribbles.flatMap((s) => s.classes.filter((k) => k.classIndex === c));
    const coverages = entries.map((k) => k.coverage);
    return {
      className,
      cases: entries.length,
      meanCoverage: meanOfNumbers(coverages),
      minCoverage: coverages.length ? Math.min(...coverages) : Number.NaN,
      maxCoverage: coverages.length ? Math.max(...coverages) : Number.NaN,
      outsideRange: entries.filter((k) => !k.withinRange).length,
      meanStrokes: meanOfNumbers(entries.map((k) => k.strokes.length)),
    };
  });
}

const fixed = (v: number, digits = 3) => (Number.isNaN(v) ? '–' : v.toFixed(digits));

function describeOperation(op: LabelNoiseOperation, classNames: readonly string[]): string {
  switch (op.kind) {
    case 'erosion':
      return `erode ${classNames[op.classIndex]} r=${op.radius}`;
    case 'dilation':
      return `dilate ${classNames[op.classIndex]} r=${op.radius}`;
    case 'shift':
      return `shift ${classNames[op.classIndex]} by [${op.offset.join(', ')}]`;
    case 'affine':
      return `rotate ${op.rotationDegrees.toFixed(2)}°, scale ${op.scale.toFixed(3)}`;
    case 'drop-component':
      return `drop a ${classNames[op.classIndex]} component (${op.pixels} px)`;
    case 'spurious-component':
      return `add a ${classNames[op.classIndex]} blob r=${op.radius} at [${op.centre.join(', ')}]`;
  }
}

function weakLabelMarkdown(
  report: Omit<WeakLabelFixtureReport, 'markdown'>,
  context: {
    trainList: string;
    kinds: { readonly scribbles: boolean; readonly noise: boolean };
    listNames: ReturnType<typeof weakLabelListNames>;
    fixture: boolean;
    header: readonly string[];
    /** The label files' ending (".png", ".nii.gz") and folder, for the file descriptions. */
    ending: string;
    labelFolder: string;
    classNames: readonly string[];
    seed: number;
    command?: string;
    scribbleOptions: object;
    noiseOptions: object;
    unannotatedValue: number;
  },
): string {
  const { classNames, listNames, ending } = context;
  const json = (o: object) => JSON.stringify(o, (key, value) => (key === 'seed' ? undefined : value), 2);
  const coverageRows = report.scribbleCoverage.map(
    (s) => `| ${s.className} | ${s.cases} | ${fixed(s.meanCoverage)} | ${fixed(s.minCoverage)} | ${fixed(s.maxCoverage)} | ${s.outsideRange} | ${fixed(s.meanStrokes, 2)} |`,
  );
  const noisyRows = report.noisyCases.map(
    (c) => `| ${c.name} | ${fixed(c.meanForegroundDice)} | ${c.operations.map((op) => describeOperation(op, classNames)).join('; ')} |`,
  );
  const perClass = context.classNames
    .slice(1)
    .map((name, k) => `${name} ${fixed(report.meanNoisyDicePerClass[k])}`)
    .join(', ');
  const columns = context.header.join(',');
  const origin = context.fixture
    ? `The base fixture (images, labels, lists, PROVENANCE.md) is described in PROVENANCE.md;
regenerating it leaves these files alone, and regenerating these leaves it alone.`
    : `Only the files below are written; the dataset's images, labels and other lists are left alone.`;
  const scribbleFiles = `- \`${WEAK_LABEL_FILES.scribbleFolder}/<name>${ending}\`: scribbles of every training label (same size), class numbers on stroke pixels and
  **${context.unannotatedValue}** on unannotated pixels (the class count: the default unannotated value of
  \`PartialLabelToProbability\`; a CsvDataset reading them needs \`extraLabelValues: [${context.unannotatedValue}]\`).
- \`${listNames.scribble}\`: \`${columns}\`, label pointing at the scribbles.
`;
  const noisyFiles = `- \`${WEAK_LABEL_FILES.noisyFolder}/<name>${ending}\`: noisy labels of the ${report.noisyCases.length} cases chosen for noise.
- \`${listNames.noisy}\`: \`${columns}\`, label pointing at the noisy label for those cases and at the clean
  label (\`${context.labelFolder}/<name>${ending}\`) for the others.
- \`${listNames.noisyCleanSplit}\`: the same rows with a column \`noisy\` (1: noisy label, 0: clean label), for
  methods that assume a known clean subset (e.g. DAST).
`;
  const scribbleSection = `
## Scribbles

Per class, a stroke along the longest medial-axis path (TEASAR) of the class's interior, per part, dilated by the brush
radius, grown from a random point until a coverage drawn in the asked range; background strokes run through a band
around the foreground. Options (\`generateScribbles\`):

\`\`\`json
${json(context.scribbleOptions)}
\`\`\`

Realised coverage (annotated pixels of the class / pixels of the class, over the cases where the class is present):

| class | cases | mean | min | max | outside range | strokes (mean) |
| --- | --- | --- | --- | --- | --- | --- |
${coverageRows.join('\n')}

Annotated pixels overall: ${(100 * report.annotatedFraction).toFixed(2)}% of all training pixels.
`;
  const noisySection = `
## Noisy labels

Options (\`makeNoisyLabelSet\`):

\`\`\`json
${json(context.noiseOptions)}
\`\`\`

${report.noisyCases.length} of ${report.cases} cases are noisy. Mean foreground Dice of the noisy labels against the clean
ones: **${fixed(report.meanNoisyDice)}** (per class: ${perClass}; mean over the classes present in either label, then over
the noisy cases).

| case | mean foreground Dice | errors applied |
| --- | --- | --- |
${noisyRows.join('\n')}
`;
  return `# Weak-label variants of the training list

Derived from \`${context.trainList}\` (${report.cases} cases) by \`src/label-synthesis/weak-label-fixtures.ts\`; do not edit by
hand. Regenerate with \`${context.command ?? 'npm run fixtures:weak'}\` (seed ${context.seed}); the output is
byte-identical on re-runs. ${origin}

## Files

${context.kinds.scribbles ? scribbleFiles : ''}${context.kinds.noise ? noisyFiles : ''}${context.kinds.scribbles ? scribbleSection : ''}${context.kinds.noise ? noisySection : ''}`;
}
