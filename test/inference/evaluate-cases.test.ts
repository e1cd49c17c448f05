import { describe, expect, it } from 'vitest';
import { summariseDice, type CaseDice } from '../../src/inference/evaluate-cases.js';
import { diceTable } from '../../src/stages/hooks/evaluate.js';

const cases: CaseDice[] = [
  { id: 'a', origin: '', dice: [0.9, 0.5, 1], present: [true, true, false] },
  { id: 'b', origin: '', dice: [0.7, 0.7, 0.4], present: [true, true, true] },
];

describe('summariseDice', () => {
  describe('having a class absent from one case in both prediction and ground truth', () => {
    it('should average each class over the cases where it occurs', () => {
      const summary = summariseDice(cases);
      expect(summary.mean[0]).toBeCloseTo(0.8, 10);
      expect(summary.mean[1]).toBeCloseTo(0.6, 10);
      expect(summary.mean[2]).toBeCloseTo(0.4, 10); // case a does not count for class 2
      expect(summary.std[1]).toBeCloseTo(0.1, 10);
      expect(summary.std[2]).toBe(0);
      expect(summary.meanForeground).toBeCloseTo(0.5, 10);
    });
  });

  describe('when a class occurs in no case', () => {
    it('should be NaN and left out of the foreground mean', () => {
      const summary = summariseDice([{ id: 'a', origin: '', dice: [1, 0.5, 1], present: [true, true, false] }]);
      expect(summary.mean[2]).toBeNaN();
      expect(summary.meanForeground).toBe(0.5);
    });
  });
});

describe('diceTable', () => {
  it('should leave absent classes empty and end with mean and std rows', () => {
    const table = diceTable(cases, ['background', 'x', 'y'], summariseDice(cases));
    expect(table).toBe(
      [
        'case,dice_background,dice_x,dice_y,dice_mean_foreground',
        'a,0.9000,0.5000,,0.5000',
        'b,0.7000,0.7000,0.4000,0.5500',
        'mean,0.8000,0.6000,0.4000,0.5000',
        'std,0.1000,0.1000,0.0000,0.0250',
        '',
      ].join('\n'),
    );
  });
});
