import { beforeAll, describe, expect, it } from 'vitest';
import type { LabelArray } from '../../src/images/image-array.js';
import { generateScribbles, type ScribbleResult } from '../../src/label-synthesis/scribble-generator.js';
import { countOf, expectMicflowError, paintLabel, readFixtureLabel } from './weak-label-test-helpers.js';

/**
 * A 24×40 mask: class 1 a 9×26 rectangle (rows 4..12, columns 3..28, medial row 8), class 2 a disc of radius 4
 * around (18, 33), class 3 two separate 3×3 squares (only their centres are farther than 1 px from another class).
 */
const HAND_MADE = paintLabel([24, 40], (_, y, x) => {
  if (y >= 4 && y <= 12 && x >= 3 && x <= 28) return 1;
  if ((y - 18) ** 2 + (x - 33) ** 2 <= 16) return 2;
  if (y >= 17 && y <= 19 && ((x >= 4 && x <= 6) || (x >= 12 && x <= 14))) return 3;
  return 0;
});

/** Checks, pixel by pixel, that every annotated pixel carries its true class. */
function expectStrokesInsideTheirClass(label: LabelArray, result: ScribbleResult): void {
  let annotated = 0;
  for (let i = 0; i < label.data.length; i++) {
    const v = result.scribble.data[i];
    if (v === result.unannotatedValue) continue;
    annotated++;
    if (v !== label.data[i]) expect.fail(`pixel ${i} is scribbled ${v} but its class is ${label.data[i]}`);
  }
  expect(annotated).toBeGreaterThan(0);
}

/** Classes present in the mask, by a plain loop. */
function classesPresent(label: LabelArray): number[] {
  return [...new Set(label.data)].sort((a, b) => a - b);
}

/** The 4-neighbours (2D) inside the grid of a flat index. */
function fourNeighbours(label: LabelArray, i: number): number[] {
  const [height, width] = label.shape;
  const y = Math.floor(i / width);
  const x = i % width;
  return [
    [y - 1, x],
    [y + 1, x],
    [y, x - 1],
    [y, x + 1],
  ]
    .filter(([a, b]) => a >= 0 && a < height && b >= 0 && b < width)
    .map(([a, b]) => a * width + b);
}

describe('generateScribbles', () => {
  describe('having a hand-made mask with a rectangle, a disc and two tiny squares', () => {
    const result = generateScribbles(HAND_MADE, { classes: 4, seed: 1 });

    it('when scribbled, should keep every stroke pixel inside its own class', () => {
      expectStrokesInsideTheirClass(HAND_MADE, result);
    });

    it('when scribbled with the default margin of 1, should keep stroke pixels off the class boundaries (all 4-neighbours in the class)', () => {
      for (let i = 0; i < HAND_MADE.data.length; i++) {
        const v = result.scribble.data[i];
        if (v === result.unannotatedValue) continue;
        for (const j of fourNeighbours(HAND_MADE, i)) expect(HAND_MADE.data[j], `neighbour ${j} of stroke pixel ${i}`).toBe(v);
      }
    });

    it('when scribbled, should give every class present a stroke, and each tiny square its own stroke', () => {
      for (const c of classesPresent(HAND_MADE)) expect(countOf(result.scribble.data, c), `class ${c}`).toBeGreaterThan(0);
      // Both 3×3 squares: their centres (18, 5) and (18, 13) are the only pixels 2 px from the other classes.
      expect(result.scribble.data[18 * 40 + 5]).toBe(3);
      expect(result.scribble.data[18 * 40 + 13]).toBe(3);
    });

    it('when counting stroke pixels per class, should find each coverage within its asked range and equal to the reported one', () => {
      for (const summary of result.classes) {
        const pixels = countOf(HAND_MADE.data, summary.classIndex);
        const annotated = countOf(result.scribble.data, summary.classIndex);
        expect(summary.pixels).toBe(pixels);
        expect(summary.annotated).toBe(annotated);
        const [min, max] = summary.classIndex === 0 ? [0.02, 0.06] : [0.1, 0.3];
        expect(annotated / pixels, `class ${summary.classIndex}`).toBeGreaterThanOrEqual(min);
        expect(annotated / pixels, `class ${summary.classIndex}`).toBeLessThanOrEqual(max);
        expect(summary.withinRange).toBe(true);
      }
    });

    it('when asked for 30–50% (above what one stroke along the rectangle gives, 29%), should reach it on the rectangle and the disc with extra strokes', () => {
      const high = generateScribbles(HAND_MADE, { classes: 4, seed: 1, coverage: { min: 0.3, max: 0.5 } });
      for (const c of [1, 2]) {
        const coverage = countOf(high.scribble.data, c) / countOf(HAND_MADE.data, c);
        expect(coverage, `class ${c}`).toBeGreaterThanOrEqual(0.3);
        expect(coverage, `class ${c}`).toBeLessThanOrEqual(0.5);
      }
      expect(high.classes.find((k) => k.classIndex === 1)!.strokes.length).toBeGreaterThanOrEqual(2);
    });

    it('when following the rectangle, should draw along its medial row 8 (most centres on it, none farther than 2 rows)', () => {
      const rectangle = result.classes.find((c) => c.classIndex === 1)!;
      const rows = rectangle.strokes.flatMap((s) => Array.from(s, (i) => Math.floor(i / 40)));
      expect(rows.length).toBeGreaterThan(5);
      expect(rows.filter((r) => r === 8).length / rows.length).toBeGreaterThan(0.7);
      for (const r of rows) expect(Math.abs(r - 8)).toBeLessThanOrEqual(2);
    });

    it('when reading a stroke centreline, should find consecutive centres 8-adjacent (one connected stroke)', () => {
      for (const summary of result.classes)
        for (const stroke of summary.strokes)
          for (let k = 1; k < stroke.length; k++) {
            const [a, b] = [stroke[k - 1], stroke[k]];
            expect(Math.max(Math.abs(Math.floor(a / 40) - Math.floor(b / 40)), Math.abs((a % 40) - (b % 40)))).toBe(1);
          }
    });

    it('when scribbling twice with one seed, should give identical scribbles; with other seeds, different ones', () => {
      const again = generateScribbles(HAND_MADE, { classes: 4, seed: 1 });
      expect(Array.from(again.scribble.data)).toEqual(Array.from(result.scribble.data));
      const others = [2, 3, 4].map((seed) => generateScribbles(HAND_MADE, { classes: 4, seed }).scribble.data);
      for (const other of others) expect(Array.from(other)).not.toEqual(Array.from(result.scribble.data));
    });

    it('when not told an unannotated value, should use the class count (PartialLabelToProbability\'s default) and honour another one', () => {
      expect(result.unannotatedValue).toBe(4);
      const annotated = result.classes.reduce((n, c) => n + c.annotated, 0);
      expect(countOf(result.scribble.data, 4)).toBe(HAND_MADE.data.length - annotated);
      const with255 = generateScribbles(HAND_MADE, { classes: 4, seed: 1, unannotatedValue: 255 });
      expect(Array.from(with255.scribble.data, (v) => (v === 255 ? 4 : v))).toEqual(Array.from(result.scribble.data));
    });
  });

  describe('having a stroke radius', () => {
    it('when the radius is 0, should annotate exactly the centreline pixels', () => {
      const thin = generateScribbles(HAND_MADE, { classes: 4, seed: 5, strokeRadius: 0 });
      for (const summary of thin.classes) {
        const centres = new Set(summary.strokes.flatMap((s) => Array.from(s)));
        expect(summary.annotated).toBe(centres.size);
        for (const i of centres) expect(thin.scribble.data[i]).toBe(summary.classIndex);
      }
    });

    it('when the radius is 2, should annotate every pixel within 2 of a rectangle centre and nothing farther', () => {
      const thick = generateScribbles(HAND_MADE, { classes: 4, seed: 5, strokeRadius: 2, coverage: { min: 0.2, max: 0.45 } });
      const rectangle = thick.classes.find((c) => c.classIndex === 1)!;
      const centres = rectangle.strokes.flatMap((s) => Array.from(s, (i) => [Math.floor(i / 40), i % 40]));
      expect(centres.length).toBeGreaterThan(0);
      for (let y = 0; y < 24; y++)
        for (let x = 0; x < 40; x++) {
          const near = centres.some(([cy, cx]) => (cy - y) ** 2 + (cx - x) ** 2 <= 4);
          expect(thick.scribble.data[y * 40 + x] === 1, `pixel (${y}, ${x})`).toBe(near);
        }
      // A 5-pixel-wide band: some column holds 5 annotated pixels of the rectangle.
      const widest = Math.max(...Array.from({ length: 40 }, (_, x) => Array.from({ length: 24 }, (_, y) => thick.scribble.data[y * 40 + x] === 1).filter(Boolean).length));
      expect(widest).toBe(5);
    });
  });

  describe('having a real label of the brain-mr-2d fixture (z076, all five classes)', () => {
    let label: LabelArray;
    beforeAll(async () => {
      label = await readFixtureLabel('label/z076.png');
    });

    it('when scribbled, should keep strokes inside their classes, give every class a stroke and reach the coverage range', () => {
      const result = generateScribbles(label, { classes: 5, seed: 11 });
      expectStrokesInsideTheirClass(label, result);
      expect(classesPresent(label)).toEqual([0, 1, 2, 3, 4]);
      for (const c of [0, 1, 2, 3, 4]) {
        const pixels = countOf(label.data, c);
        const coverage = countOf(result.scribble.data, c) / pixels;
        expect(pixels).toBeGreaterThan(60);
        const [min, max] = c === 0 ? [0.02, 0.06] : [0.1, 0.3];
        expect(coverage, `class ${c}`).toBeGreaterThanOrEqual(min);
        expect(coverage, `class ${c}`).toBeLessThanOrEqual(max);
      }
      // Both hemispheres: the left and right putamen (columns < 56 and ≥ 56) each carry putamen strokes.
      const columns = Array.from(result.scribble.data.entries()).filter(([, v]) => v === 2).map(([i]) => i % 112);
      expect(columns.some((x) => x < 56) && columns.some((x) => x >= 56)).toBe(true);
    });

    it('when scribbled with seeds 11, 11 and 12, should repeat itself and differ across seeds', () => {
      const a = generateScribbles(label, { classes: 5, seed: 11 }).scribble.data;
      const b = generateScribbles(label, { classes: 5, seed: 11 }).scribble.data;
      const c = generateScribbles(label, { classes: 5, seed: 12 }).scribble.data;
      expect(Buffer.from(a.buffer).equals(Buffer.from(b.buffer))).toBe(true);
      expect(Buffer.from(a.buffer).equals(Buffer.from(c.buffer))).toBe(false);
    });
  });

  describe('having a 3D mask (a ball and a box in a 16³ volume)', () => {
    const volume = paintLabel([16, 16, 16], (z, y, x) => {
      if ((z - 7) ** 2 + (y - 7) ** 2 + (x - 6) ** 2 <= 20) return 1;
      if (z >= 2 && z <= 13 && y >= 3 && y <= 8 && x >= 11 && x <= 15) return 2;
      return 0;
    });

    it('when scribbled, should keep strokes inside their classes and cover each class within range', () => {
      const result = generateScribbles(volume, { classes: 3, seed: 3 });
      expect(result.scribble.shape).toEqual([16, 16, 16]);
      expectStrokesInsideTheirClass(volume, result);
      for (const c of [1, 2]) {
        const coverage = countOf(result.scribble.data, c) / countOf(volume.data, c);
        expect(coverage, `class ${c}`).toBeGreaterThanOrEqual(0.1);
        expect(coverage, `class ${c}`).toBeLessThanOrEqual(0.3);
      }
      expect(countOf(result.scribble.data, 0)).toBeGreaterThan(0);
    });
  });

  describe('having bad input', () => {
    it('when given an unknown option, should name it', () => {
      expectMicflowError(() => generateScribbles(HAND_MADE, { classes: 4, seed: 1, strokeRadiuss: 2 } as never), 'invalid-argument', /scribble generator/, /unknown option "strokeRadiuss"/);
      expectMicflowError(() => generateScribbles(HAND_MADE, { classes: 4, seed: 1, coverage: { min: 0.1, max: 0.3, mean: 0.2 } } as never), 'invalid-argument', /unknown option "coverage.mean"/);
    });

    it('when given a coverage outside [0, 1] or with min above max, should name the key', () => {
      expectMicflowError(() => generateScribbles(HAND_MADE, { classes: 4, seed: 1, coverage: { min: 0.1, max: 1.5 } }), 'invalid-argument', /option "coverage.max"/);
      expectMicflowError(() => generateScribbles(HAND_MADE, { classes: 4, seed: 1, coverage: { min: 0.4, max: 0.3 } }), 'invalid-argument', /option "coverage"/, /min must not exceed max/);
    });

    it('when the unannotated value is a class or a label value is not a class, should say which', () => {
      expectMicflowError(() => generateScribbles(HAND_MADE, { classes: 4, seed: 1, unannotatedValue: 2 }), 'invalid-argument', /unannotatedValue/);
      expectMicflowError(() => generateScribbles(HAND_MADE, { classes: 3, seed: 1 }), 'invalid-data', /label value 3/);
      expectMicflowError(() => generateScribbles({ data: new Int32Array(5), shape: [2, 3] }, { classes: 3, seed: 1 }), 'invalid-shape', /holds 6 values/);
    });
  });
});
