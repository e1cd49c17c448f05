import { z } from 'zod';

/** The params every network has (PyMIC's `in_chns` and `class_num`), for the units' schemas. */
export const inChannelsParam = z.number().int().positive().default(1).describe('Channels of the input images (PyMIC in_chns)');
export const classesParam = z.number().int().min(2).describe('Output classes, background included: the channels of the logits (PyMIC class_num)');

/** The message and path of the refinement of networks with 4 or 5 levels: one dropout rate per level. */
export const ONE_DROPOUT_PER_LEVEL = { message: 'dropout needs one value per level of features', path: ['dropout'] };

/** How many levels a network's per-level lists have: exactly five (PyMIC's 2D networks), or four or five (its U-Nets). */
export type LevelCount = 5 | '4 or 5';

function withLevels<T extends z.ZodArray<z.ZodNumber>>(list: T, levels: LevelCount): T {
  return (levels === 5 ? list.length(5) : list.min(4).max(5)) as T;
}

/**
 * A network's `features` param (PyMIC `feature_chns`): one channel count per level, integers of at least
 * `minimum` (2 where a block halves them), PyMIC's 16-32-64-128-256 by default.
 */
export function featuresPerLevelParam(levels: LevelCount, description: string, minimum = 1) {
  const channels = minimum === 1 ? z.number().int().positive() : z.number().int().min(minimum);
  return withLevels(z.array(channels), levels).default([16, 32, 64, 128, 256]).describe(description);
}

/** A network's `dropout` param (PyMIC `dropout`): one probability in [0, 1) per level; `description` says where it applies. */
export function dropoutPerLevelParam(levels: LevelCount, defaults: number[], description: string) {
  return withLevels(z.array(z.number().min(0).lt(1)), levels).default(defaults).describe(description);
}
