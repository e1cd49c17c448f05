import { accessSync, constants, existsSync, mkdirSync, readdirSync, renameSync, rmSync, writeFileSync } from 'node:fs';
import { hostname } from 'node:os';
import { join, resolve } from 'node:path';
import { MicflowError } from '../errors/micflow-error.js';

/** Where a run stands, as `run-status.json` in its directory records it (and `npm run runs` lists it). */
export type RunStatusName = 'running' | 'finished' | 'failed' | 'interrupted';

export interface RunStatus {
  readonly status: RunStatusName;
  readonly pipeline: string;
  /** The last iteration completed, and the run's length. */
  readonly iteration: number;
  readonly iterations: number;
  readonly started: string;
  readonly updated: string;
  readonly host: string;
  readonly pid: number;
  /** Why it failed, or how it was interrupted. */
  readonly message?: string;
  /** The best validation score so far, when a Validate node reported one. */
  readonly bestValidation?: number;
}

export const RUN_STATUS_FILE = 'run-status.json';

/** Why a folder cannot hold a run, in words. */
function reasonOf(error: unknown): string {
  const code = (error as NodeJS.ErrnoException).code;
  switch (code) {
    case 'EACCES':
    case 'EPERM':
      return 'permission denied';
    case 'EROFS':
      return 'the file system is read-only';
    case 'ENOTDIR':
      return 'a part of the path is a file, not a folder';
    case 'ENOSPC':
      return 'no space left on the device';
    default:
      return (error as Error).message;
  }
}

/**
 * Creates the folder a new run writes to: `out` (which must be new or empty) or `runs/<name>-<time>`. Checks that it
 * can be written before anything else happens.
 *
 * @throws MicflowError('invalid-argument') naming `--out` and the reason (not empty, permission denied, read-only…).
 */
export function createRunDirectory(out: string | undefined, name: string): string {
  let directory: string;
  if (out) {
    directory = resolve(out);
    let entries: string[] = [];
    try {
      entries = existsSync(directory) ? readdirSync(directory) : [];
    } catch (error) {
      throw new MicflowError('invalid-argument', `--out ${out}: cannot use it as the run directory: ${reasonOf(error)}`);
    }
    if (entries.length) throw new MicflowError('invalid-argument', `--out ${out}: the folder is not empty; choose a new folder for this run`);
  } else {
    const stamp = new Date().toISOString().replace(/[-:]/g, '').replace('T', '-').slice(0, 15);
    directory = resolve('runs', `${name}-${stamp}`);
    for (let i = 2; existsSync(directory); i++) directory = resolve('runs', `${name}-${stamp}-${i}`);
  }
  try {
    mkdirSync(directory, { recursive: true });
    accessSync(directory, constants.W_OK);
  } catch (error) {
    throw new MicflowError('invalid-argument', `${out ? `--out ${out}` : directory}: cannot create the run directory: ${reasonOf(error)}`);
  }
  return directory;
}

/** Writes `run-status.json` through a temporary file and a rename (a reader never sees half a file). */
export function writeRunStatus(directory: string, status: RunStatus): void {
  const path = join(directory, RUN_STATUS_FILE);
  writeFileSync(`${path}.partial`, `${JSON.stringify(status, null, 2)}\n`);
  renameSync(`${path}.partial`, path);
}

/** The first status of a run in this process. */
export function startingStatus(pipeline: string, iterations: number, iteration = 0): RunStatus {
  const now = new Date().toISOString();
  return { status: 'running', pipeline, iteration, iterations, started: now, updated: now, host: hostname(), pid: process.pid };
}

/** Removes a run directory this process created (a run that failed before its first iteration leaves nothing). */
export function removeRunDirectory(directory: string): void {
  rmSync(directory, { recursive: true, force: true });
}
