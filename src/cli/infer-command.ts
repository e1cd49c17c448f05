import { parseArgs } from 'node:util';
import type { ContainerModule } from 'inversify';
import { MicflowError } from '../errors/micflow-error.js';
import { inferImageFiles } from '../inference/infer-image-files.js';
import { loadTrainedModel, type TrainedModel } from '../inference/trained-model.js';
import { loadContainerModuleFile } from '../run/load-pipeline-module.js';
import { BACKEND_CANDIDATE, createMicflowContainer } from '../run/micflow-container.js';
import type { BackendCandidate } from '../runtime/backend-candidates.js';
import { TensorRuntime } from '../runtime/tensor-runtime.js';
import { runCommand } from './report-cli-error.js';

const usage = `usage: npm run infer -- <run dir | checkpoint.json> [more ...] --data CSV_OR_DIR --out DIR [options]

  <run dir>              a run directory (config.json + checkpoints/), or a checkpoint manifest checkpoints/<tag>.json;
                         several are an ensemble (probabilities averaged)
  --data CSV_OR_DIR      a dataset list (image column(s) as in training, paths relative to the CSV) or a folder of images
  --out DIR              where predictions go, named and formatted as their inputs, with the inputs' geometry
  --checkpoint TAG       checkpoint of a run directory (default best, else latest)
  --net NODE             network node when the pipeline has several
  --window H,W[,D...]    sliding-window inference with this window on the preprocessed grid (default: whole image, padded
                         to a multiple of 16); predictions are mapped back through the test branch's crops, pads and resizes
  --overlap F            window overlap fraction (default 0.5)
  --batch N              windows per forward pass (default 1)
  --weighting MODE       gaussian (default, sigma = window/8) or constant
  --flip AXES            test-time augmentation: mirror these spatial axes (e.g. 0,1), every combination averaged
  --three-views          test-time augmentation for 3D: also predict the volume with its axes swapped
  --multiscale           average the probabilities of all outputs of a deeply supervised network, upsampled to full size
  --largest-component M  keep only the largest connected component: per-class or union
  --fill-holes           fill background enclosed by a class
  --probabilities        also write <case>_probabilities.nii.gz (float32, one component per class)
  --backend NAME         tensorflow | native | wasm | cpu (default: MICFLOW_BACKEND, else the first that loads, in that order)
  --module FILE          a module exporting ContainerModules with your own stages (networks)`;

function integerList(value: string | undefined, flag: string): number[] | undefined {
  if (value === undefined) return undefined;
  const list = value.split(',').map((s) => Number(s.trim()));
  if (!list.length || !list.every((v) => Number.isInteger(v) && v >= 0)) throw new MicflowError('invalid-argument', `${flag} ${value}: expected comma-separated non-negative integers`);
  return list;
}

export async function main(argv: readonly string[]): Promise<number> {
  let parsed;
  try {
    parsed = parseArgs({
      args: [...argv],
      allowPositionals: true,
      options: {
        data: { type: 'string' },
        out: { type: 'string' },
        checkpoint: { type: 'string' },
        net: { type: 'string' },
        window: { type: 'string' },
        overlap: { type: 'string' },
        batch: { type: 'string' },
        weighting: { type: 'string' },
        flip: { type: 'string' },
        'three-views': { type: 'boolean', default: false },
        multiscale: { type: 'boolean', default: false },
        'largest-component': { type: 'string' },
        'fill-holes': { type: 'boolean', default: false },
        probabilities: { type: 'boolean', default: false },
        backend: { type: 'string' },
        module: { type: 'string', multiple: true, default: [] },
        help: { type: 'boolean', short: 'h', default: false },
      },
    });
  } catch (error) {
    throw new MicflowError('invalid-argument', `${(error as Error).message}\n${usage}`);
  }
  const { values, positionals } = parsed;
  if (values.help) {
    process.stdout.write(`${usage}\n`);
    return 0;
  }
  if (!positionals.length) throw new MicflowError('invalid-argument', `name a run directory or checkpoint\n${usage}`);
  if (!values.data || !values.out) throw new MicflowError('invalid-argument', `--data and --out are both required\n${usage}`);
  const window = integerList(values.window, '--window');
  const overlap = values.overlap === undefined ? undefined : Number(values.overlap);
  const batch = values.batch === undefined ? undefined : Number(values.batch);
  const weighting = values.weighting;
  if (weighting !== undefined && weighting !== 'gaussian' && weighting !== 'constant') {
    throw new MicflowError('invalid-argument', `--weighting ${weighting}: expected gaussian or constant`);
  }
  const largest = values['largest-component'];
  if (largest !== undefined && largest !== 'per-class' && largest !== 'union') {
    throw new MicflowError('invalid-argument', `--largest-component ${largest}: expected per-class or union`);
  }
  if (!window && (overlap !== undefined || batch !== undefined || weighting !== undefined)) {
    throw new MicflowError('invalid-argument', '--overlap, --batch and --weighting apply to sliding windows; give --window too');
  }
  const flips = integerList(values.flip, '--flip');

  const userModules: ContainerModule[] = [];
  for (const file of values.module) userModules.push(...(await loadContainerModuleFile(file)));
  const container = createMicflowContainer(userModules);
  const runtime = await TensorRuntime.create({ backend: values.backend, candidates: container.getAll<BackendCandidate>(BACKEND_CANDIDATE) });
  const models: TrainedModel[] = [];
  try {
    for (const [index, source] of positionals.entries()) {
      const instanceSuffix = index === 0 ? undefined : `-ensemble${index}`;
      const model = await loadTrainedModel(source, { container, runtime, networkNode: values.net, checkpointTag: values.checkpoint, instanceSuffix });
      models.push(model);
      const preprocessing = model.preprocessingNodes.length ? model.preprocessingNodes.join(' → ') : 'none';
      process.stdout.write(`model ${model.network.network.className} "${model.network.node}" from ${model.checkpointPath} (iteration ${model.iteration}); preprocessing: ${preprocessing}\n`);
    }
    const started = performance.now();
    const written = await inferImageFiles({
      models,
      data: values.data,
      outDirectory: values.out,
      slidingWindow: window ? { windowSize: window, overlap, batchSize: batch, weighting: weighting as 'gaussian' | 'constant' | undefined } : undefined,
      testTimeAugmentation: flips || values['three-views'] ? { flipAxes: flips, threeViews: values['three-views'] } : undefined,
      multiscale: values.multiscale,
      keepLargestComponent: largest as 'per-class' | 'union' | undefined,
      fillHoles: values['fill-holes'],
      probabilities: values.probabilities,
      onCase: ({ id, labelFile, seconds }, index, total) => process.stdout.write(`[${index + 1}/${total}] ${id} → ${labelFile} (${seconds.toFixed(2)} s)\n`),
    });
    process.stdout.write(`${written.length} prediction${written.length === 1 ? '' : 's'} in ${values.out} (${((performance.now() - started) / 1000).toFixed(1)} s, backend ${runtime.backendName})\n`);
  } finally {
    for (const model of models) model.dispose();
  }
  return 0;
}

runCommand(main);
