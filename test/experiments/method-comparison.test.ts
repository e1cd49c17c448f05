import { mkdtempSync, readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { comparisonPlotSvg } from '../../src/experiments/comparison-plot.js';
import { comparisonTable, meanOfDefined, readMeanRows, stdOfDefined, withTestEvaluation, writeComparisonSummary, type MethodRunResult } from '../../src/experiments/method-comparison.js';
import { stage } from '../../src/graph/pipeline-definition.js';
import acdcSupervised from '../../pipelines/acdc-supervised.js';
import supervised from '../../pipelines/supervised.js';

const run = (method: string, seed: number, dice: number[], hd95: number[], backend = 'native'): MethodRunResult => ({
  method,
  seed,
  runDirectory: `/runs/${method}-${seed}`,
  backend,
  dice,
  hd95,
  meanDice: meanOfDefined(dice),
  meanHd95: meanOfDefined(hd95),
});

describe('method comparison', () => {
  describe('when an experiment puts its test evaluation into a pipeline', () => {
    it('having Evaluate (Dice only), should replace it by EvaluateSegmentation on the best checkpoint with the spec\'s class names', () => {
      const evaluate = withTestEvaluation('supervised', supervised, ['bg', 'a', 'b', 'c', 'd']).nodes.evaluate;
      expect(evaluate).toEqual(stage('EvaluateSegmentation', { checkpoint: 'best', classNames: ['bg', 'a', 'b', 'c', 'd'] }, supervised.nodes.evaluate.inputs as never));
    });
    it('having EvaluateSegmentation already (ACDC volumes scored sliceWise), should keep its params', () => {
      const evaluate = withTestEvaluation('acdc-supervised', acdcSupervised, ['background', 'RV', 'Myo', 'LV']).nodes.evaluate;
      expect(evaluate.params).toMatchObject({ sliceWise: true, checkpoint: 'best', classNames: ['background', 'RV', 'Myo', 'LV'] });
      expect(evaluate.inputs).toEqual(acdcSupervised.nodes.evaluate.inputs);
    });
  });

  describe('when the experiment asks for post-processing', () => {
    it('should set it on the test evaluation, over what the pipeline says; without it, the pipeline\'s own stands', () => {
      const lcc = withTestEvaluation('acdc-supervised', acdcSupervised, ['background', 'RV', 'Myo', 'LV'], 'largest-component-per-class').nodes.evaluate;
      expect(lcc.params).toMatchObject({ sliceWise: true, postprocess: 'largest-component-per-class' });
      const own = { ...acdcSupervised, nodes: { ...acdcSupervised.nodes, evaluate: { ...acdcSupervised.nodes.evaluate, params: { ...acdcSupervised.nodes.evaluate.params, postprocess: 'largest-component-union' } } } };
      expect(withTestEvaluation('own', own, ['background', 'RV', 'Myo', 'LV']).nodes.evaluate.params).toMatchObject({ postprocess: 'largest-component-union' });
      expect(withTestEvaluation('acdc-supervised', acdcSupervised, ['background', 'RV', 'Myo', 'LV']).nodes.evaluate.params).not.toHaveProperty('postprocess');
    });
  });

  describe('having values with a NaN among them', () => {
    it('should average and spread only the defined ones (population std)', () => {
      expect(meanOfDefined([1, Number.NaN, 3])).toBe(2);
      expect(stdOfDefined([1, Number.NaN, 3])).toBe(1);
      expect(meanOfDefined([Number.NaN])).toBeNaN();
    });
  });

  describe('having two methods with two seeds each', () => {
    it('should write one row per method with mean ± std over seeds', () => {
      const table = comparisonTable(
        [run('base', 1, [0.5, 0.7], [2, 4]), run('base', 2, [0.7, 0.9], [4, 6]), run('new', 1, [0.6, 0.6], [1, 1], 'wasm'), run('new', 2, [0.6, 0.6], [1, 1])],
        { classNames: ['background', 'a', 'b'], caption: 'caption' },
      );
      const lines = table.split('\n');
      expect(lines[0]).toBe('caption');
      expect(lines[2]).toBe('| method | seeds | backend | mean fg Dice | Δ vs base (paired) | mean fg HD95 (mm) | a Dice | b Dice |');
      // base: per-seed means 0.6 and 0.8 → 0.700 ± 0.100; HD95 3 and 5 → 4.00 ± 1.00; a: 0.5, 0.7; b: 0.7, 0.9.
      expect(lines[4]).toBe('| base | 1, 2 | native | 0.700 ± 0.100 | — | 4.00 ± 1.00 | 0.600 ± 0.100 | 0.800 ± 0.100 |');
      // new − base by seed: 0.6 − 0.6 = 0 and 0.6 − 0.8 = −0.2 → −0.100 ± 0.100, ahead on neither.
      expect(lines[5]).toBe('| new | 1, 2 | wasm, native | 0.600 ± 0.000 | −0.100 ± 0.100 (ahead 0/2) | 1.00 ± 0.00 | 0.600 ± 0.000 | 0.600 ± 0.000 |');
    });
  });

  describe('having runs scored raw and after largest-component post-processing', () => {
    const lcc = (r: MethodRunResult, dice: number[], hd95: number[]): MethodRunResult => ({
      ...r,
      postprocess: 'largest-component-per-class',
      postprocessed: { dice, hd95, meanDice: meanOfDefined(dice), meanHd95: meanOfDefined(hd95) },
    });
    const results = [
      lcc(run('base', 1, [0.5, 0.7], [2, 4]), [0.7, 0.9], [1, 1]),
      lcc(run('base', 2, [0.7, 0.9], [4, 6]), [0.8, 1.0], [2, 2]),
      lcc(run('new', 1, [0.6, 0.6], [1, 1], 'wasm'), [0.9, 0.9], [1, 1]),
      lcc(run('new', 2, [0.6, 0.6], [1, 1]), [0.85, 0.85], [1, 1]),
    ];

    it('should give every Dice and HD95 column a +LCC twin, with paired differences for both, and say which post-processing', () => {
      const lines = comparisonTable(results, { classNames: ['background', 'a', 'b'], caption: 'caption' }).split('\n');
      expect(lines[0]).toBe('caption');
      expect(lines[2]).toBe('+LCC: scored again after largest-component-per-class (EvaluateSegmentation postprocess); "-": not scored so.');
      expect(lines[4]).toBe(
        '| method | seeds | backend | mean fg Dice | Δ vs base (paired) | mean fg Dice +LCC | Δ +LCC vs base (paired) | mean fg HD95 (mm) | mean fg HD95 +LCC (mm) | a Dice | a Dice +LCC | b Dice | b Dice +LCC |',
      );
      expect(lines[5]).toBe(`|${Array(13).fill('---').join('|')}|`);
      // base +LCC: per-seed means 0.8 and 0.9 → 0.850 ± 0.050; HD95 1 and 2 → 1.50 ± 0.50; a 0.7, 0.8; b 0.9, 1.0.
      expect(lines[6]).toBe('| base | 1, 2 | native | 0.700 ± 0.100 | — | 0.850 ± 0.050 | — | 4.00 ± 1.00 | 1.50 ± 0.50 | 0.600 ± 0.100 | 0.750 ± 0.050 | 0.800 ± 0.100 | 0.950 ± 0.050 |');
      // new +LCC: 0.9 and 0.85 → 0.875 ± 0.025; minus base's by seed: +0.1 and −0.05 → +0.025 ± 0.075, ahead on seed 1.
      expect(lines[7]).toBe(
        '| new | 1, 2 | wasm, native | 0.600 ± 0.000 | −0.100 ± 0.100 (ahead 0/2) | 0.875 ± 0.025 | +0.025 ± 0.075 (ahead 1/2) | 1.00 ± 0.00 | 1.00 ± 0.00 | 0.600 ± 0.000 | 0.875 ± 0.025 | 0.600 ± 0.000 | 0.875 ± 0.025 |',
      );
    });

    it('having a method from an earlier result.json without post-processed scores, should show "-" in its +LCC cells', () => {
      const old = JSON.parse(JSON.stringify([run('old', 1, [0.6, 0.6], [1, 1]), run('old', 2, [0.6, 0.6], [1, 1])])) as MethodRunResult[];
      const lines = comparisonTable([...results.slice(0, 2), ...old], { classNames: ['background', 'a', 'b'], caption: 'caption' }).split('\n');
      expect(lines[7]).toBe('| old | 1, 2 | native | 0.600 ± 0.000 | −0.100 ± 0.100 (ahead 0/2) | - | - | 1.00 ± 0.00 | - | 0.600 ± 0.000 | - | 0.600 ± 0.000 | - |');
    });
  });

  describe('having results read back from results.json, where JSON wrote NaN as null', () => {
    it('should leave the nulls out of the statistics instead of counting them as 0', () => {
      expect(meanOfDefined([1, null, 3])).toBe(2);
      expect(stdOfDefined([1, null, 3])).toBe(1);
      const results = JSON.parse(JSON.stringify([run('base', 1, [0.5, Number.NaN], [Number.NaN, Number.NaN]), run('base', 2, [0.7, 0.9], [2, 4])])) as MethodRunResult[];
      const lines = comparisonTable(results, { classNames: ['background', 'a', 'b'], caption: 'caption' }).split('\n');
      // mean Dice 0.5 and 0.8; HD95 only seed 2's 3; b only seed 2's 0.9.
      expect(lines[4]).toBe('| base | 1, 2 | native | 0.650 ± 0.150 | 3.00 ± 0.00 | 0.600 ± 0.100 | 0.900 ± 0.000 |');
    });
  });

  describe('having an EvaluateSegmentation table', () => {
    it('should read the mean rows by label, empty cells as NaN', () => {
      const dir = mkdtempSync(join(tmpdir(), 'micflow-comparison-'));
      const file = join(dir, 'metrics.csv');
      writeFileSync(file, 'case,label,dice,hd95\nz1,1,0.5,3\nmean,1,0.55,2.5\nmean,2,0.25,\n');
      const means = readMeanRows(file);
      expect(means.get(1)).toEqual({ dice: 0.55, hd95: 2.5 });
      expect(means.get(2)?.dice).toBe(0.25);
      expect(means.get(2)?.hd95).toBeNaN();
    });
  });

  describe('when a comparison writes its summary', () => {
    it('should write results.svg beside results.md, the plot of the same results', () => {
      const dir = mkdtempSync(join(tmpdir(), 'micflow-comparison-'));
      const results = [run('base', 1, [0.5, 0.7], [2, 4]), run('new', 1, [0.6, 0.8], [1, 1])];
      const options = { classNames: ['background', 'a', 'b'], caption: 'caption' };
      expect(writeComparisonSummary(dir, results, options)).toEqual({ table: join(dir, 'results.md'), plot: join(dir, 'results.svg') });
      expect(readdirSync(dir).sort()).toEqual(['results.md', 'results.svg']);
      expect(readFileSync(join(dir, 'results.md'), 'utf8')).toBe(`${comparisonTable(results, options)}\n`);
      expect(readFileSync(join(dir, 'results.svg'), 'utf8')).toBe(comparisonPlotSvg(results, options));
    });
  });
});
