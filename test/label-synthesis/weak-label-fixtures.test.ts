import { execFile } from 'node:child_process';
import { cpSync, mkdirSync, mkdtempSync, readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { promisify } from 'node:util';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { MicflowError } from '../../src/errors/micflow-error.js';
import { readImage } from '../../src/io/read-image.js';
import { classwiseDice } from '../../src/metrics/dice-score.js';
import { makeWeakLabelFixtures, WEAK_LABEL_FILES, type WeakLabelFixtureReport } from '../../src/label-synthesis/weak-label-fixtures.js';
import { BRAIN_MR_2D, countOf } from './weak-label-test-helpers.js';

const run = promisify(execFile);
const REPOSITORY = path.resolve(import.meta.dirname, '../..');
const CLASS_NAMES = ['background', 'caudate', 'putamen', 'thalamus', 'hippocampus'];
const CASES = ['z044', 'z047', 'z060', 'z076'];
/** Everything the weak-label fixture script writes, relative to the dataset folder. */
const OUTPUTS = [WEAK_LABEL_FILES.scribbleList, WEAK_LABEL_FILES.noisyList, WEAK_LABEL_FILES.noisyCleanSplitList, WEAK_LABEL_FILES.report];

const scratch = mkdtempSync(path.join(tmpdir(), 'micflow-weak-labels-'));
afterAll(() => rmSync(scratch, { recursive: true, force: true }));

/** A small dataset folder with the listed fixture cases (images and labels copied) and a train.csv. */
function smallDataset(name: string, labels: readonly string[] = CASES.map((z) => `label/${z}.png`)): string {
  const root = path.join(scratch, name);
  mkdirSync(path.join(root, 'image'), { recursive: true });
  mkdirSync(path.join(root, 'label'), { recursive: true });
  for (const z of CASES) {
    cpSync(path.join(BRAIN_MR_2D, 'image', `${z}.png`), path.join(root, 'image', `${z}.png`));
    cpSync(path.join(BRAIN_MR_2D, 'label', `${z}.png`), path.join(root, 'label', `${z}.png`));
  }
  writeFileSync(path.join(root, 'train.csv'), ['image,label', ...labels.map((l) => `image/${path.basename(l)},${l}`)].join('\n') + '\n');
  return root;
}

/** Every file the generator wrote, as relative path → bytes. */
function writtenFiles(root: string): Map<string, Buffer> {
  const files = new Map<string, Buffer>();
  for (const name of OUTPUTS) files.set(name, readFileSync(path.join(root, name)));
  for (const folder of [WEAK_LABEL_FILES.scribbleFolder, WEAK_LABEL_FILES.noisyFolder])
    for (const name of readdirSync(path.join(root, folder)).sort()) files.set(`${folder}/${name}`, readFileSync(path.join(root, folder, name)));
  return files;
}

function csvRows(file: string): string[][] {
  return readFileSync(file, 'utf8').trim().split('\n').map((line) => line.split(','));
}

async function labelData(file: string): Promise<Uint8Array> {
  return (await readImage(file)).data as Uint8Array;
}

describe('makeWeakLabelFixtures', () => {
  describe('having a four-case training list', () => {
    let root: string;
    let report: WeakLabelFixtureReport;
    beforeAll(async () => {
      root = smallDataset('four');
      report = await makeWeakLabelFixtures({ root, classNames: CLASS_NAMES, seed: 5 });
    });

    it('when generated, should list one scribble per case, with labels inside their class and 5 (the class count) elsewhere', async () => {
      const rows = csvRows(path.join(root, WEAK_LABEL_FILES.scribbleList));
      expect(rows[0]).toEqual(['image', 'label']);
      expect(rows.slice(1)).toEqual(CASES.map((z) => [`image/${z}.png`, `scribble/${z}.png`]));
      for (const z of CASES) {
        const clean = await labelData(path.join(root, 'label', `${z}.png`));
        const scribble = await labelData(path.join(root, 'scribble', `${z}.png`));
        expect(scribble.length).toBe(clean.length);
        for (let i = 0; i < clean.length; i++) if (scribble[i] !== 5) expect(scribble[i]).toBe(clean[i]);
        for (let c = 0; c < 5; c++) expect(countOf(scribble, c) > 0, `${z} class ${c}`).toBe(countOf(clean, c) > 0);
      }
    });

    it('when generated, should make half of the cases noisy, list the others with their clean labels and mark which is which', async () => {
      const noisyRows = csvRows(path.join(root, WEAK_LABEL_FILES.noisyList));
      const splitRows = csvRows(path.join(root, WEAK_LABEL_FILES.noisyCleanSplitList));
      expect(noisyRows[0]).toEqual(['image', 'label']);
      expect(splitRows[0]).toEqual(['image', 'label', 'noisy']);
      expect(splitRows.slice(1).map((r) => r.slice(0, 2))).toEqual(noisyRows.slice(1));
      expect(splitRows.slice(1).filter((r) => r[2] === '1')).toHaveLength(2);
      for (const [image, label, noisy] of splitRows.slice(1)) {
        const z = path.basename(image, '.png');
        expect(label).toBe(noisy === '1' ? `noisy/${z}.png` : `label/${z}.png`);
        if (noisy === '1') {
          const clean = await labelData(path.join(root, 'label', `${z}.png`));
          const changed = await labelData(path.join(root, label));
          expect(Buffer.from(changed).equals(Buffer.from(clean))).toBe(false);
        }
      }
      expect(readdirSync(path.join(root, 'noisy'))).toHaveLength(2);
    });

    it('when reporting the noise, should give the mean foreground Dice computed again from the files', async () => {
      const means: number[] = [];
      for (const [image, label, noisy] of csvRows(path.join(root, WEAK_LABEL_FILES.noisyCleanSplitList)).slice(1)) {
        if (noisy !== '1') continue;
        const clean = await labelData(path.join(root, 'label', path.basename(image)));
        const changed = await labelData(path.join(root, label));
        const dice = classwiseDice(changed, clean, 5).slice(1).filter((_, k) => countOf(clean, k + 1) + countOf(changed, k + 1) > 0);
        means.push(dice.reduce((a, b) => a + b, 0) / dice.length);
      }
      expect(report.meanNoisyDice).toBeCloseTo(means.reduce((a, b) => a + b, 0) / means.length, 12);
      expect(readFileSync(path.join(root, WEAK_LABEL_FILES.report), 'utf8')).toContain(`**${report.meanNoisyDice.toFixed(3)}**`);
    });

    it('when generated again into another folder, should write byte-identical files', async () => {
      const again = smallDataset('four-again');
      await makeWeakLabelFixtures({ root: again, classNames: CLASS_NAMES, seed: 5 });
      const first = writtenFiles(root);
      const second = writtenFiles(again);
      expect([...second.keys()]).toEqual([...first.keys()]);
      for (const [name, bytes] of first) expect(second.get(name)!.equals(bytes), name).toBe(true);
    });
  });

  describe('having bad input', () => {
    it('when a listed label does not exist, should name the file and the list line', async () => {
      const root = smallDataset('missing', ['label/z044.png', 'label/z999.png']);
      const error = await makeWeakLabelFixtures({ root, classNames: CLASS_NAMES, seed: 1 }).catch((e: unknown) => e);
      expect(error).toBeInstanceOf(MicflowError);
      expect((error as MicflowError).message).toMatch(/train\.csv line 3/);
      expect((error as MicflowError).message).toMatch(/label\/z999\.png/);
    });

    it('when an option is wrong, should name it', async () => {
      const root = smallDataset('bad-option');
      await expect(makeWeakLabelFixtures({ root, classNames: CLASS_NAMES, seed: 1, noise: { fraction: 2 } })).rejects.toThrow(/option "fraction"/);
      await expect(makeWeakLabelFixtures({ root, classNames: CLASS_NAMES, seed: 1, scribble: { thickness: 2 } as never })).rejects.toThrow(/unknown option "thickness"/);
    });

    it('when a label holds a value that is not a class, should name the file', async () => {
      const root = smallDataset('three-classes');
      await expect(makeWeakLabelFixtures({ root, classNames: CLASS_NAMES.slice(0, 3), seed: 1 })).rejects.toThrow(/label\/z044\.png.*label value [34]/);
    });
  });

  describe('having the committed brain-mr-2d weak labels', () => {
    it('when regenerated by npm run fixtures:weak\'s script into a copy, should give exactly the committed files', async () => {
      const copy = path.join(scratch, 'brain-mr-2d');
      cpSync(BRAIN_MR_2D, copy, { recursive: true });
      rmSync(path.join(copy, WEAK_LABEL_FILES.scribbleFolder), { recursive: true });
      rmSync(path.join(copy, WEAK_LABEL_FILES.noisyFolder), { recursive: true });
      const { stdout } = await run(process.execPath, ['--import', 'tsx', 'scripts/make-weak-label-fixtures.ts', '--root', copy], { cwd: REPOSITORY });
      expect(stdout).toMatch(/Wrote weak labels for 33 cases/);
      const committed = writtenFiles(BRAIN_MR_2D);
      const regenerated = writtenFiles(copy);
      expect([...regenerated.keys()]).toEqual([...committed.keys()]);
      for (const [name, bytes] of committed) expect(regenerated.get(name)!.equals(bytes), name).toBe(true);
      expect(committed.size).toBe(4 + 33 + 17);
    });
  });
});
