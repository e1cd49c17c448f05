import { z } from 'zod';

/** The params every network has (PyMIC's `in_chns` and `class_num`), for the units' schemas. */
export const inChannelsParam = z.number().int().positive().default(1).describe('Channels of the input images (PyMIC in_chns)');
export const classesParam = z.number().int().min(2).describe('Output classes, background included: the channels of the logits (PyMIC class_num)');

/** The message and path of the refinement of networks with 4 or 5 levels: one dropout rate per level. */
export const ONE_DROPOUT_PER_LEVEL = { message: 'dropout needs one value per level of features', path: ['dropout'] };
