import { existsSync, readdirSync, statSync } from 'node:fs';
import { basename, join, relative, resolve } from 'node:path';
import { MicflowError } from '../errors/micflow-error.js';

/** A run the dashboard shows: its folder and the name it goes by on the page and in URLs. */
export interface DashboardRun {
  /** The path as the user would type it (relative to the working folder when inside it); unique, stable. */
  readonly id: string;
  readonly directory: string;
}

/** What marks a folder as a run directory: any of the files a run writes first. */
const RUN_MARKERS = ['metrics.jsonl', 'config.json', 'run-status.json'];

function isRunDirectory(directory: string): boolean {
  return RUN_MARKERS.some((name) => existsSync(join(directory, name)));
}

/** Folders of runs are searched this deep (an experiment's `out/<method>/<seed>/` layout). */
const MAX_DEPTH = 3;

function runsUnder(directory: string, depth: number): string[] {
  if (isRunDirectory(directory)) return [directory];
  if (depth >= MAX_DEPTH) return [];
  let entries;
  try {
    entries = readdirSync(directory, { withFileTypes: true });
  } catch {
    return [];
  }
  return entries
    .filter((entry) => entry.isDirectory() && !entry.name.startsWith('.') && entry.name !== 'checkpoints' && entry.name !== 'overlays')
    .map((entry) => join(directory, entry.name))
    .sort()
    .flatMap((child) => runsUnder(child, depth + 1));
}

/**
 * The runs named on the command line: each path is a run directory, or a folder whose run directories (up to three
 * levels down) are all shown, including ones that appear later (an experiment or a sweep still starting runs).
 * A path that does not exist, or is not a folder, is refused by name.
 */
export function checkDashboardPaths(paths: readonly string[]): void {
  if (!paths.length) throw new MicflowError('invalid-argument', 'name at least one run directory, or a folder of runs (e.g. runs/)');
  for (const path of paths) {
    if (!existsSync(path)) throw new MicflowError('invalid-argument', `${path}: no such run directory or folder of runs`);
    if (!statSync(path).isDirectory()) throw new MicflowError('invalid-argument', `${path}: not a folder (name a run directory or a folder of runs)`);
  }
}

/** The runs under `paths` now, in argument order then by name, each once. */
export function discoverDashboardRuns(paths: readonly string[], cwd = process.cwd()): DashboardRun[] {
  const seen = new Set<string>();
  const runs: DashboardRun[] = [];
  for (const path of paths) {
    for (const directory of runsUnder(resolve(cwd, path), 0)) {
      if (seen.has(directory)) continue;
      seen.add(directory);
      const inside = relative(cwd, directory);
      runs.push({ id: inside && !inside.startsWith('..') ? inside : directory || basename(directory), directory });
    }
  }
  return runs;
}
