import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import type { RunEvent } from '../../src/events/run-event.js';
import { ConsoleProgressObserver, formatDuration } from '../../src/observers/console-progress-observer.js';
import { JsonlMetricsWriter } from '../../src/observers/jsonl-metrics-writer.js';

const dir = mkdtempSync(join(tmpdir(), 'micflow-obs-'));
afterAll(() => rmSync(dir, { recursive: true, force: true }));

const iteration = (i: number): RunEvent => ({
  type: 'iteration',
  iteration: i,
  iterations: 4,
  terms: { dice: 0.5, ce: 0.25 },
  learningRates: { optimise: 1e-3 },
  epochs: { batch: 2 },
  dataSeconds: 0,
  seconds: 2,
  liveTensors: 10,
});

function capture() {
  let text = '';
  const stream = { write: (s: string) => ((text += s), true), isTTY: false } as unknown as NodeJS.WriteStream;
  return { stream, text: () => text };
}

describe('ConsoleProgressObserver', () => {
  describe('having a non-interactive stream', () => {
    it('should print a progress line with terms, seconds per iteration and ETA at the first, every Nth and last iteration', () => {
      const out = capture();
      const observer = new ConsoleProgressObserver({ stream: out.stream, lineEvery: 2 });
      for (let i = 1; i <= 4; i++) observer.next(iteration(i));
      const lines = out.text().trim().split('\n');
      expect(lines).toHaveLength(3);
      expect(lines[0]).toBe('[######..................] 1/4  epoch 2  dice 0.5000  ce 0.2500  2.00 s/it  ETA 6s');
      expect(lines[2]).toMatch(/4\/4 .* ETA 0s$/);
    });
  });

  describe('when a validation event arrives', () => {
    it('should print the per-class Dice on its own line', () => {
      const out = capture();
      new ConsoleProgressObserver({ stream: out.stream }).next({
        type: 'validation',
        node: 'validate',
        iteration: 50,
        classNames: ['background', 'caudate'],
        classDice: [0.99, 0.5],
        meanForegroundDice: 0.5,
        best: true,
        seconds: 1,
      });
      expect(out.text()).toBe('validate @50: mean foreground Dice 0.5000 (best)  background 0.990  caudate 0.500\n');
    });
  });

  it('should format durations', () => {
    expect([formatDuration(5), formatDuration(65), formatDuration(3725), formatDuration(Infinity)]).toEqual(['5s', '1m05s', '1h02m', '?']);
  });
});

describe('JsonlMetricsWriter', () => {
  describe('having events and then an error', () => {
    it('should write one JSON object per line, ending with run-failed', () => {
      const file = join(dir, 'metrics.jsonl');
      const writer = new JsonlMetricsWriter(file);
      writer.next(iteration(1));
      writer.error(new Error('boom'));
      const lines = readFileSync(file, 'utf8').trim().split('\n').map((l) => JSON.parse(l));
      expect(lines[0]).toMatchObject({ type: 'iteration', iteration: 1, terms: { dice: 0.5 } });
      expect(lines[1]).toEqual({ type: 'run-failed', message: 'boom' });
    });
  });
});
