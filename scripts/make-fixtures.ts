/**
 * Builds fixtures/brain-mr-2d: axial 2D slices of the Colin27 T1 template (ch2) through the deep grey matter,
 * with label maps from the AAL atlas (0 background, 1 caudate, 2 putamen, 3 thalamus, 4 hippocampus).
 *
 *   npx tsx scripts/make-fixtures.ts [--source DIR] [--out DIR]
 *
 * DIR defaults to /usr/share/mricron/templates (Debian package mricron-data). Deterministic: re-running over
 * the same source files gives byte-identical output.
 */
import { mkdir, readFile, rm, writeFile } from 'node:fs/promises';
import path from 'node:path';
import { parseArgs } from 'node:util';
import type { MedicalImage } from '../src/io/medical-image.js';
import { readImage, writeImage } from '../src/io/read-image.js';
import {
  CLASS_NAMES,
  DEBIAN_COPYRIGHT_QUOTE,
  fail,
  intensitiesAsUint8,
  packageVersion,
  parseAalNames,
  sameGeometry,
  sourceAndLicenceMarkdown,
} from './mricron-source.js';

/** AAL region names making up each foreground class (index = class number). */
const CLASS_REGIONS: Record<number, string[]> = {
  1: ['Caudate_L', 'Caudate_R'],
  2: ['Putamen_L', 'Putamen_R'],
  3: ['Thalamus_L', 'Thalamus_R'],
  4: ['Hippocampus_L', 'Hippocampus_R'],
};
/** A slice is kept when some foreground class covers at least this many pixels in it. */
const MIN_CLASS_PIXELS = 30;
/** Pixels added on each side of the union bounding box before rounding the crop up. */
const MARGIN = 8;
/** Crop sides are multiples of this, so a 5-level U-Net (4 poolings) takes whole slices. */
const SIDE_MULTIPLE = 16;
/** Training slices that keep their labels in the semi-supervised lists (evenly spaced through the training slices). */
const LABELLED_SLICES = 4;

/** Split in blocks of this many consecutive slices, so neighbouring slices rarely straddle splits. */
const BLOCK = 3;


type Split = 'train' | 'valid' | 'test';
const SPLITS: Split[] = ['train', 'valid', 'test'];

interface Slice {
  z: number;
  split: Split;
  name: string;
  classPixels: number[];
}


async function main(): Promise<void> {
  const { values } = parseArgs({
    options: {
      source: { type: 'string', default: '/usr/share/mricron/templates' },
      out: { type: 'string', default: 'fixtures/brain-mr-2d' },
    },
  });
  const source = values.source!;
  const out = values.out!;
  const t1File = path.join(source, 'ch2.nii.gz');
  const aalFile = path.join(source, 'aal.nii.gz');
  const aalNamesFile = path.join(source, 'aal.nii.txt');

  // --- AAL label values for each class, looked up by name.
  const aalNamesText = await readFile(aalNamesFile, 'utf8').catch(() => fail(`Cannot read ${aalNamesFile}.`));
  const aalByName = parseAalNames(aalNamesText, aalNamesFile);
  const aalOfClass: Record<string, Record<string, number>> = {};
  const classOfAal = new Uint8Array(256);
  for (const [cls, names] of Object.entries(CLASS_REGIONS)) {
    aalOfClass[CLASS_NAMES[Number(cls)]] = {};
    for (const name of names) {
      const value = aalByName.get(name);
      if (value === undefined || value > 255) fail(`AAL region ${name} not found in ${aalNamesFile}.`);
      aalOfClass[CLASS_NAMES[Number(cls)]][name] = value;
      classOfAal[value] = Number(cls);
    }
  }

  // --- Volumes.
  const t1 = await readImage(t1File);
  const aal = await readImage(aalFile);
  if (t1.size.length !== 3 || t1.components !== 1) fail(`${t1File} is not a scalar 3D image.`);
  if (!sameGeometry(t1, aal)) fail(`${t1File} and ${aalFile} are not on the same grid.`);
  const [nx, ny, nz] = t1.size;
  const d = t1.direction;
  const offDiagonal = [d[1], d[2], d[3], d[5], d[6], d[7]];
  if (offDiagonal.some((v) => Math.abs(v) > 1e-6)) fail(`${t1File} is not axis-aligned; this script expects a diagonal direction.`);
  // LPS signs of the index axes: +1 when the index grows towards patient Left / Posterior / Superior.
  const [sx, sy, sz] = [Math.sign(d[0]), Math.sign(d[4]), Math.sign(d[8])];
  if (sz <= 0) fail(`${t1File}: expected the third index to run inferior → superior.`);
  const intensity = intensitiesAsUint8(t1);
  const aalData = aal.data;
  const classes = new Uint8Array(nx * ny * nz);
  for (let i = 0; i < classes.length; i++) {
    const v = Number(aalData[i]);
    classes[i] = v >= 0 && v < 256 ? classOfAal[v] : 0;
  }

  // --- Slices with enough of some class, and the union bounding box of all classes over them.
  const plane = nx * ny;
  const kept: { z: number; classPixels: number[] }[] = [];
  let [x0, x1, y0, y1] = [nx, -1, ny, -1];
  for (let z = 0; z < nz; z++) {
    const counts = new Array<number>(CLASS_NAMES.length).fill(0);
    for (let p = 0; p < plane; p++) counts[classes[z * plane + p]]++;
    if (Math.max(...counts.slice(1)) < MIN_CLASS_PIXELS) continue;
    kept.push({ z, classPixels: counts });
    for (let y = 0; y < ny; y++)
      for (let x = 0; x < nx; x++) {
        if (!classes[z * plane + y * nx + x]) continue;
        x0 = Math.min(x0, x);
        x1 = Math.max(x1, x);
        y0 = Math.min(y0, y);
        y1 = Math.max(y1, y);
      }
  }
  if (kept.length === 0) fail('No axial slice contains enough deep grey matter.');

  // Crop box: bounding box + margin, grown symmetrically to a multiple of SIDE_MULTIPLE, kept inside the volume.
  const box = (lo: number, hi: number, n: number): [number, number] => {
    const side = Math.ceil((hi - lo + 1 + 2 * MARGIN) / SIDE_MULTIPLE) * SIDE_MULTIPLE;
    if (side > n) fail(`Crop side ${side} exceeds the volume side ${n}.`);
    let start = Math.floor((lo + hi + 1 - side) / 2);
    start = Math.max(0, Math.min(n - side, start));
    return [start, side];
  };
  const [cx, width] = box(x0, x1, nx);
  const [cy, height] = box(y0, y1, ny);

  // Display orientation (radiological axial view): rows run anterior → posterior (anterior up),
  // columns run patient right → left (patient's left on the viewer's right).
  const volumeIndex = (z: number, row: number, col: number): number => {
    const x = sx > 0 ? cx + col : cx + width - 1 - col;
    const y = sy > 0 ? cy + row : cy + height - 1 - row;
    return z * plane + y * nx + x;
  };

  // Sanity check of the left/right mapping with the atlas' hemispheres: Caudate_L must land on the image's right.
  const meanColumn = (value: number): number => {
    let sum = 0;
    let n = 0;
    for (const { z } of kept)
      for (let row = 0; row < height; row++)
        for (let col = 0; col < width; col++)
          if (Number(aalData[volumeIndex(z, row, col)]) === value) {
            sum += col;
            n++;
          }
    return sum / n;
  };
  if (!(meanColumn(aalByName.get('Caudate_L')!) > meanColumn(aalByName.get('Caudate_R')!)))
    fail('Orientation check failed: the left caudate does not appear on the right of the image.');

  // --- Write.
  // Only this script's folders are emptied: the weak-label variants (scribble/, noisy/, their lists and WEAK-LABELS.md,
  // written by scripts/make-weak-label-fixtures.ts) live in the same folder and survive a regeneration.
  for (const folder of ['image', 'label']) await rm(path.join(out, folder), { recursive: true, force: true });
  await mkdir(path.join(out, 'image'), { recursive: true });
  await mkdir(path.join(out, 'label'), { recursive: true });
  const zFirst = kept[0].z;
  const slices: Slice[] = [];
  for (const { z } of kept) {
    const g = Math.floor((z - zFirst) / BLOCK);
    const split: Split = g % 5 === 2 ? 'valid' : g % 5 === 4 ? 'test' : 'train';
    const name = `z${String(z).padStart(3, '0')}.png`;
    const image = new Uint8Array(width * height);
    const label = new Uint8Array(width * height);
    const classPixels = new Array<number>(CLASS_NAMES.length).fill(0);
    for (let row = 0; row < height; row++)
      for (let col = 0; col < width; col++) {
        const v = volumeIndex(z, row, col);
        image[row * width + col] = intensity[v];
        label[row * width + col] = classes[v];
        classPixels[classes[v]]++;
      }
    for (const [folder, data] of [
      ['image', image],
      ['label', label],
    ] as const) {
      const file = path.join(out, folder, name);
      const slice2d: MedicalImage = {
        data,
        size: [width, height],
        spacing: [t1.spacing[0], t1.spacing[1]],
        origin: [0, 0],
        direction: [1, 0, 0, 1],
        components: 1,
        pixelType: 'uint8',
      };
      await writeImage(file, slice2d);
      const back = await readImage(file);
      if (back.size.join() !== slice2d.size.join() || !(back.data instanceof Uint8Array) || Buffer.compare(Buffer.from(back.data), Buffer.from(data)) !== 0)
        fail(`${file} does not read back identically.`);
    }
    slices.push({ z, split, name, classPixels });
  }

  for (const split of SPLITS) {
    const rows = slices.filter((s) => s.split === split).map((s) => `image/${s.name},label/${s.name}`);
    await writeFile(path.join(out, `${split}.csv`), ['image,label', ...rows].join('\n') + '\n');
  }
  // Semi-supervised split of the training slices: LABELLED_SLICES evenly spaced slices keep their labels (about 10%),
  // the rest form the unlabelled list (their label column stays, so a fully supervised upper bound can read them).
  const train = slices.filter((s) => s.split === 'train');
  const labelledIndices = new Set(Array.from({ length: LABELLED_SLICES }, (_, i) => Math.floor(((i + 0.5) * train.length) / LABELLED_SLICES)));
  const listOf = (group: typeof train) => ['image,label', ...group.map((s) => `image/${s.name},label/${s.name}`)].join('\n') + '\n';
  await writeFile(path.join(out, 'train_labelled.csv'), listOf(train.filter((_, i) => labelledIndices.has(i))));
  await writeFile(path.join(out, 'train_unlabelled.csv'), listOf(train.filter((_, i) => !labelledIndices.has(i))));
  await writeFile(path.join(out, 'classes.json'), JSON.stringify({ names: CLASS_NAMES, aal: aalOfClass }, null, 2) + '\n');

  // --- Provenance.
  const countsTable = SPLITS.map((split) => {
    const group = slices.filter((s) => s.split === split);
    const sums = CLASS_NAMES.map((_, c) => group.reduce((n, s) => n + s.classPixels[c], 0));
    return `| ${split} | ${group.length} | ${sums.join(' | ')} |`;
  });
  const totals = CLASS_NAMES.map((_, c) => slices.reduce((n, s) => n + s.classPixels[c], 0));
  const zRange = (split: Split) =>
    slices
      .filter((s) => s.split === split)
      .map((s) => s.z)
      .join(', ');
  const aalList = Object.entries(aalOfClass)
    .map(([cls, regions]) => `${cls} = ${Object.entries(regions).map(([n, v]) => `${n} (${v})`).join(' + ')}`)
    .join('; ');

  const provenance = `# brain-mr-2d: provenance

Axial 2D slices of a real brain MR image (T1) with deep grey matter labels, small enough to train and test
a segmentation network in seconds. Generated by \`scripts/make-fixtures.ts\`; do not edit by hand.

${await sourceAndLicenceMarkdown([t1File, aalFile, aalNamesFile], t1)}## What the script does

1. Reads \`aal.nii.txt\` and maps AAL labels to classes: ${aalList}. Every other voxel is background (0).
2. Reads \`ch2.nii.gz\` and \`aal.nii.gz\` with itk-wasm (\`src/io/read-image.ts\`) and checks that they share one grid.
3. Keeps the axial slices (voxel index z, inferior → superior) in which some foreground class covers at least
   ${MIN_CLASS_PIXELS} pixels: z = ${kept[0].z}..${kept[kept.length - 1].z}, ${kept.length} slices.
4. Crops every slice to one box: the union bounding box of the four structures over the kept slices, plus
   ${MARGIN} px on each side, grown symmetrically to a multiple of ${SIDE_MULTIPLE}: **${width}×${height} px** (width×height), voxel x ${cx}..${cx + width - 1},
   y ${cy}..${cy + height - 1} of the volume, 1 mm pixels.
5. Orients slices as a radiological axial view: anterior at the top, the patient's left on the image's right.
6. Writes 8-bit grey PNGs: \`image/zNNN.png\` holds the T1 intensities unchanged, \`label/zNNN.png\` the class
   numbers 0..4 (NNN = z). Each file is read back and compared.
7. Splits by slice position in blocks of ${BLOCK} consecutive slices: block g = floor((z - ${zFirst}) / ${BLOCK});
   g mod 5 = 2 → valid, g mod 5 = 4 → test, otherwise train. Writes \`train.csv\`, \`valid.csv\`, \`test.csv\`
   (header \`image,label\`, paths relative to this folder) and \`classes.json\`.
8. For semi-supervised training: \`train_labelled.csv\` holds ${LABELLED_SLICES} training slices evenly spaced through the
   training list (about 10%), \`train_unlabelled.csv\` the other training slices.

Weak-label variants of the training list (scribbles, noisy labels for half of the cases) are derived from these
labels by \`scripts/make-weak-label-fixtures.ts\` (\`npm run fixtures:weak\`) and described in \`WEAK-LABELS.md\`.

Neighbouring slices are strongly correlated, so valid/test scores on this set are optimistic; it is meant for
exercising code, not for judging models.

## Regenerate

\`\`\`
apt-get install mricron-data
npx tsx scripts/make-fixtures.ts --source /usr/share/mricron/templates
\`\`\`

The output is deterministic (byte-identical on re-runs over the same source files).

## Counts

Slices per split — train: ${slices.filter((s) => s.split === 'train').length}, valid: ${slices.filter((s) => s.split === 'valid').length}, test: ${slices.filter((s) => s.split === 'test').length}.

- train z: ${zRange('train')}
- valid z: ${zRange('valid')}
- test z: ${zRange('test')}

Pixels per class:

| split | slices | ${CLASS_NAMES.join(' | ')} |
| --- | --- | ${CLASS_NAMES.map(() => '---').join(' | ')} |
${countsTable.join('\n')}
| all | ${slices.length} | ${totals.join(' | ')} |
`;
  await writeFile(path.join(out, 'PROVENANCE.md'), provenance);

  console.log(
    `Wrote ${slices.length} slices of ${width}×${height} to ${out}: ` +
      SPLITS.map((s) => `${s} ${slices.filter((x) => x.split === s).length}`).join(', '),
  );
}

main().catch((error: unknown) => {
  console.error(error instanceof Error ? error.message : String(error));
  process.exit(1);
});
