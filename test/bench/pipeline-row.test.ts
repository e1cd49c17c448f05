import { describe, expect, it } from 'vitest';
import coteaching from '../../pipelines/coteaching.js';
import meanTeacher from '../../pipelines/mean-teacher.js';
import scribbleGatedcrf from '../../pipelines/scribble-gatedcrf.js';
import supervised from '../../pipelines/supervised.js';
import { twinSpecOf } from '../../bench/pipeline-row.js';
import type { PipelineDefinition } from '../../src/graph/pipeline-definition.js';
import { preparePipelineRun } from '../../src/run/pipeline-run.js';

/** The twin's settings as the bench reads them (validation only: no backend, no data read). */
function twinOf(name: string, definition: PipelineDefinition, set: string[] = []) {
  const { validated } = preparePipelineRun(definition, { set });
  return twinSpecOf(name, validated.nodes, validated.definition.schedule.iterations);
}

describe('the PyTorch twin settings of a pipeline row', () => {
  it('having the supervised pipeline should read its U-Net, batch, crop and Adam with their defaults filled in', () => {
    const twin = twinOf('supervised', supervised);
    expect(twin).toMatchObject({
      method: 'supervised',
      net: { inChannels: 1, classes: 5, features: [8, 16, 32, 64, 128], dropout: [0.05, 0.1, 0.2, 0.3, 0.5], upMode: 'bilinear', deepSupervision: false },
      nets: 1,
      batches: { batch: 4 },
      crop: [64, 64],
      adam: { lr: 1e-3, betas: [0.9, 0.999], eps: 1e-8, weightDecay: 1e-5, clipGradientNorm: null },
      rampups: {},
      iterations: 600,
    });
    expect(twin.ema).toBeUndefined();
  });

  it('should follow an override, so the twin trains what the run would', () => {
    expect(twinOf('supervised', supervised, ['batch.size=2', 'net.features=[4,8,16,32,64]']).batches).toEqual({ batch: 2 });
    expect(twinOf('supervised', supervised, ['net.features=[4,8,16,32,64]']).net.features).toEqual([4, 8, 16, 32, 64]);
  });

  it('having mean teacher, co-teaching and the gated CRF should read their method settings', () => {
    const mt = twinOf('mean-teacher', meanTeacher);
    expect(mt).toMatchObject({ nets: 1, batches: { batchL: 4, batchU: 4 }, ema: { decay: 0.99, warmUp: true }, noise: { std: 0.1, clip: 0.2 } });
    expect(mt.rampups.rampup).toEqual({ kind: 'SigmoidRampup', start: 0, end: 300, max: 1 });
    const ct = twinOf('coteaching', coteaching);
    expect(ct).toMatchObject({ nets: 2, batches: { batch: 4 } });
    expect(ct.rampups.forgetRate).toEqual({ kind: 'LinearRampup', start: 60, end: 480, max: 0.2 });
    expect(twinOf('scribble-gatedcrf', scribbleGatedcrf).crf).toEqual({ radius: 5, kernels: [{ weight: 1, xy: 5, image: 0.1 }, { weight: 1, xy: 3 }] });
  });
});
