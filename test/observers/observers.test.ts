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
      expect(lines[0]).toBe('[######..................] 1/4  epoch 2  train: dice 0.5000  ce 0.2500  2.00 s/it  ETA 6s');
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

  describe('when iterations follow validations', () => {
    it('should show the latest validation score and the best so far apart from the loss terms', () => {
      const out = capture();
      const observer = new ConsoleProgressObserver({ stream: out.stream, lineEvery: 1 });
      const validation = (iteration: number, dice: number): RunEvent => ({
        type: 'validation',
        node: 'validate',
        iteration,
        classNames: ['background', 'caudate'],
        classDice: [1, dice],
        meanForegroundDice: dice,
        best: false,
        seconds: 1,
      });
      observer.next(validation(2, 0.6));
      observer.next(validation(3, 0.4));
      observer.next(iteration(3));
      expect(out.text().trim().split('\n').at(-1)).toBe('[##################......] 3/4  epoch 2  train: dice 0.5000  ce 0.2500  |  valid: 0.4000 (best 0.6000 @2)  2.00 s/it  ETA 2s');
    });
  });

  describe('when an evaluation event arrives', () => {
    it('should write the table to the table stream (stdout) and nothing to the progress stream', () => {
      const progress = capture();
      const table = capture();
      new ConsoleProgressObserver({ stream: progress.stream, tableStream: table.stream }).next({
        type: 'evaluation',
        node: 'test',
        checkpoint: 'best',
        cases: 2,
        classNames: ['background', 'caudate'],
        classDice: [0.99, 0.5],
        classDiceStd: [0.01, 0.1],
        meanForegroundDice: 0.5,
        tablePath: 'runs/x/test.csv',
      });
      expect(progress.text()).toBe('');
      expect(table.text()).toBe(
        [
          'test: 2 cases, weights best',
          '  class            Dice',
          '  background       0.9900 ± 0.0100',
          '  caudate          0.5000 ± 0.1000',
          '  mean foreground  0.5000',
          'per-case table: runs/x/test.csv',
          '',
        ].join('\n'),
      );
    });
  });

  describe('when an evaluation event carries post-processed scores', () => {
    it('should show them in a "Dice +LCC" column beside the raw Dice, saying which post-processing and where its table is', () => {
      const table = capture();
      new ConsoleProgressObserver({ stream: capture().stream, tableStream: table.stream }).next({
        type: 'evaluation',
        node: 'test',
        checkpoint: 'best',
        cases: 2,
        classNames: ['caudate'],
        classDice: [0.5],
        classDiceStd: [0.1],
        meanForegroundDice: 0.5,
        tablePath: 'runs/x/test.csv',
        postprocessed: { mode: 'largest-component-per-class', classDice: [0.75], classDiceStd: [0.05], meanForegroundDice: 0.75, tablePath: 'runs/x/test-lcc.csv' },
      });
      expect(table.text()).toBe(
        [
          'test: 2 cases, weights best',
          '  class            Dice             Dice +LCC',
          '  caudate          0.5000 ± 0.1000  0.7500 ± 0.0500',
          '  mean foreground  0.5000           0.7500',
          '  (+LCC: largest-component-per-class)',
          'per-case table: runs/x/test.csv',
          'per-case table after largest-component-per-class: runs/x/test-lcc.csv',
          '',
        ].join('\n'),
      );
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
