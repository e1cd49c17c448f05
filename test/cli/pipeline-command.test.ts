import { execFile } from 'node:child_process';
import { copyFileSync, cpSync, existsSync, mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { readImage, writeImage } from '../../src/io/read-image.js';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { afterAll, describe, expect, it } from 'vitest';

const run = promisify(execFile);
const scratch = mkdtempSync(join(tmpdir(), 'micflow-cli-'));
afterAll(() => rmSync(scratch, { recursive: true, force: true }));

/** Runs the CLI as `npm run pipeline -- …` does and returns its exit code and output. */
async function cli(...args: string[]): Promise<{ code: number; stdout: string; stderr: string }> {
  try {
    const { stdout, stderr } = await run(process.execPath, ['--import', 'tsx', 'src/cli/pipeline-command.ts', ...args], {
      env: { ...process.env, MICFLOW_DEBUG: '' },
    });
    return { code: 0, stdout, stderr };
  } catch (error) {
    const e = error as { code: number; stdout: string; stderr: string };
    return { code: e.code, stdout: e.stdout, stderr: e.stderr };
  }
}

describe('npm run pipeline', () => {
  describe('when the pipeline does not exist', () => {
    it('should print one message listing the available pipelines and exit non-zero', async () => {
      const { code, stderr } = await cli('no-such-pipeline');
      expect(code).toBe(2);
      expect(stderr).toMatch(/^micflow: unknown pipeline "no-such-pipeline" \(no .*pipelines\/no-such-pipeline\.ts\); available: .*supervised/);
      expect(stderr.trim().split('\n')).toHaveLength(1);
      expect(stderr).not.toMatch(/\bat .*\.ts:\d+/);
    });
  });

  describe('when --set gives a param a value of the wrong type', () => {
    it('should name the key and the reason, and write nothing', async () => {
      const out = join(scratch, 'bad-set');
      const { code, stderr } = await cli('supervised', '--set', 'optimise.lr=fast', '--out', out);
      expect(code).toBe(2);
      expect(stderr).toContain('1 problem in the pipeline graph');
      expect(stderr).toMatch(/nodes\.optimise\.params\.lr: .*expected number/i);
      expect(existsSync(out)).toBe(false);
    });
  });

  describe('when --set names a node the pipeline does not have', () => {
    it('should list the nodes it has', async () => {
      const { code, stderr } = await cli('supervised', '--set', 'optimiser.lr=1e-4');
      expect(code).toBe(2);
      expect(stderr).toMatch(/^micflow: --set optimiser\.lr=1e-4: no node "optimiser" in pipeline "supervised"; its nodes are .*optimise/);
    });
  });

  describe('when --set has no "="', () => {
    it('should say what form it takes', async () => {
      const { code, stderr } = await cli('supervised', '--set', 'optimise.lr');
      expect(code).toBe(2);
      expect(stderr).toContain('expected key=value');
    });
  });

  describe('when asked to --list with a user module', () => {
    it('should list pipelines and every stage, the user stage included', async () => {
      const { code, stdout } = await cli('--list', '--module', 'test/run/user-stages.ts');
      expect(code).toBe(0);
      expect(stdout).toMatch(/pipelines:\n(  .*\n)*  supervised +Fully supervised/);
      expect(stdout).toMatch(/\n  acdc-supervised +Fully supervised 2D U-Net .* on ACDC cardiac MRI slices/);
      const pipelineLines = stdout.slice(0, stdout.indexOf('\n\nstages:')).split('\n').slice(1);
      expect(new Set(pipelineLines.map((l) => l.search(/(?<=\S +)\S/))).size, 'one description column').toBe(1);
      for (const name of ['CsvDataset', 'Batch', 'UNet2D', 'Forward', 'DiceLoss', 'Adam', 'Validate', 'InvertIntensity']) {
        expect(stdout).toMatch(new RegExp(`\\n  ${name} +\\w+ +\\S`));
      }
    });
  });

  describe('when asked to --describe a stage', () => {
    it("should print its ports and every param with type and default", async () => {
      const { code, stdout } = await cli('--describe', 'Adam');
      expect(code).toBe(0);
      expect(stdout).toMatch(/^Adam \(optimiser\) — /);
      expect(stdout).toMatch(/\n {2}nets {2}network list {2}networks whose variables this optimiser trains\n/);
      expect(stdout).toContain('\n  lr: number > 0; default 0.001\n');
      expect(stdout).toContain('\n  betas: [number in [0, 1), number in [0, 1)]; default [0.9,0.999]\n');
    });

    it('should name a stage that does not exist, suggest the closest, and exit 2', async () => {
      const { code, stdout, stderr } = await cli('--describe', 'Adamm');
      expect(code).toBe(2);
      expect(stdout).toBe('');
      expect(stderr.trim()).toBe('micflow: --describe Adamm: no such stage; did you mean "Adam"? (npm run pipeline -- --list shows all)');
    });
  });

  describe('when --check-data finds a missing file', () => {
    it('should name the list line and the file, exit non-zero and train nothing', async () => {
      const data = join(scratch, 'data');
      mkdirSync(data, { recursive: true });
      for (const name of ['train', 'valid', 'test']) copyFileSync(join('fixtures/brain-mr-2d', `${name}.csv`), join(data, `${name}.csv`));
      cpSync('fixtures/brain-mr-2d/image', join(data, 'image'), { recursive: true });
      cpSync('fixtures/brain-mr-2d/label', join(data, 'label'), { recursive: true });
      rmSync(join(data, 'label', 'z044.png'));
      const { code, stdout } = await cli('supervised', '--check-data', '--data', data);
      expect(code).toBe(1);
      expect(stdout).toMatch(/^check-data: 1 problem in 3 dataset lists/);
      expect(stdout).toMatch(/train: .*train\.csv line 2: .*label\/z044\.png/);
    });
  });

  describe('when an unknown flag is given', () => {
    it('should print the usage and exit non-zero', async () => {
      const { code, stderr } = await cli('supervised', '--bogus');
      expect(code).toBe(2);
      expect(stderr).toContain("Unknown option '--bogus'");
      expect(stderr).toContain('usage: npm run pipeline');
    });
  });
  describe('when --out cannot be a run directory', () => {
    it('should say why in one line, exit 2 and train nothing', async () => {
      const { code, stderr } = await cli('supervised', '--out', '/etc/hostname/run');
      expect(code).toBe(2);
      expect(stderr.trim()).toMatch(/^micflow: --out \/etc\/hostname\/run: cannot create the run directory: a part of the path is a file, not a folder$/m);
      const notEmpty = join(scratch, 'not-empty');
      mkdirSync(notEmpty, { recursive: true });
      writeFileSync(join(notEmpty, 'x'), '');
      const again = await cli('supervised', '--out', notEmpty);
      expect(again.code).toBe(2);
      expect(again.stderr).toContain(`--out ${notEmpty}: the folder is not empty`);
    });
  });

  describe('when --set names a param the stage does not have', () => {
    it("should suggest the closest and list the stage's params", async () => {
      const { code, stderr } = await cli('supervised', '--set', 'optimise.lrate=1e-4');
      expect(code).toBe(2);
      expect(stderr).toContain('nodes.optimise.params: unknown key "lrate"; did you mean "lr"? Adam takes lr, betas, eps, weightDecay, milestones, gamma');
    });
  });

  describe('when a pipeline module has a syntax error', () => {
    it('should name file, line and column and the compiler message', async () => {
      const file = join(scratch, 'broken.ts');
      writeFileSync(file, "export default {\n  name: 'x',,\n};\n");
      const { code, stderr } = await cli(file);
      expect(code).toBe(2);
      expect(stderr.trim()).toBe(`micflow: ${file}: cannot load the pipeline module: ${file}:2:12: ERROR: Expected identifier but found ","`);
    });
  });

  describe('when a training label holds a value outside the classes', () => {
    it('should report it before training, with nothing written', async () => {
      const data = join(scratch, 'label-nine');
      mkdirSync(data, { recursive: true });
      for (const name of ['train', 'valid', 'test']) copyFileSync(join('fixtures/brain-mr-2d', `${name}.csv`), join(data, `${name}.csv`));
      cpSync('fixtures/brain-mr-2d/image', join(data, 'image'), { recursive: true });
      cpSync('fixtures/brain-mr-2d/label', join(data, 'label'), { recursive: true });
      const label = await readImage(join(data, 'label', 'z044.png'));
      await writeImage(join(data, 'label', 'z044.png'), { ...label, data: (label.data as Uint8Array).map((v, i) => (i === 0 ? 9 : v)) });
      const out = join(scratch, 'label-nine-run');
      const { code, stderr } = await cli('supervised', '--data', data, '--out', out);
      expect(code).toBe(2);
      expect(stderr).toMatch(/check-data: 1 problem in 3 dataset lists/);
      expect(stderr).toMatch(/train: .*train\.csv line 2: label .*z044\.png holds 9, outside the 5 declared classes/);
      expect(stderr).toContain('nothing was written');
      expect(existsSync(out)).toBe(false);
    });
  });

  describe('when the dashboard flags are wrong', () => {
    it('should refuse --host or --token without --dashboard, and a port out of range, before anything is written', async () => {
      const out = join(scratch, 'dashboard-flags');
      const host = await cli('supervised', '--host', '0.0.0.0', '--out', out);
      expect(host.code).toBe(2);
      expect(host.stderr).toMatch(/^micflow: --host and --token are the dashboard's: add --dashboard/);
      const port = await cli('supervised', '--dashboard', '70000', '--out', out);
      expect(port.code).toBe(2);
      expect(port.stderr).toMatch(/^micflow: --dashboard 70000: expected a port number 0–65535/);
      const exposed = await cli('supervised', '--dashboard', '--host', '0.0.0.0', '--out', out, '--skip-data-check', '--set', 'schedule.iterations=1');
      expect(exposed.code).toBe(2);
      expect(exposed.stderr).toMatch(/--host 0\.0\.0\.0: a dashboard reachable from other machines needs --token/);
      expect(existsSync(out)).toBe(false);
    });
  });
});
