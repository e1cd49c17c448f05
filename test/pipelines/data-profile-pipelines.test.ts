import { resolve } from 'node:path';
import { describe, expect, it } from 'vitest';
import cct, { cctPipeline } from '../../pipelines/cct.js';
import coteachingClassBalanced, { coteachingClassBalancedPipeline } from '../../pipelines/coteaching-class-balanced.js';
import coteaching, { coteachingPipeline } from '../../pipelines/coteaching.js';
import cps, { cpsPipeline } from '../../pipelines/cps.js';
import dast, { dastPipeline } from '../../pipelines/dast.js';
import entmin, { entminPipeline } from '../../pipelines/entmin.js';
import mcnet, { mcnetPipeline } from '../../pipelines/mcnet.js';
import meanTeacher, { meanTeacherPipeline } from '../../pipelines/mean-teacher.js';
import noisyCe, { noisyCePipeline } from '../../pipelines/noisy-ce.js';
import noisyDiceCe, { noisyDiceCePipeline } from '../../pipelines/noisy-dice-ce.js';
import noisyGce, { noisyGcePipeline } from '../../pipelines/noisy-gce.js';
import noisyNrdice, { noisyNrdicePipeline } from '../../pipelines/noisy-nrdice.js';
import noisySlsr, { noisySlsrPipeline } from '../../pipelines/noisy-slsr.js';
import scribbleDmpls, { scribbleDmplsPipeline } from '../../pipelines/scribble-dmpls.js';
import scribbleDmsps, { scribbleDmspsPipeline } from '../../pipelines/scribble-dmsps.js';
import scribbleEntmin, { scribbleEntminPipeline } from '../../pipelines/scribble-entmin.js';
import scribbleGatedcrf, { scribbleGatedcrfPipeline } from '../../pipelines/scribble-gatedcrf.js';
import scribbleMumfordShah, { scribbleMumfordShahPipeline } from '../../pipelines/scribble-mumford-shah.js';
import scribblePce, { scribblePcePipeline } from '../../pipelines/scribble-pce.js';
import scribbleTv, { scribbleTvPipeline } from '../../pipelines/scribble-tv.js';
import scribbleUstm, { scribbleUstmPipeline } from '../../pipelines/scribble-ustm.js';
import { acdc2d, acdcClassNames } from '../../pipelines/shared/acdc-2d.js';
import { brainMr2d, brainMr2dClassNames } from '../../pipelines/shared/brain-mr-2d.js';
import type { DataProfile2D } from '../../pipelines/shared/data-profile.js';
import supervised, { supervisedPipeline } from '../../pipelines/supervised.js';
import trinetClassBalanced, { trinetClassBalancedPipeline } from '../../pipelines/trinet-class-balanced.js';
import trinet, { trinetPipeline } from '../../pipelines/trinet.js';
import uamt, { uamtPipeline } from '../../pipelines/uamt.js';
import urpc, { urpcPipeline } from '../../pipelines/urpc.js';
import type { PipelineDefinition } from '../../src/graph/pipeline-definition.js';
import type { ValidatedPipeline } from '../../src/graph/validated-pipeline.js';
import { listPipelineNames, loadPipelineModule } from '../../src/run/load-pipeline-module.js';
import { preparePipelineRun } from '../../src/run/pipeline-run.js';

/** Every 2D method: its pipeline name, its factory, and the module's default export (the factory on brainMr2d). */
const methods: ReadonlyArray<readonly [string, (profile: DataProfile2D) => PipelineDefinition, PipelineDefinition]> = [
  ['cct', cctPipeline, cct],
  ['coteaching', coteachingPipeline, coteaching],
  ['coteaching-class-balanced', coteachingClassBalancedPipeline, coteachingClassBalanced],
  ['cps', cpsPipeline, cps],
  ['dast', dastPipeline, dast],
  ['entmin', entminPipeline, entmin],
  ['mcnet', mcnetPipeline, mcnet],
  ['mean-teacher', meanTeacherPipeline, meanTeacher],
  ['noisy-ce', noisyCePipeline, noisyCe],
  ['noisy-dice-ce', noisyDiceCePipeline, noisyDiceCe],
  ['noisy-gce', noisyGcePipeline, noisyGce],
  ['noisy-nrdice', noisyNrdicePipeline, noisyNrdice],
  ['noisy-slsr', noisySlsrPipeline, noisySlsr],
  ['scribble-dmpls', scribbleDmplsPipeline, scribbleDmpls],
  ['scribble-dmsps', scribbleDmspsPipeline, scribbleDmsps],
  ['scribble-entmin', scribbleEntminPipeline, scribbleEntmin],
  ['scribble-gatedcrf', scribbleGatedcrfPipeline, scribbleGatedcrf],
  ['scribble-mumford-shah', scribbleMumfordShahPipeline, scribbleMumfordShah],
  ['scribble-pce', scribblePcePipeline, scribblePce],
  ['scribble-tv', scribbleTvPipeline, scribbleTv],
  ['scribble-ustm', scribbleUstmPipeline, scribbleUstm],
  ['supervised', supervisedPipeline, supervised],
  ['trinet', trinetPipeline, trinet],
  ['trinet-class-balanced', trinetClassBalancedPipeline, trinetClassBalanced],
  ['uamt', uamtPipeline, uamt],
  ['urpc', urpcPipeline, urpc],
];

/** Validates a definition as `npm run pipeline` does before it trains (overrides, then the whole graph). */
const validated = (definition: PipelineDefinition, set: readonly string[] = []): ValidatedPipeline =>
  preparePipelineRun(definition, { set, source: `pipeline "${definition.name}"` }).validated;

/** The parsed params of every node of one stage. */
function paramsOf(graph: ValidatedPipeline, stage: string): Record<string, unknown>[] {
  return [...graph.nodes.values()].filter((n) => n.stageClass.className === stage).map((n) => n.params as Record<string, unknown>);
}

/**
 * Every `classes` param of the graph that is set (networks, uncertainty masks, per-class selections, the lists that
 * check their label values; a list's default null checks none), by node.
 */
function classParams(graph: ValidatedPipeline): Record<string, unknown> {
  return Object.fromEntries(
    [...graph.nodes.values()]
      .filter((n) => (n.params as Record<string, unknown> | undefined)?.classes != null)
      .map((n) => [n.name, (n.params as { classes: unknown }).classes]),
  );
}

/** The networks that have a class count (EmaCopy and MultiNet take theirs from the networks they read). */
function networkClasses(graph: ValidatedPipeline): number[] {
  return [...graph.nodes.values()]
    .filter((n) => n.stageClass.kind === 'network' && (n.params as { classes?: number }).classes !== undefined)
    .map((n) => (n.params as { classes: number }).classes);
}

/** Every ramp as [start, end]: ramp-ups from 0 end at the profile's rampupEnd, schedules at 10%–80% of its iterations. */
const rampsOf = (graph: ValidatedPipeline) =>
  [...paramsOf(graph, 'SigmoidRampup'), ...paramsOf(graph, 'LinearRampup')].map((p) => [p.start, p.end]);

describe('the 2D method pipelines as data-profile factories', () => {
  describe('having the pipelines/ folder as it is', () => {
    it('should have a factory here for every 2D method pipeline (all but supervised-3d and the acdc-* modules)', () => {
      const twoD = listPipelineNames(resolve('pipelines')).filter((n) => n !== 'supervised-3d' && !n.startsWith('acdc-'));
      expect(methods.map(([name]) => name)).toEqual(twoD);
    });

    it('should have one acdc-<method> module per 2D method, whose default export is the factory on the ACDC profile', async () => {
      const acdc = listPipelineNames(resolve('pipelines')).filter((n) => n.startsWith('acdc-'));
      expect(acdc).toEqual(methods.map(([name]) => `acdc-${name}`));
      for (const [name, factory] of methods) {
        const loaded = await loadPipelineModule(`acdc-${name}`, resolve('pipelines'));
        expect(JSON.stringify(loaded.definition), name).toBe(JSON.stringify(factory(acdc2d)));
      }
    });
  });

  describe('having acdc-supervised', () => {
    describe('when run as the 10 %-labelled baseline of the SSL methods (--set train.csv=train_labelled.csv, as specs/ssl.ts)', () => {
      it('should train on train_labelled.csv and leave the rest of the graph as it is', async () => {
        const loaded = await loadPipelineModule('acdc-supervised', resolve('pipelines'));
        const graph = validated(loaded.definition, ['train.csv=train_labelled.csv']);
        expect(graph.nodes.get('train')!.params).toMatchObject({ csv: 'train_labelled.csv' });
        const plain = validated(loaded.definition);
        for (const [node, { params }] of graph.nodes) if (node !== 'train') expect(params, node).toEqual(plain.nodes.get(node)!.params);
      });
    });
  });

  describe('having the brain MR and the ACDC profiles', () => {
    it('should find them different in classes, iterations and ramp-up, so that the checks below tell the two apart', () => {
      expect([acdc2d.classNames.length, brainMr2d.classNames.length]).toEqual([4, 5]);
      expect(acdc2d.iterations).not.toBe(brainMr2d.iterations);
      expect(acdc2d.rampupEnd).not.toBe(brainMr2d.rampupEnd);
    });
  });

  describe.each(methods)('having the %s factory', (name, factory, brainDefault) => {
    describe('when given the ACDC profile', () => {
      const definition = factory(acdc2d);
      const graph = validated(definition);

      it("should validate as the CLI validates it, as acdc-<method> on data/acdc/fold0 for the profile's iterations", () => {
        expect(definition.name).toBe(`acdc-${name}`);
        expect(definition.data).toBe('data/acdc/fold0');
        expect(graph.definition.schedule).toEqual({ iterations: acdc2d.iterations, seed: 1 });
      });

      it('should give every network and every class-count param 4 classes', () => {
        const networks = networkClasses(graph);
        expect(networks.length).toBeGreaterThan(0);
        expect(networks.every((c) => c === 4), `networks: ${networks}`).toBe(true);
        const classes = classParams(graph);
        expect(Object.values(classes).every((c) => c === 4), JSON.stringify(classes)).toBe(true);
      });

      it("should end every ramp-up from 0 at the profile's rampupEnd, and run the other schedules over 10%–80% of its iterations", () => {
        const { iterations, rampupEnd } = acdc2d;
        for (const ramp of rampsOf(graph)) expect([[0, rampupEnd], [iterations / 10, (iterations * 8) / 10]]).toContainEqual(ramp);
        for (const confident of paramsOf(graph, 'ConfidentLearningMask')) expect(confident.start).toBe(Math.round(iterations / 3));
      });

      it('should validate and evaluate with the four ACDC class names', () => {
        for (const hook of [...paramsOf(graph, 'Validate'), ...paramsOf(graph, 'Evaluate'), ...paramsOf(graph, 'EvaluateSegmentation')]) {
          expect(hook.classNames).toEqual(acdcClassNames);
        }
        for (const probe of paramsOf(graph, 'DroppedFractionByClass')) expect(probe.classNames).toEqual(acdcClassNames);
      });

      if (name === 'scribble-ustm') {
        it("should weigh the consistency 0.1 · C / 2 = 0.2 for ACDC's 4 classes", () => {
          expect(graph.nodes.get('rampup')!.params).toMatchObject({ max: 0.2 });
        });
      }

      if (name.startsWith('scribble-')) {
        it('should read the scribbles with 4 as unannotated and crop them on the foreground labels [1, 2, 3]', () => {
          expect(paramsOf(graph, 'PartialLabelMask').map((p) => p.unannotatedValue)).toEqual([4]);
          const list = graph.nodes.get('train')!.params as { csv: string; classes: number; extraLabelValues: number[] };
          expect(list).toMatchObject({ csv: 'train_scribble.csv', classes: 4, extraLabelValues: [4] });
          expect(graph.nodes.get('trainCropped')!.params).toMatchObject({ foregroundRatio: 0.8, foregroundLabels: [1, 2, 3] });
        });
      }
    });

    describe('when given the brain MR profile', () => {
      it("should be the module's default export: 5 classes, 600 iterations, ramp-ups ending at 300", () => {
        expect(JSON.stringify(factory(brainMr2d))).toBe(JSON.stringify(brainDefault));
        const graph = validated(brainDefault);
        expect(brainDefault.name).toBe(name);
        expect(brainDefault.data).toBe('fixtures/brain-mr-2d');
        expect(graph.definition.schedule).toEqual({ iterations: 600, seed: 1 });
        expect(networkClasses(graph).every((c) => c === 5)).toBe(true);
        expect(Object.values(classParams(graph)).every((c) => c === 5)).toBe(true);
        for (const ramp of rampsOf(graph)) expect([[0, 300], [60, 480]]).toContainEqual(ramp);
        for (const hook of paramsOf(graph, 'Validate')) expect(hook.classNames).toEqual(brainMr2dClassNames);
        if (name.startsWith('scribble-')) expect(paramsOf(graph, 'PartialLabelMask').map((p) => p.unannotatedValue)).toEqual([5]);
      });
    });
  });
});
