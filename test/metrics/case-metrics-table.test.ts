import { describe, expect, it } from 'vitest';
import { caseMetricsCsv, caseMetricsSummaryTable, summariseCaseMetrics, type CaseMetrics } from '../../src/metrics/case-metrics-table.js';
import { emptyPairMetrics, type LabelMetrics } from '../../src/metrics/segmentation-metrics.js';

function metrics(label: number, dice: number, hd95: number): LabelMetrics {
  return { ...emptyPairMetrics(label), dice, hd95, predictionVolume: 10, groundTruthVolume: 12 };
}

describe('case metrics table', () => {
  // Label 1: Dice 0.5, 0.9 and absent from case c (Dice 1 there, which must not enter the mean).
  // Label 2: HD95 2 and NaN (one side empty) in a and b.
  const cases: CaseMetrics[] = [
    { id: 'a', labels: [metrics(1, 0.5, 4), metrics(2, 0.25, 2)] },
    { id: 'b', labels: [metrics(1, 0.9, 6), metrics(2, 0, Number.NaN)] },
    { id: 'c', labels: [emptyPairMetrics(1), metrics(2, 0.75, 4)] },
  ];
  const summaries = summariseCaseMetrics(cases);

  describe('when summarising', () => {
    it('should average a label over the cases where it occurs only: Dice mean 0.7, std 0.2 over 2 cases', () => {
      expect(summaries[0].cases).toBe(2);
      expect(summaries[0].mean.dice).toBeCloseTo(0.7, 12);
      expect(summaries[0].std.dice).toBeCloseTo(0.2, 12);
    });
    it('should skip NaN distances: label 2 HD95 mean 3 over its two defined values', () => {
      expect(summaries[1].cases).toBe(3);
      expect(summaries[1].mean.hd95).toBe(3);
      expect(summaries[1].std.hd95).toBe(1);
    });
  });

  describe('when writing the CSV', () => {
    const lines = caseMetricsCsv(cases, summaries).trim().split('\n');
    it('should write one row per case and label, then mean and std rows per label', () => {
      expect(lines).toHaveLength(1 + 6 + 4);
      expect(lines[0]).toMatch(/^case,label,dice,iou,sensitivity,precision,assd,hd95,hausdorff,/);
      expect(lines[1].startsWith('a,1,0.5,')).toBe(true);
      expect(lines[7].startsWith('mean,1,0.7,')).toBe(true);
      // label 2 Dice 0.25, 0, 0.75: std sqrt(((1/12)² + (1/3)² + (5/12)²) / 3) = 0.311805
      expect(lines[10].startsWith('std,2,0.311805,')).toBe(true);
    });
    it('should leave NaN cells empty', () => {
      expect(lines[4].split(',')[7]).toBe('');
    });
  });

  describe('when printing the summary', () => {
    it('should show one line per label with mean±std', () => {
      const text = caseMetricsSummaryTable(summaries, 3);
      expect(text).toContain('3 cases');
      expect(text).toMatch(/\n\s+1\s+2\s+0\.700±0\.200/);
    });
  });
});
