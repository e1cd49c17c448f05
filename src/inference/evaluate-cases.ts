import { concatMap, from, map, type Observable } from 'rxjs';
import { MicflowError } from '../errors/micflow-error.js';
import type { SampleStream } from '../graph/sample.js';
import { classwiseDice } from '../metrics/dice-score.js';
import type { SegmentationNetwork } from '../networks/segmentation-network.js';
import { SeededRandom } from '../runtime/seeded-random.js';
import { predictWholeImage } from './predict-whole-image.js';

export interface CaseDice {
  readonly id: string;
  readonly origin: string;
  /** Dice per class, background at index 0. */
  readonly dice: number[];
}

/**
 * Predicts every case of a labelled stream in order, one at a time, and emits each case's class-wise Dice as soon as
 * it is known. Sample randomness is fixed (evaluation streams should hold no random transforms anyway).
 */
export function evaluateCases(network: SegmentationNetwork, stream: SampleStream, node: string): Observable<CaseDice> {
  const random = new SeededRandom(0);
  return from(Array.from({ length: stream.size }, (_, i) => i)).pipe(
    concatMap((index) => stream.read(index, random.derive('case', index))),
    map((sample) => {
      if (!sample.label) throw new MicflowError('invalid-data', `${node}: ${sample.origin} has no label to evaluate against`);
      const { labels, classes } = predictWholeImage(network, sample.image);
      for (const v of sample.label.data) {
        if (v >= classes) {
          throw new MicflowError('invalid-data', `${sample.origin}: label value ${v} is outside the network's ${classes} classes (0–${classes - 1})`);
        }
      }
      return { id: sample.id, origin: sample.origin, dice: classwiseDice(labels, sample.label.data, classes) };
    }),
  );
}

/** Mean and (population) standard deviation over cases, per class. */
export function summariseDice(cases: readonly CaseDice[]): { mean: number[]; std: number[]; meanForeground: number } {
  const classes = cases[0]?.dice.length ?? 0;
  const mean = Array.from({ length: classes }, (_, k) => cases.reduce((s, c) => s + c.dice[k], 0) / cases.length);
  const std = Array.from({ length: classes }, (_, k) =>
    Math.sqrt(cases.reduce((s, c) => s + (c.dice[k] - mean[k]) ** 2, 0) / cases.length),
  );
  const foreground = mean.slice(1);
  return { mean, std, meanForeground: foreground.reduce((a, b) => a + b, 0) / Math.max(foreground.length, 1) };
}

export function defaultClassNames(classes: number, given: readonly string[] | undefined): string[] {
  return Array.from({ length: classes }, (_, k) => given?.[k] ?? (k === 0 ? 'background' : `class${k}`));
}
