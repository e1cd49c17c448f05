import { execFile } from 'node:child_process';
import { mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { identityDirection, type MedicalImage } from '../../src/io/medical-image.js';
import { writeImage } from '../../src/io/read-image.js';

const run = promisify(execFile);
const scratch = mkdtempSync(join(tmpdir(), 'micflow-eval-'));
afterAll(() => rmSync(scratch, { recursive: true, force: true }));

async function cli(...args: string[]): Promise<{ code: number; stdout: string; stderr: string }> {
  try {
    const { stdout, stderr } = await run(process.execPath, ['--import', 'tsx', 'src/cli/eval-command.ts', ...args], {
      env: { ...process.env, MICFLOW_DEBUG: '' },
    });
    return { code: 0, stdout, stderr };
  } catch (error) {
    const e = error as { code: number; stdout: string; stderr: string };
    return { code: e.code, stdout: e.stdout, stderr: e.stderr };
  }
}

/** A 3D label volume (ITK size [x, y, z] = [20, 16, 6]) holding label 1 in the box x∈[x0, x0+8), y∈[4, 12), z∈[1, 5). */
function boxVolume(x0: number, spacing = [0.5, 0.5, 2]): MedicalImage {
  const [X, Y, Z] = [20, 16, 6];
  const data = new Uint8Array(X * Y * Z);
  for (let z = 1; z < 5; z++) for (let y = 4; y < 12; y++) for (let x = x0; x < x0 + 8; x++) data[x + X * (y + Y * z)] = 1;
  return { data, size: [X, Y, Z], spacing, origin: [0, 0, 0], direction: identityDirection(3), components: 1, pixelType: 'uint8' };
}

describe.concurrent('npm run eval', () => {
  const gt = join(scratch, 'gt');
  // Like fixtures/brain-mr-2d: a label folder holding more cases than were predicted, and dataset lists naming some.
  const labels = join(scratch, 'data', 'label');
  const list = (name: string, rows: string[]) => {
    const file = join(scratch, 'data', name);
    writeFileSync(file, `${rows.join('\n')}\n`);
    return file;
  };
  beforeAll(async () => {
    mkdirSync(gt);
    mkdirSync(labels, { recursive: true });
    for (const name of ['good', 'missing', 'geometry']) mkdirSync(join(scratch, name));
    await writeImage(join(labels, 'case1.nii.gz'), boxVolume(4));
    await writeImage(join(labels, 'case2.nii.gz'), boxVolume(6));
    await writeImage(join(labels, 'case3.nii.gz'), boxVolume(2)); // labelled, never predicted
    await writeImage(join(gt, 'case1.nii.gz'), boxVolume(4));
    await writeImage(join(gt, 'case2.nii.gz'), boxVolume(6));
    await writeImage(join(scratch, 'good', 'case1.nii.gz'), boxVolume(7)); // shifted by 3 voxels of 0.5 mm along x
    await writeImage(join(scratch, 'good', 'case2.nii.gz'), boxVolume(6));
    await writeImage(join(scratch, 'missing', 'case1.nii.gz'), boxVolume(4));
    await writeImage(join(scratch, 'geometry', 'case1.nii.gz'), boxVolume(4));
    await writeImage(join(scratch, 'geometry', 'case2.nii.gz'), boxVolume(6, [0.5, 0.5, 2.5]));
  });

  describe('having a prediction per case, one shifted by 3 voxels of 0.5 mm', () => {
    it('should write per-case rows with Dice 5/8 and Hausdorff 1.5 mm, mean and std rows, and print a summary', async () => {
      const out = join(scratch, 'metrics.csv');
      const { code, stdout, stderr } = await cli('--gt', gt, '--seg', join(scratch, 'good'), '--out', out);
      expect(stderr).toBe('');
      expect(code).toBe(0);
      const rows = readFileSync(out, 'utf8').trim().split('\n').map((l) => l.split(','));
      const header = rows[0];
      expect(header.slice(0, 4)).toEqual(['case', 'label', 'dice', 'iou']);
      const value = (row: string[], name: string) => Number(row[header.indexOf(name)]);
      const [case1, case2, mean, std] = rows.slice(1);
      expect(case1[0]).toBe('case1');
      expect(value(case1, 'dice')).toBeCloseTo(5 / 8, 5);
      expect(value(case1, 'hausdorff')).toBeCloseTo(1.5, 5);
      expect(value(case1, 'groundTruthVolume')).toBeCloseTo(8 * 8 * 4 * 0.5, 5);
      expect(value(case2, 'dice')).toBe(1);
      expect(mean.slice(0, 2)).toEqual(['mean', '1']);
      expect(value(mean, 'dice')).toBeCloseTo((5 / 8 + 1) / 2, 5);
      expect(value(std, 'dice')).toBeCloseTo(3 / 16, 5);
      expect(stdout).toMatch(/label\s+cases\s+Dice/);
      expect(stdout).toMatch(/\n\s+1\s+2\s+0\.813±0\.188/);
    }, 60_000);
  });

  describe('when a prediction is missing', () => {
    it('should fail with one message naming the missing file', async () => {
      const { code, stderr } = await cli('--gt', gt, '--seg', join(scratch, 'missing'));
      expect(code).toBe(2);
      expect(stderr.trim()).toBe(`micflow: prediction ${join(scratch, 'missing', 'case2.nii.gz')} is missing for ground truth ${join(gt, 'case2.nii.gz')}`);
    }, 60_000);
  });

  describe("when a prediction's spacing differs from its ground truth's", () => {
    it('should fail with one message naming the file and the difference', async () => {
      const { code, stderr } = await cli('--gt', gt, '--seg', join(scratch, 'geometry'));
      expect(code).toBe(2);
      expect(stderr.trim().split('\n')).toHaveLength(1);
      expect(stderr).toContain(`prediction ${join(scratch, 'geometry', 'case2.nii.gz')} does not match the geometry`);
      expect(stderr).toContain('spacing [0.5, 0.5, 2] vs [0.5, 0.5, 2.5]');
    }, 60_000);
  });

  describe('having a label folder with a case that was never predicted', () => {
    it('should fail when pairing the folders, naming the missing prediction', async () => {
      const { code, stderr } = await cli('--gt', labels, '--seg', join(scratch, 'good'));
      expect(code).toBe(2);
      expect(stderr).toContain(`prediction ${join(scratch, 'good', 'case3.nii.gz')} is missing`);
    }, 60_000);

    describe('and --cases naming two of its three cases (image and label paths relative to the list, as infer reads it)', () => {
      it("should evaluate exactly the list's cases, in its order, with the labels' ground truths", async () => {
        // The images need not exist: only their file names matter, as the names of the predictions.
        const cases = list('test.csv', ['image,label', 'image/case2.nii.gz,label/case2.nii.gz', 'image/case1.nii.gz,label/case1.nii.gz']);
        const out = join(scratch, 'list-metrics.csv');
        const { code, stdout, stderr } = await cli('--cases', cases, '--seg', join(scratch, 'good'), '--out', out);
        expect(stderr).toBe('');
        expect(code).toBe(0);
        expect(stdout).toContain('[1/2] case2');
        expect(stdout).toContain('[2/2] case1');
        const rows = readFileSync(out, 'utf8').trim().split('\n').map((l) => l.split(','));
        const header = rows[0];
        expect(rows.map((r) => r[0])).toEqual(['case', 'case2', 'case1', 'mean', 'std']);
        expect(Number(rows[1][header.indexOf('dice')])).toBe(1);
        expect(Number(rows[2][header.indexOf('dice')])).toBeCloseTo(5 / 8, 5);
        // Both HD95 definitions: two 8-voxel-wide boxes 3 voxels (1.5 mm) apart along x.
        expect(header).toContain('hd95Pymic');
        expect(Number(rows[2][header.indexOf('hd95Pymic')])).toBeCloseTo(1.5, 5);
      }, 60_000);

      it('should take the ground truths from --gt by the file names of the label column when --gt is given too', async () => {
        const cases = list('elsewhere.csv', ['image,label', 'x/case1.nii.gz,somewhere/else/case1.nii.gz']);
        const { code, stdout, stderr } = await cli('--cases', cases, '--gt', labels, '--seg', join(scratch, 'good'));
        expect(stderr).toBe('');
        expect(code).toBe(0);
        expect(stdout).toMatch(/\[1\/1\] case1 {2}Dice 1:0\.625/);
      }, 60_000);

      it("should fail naming the list's line when a listed case has no prediction", async () => {
        const cases = list('unpredicted.csv', ['image,label', 'image/case1.nii.gz,label/case1.nii.gz', 'image/case3.nii.gz,label/case3.nii.gz']);
        const { code, stderr } = await cli('--cases', cases, '--seg', join(scratch, 'good'));
        expect(code).toBe(2);
        expect(stderr.trim()).toBe(
          `micflow: ${cases} line 3: prediction ${join(scratch, 'good', 'case3.nii.gz')} is missing for ground truth ${join(labels, 'case3.nii.gz')}`,
        );
      }, 60_000);

      it('should fail naming the line when a listed ground truth does not exist', async () => {
        const cases = list('no-label.csv', ['image,label', 'image/case1.nii.gz,label/case9.nii.gz']);
        const { code, stderr } = await cli('--cases', cases, '--seg', join(scratch, 'good'));
        expect(code).toBe(2);
        expect(stderr.trim()).toBe(`micflow: ${cases} line 2: ground truth ${join(labels, 'case9.nii.gz')} does not exist`);
      }, 60_000);
    });
  });

  describe('when neither --gt nor --cases is given', () => {
    it('should print the usage', async () => {
      const { code, stderr } = await cli('--seg', gt);
      expect(code).toBe(2);
      expect(stderr).toContain('--seg and one of --gt or --cases are required');
      expect(stderr).toContain('--cases LIST.csv');
    }, 60_000);
  });
});
