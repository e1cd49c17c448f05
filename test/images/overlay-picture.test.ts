import { describe, expect, it } from 'vitest';
import { OVERLAY_ALPHA, OVERLAY_CLASS_COLOURS } from '../../src/images/overlay-class-colours.js';
import { mostForegroundSlice, overlayPicture } from '../../src/images/overlay-picture.js';

const bytes = (...values: number[]) => Uint8Array.from(values);

describe('overlayPicture', () => {
  describe('having a 2×2 case with classes 0–4 and 11', () => {
    // image      label      prediction
    //  10 100     1 0        0  4
    // 200 254     2 3        2 11 (11 cycles back to class 1's colour)
    const picture = overlayPicture({ shape: [2, 2], image: bytes(10, 100, 200, 254), label: bytes(1, 0, 2, 3), prediction: bytes(0, 4, 2, 11) });

    it('should lay out grey, ground truth and prediction panels side by side, blending 0.55 grey with 0.45 colour', () => {
      expect(OVERLAY_ALPHA).toBe(0.45);
      // The palette this picture was worked out with (the dashboard's).
      expect(OVERLAY_CLASS_COLOURS.slice(0, 4)).toEqual([[230, 25, 75], [60, 180, 75], [0, 130, 200], [255, 225, 25]]);
      expect(OVERLAY_CLASS_COLOURS).toHaveLength(10);
      // By hand, 0.55 · grey + 0.45 · colour, rounded:
      //   class 1 (230, 25, 75) over 10    → 5.5 + 103.5, 5.5 + 11.25, 5.5 + 33.75       → 109, 17, 39
      //   class 4 (255, 225, 25) over 100  → 55 + 114.75, 55 + 101.25, 55 + 11.25        → 170, 156, 66
      //   class 2 (60, 180, 75) over 200   → 110 + 27, 110 + 81, 110 + 33.75             → 137, 191, 144
      //   class 3 (0, 130, 200) over 254   → 139.7 + 0, 139.7 + 58.5, 139.7 + 90         → 140, 198, 230
      //   class 11 = 1 over 254            → 139.7 + 103.5, 139.7 + 11.25, 139.7 + 33.75 → 243, 151, 173
      expect(picture.width).toBe(6);
      expect(picture.height).toBe(2);
      expect(picture.slice).toBeUndefined();
      expect([...picture.rgb]).toEqual([
        10, 10, 10,     100, 100, 100,   109, 17, 39,     100, 100, 100,   10, 10, 10,      170, 156, 66,
        200, 200, 200,  254, 254, 254,   137, 191, 144,   140, 198, 230,   137, 191, 144,   243, 151, 173,
      ]);
    });
  });

  describe('having a 3×1×2 case whose last slice has the most ground truth', () => {
    it('should show that slice', () => {
      const picture = overlayPicture({
        shape: [3, 1, 2],
        image: bytes(1, 2, 3, 4, 12, 20),
        label: bytes(0, 0, 1, 0, 2, 2),
        prediction: bytes(0, 0, 0, 0, 0, 0),
      });
      expect(picture.slice).toBe(2);
      expect([picture.width, picture.height]).toEqual([6, 1]);
      // Slice 2: grey 12, 20; ground truth class 2 (60, 180, 75) over both: 6.6 + 27, 6.6 + 81, 6.6 + 33.75 → 34, 88, 40
      // and 11 + 27, 11 + 81, 11 + 33.75 → 38, 92, 45; no prediction.
      expect([...picture.rgb]).toEqual([12, 12, 12, 20, 20, 20, 34, 88, 40, 38, 92, 45, 12, 12, 12, 20, 20, 20]);
    });
  });

  describe('when no slice has ground truth, or two have as much', () => {
    it('should take the middle slice, or the first of the equals', () => {
      expect(mostForegroundSlice([4, 1, 1], bytes(0, 0, 0, 0))).toBe(2);
      expect(mostForegroundSlice([3, 1, 1], bytes(0, 0, 0))).toBe(1);
      expect(mostForegroundSlice([3, 1, 2], bytes(0, 0, 1, 0, 0, 3))).toBe(1);
    });
  });

  describe('when a plane holds another number of pixels than the shape', () => {
    it('should refuse with invalid-shape naming the plane', () => {
      expect(() => overlayPicture({ shape: [2, 2], image: bytes(0, 0, 0, 0), label: bytes(0, 0, 0), prediction: bytes(0, 0, 0, 0) })).toThrow(
        expect.objectContaining({ kind: 'invalid-shape', message: expect.stringContaining('the label holds 3 values') }),
      );
    });
  });
});
