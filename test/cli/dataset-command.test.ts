import { execFile } from 'node:child_process';
import { existsSync, mkdtempSync, readdirSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { promisify } from 'node:util';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { readImage } from '../../src/io/read-image.js';
import { readCsv, writeHdf5Volumes } from './dataset-test-data.js';

const run = promisify(execFile);
const scratch = mkdtempSync(path.join(tmpdir(), 'micflow-dataset-command-'));
afterAll(() => rmSync(scratch, { recursive: true, force: true }));

async function cli(script: string, ...args: string[]): Promise<{ code: number; stdout: string; stderr: string }> {
  try {
    const { stdout, stderr } = await run(process.execPath, ['--import', 'tsx', script, ...args], { env: { ...process.env, MICFLOW_DEBUG: '' } });
    return { code: 0, stdout, stderr };
  } catch (error) {
    const e = error as { code: number; stdout: string; stderr: string };
    return { code: e.code, stdout: e.stdout, stderr: e.stderr };
  }
}
const dataset = (...args: string[]) => cli('src/cli/dataset-command.ts', ...args);

describe('npm run dataset', () => {
  describe('having SSL4MIS-style HDF5 volumes of six patients', () => {
    const source = path.join(scratch, 'h5');
    const out = path.join(scratch, 'acdc');
    beforeAll(async () => {
      await writeHdf5Volumes(source, [1, 2, 3, 4, 5, 6]);
    });

    it('when imported, split into slices with a test set and weak-labelled, should give fold folders a pipeline checks clean', async () => {
      const imported = await dataset('import', 'hdf5', source, '--out', out);
      expect(imported.stderr).toBe('');
      expect(imported.code).toBe(0);
      expect(imported.stdout).toMatch(/imported 12 labelled cases of 6 subjects \(with scribbles\)/);
      expect(imported.stdout).toMatch(/classes: background, RV, Myo, LV/);
      expect(imported.stdout).toMatch(/note: .*1 mm/);

      const split = await dataset('split', out, '--by', 'subject', '--folds', '2', '--seed', '3', '--test', '0.34', '--labelled', '0.5', '--slices', 'axial');
      expect(split.stderr).toBe('');
      expect(split.code).toBe(0);
      expect(split.stdout).toMatch(/split 12 cases of 6 subjects into 2 folds \(seed 3\).*36 axial slices/);
      expect(split.stdout).toMatch(/test: 2 subjects, 12 slices/);
      expect(split.stdout).toMatch(/fold0: train 2 subjects \(12 slices\), valid 2 \(12\), labelled 1 \(6\), unlabelled 1 \(6\)/);

      const fold0 = path.join(out, 'fold0');
      const weak = await dataset('weak', fold0, '--scribbles', '--noise', '--seed', '2', '--set', 'noise.fraction=0.5', '--set', 'scribble.strokeRadius=0');
      expect(weak.stderr).toBe('');
      expect(weak.code).toBe(0);
      expect(weak.stdout).toMatch(/weak labels for 12 cases of train\.csv.*train_scribble\.csv, train_noisy\.csv, train_noisy_clean_split\.csv/);
      const scribbles = readCsv(path.join(fold0, 'train_scribble.csv'));
      expect(scribbles.header).toEqual(['image', 'label', 'scribble', 'subject', 'volume', 'slice']);
      const first = scribbles.rows[0];
      expect(first.label).toBe(`scribble/${first.volume}_slice${first.slice.padStart(2, '0')}.nii.gz`);
      const scribble = await readImage(path.join(fold0, first.label));
      expect(scribble.size).toEqual([12, 8, 1]);
      expect(new Set(scribble.data as Uint8Array)).toEqual(new Set([0, 1, 2, 3, 4]));
      expect(readCsv(path.join(fold0, 'train_noisy_clean_split.csv')).rows.filter((r) => r.noisy === '1')).toHaveLength(6);

      const check = await cli('src/cli/pipeline-command.ts', 'supervised', '--data', fold0, '--check-data', '--set', 'net.classes=4');
      expect(check.stdout).toMatch(/^check-data: ok \(3 dataset lists, 36 rows decoded\)/);
      expect(check.code).toBe(0);
    });

    it('when the output folder exists and is not empty, should fail with one message naming --out and exit 2', async () => {
      const again = await dataset('import', 'hdf5', source, '--out', path.join(scratch, 'h5'));
      expect(again.code).toBe(2);
      expect(again.stderr).toMatch(/^micflow: --out .*h5 already exists and is not an empty folder/);
    });
  });

  describe('having wrong arguments', () => {
    it('should name the action, the format, the flag or the option in one message and exit 2', async () => {
      const cases: Array<[string[], RegExp]> = [
        [['frobnicate'], /unknown action "frobnicate": import, split or weak/],
        [['import', 'dicom', 'x', '--out', 'y'], /unknown format "dicom": msd, hdf5, acdc, folder/],
        [['import', 'hdf5', 'x', '--out', 'y', '--folds', '3'], /--folds is not an option of import/],
        [['split', scratch, '--folds', '1'], /--folds 1: expected an integer ≥ 2/],
        [['split', scratch, '--folds', '2', '--labelled', '1.5'], /--labelled 1\.5: expected a fraction/],
        [['weak', scratch, '--classes', 'background'], /give --scribbles, --noise or both|--classes background: expected two or more/],
        [['import', 'folder', '--out', 'y'], /import folder needs --images DIR/],
      ];
      for (const [args, message] of cases) {
        const { code, stderr } = await dataset(...args);
        expect(code, args.join(' ')).toBe(2);
        expect(stderr, args.join(' ')).toMatch(message);
        expect(stderr.split('\n').filter((l) => l.startsWith('micflow:'))).toHaveLength(1);
      }
    });

    it('when an HDF5 file is broken, should name it and leave no output folder', async () => {
      const bad = path.join(scratch, 'bad-h5');
      await writeHdf5Volumes(bad, [1]);
      const { writeFileSync } = await import('node:fs');
      writeFileSync(path.join(bad, 'patient001_frame12.h5'), 'truncated');
      const out = path.join(scratch, 'bad-out');
      const { code, stderr } = await dataset('import', 'hdf5', bad, '--out', out);
      expect(code).toBe(2);
      expect(stderr).toMatch(/patient001_frame12\.h5: not an HDF5 file/);
      expect(existsSync(out)).toBe(false);
      expect(readdirSync(scratch).filter((n) => n.includes('partial'))).toEqual([]);
    });

    it('--help should print the usage and exit 0', async () => {
      const { code, stdout } = await dataset('--help');
      expect(code).toBe(0);
      expect(stdout).toMatch(/^usage: npm run dataset -- import msd\|hdf5\|acdc SRC --out DIR/);
    });
  });
});
