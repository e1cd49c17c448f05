import { z } from 'zod';
import { MicflowError } from '../errors/micflow-error.js';
import type { LabelArray } from '../images/image-array.js';
import { labelConnectedComponents } from '../images/connected-components.js';
import { SeededRandom } from '../runtime/seeded-random.js';
import { ballOffsets, classPixelCounts, distanceToFeatures, forEachOffsetPoint, labelGridOf, onGridBorder, type LabelGrid } from './label-grid.js';
import { medialPath } from './medial-path.js';
import { parseWeakLabelOptions } from './parse-weak-label-options.js';

const GENERATOR = 'scribble generator';

const fractionRange = (defaults: { min: number; max: number }) =>
  z
    .object({ min: z.number().min(0).max(1), max: z.number().min(0).max(1) })
    .strict()
    .refine((r) => r.min <= r.max, { message: 'min must not exceed max' })
    .default(defaults);

export const scribbleOptionsSchema = z
  .object({
    /** Number of classes; label values must lie in 0..classes−1, class 0 being the background. */
    classes: z.number().int().min(2).max(65535),
    /** Seed of every random choice (stroke position and length); the same seed gives the same scribbles. */
    seed: z.number().int(),
    /**
     * Value written on unannotated pixels. Null: the class count, as PyMIC's PartialLabelToProbability (and micflow's
     * PartialLabelToProbability stage, whose `unannotatedValue` defaults to the class count) expects.
     */
    unannotatedValue: z.number().int().min(0).max(65535).nullable().default(null),
    /** Stroke thickness: every stroke is its centreline dilated by a Euclidean ball of this radius (0: one pixel wide). */
    strokeRadius: z.number().int().min(0).max(16).default(1),
    /** Stroke pixels stay farther than this (pixels) from any pixel of another class, when the class is thick enough. */
    boundaryMargin: z.number().int().min(0).max(16).default(1),
    /** Target fraction of each foreground class's pixels covered by its strokes; each class draws its target in the range. */
    coverage: fractionRange({ min: 0.1, max: 0.3 }),
    /** The same for the background class (0), which is much larger. */
    backgroundCoverage: fractionRange({ min: 0.02, max: 0.06 }),
    /**
     * Background strokes run through the band of background pixels at this distance (pixels) from the foreground.
     * The default reaches across a whole 2D slice of the bundled data (112×96), as an annotator marks the different
     * tissues around the structures; a tight ring (3–8 px) left the rest of the slice unannotated, and a partial-CE
     * network then predicted structures all over it (bundled data, seed 1: validation background Dice 0.85 against
     * 0.92 with 3–40 px, predicted structure volumes 2–3× the truth).
     */
    backgroundBand: z
      .object({ inner: z.number().min(0), outer: z.number().min(0) })
      .strict()
      .refine((b) => b.inner <= b.outer, { message: 'inner must not exceed outer' })
      .default({ inner: 3, outer: 40 }),
    /** Separate parts of a class (e.g. left and right caudate) each get a stroke when they have at least this many candidate centre pixels. */
    minComponentPixels: z.number().int().min(1).default(20),
    /** At most this many strokes per class (the first one per part, then extra strokes while coverage is below its minimum). */
    maxStrokesPerClass: z.number().int().min(1).max(64).default(8),
  })
  .strict();

export type ScribbleOptions = z.input<typeof scribbleOptionsSchema>;

/** What the generator did for one class present in the mask. */
export interface ScribbleClassSummary {
  readonly classIndex: number;
  /** Pixels of the class in the full mask. */
  readonly pixels: number;
  /** Pixels of the class kept in the scribble. */
  readonly annotated: number;
  /** annotated / pixels. */
  readonly coverage: number;
  /** The coverage drawn for this class within the asked range. */
  readonly targetCoverage: number;
  /**
   * Whether `coverage` lies in the asked range. Tiny classes can fall outside it: above, when the one obligatory brush
   * dab already covers too much of the class; below, when the margin leaves too few allowed pixels for the minimum.
   */
  readonly withinRange: boolean;
  /** Centreline pixels (flat indices) of each stroke, in drawing order along the stroke. */
  readonly strokes: readonly Int32Array[];
}

export interface ScribbleResult {
  /** Same shape as the mask: the class on stroke pixels, `unannotatedValue` elsewhere. */
  readonly scribble: LabelArray;
  readonly unannotatedValue: number;
  /** One entry per class present in the mask, by class index. */
  readonly classes: readonly ScribbleClassSummary[];
}

/**
 * Turns a full label map (2D [H, W] or 3D [D, H, W]) into scribbles, as weakly supervised segmentation methods train
 * on (scribble-supervised segmentation: Lin, Dai, Jia, He, Sun, "ScribbleSup", CVPR 2016; the ACDC scribbles of
 * Valvano, Leo, Tsaftaris, "Learning to segment from scribbles using multi-scale adversarial attention gates",
 * IEEE TMI 2021, which PyMIC's weakly supervised examples use). For every class present:
 *
 * 1. Allowed pixels: the class's pixels farther than `boundaryMargin` from any other class (all of the class when it
 *    is too thin for that), so strokes lie strictly inside their class.
 * 2. Candidate centres: allowed pixels whose whole brush (ball of `strokeRadius`) stays allowed; for the background,
 *    only those in the band `backgroundBand` around the foreground (3–40 px by default: the tissues around the structures),
 *    falling back to the whole background when the band is empty or there is no foreground.
 * 3. For every connected part of the candidates with at least `minComponentPixels` pixels (the largest always), its
 *    longest medial-axis path ({@link medialPath}); a stroke grows along it in both directions from a random point
 *    until the class's share of a coverage target drawn in `coverage` (`backgroundCoverage`) is reached, never
 *    adding a brush dab that would push the coverage above the range's maximum (except the class's very first dab,
 *    so every class present gets a stroke).
 * 4. While the coverage is below the range's minimum, extra strokes along the medial path of the largest part left
 *    of the candidates farther than 2·radius + 2 from the strokes so far; when none is left, of the allowed pixels
 *    farther than radius + 1 (brush clipped to the allowed pixels); up to `maxStrokesPerClass` strokes in all.
 *
 * Stroke pixels are the centreline dilated by the ball, clipped to the allowed pixels. Randomness (start points,
 * targets) comes from `seed`, derived per class, so one class's strokes do not depend on the others'.
 *
 * @throws MicflowError('invalid-argument') for an unknown or out-of-range option (naming it), ('invalid-data') for a
 * label value outside 0..classes−1, ('invalid-shape') for a mask that is not 2D/3D or whose data does not fit its shape.
 */
export function generateScribbles(label: LabelArray, options: ScribbleOptions): ScribbleResult {
  const o = parseWeakLabelOptions(scribbleOptionsSchema, options, GENERATOR);
  const unannotatedValue = o.unannotatedValue ?? o.classes;
  if (unannotatedValue < o.classes) {
    throw new MicflowError('invalid-argument', `${GENERATOR}: option "unannotatedValue" ${unannotatedValue} is one of the ${o.classes} classes; use a value ≥ ${o.classes}`);
  }
  const grid = labelGridOf(label, GENERATOR);
  const counts = classPixelCounts(label, o.classes, GENERATOR);
  const scribble = new Int32Array(grid.total).fill(unannotatedValue);
  const random = new SeededRandom(o.seed);
  const summaries: ScribbleClassSummary[] = [];
  for (let c = 0; c < o.classes; c++) {
    if (counts[c] === 0) continue;
    summaries.push(scribbleOneClass(label, grid, c, counts[c], o, random.derive('class', c), scribble));
  }
  return { scribble: { data: scribble, shape: [...label.shape] }, unannotatedValue, classes: summaries };
}

type ParsedScribbleOptions = z.output<typeof scribbleOptionsSchema>;

function scribbleOneClass(
  label: LabelArray,
  grid: LabelGrid,
  classIndex: number,
  pixels: number,
  o: ParsedScribbleOptions,
  random: SeededRandom,
  scribble: Int32Array,
): ScribbleClassSummary {
  const { total } = grid;
  const radius = o.strokeRadius;
  const margin = o.boundaryMargin;
  const isBackground = classIndex === 0;
  const range = isBackground ? o.backgroundCoverage : o.coverage;

  const inClass = new Uint8Array(total);
  const otherClass = new Uint8Array(total);
  for (let i = 0; i < total; i++) {
    if (label.data[i] === classIndex) inClass[i] = 1;
    else otherClass[i] = 1;
  }
  // Distance from every pixel to the nearest pixel of another class (+Infinity when the class fills the grid).
  const depth = distanceToFeatures(otherClass, grid);
  const firstNonEmpty = (...masks: Array<() => Uint8Array>): Uint8Array => {
    for (const make of masks) {
      const mask = make();
      if (mask.some((v) => v)) return mask;
    }
    return inClass;
  };
  const where = (keep: (i: number) => boolean) => () => {
    const mask = new Uint8Array(total);
    for (let i = 0; i < total; i++) if (inClass[i] && keep(i)) mask[i] = 1;
    return mask;
  };
  const allowed = firstNonEmpty(where((i) => depth[i] > margin));
  const brushFits = (i: number) => allowed[i] === 1 && depth[i] > margin + radius;
  const foregroundPresent = isBackground && pixels < total;
  const band = (i: number) => depth[i] >= o.backgroundBand.inner && depth[i] <= o.backgroundBand.outer;
  const candidates = isBackground && foregroundPresent
    ? firstNonEmpty(where((i) => brushFits(i) && band(i)), where((i) => band(i) && allowed[i] === 1), where(brushFits), () => allowed)
    : firstNonEmpty(where(brushFits), () => allowed);

  const ball = ballOffsets(grid, radius);
  const marked = new Uint8Array(total);
  let covered = 0;
  const maximumPixels = range.max * pixels;
  const targetCoverage = random.uniformIn(range.min, range.max);
  const targetPixels = targetCoverage * pixels;
  const strokes: Int32Array[] = [];

  /** Adds one brush dab; refuses (false) when it would push the coverage above the maximum, unless nothing is annotated yet. */
  const addDab = (centre: number): boolean => {
    const fresh: number[] = [];
    forEachOffsetPoint(grid, centre, ball, (i) => {
      if (allowed[i] && !marked[i]) fresh.push(i);
    });
    if (covered > 0 && covered + fresh.length > maximumPixels + 1e-9) return false;
    for (const i of fresh) {
      marked[i] = 1;
      scribble[i] = classIndex;
    }
    covered += fresh.length;
    return true;
  };
  /** Grows a stroke along `path` outwards from a random point until `goal` pixels are covered or the path ends. */
  const walk = (path: Int32Array, goal: number): void => {
    if (path.length === 0) return;
    const start = random.integer(path.length);
    let low = start;
    let high = start;
    const used: number[] = [];
    const tryAdd = (position: number): boolean => {
      if (!addDab(path[position])) return false;
      used.push(position);
      return true;
    };
    if (covered < goal || covered === 0) {
      if (!tryAdd(start)) return;
      let forward = true;
      while (covered < goal && (low > 0 || high < path.length - 1)) {
        const grow = forward ? high < path.length - 1 : low === 0;
        forward = !forward;
        if (grow ? !tryAdd(++high) : !tryAdd(--low)) break;
      }
    }
    if (used.length) strokes.push(Int32Array.from(used.sort((a, b) => a - b).map((p) => path[p])));
  };
  const strokeAlongLargestParts = (region: Uint8Array, share: (size: number, eligibleTotal: number) => number, onlyLargest: boolean): boolean => {
    const parts = connectedParts(region, grid);
    if (parts.length === 0) return false;
    const eligible = onlyLargest ? parts.slice(0, 1) : parts.filter((p, i) => i === 0 || p.points.length >= o.minComponentPixels);
    const eligibleTotal = eligible.reduce((n, p) => n + p.points.length, 0);
    const regionDepth = depthInside(region, grid);
    for (const part of eligible) {
      if (strokes.length >= o.maxStrokesPerClass) break;
      const path = medialPath(grid, part.inside, part.points, regionDepth, random);
      walk(path, covered + share(part.points.length, eligibleTotal));
    }
    return true;
  };

  strokeAlongLargestParts(candidates, (size, eligibleTotal) => (targetPixels * size) / eligibleTotal, false);
  // Extra strokes while below the minimum: first where the whole brush fits, well clear of the strokes so far; then,
  // relaxed, anywhere allowed (the brush clipped to the allowed pixels) with a one-pixel gap to the strokes.
  const extraStrokeRegions: Array<{ region: Uint8Array; clearance: number }> = [
    { region: candidates, clearance: 2 * radius + 2 },
    { region: allowed, clearance: radius + 1 },
  ];
  for (const { region, clearance } of extraStrokeRegions) {
    while (covered < range.min * pixels - 1e-9 && strokes.length < o.maxStrokesPerClass) {
      const distanceToStrokes = distanceToFeatures(marked, grid);
      const rest = new Uint8Array(total);
      for (let i = 0; i < total; i++) if (region[i] && distanceToStrokes[i] > clearance) rest[i] = 1;
      const before = covered;
      if (!strokeAlongLargestParts(rest, () => targetPixels - covered, true) || covered === before) break;
    }
  }

  const coverage = covered / pixels;
  return {
    classIndex,
    pixels,
    annotated: covered,
    coverage,
    targetCoverage,
    withinRange: coverage >= range.min - 1e-9 && coverage <= range.max + 1e-9,
    strokes,
  };
}

interface ConnectedPart {
  readonly inside: Uint8Array;
  readonly points: Int32Array;
}

/** Full-connectivity parts of a mask, largest first (ties: the part whose first pixel comes first in raster order). */
function connectedParts(mask: Uint8Array, grid: LabelGrid): ConnectedPart[] {
  const { components, sizes } = labelConnectedComponents(mask, grid.shape, 'full');
  const order = sizes.map((size, id) => ({ size, id })).filter((c) => c.id > 0).sort((a, b) => b.size - a.size || a.id - b.id);
  return order.map(({ size, id }) => {
    const inside = new Uint8Array(grid.total);
    const points = new Int32Array(size);
    let n = 0;
    for (let i = 0; i < grid.total; i++)
      if (components[i] === id) {
        inside[i] = 1;
        points[n++] = i;
      }
    return { inside, points };
  });
}

/** Distance of every pixel of `region` to its outside, the grid's outer faces counting as outside. */
function depthInside(region: Uint8Array, grid: LabelGrid): Float64Array {
  const outside = new Uint8Array(grid.total);
  for (let i = 0; i < grid.total; i++) if (!region[i] || onGridBorder(grid, i)) outside[i] = 1;
  return distanceToFeatures(outside, grid);
}
