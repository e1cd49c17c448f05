import { describe, expect, it } from 'vitest';
import { z } from 'zod';
import { pipeline, stage, type PipelineDefinition } from '../../src/graph/pipeline-definition.js';
import { StageRegistry } from '../../src/graph/stage-registry.js';
import { assertValidPipeline, topologicalOrder, validatePipeline } from '../../src/graph/validate-pipeline.js';
import { TensorStage } from '../../src/graph/stage.js';
import { builtInStageClasses } from '../../src/stages/built-in-stages.js';
import { MicflowError } from '../../src/errors/micflow-error.js';

/** A scalar-to-scalar stage to build cycles with. */
class Echo extends TensorStage<Record<string, never>> {
  static readonly className = 'Echo';
  static readonly description = 'test: passes a scalar through';
  static readonly paramsSchema = z.object({}).strict();
  static readonly inputs = { value: { type: 'scalar', description: 'in' } } as const;
  static readonly outputs = { value: { type: 'scalar', description: 'out' } } as const;
  override compute(inputs: Record<string, unknown>) {
    return { value: inputs.value as never };
  }
}

const registry = new StageRegistry([...builtInStageClasses, Echo]);

function supervised(nodes: Record<string, ReturnType<typeof stage>> = {}): PipelineDefinition {
  return pipeline({
    name: 'test',
    description: 'test',
    data: 'fixtures/brain-mr-2d',
    schedule: { iterations: 2, seed: 0 },
    nodes: {
      train: stage('CsvDataset', { csv: 'train.csv' }),
      batch: stage('Batch', { size: 2 }, { samples: 'train' }),
      net: stage('UNet2D', { classes: 5 }),
      predict: stage('Forward', {}, { net: 'net', image: 'batch.image' }),
      dice: stage('DiceLoss', {}, { prediction: 'predict.logits', label: 'batch.label' }),
      optimise: stage('Adam', {}, { loss: 'dice', nets: ['net'] }),
      ...nodes,
    },
  });
}

function kinds(definition: unknown) {
  return validatePipeline(definition, registry).problems.map((p) => `${p.kind} ${p.key}`);
}

describe('validatePipeline', () => {
  describe('having a well-formed supervised graph', () => {
    it('should accept it and order every node after the nodes it reads', () => {
      const { pipeline: validated, problems } = validatePipeline(supervised(), registry);
      expect(problems).toEqual([]);
      const order = validated!.order;
      expect(order.indexOf('train')).toBeLessThan(order.indexOf('batch'));
      expect(order.indexOf('net')).toBeLessThan(order.indexOf('predict'));
      expect(order.indexOf('dice')).toBeLessThan(order.indexOf('optimise'));
    });

    it('should fill param defaults from the stage schema', () => {
      const { pipeline: validated } = validatePipeline(supervised(), registry);
      expect(validated!.nodes.get('optimise')!.params).toMatchObject({ lr: 1e-3, betas: [0.9, 0.999] });
    });
  });

  describe('when a stage name is unknown', () => {
    it('should name the node and suggest the closest registered stage', () => {
      const { problems } = validatePipeline(supervised({ dice: stage('DiceLos', {}, { prob: 'predict.prob', label: 'batch.label' }) }), registry);
      expect(problems).toHaveLength(1);
      expect(problems[0]).toMatchObject({ kind: 'unknown-stage', node: 'dice', key: 'nodes.dice.stage' });
      expect(problems[0].message).toContain('did you mean "DiceLoss"');
    });
  });

  describe('when params are rejected by the stage schema', () => {
    it('should report the dotted key and the zod reason, including unknown keys', () => {
      const problems = validatePipeline(
        supervised({ optimise: stage('Adam', { lr: 'fast', lrr: 1 }, { loss: 'dice', nets: ['net'] }) }),
        registry,
      ).problems;
      expect(problems.map((p) => p.key).sort()).toEqual(['nodes.optimise.params', 'nodes.optimise.params.lr']);
      expect(problems.find((p) => p.key === 'nodes.optimise.params')!.message).toContain('"lrr"');
      expect(problems.find((p) => p.key === 'nodes.optimise.params.lr')!.message).toMatch(/number/);
    });
  });

  describe('when inputs are missing, unexpected, or point nowhere', () => {
    it('should report every problem at once, each with its node and key', () => {
      const found = kinds(
        supervised({
          predict: stage('Forward', {}, { net: 'net', picture: 'batch.image' }),
          dice: stage('DiceLoss', {}, { prediction: 'predikt.logits', label: 'batch.labels' }),
        }),
      );
      expect(found).toEqual(
        expect.arrayContaining([
          'unexpected-input nodes.predict.inputs.picture',
          'missing-input nodes.predict.inputs.image',
          'unknown-node nodes.dice.inputs.prediction',
          'unknown-port nodes.dice.inputs.label',
        ]),
      );
      expect(found).toHaveLength(4);
    });
  });

  describe('when a port is wired to an output of another type', () => {
    it('should report the expected and the given types', () => {
      const { problems } = validatePipeline(supervised({ dice: stage('DiceLoss', {}, { prediction: 'train', label: 'batch.label' }) }), registry);
      expect(problems).toHaveLength(1);
      expect(problems[0]).toMatchObject({ kind: 'port-type-mismatch', key: 'nodes.dice.inputs.prediction' });
      expect(problems[0].message).toBe('expects tensor, but "train.samples" gives samples');
    });

    it('should refuse a constant on a tensor port and a single reference on a list port', () => {
      expect(
        kinds(
          supervised({
            dice: stage('DiceLoss', {}, { prediction: 3, label: 'batch.label' }),
            optimise: stage('Adam', {}, { loss: 'dice', nets: 'net' }),
          }),
        ),
      ).toEqual(['port-type-mismatch nodes.dice.inputs.prediction', 'list-mismatch nodes.optimise.inputs.nets']);
    });

    it("should apply a stage's own wiring check (one weight per term)", () => {
      expect(
        kinds(
          supervised({
            loss: stage('WeightedSum', {}, { terms: ['dice'], weights: [1, 2] }),
            optimise: stage('Adam', {}, { loss: 'loss', nets: ['net'] }),
          }),
        ),
      ).toEqual(['list-mismatch nodes.loss.inputs']);
    });
  });

  describe('when data edges form a cycle', () => {
    it('should report the cycle path', () => {
      const { problems } = validatePipeline(
        supervised({
          a: stage('Echo', {}, { value: 'b' }),
          b: stage('Echo', {}, { value: 'a' }),
          loss: stage('WeightedSum', {}, { terms: ['dice', 'a'] }),
          optimise: stage('Adam', {}, { loss: 'loss', nets: ['net'] }),
        }),
        registry,
      );
      expect(problems).toHaveLength(1);
      expect(problems[0]).toMatchObject({ kind: 'cycle', node: 'a' });
      expect(problems[0].message).toContain('a -> b -> a');
    });
  });

  describe('when a node reaches no optimiser or hook', () => {
    it('should report it as unreachable', () => {
      expect(kinds(supervised({ spare: stage('CsvDataset', { csv: 'valid.csv' }) }))).toEqual(['unreachable-node nodes.spare']);
    });
  });

  describe('when a probe reads the training branch and feeds nothing', () => {
    it('should count it as a sink, not as unreachable', () => {
      const probe = stage('DroppedFractionByClass', { classNames: ['bg', 'a', 'b', 'c', 'd'] }, { mask: 'batch.label', label: 'batch.label' });
      expect(kinds(supervised({ probe }))).toEqual([]);
    });
  });

  describe('when the definition itself is malformed', () => {
    it('should report the bad keys of the definition', () => {
      const bad = { ...supervised(), schedule: { iterations: -1, seed: 0 }, nodes: { '1st': { stage: 'Batch' } } };
      expect(kinds(bad)).toEqual(['invalid-definition schedule.iterations', 'invalid-definition nodes.1st']);
    });
  });

  describe('when assertValidPipeline meets several problems', () => {
    it('should throw one invalid-pipeline error listing all of them', () => {
      const definition = supervised({ net: stage('UNet2D', { classes: 1 }), optimise: stage('Adam', { lr: -1 }, { loss: 'dice', nets: ['net'] }) });
      try {
        assertValidPipeline(definition, registry, 'pipelines/test.ts');
        expect.unreachable();
      } catch (error) {
        expect(error).toBeInstanceOf(MicflowError);
        expect((error as MicflowError).kind).toBe('invalid-pipeline');
        expect((error as Error).message).toMatch(/^pipelines\/test\.ts: 2 problems in the pipeline graph/);
        expect((error as Error).message).toContain('nodes.net.params.classes:');
        expect((error as Error).message).toContain('nodes.optimise.params.lr:');
      }
    });
  });
});

describe('topologicalOrder', () => {
  describe('having a diamond', () => {
    it('should keep declaration order among ready nodes', () => {
      expect(topologicalOrder(['a', 'b', 'c', 'd'], [['a', 'c'], ['b', 'c'], ['c', 'd']])).toEqual(['a', 'b', 'c', 'd']);
    });
  });
  describe('having a cycle', () => {
    it('should return undefined', () => {
      expect(topologicalOrder(['a', 'b'], [['a', 'b'], ['b', 'a']])).toBeUndefined();
    });
  });
});
