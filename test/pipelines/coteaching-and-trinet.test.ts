import { describe, expect, it } from 'vitest';
import coteaching from '../../pipelines/coteaching.js';
import coteachingClassBalanced from '../../pipelines/coteaching-class-balanced.js';
import trinet from '../../pipelines/trinet.js';
import trinetClassBalanced from '../../pipelines/trinet-class-balanced.js';
import type { PipelineDefinition } from '../../src/graph/pipeline-definition.js';
import { preparePipelineRun, startPipelineRun } from '../../src/run/pipeline-run.js';
import { linearRampup } from '../../src/stages/schedules/linear-rampup.js';

const PIXELS = 2 * 32 * 32; // a batch of two 32² crops
const tinyData = ['trainCropped.size=[32,32]', 'batch.size=2', 'schedule.iterations=3', 'forgetRate.start=0', 'forgetRate.end=2'];
const tinyNet = (node: string) => [`${node}.features=[2,4,8,16,32]`, `${node}.dropout=[0,0,0,0,0]`];

/** Runs three ticks and hands each tick's terms to `check`; checks finite terms, distinct nets, moving weights and no leaks. */
async function threeTicks(definition: PipelineDefinition, nets: string[], check: (terms: Record<string, number>, iteration: number) => void) {
  const set = [...tinyData, ...nets.flatMap(tinyNet)];
  const { compiled } = await startPipelineRun(preparePipelineRun(definition, { set }), { out: null });
  try {
    const first = nets.map((n) => Float32Array.from(compiled.networks.get(n)!.network.trainableVariables[0].dataSync()));
    for (let i = 1; i < nets.length; i++) expect(first[i], `${nets[i]} initialised like ${nets[0]}`).not.toEqual(first[0]);
    const live: number[] = [];
    for (let iteration = 1; iteration <= 3; iteration++) {
      const event = await compiled.tick(iteration);
      for (const [key, value] of Object.entries(event.terms)) expect(Number.isFinite(value), key).toBe(true);
      check(event.terms, iteration);
      live.push(event.liveTensors);
    }
    nets.forEach((n, i) => expect(Float32Array.from(compiled.networks.get(n)!.network.trainableVariables[0].dataSync()), n).not.toEqual(first[i]));
    expect(new Set(live.slice(1)).size, `live tensors: ${live.join(',')}`).toBe(1);
  } finally {
    compiled.dispose();
  }
}

/** The sources wired to a node's input, as 'node.port'. */
function sources(definition: PipelineDefinition, node: string, port: string): string[] {
  const { validated } = preparePipelineRun(definition);
  return validated.nodes.get(node)!.inputs[port].map((s) => (s.kind === 'port' ? `${s.node}.${s.port}` : String(s.value)));
}

describe('the coteaching pipeline', () => {
  describe('having its default definition', () => {
    it("should train each net on the pixels its partner's loss map selects, and validate the averaged pair", () => {
      expect(sources(coteaching, 'selectForA', 'lossMaps')).toEqual(['lossMapB.map']);
      expect(sources(coteaching, 'selectForB', 'lossMaps')).toEqual(['lossMapA.map']);
      expect(sources(coteaching, 'ceA', 'mask')).toEqual(['selectForA.mask']);
      expect(sources(coteaching, 'ceB', 'mask')).toEqual(['selectForB.mask']);
      expect(sources(coteaching, 'lossMapA', 'prediction')).toEqual(['predA.logits']);
      expect(sources(coteaching, 'validate', 'net')).toEqual(['nets.net']);
      expect(coteaching.nodes.nets.params).toEqual({ inference: 'average' });
      expect(coteaching.nodes.forgetRate.params).toEqual({ start: 60, end: 480, max: 0.2 });
    });
  });

  describe('when run for a few ticks on tiny crops with the forget rate ramped over ticks 0–2', () => {
    it('should keep floor((1 − forget rate) · pixels) pixels per selection and train on ceA + ceB', async () => {
      await threeTicks(coteaching, ['netA', 'netB'], (t, iteration) => {
        expect(t.forgetRate).toBeCloseTo(linearRampup(iteration, 0, 2, 0.2), 6);
        for (const select of ['selectForA', 'selectForB']) {
          expect(t[`${select}.kept`] * PIXELS, `${select} at ${iteration}`).toBe(Math.floor(Math.fround(1 - Math.fround(t.forgetRate)) * PIXELS));
        }
        expect(t.loss).toBeCloseTo(t.ceA + t.ceB, 5);
        // The probe: per class, the share of its pixels selectForA leaves out; none when nothing is forgotten.
        const dropped = ['background', 'caudate', 'putamen', 'thalamus', 'hippocampus'].map((c) => t[`droppedForA.${c}`]);
        for (const d of dropped) expect(d).toBeGreaterThanOrEqual(0), expect(d).toBeLessThanOrEqual(1);
        if (t.forgetRate === 0) expect(dropped).toEqual([0, 0, 0, 0, 0]);
        else expect(Math.max(...dropped)).toBeGreaterThan(0);
      });
    });
  });
});

describe('the coteaching-class-balanced pipeline', () => {
  describe('when run for a few ticks on tiny crops with the forget rate ramped over ticks 0–2', () => {
    it('should leave out of every class at least the forget rate of its pixels, the background within a pixel of it', async () => {
      await threeTicks(coteachingClassBalanced, ['netA', 'netB'], (t) => {
        expect(t.droppedForA).toBeCloseTo(1 - t['selectForA.kept'], 6);
        for (const c of ['background', 'caudate', 'putamen', 'thalamus', 'hippocampus']) {
          // floor(keep · count) kept per class: at least the forget rate dropped (0 for a class absent from the batch).
          const dropped = t[`droppedForA.${c}`];
          if (dropped > 0) expect(dropped, c).toBeGreaterThanOrEqual(Math.fround(t.forgetRate) - 1e-6);
        }
        expect(t['droppedForA.background']).toBeLessThan(t.forgetRate + 0.01);
        expect(t.loss).toBeCloseTo(t.ceA + t.ceB, 5);
      });
    });
  });
});

describe('the trinet pipeline', () => {
  describe('having its default definition', () => {
    it("should train each net on the intersection of the other two nets' selections, and validate the averaged three", () => {
      expect(sources(trinet, 'selectForA', 'lossMaps')).toEqual(['lossMapB.map', 'lossMapC.map']);
      expect(sources(trinet, 'selectForB', 'lossMaps')).toEqual(['lossMapA.map', 'lossMapC.map']);
      expect(sources(trinet, 'selectForC', 'lossMaps')).toEqual(['lossMapA.map', 'lossMapB.map']);
      for (const x of ['A', 'B', 'C']) expect(sources(trinet, `ce${x}`, 'mask')).toEqual([`selectFor${x}.mask`]);
      expect(sources(trinet, 'evaluate', 'net')).toEqual(['nets.net']);
      expect(trinet.nodes.selectForA.params).toMatchObject({ combine: 'intersection' });
      expect(trinet.nodes.forgetRate.params).toEqual({ start: 60, end: 480, max: 0.1 });
    });
  });

  describe('when run for a few ticks on tiny crops with the forget rate ramped over ticks 0–2', () => {
    it('should keep between 1 − 2·forget and 1 − forget of the pixels per selection and train on the mean of the three CE terms', async () => {
      await threeTicks(trinet, ['netA', 'netB', 'netC'], (t, iteration) => {
        const forget = linearRampup(iteration, 0, 2, 0.1);
        expect(t.forgetRate).toBeCloseTo(forget, 6);
        const each = Math.floor(Math.fround(1 - Math.fround(t.forgetRate)) * PIXELS) / PIXELS;
        for (const select of ['selectForA', 'selectForB', 'selectForC']) {
          expect(t[`${select}.kept`], `${select} at ${iteration}`).toBeLessThanOrEqual(each + 1e-7);
          expect(t[`${select}.kept`], `${select} at ${iteration}`).toBeGreaterThanOrEqual(2 * each - 1 - 1e-7);
        }
        expect(t.loss).toBeCloseTo((t.ceA + t.ceB + t.ceC) / 3, 5);
      });
    });
  });
});

describe('the trinet-class-balanced pipeline', () => {
  describe('having its default definition', () => {
    it('should rank every selection within the label classes, on the intersection of the other two nets\' maps', () => {
      const { validated } = preparePipelineRun(trinetClassBalanced);
      for (const [node, maps] of [['selectForA', ['lossMapB', 'lossMapC']], ['selectForB', ['lossMapA', 'lossMapC']], ['selectForC', ['lossMapA', 'lossMapB']]] as const) {
        expect(validated.nodes.get(node)!.params).toMatchObject({ scope: 'class', classes: 5, combine: 'intersection' });
        expect(sources(trinetClassBalanced, node, 'lossMaps')).toEqual(maps.map((m) => `${m}.map`));
        expect(sources(trinetClassBalanced, node, 'label')).toEqual(['batch.label']);
      }
    });
  });

  describe('when run for a few ticks on tiny crops', () => {
    it('should train all three nets with finite terms', async () => {
      await threeTicks(trinetClassBalanced, ['netA', 'netB', 'netC'], (t) => {
        for (const select of ['selectForA', 'selectForB', 'selectForC']) expect(t[`${select}.kept`]).toBeLessThanOrEqual(1 - t.forgetRate + 1e-6);
      });
    });
  });
});
