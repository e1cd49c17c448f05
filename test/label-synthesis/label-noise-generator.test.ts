import { beforeAll, describe, expect, it } from 'vitest';
import type { LabelArray } from '../../src/images/image-array.js';
import { SeededRandom } from '../../src/runtime/seeded-random.js';
import {
  addBlob,
  dilateClass,
  distortLabelAffine,
  dropComponent,
  erodeClass,
  makeNoisyLabelSet,
  perturbLabel,
  shiftClass,
  type LabelNoiseOptions,
} from '../../src/label-synthesis/label-noise-generator.js';
import { countOf, expectMicflowError, labelFromRows, paintLabel, readFixtureLabel } from './weak-label-test-helpers.js';

/** Only one kind of error, always applied. */
const ONLY = {
  erosion: { erosion: { probability: 1 }, dilation: { probability: 0 } },
  dilation: { erosion: { probability: 0 }, dilation: { probability: 1 } },
  shift: { shift: { probability: 1 } },
  affine: { affine: { probability: 1 } },
  dropComponent: { dropComponent: { probability: 1 } },
  spuriousComponent: { spuriousComponent: { probability: 1 } },
} as const;
const NONE: Omit<LabelNoiseOptions, 'classes' | 'seed'> = {
  erosion: { probability: 0 },
  dilation: { probability: 0 },
  shift: { probability: 0 },
  affine: { probability: 0 },
  dropComponent: { probability: 0 },
  spuriousComponent: { probability: 0 },
};

function same(a: LabelArray, b: LabelArray): boolean {
  return Buffer.from(a.data.buffer, a.data.byteOffset, a.data.byteLength).equals(Buffer.from(b.data.buffer, b.data.byteOffset, b.data.byteLength));
}

/** Pixels that are `c` in `a` but not in `b`. */
function pixelsOnlyIn(a: LabelArray, b: LabelArray, c: number): number {
  let n = 0;
  for (let i = 0; i < a.data.length; i++) if (a.data[i] === c && b.data[i] !== c) n++;
  return n;
}

/** 11×11 with a 7×7 square of class 1 (rows/columns 2..8) touching a column of class 2 at column 9. */
const SQUARE = paintLabel([11, 11], (_, y, x) => (y >= 2 && y <= 8 && x >= 2 && x <= 8 ? 1 : x === 9 && y >= 2 && y <= 8 ? 2 : 0));

describe('label noise operations', () => {
  describe('having a 7×7 square next to another class', () => {
    it('when eroded by 1 and 2, should leave the 5×5 and 3×3 centres and turn only square pixels into background', () => {
      for (const [radius, side] of [
        [1, 5],
        [2, 3],
      ]) {
        const eroded = erodeClass(SQUARE, 1, radius);
        const lo = 5 - (side - 1) / 2;
        const hi = 5 + (side - 1) / 2;
        for (let y = 0; y < 11; y++)
          for (let x = 0; x < 11; x++) {
            const i = y * 11 + x;
            const expected = SQUARE.data[i] === 1 ? (y >= lo && y <= hi && x >= lo && x <= hi ? 1 : 0) : SQUARE.data[i];
            expect(eroded.data[i], `(${y}, ${x}) after erosion by ${radius}`).toBe(expected);
          }
      }
    });

    it('when dilated, should only add class pixels, only over background, never over the other class', () => {
      const dilated = dilateClass(SQUARE, 1, 2);
      expect(pixelsOnlyIn(SQUARE, dilated, 1)).toBe(0);
      for (let i = 0; i < SQUARE.data.length; i++) if (dilated.data[i] !== SQUARE.data[i]) expect([SQUARE.data[i], dilated.data[i]]).toEqual([0, 1]);
      expect(countOf(dilated.data, 2)).toBe(7);
      // Radius 2 ball of a single pixel: 13 pixels (1 + 4 + 4 + 4 offsets with dy² + dx² ≤ 4).
      const dot = paintLabel([9, 9], (_, y, x) => (y === 4 && x === 4 ? 3 : 0));
      expect(countOf(dilateClass(dot, 3, 2).data, 3)).toBe(13);
      expect(countOf(dilateClass(dot, 3, 1).data, 3)).toBe(5);
    });

    it('when shifted by [1, -2], should move the square and leave background behind, without overwriting class 2', () => {
      const moved = shiftClass(SQUARE, 1, [1, -2]);
      for (let y = 0; y < 11; y++)
        for (let x = 0; x < 11; x++) {
          const inMoved = y >= 3 && y <= 9 && x >= 0 && x <= 6;
          const expected = SQUARE.data[y * 11 + x] === 2 ? 2 : inMoved ? 1 : 0;
          expect(moved.data[y * 11 + x], `(${y}, ${x})`).toBe(expected);
        }
      const onto = shiftClass(SQUARE, 1, [0, 2]);
      expect(countOf(onto.data, 2)).toBe(7);
      expect(countOf(onto.data, 1)).toBe(49 - 7);
    });
  });

  describe('having a label map to distort', () => {
    it('when rotated by 0 with scale 1, should give the identical map', () => {
      expect(same(distortLabelAffine(SQUARE, 0, 1), SQUARE)).toBe(true);
    });

    it('when rotated by 90°, should move a pixel right of the centre to above it (nearest neighbour, values kept)', () => {
      const dot = paintLabel([9, 9], (_, y, x) => (y === 4 && x === 6 ? 2 : y === 4 && x === 4 ? 1 : 0));
      const turned = distortLabelAffine(dot, Math.PI / 2, 1);
      expect(turned.data[2 * 9 + 4]).toBe(2);
      expect(turned.data[4 * 9 + 4]).toBe(1);
      expect(countOf(turned.data, 2)).toBe(1);
      expect(countOf(turned.data, 1)).toBe(1);
    });

    it('when scaled by 1.5 about the centre, should grow a centred square from 5×5 to about 7.5×7.5 and keep only its values', () => {
      const square = paintLabel([21, 21], (_, y, x) => (Math.abs(y - 10) <= 2 && Math.abs(x - 10) <= 2 ? 4 : 0));
      const grown = distortLabelAffine(square, 0, 1.5);
      // Output point at offset d reads the input at d / 1.5 (nearest): |d| ≤ 3 reads |d/1.5| ≤ 2 → 7×7 = 49.
      expect(countOf(grown.data, 4)).toBe(49);
      expect(new Set(grown.data)).toEqual(new Set([0, 4]));
    });
  });

  describe('having two components of one class', () => {
    const twoBlobs = labelFromRows(['.........', '.11....1.', '.11...11.', '.........', '..22.....']);

    it('when dropping component 2 (the right one), should clear exactly it and keep the rest', () => {
      const dropped = dropComponent(twoBlobs, 1, 2);
      expect(Array.from(dropped.data)).toEqual(Array.from(labelFromRows(['.........', '.11......', '.11......', '.........', '..22.....']).data));
    });

    it('when adding a blob of radius 1, should paint a plus shape over background only', () => {
      // Centre (2, 3): its left neighbour (2, 2) is class 1 and stays so.
      const blob = addBlob(twoBlobs, 3, [2, 3], 1);
      expect(Array.from(blob.data)).toEqual(Array.from(labelFromRows(['.........', '.113...1.', '.1133.11.', '...3.....', '..22.....']).data));
    });
  });
});

describe('perturbLabel', () => {
  let label: LabelArray;
  beforeAll(async () => {
    label = await readFixtureLabel('label/z076.png');
  });

  it('when only erosion is drawn, should only remove class pixels (to background)', () => {
    const { label: noisy, operations } = perturbLabel(label, { classes: 5, ...NONE, ...ONLY.erosion }, new SeededRandom(1));
    expect(operations.map((o) => o.kind)).toEqual(['erosion', 'erosion', 'erosion', 'erosion']);
    for (let c = 1; c < 5; c++) {
      expect(pixelsOnlyIn(noisy, label, c), `class ${c} gained pixels`).toBe(0);
      expect(pixelsOnlyIn(label, noisy, c), `class ${c} lost nothing`).toBeGreaterThan(0);
    }
    for (let i = 0; i < label.data.length; i++) if (noisy.data[i] !== label.data[i]) expect(noisy.data[i]).toBe(0);
  });

  it('when only dilation is drawn, should only add class pixels (from background)', () => {
    const { label: noisy, operations } = perturbLabel(label, { classes: 5, ...NONE, ...ONLY.dilation }, new SeededRandom(2));
    expect(operations.map((o) => o.kind)).toEqual(['dilation', 'dilation', 'dilation', 'dilation']);
    for (let c = 1; c < 5; c++) expect(pixelsOnlyIn(label, noisy, c), `class ${c} lost pixels`).toBe(0);
    for (let i = 0; i < label.data.length; i++) if (noisy.data[i] !== label.data[i]) expect(label.data[i]).toBe(0);
    expect(countOf(noisy.data, 0)).toBeLessThan(countOf(label.data, 0));
  });

  it('when only shifts are drawn, should equal the shifts applied one after the other by shiftClass', () => {
    const { label: noisy, operations } = perturbLabel(label, { classes: 5, ...NONE, ...ONLY.shift }, new SeededRandom(3));
    let expected = label;
    for (const op of operations) {
      if (op.kind !== 'shift') expect.fail(`unexpected ${op.kind}`);
      expect(op.offset.some((d) => d !== 0) && op.offset.every((d) => Math.abs(d) <= 3)).toBe(true);
      expected = shiftClass(expected, op.classIndex, op.offset);
    }
    expect(operations).toHaveLength(4);
    expect(same(noisy, expected)).toBe(true);
  });

  it('when only an affine distortion is drawn, should rotate within ±6° and scale within 6%, keeping the label values', () => {
    const { label: noisy, operations } = perturbLabel(label, { classes: 5, ...NONE, ...ONLY.affine }, new SeededRandom(4));
    expect(operations).toHaveLength(1);
    const op = operations[0];
    if (op.kind !== 'affine') expect.fail(op.kind);
    expect(Math.abs(op.rotationDegrees)).toBeLessThanOrEqual(6);
    expect(Math.abs(op.scale - 1)).toBeLessThanOrEqual(0.06);
    expect(same(noisy, distortLabelAffine(label, (op.rotationDegrees * Math.PI) / 180, op.scale))).toBe(true);
    expect(same(noisy, label)).toBe(false);
  });

  it('when only a dropped component is drawn, should remove one whole component of a class that has two', () => {
    const { label: noisy, operations } = perturbLabel(label, { classes: 5, ...NONE, ...ONLY.dropComponent }, new SeededRandom(5));
    expect(operations).toHaveLength(1);
    const op = operations[0];
    if (op.kind !== 'drop-component') expect.fail(op.kind);
    expect(countOf(label.data, op.classIndex) - countOf(noisy.data, op.classIndex)).toBe(op.pixels);
    expect(countOf(noisy.data, op.classIndex)).toBeGreaterThan(0);
    expect(countOf(noisy.data, 0) - countOf(label.data, 0)).toBe(op.pixels);
  });

  it('when only a spurious component is drawn, should add a ball of a present class in the background, apart from every structure', () => {
    const { label: noisy, operations } = perturbLabel(label, { classes: 5, ...NONE, ...ONLY.spuriousComponent }, new SeededRandom(6));
    expect(operations).toHaveLength(1);
    const op = operations[0];
    if (op.kind !== 'spurious-component') expect.fail(op.kind);
    const added = pixelsOnlyIn(noisy, label, op.classIndex);
    expect(added).toBe({ 1: 5, 2: 13, 3: 29 }[op.radius]);
    const [cy, cx] = op.centre;
    for (let y = 0; y < 96; y++)
      for (let x = 0; x < 112; x++) {
        const i = y * 112 + x;
        if (noisy.data[i] !== label.data[i]) expect((y - cy) ** 2 + (x - cx) ** 2).toBeLessThanOrEqual(op.radius ** 2);
        else if (label.data[i] !== 0) expect((y - cy) ** 2 + (x - cx) ** 2, 'foreground near the blob').toBeGreaterThan((op.radius + 2) ** 2);
      }
  });

  it('when nothing is drawn, should still change the map (a forced 1-pixel dilation)', () => {
    const { label: noisy, operations } = perturbLabel(label, { classes: 5, ...NONE }, new SeededRandom(7));
    expect(operations).toEqual([expect.objectContaining({ kind: 'dilation', radius: 1 })]);
    expect(same(noisy, label)).toBe(false);
  });
});

describe('makeNoisyLabelSet', () => {
  let labels: LabelArray[];
  beforeAll(async () => {
    labels = await Promise.all(['z044', 'z047', 'z053', 'z060', 'z063', 'z068', 'z074', 'z077', 'z084', 'z090'].map((z) => readFixtureLabel(`label/${z}.png`)));
  });

  it('when asked for 30% of 10 cases, should change exactly 3 and return byte-identical copies of the other 7', () => {
    const set = makeNoisyLabelSet(labels, { classes: 5, seed: 21, fraction: 0.3 });
    expect(set.noisy.filter(Boolean)).toHaveLength(3);
    labels.forEach((clean, i) => {
      expect(set.labels[i]).not.toBe(clean);
      expect(set.labels[i].shape).toEqual(clean.shape);
      expect(same(set.labels[i], clean), `case ${i}`).toBe(!set.noisy[i]);
      expect(set.operations[i].length > 0).toBe(set.noisy[i]);
    });
  });

  it('when the fraction is 0 or 1, should change none or all', () => {
    expect(makeNoisyLabelSet(labels, { classes: 5, seed: 1, fraction: 0 }).labels.every((l, i) => same(l, labels[i]))).toBe(true);
    expect(makeNoisyLabelSet(labels, { classes: 5, seed: 1, fraction: 1 }).labels.every((l, i) => !same(l, labels[i]))).toBe(true);
  });

  it('when run twice with one seed, should repeat itself; with another seed, should choose or perturb differently', () => {
    const a = makeNoisyLabelSet(labels, { classes: 5, seed: 21 });
    const b = makeNoisyLabelSet(labels, { classes: 5, seed: 21 });
    const c = makeNoisyLabelSet(labels, { classes: 5, seed: 22 });
    expect(b.noisy).toEqual(a.noisy);
    expect(b.operations).toEqual(a.operations);
    expect(a.labels.every((l, i) => same(l, b.labels[i]))).toBe(true);
    expect(a.labels.every((l, i) => same(l, c.labels[i]))).toBe(false);
  });

  it('when given case keys, should draw each case\'s noise from its key, not from its position', () => {
    const names = labels.map((_, i) => `case-${i}`);
    const all = makeNoisyLabelSet(labels, { classes: 5, seed: 3, fraction: 1 }, names);
    const reversed = makeNoisyLabelSet([...labels].reverse(), { classes: 5, seed: 3, fraction: 1 }, [...names].reverse());
    expect(same(reversed.labels[labels.length - 1], all.labels[0])).toBe(true);
  });

  it('when given bad options, should name the key', () => {
    expectMicflowError(() => makeNoisyLabelSet(labels, { classes: 5, seed: 1, fraction: 1.5 }), 'invalid-argument', /label noise generator/, /option "fraction"/);
    expectMicflowError(() => makeNoisyLabelSet(labels, { classes: 5, seed: 1, fraction: -0.1 }), 'invalid-argument', /option "fraction"/);
    expectMicflowError(() => makeNoisyLabelSet(labels, { classes: 5, seed: 1, erosion: { radious: 2 } } as never), 'invalid-argument', /unknown option "erosion.radious"/);
    expectMicflowError(() => makeNoisyLabelSet(labels, { classes: 5, seed: 1, blur: 1 } as never), 'invalid-argument', /unknown option "blur"/);
    expectMicflowError(
      () => makeNoisyLabelSet(labels, { classes: 5, seed: 1, erosion: { probability: 0.7 }, dilation: { probability: 0.5 } }),
      'invalid-argument',
      /option "dilation.probability"/,
    );
    expectMicflowError(() => makeNoisyLabelSet(labels, { classes: 4, seed: 1, fraction: 1 }), 'invalid-data', /label value 4/);
    expectMicflowError(() => makeNoisyLabelSet(labels, { classes: 5, seed: 1 }, ['a']), 'invalid-argument', /10 distinct case keys/);
  });
});
