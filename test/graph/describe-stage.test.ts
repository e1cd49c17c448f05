import { describe, expect, it } from 'vitest';
import { z } from 'zod';
import { describeParams, describeStage } from '../../src/graph/describe-stage.js';
import type { StageClass } from '../../src/graph/stage.js';

/** A stage class with one param of each shape the describer renders; never instantiated. */
const Fake = {
  className: 'Fake',
  description: 'A stage for the describer',
  reference: 'Nobody 2026',
  kind: 'tensor',
  inputs: { x: { type: 'tensor', description: 'the input' }, w: { type: 'scalar', list: true, optional: true, description: 'weights' } },
  outputs: { y: { type: 'tensor', description: 'the output' } },
  paramsSchema: z
    .object({
      classes: z.number().int().min(2).describe('Number of classes'),
      rate: z.number().min(0).lt(1).default(0.5).describe('A rate'),
      mode: z.enum(['a', 'b']).default('a').describe('A mode'),
      sizes: z.array(z.number().int().positive()).min(2).max(3).optional().describe('Sizes per axis'),
      pair: z.tuple([z.number(), z.string()]).default([1, 'x']).describe('A pair'),
      noise: z.object({ std: z.number().positive().default(0.1).describe('Noise std') }).default({ std: 0.1 }).describe('Noise settings'),
      maybe: z.number().int().min(1).nullable().default(null).describe('An optional count'),
    })
    .strict(),
} as unknown as StageClass;

describe('describeStage', () => {
  describe('having a stage with one param of each shape', () => {
    it('should render type, default or requirement, and doc for each, nested fields dotted', () => {
      expect(describeParams(Fake).map((p) => `${p.key}: ${p.type}; ${p.required ? 'required' : p.defaultValue ?? 'optional'}; ${p.doc}`)).toEqual([
        'classes: integer ≥ 2; required; Number of classes',
        'rate: number in [0, 1); 0.5; A rate',
        "mode: 'a' | 'b'; \"a\"; A mode",
        'sizes: array of 2–3 × integer > 0; optional; Sizes per axis',
        'pair: [number, string]; [1,"x"]; A pair',
        'noise: object; {"std":0.1}; Noise settings',
        'noise.std: number > 0; 0.1; Noise std',
        'maybe: integer ≥ 1 | null; null; An optional count',
      ]);
    });

    it('should print the header, the ports with their types and the params', () => {
      const text = describeStage(Fake);
      expect(text.split('\n').slice(0, 8)).toEqual([
        'Fake (tensor) — A stage for the describer',
        'reference: Nobody 2026',
        '',
        'inputs:',
        `  x  ${'tensor'.padEnd(21)}  the input`,
        '  w  scalar list, optional  weights',
        '',
        'outputs:',
      ]);
      expect(text).toContain('\n  classes: integer ≥ 2; required\n      Number of classes\n');
    });

    it('should say where it runs when it declares runsIn', () => {
      const NodeOnly = { ...Fake, runsIn: ['node'], runsInReason: 'it writes files' } as unknown as StageClass;
      expect(describeStage(NodeOnly).split('\n').slice(0, 3)).toEqual(['Fake (tensor) — A stage for the describer', 'reference: Nobody 2026', 'runs in: Node only (it writes files)']);
      expect(describeStage(Fake)).not.toContain('runs in');
    });
  });
});
