import { writeFileSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { expect } from 'vitest';
import { CheckpointStore } from '../../src/checkpoints/checkpoint-store.js';

/** The settings the resume tests run the four pipelines with, and how they compare results. */
export const ITERATIONS = 8;
const tinyNet = (node: string) => [`${node}.features=[2,4,8,16,32]`];
/** Each pipeline shrunk: 16² crops, batches of 2, 8 ticks, validation every 4 (so "best" moves), ramps within the run. */
export const tiny: Record<string, string[]> = {
  supervised: ['trainCropped.size=[16,16]', 'batch.size=2', ...tinyNet('net')],
  'mean-teacher': ['labelledCropped.size=[16,16]', 'unlabelledCropped.size=[16,16]', 'batchL.size=2', 'batchU.size=2', 'rampup.end=6', ...tinyNet('student')],
  coteaching: ['trainCropped.size=[16,16]', 'batch.size=2', 'forgetRate.start=1', 'forgetRate.end=6', ...tinyNet('netA'), ...tinyNet('netB')],
  dast: ['cleanCropped.size=[16,16]', 'noisyCropped.size=[16,16]', 'batchClean.size=2', 'batchNoisy.size=2', 'rampup.start=0', 'rampup.end=6', 'select.rankLength=3', ...tinyNet('net')],
};

/**
 * The `--set` list of a pipeline, with two validation and two test slices (lists written to `scratch`, absolute paths
 * into the fixture) so that validating and evaluating stay cheap on cpu.
 */
export function resumeSettings(scratch: string): (name: string) => string[] {
  const fixture = resolve('fixtures/brain-mr-2d');
  const shortList = (name: string, rows: string[]) => {
    const file = join(scratch, `${name}-short.csv`);
    writeFileSync(file, ['image,label', ...rows.map((z) => `${join(fixture, 'image', `${z}.png`)},${join(fixture, 'label', `${z}.png`)}`)].join('\n'));
    return file;
  };
  const validList = shortList('valid', ['z050', 'z053']);
  const testList = shortList('test', ['z056', 'z060']);
  return (name) => [...tiny[name], `schedule.iterations=${ITERATIONS}`, 'validate.every=4', `valid.csv=${validList}`, `test.csv=${testList}`];
}

/** Every variable of a run's latest checkpoint, by name (the run must have finished). */
export async function finalWeights(runDirectory: string): Promise<Record<string, number[]>> {
  const checkpoint = await CheckpointStore.read(join(runDirectory, 'checkpoints', 'latest.json'));
  expect(checkpoint.iteration).toBe(ITERATIONS);
  return Object.fromEntries([...checkpoint.variables].map(([name, v]) => [name, Array.from(v.data)]));
}
