import type { PortSpecs } from './port-spec.js';
import type { StageClass } from './stage.js';

/** The output ports of a node: `outputsFor(params)` where the stage's outputs depend on its params, else `outputs`. */
export function nodeOutputSpecs(stageClass: StageClass, params: unknown): PortSpecs {
  return stageClass.outputsFor ? stageClass.outputsFor(params) : stageClass.outputs;
}
