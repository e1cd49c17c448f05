import { createHash } from 'node:crypto';
import { assignVariables, type LoadedCheckpoint, type NodeStateRecord, type TrainingState } from '../checkpoints/checkpoint-store.js';
import { MicflowError } from '../errors/micflow-error.js';
import type { SegmentationNetwork } from '../networks/segmentation-network.js';
import type { CompiledNodes } from './compile-nodes.js';
import { isStateful, type Stateful } from './stage.js';
import type { ValidatedPipeline } from './validated-pipeline.js';

export { storedTensorOf, tensorOfStored } from '../checkpoints/stored-tensor.js';

/**
 * A fingerprint of what a run's state depends on: every node's stage, params and wiring, and the seed (the data root
 * and the iteration count are left out: data may move, a run may be extended). A checkpoint carries it; resuming
 * checks it.
 */
export function pipelineFingerprint(validated: ValidatedPipeline): string {
  const nodes = Object.fromEntries(
    [...validated.nodes.values()].map((node) => [node.name, { stage: node.stageClass.className, params: node.params, inputs: validated.definition.nodes[node.name].inputs }]),
  );
  const text = JSON.stringify({ seed: validated.definition.schedule.seed, nodes });
  return createHash('sha256').update(text).digest('hex').slice(0, 16);
}

/** What one node keeps for a resumed run: the stage's state, or its feeder's. */
function statefulPartOf(compiled: CompiledNodes, name: string): Stateful | undefined {
  const instance = compiled.instances.get(name);
  if (isStateful(instance)) return instance;
  const feeder = compiled.feeders.get(name);
  return isStateful(feeder) ? feeder : undefined;
}

/** Every network of a compiled graph (their variables, each once, are what the checkpoint's variables hold). */
export function networksOf(compiled: CompiledNodes): SegmentationNetwork[] {
  return [...compiled.networks.values()].map((state) => state.network);
}

/**
 * The whole training state after `iteration`: every node's random position and the state of every stateful stage
 * or feeder (read through {@link Stateful}; no stage is known by name here), with the pipeline's fingerprint.
 */
export async function captureTrainingState(compiled: CompiledNodes, iteration: number, run: Readonly<Record<string, unknown>> = {}): Promise<TrainingState> {
  const nodes: Record<string, NodeStateRecord> = {};
  for (const name of compiled.names) {
    const instance = compiled.instances.get(name)!;
    const part = statefulPartOf(compiled, name);
    const state = part ? await part.saveState() : undefined;
    nodes[name] = { random: instance.context.random.position(), ...(state?.values === undefined ? {} : { values: state.values }), ...(state?.tensors ? { tensors: state.tensors } : {}) };
  }
  return { iteration, nodes, run: { pipelineFingerprint: pipelineFingerprint(compiled.validated), ...run } };
}

/**
 * Puts a compiled graph back where a checkpoint left it: the networks' variables, every node's random position and
 * every stateful part's state.
 *
 * @throws MicflowError('invalid-checkpoint') when the checkpoint holds no training state, belongs to another pipeline
 *   (fingerprint), or lacks a node the graph has.
 */
export function restoreTrainingState(compiled: CompiledNodes, checkpoint: LoadedCheckpoint, what: string): void {
  const state = checkpoint.state;
  if (!state) throw new MicflowError('invalid-checkpoint', `${what} holds network weights only (written before micflow saved the whole training state); it cannot resume a run`);
  const fingerprint = pipelineFingerprint(compiled.validated);
  if (state.run?.pipelineFingerprint !== undefined && state.run.pipelineFingerprint !== fingerprint) {
    throw new MicflowError('invalid-checkpoint', `${what} was written by a different pipeline (fingerprint ${String(state.run.pipelineFingerprint)}, config.json gives ${fingerprint}); config.json was changed after the checkpoint`);
  }
  const missing = compiled.names.filter((name) => !state.nodes[name]);
  if (missing.length) throw new MicflowError('invalid-checkpoint', `${what} has no state for node${missing.length > 1 ? 's' : ''} ${missing.join(', ')}`);
  assignVariables(checkpoint.variables, networksOf(compiled), what);
  for (const name of compiled.names) {
    const record = state.nodes[name];
    if (record.random) compiled.instances.get(name)!.context.random.moveTo(record.random);
    const part = statefulPartOf(compiled, name);
    if (part) part.restoreState({ values: record.values, tensors: record.tensors });
  }
}
