import { execFile } from 'node:child_process';
import { existsSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { planExperiment } from '../../src/experiments/experiment-run.js';
import { loadExperimentSpec } from '../../src/experiments/experiment-spec.js';
import { writeAcdcLikeFold } from '../pipelines/acdc-like-data.js';

const run = promisify(execFile);
const scratch = mkdtempSync(join(tmpdir(), 'micflow-experiment-dims-'));
afterAll(() => rmSync(scratch, { recursive: true, force: true }));
/** The synthetic ACDC-like fold (test_volumes.csv: 2×32×32 volumes), standing in for data/acdc/fold0. */
let fold: string;
beforeAll(async () => {
  fold = await writeAcdcLikeFold(join(scratch, 'acdc-like'));
}, 120_000);

/** An ACDC SSL-like spec on the synthetic fold whose mean-teacher method evaluates the test volumes without sliceWise. */
function specFile(name: string, mistaken: boolean): string {
  const file = join(scratch, `${name}.ts`);
  const spec = {
    caption: 'c',
    classNames: ['background', 'RV', 'Myo', 'LV'],
    methods: [
      { name: 'supervised', pipeline: 'acdc-supervised', set: ['train.csv=train_labelled.csv'] },
      { name: 'mean-teacher', pipeline: 'acdc-mean-teacher', set: mistaken ? ['evaluate.sliceWise=false'] : [] },
    ],
    seeds: [1, 2],
    iterations: 1,
    data: fold,
  };
  writeFileSync(file, `export default ${JSON.stringify(spec)};\n`);
  return file;
}

const firstLine = (file: string) =>
  `${file}: method mean-teacher: network 'student' is 2D but test cases in ${join(fold, 'test_volumes.csv')} are 3D (first: patient001_frame01.nii.gz, 2×32×32); set sliceWise: true on EvaluateSegmentation node 'evaluate'`;

describe('an experiment whose 2D network would meet 3D test volumes without sliceWise', () => {
  it('should be refused while planning, in one line naming the spec, the method, the network, the list and the node, writing nothing', async () => {
    const file = specFile('mistaken', true);
    const out = join(scratch, 'never');
    const error = (await planExperiment(await loadExperimentSpec(file, scratch), { out }).catch((e: unknown) => e)) as Error & { kind?: string };
    expect(error.kind).toBe('invalid-pipeline');
    expect(error.message).toBe(firstLine(file));
    expect(existsSync(out)).toBe(false);
  });

  it('with sliceWise as the ACDC profile has it, should plan', async () => {
    const out = join(scratch, 'planned');
    const record = await planExperiment(await loadExperimentSpec(specFile('fine', false), scratch), { out });
    expect(record.jobs).toHaveLength(4);
    expect(existsSync(join(out, 'experiment.json'))).toBe(true);
  });

  it('through npm run experiment, should exit non-zero with that line before any job starts', async () => {
    const file = specFile('mistaken-cli', true);
    const out = join(scratch, 'never-cli');
    const failed = (await run(process.execPath, ['--import', 'tsx', 'src/cli/experiment-command.ts', file, '--out', out], { env: { ...process.env, MICFLOW_DEBUG: '' } }).catch(
      (e: unknown) => e,
    )) as { code: number; stderr: string };
    expect(failed.code).toBe(2);
    expect(failed.stderr).toBe(`micflow: ${firstLine(file)}\n`);
    expect(existsSync(out)).toBe(false);
  });

  it('through npm run pipeline, should exit non-zero naming the pipeline file, before the data check and before any run directory', async () => {
    const out = join(scratch, 'never-run');
    const failed = (await run(
      process.execPath,
      ['--import', 'tsx', 'src/cli/pipeline-command.ts', 'acdc-supervised', '--data', fold, '--set', 'evaluate.sliceWise=false', '--out', out],
      { env: { ...process.env, MICFLOW_DEBUG: '' } },
    ).catch((e: unknown) => e)) as { code: number; stderr: string };
    expect(failed.code).toBe(2);
    expect(failed.stderr).toBe(
      `micflow: pipelines/acdc-supervised.ts: network 'net' is 2D but test cases in ${join(fold, 'test_volumes.csv')} are 3D (first: patient001_frame01.nii.gz, 2×32×32); set sliceWise: true on EvaluateSegmentation node 'evaluate'\n`,
    );
    expect(existsSync(out)).toBe(false);
  });
});
