import { describe, expect, it } from 'vitest';
import { LossSpikeMonitor } from '../../src/graph/loss-spike-monitor.js';

/** Feeds the values one tick each; returns the ticks (1-based) at which a warning came. */
function warningTicks(monitor: LossSpikeMonitor, values: readonly number[]): number[] {
  return values.flatMap((value, i) => (monitor.observe({ loss: value }).length ? [i + 1] : []));
}

describe('LossSpikeMonitor', () => {
  describe('having ten ticks at 1 (median 1) and then values of 11 (above 10 × the median)', () => {
    it('should warn once, on the fifth high tick in a row', () => {
      const monitor = new LossSpikeMonitor(50, 10, 5);
      expect(warningTicks(monitor, [...Array(10).fill(1), ...Array(8).fill(11)])).toEqual([15]);
    });

    it('should measure against the values before the blow-up: high values do not move the median', () => {
      const monitor = new LossSpikeMonitor(50, 10, 5);
      monitor.observe({ loss: 1 });
      const found = warningTicks(monitor, [...Array(9).fill(1), ...Array(40).fill(11)]);
      expect(found).toEqual([14]);
    });
  });

  describe('when a spike comes down and a second one follows', () => {
    it('should warn again for the second, and not for four high ticks interrupted by a normal one', () => {
      const monitor = new LossSpikeMonitor(50, 10, 5);
      const values = [...Array(10).fill(1), ...Array(5).fill(20), 1, ...Array(4).fill(20), 1, ...Array(5).fill(20)];
      expect(warningTicks(monitor, values)).toEqual([15, 26]);
    });
  });

  describe('having fewer than ten values, or values exactly at 10 × the median', () => {
    it('should not warn', () => {
      expect(warningTicks(new LossSpikeMonitor(50, 10, 5), [1, 1, 1, 100, 100, 100, 100, 100, 100])).toEqual([]);
      expect(warningTicks(new LossSpikeMonitor(50, 10, 5), [...Array(10).fill(1), ...Array(10).fill(10)])).toEqual([]);
    });
  });

  describe('having two losses', () => {
    it('should name the one that spiked, with its median and value', () => {
      const monitor = new LossSpikeMonitor(50, 10, 2);
      for (let i = 0; i < 10; i++) monitor.observe({ a: 2, b: 3 });
      monitor.observe({ a: 2, b: 40 });
      expect(monitor.observe({ a: 2, b: 50 })).toEqual([
        { key: 'b', message: 'loss "b" has been above 10× its running median (3.00) for 2 ticks (now 50.0); the learning rate may be too high' },
      ]);
    });
  });
});
