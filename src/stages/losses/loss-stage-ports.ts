import type { PortSpecs } from '../../graph/port-spec.js';

/** The ports of a loss that compares a prediction with a label map. */
export const labelledLossInputs = {
  prediction: {
    type: 'tensor',
    description: "network output [N, ...spatial, C]: logits with activation 'softmax' / 'sigmoid' / 'tanh', probabilities with 'none'",
  },
  label: { type: 'tensor', description: 'label map [N, ...spatial] int32' },
  mask: { type: 'tensor', optional: true, description: '1 for annotated, 0 for unannotated pixels [N, ...spatial] (partial labels)' },
  pixelWeight: { type: 'tensor', optional: true, description: 'non-negative weight per pixel [N, ...spatial]' },
} as const satisfies PortSpecs;

/** The ports of a regulariser that reads the prediction alone. */
export const unlabelledLossInputs = {
  prediction: labelledLossInputs.prediction,
  mask: { type: 'tensor', optional: true, description: '1 for pixels the term applies to, 0 elsewhere [N, ...spatial]' },
  pixelWeight: labelledLossInputs.pixelWeight,
} as const satisfies PortSpecs;

/** The output of every loss stage. */
export const lossOutputs = { loss: { type: 'scalar', description: 'the loss' } } as const satisfies PortSpecs;
