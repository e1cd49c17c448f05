import { existsSync, mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import * as tf from '@tensorflow/tfjs-core';
import '@tensorflow/tfjs-backend-cpu';
import { defer, lastValueFrom, of, toArray } from 'rxjs';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { instantiateStage } from '../../../src/graph/instantiate-stage.js';
import { inMemoryRunContext } from '../../../src/graph/run-context.js';
import type { Sample, SampleStream } from '../../../src/graph/sample.js';
import { evaluateSegmentation } from '../../../src/metrics/segmentation-metrics.js';
import { SeededRandom } from '../../../src/runtime/seeded-random.js';
import { EvaluateSegmentation } from '../../../src/stages/hooks/evaluate-segmentation.js';
import { PointwiseNetwork } from '../../inference/pointwise-network-stage.js';

const scratch = mkdtempSync(join(tmpdir(), 'micflow-evalseg-'));
afterAll(() => rmSync(scratch, { recursive: true, force: true }));
beforeAll(async () => {
  await tf.setBackend('cpu');
});

/** A 3D case: image value +1 inside a box (→ class 1 for the network below), −1 elsewhere; label = the box shifted by `shift` slices. */
function boxCase(id: string, shift: number): Sample {
  const [d, h, w] = [8, 10, 12];
  const image = new Float32Array(d * h * w).fill(-1);
  const label = new Int32Array(d * h * w);
  for (let z = 2; z < 6; z++) for (let y = 3; y < 7; y++) for (let x = 2; x < 9; x++) image[(z * h + y) * w + x] = 1;
  for (let z = 2 + shift; z < 6 + shift; z++) for (let y = 3; y < 7; y++) for (let x = 2; x < 9; x++) label[(z * h + y) * w + x] = 1;
  return { id, origin: `${id}.nii.gz`, image: { data: image, shape: [d, h, w, 1] }, label: { data: label, shape: [d, h, w] }, spacing: [2.5, 1, 1], random: new SeededRandom(0) };
}

describe('EvaluateSegmentation', () => {
  const network = new PointwiseNetwork('net', 1, 2);
  network.trainableVariables[0].assign(tf.tensor2d([[-1, 1]]));
  afterAll(() => network.dispose());
  const cases = [boxCase('exact', 0), boxCase('shifted', 1)];
  const partialSeen: string[] = [];
  const stream: SampleStream = {
    size: 2,
    origin: 'test',
    read: (index) =>
      defer(() => {
        // When the second case is read, the first one's rows must already be in the partial table.
        if (index === 1) partialSeen.push(readFileSync(join(scratch, 'metrics.csv.partial'), 'utf8'));
        return of(cases[index]);
      }),
  };
  // Tables go to the scratch directory; checkpoints stay in memory (none is saved, so 'best' falls back to current).
  const stage = instantiateStage(EvaluateSegmentation, {
    nodeName: 'evaluate',
    params: { window: [4, 6, 6], classNames: ['background', 'box'] },
    random: new SeededRandom(0),
    run: { ...inMemoryRunContext(), runDirectory: scratch },
  });

  it('should run only at the end', () => {
    expect(stage.runsAt({ iteration: 5, iterations: 10, final: false })).toBe(false);
    expect(stage.runsAt({ iteration: 10, iterations: 10, final: true })).toBe(true);
  });

  it('should stream each case into the partial table and as a case-metrics event, then write the table and one evaluation event', async () => {
    const before = tf.memory().numTensors;
    const events = await lastValueFrom(stage.run({ net: { node: 'net', network }, samples: stream }, { iteration: 10, iterations: 10, final: true }).pipe(toArray()));
    expect(tf.memory().numTensors).toBe(before);
    expect(partialSeen[0]).toMatch(/^case,label,dice,.*\nexact,1,1,1,/);
    expect(existsSync(join(scratch, 'metrics.csv.partial'))).toBe(false);
    expect(events.map((e) => e.type)).toEqual(['case-metrics', 'case-metrics', 'evaluation']);
    const [exact, shiftedCase, event] = events;
    if (exact.type !== 'case-metrics' || shiftedCase.type !== 'case-metrics') throw new Error('expected case events first');
    expect(exact.labels[0]).toMatchObject({ label: 1, dice: 1 });
    expect(shiftedCase.labels[0].dice).toBeCloseTo(0.75, 6);
    expect(shiftedCase.labels[0].hausdorff).toBeCloseTo(2.5, 5);
    if (event.type !== 'evaluation') throw new Error('expected an evaluation event');
    expect(event.classNames).toEqual(['box']);
    // Shifted by one 2.5 mm slice: overlap 3 of 4 slices → Dice 0.75; mean over the two cases 0.875.
    expect(event.classDice[0]).toBeCloseTo(0.875, 6);
    const lines = readFileSync(join(scratch, 'metrics.csv'), 'utf8').trim().split('\n');
    expect(lines).toHaveLength(1 + 2 + 2);
    const header = lines[0].split(',');
    const shifted = lines[2].split(',');
    const direct = evaluateSegmentation(Int32Array.from(cases[1].image.data, (v) => (v > 0 ? 1 : 0)), cases[1].label!.data, [8, 10, 12], [2.5, 1, 1], [1])[0];
    expect(Number(shifted[header.indexOf('hausdorff')])).toBeCloseTo(2.5, 5);
    expect(Number(shifted[header.indexOf('assd')])).toBeCloseTo(direct.assd, 4);
    expect(Number(shifted[header.indexOf('dice')])).toBeCloseTo(0.75, 6);
  });
});
