import { MicflowError } from '../errors/micflow-error.js';

/**
 * Checks of the constructor arguments the U-Net family shares (PyMIC's `in_chns`, `class_num`, `feature_chns`,
 * `dropout`), each throwing an 'invalid-argument' MicflowError that names the network class and the argument.
 */

/** Every value a positive integer: "`className` `label` must be a positive integer, got `value`". */
export function checkPositiveIntegers(className: string, entries: readonly (readonly [string, number])[]): void {
  for (const [label, value] of entries) {
    if (!Number.isInteger(value) || value < 1) throw new MicflowError('invalid-argument', `${className} ${label} must be a positive integer, got ${value}`);
  }
}

/** inChannels, classes and every feature channel count positive integers. */
export function checkChannelCounts(className: string, args: { inChannels: number; classes: number }, features: readonly number[]): void {
  checkPositiveIntegers(className, [['inChannels', args.inChannels], ['classes', args.classes], ...features.map((f) => ['featureChannels', f] as const)]);
}

/** Every dropout probability in [0, 1), the rates listed in the message. */
export function checkDropoutRates(className: string, rates: readonly number[]): void {
  if (rates.some((p) => !(p >= 0 && p < 1))) throw new MicflowError('invalid-argument', `${className} dropout rates must be in [0, 1), got [${rates}]`);
}

/** Exactly five feature channel counts and five dropout rates (PyMIC's five-level 2D networks). */
export function checkFiveLevels(className: string, features: readonly number[], rates: readonly number[]): void {
  if (features.length !== 5 || rates.length !== 5) {
    throw new MicflowError('invalid-argument', `${className} needs 5 feature channel counts and dropout rates, got ${features.length} and ${rates.length}`);
  }
}

/** Feature channel counts that a block halves (an attention gate, a channel SE): integers >= 2; `halvedBy` says what halves them. */
export function checkHalvableFeatures(className: string, features: readonly number[], halvedBy: string): void {
  if (features.some((f) => !Number.isInteger(f) || f < 2)) {
    throw new MicflowError('invalid-argument', `${className} feature channels must be integers >= 2 (${halvedBy} halves them), got [${features}]`);
  }
}

/**
 * PyMIC's UNet2D / UNet3D arguments: 4 or 5 levels, one dropout rate per level, positive channel counts, and each
 * dropout rate in [0, 1) (named alone in the message).
 */
export function checkFourOrFiveLevelArguments(
  className: string,
  args: { inChannels: number; classes: number },
  features: readonly number[],
  rates: readonly number[],
): void {
  if (features.length !== 4 && features.length !== 5) {
    throw new MicflowError('invalid-argument', `${className} needs 4 or 5 feature channel counts, got ${features.length}`);
  }
  if (rates.length !== features.length) {
    throw new MicflowError('invalid-argument', `${className} needs one dropout rate per level (${features.length}), got ${rates.length}`);
  }
  checkChannelCounts(className, args, features);
  for (const p of rates) {
    if (!(p >= 0 && p < 1)) throw new MicflowError('invalid-argument', `${className} dropout rates must be in [0, 1), got ${p}`);
  }
}
