import { concatMap, from, map, type Observable } from 'rxjs';
import { MicflowError } from '../errors/micflow-error.js';
import { validationOverlayOf, type ValidationOverlay } from '../io/validation-overlay.js';
import type { SampleStream } from '../graph/sample.js';
import { classwiseDice } from '../metrics/dice-score.js';
import type { SegmentationNetwork } from '../networks/segmentation-network.js';
import { SeededRandom } from '../runtime/seeded-random.js';
import { predictWholeImage } from './predict-whole-image.js';

export interface CaseDice {
  readonly id: string;
  readonly origin: string;
  /** Dice per class, background at index 0 (1 where the class is in neither the prediction nor the ground truth). */
  readonly dice: number[];
  /** Whether each class occurs in the ground truth or the prediction of this case. */
  readonly present: boolean[];
  /** Image, ground truth and prediction of the case, for the first `overlayCases` cases. */
  readonly overlay?: ValidationOverlay;
}

/**
 * Predicts every case of a labelled stream in order, one at a time, and emits each case's class-wise Dice as soon as
 * it is known. Sample randomness is fixed (evaluation streams should hold no random transforms anyway). The first
 * `overlayCases` cases also carry their overlay (image, ground truth, prediction).
 */
export function evaluateCases(network: SegmentationNetwork, stream: SampleStream, node: string, overlayCases = 0): Observable<CaseDice> {
  const random = new SeededRandom(0);
  return from(Array.from({ length: stream.size }, (_, i) => i)).pipe(
    concatMap((index) => stream.read(index, random.derive('case', index))),
    map((sample, index) => {
      if (!sample.label) throw new MicflowError('invalid-data', `${node}: ${sample.origin} has no label to evaluate against`);
      const { labels, classes } = predictWholeImage(network, sample.image);
      for (const v of sample.label.data) {
        if (v >= classes) {
          throw new MicflowError('invalid-data', `${sample.origin}: label value ${v} is outside the network's ${classes} classes (0–${classes - 1})`);
        }
      }
      const present = new Array<boolean>(classes).fill(false);
      for (const v of sample.label.data) present[v] = true;
      for (const v of labels) present[v] = true;
      const dice = classwiseDice(labels, sample.label.data, classes);
      if (index >= overlayCases) return { id: sample.id, origin: sample.origin, dice, present };
      return { id: sample.id, origin: sample.origin, dice, present, overlay: validationOverlayOf(sample.image, sample.label.data, labels, classes) };
    }),
  );
}

/**
 * Mean and (population) standard deviation over cases, per class. A case counts for a class only where the class
 * occurs in its ground truth or its prediction: a slice without a structure, correctly left empty, says nothing about
 * how well that structure is segmented, and counting it as Dice 1 would inflate the mean. A class present in no case
 * gets NaN.
 */
export function summariseDice(cases: readonly CaseDice[]): { mean: number[]; std: number[]; meanForeground: number } {
  const classes = cases[0]?.dice.length ?? 0;
  const counted = (k: number) => cases.filter((c) => c.present[k]).map((c) => c.dice[k]);
  const mean = Array.from({ length: classes }, (_, k) => {
    const values = counted(k);
    return values.length ? values.reduce((a, b) => a + b, 0) / values.length : Number.NaN;
  });
  const std = Array.from({ length: classes }, (_, k) => {
    const values = counted(k);
    return values.length ? Math.sqrt(values.reduce((s, v) => s + (v - mean[k]) ** 2, 0) / values.length) : Number.NaN;
  });
  const foreground = mean.slice(1).filter((v) => !Number.isNaN(v));
  return { mean, std, meanForeground: foreground.reduce((a, b) => a + b, 0) / Math.max(foreground.length, 1) };
}

export function defaultClassNames(classes: number, given: readonly string[] | undefined): string[] {
  return Array.from({ length: classes }, (_, k) => given?.[k] ?? (k === 0 ? 'background' : `class${k}`));
}
