import { expect } from 'vitest';
import type { PipelineDefinition } from '../../src/graph/pipeline-definition.js';
import type { IterationEvent } from '../../src/events/run-event.js';
import supervised from '../../pipelines/supervised.js';
import { preparePipelineRun, startPipelineRun } from '../../src/run/pipeline-run.js';

/** A scribble graph shrunk for tests: 32² crops, batches of 2, `iterations` ticks, a 2–32 channel net without dropout. */
export function tinyScribbleRun(nets: readonly string[], iterations: number, extra: readonly string[] = []): string[] {
  return [
    'trainCropped.size=[32,32]',
    'batch.size=2',
    `schedule.iterations=${iterations}`,
    ...nets.flatMap((net) => [`${net}.features=[2,4,8,16,32]`, `${net}.dropout=[0,0,0,0,0]`]),
    ...extra,
  ];
}

/**
 * Checks what every scribble pipeline shares with the fully supervised one, so the comparison is like with like: the
 * scribble training list with its unannotated value, 64² foreground-centred crops of 4, 600 iterations with seed 1, and
 * the validation, checkpoint and test nodes of pipelines/supervised.ts (validating and evaluating the network `net`).
 */
export function expectSharedScribbleSetup(definition: PipelineDefinition, net = 'net'): void {
  const nodes = definition.nodes;
  expect(definition.schedule).toEqual(supervised.schedule);
  expect(definition.data).toBe(supervised.data);
  expect(nodes.train).toEqual({ stage: 'CsvDataset', params: { csv: 'train_scribble.csv', classes: 5, extraLabelValues: [5] }, inputs: {} });
  expect(nodes.scribble).toEqual({ stage: 'PartialLabelMask', params: { unannotatedValue: 5 }, inputs: { label: 'batch.label' } });
  expect(nodes.trainCropped.params).toEqual({ ...supervised.nodes.trainCropped.params, foregroundLabels: [1, 2, 3, 4] });
  for (const name of ['trainNormalised', 'trainFlipped', 'batch', 'valid', 'validNormalised', 'test', 'testNormalised']) {
    expect(nodes[name], name).toEqual(supervised.nodes[name]);
  }
  for (const name of ['validate', 'evaluate']) {
    expect(nodes[name], name).toEqual({ ...supervised.nodes[name], inputs: { ...supervised.nodes[name].inputs, net } });
  }
  // No checkpoint node: Validate keeps the best weights and the run saves latest (the whole training state) itself.
  expect(Object.keys(nodes).filter((name) => nodes[name].stage === 'Checkpoint')).toEqual([]);
}

/** The network node's architecture params match the supervised UNet2D's sizes. */
export function expectSupervisedNetworkSize(definition: PipelineDefinition, node: string): void {
  const { features, inChannels, classes } = supervised.nodes.net.params as Record<string, unknown>;
  expect(definition.nodes[node].params).toMatchObject({ features, inChannels, classes });
}

/**
 * Runs a pipeline for a few ticks in memory and returns the iteration events; checks after every tick that each term
 * is finite and that the loss equals `expectedLoss(terms)`, that the number of live tensors stays flat after the first
 * tick (which creates the optimiser's moment variables) when there are at least three ticks, and that the first weight tensor of `trainedNet` moves.
 */
export async function runTicks(
  definition: PipelineDefinition,
  set: readonly string[],
  ticks: number,
  trainedNet: string,
  expectedLoss: (terms: Record<string, number>) => number,
): Promise<IterationEvent[]> {
  const { compiled } = await startPipelineRun(preparePipelineRun(definition, { set }), { out: null });
  const events: IterationEvent[] = [];
  try {
    const weights = compiled.networks.get(trainedNet)!.network.trainableVariables[0];
    const initial = Float32Array.from(weights.dataSync());
    for (let iteration = 1; iteration <= ticks; iteration++) {
      const event = await compiled.tick(iteration);
      for (const [key, value] of Object.entries(event.terms)) expect(Number.isFinite(value), `${key} = ${value}`).toBe(true);
      expect(event.terms.loss).toBeCloseTo(expectedLoss(event.terms), 4);
      events.push(event);
    }
    expect(Float32Array.from(weights.dataSync())).not.toEqual(initial);
  } finally {
    compiled.dispose();
  }
  const live = events.slice(1).map((e) => e.liveTensors);
  if (live.length > 1) expect(new Set(live).size, `live tensors per tick: ${events.map((e) => e.liveTensors).join(', ')}`).toBe(1);
  return events;
}
