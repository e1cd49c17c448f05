/**
 * The colour of each class in overlays (dashboard and TensorBoard pictures), as [red, green, blue] bytes: class 0
 * (background) has none, classes 1… take these in turn, cycling after the last. Chosen to stay apart on a grey image.
 */
export const OVERLAY_CLASS_COLOURS: readonly (readonly [number, number, number])[] = [
  [230, 25, 75],
  [60, 180, 75],
  [0, 130, 200],
  [255, 225, 25],
  [240, 50, 230],
  [70, 240, 240],
  [245, 130, 48],
  [145, 30, 180],
  [210, 245, 60],
  [250, 190, 212],
];

/** The colour of foreground class `k` (k ≥ 1). */
export function overlayClassColour(k: number): readonly [number, number, number] {
  return OVERLAY_CLASS_COLOURS[(k - 1) % OVERLAY_CLASS_COLOURS.length];
}

/** How much of a class's colour is mixed into the grey image where the class is. */
export const OVERLAY_ALPHA = 0.45;
