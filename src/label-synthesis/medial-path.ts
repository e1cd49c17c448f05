import type { SeededRandom } from '../runtime/seeded-random.js';
import { coordinatesOf, fullNeighbourOffsets, indexAt, type LabelGrid } from './label-grid.js';

/** TEASAR's penalty on points far from the medial axis: PENALTY_SCALE · (1 − depth / maximum depth)^PENALTY_EXPONENT. */
const PENALTY_SCALE = 5000;
const PENALTY_EXPONENT = 16;

/**
 * The longest centreline of one connected region (2D or 3D, full connectivity): the path along the region's medial
 * axis between its two geodesically farthest points, as a list of flat indices from one end to the other, each
 * point a full-connectivity neighbour of the next.
 *
 * Method (TEASAR's skeleton path; Sato, Bitter, Bender, Kaufman, Nakajima, "TEASAR: tree-structure extraction
 * algorithm for accurate and robust skeletons", Pacific Graphics 2000): from a random point of the region (seeded),
 * the geodesically farthest point `a`; from `a`, the farthest point `b`; then the path from `a` to `b` of least cost
 * Σ step length · (1 + 5000 (1 − depth/maxDepth)^16), where depth is the distance to the region's outside. The
 * penalty all but forbids leaving the deepest ridge, so the path runs along the medial axis (the skeleton) and spans
 * its longest branch — the stroke an annotator draws through the middle of a structure. Geodesic distances use step
 * lengths 1, √2, √3; ties go to the lowest index, so the result depends only on the region, `depth` and the draw.
 *
 * @param inside 1 for the region's points (every point of one connected region), 0 elsewhere; length grid.total.
 * @param points the region's points (flat indices); the random start is drawn among them.
 * @param depth distance of every region point to the outside of the region (> 0 inside).
 */
export function medialPath(grid: LabelGrid, inside: Uint8Array, points: ArrayLike<number>, depth: Float64Array, random: SeededRandom): Int32Array {
  if (points.length === 0) return new Int32Array(0);
  if (points.length === 1) return Int32Array.of(points[0]);
  const start = points[random.integer(points.length)];
  const a = farthestPoint(grid, inside, points, geodesicDistances(grid, inside, start, () => 1).distance);
  const b = farthestPoint(grid, inside, points, geodesicDistances(grid, inside, a, () => 1).distance);
  let maximumDepth = 0;
  for (let i = 0; i < points.length; i++) maximumDepth = Math.max(maximumDepth, depth[points[i]]);
  const penalty = (index: number) =>
    maximumDepth > 0 && Number.isFinite(maximumDepth) ? 1 + PENALTY_SCALE * Math.pow(Math.max(0, 1 - depth[index] / maximumDepth), PENALTY_EXPONENT) : 1;
  const { previous } = geodesicDistances(grid, inside, a, penalty);
  const path: number[] = [];
  for (let p = b; p !== -1; p = previous[p]) path.push(p);
  return Int32Array.from(path.reverse());
}

/** The region point with the largest finite distance (lowest index on ties). */
function farthestPoint(grid: LabelGrid, inside: Uint8Array, points: ArrayLike<number>, distance: Float64Array): number {
  let best = -1;
  for (let i = 0; i < points.length; i++) {
    const p = points[i];
    if (!inside[p] || !Number.isFinite(distance[p])) continue;
    if (best < 0 || distance[p] > distance[best] || (distance[p] === distance[best] && p < best)) best = p;
  }
  return best < 0 ? points[0] : best;
}

/**
 * Dijkstra's shortest paths inside the region from `source`, with edge cost step length · weight(destination).
 * Returns the distance per point (+Infinity outside or unreached) and the predecessor on a shortest path (−1 at the
 * source and unreached points).
 */
function geodesicDistances(grid: LabelGrid, inside: Uint8Array, source: number, weight: (index: number) => number): { distance: Float64Array; previous: Int32Array } {
  const distance = new Float64Array(grid.total).fill(Infinity);
  const previous = new Int32Array(grid.total).fill(-1);
  const settled = new Uint8Array(grid.total);
  const neighbours = fullNeighbourOffsets(grid);
  const heap = new IndexMinHeap();
  distance[source] = 0;
  heap.push(0, source);
  while (heap.size > 0) {
    const [d, index] = heap.pop();
    if (settled[index] || d > distance[index]) continue;
    settled[index] = 1;
    const [z, y, x] = coordinatesOf(grid, index);
    for (const { dz, dy, dx, length } of neighbours) {
      const next = indexAt(grid, z + dz, y + dy, x + dx);
      if (next < 0 || !inside[next] || settled[next]) continue;
      const candidate = d + length * weight(next);
      if (candidate < distance[next] || (candidate === distance[next] && index < previous[next])) {
        distance[next] = candidate;
        previous[next] = index;
        heap.push(candidate, next);
      }
    }
  }
  return { distance, previous };
}

/** A binary min-heap of (key, index) pairs ordered by key, then index (so pops are deterministic on ties). */
class IndexMinHeap {
  private keys: number[] = [];
  private indices: number[] = [];

  get size(): number {
    return this.keys.length;
  }

  push(key: number, index: number): void {
    this.keys.push(key);
    this.indices.push(index);
    let i = this.keys.length - 1;
    while (i > 0) {
      const parent = (i - 1) >> 1;
      if (!this.less(i, parent)) break;
      this.swap(i, parent);
      i = parent;
    }
  }

  pop(): [number, number] {
    const top: [number, number] = [this.keys[0], this.indices[0]];
    const lastKey = this.keys.pop()!;
    const lastIndex = this.indices.pop()!;
    if (this.keys.length > 0) {
      this.keys[0] = lastKey;
      this.indices[0] = lastIndex;
      let i = 0;
      for (;;) {
        const left = 2 * i + 1;
        const right = left + 1;
        let smallest = i;
        if (left < this.keys.length && this.less(left, smallest)) smallest = left;
        if (right < this.keys.length && this.less(right, smallest)) smallest = right;
        if (smallest === i) break;
        this.swap(i, smallest);
        i = smallest;
      }
    }
    return top;
  }

  private less(i: number, j: number): boolean {
    return this.keys[i] < this.keys[j] || (this.keys[i] === this.keys[j] && this.indices[i] < this.indices[j]);
  }

  private swap(i: number, j: number): void {
    [this.keys[i], this.keys[j]] = [this.keys[j], this.keys[i]];
    [this.indices[i], this.indices[j]] = [this.indices[j], this.indices[i]];
  }
}
