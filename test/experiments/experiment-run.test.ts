import { existsSync, mkdtempSync, readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { comparisonPlotSvg } from '../../src/experiments/comparison-plot.js';
import { readExperimentRecord } from '../../src/experiments/experiment-record.js';
import { formatJobStandings, planExperiment, runExperimentLocally, writeExperimentResults } from '../../src/experiments/experiment-run.js';
import type { ExperimentJobResult } from '../../src/experiments/experiment-job.js';
import { experimentSpecSchema, loadExperimentSpec, planExperimentJobs } from '../../src/experiments/experiment-spec.js';

const scratch = mkdtempSync(join(tmpdir(), 'micflow-experiment-'));
afterAll(() => rmSync(scratch, { recursive: true, force: true }));
const classNames = ['background', 'caudate', 'putamen', 'thalamus', 'hippocampus'];

/** A spec module file with this default export. */
function specFile(name: string, spec: unknown): string {
  const file = join(scratch, `${name}.ts`);
  writeFileSync(file, `export default ${JSON.stringify(spec)};\n`);
  return file;
}

describe('experiment specs', () => {
  describe('having two methods, two variants, two folds and two seeds', () => {
    it('should plan one job per combination in table order, each with its overrides in order', () => {
      const spec = experimentSpecSchema.parse({
        caption: 'c',
        classNames,
        methods: ['supervised', { name: 'mt', pipeline: 'mean-teacher', set: ['optimise.lr=0.01'] }],
        variants: [{ name: 'small', set: ['batch.size=2'] }, { name: 'big', set: ['batch.size=8'] }],
        folds: { count: 2, set: ['train.csv=fold{fold}/train.csv'] },
        seeds: [1, 2],
        iterations: 10,
        set: ['validate.every=5'],
      });
      const jobs = planExperimentJobs(spec);
      expect(jobs).toHaveLength(2 * 2 * 2 * 2);
      expect(jobs.slice(0, 3).map((j) => j.id)).toEqual(['supervised-small-fold0-seed1', 'supervised-small-fold0-seed2', 'supervised-small-fold1-seed1']);
      const last = jobs.at(-1)!;
      expect([last.id, last.row, last.method, last.pipeline, last.variant, last.fold, last.seed]).toEqual(['mt-big-fold1-seed2', 'mt-big', 'mt', 'mean-teacher', 'big', 1, 2]);
      expect(last.set).toEqual(['schedule.iterations=10', 'schedule.seed=2', 'validate.every=5', 'optimise.lr=0.01', 'batch.size=8', 'train.csv=fold1/train.csv']);
      expect(planExperimentJobs(spec, ['mt']).every((j) => j.method === 'mt')).toBe(true);
    });

    describe('when --methods names a method the spec does not have, or two methods share a name', () => {
      it('should say which, listing the methods', () => {
        const spec = experimentSpecSchema.parse({ caption: 'c', classNames, methods: ['supervised'], seeds: [1], iterations: 1 });
        expect(() => planExperimentJobs(spec, ['cps'])).toThrow(/--methods: no method "cps" in the experiment \(it has supervised\)/);
        const twice = experimentSpecSchema.parse({ caption: 'c', classNames, methods: ['supervised', 'supervised'], seeds: [1], iterations: 1 });
        expect(() => planExperimentJobs(twice)).toThrow(/"supervised" appears twice/);
      });
    });
  });

  describe('when a spec module is wrong', () => {
    it('should name the file and every key that is wrong', async () => {
      const file = specFile('bad', { caption: 'c', classNames, methods: [], seeds: [1.5], iterations: 1, extra: true });
      const error = (await loadExperimentSpec(file, scratch).catch((e: Error) => e)) as Error;
      expect(error.message).toContain(`${file}: the experiment spec is invalid`);
      expect(error.message).toMatch(/methods: .*/);
      expect(error.message).toMatch(/seeds\.0: .*int/i);
      expect(error.message).toMatch(/extra/);
      await expect(loadExperimentSpec('no-such-spec', scratch)).rejects.toThrow(/unknown experiment "no-such-spec" .*available: bad/);
    });
  });

  describe('when a spec gives postprocess a value it does not know', () => {
    it('should name the key, the values it takes and what it does', async () => {
      const file = specFile('bad-postprocess', { caption: 'c', classNames, methods: ['supervised'], seeds: [1], iterations: 1, postprocess: 'largest' });
      const error = (await loadExperimentSpec(file, scratch).catch((e: Error) => e)) as Error;
      expect(error.message).toContain(`${file}: the experiment spec is invalid`);
      expect(error.message).toMatch(/postprocess: .*"largest-component-per-class".*\(postprocess: also score the test predictions after post-processing/);
    });
  });

  describe('when a method names a pipeline that does not exist', () => {
    it('should fail while planning, before the folder is made', async () => {
      const loaded = await loadExperimentSpec(specFile('missing', { caption: 'c', classNames, methods: ['no-such-pipeline'], seeds: [1], iterations: 1 }), scratch);
      const out = join(scratch, 'never');
      await expect(planExperiment(loaded, { out })).rejects.toThrow(/unknown pipeline "no-such-pipeline"/);
      expect(existsSync(out)).toBe(false);
    });
  });

  describe('having run one method with one seed here', () => {
    it('should leave the record, a run directory with its result, results.json, results.md and results.svg', async () => {
      const loaded = await loadExperimentSpec(specFile('one', { caption: 'one: {iterations} iteration, seeds {seeds}', classNames, methods: ['supervised'], seeds: [1], iterations: 1 }), scratch);
      const out = join(scratch, 'one-run');
      const record = await planExperiment(loaded, { out });
      expect(readExperimentRecord(out)).toEqual(record);
      expect(record.caption).toBe('one: 1 iteration, seeds 1');
      const { results, failures } = await runExperimentLocally(record);
      expect(failures).toEqual([]);
      writeExperimentResults(record, results, failures);
      expect(readdirSync(out).sort()).toEqual(['experiment.json', 'results.json', 'results.md', 'results.svg', 'supervised-seed1']);
      expect(existsSync(join(out, 'supervised-seed1', 'result.json'))).toBe(true);
      expect(readFileSync(join(out, 'results.svg'), 'utf8')).toBe(comparisonPlotSvg(results, { classNames, caption: record.caption }));
      expect(readFileSync(join(out, 'results.md'), 'utf8')).toMatch(/^one: 1 iteration, seeds 1\n\n\| method \| seeds /);
    });
  });

  describe('having run one job with postprocess largest-component-per-class', () => {
    it('should record raw and post-processed scores and show both in results.md and the standings', async () => {
      const spec = { caption: 'lcc', classNames, methods: ['supervised'], seeds: [1], iterations: 1, postprocess: 'largest-component-per-class' };
      const loaded = await loadExperimentSpec(specFile('lcc', spec), scratch);
      const out = join(scratch, 'lcc-run');
      const record = await planExperiment(loaded, { out });
      expect(record.postprocess).toBe('largest-component-per-class');
      const { results, failures } = await runExperimentLocally(record);
      expect(failures).toEqual([]);
      const [result] = results;
      expect(result.postprocess).toBe('largest-component-per-class');
      expect(result.postprocessed?.dice).toHaveLength(classNames.length - 1);
      expect(existsSync(join(out, 'supervised-seed1', 'metrics-lcc.csv'))).toBe(true);
      const config = JSON.parse(readFileSync(join(out, 'supervised-seed1', 'config.json'), 'utf8')) as { nodes: { evaluate: { params: { postprocess: string } } } };
      expect(config.nodes.evaluate.params.postprocess).toBe('largest-component-per-class');
      const table = writeExperimentResults(record, results, failures);
      expect(table.split('\n')[4]).toMatch(/^\| method \| seeds \| backend \| mean fg Dice \| mean fg Dice \+LCC \| mean fg HD95 \(mm\) \| mean fg HD95 \+LCC \(mm\) \| caudate Dice \| caudate Dice \+LCC \|/);
      expect(formatJobStandings([{ job: result.job, state: 'completed', attempts: 1, result }])).toMatch(/supervised-seed1 +completed .*test (\d\.\d{4}|-)  \+LCC (\d\.\d{4}|-)/);
    });
  });

  describe('having standings of jobs with and without post-processed scores', () => {
    it('should show test and +LCC Dice, "-" where a job has none', () => {
      const result = (job: string, meanDice: number, lcc?: number) =>
        ({
          job,
          row: job,
          method: job,
          seed: 1,
          runDirectory: `/runs/${job}`,
          backend: 'native',
          dice: [meanDice],
          hd95: [1],
          meanDice,
          meanHd95: 1,
          ...(lcc === undefined ? {} : { postprocess: 'largest-component-per-class', postprocessed: { dice: [lcc], hd95: [1], meanDice: lcc, meanHd95: 1 } }),
        }) as ExperimentJobResult;
      const text = formatJobStandings([
        { job: 'new', state: 'completed', attempts: 1, result: result('new', 0.5, 0.75) },
        { job: 'old', state: 'completed', attempts: 1, result: result('old', 0.625) },
        { job: 'running', state: 'active', attempts: 1, validation: 0.25, iteration: 3, iterations: 10 },
      ]).split('\n');
      expect(text[1]).toBe('  new      completed               test 0.5000  +LCC 0.7500');
      expect(text[2]).toBe('  old      completed               test 0.6250  +LCC -');
      expect(text[3]).toBe('  running  active     3/10         valid 0.2500');
    });
  });
});
