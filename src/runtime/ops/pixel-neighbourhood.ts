import { MicflowError } from '../../errors/micflow-error.js';

/** One neighbour offset of a pixel neighbourhood and the pixels that have that neighbour inside the grid. */
export interface NeighbourOffset {
  readonly dy: number;
  readonly dx: number;
  /** Flat index step from a pixel to this neighbour: dy·W + dx. */
  readonly step: number;
  /** Rows y in [yStart, yEnd) and columns x in [xStart, xEnd) have the neighbour (y + dy, x + dx) inside the grid. */
  readonly yStart: number;
  readonly yEnd: number;
  readonly xStart: number;
  readonly xEnd: number;
}

/** The (2r + 1)² − 1 neighbours of every pixel of an H×W grid (the pixel itself left out). */
export interface PixelNeighbourhood {
  readonly height: number;
  readonly width: number;
  readonly radius: number;
  /** S = (2r + 1)² − 1 offsets, ordered by (dy, dx) from (−r, −r) to (r, r). */
  readonly offsets: readonly NeighbourOffset[];
}

/** The neighbourhood of an H×W grid with radius r. */
export function pixelNeighbourhood(height: number, width: number, radius: number): PixelNeighbourhood {
  if (![height, width, radius].every((v) => Number.isInteger(v) && v >= 1)) {
    throw new MicflowError('invalid-argument', `pixelNeighbourhood: height ${height}, width ${width} and radius ${radius} must be positive integers`);
  }
  const offsets: NeighbourOffset[] = [];
  for (let dy = -radius; dy <= radius; dy++) {
    for (let dx = -radius; dx <= radius; dx++) {
      if (dy === 0 && dx === 0) continue;
      offsets.push({
        dy,
        dx,
        step: dy * width + dx,
        yStart: Math.max(0, -dy),
        yEnd: Math.min(height, height - dy),
        xStart: Math.max(0, -dx),
        xEnd: Math.min(width, width - dx),
      });
    }
  }
  return { height, width, radius, offsets };
}
