import { existsSync } from 'node:fs';
import { mkdir, rename, rm, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { encodeCheckpointFiles } from '../checkpoints/checkpoint-files.js';
import type { StoredTensor } from '../checkpoints/in-memory-checkpoints.js';
import { STUDIO_RUNS_FOLDER, STUDIO_VALUES_FILE } from './studio-files.js';

/**
 * Writes a fine-tuned checkpoint as a run directory `studio-runs/<stamp>/` (config.json, checkpoints/studio.json and
 * its value file), built in a hidden folder beside it and renamed into place: a failed write leaves nothing.
 */
export async function writeStudioRun(folder: string, config: Record<string, unknown>, iteration: number, variables: ReadonlyMap<string, StoredTensor>): Promise<string> {
  const stamp = new Date().toISOString().replace(/[-:]/g, '').replace(/\.\d+Z$/, 'Z');
  const runs = join(folder, STUDIO_RUNS_FOLDER);
  await mkdir(runs, { recursive: true });
  let name = stamp;
  for (let n = 2; existsSync(join(runs, name)); n++) name = `${stamp}-${n}`;
  const partial = join(runs, `.partial-${name}`);
  try {
    const { manifest, values } = encodeCheckpointFiles({ tag: 'studio', iteration, variables, valuesName: STUDIO_VALUES_FILE });
    await mkdir(join(partial, 'checkpoints'), { recursive: true });
    await writeFile(join(partial, 'config.json'), JSON.stringify(config, null, 2));
    await writeFile(join(partial, 'checkpoints', STUDIO_VALUES_FILE), values);
    await writeFile(join(partial, 'checkpoints', 'studio.json'), JSON.stringify(manifest));
    await rename(partial, join(runs, name));
  } catch (error) {
    await rm(partial, { recursive: true, force: true });
    throw error;
  }
  return `${STUDIO_RUNS_FOLDER}/${name}`;
}
