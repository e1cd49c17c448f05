import { parseArgs } from 'node:util';
import type { ContainerModule } from 'inversify';
import { MicflowError } from '../errors/micflow-error.js';
import { resolve } from 'node:path';
import { caseRanges, runQueuedInference } from '../experiments/inference-queue.js';
import { inferImageFiles, listInferenceCases } from '../inference/infer-image-files.js';
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
  --slice-wise           a 2D network on volumes: each volume predicted slice by slice (e.g. an acdc-* run on test_volumes.csv)
  --largest-component M  keep only the largest connected component: per-class or union
  --fill-holes           fill background enclosed by a class
  --probabilities        also write <case>_probabilities.nii.gz (float32, one component per class)
  --backend NAME         tensorflow | native | wasm | cpu (default: MICFLOW_BACKEND, else the first that loads, in that order)
  --module FILE          a module exporting ContainerModules with your own stages (networks)
  --queue URL            split the cases into jobs on BullMQ over Redis (redis://HOST:PORT), run by npm run worker on
                         any machine that sees the same files at the same paths; waits until every job is done
  --cases-per-job N      cases per queued job (default 8)
  --cases A:B            only cases A to B-1 of the list (what one queued job runs)`;

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
        'slice-wise': { type: 'boolean', default: false },
        'largest-component': { type: 'string' },
        'fill-holes': { type: 'boolean', default: false },
        probabilities: { type: 'boolean', default: false },
        backend: { type: 'string' },
        module: { type: 'string', multiple: true, default: [] },
        queue: { type: 'string' },
        'cases-per-job': { type: 'string' },
        cases: { type: 'string' },
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
  if (values['slice-wise'] && window) throw new MicflowError('invalid-argument', '--slice-wise predicts whole slices: give either --slice-wise or --window, not both');
  let caseRange: { start: number; end: number } | undefined;
  if (values.cases !== undefined) {
    const match = /^(\d+):(\d+)$/.exec(values.cases);
    if (!match) throw new MicflowError('invalid-argument', `--cases ${values.cases}: expected START:END (0-based, END excluded)`);
    caseRange = { start: Number(match[1]), end: Number(match[2]) };
  }
  const perJob = values['cases-per-job'] === undefined ? 8 : Number(values['cases-per-job']);
  if (!Number.isInteger(perJob) || perJob < 1) throw new MicflowError('invalid-argument', `--cases-per-job ${values['cases-per-job']}: expected a positive integer`);
  if (values.queue && caseRange) throw new MicflowError('invalid-argument', '--cases is what a queued job runs; with --queue the cases are split by --cases-per-job');

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
    if (values.queue) {
      const total = (await listInferenceCases(values.data, models[0].imageColumns)).length;
      const ranges = caseRanges(total, perJob);
      const args = jobArguments(positionals, values);
      const id = `infer-${new Date().toISOString().replace(/[-:.]/g, '').slice(0, 18)}-${process.pid}`;
      process.stdout.write(`${total} cases in ${ranges.length} jobs on ${values.queue} (${id})\n`);
      const failures = await runQueuedInference(
        values.queue,
        id,
        ranges.map((range) => ({ range, args: [...args, '--cases', `${range.start}:${range.end}`] })),
        process.cwd(),
        { onUpdate: ({ completed, failed, total: jobs }) => process.stdout.write(`jobs: ${completed}/${jobs} completed${failed ? `, ${failed} failed` : ''}\n`) },
      );
      for (const [job, message] of failures) process.stderr.write(`micflow: ${job} failed: ${message}\n`);
      process.stdout.write(`${failures.size ? `${failures.size} of ${ranges.length} jobs failed; ` : ''}predictions in ${resolve(values.out)} (${((performance.now() - started) / 1000).toFixed(1)} s)\n`);
      return failures.size ? 1 : 0;
    }
    const written = await inferImageFiles({
      models,
      data: values.data,
      outDirectory: values.out,
      slidingWindow: window ? { windowSize: window, overlap, batchSize: batch, weighting: weighting as 'gaussian' | 'constant' | undefined } : undefined,
      testTimeAugmentation: flips || values['three-views'] ? { flipAxes: flips, threeViews: values['three-views'] } : undefined,
      multiscale: values.multiscale,
      sliceWise: values['slice-wise'],
      keepLargestComponent: largest as 'per-class' | 'union' | undefined,
      fillHoles: values['fill-holes'],
      probabilities: values.probabilities,
      caseRange,
      onCase: ({ id, labelFile, seconds }, index, total) => process.stdout.write(`[${index + 1}/${total}] ${id} → ${labelFile} (${seconds.toFixed(2)} s)\n`),
    });
    process.stdout.write(`${written.length} prediction${written.length === 1 ? '' : 's'} in ${values.out} (${((performance.now() - started) / 1000).toFixed(1)} s, backend ${runtime.backendName})\n`);
  } finally {
    for (const model of models) model.dispose();
  }
  return 0;
}

/** The arguments of a queued job: this command's, with every path absolute and without the queue's own flags. */
function jobArguments(positionals: readonly string[], values: Record<string, string | boolean | string[] | undefined>): string[] {
  const args = positionals.map((p) => resolve(p));
  args.push('--data', resolve(values.data as string), '--out', resolve(values.out as string));
  for (const flag of ['checkpoint', 'net', 'window', 'overlap', 'batch', 'weighting', 'flip', 'largest-component', 'backend']) {
    if (typeof values[flag] === 'string') args.push(`--${flag}`, values[flag] as string);
  }
  for (const flag of ['three-views', 'multiscale', 'slice-wise', 'fill-holes', 'probabilities']) if (values[flag] === true) args.push(`--${flag}`);
  for (const file of (values.module as string[] | undefined) ?? []) args.push('--module', resolve(file));
  return args;
}

runCommand(main);
