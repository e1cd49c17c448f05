import { existsSync, readdirSync, readFileSync, statSync } from 'node:fs';
import { hostname } from 'node:os';
import { join, relative } from 'node:path';
import { RUN_STATUS_FILE, type RunStatus, type RunStatusName } from './run-directory.js';

/**
 * What a listing says about a run: its recorded status, except that a run recorded as running whose process is gone
 * (killed, the machine restarted) shows as `stopped`, and a folder without a readable status shows as `unknown`.
 */
export type ListedRunStatus = RunStatusName | 'stopped' | 'unknown';

export interface ListedRun {
  readonly directory: string;
  readonly status: ListedRunStatus;
  readonly recorded?: RunStatus;
  /** Why the status is what it is, in words (the failure's message, how it was stopped, what is unreadable). */
  readonly note?: string;
  /** Whether `--resume` can continue it (it saved its state and did not finish). */
  readonly resumable: boolean;
}

/** Whether process `pid` is alive on this machine (signal 0 checks without sending anything). */
function processAlive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch (error) {
    return (error as NodeJS.ErrnoException).code === 'EPERM';
  }
}

/** One run directory as a listing sees it. */
export function listedRunOf(directory: string): ListedRun {
  const statusFile = join(directory, RUN_STATUS_FILE);
  const saved = existsSync(join(directory, 'checkpoints', 'latest.json'));
  if (!existsSync(statusFile)) {
    return { directory, status: 'unknown', note: `no ${RUN_STATUS_FILE} (not a micflow run, or made before runs recorded their status)`, resumable: false };
  }
  let recorded: RunStatus;
  try {
    recorded = JSON.parse(readFileSync(statusFile, 'utf8')) as RunStatus;
  } catch (error) {
    return { directory, status: 'unknown', note: `${RUN_STATUS_FILE} is unreadable: ${(error as Error).message}`, resumable: false };
  }
  if (recorded.status === 'running' && recorded.host === hostname() && !processAlive(recorded.pid)) {
    return { directory, status: 'stopped', recorded, note: `process ${recorded.pid} is gone (killed, or the machine restarted)`, resumable: saved };
  }
  const resumable = saved && (recorded.status === 'interrupted' || recorded.status === 'failed');
  return { directory, status: recorded.status, recorded, note: recorded.message, resumable };
}

/** Every run directory directly under `root` (folders holding a config.json or a run-status.json), newest first. */
export function listRuns(root: string): ListedRun[] {
  if (!existsSync(root)) return [];
  return readdirSync(root, { withFileTypes: true })
    .filter((entry) => entry.isDirectory())
    .map((entry) => join(root, entry.name))
    .filter((directory) => existsSync(join(directory, RUN_STATUS_FILE)) || existsSync(join(directory, 'config.json')))
    .map((directory) => ({ directory, modified: statSync(directory).mtimeMs }))
    .sort((a, b) => b.modified - a.modified || a.directory.localeCompare(b.directory))
    .map(({ directory }) => listedRunOf(directory));
}

/** A table of runs, one line each, then the resume command of each run that can be resumed. */
export function formatRunListing(runs: readonly ListedRun[], root: string, cwd = process.cwd()): string {
  if (!runs.length) return `no runs under ${root}\n`;
  const rows = runs.map((run) => {
    const r = run.recorded;
    const progress = r ? `${r.iteration}/${r.iterations}` : '';
    const best = r?.bestValidation === undefined ? '' : r.bestValidation.toFixed(4);
    return [relative(cwd, run.directory) || run.directory, run.status, r?.pipeline ?? '', progress, best, r?.updated?.replace('T', ' ').slice(0, 19) ?? '', run.note ?? ''];
  });
  const header = ['run', 'status', 'pipeline', 'iteration', 'best valid', 'updated', 'note'];
  const widths = header.map((h, i) => Math.max(h.length, ...rows.map((row) => row[i].length)));
  const line = (cells: readonly string[]) => cells.map((c, i) => (i === cells.length - 1 ? c : c.padEnd(widths[i]))).join('  ').trimEnd();
  const resumable = runs.filter((run) => run.resumable);
  const resume = resumable.length
    ? ['', 'resume with:', ...resumable.map((run) => `  npm run pipeline -- --resume ${relative(cwd, run.directory) || run.directory}`)]
    : [];
  return `${[line(header), ...rows.map(line), ...resume].join('\n')}\n`;
}
