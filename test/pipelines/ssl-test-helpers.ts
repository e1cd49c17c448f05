import { expect } from 'vitest';
import meanTeacher from '../../pipelines/mean-teacher.js';
import type { CompiledPipeline } from '../../src/graph/compile-pipeline.js';
import type { PipelineDefinition } from '../../src/graph/pipeline-definition.js';
import type { IterationEvent } from '../../src/events/run-event.js';
import { preparePipelineRun, startPipelineRun } from '../../src/run/pipeline-run.js';

/**
 * A semi-supervised graph shrunk for tests: 32² crops, batches of 2, `iterations` ticks with every ramp-up ending at
 * the last one, and a 2–32 channel net (per node in `nets`) without dropout unless `extra` says otherwise.
 */
export function tinySslRun(nets: readonly string[], iterations: number, ramps: readonly string[], extra: readonly string[] = []): string[] {
  return [
    'labelledCropped.size=[32,32]',
    'unlabelledCropped.size=[32,32]',
    'batchL.size=2',
    'batchU.size=2',
    `schedule.iterations=${iterations}`,
    ...ramps.map((ramp) => `${ramp}.end=${iterations}`),
    ...nets.flatMap((net) => [`${net}.features=[2,4,8,16,32]`, `${net}.dropout=[0,0,0,0,0]`]),
    ...extra,
  ];
}

/**
 * Checks what every semi-supervised pipeline shares with pipelines/mean-teacher.ts, so the experiment compares like
 * with like: data root, schedule, the labelled and unlabelled streams (lists, normalisation, flips, 64² crops,
 * batches of 4), the network's size, Adam's learning rate, and the validation and test nodes.
 */
export function expectSharedSslSetup(definition: PipelineDefinition, net: string): void {
  const nodes = definition.nodes;
  const reference = meanTeacher.nodes;
  expect(definition.schedule).toEqual(meanTeacher.schedule);
  expect(definition.data).toBe(meanTeacher.data);
  const streams = ['labelled', 'labelledNormalised', 'labelledFlipped', 'labelledCropped', 'batchL'];
  const unlabelled = ['unlabelled', 'unlabelledNormalised', 'unlabelledFlipped', 'unlabelledCropped', 'batchU'];
  for (const name of [...streams, ...unlabelled, 'valid', 'validNormalised', 'test', 'testNormalised']) expect(nodes[name], name).toEqual(reference[name]);
  const { features, inChannels, classes } = reference.student.params as Record<string, unknown>;
  expect(nodes[net].params).toMatchObject({ features, inChannels, classes });
  expect(nodes.optimise.params).toEqual(reference.optimise.params);
  for (const hook of ['validate', 'evaluate']) {
    expect(nodes[hook].params, hook).toEqual(reference[hook].params);
    expect(nodes[hook].inputs, hook).toEqual({ ...reference[hook].inputs, net });
  }
}

/**
 * Runs a pipeline in memory for `ticks` ticks: after every tick each reported term must be finite and the loss must
 * equal `expectedLoss(terms)`; `afterTick` may check more (it gets the compiled pipeline); the number of live tensors
 * must stay flat after the first tick (which creates the optimiser's moment variables). Returns the events.
 */
export async function runSslTicks(
  definition: PipelineDefinition,
  set: readonly string[],
  ticks: number,
  expectedLoss: (terms: Record<string, number>) => number,
  afterTick: (compiled: CompiledPipeline, event: IterationEvent, before: (node: string) => Float32Array[]) => void = () => {},
  watched: readonly string[] = [],
): Promise<IterationEvent[]> {
  const { compiled } = await startPipelineRun(preparePipelineRun(definition, { set }), { out: null });
  const events: IterationEvent[] = [];
  try {
    const read = (node: string) => compiled.networks.get(node)!.network.trainableVariables.map((v) => Float32Array.from(v.dataSync()));
    for (let iteration = 1; iteration <= ticks; iteration++) {
      const snapshots = new Map(watched.map((node) => [node, read(node)]));
      const event = await compiled.tick(iteration);
      for (const [key, value] of Object.entries(event.terms)) expect(Number.isFinite(value), `${key} = ${value}`).toBe(true);
      expect(event.terms.loss).toBeCloseTo(expectedLoss(event.terms), 4);
      afterTick(compiled, event, (node) => snapshots.get(node)!);
      events.push(event);
    }
  } finally {
    compiled.dispose();
  }
  const live = events.slice(1).map((e) => e.liveTensors);
  expect(new Set(live).size, `live tensors per tick: ${events.map((e) => e.liveTensors).join(', ')}`).toBe(1);
  return events;
}
