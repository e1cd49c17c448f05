import path from 'node:path';
import { expect } from 'vitest';
import { MicflowError } from '../../src/errors/micflow-error.js';
import type { LabelArray } from '../../src/images/image-array.js';
import { readImage } from '../../src/io/read-image.js';

export const BRAIN_MR_2D = path.resolve(import.meta.dirname, '../../fixtures/brain-mr-2d');

/** A 2D label map from rows of digits ('.' = 0), for hand-made masks. */
export function labelFromRows(rows: readonly string[]): LabelArray {
  const height = rows.length;
  const width = rows[0].length;
  const data = new Int32Array(height * width);
  rows.forEach((row, y) => {
    if (row.length !== width) throw new Error(`row ${y} has ${row.length} characters, not ${width}`);
    for (let x = 0; x < width; x++) data[y * width + x] = row[x] === '.' ? 0 : Number(row[x]);
  });
  return { data, shape: [height, width] };
}

/** A label map painted by `paint(z, y, x)` over a grid of `shape` (2D [H, W] or 3D [D, H, W]). */
export function paintLabel(shape: readonly number[], paint: (z: number, y: number, x: number) => number): LabelArray {
  const [depth, height, width] = shape.length === 3 ? shape : [1, shape[0], shape[1]];
  const data = new Int32Array(depth * height * width);
  for (let z = 0; z < depth; z++) for (let y = 0; y < height; y++) for (let x = 0; x < width; x++) data[(z * height + y) * width + x] = paint(z, y, x);
  return { data, shape: [...shape] };
}

/** A fixture label as a LabelArray [H, W]. */
export async function readFixtureLabel(relative: string): Promise<LabelArray> {
  const image = await readImage(path.join(BRAIN_MR_2D, relative));
  return { data: Int32Array.from(image.data as Uint8Array), shape: [image.size[1], image.size[0]] };
}

/** Pixel count of `value` in `data`, by a plain loop. */
export function countOf(data: ArrayLike<number>, value: number): number {
  let n = 0;
  for (let i = 0; i < data.length; i++) if (data[i] === value) n++;
  return n;
}

/** Runs `action` and checks that it throws a MicflowError of `kind` whose message matches every pattern. */
export function expectMicflowError(action: () => unknown, kind: MicflowError['kind'], ...patterns: RegExp[]): void {
  let caught: unknown;
  try {
    action();
  } catch (error) {
    caught = error;
  }
  expect(caught).toBeInstanceOf(MicflowError);
  expect((caught as MicflowError).kind).toBe(kind);
  for (const pattern of patterns) expect((caught as MicflowError).message).toMatch(pattern);
}
