/**
 * Builds fixtures/brain-mr-3d: two non-overlapping 3D blocks of the Colin27 T1 template (ch2), one per hemisphere,
 * around the deep grey matter, with label volumes from the AAL atlas (0 background, 1 caudate, 2 putamen,
 * 3 thalamus, 4 hippocampus; the classes of fixtures/brain-mr-2d). The patient-left block is the training volume and
 * the patient-right block the test volume: one subject, split by space (Çiçek et al., 3D U-Net, MICCAI 2016, train
 * on part of a volume and test on another).
 *
 *   npx tsx scripts/make-fixtures-3d.ts [--source DIR] [--out DIR]
 *
 * DIR defaults to /usr/share/mricron/templates (Debian package mricron-data). Deterministic: re-running over
 * the same source files gives byte-identical output.
 */
import { mkdir, readFile, rm, stat, writeFile } from 'node:fs/promises';
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

/** AAL region stems making up each foreground class (index = class number); `_L` / `_R` pick the hemisphere. */
const CLASS_REGION_STEMS: Record<number, string> = { 1: 'Caudate', 2: 'Putamen', 3: 'Thalamus', 4: 'Hippocampus' };
/** Voxels added on each side of the bounding box of the structures before rounding the block up. */
const MARGIN = 4;
/** Block sides are multiples of this, so a 5-level U-Net (4 poolings) takes whole volumes. */
const SIDE_MULTIPLE = 16;

type Hemisphere = 'L' | 'R';
/** Patient-left block → train, patient-right block → test. */
const SPLIT_OF_HEMISPHERE: Record<Hemisphere, 'train' | 'test'> = { L: 'train', R: 'test' };



/** Inclusive index bounding box [min, max] per axis (x, y, z). */
type Box = [number, number][];

/** A block of the volume: start index and size per axis (x, y, z). */
interface Block {
  hemisphere: Hemisphere;
  split: 'train' | 'test';
  start: number[];
  size: number[];
  classVoxels: number[];
}

/** Side that holds `extent` voxels plus MARGIN on each side, rounded up to a multiple of SIDE_MULTIPLE. */
function roundedSide(extent: number): number {
  return Math.ceil((extent + 2 * MARGIN) / SIDE_MULTIPLE) * SIDE_MULTIPLE;
}

async function main(): Promise<void> {
  const { values } = parseArgs({
    options: {
      source: { type: 'string', default: '/usr/share/mricron/templates' },
      out: { type: 'string', default: 'fixtures/brain-mr-3d' },
    },
  });
  const source = values.source!;
  const out = values.out!;
  const t1File = path.join(source, 'ch2.nii.gz');
  const aalFile = path.join(source, 'aal.nii.gz');
  const aalNamesFile = path.join(source, 'aal.nii.txt');

  // --- AAL label values: class per value, and hemisphere per value.
  const aalNamesText = await readFile(aalNamesFile, 'utf8').catch(() => fail(`Cannot read ${aalNamesFile}.`));
  const aalByName = parseAalNames(aalNamesText, aalNamesFile);
  const aalOfClass: Record<string, Record<string, number>> = {};
  const classOfAal = new Uint8Array(256);
  const hemisphereOfAal = new Array<Hemisphere | undefined>(256);
  for (const [cls, stem] of Object.entries(CLASS_REGION_STEMS)) {
    aalOfClass[CLASS_NAMES[Number(cls)]] = {};
    for (const hemisphere of ['L', 'R'] as const) {
      const name = `${stem}_${hemisphere}`;
      const value = aalByName.get(name);
      if (value === undefined || value > 255) fail(`AAL region ${name} not found in ${aalNamesFile}.`);
      aalOfClass[CLASS_NAMES[Number(cls)]][name] = value;
      classOfAal[value] = Number(cls);
      hemisphereOfAal[value] = hemisphere;
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
  const intensity = intensitiesAsUint8(t1);
  const aalData = aal.data;
  const plane = nx * ny;

  // --- Bounding box of the structures of each hemisphere (index space).
  const boxes: Record<Hemisphere, Box> = {
    L: [
      [nx, -1],
      [ny, -1],
      [nz, -1],
    ],
    R: [
      [nx, -1],
      [ny, -1],
      [nz, -1],
    ],
  };
  for (let z = 0; z < nz; z++)
    for (let y = 0; y < ny; y++)
      for (let x = 0; x < nx; x++) {
        const v = Number(aalData[z * plane + y * nx + x]);
        const hemisphere = v >= 0 && v < 256 ? hemisphereOfAal[v] : undefined;
        if (!hemisphere) continue;
        const box = boxes[hemisphere];
        [x, y, z].forEach((c, a) => {
          box[a][0] = Math.min(box[a][0], c);
          box[a][1] = Math.max(box[a][1], c);
        });
      }
  for (const hemisphere of ['L', 'R'] as const) if (boxes[hemisphere][0][1] < 0) fail(`No ${hemisphere} deep grey matter found in ${aalFile}.`);

  // The hemispheres lie on either side of a plane x = midline in index space; the blocks meet there and never overlap.
  const [lowX, highX]: Hemisphere[] = boxes.L[0][0] < boxes.R[0][0] ? ['L', 'R'] : ['R', 'L'];
  // The thalami touch at the midline, so the boxes may share a column or two; the cut goes between their inner ends.
  if (boxes[lowX][0][1] - boxes[highX][0][0] > 2) fail('The left and right structures overlap along x by more than 2 voxels; cannot split by hemisphere.');
  const midline = Math.floor((boxes[lowX][0][1] + boxes[highX][0][0] + 1) / 2);
  // One block size for both hemispheres: the larger extent per axis, plus margins, rounded up.
  const width = roundedSide(Math.max(...(['L', 'R'] as const).map((h) => boxes[h][0][1] - boxes[h][0][0] + 1)) - MARGIN);
  const sideYZ = (a: number): [number, number] => {
    const lo = Math.min(boxes.L[a][0], boxes.R[a][0]);
    const hi = Math.max(boxes.L[a][1], boxes.R[a][1]);
    const n = t1.size[a];
    const side = roundedSide(hi - lo + 1);
    if (side > n) fail(`Block side ${side} exceeds the volume side ${n}.`);
    const start = Math.max(0, Math.min(n - side, Math.floor((lo + hi + 1 - side) / 2)));
    return [start, side];
  };
  const [y0, height] = sideYZ(1);
  const [z0, depth] = sideYZ(2);
  const xStart: Record<Hemisphere, number> = { [lowX]: midline - width, [highX]: midline } as Record<Hemisphere, number>;
  if (xStart[lowX] < 0 || midline + width > nx) fail(`Blocks of width ${width} around x = ${midline} leave the volume.`);
  // Lateral ends must fit; at the medial end a voxel column of the other side's thalamus may cross the cut.
  if (boxes[lowX][0][0] < xStart[lowX] || boxes[highX][0][1] >= midline + width)
    fail(`The structures (x ${boxes[lowX][0][0]}..${boxes[highX][0][1]}) do not fit blocks of width ${width} around x = ${midline}.`);

  // --- Cut, write, read back.
  await rm(out, { recursive: true, force: true });
  await mkdir(path.join(out, 'image'), { recursive: true });
  await mkdir(path.join(out, 'label'), { recursive: true });
  const blocks: Block[] = [];
  for (const hemisphere of ['L', 'R'] as const) {
    const start = [xStart[hemisphere], y0, z0];
    const size = [width, height, depth];
    const count = width * height * depth;
    const image = new Uint8Array(count);
    const label = new Uint8Array(count);
    const classVoxels = new Array<number>(CLASS_NAMES.length).fill(0);
    let i = 0;
    for (let z = 0; z < depth; z++)
      for (let y = 0; y < height; y++)
        for (let x = 0; x < width; x++, i++) {
          const v = (z + start[2]) * plane + (y + start[1]) * nx + (x + start[0]);
          const a = Number(aalData[v]);
          const cls = a >= 0 && a < 256 ? classOfAal[a] : 0;
          image[i] = intensity[v];
          label[i] = cls;
          classVoxels[cls]++;
        }
    // World origin of the block: the source origin moved by its first index along the (diagonal) direction.
    const origin = [0, 1, 2].map((a) => t1.origin[a] + d[a * 3 + a] * t1.spacing[a] * start[a]);
    const name = `colin27-${hemisphere === 'L' ? 'left' : 'right'}.nii.gz`;
    for (const [folder, data] of [
      ['image', image],
      ['label', label],
    ] as const) {
      const file = path.join(out, folder, name);
      const block: MedicalImage = {
        data,
        size,
        spacing: [...t1.spacing],
        origin,
        direction: [...t1.direction],
        components: 1,
        pixelType: 'uint8',
      };
      await writeImage(file, block);
      const back = await readImage(file);
      if (!sameGeometry(back, block) || Buffer.compare(Buffer.from(back.data.buffer, back.data.byteOffset, back.data.byteLength), Buffer.from(data)) !== 0)
        fail(`${file} does not read back identically.`);
    }
    blocks.push({ hemisphere, split: SPLIT_OF_HEMISPHERE[hemisphere], start, size, classVoxels });
  }

  for (const split of ['train', 'test'] as const) {
    const rows = blocks.filter((b) => b.split === split).map((b) => `image/colin27-${b.hemisphere === 'L' ? 'left' : 'right'}.nii.gz,label/colin27-${b.hemisphere === 'L' ? 'left' : 'right'}.nii.gz`);
    await writeFile(path.join(out, `${split}.csv`), ['image,label', ...rows].join('\n') + '\n');
  }
  await writeFile(path.join(out, 'classes.json'), JSON.stringify({ names: CLASS_NAMES, aal: aalOfClass }, null, 2) + '\n');

  // --- Provenance.
  const fileSizes = await Promise.all(
    blocks.flatMap((b) =>
      ['image', 'label'].map(async (folder) => {
        const file = `${folder}/colin27-${b.hemisphere === 'L' ? 'left' : 'right'}.nii.gz`;
        return `| \`${file}\` | ${(await stat(path.join(out, file))).size} |`;
      }),
    ),
  );
  const aalList = Object.entries(aalOfClass)
    .map(([cls, regions]) => `${cls} = ${Object.entries(regions).map(([n, v]) => `${n} (${v})`).join(' + ')}`)
    .join('; ');
  const blockRows = blocks.map(
    (b) =>
      `| ${b.split} | ${b.hemisphere === 'L' ? 'patient left' : 'patient right'} | ${b.start.map((s, a) => `${s}..${s + b.size[a] - 1}`).join(' | ')} | ${b.classVoxels.join(' | ')} |`,
  );

  const provenance = `# brain-mr-3d: provenance

Two 3D blocks of a real brain MR image (T1) with deep grey matter labels, one per hemisphere, small enough to
train and test a 3D segmentation network in minutes. Generated by \`scripts/make-fixtures-3d.ts\`; do not edit by hand.

${await sourceAndLicenceMarkdown([t1File, aalFile, aalNamesFile], t1)}## What the script does

1. Reads \`aal.nii.txt\` and maps AAL labels to classes: ${aalList}. Every other voxel is background (0).
2. Reads \`ch2.nii.gz\` and \`aal.nii.gz\` (\`src/io/read-image.ts\`) and checks that they share one grid.
3. Finds the bounding box of the left (\`_L\`) and of the right (\`_R\`) structures in voxel indices, and the plane
   between them, x = ${midline} (index space; the ${lowX === 'L' ? 'left' : 'right'} structures end at x ${boxes[lowX][0][1]}, the
   ${highX === 'L' ? 'left' : 'right'} ones start at x ${boxes[highX][0][0]}: the thalami touch at the midline, so a block may hold a few voxels of
   the other side's thalamus at its medial face; they keep their class).
4. Cuts one block per hemisphere, both of **${width}×${height}×${depth} voxels** (x×y×z, 1 mm): x from the midline
   outwards (${width} = the wider hemisphere's extent plus ${MARGIN} voxels lateral margin, rounded up to a multiple of ${SIDE_MULTIPLE}),
   y and z the union extent of both hemispheres plus ${MARGIN} voxels on each side, rounded up to a multiple of ${SIDE_MULTIPLE}. The
   two blocks meet at the midline and share no voxel.
5. Writes them as uint8 NIfTI (\`.nii.gz\`) with the source spacing and direction and the block's own world origin, so
   they overlay the source volume: \`image/\` the T1 intensities unchanged, \`label/\` the class numbers 0..4. Each file
   is read back and compared.
6. Split by space (there is one subject): the patient-left block is the training volume (\`train.csv\`), the
   patient-right block the test volume (\`test.csv\`). Header \`image,label\`, paths relative to this folder.

There is no validation list: a third block would have to come from the same two hemispheres, overlapping train
or test. Left and right structures of one brain are near mirror images, so the test score says how well a network
transfers across hemispheres of this subject; it is meant for exercising 3D code, not for judging models.

## Regenerate

\`\`\`
apt-get install mricron-data
npx tsx scripts/make-fixtures-3d.ts --source /usr/share/mricron/templates
\`\`\`

The output is deterministic (byte-identical on re-runs over the same source files).

## Blocks and voxels per class

| split | side | x | y | z | ${CLASS_NAMES.join(' | ')} |
| --- | --- | --- | --- | --- | ${CLASS_NAMES.map(() => '---').join(' | ')} |
${blockRows.join('\n')}

| file | bytes |
| --- | --- |
${fileSizes.join('\n')}
`;
  await writeFile(path.join(out, 'PROVENANCE.md'), provenance);
  console.log(`Wrote two ${width}×${height}×${depth} blocks to ${out} (midline x = ${midline}).`);
}

main().catch((error: unknown) => {
  console.error(error instanceof Error ? error.message : String(error));
  process.exit(1);
});
