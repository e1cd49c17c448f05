import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { stage, type PipelineDefinition } from '../../src/graph/pipeline-definition.js';
import { assertEvaluationDimensions, checkEvaluationDimensions } from '../../src/run/check-evaluation-dimensions.js';
import { preparePipelineRun } from '../../src/run/pipeline-run.js';
import acdcMeanTeacher from '../../pipelines/acdc-mean-teacher.js';
import acdcSupervised from '../../pipelines/acdc-supervised.js';
import supervised3d from '../../pipelines/supervised-3d.js';
import { writeAcdcLikeFold } from '../pipelines/acdc-like-data.js';

const scratch = mkdtempSync(join(tmpdir(), 'micflow-dims-'));
afterAll(() => rmSync(scratch, { recursive: true, force: true }));
/** The synthetic ACDC-like fold: test_volumes.csv lists 2×32×32 volumes, test.csv their 32×32 slices. */
let fold: string;
beforeAll(async () => {
  fold = await writeAcdcLikeFold(join(scratch, 'acdc-like'));
}, 120_000);

const problemsOf = (definition: PipelineDefinition, set: string[] = []) => {
  const prepared = preparePipelineRun(definition, { set, data: fold });
  return checkEvaluationDimensions(prepared.validated, fold);
};

/** A UNet2D (or `net`) evaluated on test_volumes.csv, through `between` when given. */
const classes = 4;
const unet2d = stage('UNet2D', { classes, features: [2, 2, 2, 2, 2] });
const graph = (evaluation: ReturnType<typeof stage>, between: Record<string, ReturnType<typeof stage>> = {}, samples = 'test', net = unet2d): PipelineDefinition => ({
  name: 'dims',
  description: '',
  data: '.',
  schedule: { iterations: 1, seed: 1 },
  nodes: {
    net,
    test: stage('CsvDataset', { csv: 'test_volumes.csv', classes }),
    ...between,
    evaluate: { ...evaluation, inputs: { net: 'net', samples } },
  },
});

describe('checking evaluations against their cases before training', () => {
  describe('having a 2D network and test volumes', () => {
    it('with sliceWise (the ACDC profile), should find nothing', async () => {
      expect(await problemsOf(acdcSupervised)).toEqual([]);
    });

    it('without sliceWise, should say so in one line naming the network, the list, the first case and the node to fix', async () => {
      expect(await problemsOf(acdcSupervised, ['evaluate.sliceWise=false'])).toEqual([
        `network 'net' is 2D but test cases in ${join(fold, 'test_volumes.csv')} are 3D (first: patient001_frame01.nii.gz, 2×32×32); set sliceWise: true on EvaluateSegmentation node 'evaluate'`,
      ]);
    });

    it('behind an EMA teacher (mean teacher), should still tell the evaluated student is 2D', async () => {
      expect(await problemsOf(acdcMeanTeacher, ['evaluate.sliceWise=false'])).toEqual([expect.stringMatching(/^network 'student' is 2D but test cases .* are 3D/)]);
    });

    it('with the test list swapped for the 2D slices, should find nothing even without sliceWise', async () => {
      expect(await problemsOf(acdcSupervised, ['evaluate.sliceWise=false', 'test.csv=test.csv'])).toEqual([]);
    });

    it('when the assertion fails, should prefix every line with where it comes from', async () => {
      const prepared = preparePipelineRun(acdcSupervised, { set: ['evaluate.sliceWise=false'], data: fold });
      await expect(assertEvaluationDimensions(prepared.validated, fold, 'pipelines/acdc-supervised.ts')).rejects.toMatchObject({
        kind: 'invalid-pipeline',
        message: expect.stringMatching(/^pipelines\/acdc-supervised\.ts: network 'net' is 2D but test cases in .*test_volumes\.csv are 3D/),
      });
    });
  });

  describe('having hand-made graphs', () => {
    it('should refuse Evaluate (Dice only) on volumes with a 2D network, pointing at EvaluateSegmentation', async () => {
      const [problem] = await problemsOf(graph(stage('Evaluate', {})));
      expect(problem).toMatch(/^network 'net' is 2D but test cases .* are 3D .*; Evaluate node 'evaluate' cannot predict volumes slice by slice: score them with EvaluateSegmentation and sliceWise: true/);
    });

    it('should take a RandomSlice between the list and the evaluation as making 2D cases', async () => {
      const between = { slices: stage('RandomSlice', {}, { samples: 'test' }) };
      expect(await problemsOf(graph(stage('EvaluateSegmentation', {}), between, 'slices'))).toEqual([]);
    });

    it('should skip what it cannot tell: a test list that does not exist fails later, in the run, with its own message', async () => {
      expect(await problemsOf(graph(stage('EvaluateSegmentation', {})), ['test.csv=no-such-list.csv'])).toEqual([]);
    });
  });

  describe('having a 3D network', () => {
    it('on 2D slices, should say the network is 3D and the cases 2D', async () => {
      const problems = await problemsOf(supervised3d, ['test.csv=test.csv', 'test.classes=4', 'net.classes=4', 'evaluate.classNames=["bg","a","b","c"]']);
      expect(problems).toEqual([
        `network 'net' is 3D but test cases in ${join(fold, 'test.csv')} are 2D (first: patient001_frame01_slice00.nii.gz, 32×32); give EvaluateSegmentation node 'evaluate' a list of volumes, or use a 2D network`,
      ]);
    });

    it('on volumes with sliceWise, should ask to remove sliceWise', async () => {
      const unet3d = stage('UNet3D', { classes: 4, features: [2, 2, 2, 2], dropout: [0, 0, 0, 0] });
      const problems = await problemsOf(graph(stage('EvaluateSegmentation', { sliceWise: true }), {}, 'test', unet3d));
      expect(problems).toEqual(["network 'net' is 3D but EvaluateSegmentation node 'evaluate' has sliceWise: true, which predicts 2D slices; remove sliceWise"]);
    });
  });
});
