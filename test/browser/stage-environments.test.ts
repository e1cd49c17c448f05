import { EMPTY } from 'rxjs';
import { describe, expect, it } from 'vitest';
import { z } from 'zod';
import { browserStageClasses, browserStageRegistry } from '../../src/browser/browser-stages.js';
import { browserPipelineOf, runPipelineInBrowser } from '../../src/browser/run-pipeline-in-browser.js';
import { MicflowError } from '../../src/errors/micflow-error.js';
import { pipeline, stage } from '../../src/graph/pipeline-definition.js';
import { HookStage } from '../../src/graph/stage.js';
import { StageRegistry } from '../../src/graph/stage-registry.js';
import { validatePipeline } from '../../src/graph/validate-pipeline.js';
import { builtInStageClasses } from '../../src/stages/built-in-stages.js';
import { nodeOnlyStages } from '../../src/stages/node-only-stages.js';
import supervised3d from '../../pipelines/supervised-3d.js';
import supervised from '../../pipelines/supervised.js';

describe('where stages run', () => {
  it('should bundle for the browser exactly the built-in stages that do not declare runsIn', () => {
    const everywhere = builtInStageClasses.filter((c) => !c.runsIn).map((c) => c.className).sort();
    expect(browserStageClasses.map((c) => c.className).sort()).toEqual(everywhere);
  });

  it('should list as Node-only exactly the built-ins that declare runsIn, with their runsIn and reason', () => {
    const declared = builtInStageClasses.filter((c) => c.runsIn).map((c) => [c.className, { runsIn: c.runsIn, reason: c.runsInReason }] as const);
    expect(Object.fromEntries(declared)).toEqual(nodeOnlyStages);
  });

  describe('validating pipelines/supervised.ts for the browser', () => {
    const registry = browserStageRegistry(new Map());

    it('should accept the whole pipeline, Validate and Evaluate included (their files stay in memory)', () => {
      const { definition, leftOut } = browserPipelineOf(supervised, registry);
      expect(leftOut).toEqual([]);
      expect(validatePipeline(definition, registry, { environment: 'browser' }).problems).toEqual([]);
    });

    it('should refuse a Node-only hook (pipelines/supervised-3d.ts: EvaluateSegmentation) with one message naming the node, the stage and why', () => {
      const { definition } = browserPipelineOf(supervised3d, registry);
      const { problems } = validatePipeline(definition, registry, { environment: 'browser' });
      expect(problems.map((p) => `${p.key}: ${p.message}`)).toEqual([
        'nodes.evaluate.stage: node "evaluate" uses stage EvaluateSegmentation, which runs in Node only (it writes its per-case metrics table and summary to the run directory); this pipeline is validated for the browser',
      ]);
    });

    it('should refuse CsvDataset when a definition reaches the validator unchanged', () => {
      const { problems } = validatePipeline(supervised, registry, { environment: 'browser' });
      expect(problems.filter((p) => p.kind === 'wrong-environment').map((p) => p.node)).toEqual(['train', 'valid', 'test']);
      expect(problems.find((p) => p.node === 'train')?.message).toMatch(/uses stage CsvDataset, which runs in Node only \(it reads its CSV list and images from disk/);
    });

    it('should accept its training part, leaving out the hooks and the datasets only they read', () => {
      const { definition, leftOut } = browserPipelineOf(supervised, registry, { trainingOnly: true });
      expect(leftOut).toEqual(['valid', 'validNormalised', 'validate', 'test', 'testNormalised', 'evaluate']);
      expect(definition.nodes.train.stage).toBe('OpenedFilesDataset');
      expect(validatePipeline(definition, registry, { environment: 'browser' }).problems).toEqual([]);
    });

    it('should stop runPipelineInBrowser at validation, before choosing a backend', async () => {
      const error = await runPipelineInBrowser({ definition: supervised3d, files: new Map(), backend: 'webgpu' }).catch((e: unknown) => e);
      expect(error).toBeInstanceOf(MicflowError);
      expect((error as MicflowError).message).toMatch(/pipeline "supervised-3d" in the browser: 1 problem in the pipeline graph/);
    });
  });

  it("should refuse a user's stage whose class declares runsIn ['node'], and accept it for Node", () => {
    class WritesReport extends HookStage<Record<string, never>> {
      static readonly className = 'WritesReport';
      static readonly description = 'a hook that writes a file';
      static readonly paramsSchema = z.object({});
      static readonly inputs = {};
      static readonly outputs = {};
      static readonly runsIn = ['node'] as const;
      static readonly runsInReason = 'it writes report.txt';
      runsAt() {
        return true;
      }
      run() {
        return EMPTY;
      }
    }
    const registry = new StageRegistry([WritesReport]);
    const definition = pipeline({ name: 'p', description: 'a report', data: '.', schedule: { iterations: 1, seed: 0 }, nodes: { report: stage('WritesReport') } });
    expect(validatePipeline(definition, registry, { environment: 'browser' }).problems.map((p) => p.message)).toEqual([
      'node "report" uses stage WritesReport, which runs in Node only (it writes report.txt); this pipeline is validated for the browser',
    ]);
    expect(validatePipeline(definition, registry, { environment: 'node' }).problems).toEqual([]);
    expect(validatePipeline(definition, registry).problems).toEqual([]);
  });
  it("should refuse in Node's preparePipelineRun a user's stage that runs in the browser only", async () => {
    const { preparePipelineRun } = await import('../../src/run/pipeline-run.js');
    const { stageModule } = await import('../../src/graph/stage-registry.js');
    class ShowsCanvas extends HookStage<Record<string, never>> {
      static readonly className = 'ShowsCanvas';
      static readonly description = 'a hook that draws in the page';
      static readonly paramsSchema = z.object({});
      static readonly inputs = {};
      static readonly outputs = {};
      static readonly runsIn = ['browser'] as const;
      static readonly runsInReason = 'it draws on a canvas';
      runsAt() {
        return true;
      }
      run() {
        return EMPTY;
      }
    }
    const definition = pipeline({ name: 'p', description: 'a canvas', data: '.', schedule: { iterations: 1, seed: 0 }, nodes: { show: stage('ShowsCanvas') } });
    expect(() => preparePipelineRun(definition, { modules: [stageModule(ShowsCanvas)] })).toThrow(
      /nodes\.show\.stage: node "show" uses stage ShowsCanvas, which runs in the browser only \(it draws on a canvas\); this pipeline is validated for Node/,
    );
  });
});
