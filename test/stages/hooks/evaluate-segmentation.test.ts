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

/**
 * A hand-made 16×16 case for post-processing, two channels that a pointwise network turns into classes (channel 0 →
 * class 1, channel 1 → class 2). Predicted class 1: a 4×4 square (16 px) and a 2×2 island (4 px) far from it; the label
 * has the square only. Predicted class 2: a 3×3 square (9 px), as in the label.
 */
function islandCase(): Sample {
  const side = 16;
  const image = new Float32Array(side * side * 2);
  const label = new Int32Array(side * side);
  const paint = (rows: [number, number], cols: [number, number], channel: number, inLabel: boolean) => {
    for (let y = rows[0]; y <= rows[1]; y++) {
      for (let x = cols[0]; x <= cols[1]; x++) {
        image[(y * side + x) * 2 + channel] = 1;
        if (inLabel) label[y * side + x] = channel + 1;
      }
    }
  };
  paint([1, 4], [1, 4], 0, true); // class 1, 16 px
  paint([10, 11], [1, 2], 0, false); // class 1 island, 4 px: predicted, not in the label
  paint([1, 3], [10, 12], 1, true); // class 2, 9 px
  return { id: 'islands', origin: 'islands.nii.gz', image: { data: image, shape: [side, side, 2] }, label: { data: label, shape: [side, side] }, spacing: [1, 1], random: new SeededRandom(0) };
}

describe('EvaluateSegmentation with postprocess', () => {
  const network = new PointwiseNetwork('net3', 2, 3);
  // Background logit 1 everywhere; class k logit 2 where channel k−1 is 1.
  network.trainableVariables[0].assign(tf.tensor2d([[0, 2, 0], [0, 0, 2]]));
  network.trainableVariables[1].assign(tf.tensor1d([1, 0, 0]));
  afterAll(() => network.dispose());
  const stream: SampleStream = { size: 1, origin: 'islands', read: () => of(islandCase()) };

  async function evaluate(postprocess: string, directory: string) {
    const stage = instantiateStage(EvaluateSegmentation, {
      nodeName: 'evaluate',
      params: { postprocess, classNames: ['background', 'one', 'two'] },
      random: new SeededRandom(0),
      run: { ...inMemoryRunContext(), runDirectory: directory },
    });
    return lastValueFrom(stage.run({ net: { node: 'net3', network }, samples: stream }, { iteration: 1, iterations: 1, final: true }).pipe(toArray()));
  }
  const diceColumn = (file: string) => {
    const [header, ...rows] = readFileSync(file, 'utf8').trim().split('\n').map((l) => l.split(','));
    return rows.filter((r) => r[0] === 'islands').map((r) => Number(r[header.indexOf('dice')]));
  };

  it("having an island of class 1, 'largest-component-per-class' should score it away in metrics-lcc.csv and keep the raw table as it was", async () => {
    const directory = mkdtempSync(join(scratch, 'per-class-'));
    const events = await evaluate('largest-component-per-class', directory);
    // Raw: class 1 Dice = 2·16 / (20 + 16) = 8/9; class 2 exact. Per class, the island goes: both 1.
    expect(diceColumn(join(directory, 'metrics.csv'))).toEqual([Number((8 / 9).toPrecision(6)), 1]);
    expect(diceColumn(join(directory, 'metrics-lcc.csv'))).toEqual([1, 1]);
    const [caseEvent, event] = events;
    if (caseEvent.type !== 'case-metrics' || event.type !== 'evaluation') throw new Error('expected a case, then the evaluation');
    expect(caseEvent.labels[0].dice).toBeCloseTo(8 / 9, 6);
    expect(caseEvent.postprocessedLabels?.[0].dice).toBe(1);
    expect(event.meanForegroundDice).toBeCloseTo((8 / 9 + 1) / 2, 6);
    expect(event.postprocessed).toMatchObject({ mode: 'largest-component-per-class', meanForegroundDice: 1, tablePath: join(directory, 'metrics-lcc.csv') });
  });

  it("'largest-component-union' should keep only the largest foreground component, dropping class 2's square too", async () => {
    const directory = mkdtempSync(join(scratch, 'union-'));
    const events = await evaluate('largest-component-union', directory);
    // Components of all foreground: 16 px (class 1), 9 px (class 2), 4 px (island): only the 16 px one stays.
    expect(diceColumn(join(directory, 'metrics-lcc.csv'))).toEqual([1, 0]);
    const event = events.at(-1)!;
    if (event.type !== 'evaluation') throw new Error('expected the evaluation last');
    expect(event.postprocessed?.classDice).toEqual([1, 0]);
  });

  it("'none' (the default) should write the raw table alone", async () => {
    const directory = mkdtempSync(join(scratch, 'none-'));
    const event = (await evaluate('none', directory)).at(-1)!;
    expect(existsSync(join(directory, 'metrics-lcc.csv'))).toBe(false);
    expect(event).toMatchObject({ type: 'evaluation' });
    expect(event).not.toHaveProperty('postprocessed');
  });

  it('having an unknown mode, should be refused naming the param', () => {
    expect(() => instantiateStage(EvaluateSegmentation, { nodeName: 'evaluate', params: { postprocess: 'largest' } })).toThrow(/nodes\.evaluate\.params\.postprocess/);
  });
});
