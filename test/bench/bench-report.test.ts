import { describe, expect, it } from 'vitest';
import {
  flatnessCheckpoints,
  flatnessVerdict,
  formatDuration,
  formatPairLoads,
  loadFlag,
  loadFootnote,
  lossValueCheck,
  markdownTable,
  median,
  otherCores,
  parameterCountCheck,
  parseCpuSample,
  ratioSummary,
  ratioWithLoadFlag,
} from '../../bench/bench-report.js';
import { lcgUniform } from '../../bench/gated-crf-row.js';

describe('bench report helpers', () => {
  describe('having timings', () => {
    it('when there is an odd count should take the middle one, whatever the order', () => {
      expect(median([30, 10, 20])).toBe(20);
    });

    it('when there is an even count should take the upper middle one, as the PyTorch side does', () => {
      expect(median([4, 1, 3, 2])).toBe(3);
    });

    it('when there are none should say so with undefined', () => {
      expect(median([])).toBeUndefined();
    });

    it('when formatting should switch from milliseconds to seconds at one second', () => {
      expect(formatDuration(999.4)).toBe('999 ms');
      expect(formatDuration(1000)).toBe('1.00 s');
      expect(formatDuration(1234.5)).toBe('1.23 s');
      expect(formatDuration(undefined)).toBe('-');
      expect(formatDuration(NaN)).toBe('-');
    });
  });

  describe('when summarising micflow/PyTorch ratios', () => {
    it('should print one ratio alone, and several as their median with range and count', () => {
      expect(ratioSummary([0.9234])).toBe('0.92');
      expect(ratioSummary([1.29, 0.8, 0.85])).toBe('0.85 (0.80–1.29, 3 pairs)');
      expect(ratioSummary([])).toBe('-');
    });
  });

  describe('when flagging ratios by the load average around their pairs', () => {
    it('should leave a ratio alone when every pair ran at load 1 or less, before and after', () => {
      expect(loadFlag([{ before: 0.3, after: 1 }])).toBe('');
      expect(ratioWithLoadFlag('0.92', [{ before: 0.3, after: 0.9 }, { before: 1, after: 1 }])).toBe('0.92');
    });

    it('should mark one pair with the load above 1, before rather than after when both are', () => {
      expect(loadFlag([{ before: 1.43, after: 0.8 }])).toBe('⚠ load 1.4 before');
      expect(loadFlag([{ before: 0.5, after: 1.86 }])).toBe('⚠ load 1.9 after');
      expect(loadFlag([{ before: 1.2, after: 1.9 }])).toBe('⚠ load 1.2 before');
    });

    it('having several pairs should name the highest load above 1 and how many pairs were above', () => {
      const loads = [{ before: 0.2, after: 0.7 }, { before: 0.6, after: 1.5 }, { before: 0.4, after: 1.2 }];
      expect(loadFlag(loads)).toBe('⚠ load 1.5 after (2 of 3 pairs)');
      expect(ratioWithLoadFlag('0.85 (0.80–1.29, 3 pairs)', loads)).toBe('0.85 (0.80–1.29, 3 pairs) ⚠ load 1.5 after (2 of 3 pairs)');
      expect(loadFlag([{ before: 0.2, after: 1.7 }, { before: 1.1, after: 1.2 }])).toBe('⚠ load 1.1 before (2 of 2 pairs)');
    });

    it('should not mark a missing ratio, and should honour another threshold', () => {
      expect(ratioWithLoadFlag('-', [{ before: 3, after: 3 }])).toBe('-');
      expect(loadFlag([{ before: 1.5, after: 1.5 }], 2)).toBe('');
    });

    it('should print the cores other processes kept busy beside the load, when known', () => {
      expect(formatPairLoads([{ before: 3, after: 2.8, otherCores: 0.43 }, { before: 2.8, after: 2.6 }])).toBe('3.0→2.8 (others 0.4), 2.8→2.6');
    });

    it('should read the machine-wide and own CPU ticks from /proc/stat and /proc/self/stat, a command name with spaces too', () => {
      const procStat = 'cpu  100 5 20 800 10 1 2 12 0 0\ncpu0 50 2 10 400 5 0 1 6 0 0\n';
      const selfStat = '4242 (node bench (x)) S 1 2 3 0 -1 4194304 10 0 0 0 30 7 40 3 20 0 1 0 100 300 40';
      expect(parseCpuSample(procStat, selfStat)).toEqual({ total: 950, busy: 140, own: 80 });
      expect(parseCpuSample('nothing', selfStat)).toBeUndefined();
      expect(parseCpuSample(procStat, '1 (x) S 1')).toBeUndefined();
    });

    it('should count as other work what the machine was busy with beyond the bench and its children', () => {
      const before = { total: 1000, busy: 300, own: 100 };
      // 2 cores over 1000 ticks in all: 600 busy ticks, 450 of them the bench's: 150 / 1000 of the machine = 0.3 cores.
      expect(otherCores(before, { total: 2000, busy: 900, own: 550 }, 2)).toBeCloseTo(0.3, 10);
      expect(otherCores(before, { total: 2000, busy: 400, own: 300 }, 2)).toBe(0); // rounding between the two files
      expect(otherCores(before, before, 2)).toBeUndefined();
    });

    it('should print every pair as before→after, and a footnote with the threshold saying such ratios are not comparable', () => {
      expect(formatPairLoads([{ before: 0.44, after: 1.26 }, { before: 1.1, after: 1.8 }])).toBe('0.4→1.3, 1.1→1.8');
      expect(formatPairLoads([])).toBe('-');
      expect(loadFootnote()).toMatch(/^⚠ load X before\/after: the 1-minute load average was above 1 before or after that micflow\/PyTorch pair, so the ratio is not comparable with quiet ones/);
      expect(loadFootnote(2)).toContain('was above 2 before or after');
    });
  });

  describe('when rendering a table', () => {
    it('should pad every column to its widest cell and fill missing cells', () => {
      expect(markdownTable(['a', 'bb'], [['xyz', '1'], ['q']])).toBe(['| a   | bb |', '|-----|----|', '| xyz | 1  |', '| q   |    |'].join('\n'));
    });
  });

  describe('when comparing parameter counts of micflow and PyTorch', () => {
    it('should accept equal counts', () => {
      expect(parameterCountCheck(1813218, 1813218)).toEqual({ same: true });
    });

    it('should flag different counts with both numbers and withhold the ratio', () => {
      const check = parameterCountCheck(1813218, 1813200);
      expect(check.same).toBe(false);
      expect(!check.same && check.message).toBe('parameter counts differ: micflow 1,813,218 vs PyTorch 1,813,200 (not the same network; no ratio)');
    });
  });

  describe('when comparing loss values of micflow and PyTorch', () => {
    it('should accept values within the relative tolerance, saying how close they are', () => {
      const check = lossValueCheck(25.38656, 25.386564);
      expect(check.same).toBe(true);
      expect(check.message).toBe('agree (micflow 25.386560 vs PyTorch 25.386564, relative difference 1.6e-7)');
    });

    it('should flag values further apart, and non-finite values, and withhold the ratio', () => {
      const check = lossValueCheck(25.4, 25.3);
      expect(check.same).toBe(false);
      expect(check.message).toBe('loss values differ: micflow 25.400000 vs PyTorch 25.300000, relative difference 3.9e-3 > 1e-4 (not the same loss; no ratio)');
      expect(lossValueCheck(NaN, 1).same).toBe(false);
    });

    it('when both are 0 should accept them', () => {
      expect(lossValueCheck(0, 0).same).toBe(true);
    });
  });

  describe('when drawing the gated CRF row inputs', () => {
    it('should reproduce the LCG stream bench/torch_losses.py draws (top 24 bits of 1664525 s + 1013904223 mod 2^32)', () => {
      expect(Array.from(lcgUniform(1, 3))).toEqual([3967065 / 2 ** 24, 6195333 / 2 ** 24, 8459777 / 2 ** 24]);
    });
  });

  describe('having a flatness run', () => {
    it('when it has 50 steps should sample at steps 1, 10, 25 and 50', () => {
      expect(flatnessCheckpoints(50)).toEqual([1, 10, 25, 50]);
    });

    it('when it is short should keep only distinct steps within the run', () => {
      expect(flatnessCheckpoints(2)).toEqual([1, 2]);
      expect(flatnessCheckpoints(12)).toEqual([1, 6, 10, 12]);
    });

    it('when tensors stay and RSS settles after step 1 should be flat', () => {
      const verdict = flatnessVerdict([
        { step: 1, liveTensors: 287, rssMb: 1800 },
        { step: 10, liveTensors: 287, rssMb: 2400 },
        { step: 25, liveTensors: 287, rssMb: 2420 },
        { step: 50, liveTensors: 287, rssMb: 2410 },
      ]);
      expect(verdict).toEqual({ flat: true, problems: [] });
    });

    it('when one tensor is kept per step should flag the growth with every count', () => {
      const verdict = flatnessVerdict([
        { step: 1, liveTensors: 287, rssMb: 1000 },
        { step: 10, liveTensors: 296, rssMb: 1000 },
        { step: 50, liveTensors: 336, rssMb: 1000 },
      ]);
      expect(verdict.flat).toBe(false);
      expect(verdict.problems).toEqual(['live tensors change: 287 at step 1, 296 at step 10, 336 at step 50 (+49 over 49 steps)']);
    });

    it('when RSS grows after step 10 by more than both 5% and 64 MB should flag it', () => {
      const samples = (last: number) => [
        { step: 1, liveTensors: 5, rssMb: 500 },
        { step: 10, liveTensors: 5, rssMb: 2000 },
        { step: 50, liveTensors: 5, rssMb: last },
      ];
      expect(flatnessVerdict(samples(2090)).flat).toBe(true); // +90 MB is under 5% of 2000
      expect(flatnessVerdict(samples(2101)).problems).toEqual(['RSS grows 101 MB from step 10 (2000 MB) to step 50 (2101 MB)']);
    });
  });
});
