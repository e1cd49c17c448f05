import { z } from 'zod';

/**
 * The `classWeights` param of the losses that take one (PyMIC `loss_class_weight`): optional, one finite non-negative
 * number per class, not all zero. How many there must be depends on the prediction's class count, which the loss
 * checks (checkClassWeights); `role` says what a class's weight does in that loss.
 */
export function classWeightsParam(role: string) {
  return z
    .array(z.number().nonnegative())
    .refine((weights) => weights.some((w) => w > 0), { message: 'class weights need at least one positive weight' })
    .optional()
    .describe(`One non-negative weight per class, not all zero (PyMIC \`loss_class_weight\`): ${role}`);
}
