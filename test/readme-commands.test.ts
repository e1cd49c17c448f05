import { execFile } from 'node:child_process';
import { existsSync, mkdirSync, mkdtempSync, readdirSync, readFileSync, rmSync, symlinkSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { promisify } from 'node:util';
import { afterAll, describe, expect, it } from 'vitest';
import { writeHdf5Volumes } from './cli/dataset-test-data.js';

const run = promisify(execFile);
const repository = resolve('.');

/** Every line of the README's ```bash blocks, without its trailing comment. */
function readmeCommands(): string[] {
  const lines: string[] = [];
  let inBlock = false;
  for (const line of readFileSync(join(repository, 'README.md'), 'utf8').split('\n')) {
    if (line.startsWith('```')) {
      inBlock = !inBlock && line.startsWith('```bash');
      continue;
    }
    if (inBlock && line.trim()) lines.push(line.replace(/\s+#.*$/, '').trim());
  }
  return lines;
}

/**
 * What this test does with each command the README shows. `run`: run exactly as written, in a scratch copy of the
 * project (its own runs/, data/, predictions/). `substitute`: run with the README's placeholder filled in by this
 * test (a run directory made by an earlier command, a synthetic stand-in for a user's dataset) or, for training on
 * that stand-in, a shorter schedule. `skip`: why it cannot run here. A README command missing from this table fails
 * the test, so a new command is either run or given a reason.
 */
const plan: Record<string, { readonly how: 'run' | 'skip' | 'substitute'; readonly why?: string }> = {
  'npm ci && npm run pipeline -- supervised': { how: 'substitute', why: 'npm ci is the install this suite runs in; the pipeline command runs as written' },
  'npm test': { how: 'skip', why: 'the suite itself' },
  'npm run build:browser': { how: 'skip', why: 'test/browser/pipeline-in-chromium.test.ts builds build/browser/ with the same script and trains in it in chromium' },
  'npm run pipeline -- <name> [--set key=value ...] [--data DIR] [--backend NAME] [--out DIR] [--module FILE ...]': { how: 'skip', why: 'a synopsis' },
  'npm run pipeline -- --resume RUN_DIR': { how: 'substitute', why: 'RUN_DIR: the supervised run above, finished, so refused with a message (exit 2)' },
  'npm run pipeline -- --list': { how: 'run' },
  'npm run pipeline -- --describe UNet2D': { how: 'run' },
  'npm run runs': { how: 'run' },
  'npm run pipeline -- supervised --dashboard': { how: 'skip', why: 'serves until Ctrl-C; test/dashboard drives a live dashboard in chromium' },
  'npm run dashboard -- runs/': { how: 'skip', why: 'serves until Ctrl-C; test/dashboard covers the server' },
  'npm run experiment -- ssl --seeds 1,2,3': { how: 'skip', why: '24 training runs (about an hour); test/experiments runs specs through the same command' },
  'npm run infer -- runs/supervised-<time> --data fixtures/brain-mr-2d/test.csv --out predictions/': { how: 'substitute', why: '<time>: the supervised run above' },
  'npm run eval -- --cases fixtures/brain-mr-2d/test.csv --seg predictions/ --classes 5 --out metrics.csv': { how: 'run' },
  'npm run experiment -- ssl --methods supervised,urpc --seeds 1,2,3': { how: 'skip', why: '6 training runs; test/experiments runs specs through the same command' },
  'npm run experiment -- ssl --queue redis://HOST:6379': { how: 'skip', why: 'needs a Redis at HOST; test/experiments starts its own for the queue' },
  'npm run worker -- --queue redis://HOST:6379': { how: 'skip', why: 'needs a Redis at HOST; test/experiments runs workers against its own' },
  'npm run experiment -- status ssl-20261203-101500 --queue redis://HOST:6379': { how: 'skip', why: 'needs a Redis at HOST' },
  'npm run experiment -- attach ssl-20261203-101500 --queue redis://HOST:6379': { how: 'skip', why: 'needs a Redis at HOST' },
  'npm run infer -- runs/a --data cases.csv --out preds --queue redis://HOST:6379 --cases-per-job 8': { how: 'skip', why: 'needs a Redis at HOST; test/experiments checks queued inference' },
  'npm run experiment -- --list': { how: 'run' },
  'npm run pipeline -- mean-teacher --dashboard': { how: 'skip', why: 'serves until Ctrl-C' },
  'npm run dashboard -- runs/a runs/b --port 7000': { how: 'skip', why: 'serves until Ctrl-C' },
  'tensorboard --logdir runs/': { how: 'skip', why: 'TensorBoard is not part of micflow (test/observers decodes the event files)' },
  'npm run dataset -- import hdf5 PATH/TO/acdc-wsl4mis/volumes --out data/acdc': { how: 'substitute', why: 'PATH/TO: six synthetic patients in the same HDF5 layout (the ACDC files may not be used by tests)' },
  'npm run dataset -- split data/acdc --folds 5 --seed 1 --test 0.2 --labelled 0.1 --slices axial': { how: 'run' },
  'npm run pipeline -- acdc-supervised --data data/acdc/fold0': { how: 'substitute', why: 'on the synthetic stand-in, 4 iterations (its 2000 take ≈ 5 min)' },
  'npm run infer -- runs/acdc-supervised-<time> --data data/acdc/fold0/test_volumes.csv --out predictions-acdc/ --slice-wise': { how: 'substitute', why: '<time>: the acdc-supervised run above' },
  'npm run eval -- --cases data/acdc/fold0/test_volumes.csv --seg predictions-acdc/ --classes 4 --out metrics-acdc.csv': { how: 'run' },
  'npm run pipeline -- scribble-pce --set schedule.iterations=100': { how: 'skip', why: 'a 100-iteration run (about a minute); test/studio makes its starting checkpoint the same way, shorter' },
  'npm run studio -- my-slices --checkpoint runs/scribble-pce-<stamp>': { how: 'skip', why: 'serves until Ctrl-C; test/studio drives the studio server and page in chromium' },
  'npm run infer -- my-slices/studio-runs/<stamp> --data my-slices/image --out predictions': { how: 'skip', why: 'needs a studio run; test/studio runs npm run infer on the checkpoint it fine-tunes' },
};

const scratch = mkdtempSync(join(tmpdir(), 'micflow-readme-'));
afterAll(() => rmSync(scratch, { recursive: true, force: true }));
const project = join(scratch, 'project');
mkdirSync(project);
for (const entry of ['package.json', 'node_modules', 'src', 'pipelines', 'specs', 'fixtures', 'tsconfig.json', 'build']) {
  if (existsSync(join(repository, entry))) symlinkSync(join(repository, entry), join(project, entry));
}

/** Runs one README line with the shell, in the scratch project; an `npm run` line runs silently (`npm run -s`). */
async function shell(command: string, exitCode = 0): Promise<{ stdout: string; stderr: string }> {
  const quiet = command.replace(/^npm run /, 'npm run -s ');
  try {
    return await run('bash', ['-c', quiet], { cwd: project, maxBuffer: 64 * 1024 * 1024, env: { ...process.env, FORCE_COLOR: '0', CI: 'true' } });
  } catch (error) {
    const failed = error as { code?: number; stderr?: string; stdout?: string };
    if (failed.code === exitCode) return { stdout: failed.stdout ?? '', stderr: failed.stderr ?? '' };
    throw new Error(`README command failed (exit ${failed.code}): ${command}\n${failed.stderr ?? ''}${failed.stdout ?? ''}`);
  }
}

describe('the README commands', () => {
  const commands = readmeCommands();

  it('having the README, should account for every command it shows (run here, or a reason why not)', () => {
    expect(commands.filter((c) => !(c in plan))).toEqual([]);
    expect(Object.keys(plan).filter((c) => !commands.includes(c)), 'entries of the plan that the README no longer shows').toEqual([]);
  });

  it('should name only scripts that package.json defines', () => {
    const scripts = Object.keys(JSON.parse(readFileSync(join(repository, 'package.json'), 'utf8')).scripts as Record<string, string>);
    for (const command of commands) for (const [, name] of command.matchAll(/npm run (\S+)/g)) expect(scripts, command).toContain(name);
  });

  describe('when run in order in a fresh copy of the project', () => {
    it('should train, resume, list, describe, infer and evaluate as the README says', { timeout: 600_000 }, async () => {
      await shell('npm run pipeline -- supervised');
      const runDirectory = readdirSync(join(project, 'runs')).find((d) => d.startsWith('supervised-'))!;
      expect(existsSync(join(project, 'runs', runDirectory, 'evaluation.csv'))).toBe(true);
      // A finished run is not resumed: one message naming it, exit 2 (an interrupted one is, see test/run).
      expect((await shell(`npm run pipeline -- --resume runs/${runDirectory}`, 2)).stderr).toMatch(/already finished/);
      expect((await shell('npm run pipeline -- --list')).stdout).toMatch(/mean-teacher/);
      expect((await shell('npm run pipeline -- --describe UNet2D')).stdout).toMatch(/features/);
      expect((await shell('npm run runs')).stdout).toContain(runDirectory);
      expect((await shell('npm run experiment -- --list')).stdout).toMatch(/ssl/);
      await shell(`npm run infer -- runs/${runDirectory} --data fixtures/brain-mr-2d/test.csv --out predictions/`);
      expect(readdirSync(join(project, 'predictions'))).toHaveLength(9);
      await shell('npm run eval -- --cases fixtures/brain-mr-2d/test.csv --seg predictions/ --classes 5 --out metrics.csv');
      const table = readFileSync(join(project, 'metrics.csv'), 'utf8').trim().split('\n');
      expect(table[0]).toMatch(/^case,label,dice,/);
      expect(new Set(table.slice(1).map((line) => line.split(',')[0]).filter((c) => c !== 'mean' && c !== 'std')).size).toBe(9);
    });

    it('should import, split and train on a dataset as "Bring your own data" says', { timeout: 300_000 }, async () => {
      const source = join(scratch, 'acdc-wsl4mis', 'volumes');
      await writeHdf5Volumes(source, [1, 2, 3, 4, 5, 6, 7, 8, 9, 10]);
      await shell(`npm run dataset -- import hdf5 ${source} --out data/acdc`);
      await shell('npm run dataset -- split data/acdc --folds 5 --seed 1 --test 0.2 --labelled 0.1 --slices axial');
      expect(readdirSync(join(project, 'data', 'acdc', 'fold0')).sort()).toEqual(
        ['classes.json', 'test.csv', 'test_volumes.csv', 'train.csv', 'train_labelled.csv', 'train_scribble.csv', 'train_unlabelled.csv', 'valid.csv', 'valid_volumes.csv'],
      );
      await shell('npm run pipeline -- acdc-supervised --data data/acdc/fold0 --set schedule.iterations=4');
      const acdcRun = readdirSync(join(project, 'runs')).find((d) => d.startsWith('acdc-supervised-'))!;
      const inRun = readFileSync(join(project, 'runs', acdcRun, 'metrics.csv'), 'utf8').trim().split('\n');
      expect(inRun[0]).toMatch(/^case,label,dice/);
      await shell(`npm run infer -- runs/${acdcRun} --data data/acdc/fold0/test_volumes.csv --out predictions-acdc/ --slice-wise`);
      await shell('npm run eval -- --cases data/acdc/fold0/test_volumes.csv --seg predictions-acdc/ --classes 4 --out metrics-acdc.csv');
      // The volumes predicted slice by slice by infer and scored by eval: the run's own per-volume table, row for row.
      const afterwards = readFileSync(join(project, 'metrics-acdc.csv'), 'utf8').trim().split('\n');
      const dice = (lines: string[]) => new Map(lines.slice(1).map((l) => l.split(',')).filter((r) => r[0] !== 'mean' && r[0] !== 'std').map((r) => [`${r[0]}/${r[1]}`, Number(r[2])]));
      const [a, b] = [dice(inRun), dice(afterwards)];
      expect([...b.keys()].sort()).toEqual([...a.keys()].sort());
      expect(a.size).toBeGreaterThan(0);
      for (const [key, value] of a) expect(b.get(key), key).toBeCloseTo(value, 5);
    });
  });
});
