import { CheckpointStore } from '../checkpoints/checkpoint-store.js';
import type { StoredTensor } from '../checkpoints/in-memory-checkpoints.js';
import { MicflowError } from '../errors/micflow-error.js';
import { readRunConfig } from '../graph/run-config.js';
import { StageRegistry } from '../graph/stage-registry.js';
import { defaultClassNames } from '../inference/evaluate-cases.js';
import { resolveRunAndCheckpoint, trainedModelLayout } from '../inference/trained-model.js';
import { createMicflowContainer } from '../run/micflow-container.js';
import { join } from 'node:path';
import type { StudioPipelineOptions } from './studio-pipeline.js';

/** The network a studio session fine-tunes, and the weights it starts from. */
export interface StudioStartingPoint {
  /** The pipeline options taken from the starting run (network node, stage and params, preprocessing, class names). */
  readonly model: Pick<StudioPipelineOptions, 'networkNode' | 'network' | 'preprocessing' | 'classNames'>;
  /** The starting checkpoint, when there is one (else the network starts from its initialiser). */
  readonly checkpoint?: { readonly path: string; readonly iteration: number; readonly variables: ReadonlyMap<string, StoredTensor> };
}

/** The U-Net a session without a checkpoint starts from: PyMIC's UNet2D at the 2D pipelines' size. */
export const STUDIO_DEFAULT_FEATURES = [8, 16, 32, 64, 128];

/**
 * Reads where a studio session starts: with `checkpoint` (a run directory or a checkpoint manifest), the run's
 * network node (the one `npm run infer` loads), its stage and params, its test branch's transforms and its class
 * names (the evaluation hook's, else `classNames`, else class0…), and the checkpoint's variables; without, a fresh
 * 2D U-Net for `classNames`. A 3D network is refused (the studio annotates 2D images), as is a class list whose
 * length differs from the network's classes.
 */
export async function readStudioStartingPoint(options: { readonly checkpoint?: string; readonly classNames?: readonly string[] }): Promise<StudioStartingPoint> {
  if (!options.checkpoint) {
    if (!options.classNames || options.classNames.length < 2) {
      throw new MicflowError('invalid-argument', '--classes background,name1,…: name at least two classes (or start from a trained run with --checkpoint RUN)');
    }
    return {
      model: {
        networkNode: 'net',
        network: { stage: 'UNet2D', params: { inChannels: 1, classes: options.classNames.length, features: STUDIO_DEFAULT_FEATURES } },
        preprocessing: [{ stage: 'NormalizeWithMeanStd', params: {} }],
        classNames: [...options.classNames],
      },
    };
  }
  const { runDirectory, checkpointPath } = resolveRunAndCheckpoint(options.checkpoint, undefined);
  const configPath = join(runDirectory, 'config.json');
  const { validated } = readRunConfig(configPath, StageRegistry.fromContainer(createMicflowContainer()));
  const layout = trainedModelLayout(validated, configPath);
  const network = validated.nodes.get(layout.networkNode)!;
  if (network.stageClass.spatialDims === 3) {
    throw new MicflowError('invalid-argument', `--checkpoint ${options.checkpoint}: its network ${layout.networkNode} (${network.stageClass.className}) is 3D; the studio fine-tunes 2D networks`);
  }
  const params = network.params as { classes?: number; inChannels?: number };
  if (params.inChannels !== undefined && params.inChannels !== 1) {
    throw new MicflowError('invalid-argument', `--checkpoint ${options.checkpoint}: its network takes ${params.inChannels} image channels; the studio annotates single-channel images`);
  }
  const classes = params.classes ?? 2;
  const evaluationNames = layout.evaluationNode ? (validated.nodes.get(layout.evaluationNode)!.params as { classNames?: string[] }).classNames : undefined;
  const classNames = options.classNames ? [...options.classNames] : evaluationNames ?? defaultClassNames(classes, undefined);
  if (classNames.length !== classes) {
    throw new MicflowError('invalid-argument', `--classes names ${classNames.length} classes; the network of ${options.checkpoint} has ${classes}`);
  }
  const preprocessing = (layout.branch?.transforms ?? []).map((name) => {
    const node = validated.nodes.get(name)!;
    return { stage: node.stageClass.className, params: node.params as Record<string, unknown> };
  });
  const checkpoint = await CheckpointStore.read(checkpointPath);
  return {
    model: { networkNode: layout.networkNode, network: { stage: network.stageClass.className, params: network.params as Record<string, unknown> }, preprocessing, classNames },
    checkpoint: { path: checkpointPath, iteration: checkpoint.iteration, variables: checkpoint.variables },
  };
}
