import { spawnSync } from 'node:child_process';
import { mkdirSync, mkdtempSync, rmSync, utimesSync, writeFileSync } from 'node:fs';
import { hostname, tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { formatRunListing, listRuns } from '../../src/run/list-runs.js';
import { RUN_STATUS_FILE, type RunStatus } from '../../src/run/run-directory.js';

let root: string;

/** A pid that belonged to a process which has exited. */
function deadPid(): number {
  return spawnSync(process.execPath, ['-e', '0']).pid!;
}

function makeRun(name: string, status: Partial<RunStatus> | undefined, options: { latest?: boolean; age: number }): void {
  const directory = join(root, name);
  mkdirSync(join(directory, 'checkpoints'), { recursive: true });
  writeFileSync(join(directory, 'config.json'), '{}');
  if (status) {
    const full: RunStatus = {
      status: 'running', pipeline: 'supervised', iteration: 0, iterations: 600, started: '2026-12-02T10:00:00.000Z',
      updated: '2026-12-02T10:05:00.000Z', host: hostname(), pid: process.pid, ...status,
    };
    writeFileSync(join(directory, RUN_STATUS_FILE), JSON.stringify(full));
  }
  if (options.latest) writeFileSync(join(directory, 'checkpoints', 'latest.json'), '{}');
  const when = Date.now() / 1000 - options.age;
  utimesSync(directory, when, when);
}

beforeAll(() => {
  root = mkdtempSync(join(tmpdir(), 'micflow-runs-'));
  makeRun('a-finished', { status: 'finished', iteration: 600, bestValidation: 0.71234 }, { latest: true, age: 50 });
  makeRun('b-interrupted', { status: 'interrupted', iteration: 150, message: 'stopped by SIGINT' }, { latest: true, age: 40 });
  makeRun('c-failed-early', { status: 'failed', iteration: 0, message: 'iteration 1: loss term "dice" is NaN' }, { latest: false, age: 30 });
  makeRun('d-killed', { status: 'running', iteration: 250, pid: deadPid() }, { latest: true, age: 20 });
  makeRun('e-running', { status: 'running', iteration: 10 }, { latest: true, age: 10 });
  makeRun('f-old', undefined, { age: 5 });
  mkdirSync(join(root, 'not-a-run'));
});

afterAll(() => rmSync(root, { recursive: true, force: true }));

describe('listing runs', () => {
  describe('having runs that finished, were interrupted, failed, were killed, still run, and an old folder', () => {
    it('should show each with its status, newest first, a killed run as stopped, and skip folders that hold no run', () => {
      const runs = listRuns(root);
      expect(runs.map((run) => [run.directory.slice(root.length + 1), run.status, run.resumable])).toEqual([
        ['f-old', 'unknown', false],
        ['e-running', 'running', false],
        ['d-killed', 'stopped', true],
        ['c-failed-early', 'failed', false],
        ['b-interrupted', 'interrupted', true],
        ['a-finished', 'finished', false],
      ]);
      expect(runs[2].note).toMatch(/^process \d+ is gone \(killed, or the machine restarted\)$/);
    });

    it('should print a table and the resume command of every run that can continue', () => {
      const text = formatRunListing(listRuns(root), root, root);
      const lines = text.trimEnd().split('\n');
      expect(lines[0]).toMatch(/^run\s+status\s+pipeline\s+iteration\s+best valid\s+updated\s+note$/);
      expect(lines.find((l) => l.startsWith('a-finished'))).toMatch(/^a-finished\s+finished\s+supervised\s+600\/600\s+0\.7123\s+2026-12-02 10:05:00$/);
      expect(lines.find((l) => l.startsWith('c-failed-early'))).toMatch(/failed\s+supervised\s+0\/600\s+2026-12-02 10:05:00\s+iteration 1: loss term "dice" is NaN$/);
      expect(lines.slice(-3)).toEqual(['resume with:', '  npm run pipeline -- --resume d-killed', '  npm run pipeline -- --resume b-interrupted']);
    });
  });

  describe('when the folder does not exist', () => {
    it('should say there are no runs', () => {
      expect(formatRunListing(listRuns(join(root, 'missing')), join(root, 'missing'))).toBe(`no runs under ${join(root, 'missing')}\n`);
    });
  });
});
