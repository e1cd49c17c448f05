/**
 * The importance weight of each position of a sliding window, as nnU-Net (Isensee et al., Nature Methods 2021) and
 * MONAI's `sliding_window_inference(mode="gaussian", sigma_scale=0.125)`: a separable Gaussian centred on the window
 * centre (index ⌊n/2⌋ per axis) with sigma = n/8 per axis, scaled to a maximum of 1. Predictions near a window's
 * border, which see less context, count less where windows overlap. Evaluated analytically (scipy's filter in nnU-Net
 * truncates at 4 sigma; the weights differ only where they are below e⁻⁸). Row-major over `windowSize`.
 */
export function gaussianImportanceMap(windowSize: readonly number[], sigmaScale = 1 / 8): Float32Array {
  const profiles = windowSize.map((n) => {
    const centre = Math.floor(n / 2);
    const sigma = sigmaScale * n;
    return Float64Array.from({ length: n }, (_, i) => Math.exp(-((i - centre) ** 2) / (2 * sigma * sigma)));
  });
  const total = windowSize.reduce((a, b) => a * b, 1);
  const map = new Float32Array(total);
  const index = new Array<number>(windowSize.length).fill(0);
  for (let i = 0; i < total; i++) {
    let w = 1;
    for (let axis = 0; axis < windowSize.length; axis++) w *= profiles[axis][index[axis]];
    map[i] = w;
    for (let axis = windowSize.length - 1; axis >= 0; axis--) {
      if (++index[axis] < windowSize[axis]) break;
      index[axis] = 0;
    }
  }
  // The product peaks at exactly 1 at the centre, so no rescaling is needed.
  return map;
}
